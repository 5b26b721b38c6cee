"""Checks over several answers, fed the record a run would make: each fails on a sequence that
breaks its clause, naming clause and field, and passes on one the contract allows."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contracts.cases import Case
from contracts.checks import AT_END, REGISTRY
from contracts.rules import CONTENT, CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, LIST, RETRIEVE
from contracts.types import Verdict
from tests.engine.helpers import ENDED, ERROR, NOW, Harness, case, response, video
from tests.engine.test_checks import BROKEN

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def _list(*ids: str, has_more: bool = False, stamps: list[int] | None = None) -> dict:
    data = [video(id=i, created_at=(stamps[n] if stamps else NOW)) for n, i in enumerate(ids)]
    return {"object": "list", "data": data, "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None,
            "has_more": has_more}


def _edit(h: Harness, made: str, source: str | None = None, *, status: int = 200, body=None):
    payload = {"prompt": "snow", **({"video": {"id": source}} if source else {})}
    return h.check(response(status, body if body is not None else video(id=made)),
                   case(*EDIT, json_body=payload))


def _baseline(h: Harness, encoding: str, full: bool, status: int):
    params = {"prompt": "a boat", **({"model": "sora-2", "seconds": "4", "size": "720x1280"} if full else {})}
    sent = case(*CREATE, purpose="baseline", params=params)
    if encoding == "json":
        sent.json_body = params
    else:
        sent.form = list(params.items())
    return h.check(response(status, video(id=f"video_{encoding}_{full}") if status == 200 else ERROR), sent)


# (id, the record, the clause that fails, the field it names); ``finish``: judged at the end
Sequence = Callable[[Harness], None]
BROKEN_SEQUENCES: list[tuple[str, Sequence, str, str]] = [
    ("not-retrievable-at-once", lambda h: (h.created(), h.polled(http=404)), "lifecycle.retrieve-after-create",
     "status"),
    ("retrieve-answers-another", lambda h: (h.created(), h.polled(id="video_9")), "lifecycle.retrieve-after-create",
     "$.id"),
    ("retrievable-then-gone", lambda h: (h.created(), h.polled(), h.polled(http=404)), "lifecycle.retrieve-stable",
     "status"),
    ("status-back", lambda h: (h.created(), h.polled(status="in_progress", progress=50),
                               h.polled(status="queued", progress=0)), "lifecycle.status-forward", "$.status"),
    ("progress-falls", lambda h: (h.created(), h.polled(status="in_progress", progress=50),
                                  h.polled(status="in_progress", progress=20)), "lifecycle.progress-monotonic",
     "$.progress"),
    ("stuck", lambda h: (h.created(at=0), *[h.polled(status="in_progress", progress=40, at=t) for t in (0, 20, 40, 61, 80)]),
     "lifecycle.reaches-terminal", "$.progress"),
    ("edit-job-goes-back", lambda h: (_edit(h, "video_e"), h.polled("video_e", status="in_progress", progress=50),
                                      h.polled("video_e", status="queued", progress=0)), "edit.result-completes",
     "$.status"),
    ("edit-content-refused", lambda h: (_edit(h, "video_e"), h.polled("video_e", **ENDED),
                                        h.check(response(404, ERROR), case(*CONTENT, "video_e"))),
     "edit.result-completes", "status"),
    ("content-before-completion", lambda h: (h.created(), h.check(response(200, raw=MP4, content_type="video/mp4"),
                                                                   case(*CONTENT, partial_body=True))),
     "content.not-ready-rejected", "status"),
    ("deleted-still-there", lambda h: (h.created(), h.check(response(200, {"id": "video_123", "object": "video.deleted",
                                                                           "deleted": True}), case(*DELETE)),
                                       h.check(response(200, video()), case(*RETRIEVE))), "delete.then-not-found",
     "status"),
    ("id-reused", lambda h: (h.created(), h.created()), "video.ids-unique", "$.id"),
    ("refused-while-busy", lambda h: _busy(h), "create.queued-while-busy", "status"),
    ("extension-not-stitched", lambda h: (h.created(), h.polled(**{**ENDED, "seconds": "4"}),
                                          h.check(response(200, video(id="video_x", seconds="4")),
                                                  case(*EXTEND, json_body={"prompt": "on", "seconds": "4",
                                                                           "video": {"id": "video_123"}}))),
     "extend.seconds-stitched", "$.seconds"),
    ("unfinished-source-accepted", lambda h: (h.created(), _edit(h, "video_e", "video_123"),
                                              h.polled(status="in_progress", progress=10)),
     "edit.unfinished-source-rejected", "status"),
    ("character-not-kept", lambda h: (h.check(response(200, {"id": "char_1", "name": "M", "created_at": NOW}),
                                              case(*CREATE_CHARACTER, form=[("name", "M")])),
                                      h.check(response(404, ERROR), Case(name="get", method="GET",
                                                                         path="/videos/characters/char_1",
                                                                         operation=GET_CHARACTER))),
     "character.retrievable", "status"),
    ("after-repeats", lambda h: (h.check(response(200, _list("a", "b", has_more=True)), case(*LIST, query={"limit": 2})),
                                 h.check(response(200, _list("b", "c")), case(*LIST, query={"limit": 2, "after": "b"}))),
     "list.after-honoured", "$.data[*].id"),
    ("fewer-than-exist", lambda h: (h.created("v1"), h.created("v2"), h.created("v3"),
                                    h.check(response(200, _list("v3", has_more=True)), case(*LIST, query={"limit": 2}))),
     "list.limit-honoured", "$.data"),
    ("json-refused", lambda h: (_baseline(h, "json", False, 415), _baseline(h, "multipart", False, 200)),
     "create.json-accepted", "status"),
    ("prompt-only-refused", lambda h: (_baseline(h, "json", False, 400), _baseline(h, "multipart", False, 400),
                                       _baseline(h, "json", True, 200)), "create.optional-fields-omittable", "status"),
    ("refused-in-one-encoding", lambda h: _contrast(h), "create.json-accepted", "status"),
]


def _busy(h: Harness) -> None:
    """A create refused with 503 while another job runs, sent again once it ended and accepted."""
    h.created("video_1")
    sent = case(*CREATE, json_body={"prompt": "b"}, params={"prompt": "b"}, clause="create.json-accepted",
                expect="accepted")
    refused = response(503, ERROR, headers={"retry-after": "1"})
    refused.superseded = True
    h.check(refused, sent)
    h.polled("video_1", **ENDED)
    h.check(response(200, video(id="video_2")), sent)


def _contrast(h: Harness) -> None:
    """A property refused as JSON, accepted alone as multipart: the refusal is JSON's."""
    refused = h.check(response(400, ERROR), case(*CREATE, json_body={"prompt": "é" * 3}, carries=("create.prompt.unusual-unicode-accepted",)))
    h.check(response(200, video(id="video_m")), case(*CREATE, form=[("prompt", "é" * 3)], contrast=refused.seq,
                                                     clause="create.prompt.unusual-unicode-accepted", expect="accepted"))


