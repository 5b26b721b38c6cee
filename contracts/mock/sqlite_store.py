"""The store in an SQLite file (``videos-contract mock --store PATH``): jobs survive a restart,
and several worker processes share them.

One row per job, kept after a delete (flagged) so that its id still works as a list cursor, and
so that sequence numbers only grow. The row holds the job's fields as JSON beside the columns
that are queried (``id``, ``seq``, ``deleted``). A new job's sequence number is the highest so far
plus one, taken in the same write transaction as its insert (``BEGIN IMMEDIATE``): creates in
different processes never share a number, and list order is creation order across workers. WAL
mode lets readers go on while one process writes. Characters are rows too; the video each was
made from is a file in the folder beside the database (``videos.db-media/char_....mp4``), written
before its row.

Times are wall-clock seconds (``time.time``): a monotonic clock does not survive a restart, and
a job that was running when the server stopped must finish by its clock when it comes back.

The file is checked before anything is written to it: an SQLite file of another application, a
damaged file and a store written by a newer kit (a higher ``SCHEMA_VERSION``) are refused with
one line (``StoreError``), and left exactly as they were (the log a server that did not close it
left beside it is read from a private copy). An older store is migrated
(``MIGRATIONS``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from contracts.mock.store import DEFAULT_POLICY, Character, Job, JobPolicy, Page, StoreError, UnknownCursor, VideoStore

APPLICATION_ID = 0x5643_4D4B  # "VCMK": marks the file as a videos-contract mock store
SCHEMA_VERSION = 2  # PRAGMA user_version; bump with a migration in MIGRATIONS when the tables change
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 30.0  # how long a write waits for another process's write to end

SCHEMA = """
CREATE TABLE videos (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    deleted INTEGER NOT NULL DEFAULT 0,
    job TEXT NOT NULL
);
CREATE TABLE characters (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    character TEXT NOT NULL
);
"""
TABLES = {"videos", "characters"}
MEDIA_SUFFIX = "-media"  # videos.db -> videos.db-media/: uploaded files, beside SQLite's -wal and -shm
# Migrations from version N to N + 1: MIGRATIONS[N] is the SQL script.
MIGRATIONS: dict[int, str] = {
    1: "DROP TABLE counters",  # version 1 counted sequence numbers in a row: one page write more per create
}

_JOB_FIELDS = tuple(f.name for f in fields(Job) if f.name != "policy")
_MEDIA_EXTENSIONS = {"video/mp4": "mp4", "video/webm": "webm", "video/quicktime": "mov"}


class SQLiteStore(VideoStore):
    """Jobs in an SQLite file. One connection per process, guarded by a lock (handlers run on
    the event loop, image checks on threads)."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        job_seconds: float,
        *,
        policy: JobPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(job_seconds, policy=policy, monotonic=clock, wall=clock)
        self.path = path
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        job_seconds: float,
        *,
        policy: JobPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.time,
    ) -> SQLiteStore:
        """Open the store at ``path``, creating it if missing; StoreError says why it cannot be used.
        ``clock`` (wall-clock seconds) is both the jobs' clock and their ``created_at``."""
        target = Path(path)
        _check_path(target)
        if target.exists() and target.stat().st_size > 0:
            _check_existing(target)  # read-only: a refused file is never touched
        connection = _connect(target, target, isolation_level=None, check_same_thread=False)
        try:
            _prepare(connection, target)
        except sqlite3.Error as exc:
            connection.close()
            raise StoreError(f"--store {target}: cannot write it: {exc}") from None
        except StoreError:
            connection.close()
            raise
        return cls(connection, target, job_seconds, policy=policy, clock=clock)

    # ---- VideoStore ----------------------------------------------------------------------
    def _add(self, make: Callable[[int], Job]) -> Job:
        with self._transaction("IMMEDIATE") as db:
            (seq,) = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM videos").fetchone()
            job = make(seq)
            # An id made again (a fault's id from the prompt) replaces the row, as in memory.
            db.execute("INSERT OR REPLACE INTO videos (seq, id, deleted, job) VALUES (?, ?, 0, ?)",
                       (job.seq, job.id, _dump(job)))
            return job

    def get(self, video_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT job FROM videos WHERE id = ? AND deleted = 0", (video_id,)).fetchone()
        return None if row is None else self._load(row[0])

    def delete(self, video_id: str) -> Job | None:
        with self._transaction("IMMEDIATE") as db:
            row = db.execute("UPDATE videos SET deleted = 1 WHERE id = ? AND deleted = 0 RETURNING job",
                             (video_id,)).fetchone()
        return None if row is None else self._load(row[0])

    def move(self, video_id: str, change: Callable[[Job], None]) -> Job | None:
        with self._transaction("IMMEDIATE") as db:
            row = db.execute("SELECT job FROM videos WHERE id = ? AND deleted = 0", (video_id,)).fetchone()
            if row is None:
                return None
            job = self._load(row[0])
            change(job)
            db.execute("UPDATE videos SET job = ? WHERE id = ?", (_dump(job), job.id))
        return job

    def clear(self) -> None:
        """Every row goes (deleted ones too: their ids stop being cursors), and the uploaded files."""
        with self._transaction("IMMEDIATE") as db:
            db.execute("DELETE FROM videos")
            db.execute("DELETE FROM characters")
        if self.media_folder.is_dir():
            for file in self.media_folder.iterdir():
                file.unlink(missing_ok=True)
        self.offset = 0.0

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM videos WHERE deleted = 0").fetchone()[0]

    def page(self, *, limit: int, order: str, after: str | None = None) -> Page:
        descending = order == "desc"
        with self._transaction("DEFERRED") as db:  # one snapshot for the cursor and the page
            if after is None:
                cursor = None
            else:
                row = db.execute("SELECT seq FROM videos WHERE id = ?", (after,)).fetchone()
                if row is None:
                    raise UnknownCursor(after)
                cursor = row[0]
            where = "deleted = 0" if cursor is None else f"deleted = 0 AND seq {'<' if descending else '>'} ?"
            rows = db.execute(
                f"SELECT job FROM videos WHERE {where} ORDER BY seq {'DESC' if descending else 'ASC'} LIMIT ?",
                (() if cursor is None else (cursor,)) + (limit + 1,),
            ).fetchall()
        jobs = [self._load(row[0]) for row in rows]
        return Page(jobs[:limit], has_more=len(jobs) > limit)

    def _add_character(self, character: Character, media: bytes | None) -> None:
        video = dict(character.video)
        if media is not None:
            video["file"] = self._write_media(character.id, video.get("media_type"), media)
        record = {"id": character.id, "name": character.name, "created_wall": character.created_wall, "video": video}
        with self._transaction("IMMEDIATE") as db:
            db.execute("INSERT INTO characters (id, character) VALUES (?, ?)",
                       (character.id, json.dumps(record, separators=(",", ":"))))

    def get_character(self, character_id: str) -> Character | None:
        with self._lock:
            row = self._db.execute("SELECT character FROM characters WHERE id = ?", (character_id,)).fetchone()
        return None if row is None else Character(**json.loads(row[0]))

    @property
    def media_folder(self) -> Path:
        return self.path.with_name(self.path.name + MEDIA_SUFFIX)

    def _write_media(self, owner_id: str, media_type: str | None, data: bytes) -> str:
        """Write ``data`` beside the database (atomically: a row never names a partial file)."""
        name = f"{owner_id}.{_MEDIA_EXTENSIONS.get(str(media_type), 'bin')}"
        self.media_folder.mkdir(exist_ok=True)
        partial = self.media_folder / f".{name}.{os.getpid()}.partial"
        partial.write_bytes(data)
        os.replace(partial, self.media_folder / name)
        return name

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- rows ----------------------------------------------------------------------------
    @contextmanager
    def _transaction(self, kind: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute(f"BEGIN {kind}")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _load(self, text: str) -> Job:
        data = json.loads(text)
        policy = self.policy_for(tuple(data["faults"])) if data.get("faults") else self.policy
        return Job(**{name: data[name] for name in _JOB_FIELDS if name in data}, policy=policy)


def _dump(job: Job) -> str:
    # ASCII JSON: prompts may hold lone surrogates, which SQLite's UTF-8 text cannot.
    return json.dumps({name: getattr(job, name) for name in _JOB_FIELDS}, separators=(",", ":"))


# ---- checks before use ---------------------------------------------------------------------
def _check_path(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"--store {path}: is a directory; give a file path, such as {path / 'videos.db'}")
    folder = path.parent
    if not folder.exists():
        raise StoreError(f"--store {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise StoreError(f"--store {path}: {folder} is not a folder")
    media = path.with_name(path.name + MEDIA_SUFFIX)
    if media.exists() and not media.is_dir():
        raise StoreError(f"--store {path}: {media} (where uploaded files go) is not a folder")
    if path.exists():
        if not path.is_file():
            raise StoreError(f"--store {path}: is not a regular file")
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"--store {path}: is not writable (permission denied)")
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"--store {path}: cannot create a file in {folder} (permission denied)")
    # checked now, not at the first character upload (which would answer 500)
    if media.is_dir() and not os.access(media, os.W_OK | os.X_OK):
        raise StoreError(f"--store {path}: cannot write uploaded files in {media} (permission denied)")
    if not media.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"--store {path}: cannot create {media} (where uploaded files go) in {folder} "
                         "(permission denied)")


