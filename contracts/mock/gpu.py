"""GPU workers: a server that runs N jobs at a time, one per worker, the others waiting ``queued``.

A real server with one GPU takes one job at a time: the next create waits ``queued`` until the
worker is free (what the ``queued`` status is for). Nothing runs in the background here either:
the schedule is worked out lazily, under the store's lock, up to the moment a job is looked at.
A worker that frees at time t takes the oldest waiting job at t, so each job's start is exact.

A delete takes a *queued* job off the queue when ``delete_cancels`` (some servers do, some do
not); a job a worker has already started runs to its end either way, as a generation on a GPU
usually does. The counters (``jobs_started``, ``seconds_committed``) say what the GPU did or
still owes: what ``benchmarks/gpu_cost.py`` reads to price a conformance run.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from contracts.mock.store import FAIL_SHARE

if TYPE_CHECKING:
    from contracts.mock.store import Job


def run_seconds(job: Job) -> float:
    """How long ``job`` holds a worker: its whole duration, or until it fails (half-way)."""
    return FAIL_SHARE * job.job_seconds if job.error is not None else job.job_seconds


@dataclass
class GpuWorkers:
    """``workers`` GPUs, each running one job at a time, in creation order."""

    workers: int
    delete_cancels: bool = False
    _waiting: deque[Job] = field(default_factory=deque)
    _running: list[Job] = field(default_factory=list)  # at most ``workers`` jobs, each with started_mono set
    _started: list[Job] = field(default_factory=list)  # every job a worker took (it ran, or runs now)
    jobs_created: int = 0
    jobs_cancelled: int = 0  # queued jobs a delete took off the queue

    def __post_init__(self) -> None:
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ValueError(f"gpu_workers must be a whole number >= 1, got {self.workers!r}")

    def fresh(self) -> GpuWorkers:
        """Workers of the same settings with nothing done yet (a reset)."""
        return GpuWorkers(self.workers, self.delete_cancels)

    def submit(self, job: Job, now: float) -> None:
        """A new job: taken by a free worker at once, else queued behind the others."""
        self.advance(now)
        self.jobs_created += 1
        job.gpu = True
        if len(self._running) < self.workers:
            self._start(job, now)
        else:
            self._waiting.append(job)

    def advance(self, now: float) -> None:
        """Free every worker whose job ended by ``now`` and hand it the next waiting job, in time order."""
        while self._running:
            first = min(self._running, key=lambda j: j.started_mono + run_seconds(j))
            ended = first.started_mono + run_seconds(first)
            if ended > now:
                return
            self._running = [j for j in self._running if j is not first]
            if self._waiting:
                self._start(self._waiting.popleft(), ended)

    def deleted(self, job: Job, now: float) -> None:
        """``job`` was deleted: off the queue if the server cancels queued jobs; a started job runs on."""
        self.advance(now)
        if self.delete_cancels:
            for index, waiting in enumerate(self._waiting):
                if waiting is job:
                    del self._waiting[index]
                    self.jobs_cancelled += 1
                    return

    def _start(self, job: Job, at: float) -> None:
        job.started_mono = at
        self._running.append(job)
        self._started.append(job)

    @property
    def jobs_started(self) -> int:
        return len(self._started)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def seconds_committed(self) -> float:
        """GPU seconds spent or owed: every started job runs to its end, every waiting one will run."""
        return sum(run_seconds(j) for j in self._started) + sum(run_seconds(j) for j in self._waiting)

    def stats(self, now: float) -> dict[str, float | int]:
        self.advance(now)
        return {
            "workers": self.workers,
            "delete_cancels": self.delete_cancels,
            "jobs_created": self.jobs_created,
            "jobs_started": self.jobs_started,
            "jobs_waiting": self.waiting,
            "jobs_cancelled": self.jobs_cancelled,
            "jobs_committed": self.jobs_started + self.waiting,
            "seconds_committed": round(self.seconds_committed, 3),
        }
