"""Following jobs from their creation to their end, honouring ``openai-poll-after-ms``.

A job is tracked from its create answer on. Its polls are sent while the rest of the run goes on
(the runner schedules ``poll_due`` between requests: ``RunContext.between_requests``), so the suite
watches the job move without waiting for it; ``follow`` then polls what is left until every job
ends or the window closes. The first poll of a job is its retrieve right after create.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from contracts import cases
from contracts.context import RunContext
from contracts.failures import Blocked, ContractViolation, NotVerifiable
from contracts.rules import RETRIEVE

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
    polls: int = 0
    retrievable: bool = False  # a poll was answered 200 (before that, a 404 is retrieve-after-create's)
    # None: a plain job, judged under the lifecycle clauses as it is polled. A list: a derived job
    # (an edit's result, contracts/scenarios/derived.py), whose lifecycle violations are collected
    # here as (lifecycle clause, violation, case, response) and judged under its own clause at the end.
    findings: list[tuple[str, ContractViolation, Any, Any]] | None = None


def all_tracks(ctx: RunContext) -> list[Track]:
    """Every job the run follows: the plain ones (``ctx.tracks``) and the derived one."""
    return [*ctx.tracks, *ctx.derived_tracks]


@contextmanager
def judged(ctx: RunContext, each: Track, clause_id: str, case=None, response=None) -> Iterator[None]:
    """Judge one lifecycle clause on a poll: recorded for a plain job, collected for a derived one."""
    if each.findings is None:
        with ctx.recorder.clause(clause_id, case, response):
            yield
        return
    try:
        yield
    except ContractViolation as violation:
        each.findings.append((clause_id, violation, case, response))
    except (Blocked, NotVerifiable):
        pass  # no complete answer (response.transport's) or nothing to judge: no finding


def track(ctx: RunContext, job: dict[str, Any]) -> None:
    """Start following a job from its create answer (its first observation)."""
    if not isinstance(job.get("id"), str) or any(t.video_id == job["id"] for t in ctx.tracks):
        return
    progress = job.get("progress")
    ctx.tracks.append(Track(job["id"], history=[(job.get("status"), progress if isinstance(progress, int) else None)],
                            last=job, done=job.get("status") in ctx.rules.statuses.terminal))
    if job.get("status") in ctx.rules.statuses.terminal:
        ctx.cost.job_followed(job["id"])
        ctx.finished.add(job["id"])


def poll_due(ctx: RunContext) -> None:
    """Poll the tracked jobs whose next poll is due (the runner calls this between requests)."""
    now = time.monotonic()
    for each in all_tracks(ctx):
        if not each.done and each.next_poll <= now and each.video_id not in ctx.deleted:
            poll_once(ctx, each)


def wait_until_idle(ctx: RunContext) -> None:
    """Poll until none of the run's jobs is running (a target that takes one job at a time), within
    the job window and the budget. Jobs not tracked yet are tracked from their id."""
    for video_id in ctx.running():
        if not any(t.video_id == video_id for t in all_tracks(ctx)):
            ctx.tracks.append(Track(video_id, history=[(None, None)], polls=1, retrievable=True))
    poll_until(ctx, lambda: [t for t in all_tracks(ctx) if not t.done and t.video_id in ctx.running()])


def poll_after(response) -> float:
    value = response.headers.get("openai-poll-after-ms")
    try:
        seconds = int(value) / 1000 if value is not None else DEFAULT_POLL_SECONDS
    except ValueError:
        seconds = DEFAULT_POLL_SECONDS
    return max(MIN_POLL_SECONDS, seconds)


def follow(ctx: RunContext) -> list[Track]:
    """Poll every tracked job until it ends or ``job_timeout`` passes; decide reaches-terminal."""
    poll_until(ctx, lambda: [t for t in ctx.tracks if not t.done])
    for each in ctx.tracks:
        if not each.retrievable and not each.done:
            ctx.recorder.unmet("lifecycle.reaches-terminal", f"{each.video_id} could never be retrieved")
            continue
        with ctx.recorder.clause("lifecycle.reaches-terminal"):
            if not each.done:
                unfinished(ctx, each)
    return ctx.tracks


def poll_until(ctx: RunContext, pending_tracks) -> None:
    give_up = time.monotonic() + min(ctx.options.job_timeout, max(0.0, ctx.client.remaining() - 5))
    while True:
        pending = pending_tracks()
        if not pending or time.monotonic() >= give_up:
            break
        due = min(pending, key=lambda t: t.next_poll)
        wait = due.next_poll - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, max(0.0, give_up - time.monotonic())))
            if time.monotonic() >= give_up:
                break
        poll_once(ctx, due)


def unfinished(ctx: RunContext, each: Track) -> None:
    """A job still running when the window closed: slow (not verified) or stuck (a violation).

    A slow GPU queue is not a violation, so an unfinished job is only reported when it is plainly
    stuck: in_progress at a progress above 0 that has not moved for at least half the window
    (a worker that died after its last step), or any unfinished job of the embedded server."""
    window = ctx.options.job_timeout
    status, progress = each.history[-1]
    still = time.monotonic() - each.changed_at
    completed, failed = ctx.rules.statuses.terminal
    if status == ctx.rules.statuses.in_progress and (progress or 0) > 0 and each.polls_since_change >= STUCK_POLLS \
            and still >= window / 2:
        raise ContractViolation("lifecycle.reaches-terminal", f"{each.video_id} stayed {status} at {progress}% "
                                f"for {still:.1f} s ({each.polls_since_change} polls) and never ended: stuck "
                                "(raise --job-timeout if your jobs really pause that long)",
                                field="$.progress", received=progress, expected=f"progress, or {completed}/{failed}")
    if ctx.options.embedded:
        raise ContractViolation("lifecycle.reaches-terminal", f"{each.video_id} was still {status} after "
                                f"{window:g} s", field="$.status", received=status, expected=f"{completed} or {failed}")
    raise NotVerifiable(f"{each.video_id} was still {status} after {window:g} s (raise --job-timeout for slow servers)")


def poll_once(ctx: RunContext, each: Track) -> None:
    each.next_poll = float("inf")  # not due again while this poll is under way
    first = each.polls == 0
    each.polls += 1
    case = cases.call(f"poll {each.video_id}", *RETRIEVE, each.video_id)
    if first:
        case.name, case.clause, case.expect = "retrieve right after create", "lifecycle.retrieve-after-create", "accepted"
    response = ctx.transmit(case)
    each.next_poll = time.monotonic() + min(poll_after(response), ctx.options.poll_interval_cap)
    if not response.ok or response.status == 429:
        return  # no answer (response.transport's) or rate limited: poll again later
    if response.status != 200:
        if not each.retrievable:
            # Not retrievable yet: the first poll already judged retrieve-after-create; later ones
            # wait for the job to appear (a lagging store), unless it was retrievable at once.
            if not first and each.findings is None:
                ctx.recorder.unmet("lifecycle.retrieve-stable", f"{each.video_id} was never retrievable")
            return
        with judged(ctx, each, "lifecycle.retrieve-stable", case, response):
            each.done = True  # a job that vanished cannot be followed further
            ctx.video("lifecycle.retrieve-stable", response, f"retrieving {each.video_id} while polling")
        return
    video = response.json_object()
    if video is None:
        return  # the schema clause's
    if not first and each.retrievable and each.findings is None:
        ctx.recorder.passed("lifecycle.retrieve-stable")
    each.retrievable = True
    status, progress = video.get("status"), video.get("progress")
    observed = (status, progress if isinstance(progress, int) else None)
    previous = each.history[-1]
    each.history.append(observed)
    each.last = video
    if observed != previous:
        each.changed_at, each.polls_since_change = time.monotonic(), 0
    else:
        each.polls_since_change += 1
    went_back = False
    statuses = ctx.rules.statuses
    if previous[0] is not None:
        with judged(ctx, each, "lifecycle.status-forward", case, response):
            rank, before = statuses.rank(status), statuses.rank(previous[0])
            if rank is not None and before is not None and (
                rank < before or (previous[0] in statuses.terminal and status != previous[0])
            ):
                went_back = True
                raise ContractViolation("lifecycle.status-forward", f"status went back from {previous[0]} to {status}",
                                        field="$.status", received=status, expected=f"{previous[0]} or later")
    if went_back:
        # A job sent back to an earlier status restarts its progress: one root cause, said once.
        if each.findings is None:
            ctx.recorder.blocked("lifecycle.progress-monotonic", "lifecycle.status-forward")
    else:
        with judged(ctx, each, "lifecycle.progress-monotonic", case, response):
            if previous[1] is not None and observed[1] is not None and observed[1] < previous[1]:
                raise ContractViolation("lifecycle.progress-monotonic", f"progress fell from {previous[1]} to {progress}",
                                        field="$.progress", received=progress, expected=f">= {previous[1]}")
    if status in statuses.terminal:
        # A plain job that ended by its first poll is retrieved once more, so that retrieve-stable
        # (retrievable across polls) is judged on every followed job however fast it ran: under
        # load a short job can end before its first poll, which then left the clause not verified.
        each.done = not (first and each.findings is None)
        ctx.cost.job_followed(each.video_id)
        ctx.finished.add(each.video_id)
