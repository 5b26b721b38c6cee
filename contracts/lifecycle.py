"""Following jobs: which of the run's jobs are polled, and when (the schedule of the polls).

A job is followed from its create answer on. Its polls go out between the run's other requests
(the sender asks for the polls that are due before each request), honouring
``openai-poll-after-ms``, so the run watches the job move without waiting for it; the lifecycle
step then polls what is left until every followed job ends or the job window closes. What the polls
show is judged by the checks (contracts/checks/jobs.py); this module only decides when to ask.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from contracts import cases
from contracts.rules import RETRIEVE, STATUS

DEFAULT_POLL_SECONDS = 1.0  # the SDK's own default when the header is absent
MIN_POLL_SECONDS = 0.02


@dataclass
class Track:
    """A followed job: when to poll it next, and whether it is done (ended, or gone)."""

    video_id: str
    kind: str = "create"  # why it is followed: "create" (lifecycle), "edit" (edit.result-completes), "wait" (idle)
    next_poll: float = 0.0
    polls: int = 0
    retrievable: bool = False  # a poll was answered 200
    done: bool = False


@dataclass
class Schedule:
    tracks: list[Track] = field(default_factory=list)
    poll_interval_cap: float = 5.0

    def follow(self, video: dict[str, Any], kind: str = "create", *, retrieved: bool = False) -> None:
        """Follow a job from its create answer (its first observation); ``retrieved``: its first
        retrieve was already made (it counts as the first poll)."""
        video_id = video.get("id")
        if not isinstance(video_id, str) or any(t.video_id == video_id for t in self.tracks):
            return
        self.tracks.append(Track(video_id, kind, polls=int(retrieved), retrievable=retrieved,
                                 done=video.get("status") in STATUS.terminal))

    def followed(self, kind: str) -> list[Track]:
        return [t for t in self.tracks if t.kind == kind]

    def following(self, video_id: str) -> bool:
        return any(t.video_id == video_id for t in self.tracks)

    def pending(self, kind: str | None = None) -> list[Track]:
        return [t for t in self.tracks if not t.done and (kind is None or t.kind == kind)]

    def due(self, now: float) -> list[Track]:
        return [t for t in self.tracks if not t.done and t.next_poll <= now]

    def poll_case(self, track: Track) -> cases.Case:
        track.next_poll = float("inf")  # not due again while this poll is under way
        track.polls += 1
        name = "retrieve right after create" if track.polls == 1 else f"poll {track.video_id}"
        # A job followed to its end is judged so (purpose "poll"); one polled only to know when the
        # target is idle again is not (purpose "wait": it may be deleted before its end, by plan).
        return cases.call(name, *RETRIEVE, track.video_id, purpose="wait" if track.kind == "wait" else "poll")

    def polled(self, track: Track, answer: Any) -> None:
        """What one poll's answer means for the schedule: the next poll's time, and the end."""
        track.next_poll = time.monotonic() + min(poll_after(answer), self.poll_interval_cap)
        if not answer.ok or answer.status == 429:
            return  # no answer, or rate limited: poll again later
        if answer.status != 200:
            track.done = track.retrievable  # a job that vanished cannot be followed further
            return
        video = answer.json_object()
        if video is None:
            return
        first = not track.retrievable
        track.retrievable = True
        if video.get("status") in STATUS.terminal:
            # A job that ended by its first poll is retrieved once more, so that retrieve-stable
            # (retrievable across polls) is judged on every followed job however fast it ran.
            track.done = not (first and track.polls == 1 and track.kind == "create")

    def stop(self, video_id: str) -> None:
        for track in self.tracks:
            if track.video_id == video_id:
                track.done = True


def poll_after(answer: Any) -> float:
    value = answer.headers.get("openai-poll-after-ms") if answer.ok else None
    try:
        seconds = int(value) / 1000 if value is not None else DEFAULT_POLL_SECONDS
    except ValueError:
        seconds = DEFAULT_POLL_SECONDS
    return max(MIN_POLL_SECONDS, seconds)