@pytest.mark.parametrize(("record", "clause_id", "field"), [b[1:] for b in BROKEN_SEQUENCES],
                         ids=[b[0] for b in BROKEN_SEQUENCES])
def test_a_broken_record_fails_its_clause(record, clause_id, field):
    harness = Harness()
    record(harness)
    result = harness.finish()[clause_id]
    assert result.verdict is Verdict.FAILED, result.note
    assert (result.evidence[0].clause_id, result.evidence[0].field) == (clause_id, field)
    assert result.evidence[0].message


CONFORMING_SEQUENCES: list[tuple[str, Sequence, tuple[str, ...]]] = [
    ("a-job-followed-to-its-end", lambda h: (h.created(), h.polled(status="in_progress", progress=30),
                                             h.polled(**ENDED), h.polled(**ENDED)),
     ("lifecycle.retrieve-after-create", "lifecycle.retrieve-stable", "lifecycle.status-forward",
      "lifecycle.progress-monotonic", "lifecycle.reaches-terminal")),
    ("a-failed-job-still-retrievable", lambda h: (h.created(), h.polled(status="failed", error={"code": "x", "message": "y"}),
                                                  h.polled(status="failed", error={"code": "x", "message": "y"})),
     ("lifecycle.retrieve-stable", "lifecycle.reaches-terminal")),
    ("content-refused-until-completed", lambda h: (h.created(), h.check(response(404, ERROR), case(*CONTENT))),
     ("content.not-ready-rejected",)),
    ("deleted-then-404", lambda h: (h.created(), h.check(response(200, {"id": "video_123", "object": "video.deleted",
                                                                         "deleted": True}), case(*DELETE)),
                                    h.check(response(404, ERROR), case(*RETRIEVE))), ("delete.then-not-found",)),
    ("queued-while-busy", lambda h: (h.created("video_1"), h.created("video_2")), ("create.queued-while-busy",)),
    ("unfinished-source-refused-404", lambda h: (h.created(), _edit(h, "x", "video_123", status=404, body=ERROR)),
     ("edit.unfinished-source-rejected",)),
    ("unfinished-source-refused-400", lambda h: (h.created(), _edit(h, "x", "video_123", status=400, body=ERROR)),
     ("edit.unfinished-source-rejected",)),
    ("stitched", lambda h: (h.created(), h.polled(**{**ENDED, "seconds": "4"}),
                            h.check(response(200, video(id="video_x", seconds="8")),
                                    case(*EXTEND, json_body={"prompt": "on", "seconds": "4", "video": {"id": "video_123"}}))),
     ("extend.seconds-stitched",)),
    ("pages-walked", lambda h: (h.check(response(200, _list("a", "b", has_more=True)), case(*LIST, query={"limit": 2})),
                                h.check(response(200, _list("c")), case(*LIST, query={"limit": 2, "after": "b"}))),
     ("list.after-honoured",)),
    ("ties-in-any-order", lambda h: h.check(response(200, _list("a", "b", "c", stamps=[NOW, NOW, NOW - 3])),
                                            case(*LIST, query={"order": "desc"})), ("list.order-honoured",)),
    ("limit-0-an-empty-page", lambda h: h.check(response(200, _list()), case(*LIST, query={"limit": 0})),
     ("list.limit-range",)),
    ("limit-101-served-as-100", lambda h: h.check(response(200, _list("a")), case(*LIST, query={"limit": 101})),
     ("list.limit-range",)),
    ("limit-101-refused", lambda h: h.check(response(400, ERROR), case(*LIST, query={"limit": 101})),
     ("list.limit-range",)),
    ("both-encodings", lambda h: (_baseline(h, "json", False, 200), _baseline(h, "multipart", False, 200)),
     ("create.json-accepted", "create.multipart-accepted", "create.optional-fields-omittable")),
]


