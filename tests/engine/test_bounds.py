"""A long record within its bounds (a proxy's): what it keeps, what it summarises, and that the judge
still says what it would of the whole (contracts/history.py ``Bounds``, contracts/judge.py ``settle``)."""

from __future__ import annotations

import time

from contracts.checks import Judging
from contracts.history import Bounds, History
from contracts.judge import Judge
from contracts.rules import CONTENT, CREATE, LIST, RETRIEVE
from contracts.types import Verdict
from tests.engine.helpers import ENDED, ERROR, Harness, case, response, video

SMALL = Bounds(answers=50, recent=10, body_bytes=64, jobs=5, per_job=6, observations=12, characters=3, text_chars=16)


def bounded(bounds: Bounds = SMALL) -> Harness:
    harness = Harness()
    harness.history = History(bounds)
    harness.judge = Judge(harness.spec, harness.rules, harness.history, Judging(live=True), started=time.monotonic())
    return harness


def grade(h: Harness, answer, sent) -> None:
    """As the proxy's grader does: record, judge, and evict past the bounds once the judge settled."""
    h.check(answer, sent)
    if h.history.over_bounds():
        cut = h.history.eviction_point()
        h.judge.settle(cut)
        h.history.evict(cut)
        h.judge.forget(cut)


def test_the_record_keeps_its_latest_answers_and_summarises_the_others():
    h = bounded()
    for n in range(1000):
        grade(h, response(404, ERROR), case(*RETRIEVE, f"video_{n}"))
    history = h.history
    assert len(history.answers) <= SMALL.answers * 11 // 10 and len(history) == 1000
    assert [a.seq for a in history.answers] == list(range(history.first_seq, 1001))
    assert sum(history.summary.values()) == history.evicted
    assert history.summary["GET /videos/{video_id} 404"] == history.evicted and history.statuses[404] == 1000
    assert history.get(1) is None and history.get(1000).seq == 1000


def test_older_answers_keep_a_cut_body_and_short_texts_the_latest_their_whole():
    h = bounded()
    for n in range(30):
        grade(h, response(200, video(id=f"video_{n}", prompt="p" * 500)),
              case(*CREATE, json_body={"prompt": "p" * 500}, params={"prompt": "p" * 500}))
    old, latest = h.history.answers[0], h.history.answers[-1]
    assert len(old.body) == SMALL.body_bytes and old.truncated
    assert len(old.case.params["prompt"]) == SMALL.text_chars + 1  # cut, and marked with an ellipsis
    assert not latest.truncated and len(latest.case.params["prompt"]) == 500
    assert len(h.history.jobs) == SMALL.jobs and h.history.jobs_made == 30


def test_a_job_keeps_each_change_of_its_status_and_the_ends_of_each_run():
    h = bounded(Bounds(per_job=6, observations=100))
    h.created()
    for _ in range(50):
        h.polled(status="queued", progress=0)
    middle = h.polled(status="in_progress", progress=10)
    for _ in range(50):
        h.polled(status="in_progress", progress=10)
    h.polled(**ENDED)
    job = h.history.jobs["video_123"]
    assert [o.status for o in job.observations] == ["queued", "queued", "in_progress", "in_progress", "completed"]
    assert job.steady == 1 and job.ended and job.completed and len(job.retrieves) <= 6
    assert job.seen_before(middle.seq + 5).status == "in_progress"  # what the job showed then is still known
    assert h.finish()["lifecycle.status-forward"].verdict is Verdict.PASSED


def test_a_stuck_job_is_told_however_long_its_polls_ran():
    h = bounded(Bounds(observations=12))
    harness_timeout = h.judge.context.judging.job_timeout
    h.created(at=0)
    for t in range(100):
        h.polled(status="in_progress", progress=40, at=t * harness_timeout / 100 + 1)
    result = h.finish()["lifecycle.reaches-terminal"]
    assert result.verdict is Verdict.FAILED and "stuck" in result.evidence[0].message


