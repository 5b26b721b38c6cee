"""The job store: videos in memory, their status derived from elapsed time.

Nothing runs in the background: a job is ``queued`` for the first part of ``job_seconds``, then
``in_progress`` with a rising integer progress, then ``completed`` (progress 100, ``completed_at``
and ``expires_at`` set). Status and progress are a function of a monotonic clock, so they only
ever move forward. A lock guards the maps so concurrent requests lose nothing; list order uses
a sequence number because ``created_at`` seconds collide.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUED_SHARE = 0.2  # the first fifth of a job is spent queued
EXPIRES_AFTER_SECONDS = 3600  # assets "expire" an hour after completion


def new_video_id() -> str:
    return "video_" + secrets.token_hex(16)


@dataclass
class Job:
    id: str
    seq: int
    prompt: str
    model: str
    size: str
    seconds: str
    created_wall: float  # time.time() at creation
    created_mono: float  # monotonic clock at creation
    job_seconds: float
    remixed_from_video_id: str | None = None
    reference: dict[str, Any] | None = None  # what input_reference was given (kind, details)
    error: dict[str, str] | None = None  # set for a failed job (faults, later issue)

    def state(self, now_mono: float) -> tuple[str, int]:
        """(status, progress) at monotonic time ``now_mono``."""
        if self.error is not None:
            return "failed", 0
        elapsed = max(0.0, now_mono - self.created_mono)
        if elapsed >= self.job_seconds:
            return "completed", 100
        if elapsed < QUEUED_SHARE * self.job_seconds:
            return "queued", 0
        return "in_progress", min(99, max(1, int(100 * elapsed / self.job_seconds)))

    def is_completed(self, now_mono: float) -> bool:
        return self.state(now_mono)[0] == "completed"

    def video(self, now_mono: float, *, just_created: bool = False) -> dict[str, Any]:
        """The Video object: all 13 fields, nullable ones as null."""
        status, progress = ("queued", 0) if just_created else self.state(now_mono)
        created_at = int(self.created_wall)
        completed_at = expires_at = None
        if status == "completed":
            completed_at = max(created_at, int(self.created_wall + self.job_seconds))
            expires_at = completed_at + EXPIRES_AFTER_SECONDS
        return {
            "id": self.id,
            "object": "video",
            "model": self.model,
            "status": status,
            "progress": progress,
            "created_at": created_at,
            "completed_at": completed_at,
            "expires_at": expires_at,
            "prompt": self.prompt,
            "remixed_from_video_id": self.remixed_from_video_id,
            "seconds": self.seconds,
            "size": self.size,
            "error": dict(self.error) if self.error else None,
        }


@dataclass
class Page:
    jobs: list[Job]
    has_more: bool


class UnknownCursor(KeyError):
    pass


@dataclass
class VideoStore:
    job_seconds: float
    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    _jobs: dict[str, Job] = field(default_factory=dict)
    _deleted: dict[str, int] = field(default_factory=dict)  # id -> seq, so `after` survives deletion
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return self.monotonic()

    def create(self, *, prompt: str, model: str, size: str, seconds: str, **extra: Any) -> Job:
        with self._lock:
            self._seq += 1
            job = Job(
                id=new_video_id(),
                seq=self._seq,
                prompt=prompt,
                model=model,
                size=size,
                seconds=seconds,
                created_wall=self.wall(),
                created_mono=self.monotonic(),
                job_seconds=self.job_seconds,
                **extra,
            )
            self._jobs[job.id] = job
            return job

    def get(self, video_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(video_id)

    def delete(self, video_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.pop(video_id, None)
            if job is not None:
                self._deleted[job.id] = job.seq
            return job

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def page(self, *, limit: int, order: str, after: str | None = None) -> Page:
        """Up to ``limit`` jobs in creation order (``asc``/``desc``), starting after ``after``."""
        with self._lock:
            jobs = sorted(self._jobs.values(), key=lambda j: j.seq, reverse=(order == "desc"))
            if after is not None:
                if after in self._jobs:
                    cursor = self._jobs[after].seq
                elif after in self._deleted:
                    cursor = self._deleted[after]
                else:
                    raise UnknownCursor(after)
                if order == "desc":
                    jobs = [j for j in jobs if j.seq < cursor]
                else:
                    jobs = [j for j in jobs if j.seq > cursor]
        return Page(jobs[:limit], has_more=len(jobs) > limit)
