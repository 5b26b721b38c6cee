"""What a run cost the target's GPU: jobs created, followed to the end, generation seen, deleted early.

Every create a real server accepts is a GPU job of minutes, so each report says what the run
spent (``RunResult.cost``), read from the record of the run (contracts/history.py): the jobs the
run's answers made, the generation time of each seen completed (``completed_at - created_at``, the
server's own clock, whole seconds, so it includes time spent queued), which were deleted before they
were seen to end, and which invalid creates were wrongly accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.rules import STATUS

if TYPE_CHECKING:
    from contracts.history import History, Job


def job_cost(history: "History", *, followed: set[str], generated_not_sent: int = 0) -> dict[str, int]:
    """The report's cost line. ``followed``: the jobs the run polled (those seen to end count)."""
    jobs = list(history.jobs.values())
    return {
        "jobs_created": len(jobs),
        "jobs_followed": sum(1 for job in jobs if job.id in followed and job.ended),
        "generation_seconds": sum(_generation(job) for job in jobs),
        "jobs_deleted_unfinished": sum(1 for job in jobs if deleted_unfinished(job)),
        "jobs_from_invalid_creates": sum(1 for job in jobs if job.made_by.case.expect == "rejected"),
        "generated_not_sent": generated_not_sent,
    }


def deleted_unfinished(job: "Job") -> bool:
    """Deleted before the record saw it end (a server that does not cancel may still generate it)."""
    if job.deleted_by is None:
        return False
    return not any(o.status in STATUS.terminal for o in job.observations if o.answer.seq < job.deleted_by.seq)


def _generation(job: "Job") -> int:
    for observation in job.observations:
        video = observation.video
        created, completed = video.get("created_at"), video.get("completed_at")
        if video.get("status") == STATUS.completed and _seconds(created) and _seconds(completed) \
                and completed >= created:
            return completed - created
    return 0


def _seconds(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
