"""What a run cost the target's GPU: jobs created, followed to the end, generation seen, deleted early.

Every create a real server accepts is a GPU job of minutes, so each report says what the run
spent (``RunResult.cost``). ``JobCost`` watches the run's answers (``observe`` is called for every
response): the ids of the jobs it created, the last status seen of each, the generation time of
each job seen completed (``completed_at - created_at``, the server's own clock, whole seconds, so
it includes time spent queued), and which of them were deleted before they were seen to end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.rules import DELETE, STATUS

if TYPE_CHECKING:
    from contracts.cases import Case
    from contracts.client import Response



@dataclass
class JobCost:
    created: list[str] = field(default_factory=list)  # ids of the jobs the run created (RunContext.created)
    followed: set[str] = field(default_factory=set)  # jobs polled until they ended
    status: dict[str, str] = field(default_factory=dict)  # id -> last status seen
    generation: dict[str, int] = field(default_factory=dict)  # id -> completed_at - created_at
    deleted_unfinished: set[str] = field(default_factory=set)
    invalid_accepted: set[str] = field(default_factory=set)  # jobs made by invalid creates wrongly accepted
    generated_not_sent: int = 0  # generated valid creates drawn but beyond the job budget (not a job: not sent)

    def job_followed(self, video_id: str) -> None:
        """A job the run polled until it ended (its lifecycle was watched to the end)."""
        self.followed.add(video_id)

    def observe(self, case: Case, response: Response) -> None:
        """Note what ``response`` shows about the run's jobs (called for every answer)."""
        if not response.ok or response.status != 200 or response.media_type != "application/json":
            return
        body = response.json_object()
        if body is None:
            return
        if case.method == "DELETE" and case.operation == DELETE:
            video_id = case.path.rsplit("/", 1)[-1]
            if video_id in self.status and self.status[video_id] not in STATUS.terminal:
                self.deleted_unfinished.add(video_id)
            return
        if case.expect == "rejected" and case.method == "POST" and isinstance(body.get("id"), str):
            self.invalid_accepted.add(body["id"])  # a job that should not exist (the run deletes it at once)
        videos = body.get("data") if body.get("object") == "list" else [body]
        for video in videos if isinstance(videos, list) else ():
            if isinstance(video, dict):
                self._video(video)

    def _video(self, video: dict[str, Any]) -> None:
        video_id = video.get("id")
        if not isinstance(video_id, str) or video_id not in self.status and video_id not in self.created:
            return
        status = video.get("status")
        if isinstance(status, str) and self.status.get(video_id) not in STATUS.terminal:
            self.status[video_id] = status
        created, completed = video.get("created_at"), video.get("completed_at")
        if status == STATUS.completed and _seconds(created) and _seconds(completed) and completed >= created:
            self.generation[video_id] = completed - created

    def as_dict(self) -> dict[str, int]:
        """The report's cost line (``RunResult.cost``)."""
        return {
            "jobs_created": len(self.created),
            "jobs_followed": len(self.followed),
            "generation_seconds": sum(self.generation.values()),
            "jobs_deleted_unfinished": len(self.deleted_unfinished),
            "jobs_from_invalid_creates": len(self.invalid_accepted),
            "generated_not_sent": self.generated_not_sent,
        }


def _seconds(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)

