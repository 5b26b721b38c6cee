"""Lifecycle polling: how long to wait between polls, and where following a job starts."""

from __future__ import annotations

import pytest

from contracts.context import RunContext
from contracts.failures import ContractViolation
from contracts.lifecycle import DEFAULT_POLL_SECONDS, MIN_POLL_SECONDS, Track, judged, poll_after, poll_once, track
from contracts.options import RunOptions
from contracts.rules import Rules
from contracts.spec import load_spec
from contracts.types import Verdict
from tests.engine.helpers import response


def run_context() -> RunContext:
    spec = load_spec()
    return RunContext(spec=spec, rules=Rules.from_spec(spec), client=None, options=RunOptions(base_url="http://target/v1"))


@pytest.mark.parametrize(
    "header, seconds",
    [
        pytest.param(None, DEFAULT_POLL_SECONDS, id="absent-the-sdk-default"),
        pytest.param("250", 0.25, id="milliseconds"),
        pytest.param("0", MIN_POLL_SECONDS, id="zero-floored"),
        pytest.param("soon", DEFAULT_POLL_SECONDS, id="not-a-number"),
    ],
)
def test_poll_after_honours_the_header(header, seconds):
    headers = {"openai-poll-after-ms": header} if header is not None else {}
    assert poll_after(response(200, {}, headers=headers)) == seconds


def test_a_job_is_followed_from_its_create_answer_once():
    ctx = run_context()
    job = {"id": "video_1", "status": "queued", "progress": 0}
    track(ctx, job)
    track(ctx, dict(job, status="in_progress"))  # the same job again: still one track
    assert [(t.video_id, t.history, t.done) for t in ctx.tracks] == [("video_1", [("queued", 0)], False)]


def test_a_job_that_is_already_over_is_done_at_once():
    ctx = run_context()
    track(ctx, {"id": "video_2", "status": "completed", "progress": 100})
    assert ctx.tracks[0].done and "video_2" in ctx.finished


def test_an_answer_without_an_id_is_not_followed():
    ctx = run_context()
    track(ctx, {"status": "queued"})
    assert ctx.tracks == []


def test_a_derived_jobs_violation_is_collected_not_recorded():
    """The followed edit's lifecycle findings wait for its own clause (edit.result-completes); a
    plain job's are recorded under the lifecycle clause at once."""
    ctx = run_context()
    derived, plain = Track("video_e", findings=[]), Track("video_p")
    for each in (derived, plain):
        with judged(ctx, each, "lifecycle.status-forward"):
            raise ContractViolation("lifecycle.status-forward", "status went back from in_progress to queued")
    assert [(cid, v.message) for cid, v, *_ in derived.findings] == [
        ("lifecycle.status-forward", "status went back from in_progress to queued")]
    assert ctx.recorder.has_failed("lifecycle.status-forward")  # the plain job's
    assert not ctx.recorder.has_failed("edit.result-completes")  # judged later, by the edit step


def test_a_job_over_by_its_first_poll_is_retrieved_once_more():
    """A short job can end before its first poll (the retrieve right after create) on a loaded
    machine; one more retrieve still judges retrieve-stable instead of leaving it not verified."""
    ctx = run_context()
    answers = iter([response(200, {"id": "video_3", "status": "completed", "progress": 100})] * 2)
    ctx.transmit = lambda case, **_: next(answers)
    track(ctx, {"id": "video_3", "status": "queued", "progress": 0})
    job = ctx.tracks[0]
    poll_once(ctx, job)
    assert not job.done and "video_3" in ctx.finished  # ended, but retrieved once more
    poll_once(ctx, job)
    assert job.done
    assert ctx.recorder.verdict_of("lifecycle.retrieve-stable") == Verdict.PASSED