def _check_existing(path: Path) -> None:
    """Refuse, without writing anything, a file that is not a store this kit can use."""
    try:
        with path.open("rb") as file:
            magic = file.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"--store {path}: cannot read it: {exc.strerror or exc}") from None
    if magic != SQLITE_MAGIC:
        raise StoreError(f"--store {path}: is not an SQLite database (a damaged file, or another kind of file)")
    wal = path.with_name(path.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        # The whole database is in the file: read it as immutable, which creates nothing beside it.
        _check_database(path, f"{path.resolve().as_uri()}?immutable=1")
        return
    # A write-ahead log beside it (a server that did not close it, or one serving it now) holds the
    # latest writes. Any reader of the original would rebuild SQLite's shared-memory index beside it
    # (-shm): read a private copy of the file and its log instead, so a refused store is left as it was.
    try:
        with tempfile.TemporaryDirectory(prefix="videos-contract-store-") as folder:
            copy = Path(folder) / "store.db"
            shutil.copyfile(path, copy)
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
            _check_database(path, f"{copy.as_uri()}?mode=ro")
            return
    except (OSError, DamagedStore):
        pass  # no room for a copy, or one torn by a server writing while it was copied: read the original
    _check_database(path, f"{path.resolve().as_uri()}?mode=ro")


class DamagedStore(StoreError):
    """A store file SQLite finds inconsistent."""


def _check_database(path: Path, uri: str) -> None:
    """Refuse the store ``path``, read at ``uri`` (the file itself or a copy), if it is not ours to use."""
    connection = _connect(path, uri, uri=True)
    try:
        _check_schema(connection, path)
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            raise DamagedStore(f"--store {path}: the database is damaged ({problems[0]})")
    except sqlite3.DatabaseError as exc:
        raise DamagedStore(f"--store {path}: the database is damaged ({exc})") from None
    finally:
        connection.close()


def _check_schema(db: sqlite3.Connection, path: Path) -> int:
    """The store's schema version (0 for an empty database); StoreError if it is not ours to use."""
    application_id = db.execute("PRAGMA application_id").fetchone()[0]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if application_id == 0 and version == 0 and not tables:
        return 0  # an empty database: ours to set up
    if application_id != APPLICATION_ID:
        listed = ", ".join(sorted(tables)[:5]) or "none"
        raise StoreError(f"--store {path}: is an SQLite database of another application (tables: {listed}); "
                         "give a new file")
    if version > SCHEMA_VERSION:
        raise StoreError(f"--store {path}: was written by a newer videos-contract (store schema {version}, this "
                         f"one knows up to {SCHEMA_VERSION}); upgrade videos-contract or use another file")
    if version < SCHEMA_VERSION and any(v not in MIGRATIONS for v in range(version, SCHEMA_VERSION)):
        raise StoreError(f"--store {path}: has store schema {version}, which this videos-contract cannot migrate")
    if version == SCHEMA_VERSION and not TABLES <= tables:
        raise DamagedStore(f"--store {path}: the database is damaged (missing tables: "
                         f"{', '.join(sorted(TABLES - tables))})")
    return version


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    """WAL mode, then the tables (a new store) or the migrations (an older one), in one transaction."""
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(f"--store {path}: SQLite cannot use WAL mode there (journal mode {mode})")
    db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across a crash of the server
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _check_schema(db, path)  # again, under the write lock: another process may have begun
        if version == 0:
            for statement in _statements(SCHEMA):
                db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        for step in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[step]):
                db.execute(statement)
        if version != SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _statements(script: str) -> Iterator[str]:
    # executescript() would commit the open transaction first: run the statements one by one.
    yield from (statement.strip() for statement in script.split(";") if statement.strip())


__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteStore", "StoreError"]


def _connect(path: Path, database: str | Path, **options: Any) -> sqlite3.Connection:
    """A connection to the store at ``path``; StoreError when SQLite cannot open it."""
    try:
        return sqlite3.connect(database, timeout=BUSY_TIMEOUT_SECONDS, **options)
    except sqlite3.Error as exc:
        raise StoreError(f"--store {path}: cannot open it: {exc}") from None