@pytest.mark.parametrize(("record", "passed"), [c[1:] for c in CONFORMING_SEQUENCES],
                         ids=[c[0] for c in CONFORMING_SEQUENCES])
def test_a_conforming_record_passes(record, passed):
    harness = Harness()
    record(harness)
    results = harness.finish()
    assert [cid for cid, r in results.items() if r.verdict is Verdict.FAILED] == []
    assert {cid: results[cid].verdict for cid in passed} == {cid: Verdict.PASSED for cid in passed}


@pytest.mark.parametrize(("record", "clause_id", "note"), [
    pytest.param(lambda h: (h.created(at=0), *[h.polled(status="queued", at=t) for t in (0, 60, 121)]),
                 "lifecycle.reaches-terminal", "was still queued after 121 s", id="a-slow-queue-is-no-violation"),
    pytest.param(lambda h: (h.created(), h.check(response(200, raw=MP4, content_type="video/mp4"), case(*CONTENT)),
                            h.polled(**ENDED)),
                 "content.not-ready-rejected", "completed while its content was being asked for",
                 id="content-of-a-job-that-just-completed"),
    pytest.param(lambda h: h.check(response(200, _list("a", "b", stamps=[NOW, NOW])), case(*LIST, query={"order": "asc"})),
                 "list.order-honoured", "same created_at second", id="order-cannot-be-seen"),
], )
def test_what_a_record_cannot_show_is_not_verified(record, clause_id, note):
    harness = Harness()
    record(harness)
    result = harness.finish()[clause_id]
    assert result.verdict is Verdict.NOT_VERIFIED and note in result.note


