"""The job store: videos (in memory, or in an SQLite file), their status derived from elapsed time.

Nothing runs in the background: a job is ``queued`` for the first part of ``job_seconds``, then
``in_progress`` with a rising integer progress, then ``completed`` (progress 100, ``completed_at``
and ``expires_at`` set). A job given an ``error`` fails instead, half-way through, its progress
frozen. Status and progress are a function of a clock (monotonic in memory; the wall clock in a
store file, so that jobs running when the server stopped finish by their clock after a restart;
or a manual clock that moves only when told: ``mock --clock manual``), so they only ever move
forward. List order uses a sequence number because ``created_at`` seconds collide.

A test can move time and jobs (the control routes, ``contracts.mock.control``): ``advance`` moves
the store's clock (``offset``), ``move`` changes one job: its ``shift`` (seconds it runs ahead of the
clock: ``--advance-per-poll``) or its ``floor`` (a state it was moved to: complete, fail, progress),
never backwards: the reported state is the further of the clock's and the floor.

With ``GpuWorkers`` (``mock --gpu-workers N``) a job instead waits ``queued`` until a worker takes
it, then runs ``job_seconds`` on it (``contracts.mock.gpu``).

Edits and extensions are jobs like any other; their ``source`` says what they were made from
(``{"kind": "edit"|"extension", "video_id": id or None, "filename": name or None}``, and for an
extension ``"seconds"``: the new segment's length) and their
Video names it in an extra field (``edited_from_video_id`` / ``extended_from_video_id``, null
when the source was an uploaded file; docs/mock.md says why). Characters are kept beside the
jobs: an id, a name, a creation time and what was uploaded.

A ``JobPolicy`` decides what the normal code leaves open: the id of a new job, its duration and
outcome, and (for fault modes) a rewrite of the derived status. The default policy is the
faithful server; ``contracts.mock.faults`` supplies others.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from contracts.rules import STATUS

QUEUED_SHARE = 0.2  # the first fifth of a job is spent queued
FAIL_SHARE = 0.5  # a job that fails does so half-way through
EXPIRES_AFTER_SECONDS = 3600  # assets "expire" an hour after completion
STEPS = 10  # a job's life in steps (--advance-per-poll moves a job N of them per retrieve)

State = tuple[str, int]  # (status, progress)


def new_video_id() -> str:
    return "video_" + secrets.token_hex(16)


def new_character_id() -> str:
    return "char_" + secrets.token_hex(16)


# The extra Video field that names the source of an edit or an extension.
SOURCE_FIELDS = {"edit": "edited_from_video_id", "extension": "extended_from_video_id"}


class JobPolicy:
    """What the store asks about each job. The base class is the faithful server."""

    def new_id(self, prompt: str | None) -> str:
        return new_video_id()

    def setup(self, job: Job) -> None:
        """Called once per new job, before anyone sees it: may set ``job_seconds`` or ``error``."""

    def state(self, job: Job, elapsed: float, state: State, just_created: bool) -> State:
        """The (status, progress) to report, given the faithful one."""
        return state


DEFAULT_POLICY = JobPolicy()


class Scheduler(Protocol):
    """Who runs the jobs when they are not all run at once (``contracts.mock.gpu.GpuWorkers``);
    declared here so that the store does not import its scheduler (which imports the store)."""

    def submit(self, job: Job, now: float) -> None: ...
    def advance(self, now: float) -> None: ...
    def deleted(self, job: Job, now: float) -> None: ...
    def stats(self, now: float) -> dict[str, Any]: ...


@dataclass
class Job:
    id: str
    seq: int
    prompt: str | None
    model: str
    size: str
    seconds: str
    created_wall: float  # time.time() at creation
    created_mono: float  # monotonic clock at creation
    job_seconds: float  # this job's duration
    remixed_from_video_id: str | None = None
    reference: dict[str, Any] | None = None  # what input_reference was given (kind, details)
    source: dict[str, Any] | None = None  # an edit's or extension's source: {kind, video_id, filename}
    error: dict[str, Any] | None = None  # set at creation for a job that will fail
    policy: JobPolicy = field(default=DEFAULT_POLICY, repr=False, compare=False)
    gpu: bool = False  # run by a GPU worker: queued until ``started_mono``, then ``job_seconds`` long
    started_mono: float | None = None  # when a worker took it (GPU workers only)
    faults: tuple[str, ...] = ()  # the faults it was created with, when a request asked for its own
    shift: float = 0.0  # seconds it runs ahead of the clock (moved by polls: --advance-per-poll)
    floor: tuple[str, int] | None = None  # a state a control route moved it to: it reports at least this
    ended_wall: float | None = None  # when a control route completed it (its completed_at)

    def __post_init__(self) -> None:
        if type(self.faults) is not tuple:  # a store file keeps both as lists
            self.faults = tuple(self.faults)
        if self.floor is not None and type(self.floor) is not tuple:
            self.floor = (self.floor[0], self.floor[1])

    def faithful_state(self, elapsed: float) -> State:
        """(status, progress) after ``elapsed`` seconds, as the faithful server reports it: queued for
        the first ``QUEUED_SHARE`` of the job (a failing job fails later, at ``FAIL_SHARE``)."""
        return (STATUS.queued, 0) if elapsed < QUEUED_SHARE * self.job_seconds else self._running(elapsed)

    def worker_state(self, now_mono: float) -> State:
        """(status, progress) of a job run by a GPU worker: queued until a worker takes it."""
        if self.started_mono is None or now_mono < self.started_mono:
            return STATUS.queued, 0
        return self._running(now_mono - self.started_mono)

    def _running(self, running: float) -> State:
        """(status, progress) ``running`` seconds into the job: a failing job fails at ``FAIL_SHARE``."""
        if self.error is not None and running >= FAIL_SHARE * self.job_seconds:
            return STATUS.failed, self._progress(FAIL_SHARE * self.job_seconds)
        if running >= self.job_seconds:
            return STATUS.completed, 100
        return STATUS.in_progress, self._progress(running)

    def _progress(self, elapsed: float) -> int:
        return min(99, max(1, int(100 * elapsed / self.job_seconds))) if self.job_seconds else 0

    def state(self, now_mono: float, *, just_created: bool = False, policy: JobPolicy | None = None) -> State:
        """(status, progress) at monotonic time ``now_mono`` (a new job is reported queued), as
        ``policy`` (default: the job's own) reports it."""
        elapsed = max(0.0, now_mono + self.shift - self.created_mono)
        if just_created:
            faithful: State = (STATUS.queued, 0)
        else:
            faithful = self.worker_state(now_mono) if self.gpu else self.faithful_state(elapsed)
            if self.floor is not None:
                faithful = further(faithful, self.floor)
        return (policy or self.policy).state(self, elapsed, faithful, just_created)

    def is_completed(self, now_mono: float) -> bool:
        return self.state(now_mono)[0] == STATUS.completed

    def video(self, now_mono: float, *, just_created: bool = False, policy: JobPolicy | None = None) -> dict[str, Any]:
        """The Video object: all 13 fields, nullable ones as null."""
        status, progress = self.state(now_mono, just_created=just_created, policy=policy)
        created_at = int(self.created_wall)
        completed_at = expires_at = None
        if status == STATUS.completed:
            waited = (self.started_mono - self.created_mono) if self.started_mono is not None else 0.0
            ended = self.created_wall + waited + self.job_seconds - self.shift  # when the clock completes it
            if self.ended_wall is not None:  # completed by a control route (if the clock had not, earlier)
                ended = min(ended, self.ended_wall)
            completed_at = max(created_at, int(ended))
            expires_at = completed_at + EXPIRES_AFTER_SECONDS
        video = {
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
            "error": dict(self.error) if self.error and status == STATUS.failed else None,
        }
        if self.source is not None:
            video[SOURCE_FIELDS[self.source["kind"]]] = self.source.get("video_id")
        return video


def further(one: State, other: State) -> State:
    """The state further along of two: a terminal one first (the floor's, when both are), else the
    higher status, else the higher progress."""
    if other[0] in STATUS.terminal:
        return other
    if one[0] in STATUS.terminal:
        return one
    return max(one, other, key=lambda state: (STATUS.rank(state[0]) or 0, state[1]))


@dataclass(frozen=True)
class Character:
    """A character made from an uploaded video."""

    id: str
    name: str
    created_wall: float  # time.time() at creation
    video: dict[str, Any]  # what was uploaded: {filename, media_type, bytes, seconds}

    def resource(self) -> dict[str, Any]:
        """The VideoCharacter object."""
        return {"id": self.id, "name": self.name, "created_at": int(self.created_wall)}


@dataclass
class Page:
    jobs: list[Job]
    has_more: bool


class UnknownCursor(KeyError):
    pass


class VideoStore(ABC):
    """The jobs of one server, whatever keeps them: the app talks to this interface only.

    The job logic lives here (ids and outcomes from the policy, creation time, list order by
    sequence number); a subclass only keeps the jobs: ``MemoryStore`` in a dict (the default),
    ``SQLiteStore`` in a file shared by worker processes and kept across restarts
    (``contracts.mock.sqlite_store``). ``open_store`` (in ``app``) picks one from the
    server's settings.
    """

    def __init__(
        self,
        job_seconds: float,
        *,
        policy: JobPolicy = DEFAULT_POLICY,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ):
        self.job_seconds = job_seconds
        self.policy = policy
        self.monotonic = monotonic  # the clock job states are measured on
        self.wall = wall  # the clock of created_at
        self.offset = 0.0  # seconds the clock was advanced by (POST /_mock/clock/advance)
        # the policy of a job created with faults of its own (a store file keeps only their names)
        self.policy_for: Callable[[tuple[str, ...]], JobPolicy] = lambda names: self.policy

    def now(self) -> float:
        return self.monotonic() + self.offset

    def wall_now(self) -> float:
        return self.wall() + self.offset

    def advance(self, seconds: float) -> None:
        """Move this store's clock forward: its jobs move as if ``seconds`` had passed."""
        self.offset += seconds

    def create(self, *, prompt: str | None, model: str, size: str, seconds: str, age: float = 0.0,
               policy: JobPolicy | None = None, **extra: Any) -> Job:
        """A new job; ``age`` > 0 makes it one created that many seconds ago (e.g. someone else's);
        ``policy`` (with the fault names in ``extra["faults"]``) instead of the store's."""
        policy = policy or self.policy

        def make(seq: int) -> Job:
            job = Job(
                id=policy.new_id(prompt),
                seq=seq,
                prompt=prompt,
                model=model,
                size=size,
                seconds=seconds,
                created_wall=self.wall_now() - age,
                created_mono=self.now() - age,
                job_seconds=self.job_seconds,
                policy=policy,
                **extra,
            )
            policy.setup(job)
            return job

        return self._add(make)

    @abstractmethod
    def _add(self, make: Callable[[int], Job]) -> Job:
        """Store ``make(seq)`` with the next sequence number, atomically."""

    @abstractmethod
    def get(self, video_id: str) -> Job | None: ...

    @abstractmethod
    def delete(self, video_id: str) -> Job | None:
        """Remove the job; its id stays usable as a list cursor."""

    @abstractmethod
    def move(self, video_id: str, change: Callable[[Job], None]) -> Job | None:
        """Apply ``change`` to the job (atomically, and kept); the job as changed, None if unknown."""

    @abstractmethod
    def clear(self) -> None:
        """Forget every job and character (POST /_mock/reset): the store as new, its clock too."""

    @abstractmethod
    def page(self, *, limit: int, order: str, after: str | None = None) -> Page:
        """Up to ``limit`` jobs in creation order (``asc``/``desc``), starting after ``after``
        (raises UnknownCursor if no job ever had that id)."""

    @abstractmethod
    def __len__(self) -> int: ...

    def create_character(self, name: str, video: dict[str, Any], media: bytes | None = None) -> Character:
        """A character made from an uploaded video: ``video`` describes the upload, ``media`` is
        the file itself (kept beside a store file; in memory only its description is kept)."""
        character = Character(id=new_character_id(), name=name, created_wall=self.wall(), video=dict(video))
        self._add_character(character, media)
        return character

    @abstractmethod
    def _add_character(self, character: Character, media: bytes | None) -> None: ...

    @abstractmethod
    def get_character(self, character_id: str) -> Character | None: ...

    def gpu_stats(self) -> dict[str, Any] | None:
        """What the GPU workers did and still owe (None without workers)."""
        return None

    def close(self) -> None:
        """Release what the store holds open (nothing, in memory)."""


class MemoryStore(VideoStore):
    """Jobs in a dict: fast, and gone when the server stops. A lock guards the maps so
    concurrent requests lose nothing. ``workers`` (GPU workers) keep their queue here too."""

    def __init__(self, job_seconds: float, *, workers: Scheduler | None = None, **kwargs: Any):
        super().__init__(job_seconds, **kwargs)
        self.workers = workers  # None: every job runs at once (no GPU queue)
        self._jobs: dict[str, Job] = {}
        self._deleted: dict[str, int] = {}  # id -> seq, so `after` survives deletion
        self._characters: dict[str, Character] = {}
        self._seq = 0
        self._lock = threading.Lock()

    def _add(self, make: Callable[[int], Job]) -> Job:
        with self._lock:
            self._seq += 1
            job = make(self._seq)
            if self.workers is not None:
                self.workers.submit(job, job.created_mono)
            self._jobs[job.id] = job
            return job

    def _advance(self) -> None:
        """Bring the GPU schedule up to now (call with the lock held)."""
        if self.workers is not None:
            self.workers.advance(self.now())

    def get(self, video_id: str) -> Job | None:
        with self._lock:
            self._advance()
            return self._jobs.get(video_id)

    def delete(self, video_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.pop(video_id, None)
            if job is not None:
                self._deleted[job.id] = job.seq
                if self.workers is not None:
                    self.workers.deleted(job, self.now())
            return job

    def move(self, video_id: str, change: Callable[[Job], None]) -> Job | None:
        with self._lock:
            self._advance()
            job = self._jobs.get(video_id)
            if job is not None:
                change(job)
            return job

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._deleted.clear()
            self._characters.clear()
            self._seq = 0
            self.offset = 0.0
            if self.workers is not None:
                self.workers = self.workers.fresh()

    def gpu_stats(self) -> dict[str, Any] | None:
        """What the GPU workers did and still owe (None without workers)."""
        with self._lock:
            return None if self.workers is None else self.workers.stats(self.now())

    def _add_character(self, character: Character, media: bytes | None) -> None:
        with self._lock:
            self._characters[character.id] = character

    def get_character(self, character_id: str) -> Character | None:
        with self._lock:
            return self._characters.get(character_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)

    def page(self, *, limit: int, order: str, after: str | None = None) -> Page:
        with self._lock:
            self._advance()
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


class StoreError(ValueError):
    """A store file that cannot be used (unwritable, not ours, newer, damaged): one line."""
