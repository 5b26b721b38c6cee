"""Every check of one answer fails on an answer that breaks its clause, naming clause and field,
and passes on a conforming one (a check that cannot fail is a defect). Checks over several answers:
tests/engine/test_history_checks.py."""

from __future__ import annotations

import pytest

from contracts.rules import CONTENT, CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, LIST, REMIX, RETRIEVE
from contracts.types import Verdict
from tests.engine.helpers import COMPLETED, ERROR, NOW, case, context, evidence, response, verdict, video

CONTENT_CASE = {"clause": "content.download", "expect": "accepted", "query": {"variant": "video"}}
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16

# (id, operation, response, clause that must fail, field it must name)
BROKEN = [
    ("no-response", RETRIEVE, response(transport_error="no complete response within 15 s"), "response.transport",
     "response"),
    ("endless-body", RETRIEVE, response(200, video(), truncated=True), "response.transport", "body"),
    ("server-error", RETRIEVE, response(500, ERROR), "response.not-server-error", "status"),
    ("fastapi-422", CREATE, response(422, {"detail": [{"loc": ["body", "prompt"], "msg": "x"}]}),
     "response.status-documented", "status"),
    ("text-content-type", RETRIEVE, response(200, video(), content_type="text/plain"), "response.content-type", "Content-Type"),
    ("video-field-missing", RETRIEVE, response(200, video(model=...)), "response.video.schema", "$"),
    ("nullable-omitted", RETRIEVE, response(200, video(completed_at=...)), "response.video.schema", "$"),
    ("seconds-integer", RETRIEVE, response(200, video(seconds=4)), "response.video.schema", "$.seconds"),
    ("progress-float", RETRIEVE, response(200, video(progress=0.5)), "response.video.schema", "$.progress"),
    ("object-wrong", RETRIEVE, response(200, video(object="job")), "response.video.schema", "$.object"),
    ("status-unknown", RETRIEVE, response(200, video(status="unknown")), "response.video.schema", "$.status"),
    ("error-code-integer", RETRIEVE, response(200, video(status="failed", error={"code": 500, "message": "x"})),
     "response.video.schema", "$.error"),
    ("html-page", RETRIEVE, response(200, raw=b"<html><body>Bad gateway</body></html>", content_type="application/json"),
     "response.video.schema", "body"),
    ("list-missing-has-more", LIST, response(200, {"object": "list", "data": [], "first_id": None, "last_id": None}),
     "response.list.schema", "$"),
    ("deleted-as-video", DELETE, response(200, {**video(), "status": "deleted"}), "response.deleted.schema", "$"),
    ("detail-envelope", RETRIEVE, response(404, {"detail": "Not Found"}), "response.error.envelope", "$.error"),
    ("envelope-missing-param", RETRIEVE, response(404, {"error": {"message": "x", "type": "t", "code": None}}),
     "response.error.envelope", "$.error"),
    ("created-at-ms", RETRIEVE, response(200, video(created_at=NOW * 1000)), "video.timestamps-unix-seconds", "$.created_at"),
    ("created-in-future", RETRIEVE, response(200, video(created_at=NOW + 86400)), "video.timestamps-unix-seconds",
     "$.created_at"),
    ("completed-without-completed-at", RETRIEVE, response(200, {**COMPLETED, "completed_at": None}),
     "video.timestamps-ordered", "$.completed_at"),
    ("expires-before-created", RETRIEVE, response(200, {**COMPLETED, "expires_at": NOW - 10}), "video.timestamps-ordered",
     "$.expires_at"),
    ("completed-progress-90", RETRIEVE, response(200, {**COMPLETED, "progress": 90}), "video.progress-consistent",
     "$.progress"),
    ("queued-progress-5", RETRIEVE, response(200, video(progress=5)), "video.progress-consistent", "$.progress"),
    ("failed-without-error", RETRIEVE, response(200, video(status="failed")), "video.error-consistent", "$.error"),
    ("completed-with-error", RETRIEVE, response(200, {**COMPLETED, "error": {"code": "x", "message": "y"}}),
     "video.error-consistent", "$.error"),
    ("list-item-ms", LIST, response(200, {"object": "list", "data": [video(created_at=NOW * 1000)], "first_id": "video_123",
                                          "last_id": "video_123", "has_more": False}),
     "video.timestamps-unix-seconds", "$.data[0].created_at"),
    ("character-created-at-iso", GET_CHARACTER, response(200, {"id": "char_1", "name": "M", "created_at": "2026-11-30T05:00:00Z"}),
     "response.character.schema", "$.created_at"),
    ("character-created-at-missing", GET_CHARACTER, response(200, {"id": "char_1", "name": "M"}), "response.character.schema", "$"),
    ("edit-video-seconds-integer", EDIT, response(200, video(seconds=8)), "response.video.schema", "$.seconds"),
    ("character-409", GET_CHARACTER, response(409, ERROR), "response.status-documented", "status"),
    ("429-without-retry-after", RETRIEVE, response(429, ERROR), "response.rate-limit.retry-after", "Retry-After"),
]


