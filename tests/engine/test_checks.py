"""Every response check fails on a response that breaks its clause, naming clause and field,
and passes on a conforming one (a check that cannot fail is a defect)."""

from __future__ import annotations

import pytest

from contracts.checks import REGISTRY, run_checks
from contracts.types import Verdict
from tests.engine.helpers import COMPLETED, ERROR, NOW, case, context, evidence, response, verdict, video

RETRIEVE = ("GET", "/videos/{video_id}")
CREATE = ("POST", "/videos")
LIST = ("GET", "/videos")
DELETE = ("DELETE", "/videos/{video_id}")

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
    ("429-without-retry-after", RETRIEVE, response(429, ERROR), "response.rate-limit.retry-after", "Retry-After"),
]


@pytest.mark.parametrize(("operation", "answer", "clause_id", "field"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_response_fails_its_clause(operation, answer, clause_id, field):
    ctx = context()
    run_checks(ctx, answer, case(*operation))
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


CONFORMING = [
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
]


@pytest.mark.parametrize(("operation", "answer"), [c[1:] for c in CONFORMING], ids=[c[0] for c in CONFORMING])
def test_conforming_response_fails_nothing(operation, answer):
    ctx = context()
    run_checks(ctx, answer, case(*operation))
    failed = [r.clause.id for r in ctx.recorder.results() if r.verdict is Verdict.FAILED]
    assert failed == []


def test_every_registered_check_is_exercised_by_a_broken_response():
    broken_clauses = {b[3] for b in BROKEN}
    registered = {clause_id for clause_id, _ in REGISTRY}
    assert registered <= broken_clauses, f"checks without a failing test: {sorted(registered - broken_clauses)}"
