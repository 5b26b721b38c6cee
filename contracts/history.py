"""The one record of a run: every exchange in the order it happened, and the jobs they show.

The sender appends each answer (``History.add``), the kit's own requests and, in a proxy, any
client's: each is an ``Answer`` (``contracts.client.Response``) with the case it answered, its
sequence number and when it was sent. What the answers say about jobs is indexed once, here: which
answer made a job, every Video seen of it (its observations, in order), and the answer that deleted
it. Checks over several exchanges (a job's polls, a delete then a retrieve, list pages, the source
of a remix, edit or extension) read this record; scenarios read it to plan their next case. Nothing
here judges.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.rules import (
    CONTENT, CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, LIST, REMIX, RETRIEVE, STATUS,
)

if TYPE_CHECKING:
    from contracts.client import Response

# The operation that made a job -> its kind: a job made by an edit or an extension is judged under
# that operation's clauses where it differs (contracts/checks/jobs.py).
KINDS = {CREATE: "create", REMIX: "remix", EDIT: "edit", EXTEND: "extension"}


@dataclass
class Observation:
    """One Video of a job, as an answer showed it."""

    answer: "Response"
    video: dict[str, Any]

    @property
    def status(self) -> Any:
        return self.video.get("status")

    @property
    def progress(self) -> int | None:
        value = self.video.get("progress")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Job:
    """A job an accepted creating answer made, and what the record shows of it since."""

    id: str
    kind: str  # "create", "remix", "edit" or "extension"
    made_by: "Response"
    source: str | None = None  # the video a remix, edit or extension named by id
    observations: list[Observation] = field(default_factory=list)  # the create answer first
    retrieves: list["Response"] = field(default_factory=list)  # every GET of it, in order
    deleted_by: "Response | None" = None
    reused_at: int | None = None  # seq of a later create answered with this id (video.ids-unique's finding)

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    @property
    def ended(self) -> bool:
        """Seen completed or failed."""
        return any(o.status in STATUS.terminal for o in self.observations)

    @property
    def completed(self) -> bool:
        return any(o.status == STATUS.completed for o in self.observations)

    def seen_before(self, seq: int, *, listed: bool = True) -> Observation | None:
        """The last observation made before answer ``seq`` (``listed``: those of list pages too)."""
        earlier = [o for o in self.observations if o.answer.seq < seq and (listed or o.answer.case.operation != LIST)]
        return earlier[-1] if earlier else None

    def unfinished_at(self, seq: int) -> bool:
        """Whether the record showed it not ended (queued, in progress, or a status outside the
        enum), and not deleted, just before answer ``seq``."""
        seen = self.seen_before(seq)
        deleted = self.deleted_by is not None and self.deleted_by.seq < seq
        return seen is not None and seen.status not in STATUS.terminal and not deleted


class History:
    """Every answer of the run, in order, and the jobs they show (``jobs``: id -> Job)."""

    def __init__(self) -> None:
        self.answers: list[Response] = []
        self.jobs: dict[str, Job] = {}
        self.characters: dict[str, Response] = {}  # id -> the answer that made it
        # Operations a request that must be accepted or refused with 400 found without a route (404/405):
        # their other probes are not sent (the operation's own clause says it, once). POST
        # /videos/characters missing, GET /videos/characters/{id} is too.
        self.routes_missing: set[tuple[str, str]] = set()

    def __iter__(self) -> Iterator["Response"]:
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    def add(self, answer: "Response") -> None:
        """Record ``answer`` (its ``seq`` is its place in the record) and index what it shows."""
        answer.seq = len(self.answers) + 1
        self.answers.append(answer)
        case = answer.case
        operation = case.operation if case is not None else None
        if answer.superseded or case is None:
            return
        if answer.ok and answer.status in (404, 405) and case.expect in ("accepted", "rejected") \
                and operation is not None and operation != RETRIEVE:
            self.routes_missing |= {operation, GET_CHARACTER} if operation == CREATE_CHARACTER else {operation}
        if operation == RETRIEVE and path_id(case.path) in self.jobs:
            self.jobs[path_id(case.path)].retrieves.append(answer)
        if not answer.ok or not 200 <= answer.status < 300:
            return
        body = answer.json_object()
        if operation in KINDS and body is not None and _id(body):
            self._made(answer, operation, body)
        elif operation == RETRIEVE and body is not None:
            self._seen(path_id(case.path), answer, body)
        elif operation == DELETE:
            job = self.jobs.get(path_id(case.path))
            if job is not None and job.deleted_by is None:
                job.deleted_by = answer
        elif operation == LIST and body is not None and isinstance(body.get("data"), list):
            for video in body["data"]:
                if isinstance(video, dict) and video.get("id") in self.jobs:
                    self._seen(video["id"], answer, video, retrieve=False)
        elif operation == CREATE_CHARACTER and body is not None and _id(body):
            self.characters.setdefault(body["id"], answer)

    def _made(self, answer: "Response", operation: tuple[str, str], video: dict[str, Any]) -> None:
        video_id = video["id"]
        if video_id in self.jobs:
            # an id answered twice (video.ids-unique's finding): the first job keeps it, and what is
            # seen of that id from now on may be either job's
            self.jobs[video_id].reused_at = self.jobs[video_id].reused_at or answer.seq
            return
        self.jobs[video_id] = Job(video_id, KINDS[operation], answer, source=source_of(answer.case),
                                  observations=[Observation(answer, video)])

    def _seen(self, video_id: str, answer: "Response", video: dict[str, Any], *, retrieve: bool = True) -> None:
        job = self.jobs.get(video_id)
        if job is not None and (not retrieve or video.get("id") == video_id):
            job.observations.append(Observation(answer, video))

    # ---- what the record shows -----------------------------------------------------------------
    def get(self, seq: int) -> "Response | None":
        return self.answers[seq - 1] if 0 < seq <= len(self.answers) else None

    def before(self, answer: "Response") -> list["Response"]:
        """The answers recorded before ``answer``."""
        return self.answers[: answer.seq - 1]

    def job_of(self, answer: "Response") -> Job | None:
        """The job an answer concerns: the one it made, or the one its path names."""
        case = answer.case
        if case is None:
            return None
        if case.operation in KINDS and 200 <= answer.status < 300:
            made = (answer.json_object() or {}).get("id")
            if isinstance(made, str) and made in self.jobs and self.jobs[made].made_by is answer:
                return self.jobs[made]
        if case.operation in (RETRIEVE, DELETE, CONTENT, REMIX):
            return self.jobs.get(path_id(case.path))
        return None

    def running(self, before: int | None = None) -> list[Job]:
        """The jobs seen unfinished and not deleted (just before answer ``before``, else now)."""
        seq = before if before is not None else len(self.answers) + 1
        return [job for job in self.jobs.values()
                if job.made_by.seq < seq and job.unfinished_at(seq)]

    def alive(self, before: int | None = None) -> list[Job]:
        """The jobs made and not deleted (just before answer ``before``, else now)."""
        seq = before if before is not None else len(self.answers) + 1
        return [job for job in self.jobs.values() if job.made_by.seq < seq
                and (job.deleted_by is None or job.deleted_by.seq > seq)]

    def of(self, operation: tuple[str, str]) -> list["Response"]:
        return [a for a in self.answers if a.case is not None and a.case.operation == operation]


def _id(body: dict[str, Any]) -> bool:
    return isinstance(body.get("id"), str) and bool(body["id"])


def path_id(path: str) -> str:
    """The id a path names: /videos/{id}[/...] or /videos/characters/{id}."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) >= 3 and parts[1] == "characters":
        return parts[2]
    return parts[1] if len(parts) >= 2 else ""


def source_of(case) -> str | None:
    """The video a remix, edit or extension names by id (path, JSON ``video.id`` or ``video[id]``)."""
    if case is None:
        return None
    if case.operation == REMIX:
        return path_id(case.path)
    if case.operation in (EDIT, EXTEND):
        body = case.json_body if case.encoding == "json" else None
        if isinstance(body, dict) and isinstance(body.get("video"), dict) and isinstance(body["video"].get("id"), str):
            return body["video"]["id"]
        form = dict(case.form or [])
        return form.get("video[id]")
    return None


