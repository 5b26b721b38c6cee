"""What the scenarios share: the shape of a step, the jobs kept alive or deleted at once, the video
uploaded as a source.

A step is a plan: a generator that yields the cases to send (and receives each answer, or None when
the create cap stopped it), the facts the judge should know of what it did not send (``NotSent``,
``Planned``), and ``Follow`` when the run must poll its jobs to their end. It reads the state to
decide its next case; it never judges.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Union

from contracts import cases
from contracts.cases import Case, FileField, Follow, NotSent, Planned
from contracts.rules import DELETE

if TYPE_CHECKING:
    from contracts.client import Response
    from contracts.state import RunState

Step = Generator[Union[Case, NotSent, Planned, Follow], "Response | None", Any]

# Only the jobs that must finish, finish: one job is followed to its end (the run's first accepted
# create, so that it is not queued behind the others): lifecycle, content, remix and the auth
# probes use it. A few more stay alive for the list pages and the delete step; every other
# accepted create is deleted as soon as its checks are done (many servers then take it off the GPU).
FOLLOWED_JOBS = 1
SPARE_JOBS = 3  # the list needs three alive after the delete step (limit=2 with has_more)
DISCARD = "delete at once (its checks are done)"


def accepted_video(answer: "Response | None") -> dict[str, Any] | None:
    """The Video of an accepted create (2xx, a JSON object with an id), else None (None when not sent)."""
    return None if answer is None else answer.named


def taken(answer: "Response | None") -> bool:
    """Answered 2xx: the target took the request (a Video or not: what the body is, the checks judge),
    so a plan does not split it as refused."""
    return answer is not None and answer.ok and 200 <= answer.status < 300


def keep(state: "RunState", video: dict[str, Any]) -> None:
    """Keep an accepted job alive for the steps after (lifecycle, list, delete...)."""
    state.kept.append(video)
    if len(state.schedule.followed("create")) < FOLLOWED_JOBS:
        state.schedule.follow(video)  # followed from now on, while the run goes on


def keep_or_discard(state: "RunState", video: dict[str, Any]) -> Step:
    """An accepted job whose checks are done: kept while the run needs a few alive, else deleted."""
    if any(v["id"] == video["id"] for v in state.kept):
        return  # the id of a job the run keeps (video.ids-unique's): never deleted as a spare
    kept = state.alive()
    seconds = {v.get("created_at") for v in kept}
    # Also kept: the first video of a later second, for list order (ties in a second are unordered).
    if len(kept) < FOLLOWED_JOBS + SPARE_JOBS or (len(seconds) == 1 and video.get("created_at") not in seconds):
        keep(state, video)
    else:
        yield from discard(state, video["id"])


def discard(state: "RunState", video_id: str) -> Step:
    """Delete a job of the run at once (a real server may then take it off its GPU)."""
    if not state.deleted(video_id) and state.offers("delete"):
        yield cases.call(DISCARD, *DELETE, video_id, purpose="cleanup")


def send(state: "RunState", case: Case | None, clause_id: str, unmet: str) -> Step:
    """Send a case built from the baseline (``unmet``: why, when it could not be built); a job it made
    is kept for later steps or deleted at once; an invalid case wrongly accepted is always deleted.
    Returns the answer (None when not sent)."""
    if case is None:
        yield NotSent(clause_id, unmet)
        return None
    answer = yield case
    video = accepted_video(answer)
    if video is not None and case.expect in ("rejected", "refused-at-once", "not-found", "unauthorized"):
        yield from discard(state, video["id"])
    elif video is not None:
        yield from keep_or_discard(state, video)
    return answer


@cache
def sample_mp4() -> bytes:
    """A real H.264 MP4 (the reference server's content asset), to upload as a source."""
    return (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()


def video_file(name: str = "video") -> FileField:
    return (name, "source.mp4", "video/mp4", sample_mp4())
