"""Polling a job until it ends, honouring ``openai-poll-after-ms``, within a time budget."""

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


@dataclass
class Track:
    video_id: str
    history: list[tuple[str, int | None]] = field(default_factory=list)  # (status, progress) per poll
    last: dict[str, Any] | None = None
    done: bool = False
    next_poll: float = 0.0


def poll_after(response) -> float:
    value = response.headers.get("openai-poll-after-ms")
    try:
        seconds = int(value) / 1000 if value is not None else DEFAULT_POLL_SECONDS
    except ValueError:
        seconds = DEFAULT_POLL_SECONDS
    return max(MIN_POLL_SECONDS, seconds)


def follow(ctx: RunContext, video_ids: list[str]) -> list[Track]:
    """Poll every job until it is terminal or ``job_timeout`` passes; evaluate the lifecycle clauses."""
    tracks = [Track(video_id) for video_id in video_ids]
    give_up = time.monotonic() + min(ctx.options.job_timeout, max(0.0, ctx.client.remaining() - 5))
    while True:
        pending = [t for t in tracks if not t.done]
        if not pending or time.monotonic() >= give_up:
            break
        track = min(pending, key=lambda t: t.next_poll)
        wait = track.next_poll - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, max(0.0, give_up - time.monotonic())))
            if time.monotonic() >= give_up:
                break
        poll_once(ctx, track)
    for track in tracks:
        with ctx.recorder.clause("lifecycle.reaches-terminal"):
            if not track.done:
                unfinished(ctx, track)
    return tracks


def unfinished(ctx: RunContext, track: Track) -> None:
    """A job still running when the window closed: slow (not verified) or stuck (a violation).

    A slow GPU queue is not a violation, so an unfinished job is only reported when it is plainly
    stuck: in_progress with a progress above 0 that never moved during the whole window (a worker
    that died after its last step), or any unfinished job of the embedded reference server."""
    window = ctx.options.job_timeout
    last_status, last_progress = track.history[-1] if track.history else ("unknown", None)
    frozen = len(track.history) >= 3 and len(set(track.history)) == 1
    if frozen and last_status == "in_progress" and (last_progress or 0) > 0:
        raise ContractViolation("lifecycle.reaches-terminal", f"{track.video_id} stayed in_progress at "
                                f"{last_progress}% for the whole {window:g} s window ({len(track.history)} polls): "
                                "stuck (raise --job-timeout if your jobs really pause that long)",
                                field="$.progress", received=last_progress, expected="progress, or completed/failed")
    if ctx.options.embedded:
        raise ContractViolation("lifecycle.reaches-terminal", f"{track.video_id} was still {last_status} after "
                                f"{window:g} s", field="$.status", received=last_status, expected="completed or failed")
    raise NotVerifiable(f"{track.video_id} was still {last_status} after {window:g} s "
                        "(raise --job-timeout for slow servers)")


def poll_once(ctx: RunContext, track: Track) -> None:
    case = cases.call(f"poll {track.video_id}", "GET", "/videos/{video_id}", track.video_id)
    response = ctx.send(case)
    track.next_poll = time.monotonic() + min(poll_after(response), ctx.options.poll_interval_cap)
    if response.ok and response.status == 429:
        return
    try:
        with ctx.recorder.clause("lifecycle.retrieve-stable", case, response):
            video = ctx.video("lifecycle.retrieve-stable", response, f"retrieving {track.video_id} while polling")
    finally:
        if not (response.ok and response.status == 200):
            track.done = True  # a job that vanished cannot be followed further
    if not (response.ok and response.status == 200):
        return
    status, progress = video.get("status"), video.get("progress")
    previous = track.history[-1] if track.history else None
    track.history.append((status, progress if isinstance(progress, int) else None))
    track.last = video
    if previous is not None:
        with ctx.recorder.clause("lifecycle.status-forward", case, response):
            if status in ORDER and previous[0] in ORDER and (
                ORDER[status] < ORDER[previous[0]] or (previous[0] in TERMINAL and status != previous[0])
            ):
                raise ContractViolation("lifecycle.status-forward", f"status went back from {previous[0]} to {status}",
                                        field="$.status", received=status, expected=f"{previous[0]} or later")
        with ctx.recorder.clause("lifecycle.progress-monotonic", case, response):
            if previous[1] is not None and isinstance(progress, int) and progress < previous[1]:
                raise ContractViolation("lifecycle.progress-monotonic", f"progress fell from {previous[1]} to {progress}",
                                        field="$.progress", received=progress, expected=f">= {previous[1]}")
    if status in TERMINAL:
        track.done = True