def test_a_job_the_reference_server_never_ends_is_a_violation():
    harness = Harness(embedded=True)
    harness.created()
    harness.polled(status="queued", at=0)
    harness.polled(status="queued", at=30)
    assert harness.finish()["lifecycle.reaches-terminal"].verdict is Verdict.FAILED


def test_an_edit_job_defect_every_job_shows_is_said_once():
    """The followed create and the followed edit both go back: lifecycle.status-forward fails, the
    edit's clause is blocked by it (one defect of every job)."""
    harness = Harness()
    harness.created()
    harness.polled(status="in_progress", progress=50)
    harness.polled(status="queued", progress=0)
    _edit(harness, "video_e")
    harness.polled("video_e", status="in_progress", progress=50)
    harness.polled("video_e", status="queued", progress=0)
    results = harness.finish()
    assert results["lifecycle.status-forward"].verdict is Verdict.FAILED
    completes = results["edit.result-completes"]
    assert (completes.verdict, completes.blocked_by) == (Verdict.BLOCKED, "lifecycle.status-forward")


def test_an_id_answered_to_two_creates_is_not_one_jobs_lifecycle():
    """The second create's job starts queued under the first one's id (running by then): that is
    video.ids-unique's finding, not a status that went back."""
    harness = Harness()
    harness.created()
    harness.polled(status="in_progress", progress=50)
    harness.created()
    harness.polled(status="queued", progress=0)
    results = harness.finish()
    assert results["video.ids-unique"].verdict is Verdict.FAILED
    assert results["lifecycle.status-forward"].verdict is not Verdict.FAILED
    assert results["lifecycle.progress-monotonic"].verdict is not Verdict.FAILED


def test_a_deleted_video_answered_like_any_missing_id_is_that_ones_finding():
    harness = Harness()
    harness.check(response(400, ERROR), case(*CONTENT, "video_nope", clause="errors.unknown-id-not-found",
                                             expect="not-found"))
    harness.created()
    harness.check(response(200, {"id": "video_123", "object": "video.deleted", "deleted": True}), case(*DELETE))
    harness.check(response(410, ERROR), case(*RETRIEVE))
    gone = harness.finish()["delete.then-not-found"]
    assert gone.verdict is Verdict.BLOCKED


def test_an_auth_probe_is_judged_for_auth_alone():
    harness = Harness()
    harness.created()
    harness.polled()
    harness.check(response(401, ERROR), case(*RETRIEVE, auth=None, clause="auth.missing-key-rejected",
                                             expect="unauthorized"))
    harness.check(response(401, ERROR), case(*LIST, query={"limit": 1}, auth=None))
    results = harness.finish()
    assert [cid for cid, r in results.items() if r.verdict is Verdict.FAILED] == []


def test_every_check_fails_on_some_broken_answer_or_record():
    broken = {b[3] for b in BROKEN} | {b[2] for b in BROKEN_SEQUENCES}
    registered = {clause_id for clause_id, _ in REGISTRY if clause_id is not None} | {c for c, _ in AT_END if c is not None}
    assert sorted(registered - broken) == [], "checks without a failing test"
