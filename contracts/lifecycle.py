"""Following jobs from their creation to their end, honouring ``openai-poll-after-ms``.

A job is tracked from its create answer on. Its polls are sent while the rest of the run goes on
(the context calls ``poll_due`` before each request), so the suite watches the job move without
waiting for it; ``follow`` then polls what is left until every job ends or the window closes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from contracts import cases
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable

TERMINAL = ("completed", "failed")
ORDER = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
DEFAULT_POLL_SECONDS = 1.0  # the SDK's own default when the header is absent
MIN_POLL_SECONDS = 0.02
STUCK_POLLS = 3  # polls without any change before an unfinished job can count as stuck


@dataclass
class Track:
    video_id: str
    history: list[tuple[str, int | None]] = field(default_factory=list)  # (status, progress): create, polls
    last: dict[str, Any] | None = None
    done: bool = False
    next_poll: float = 0.0
    changed_at: float = field(default_factory=time.monotonic)  # when (status, progress) last changed
    polls_since_change: int = 0


def track(ctx: RunContext, job: dict[str, Any]) -> None:
    """Start following a job from its create answer (its first observation)."""
    if not isinstance(job.get("id"), str) or any(t.video_id == job["id"] for t in ctx.tracks):
        return
    progress = job.get("progress")
    ctx.tracks.append(Track(job["id"], history=[(job.get("status"), progress if isinstance(progress, int) else None)],
                            last=job, done=job.get("status") in TERMINAL))
    if job.get("status") in TERMINAL:
        ctx.cost.job_followed(job["id"])
    if len(ctx.tracks) == 1:
        ctx.before_send.append(poll_due)


def poll_due(ctx: RunContext) -> None:
    """Poll the tracked jobs whose next poll is due (called before each request of the run)."""
    now = time.monotonic()
    for each in ctx.tracks:
        if not each.done and each.next_poll <= now:
            poll_once(ctx, each)


def poll_after(response) -> float:
    value = response.headers.get("openai-poll-after-ms")
    try:
        seconds = int(value) / 1000 if value is not None else DEFAULT_POLL_SECONDS
    except ValueError:
        seconds = DEFAULT_POLL_SECONDS
    return max(MIN_POLL_SECONDS, seconds)


def follow(ctx: RunContext) -> list[Track]:
    """Poll every tracked job until it ends or ``job_timeout`` passes; decide reaches-terminal."""
    give_up = time.monotonic() + min(ctx.options.job_timeout, max(0.0, ctx.client.remaining() - 5))
    while True:
        pending = [t for t in ctx.tracks if not t.done]
        if not pending or time.monotonic() >= give_up:
            break
        due = min(pending, key=lambda t: t.next_poll)
        wait = due.next_poll - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, max(0.0, give_up - time.monotonic())))
            if time.monotonic() >= give_up:
                break
        poll_once(ctx, due)
    for each in ctx.tracks:
        with ctx.recorder.clause("lifecycle.reaches-terminal"):
            if not each.done:
                unfinished(ctx, each)
    return ctx.tracks


def unfinished(ctx: RunContext, each: Track) -> None:
    """A job still running when the window closed: slow (not verified) or stuck (a violation).

    A slow GPU queue is not a violation, so an unfinished job is only reported when it is plainly
    stuck: in_progress at a progress above 0 that has not moved for at least half the window
    (a worker that died after its last step), or any unfinished job of the embedded server."""
    window = ctx.options.job_timeout
    status, progress = each.history[-1]
    still = time.monotonic() - each.changed_at
    if status == "in_progress" and (progress or 0) > 0 and each.polls_since_change >= STUCK_POLLS \
            and still >= window / 2:
        raise ContractViolation("lifecycle.reaches-terminal", f"{each.video_id} stayed in_progress at {progress}% "
                                f"for {still:.1f} s ({each.polls_since_change} polls) and never ended: stuck "
                                "(raise --job-timeout if your jobs really pause that long)",
                                field="$.progress", received=progress, expected="progress, or completed/failed")
    if ctx.options.embedded:
        raise ContractViolation("lifecycle.reaches-terminal", f"{each.video_id} was still {status} after "
                                f"{window:g} s", field="$.status", received=status, expected="completed or failed")
    raise NotVerifiable(f"{each.video_id} was still {status} after {window:g} s (raise --job-timeout for slow servers)")


def poll_once(ctx: RunContext, each: Track) -> None:
    each.next_poll = float("inf")  # not due again while this poll is under way
    case = cases.call(f"poll {each.video_id}", "GET", "/videos/{video_id}", each.video_id)
    response = ctx.send(case)
    each.next_poll = time.monotonic() + min(poll_after(response), ctx.options.poll_interval_cap)
    if response.ok and response.status == 429:
        return
    try:
        with ctx.recorder.clause("lifecycle.retrieve-stable", case, response):
            video = ctx.video("lifecycle.retrieve-stable", response, f"retrieving {each.video_id} while polling")
    finally:
        if not (response.ok and response.status == 200):
            each.done = True  # a job that vanished cannot be followed further
    if not (response.ok and response.status == 200):
        return
    status, progress = video.get("status"), video.get("progress")
    observed = (status, progress if isinstance(progress, int) else None)
    previous = each.history[-1]
    each.history.append(observed)
    each.last = video
    if observed != previous:
        each.changed_at, each.polls_since_change = time.monotonic(), 0
    else:
        each.polls_since_change += 1
    with ctx.recorder.clause("lifecycle.status-forward", case, response):
        if status in ORDER and previous[0] in ORDER and (
            ORDER[status] < ORDER[previous[0]] or (previous[0] in TERMINAL and status != previous[0])
        ):
            raise ContractViolation("lifecycle.status-forward", f"status went back from {previous[0]} to {status}",
                                    field="$.status", received=status, expected=f"{previous[0]} or later")
    with ctx.recorder.clause("lifecycle.progress-monotonic", case, response):
        if previous[1] is not None and observed[1] is not None and observed[1] < previous[1]:
            raise ContractViolation("lifecycle.progress-monotonic", f"progress fell from {previous[1]} to {progress}",
                                    field="$.progress", received=progress, expected=f">= {previous[1]}")
    if status in TERMINAL:
        each.done = True
        ctx.cost.job_followed(each.video_id)