def test_what_the_end_checks_say_of_an_answer_outlives_it():
    h = bounded()
    grade(h, response(200, video(id="video_run")), case(*CREATE, json_body={"prompt": "a"}, params={"prompt": "a"}))
    early = response(200, raw=b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4")
    grade(h, early, case(*CONTENT, "video_run", partial_body=True))
    grade(h, response(200, video(id="video_run", status="in_progress", progress=5)), case(*RETRIEVE, "video_run"))
    for n in range(200):  # the early download leaves the record
        grade(h, response(200, {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}),
              case(*LIST, query={"limit": 5}))
    assert h.history.get(early.seq) is None
    result = h.finish()["content.not-ready-rejected"]
    assert result.verdict is Verdict.FAILED and result.evidence[0].exchange is not None


def test_findings_beyond_the_kept_ones_are_counted():
    h = bounded()
    for n in range(100):
        grade(h, response(500, ERROR), case(*RETRIEVE, f"video_{n}"))
    result = h.finish()["response.not-server-error"]
    assert result.verdict is Verdict.FAILED and result.checks == 100 and len(result.evidence) == 3
    assert result.note.startswith("100 violations in 100 checks")
    assert len(h.judge._basic_failure) <= SMALL.answers * 11 // 10  # per answer: only those the record holds


def test_a_clause_no_exchange_exercised_says_so():
    result = bounded().finish()["list.order-honoured"]
    assert (result.verdict, result.note) == (Verdict.NOT_VERIFIED, "not exercised by the traffic")


# ---- live traffic: answers that overlap ---------------------------------------------------------------
def _timed(status: int, body, sent: float, took: float = 0.05):
    answer = response(status, body, at=sent)
    answer.elapsed_ms = took * 1000
    return answer


def _deleted(h: Harness, video_id: str, sent: float) -> None:
    h.check(_timed(200, {"id": video_id, "object": "video.deleted", "deleted": True}, sent),
            case("DELETE", "/videos/{video_id}", video_id))


def test_a_retrieve_that_crossed_a_delete_recorded_after_it_is_no_finding():
    h = bounded()
    h.check(_timed(200, video(id="video_a"), 0.0), case(*CREATE, json_body={"prompt": "a"}, params={"prompt": "a"}))
    h.check(_timed(200, video(id="video_a"), 1.0), case(*RETRIEVE, "video_a", purpose="poll"))
    h.check(_timed(404, ERROR, 2.0, took=0.2), case(*RETRIEVE, "video_a", purpose="poll"))  # answered before...
    _deleted(h, "video_a", 2.1)  # ...the delete it crossed was recorded
    assert h.finish()["lifecycle.retrieve-stable"].verdict is not Verdict.FAILED


def test_a_retrieve_answered_404_with_no_delete_around_it_fails_at_the_end():
    h = bounded()
    h.check(_timed(200, video(id="video_a"), 0.0), case(*CREATE, json_body={"prompt": "a"}, params={"prompt": "a"}))
    h.check(_timed(200, video(id="video_a"), 1.0), case(*RETRIEVE, "video_a", purpose="poll"))
    h.check(_timed(404, ERROR, 2.0), case(*RETRIEVE, "video_a", purpose="poll"))
    assert h.results()["lifecycle.retrieve-stable"].verdict is not Verdict.FAILED  # not yet: a delete may come
    _deleted(h, "video_a", 5.0)  # sent after the 404 came: no excuse
    result = h.finish()["lifecycle.retrieve-stable"]
    assert result.verdict is Verdict.FAILED and result.evidence[0].field == "status"


def test_a_download_refused_404_is_judged_once_the_deletes_around_it_are_known():
    h = bounded()
    h.check(_timed(200, video(id="video_a"), 0.0), case(*CREATE, json_body={"prompt": "a"}, params={"prompt": "a"}))
    h.check(_timed(200, video(id="video_a", **ENDED), 1.0), case(*RETRIEVE, "video_a", purpose="poll"))
    h.check(_timed(404, ERROR, 2.0, took=0.2), case(*CONTENT, "video_a", clause="content.download", expect="accepted"))
    crossed = h.finish()["content.download"]
    assert crossed.verdict is Verdict.FAILED  # no delete around it: the completed video's content was refused
    h = bounded()
    h.check(_timed(200, video(id="video_a"), 0.0), case(*CREATE, json_body={"prompt": "a"}, params={"prompt": "a"}))
    h.check(_timed(200, video(id="video_a", **ENDED), 1.0), case(*RETRIEVE, "video_a", purpose="poll"))
    h.check(_timed(404, ERROR, 2.0, took=0.2), case(*CONTENT, "video_a", clause="content.download", expect="accepted"))
    _deleted(h, "video_a", 2.1)
    assert h.finish()["content.download"].verdict is not Verdict.FAILED
