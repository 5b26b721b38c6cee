"""The one record of a run: every exchange in the order it happened, and the jobs they show.

The sender appends each answer (``History.add``), the kit's own requests and, in a proxy, any
client's: each is an ``Answer`` (``contracts.client.Response``) with the case it answered, its
sequence number and when it was sent. What the answers say about jobs is indexed once, here: which
answer made a job, every Video seen of it (its observations, in order), and the answer that deleted
it. Checks over several exchanges (a job's polls, a delete then a retrieve, list pages, the source
of a remix, edit or extension) read this record; scenarios read it to plan their next case. Nothing
here judges.

A run's record is small and kept whole. A proxy's runs as long as the traffic does, so it is kept
within ``Bounds``: the latest answers (the older ones summarised: how many, of which operation and
status), their bodies whole only while they are among the latest few (then cut, and what the record
holds of them slimmed), the latest jobs, and per job its first and latest observations and
retrieves. The owner evicts (``evict``), after letting the judge settle what the end-of-run checks
say of the answers that leave (``contracts/judge.py``: ``Judge.settle``).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.rules import (
    CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, LIST, REMIX, RETRIEVE, STATUS,
)
from contracts.types import BODY_FILE

if TYPE_CHECKING:
    from contracts.client import Response

# The operation that made a job -> its kind: a job made by an edit or an extension is judged under
# that operation's clauses where it differs (contracts/checks/jobs.py).
KINDS = {CREATE: "create", REMIX: "remix", EDIT: "edit", EXTEND: "extension"}


@dataclass(frozen=True)
class Bounds:
    """How much a long record keeps (a proxy's; a run keeps everything)."""

    answers: int = 2000  # answers kept; the oldest are summarised (``History.summary``)
    recent: int = 200  # the latest answers keep their bodies whole: the checks of the next answers read them
    body_bytes: int = 4096  # what an older answer keeps of its body
    jobs: int = 500  # jobs kept; those seen ended or deleted go first, oldest first
    per_job: int = 16  # retrieves kept per job: its first ones and its latest
    observations: int = 128  # observations kept per job (changes of status or progress: repeats are not kept)
    first_per_job: int = 2  # of those, the first (a job's first retrieve says whether it was retrievable at once)
    characters: int = 500
    text_chars: int = 256  # what an older answer's case keeps of a long text (a 32000-character prompt)


# The fields of a Video the record keeps once its answer's body is cut (what the checks read of a job).
SLIM_VIDEO_FIELDS = ("id", "object", "status", "progress", "created_at", "completed_at", "expires_at", "seconds",
                     "size", "model", "remixed_from_video_id", "error")


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
    ended: bool = False  # seen completed or failed
    completed: bool = False  # seen completed
    dropped: int = 0  # observations and retrieves no longer kept (a bounded record's)
    # the latest run of observations showing the same status and progress: its first, and how many
    steady_from: Observation | None = None
    steady: int = 0
    replaces: "Response | None" = None  # the answer that made a job of the same id before (ids reused)

    def __post_init__(self) -> None:
        observations, self.observations = self.observations, []
        for observation in observations:
            self.observe(observation)

    def observe(self, observation: Observation, bounds: Bounds | None = None) -> None:
        status = observation.status
        self.ended = self.ended or status in STATUS.terminal
        self.completed = self.completed or status == STATUS.completed
        if self.observations and (self.last.status, self.last.progress) == (status, observation.progress):
            self.steady += 1
            if bounds is not None and self.steady > 2:
                # a bounded record keeps the first and the latest of a run of the same status and progress:
                # what the job showed at any moment is still known (the checks read it), its repeats are not
                self.observations.pop()
                self.dropped += 1
        else:
            self.steady_from, self.steady = observation, 1
        self.observations.append(observation)
        self.dropped += _bound(self.observations, bounds, bounds.observations if bounds is not None else 0)

    def retrieved(self, answer: "Response", bounds: Bounds | None = None) -> None:
        self.retrieves.append(answer)
        self.dropped += _bound(self.retrieves, bounds, bounds.per_job if bounds is not None else 0)

    @property
    def last(self) -> Observation:
        return self.observations[-1]

    def seen_before(self, seq: int, *, listed: bool = True, sent: float | None = None) -> Observation | None:
        """The last observation made before answer ``seq`` (``listed``: those of list pages too; ``sent``:
        only those answered whole before that time, which a request sent then knew of)."""
        for observation in reversed(self.observations):
            if observation.answer.seq < seq and (listed or observation.answer.case.operation != LIST) \
                    and (sent is None or observation.answer.answered_at <= sent):
                return observation
        return None

    def deleted_before(self, answer: "Response") -> bool:
        """Deleted for certain when ``answer``'s request was sent: the delete had been answered."""
        return self.deleted_by is not None and self.deleted_by.seq < answer.seq \
            and self.deleted_by.answered_at <= answer.sent_at

    def maybe_deleted(self, answer: "Response") -> bool:
        """Perhaps deleted when the server answered ``answer``: a delete was sent before that answer came."""
        return self.deleted_by is not None and self.deleted_by.sent_at <= answer.answered_at

    def unfinished_at(self, seq: int) -> bool:
        """Whether the record showed it not ended (queued, in progress, or a status outside the
        enum), and not deleted, just before answer ``seq``."""
        seen = self.last if self.last.answer.seq < seq else self.seen_before(seq)
        deleted = self.deleted_by is not None and self.deleted_by.seq < seq
        return seen is not None and seen.status not in STATUS.terminal and not deleted


def _bound(items: list, bounds: Bounds | None, most: int) -> int:
    """Drop the oldest of ``items`` but the first few beyond ``most``; how many went."""
    if bounds is None or len(items) <= most:
        return 0
    del items[bounds.first_per_job]
    return 1


class History:
    """Every answer of the run, in order, and the jobs they show (``jobs``: id -> Job). With
    ``bounds``, the latest answers and jobs only (``evict``), the others summarised."""

    def __init__(self, bounds: Bounds | None = None) -> None:
        self.bounds = bounds
        self.answers: list[Response] = []  # the answers kept: seq first_seq onwards
        self.first_seq = 1
        self.jobs: dict[str, Job] = {}
        self.characters: dict[str, Response] = {}  # id -> the answer that made it
        # Operations a request that must be accepted or refused with 400 found without a route (404/405):
        # their other probes are not sent (the operation's own clause says it, once). POST
        # /videos/characters missing, GET /videos/characters/{id} is too.
        self.routes_missing: set[tuple[str, str]] = set()
        self.jobs_made = 0  # every job the record saw made, the evicted ones too
        self.statuses: Counter[int] = Counter()  # every answer's status (0: no answer), the evicted ones too
        self.summary: Counter[str] = Counter()  # the evicted answers: "METHOD /template STATUS" -> how many
        self._pruned_to = 0  # answers up to this seq have had their bodies cut

    def __iter__(self) -> Iterator["Response"]:
        return iter(self.answers)

    def __len__(self) -> int:
        """How many answers were recorded (the evicted ones too): the next answer's seq - 1."""
        return self.first_seq - 1 + len(self.answers)

    @property
    def evicted(self) -> int:
        return self.first_seq - 1

    def add(self, answer: "Response") -> None:
        """Record ``answer`` (its ``seq`` is its place in the record) and index what it shows."""
        answer.seq = len(self) + 1
        self.answers.append(answer)
        self.statuses[answer.status] += 1
        if self.bounds is not None and len(self.answers) > self.bounds.recent:
            self._prune_bodies()
        case = answer.case
        operation = case.operation if case is not None else None
        if answer.superseded or case is None:
            return
        if answer.ok and answer.status in (404, 405) and case.expect in ("accepted", "rejected") \
                and operation is not None and operation != RETRIEVE:
            self.routes_missing |= {operation, GET_CHARACTER} if operation == CREATE_CHARACTER else {operation}
        if operation == RETRIEVE and path_id(case.path) in self.jobs:
            self.jobs[path_id(case.path)].retrieved(answer, self.bounds)
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
            if self.bounds is not None and len(self.characters) > self.bounds.characters:
                del self.characters[next(iter(self.characters))]

    def _made(self, answer: "Response", operation: tuple[str, str], video: dict[str, Any]) -> None:
        video_id = video["id"]
        # An id answered twice is video.ids-unique's finding; the job the id names from now on is the
        # new one (its polls show a new job, not the first one going back).
        earlier = self.jobs.pop(video_id, None)
        self.jobs_made += 1
        self.jobs[video_id] = Job(video_id, KINDS[operation], answer, source=source_of(answer.case),
                                  observations=[Observation(answer, self._kept(video))],
                                  replaces=earlier.made_by if earlier is not None else None)
        if self.bounds is not None and len(self.jobs) > self.bounds.jobs:
            self._drop_a_job()

    def _seen(self, video_id: str, answer: "Response", video: dict[str, Any], *, retrieve: bool = True) -> None:
        job = self.jobs.get(video_id)
        if job is not None and (not retrieve or video.get("id") == video_id):
            job.observe(Observation(answer, self._kept(video)), self.bounds)

    def _kept(self, video: dict[str, Any]) -> dict[str, Any]:
        """What an observation keeps of a Video: all of it, or in a bounded record what checks read."""
        return video if self.bounds is None else slim_video(video)

    # ---- bounds --------------------------------------------------------------------------------
    def over_bounds(self) -> bool:
        """Whether the owner should evict: more answers kept than the bounds allow, by a tenth (evicting
        in batches keeps the judge's settling of the leaving answers rare)."""
        return self.bounds is not None and len(self.answers) > self.bounds.answers * 11 // 10

    def eviction_point(self) -> int:
        """The seq up to which ``evict`` would drop answers now (0: none)."""
        if self.bounds is None or len(self.answers) <= self.bounds.answers:
            return 0
        return self.answers[len(self.answers) - self.bounds.answers - 1].seq

    def evict(self, up_to: int) -> None:
        """Drop the answers up to seq ``up_to`` from the record, counting them in ``summary``."""
        count = max(0, up_to - self.first_seq + 1)
        for answer in self.answers[:count]:
            self.summary[_summary_key(answer)] += 1
        del self.answers[:count]
        self.first_seq += count

    def _drop_a_job(self) -> None:
        """The oldest job seen ended or deleted, else the oldest."""
        done = next((jid for jid, job in self.jobs.items() if job.ended or job.deleted_by is not None), None)
        del self.jobs[done if done is not None else next(iter(self.jobs))]

    def _prune_bodies(self) -> None:
        """Cut what the answers that are no longer among the latest keep (their bodies, long texts)."""
        bounds = self.bounds
        edge = self.answers[len(self.answers) - bounds.recent - 1].seq
        for seq in range(max(self._pruned_to + 1, self.first_seq), edge + 1):
            prune(self.answers[seq - self.first_seq], bounds)
        self._pruned_to = max(self._pruned_to, edge)

    # ---- what the record shows -----------------------------------------------------------------
    def get(self, seq: int) -> "Response | None":
        index = seq - self.first_seq
        return self.answers[index] if 0 <= index < len(self.answers) else None

    def before(self, answer: "Response") -> list["Response"]:
        """The answers recorded (and kept) before ``answer``."""
        return self.answers[: max(0, answer.seq - self.first_seq)]

    def seen_status(self, status: int) -> bool:
        """Whether any answer of the record, kept or evicted, had ``status``."""
        return self.statuses[status] > 0

    def named(self, video_id: str | None, answer: "Response") -> Job | None:
        """The job ``video_id`` names in ``answer``'s request: one made before it (an id answered to a later
        create names that later job, which ``answer`` is not about)."""
        job = self.jobs.get(video_id) if video_id else None
        return job if job is not None and job.made_by.seq < answer.seq else None

    def running(self, before: int | None = None) -> list[Job]:
        """The jobs seen unfinished and not deleted (just before answer ``before``, else now)."""
        seq = before if before is not None else len(self) + 1
        return [job for job in self.jobs.values()
                if job.made_by.seq < seq and job.unfinished_at(seq)]

    def alive(self, before: int | None = None) -> list[Job]:
        """The jobs made and not deleted (just before answer ``before``, else now)."""
        seq = before if before is not None else len(self) + 1
        return [job for job in self.jobs.values() if job.made_by.seq < seq
                and (job.deleted_by is None or job.deleted_by.seq > seq)]

    def alive_for(self, answer: "Response") -> list[Job]:
        """The jobs that existed for certain when the server answered ``answer``: made (their create
        answered) before its request was sent, and no delete of them sent before it was answered."""
        return [job for job in self.jobs.values() if job.made_by.seq < answer.seq
                and job.made_by.answered_at <= answer.sent_at and not job.maybe_deleted(answer)]

    def of(self, operation: tuple[str, str]) -> list["Response"]:
        return [a for a in self.answers if a.case is not None and a.case.operation == operation]


def _summary_key(answer: "Response") -> str:
    case = answer.case
    where = f"{case.operation[0]} {case.operation[1]}" if case is not None and case.operation else \
        (f"{case.method} {case.path}" if case is not None else "?")
    return f"{where} {answer.status if answer.ok else 'no answer'}"


def prune(answer: "Response", bounds: Bounds) -> None:
    """Cut what an older answer keeps: its body (and the JSON parsed from it), its Videos to the fields
    the checks read, long texts of its case; its exchange is replaced by a slimmer copy (the judge's
    evidence keeps the exchange it saw)."""
    if len(answer.body) > bounds.body_bytes:
        answer.body = answer.body[: bounds.body_bytes]
        answer.truncated = True
    answer.forget_json()
    exchange = answer.exchange
    if exchange is not None and exchange.body is not None:
        answer.exchange = dataclasses.replace(exchange, body=None, curl=exchange.curl.replace(
            f"@{BODY_FILE}", f"<the {len(exchange.body)}-byte body, no longer kept>"))
    case = answer.case
    if case is not None and _has_long_text((case.params, case.form, case.json_body if case.encoding == "json" else None),
                                           bounds.text_chars):
        answer.case = slim_case(case, bounds.text_chars)


def _has_long_text(value: Any, limit: int) -> bool:
    if isinstance(value, str):
        return len(value) > limit
    if isinstance(value, dict):
        return any(_has_long_text(v, limit) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_long_text(v, limit) for v in value)
    return False


def slim_video(video: dict[str, Any]) -> dict[str, Any]:
    return {name: video[name] for name in SLIM_VIDEO_FIELDS if name in video}


def slim_case(case, limit: int):
    """A copy of ``case`` whose long texts (prompts) are cut to ``limit`` characters."""
    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            return value[:limit] + "\u2026"
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v) for v in value]
        if isinstance(value, tuple):
            return tuple(cut(v) for v in value)
        return value

    changes = {"params": cut(case.params)}
    if case.form is not None:
        changes["form"] = cut(case.form)
    if case.encoding == "json":
        changes["json_body"] = cut(case.json_body)
    return dataclasses.replace(case, **changes)


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


