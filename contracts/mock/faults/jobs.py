"""``new_id``, ``setup``, ``state`` and ``startup`` hooks: ids, each job's duration and outcome,
the (status, progress) timeline, and jobs that exist before the run."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from contracts.mock.faults.base import FaultContext
from contracts.mock.store import Job, State
from contracts.rules import STATUS


def id_from_prompt(prompt: str | None) -> str:
    return "video_" + hashlib.sha256((prompt or "").encode("utf-8", "surrogatepass")).hexdigest()[:32]


def fail_jobs(code: Any = "generation_failed", message: str = "The video could not be generated.", every: int = 1):
    def setup(job: Job) -> None:
        if job.seq % every == 0:
            job.error = {"code": code, "message": message}

    return setup


def random_duration(job: Job) -> None:
    job.job_seconds *= random.uniform(0.3, 3.0)


def instant(job: Job) -> None:
    job.job_seconds = 0.0


def never_finishes(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return (STATUS.in_progress, 99) if state[0] == STATUS.completed else state


def derived_never_finish(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    """Edits' and extensions' jobs stay in_progress at 99%; plain creates finish."""
    return never_finishes(job, elapsed, state, just_created) if job.source is not None else state


def completed_at_create(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return job.faithful_state(elapsed) if just_created else state


def in_progress_at_create(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return (STATUS.in_progress, 0) if state[0] == STATUS.queued else state


def requeued(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    share = elapsed / job.job_seconds if job.job_seconds else 1.0
    return (STATUS.queued, 0) if state[0] == STATUS.in_progress and 0.5 <= share < 0.7 else state


def progress_per_stage(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    status, progress = state
    if status != STATUS.in_progress:
        return state
    return status, (progress * 2) % 100 or 1  # two denoising stages, each reported 0-100


def progress_99(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return (STATUS.completed, 99) if state[0] == STATUS.completed else state


def seed_videos(ctx: FaultContext) -> None:
    """preexisting-videos: 150 finished videos from the last 30 days (other users' work)."""
    models = ["sora-2", "sora-2-pro", "some-other-model"]
    for index in range(150):
        moderated = {"code": "moderation_blocked", "message": "The prompt was blocked by moderation."}
        ctx.add_job(prompt=f"an older video #{index}", model=models[index % 3],
                    age=(150 - index) * 17280.0,  # oldest first, 30 days back to 0.2 days back
                    error=moderated if index % 7 == 0 else None)