VALID_CREATE = {"params": {"prompt": "a cat", "model": "sora-2-pro"}, "expect": "accepted"}
BROKEN += [
    # What a create's answer says about the create (a valid create, accepted).
    ("model-not-echoed", (*CREATE, VALID_CREATE), response(200, video(model="sora-2")), "create.echoes-request",
     "$.model"),
    ("default-not-applied", (*CREATE, VALID_CREATE), response(200, video(model="sora-2-pro", seconds="8")),
     "create.defaults-applied", "$.seconds"),
    ("created-completed", CREATE, response(200, COMPLETED), "create.initial-status", "$.status"),
    ("create-remixed-from-set", CREATE, response(200, video(remixed_from_video_id="video_9")),
     "create.remixed-from-null", "$.remixed_from_video_id"),
    ("created-hours-ago", CREATE, response(200, video(created_at=NOW - 7200)), "video.timestamps-unix-seconds",
     "$.created_at"),
    # The case's own clause, by the answer it expects.
    ("invalid-accepted", (*CREATE, {"clause": "create.prompt.empty-rejected", "expect": "rejected"}),
     response(200, video()), "create.prompt.empty-rejected", "status"),
    ("valid-refused", (*CREATE, {"clause": "create.json-accepted", "expect": "accepted"}), response(400, ERROR),
     "create.json-accepted", "status"),
    ("unknown-id-400", (*CONTENT, {"clause": "errors.unknown-id-not-found", "expect": "not-found"}),
     response(400, ERROR), "errors.unknown-id-not-found", "status"),
    ("no-key-accepted", (*RETRIEVE, {"clause": "auth.missing-key-rejected", "expect": "unauthorized"}),
     response(200, video()), "auth.missing-key-rejected", "status"),
    ("tolerated-401", (*CREATE, {"clause": "create.unknown-model-handled", "expect": "tolerated"}),
     response(401, ERROR), "create.unknown-model-handled", "status"),
    ("tolerated-crash", (*CREATE, {"clause": "create.unknown-model-handled", "expect": "tolerated"}),
     response(500, ERROR), "response.not-server-error", "status"),
    # What the answer to a case says about its own clause, beyond the status.
    ("content-octet-stream", (*CONTENT, CONTENT_CASE), response(200, raw=MP4, content_type="application/octet-stream"),
     "response.content-type", "Content-Type"),
    ("content-thumbnail-is-mp4", (*CONTENT, {**CONTENT_CASE, "query": {"variant": "thumbnail"}}),
     response(200, raw=MP4, content_type="video/mp4"), "content.download", "Content-Type"),
    ("content-not-mp4", (*CONTENT, CONTENT_CASE), response(200, raw=b"<html></html>", content_type="video/mp4"),
     "content.download", "body"),
    ("remix-without-source", (*REMIX, {"clause": "remix.sets-source", "expect": "accepted"}), response(200, video()),
     "remix.sets-source", "$.remixed_from_video_id"),
    ("deletion-of-another", (*DELETE, {"clause": "delete.returns-deletion", "expect": "accepted"}),
     response(200, {"id": "video_9", "object": "video.deleted", "deleted": True}), "delete.returns-deletion", "$.id"),
    ("deletion-204", (*DELETE, {"clause": "delete.returns-deletion", "expect": "accepted"}), response(204),
     "response.status-documented", "status"),
    ("derived-answers-its-source", (*EDIT, {"json_body": {"prompt": "x", "video": {"id": "video_123"}}}),
     response(200, video()), "edit.result-is-a-job", "$.id"),
    ("extension-answers-its-source", (*EXTEND, {"json_body": {"prompt": "x", "seconds": "4", "video": {"id": "video_123"}}}),
     response(200, video()), "extend.accepted", "$.id"),
    ("character-misnamed", (*CREATE_CHARACTER, {"clause": "character.name-boundaries-accepted", "expect": "accepted",
                                                 "form": [("name", "Mossy")]}),
     response(200, {"id": "char_1", "name": "Other", "created_at": NOW}), "character.name-boundaries-accepted", "$.name"),
    ("edit-route-missing", (*EDIT, {"clause": "edit.missing-fields-rejected", "expect": "rejected"}),
     response(404, ERROR), "edit.offered", "status"),
    ("character-route-missing", (*CREATE_CHARACTER, {"clause": "character.missing-fields-rejected",
                                                      "expect": "rejected"}),
     response(405, ERROR), "character.offered", "status"),
    ("list-limit-0-served", (*LIST, {"query": {"limit": 0}}),
     response(200, {"object": "list", "data": [video()], "first_id": "video_123", "last_id": "video_123",
                    "has_more": False}), "list.limit-range", "$.data"),
    ("list-limit-negative-served", (*LIST, {"query": {"limit": -1}}),
     response(200, {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}),
     "list.limit-range", "limit"),
    ("list-limit-100-refused", (*LIST, {"query": {"limit": 100}}), response(400, ERROR), "list.limit-range", "limit"),
    ("list-limit-2-gives-3", (*LIST, {"query": {"limit": 2}}),
     response(200, {"object": "list", "data": [video(id=f"v{i}") for i in range(3)], "first_id": "v0",
                    "last_id": "v2", "has_more": True}), "list.limit-honoured", "$.data"),
    ("list-unsorted", (*LIST, {"query": {"order": "asc"}}),
     response(200, {"object": "list", "data": [video(id="b", created_at=NOW), video(id="a", created_at=NOW - 5)],
                    "first_id": "b", "last_id": "a", "has_more": False}), "list.order-honoured", "$.data[*].created_at"),
    ("list-cursors-wrong", LIST,
     response(200, {"object": "list", "data": [video()], "first_id": "video_9", "last_id": "video_123",
                    "has_more": False}), "list.after-honoured", "$.first_id"),
]


def _case(operation):
    method, template, *extra = operation
    return case(method, template, **(extra[0] if extra else {}))


@pytest.mark.parametrize(("operation", "answer", "clause_id", "field"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_response_fails_its_clause(operation, answer, clause_id, field):
    ctx = context()
    ctx.check(answer, _case(operation))
    assert verdict(ctx, clause_id) is Verdict.FAILED
    found = evidence(ctx, clause_id)
    assert found.clause_id == clause_id
    assert found.field == field
    assert found.message


def test_a_violation_reads_with_its_clause_field_and_both_sides():
    from contracts.failures import ContractViolation

    text = str(ContractViolation("response.video.schema", "seconds is not a string", field="$.seconds",
                                 received=4, expected="a string"))
    assert text.splitlines() == ["[response.video.schema] $.seconds: seconds is not a string",
                                 "  Received: 4", "  Documented: a string"]


@pytest.mark.parametrize(("received", "shown"), [
    ({"id": "video_1", "deleted": None}, '{"id": "video_1", "deleted": null}'),
    ([1, True, "a"], '[1, true, "a"]'),
    ("400 Invalid prompt", "400 Invalid prompt"),
    ({"prompt": "\u00e9t\u00e9"}, '{"prompt": "\u00e9t\u00e9"}'),
], ids=["object-with-null", "list", "text-as-it-is", "not-ascii-escaped"])
def test_received_and_documented_values_read_as_json(received, shown):
    from contracts.failures import ContractViolation

    violation = ContractViolation("delete.returns-deletion", "x", received=received, expected=received)
    assert violation.received == shown and violation.expected == shown
    assert "None" not in str(violation) and "'" not in str(violation)


def test_a_deletion_lacking_fields_is_shown_as_it_came():
    """Received shows the body's fields as they came: a field the body never had is not invented."""
    ctx = context()
    ctx.check(response(200, {"id": "video_123", "object": "video.deleted"}),
              _case((*DELETE, {"clause": "delete.returns-deletion", "expect": "accepted"})))
    found = evidence(ctx, "response.deleted.schema")  # one root cause: delete.returns-deletion is blocked by it
    assert found.received == '{"id": "video_123", "object": "video.deleted"}'
    assert "deleted" not in found.received.replace("video.deleted", "")
    assert verdict(ctx, "delete.returns-deletion") is Verdict.BLOCKED


def test_a_refused_delete_documents_the_deletion_object():
    ctx = context()
    ctx.check(response(400, ERROR), _case((*DELETE, {"clause": "delete.returns-deletion", "expect": "accepted"})))
    found = evidence(ctx, "delete.returns-deletion")
    assert found.expected == "200 and a DeletedVideo (the deletion object)", found.expected


CONFORMING = [
    ("create-echoed", (*CREATE, VALID_CREATE), response(200, video(model="sora-2-pro"))),
    ("invalid-refused", (*CREATE, {"clause": "create.prompt.empty-rejected", "expect": "rejected"}),
     response(400, ERROR)),
    ("tolerated-400", (*CREATE, {"clause": "create.unknown-model-handled", "expect": "tolerated"}),
     response(400, ERROR)),
    ("content-mp4", (*CONTENT, CONTENT_CASE), response(200, raw=MP4, content_type="video/mp4")),
    ("remix-names-source", (*REMIX, {"clause": "remix.sets-source", "expect": "accepted"}),
     response(200, video(id="video_456", remixed_from_video_id="video_123"))),
    ("deletion", (*DELETE, {"clause": "delete.returns-deletion", "expect": "accepted"}),
     response(200, {"id": "video_123", "object": "video.deleted", "deleted": True})),
    ("queued", RETRIEVE, response(200, video())),
    ("completed", RETRIEVE, response(200, COMPLETED, headers={"openai-poll-after-ms": "200"})),
    ("failed", RETRIEVE, response(200, video(status="failed", error={"code": "moderation", "message": "no"}))),
    ("extra-fields", RETRIEVE, response(200, {**video(), "usage": {"seconds": 4}, "file_path": None})),
    ("not-found", RETRIEVE, response(404, ERROR)),
    ("bad-request", CREATE, response(400, ERROR)),
    ("rate-limited", RETRIEVE, response(429, ERROR, headers={"retry-after": "2"})),
    ("list", LIST, response(200, {"object": "list", "data": [video()], "first_id": "video_123", "last_id": "video_123",
                                  "has_more": False})),
    ("deleted", DELETE, response(200, {"id": "video_123", "object": "video.deleted", "deleted": True})),
    ("character", GET_CHARACTER, response(200, {"id": "char_1", "name": "M", "created_at": NOW})),
    ("character-nulls", GET_CHARACTER, response(200, {"id": None, "name": None, "created_at": NOW, "extra": 1})),
    ("edit", EDIT, response(200, {**video(), "edited_from_video_id": "video_1", "seconds": "12"})),
]


@pytest.mark.parametrize(("operation", "answer"), [c[1:] for c in CONFORMING], ids=[c[0] for c in CONFORMING])
def test_conforming_response_fails_nothing(operation, answer):
    ctx = context()
    ctx.check(answer, _case(operation))
    failed = [r.clause.id for r in ctx.results().values() if r.verdict is Verdict.FAILED]
    assert failed == []


def test_a_case_without_an_answer_blocks_its_own_clause():
    ctx = context()
    ctx.check(response(transport_error="no complete response within 2 s"),
              _case((*CREATE, {"clause": "create.json-accepted", "expect": "accepted"})))
    result = ctx.results()["create.json-accepted"]
    assert (result.verdict, result.blocked_by) == (Verdict.BLOCKED, "response.transport")


def test_a_wrong_type_is_the_schema_clause_alone():
    ctx = context()
    ctx.check(response(200, video(model="sora-2-pro", seconds=4, status="unknown")), _case((*CREATE, VALID_CREATE)))
    failed = [r.clause.id for r in ctx.results().values() if r.verdict is Verdict.FAILED]
    assert failed == ["response.video.schema"]


@pytest.mark.parametrize(("clause_id", "changes"), [
    ("create.initial-status", {"status": "unknown"}),  # new-api's extra status
    ("create.remixed-from-null", {"remixed_from_video_id": ...}),  # nullable fields left out
], ids=["status-outside-the-enum", "remixed-from-missing"])
def test_a_field_off_the_schema_blocks_the_clause_judging_it(clause_id, changes):
    ctx = context()
    ctx.check(response(200, video(**changes)), _case((*CREATE, VALID_CREATE)))
    result = ctx.results()[clause_id]
    assert (verdict(ctx, "response.video.schema"), result.verdict, result.blocked_by) == (
        Verdict.FAILED, Verdict.BLOCKED, "response.video.schema")
    ctx.check(response(200, video()), _case((*CREATE, VALID_CREATE)))  # another create shows it
    assert verdict(ctx, clause_id) is Verdict.PASSED


def test_a_video_in_a_list_is_the_video_clause_alone():
    ctx = context()
    body = {"object": "list", "data": [video(seconds=4)], "first_id": "video_123", "last_id": "video_123",
            "has_more": False}
    ctx.check(response(200, body), case(*LIST))
    assert (verdict(ctx, "response.video.schema"), verdict(ctx, "response.list.schema")) == (Verdict.FAILED,
                                                                                           Verdict.PASSED)
    assert evidence(ctx, "response.video.schema").field == "$.data[0].seconds"


