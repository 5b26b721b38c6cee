"""One store interface, two implementations: every test runs on the in-memory store and on the
SQLite file, and the SQLite file gives back the same jobs when it is opened again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from contracts.mock import sqlite_store
from contracts.mock.sqlite_store import APPLICATION_ID, SCHEMA_VERSION, SQLiteStore
from contracts.mock.app import open_store
from contracts.mock.store import Job, JobPolicy, MemoryStore, StoreError, UnknownCursor, VideoStore
from tests.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request, tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., VideoStore]]:
    opened: list[VideoStore] = []

    def make(job_seconds: float = 10.0, **kwargs) -> VideoStore:
        if request.param == "memory":
            store: VideoStore = MemoryStore(job_seconds, monotonic=clock, wall=clock, **kwargs)
        else:
            store = SQLiteStore.open(tmp_path / "videos.db", job_seconds, clock=clock, **kwargs)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def create(store: VideoStore, prompt: str = "p", **extra):
    return store.create(prompt=prompt, model="sora-2", size="720x1280", seconds="4", **extra)


def ids(page) -> list[str]:
    return [job.id for job in page.jobs]


def test_create_get_delete(make_store):
    store = make_store()
    job = create(store, "a cat", reference={"kind": "file", "media_type": "image/png"})
    assert len(store) == 1
    again = store.get(job.id)
    assert again is not None and again.video(store.now()) == job.video(store.now())
    assert again.reference == {"kind": "file", "media_type": "image/png"}
    assert store.get("video_missing") is None
    assert store.delete(job.id).id == job.id
    assert store.get(job.id) is None and store.delete(job.id) is None and len(store) == 0


def test_page_order_cursor_and_has_more(make_store):
    store = make_store()
    made = [create(store, f"v{i}").id for i in range(5)]
    assert ids(store.page(limit=10, order="asc")) == made
    assert ids(store.page(limit=10, order="desc")) == made[::-1]
    page = store.page(limit=2, order="asc", after=made[1])
    assert (ids(page), page.has_more) == (made[2:4], True)
    page = store.page(limit=2, order="desc", after=made[1])
    assert (ids(page), page.has_more) == (made[:1], False)
    store.delete(made[2])
    assert ids(store.page(limit=10, order="asc", after=made[2])) == made[3:], "a deleted id stays a cursor"
    with pytest.raises(UnknownCursor):
        store.page(limit=10, order="asc", after="video_never")


def test_status_follows_the_store_clock(make_store, clock):
    store = make_store(job_seconds=10.0)
    job = create(store)
    assert job.video(store.now(), just_created=True)["status"] == "queued"
    clock.now += 5
    assert store.get(job.id).state(store.now())[0] == "in_progress"
    clock.now += 5
    video = store.get(job.id).video(store.now())
    assert (video["status"], video["completed_at"]) == ("completed", video["created_at"] + 10)


class PromptIdsThirdFails(JobPolicy):
    """Ids from the prompt; every third job fails (as fault modes do)."""

    def new_id(self, prompt: str | None) -> str:
        return f"video_{prompt}"

    def setup(self, job: Job) -> None:
        if job.seq % 3 == 0:
            job.error = {"code": "x", "message": "third"}


def test_the_policy_sets_ids_and_outcomes(make_store):
    store = make_store(policy=PromptIdsThirdFails())
    jobs = [create(store, f"p{i}") for i in range(3)]
    assert [job.error is not None for job in jobs] == [False, False, True]  # every third job fails
    assert store.get(jobs[2].id).error == jobs[2].error
    assert create(store, "p0").id == jobs[0].id  # the same prompt makes the same id: it replaces the job
    assert len(store) == 3


def test_characters_and_edit_sources(make_store):
    store = make_store()
    character = store.create_character("Mossy", {"filename": "c.mp4", "media_type": "video/mp4", "bytes": 3})
    assert store.get_character(character.id).resource() == character.resource()
    assert store.get_character("char_missing") is None
    edit = create(store, "recolour", source={"kind": "edit", "video_id": "video_x", "filename": None})
    assert store.get(edit.id).video(store.now())["edited_from_video_id"] == "video_x"


def test_a_moved_job_keeps_its_move(make_store, clock):
    """What the control routes do: a floor, an end time, a shift, kept by the store (a file too)."""
    store = make_store(job_seconds=10.0)
    job = create(store)
    assert store.move("video_missing", lambda j: None) is None
    store.move(job.id, lambda j: setattr(j, "floor", ("in_progress", 40)))
    assert store.get(job.id).state(store.now()) == ("in_progress", 40)
    clock.now += 6  # the clock overtakes the floor: 60
    assert store.get(job.id).state(store.now()) == ("in_progress", 60)
    store.move(job.id, lambda j: (setattr(j, "floor", ("completed", 100)), setattr(j, "ended_wall", clock.now)))
    video = store.get(job.id).video(store.now())
    assert (video["status"], video["completed_at"]) == ("completed", int(clock.now))
    shifted = create(store, "polled")
    store.move(shifted.id, lambda j: setattr(j, "shift", 10.0))
    assert store.get(shifted.id).video(store.now())["completed_at"] == int(clock.now)  # completed as polled, now


def test_advancing_the_store_clock_moves_its_jobs(make_store):
    store = make_store(job_seconds=10.0)
    job = create(store)
    store.advance(10)
    video = store.get(job.id).video(store.now())
    assert (video["status"], video["completed_at"]) == ("completed", video["created_at"] + 10)


def test_clear_forgets_everything(make_store):
    store = make_store()
    job = create(store)
    store.delete(create(store).id)
    store.create_character("Mossy", {"filename": "c.mp4", "media_type": "video/mp4", "bytes": 3}, media=b"x")
    store.advance(5)
    store.clear()
    assert len(store) == 0 and store.get(job.id) is None and store.offset == 0
    with pytest.raises(UnknownCursor):
        store.page(limit=1, order="asc", after=job.id)
    assert ids(store.page(limit=5, order="asc")) == []


def test_open_store_picks_the_implementation(tmp_path):
    assert isinstance(open_store(None, 1.0), MemoryStore)
    store = open_store(str(tmp_path / "s.db"), 1.0)
    try:
        assert isinstance(store, SQLiteStore)
    finally:
        store.close()


# ---- the file ------------------------------------------------------------------------------
def test_a_reopened_store_has_the_same_jobs_order_and_cursors(tmp_path, clock):
    path = tmp_path / "videos.db"
    first = SQLiteStore.open(path, 10.0, clock=clock)
    made = [create(first, f"v{i}").id for i in range(4)]
    last_seq = first.get(made[3]).seq
    first.delete(made[1])
    running = first.get(made[3]).state(first.now())
    first.close()

    clock.now += 3  # the server was down for 3 s: the jobs went on by their clock
    second = SQLiteStore.open(path, 1.0, clock=clock)  # another --job-seconds does not change old jobs
    try:
        assert ids(second.page(limit=10, order="asc")) == [made[0], made[2], made[3]]
        assert ids(second.page(limit=10, order="desc", after=made[1])) == [made[0]]
        assert running[0] == "queued" and second.get(made[3]).state(second.now())[0] == "in_progress"
        clock.now += 7
        assert second.get(made[3]).state(second.now()) == ("completed", 100)
        newer = create(second, "after the restart")
        assert newer.seq > last_seq and ids(second.page(limit=1, order="desc")) == [newer.id]
        assert newer.job_seconds == 1.0
    finally:
        second.close()


def test_characters_and_their_videos_survive_a_reopen(tmp_path):
    path = tmp_path / "videos.db"
    first = SQLiteStore.open(path, 1.0)
    character = first.create_character("Mossy", {"filename": "c.mp4", "media_type": "video/mp4"}, media=b"MP4 bytes")
    first.close()
    second = SQLiteStore.open(path, 1.0)
    try:
        again = second.get_character(character.id)
        assert again.resource() == character.resource()
        assert (tmp_path / "videos.db-media" / again.video["file"]).read_bytes() == b"MP4 bytes"
        assert again.video["file"] == f"{character.id}.mp4"
    finally:
        second.close()


def test_a_new_store_is_marked_and_versioned(tmp_path):
    path = tmp_path / "videos.db"
    SQLiteStore.open(path, 1.0).close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


VERSION_1 = """
CREATE TABLE videos (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, deleted INTEGER NOT NULL DEFAULT 0,
                     job TEXT NOT NULL);
CREATE TABLE characters (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, character TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO counters VALUES ('videos', 7);
"""


def test_a_version_1_store_is_migrated_with_its_videos(tmp_path, clock):
    path = tmp_path / "videos.db"
    old = SQLiteStore.open(tmp_path / "scratch.db", 10.0, clock=clock)
    job = create(old, "made by version 1")
    old.close()
    with closing(sqlite3.connect(path)) as db:
        db.executescript(VERSION_1)
        db.execute("INSERT INTO videos (seq, id, job) VALUES (7, ?, ?)", (job.id, sqlite_store._dump(job)))
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 1")
        db.commit()
    store = SQLiteStore.open(path, 10.0, clock=clock)
    try:
        assert [j.id for j in store.page(limit=10, order="asc").jobs] == [job.id]
        assert create(store, "made by version 2").seq == 8
    finally:
        store.close()
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"videos", "characters"}


def test_an_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    SQLiteStore.open(path, 1.0).close()
    SQLiteStore.open(path, 1.0).close()


def test_errors_are_one_line_store_errors(tmp_path):
    with pytest.raises(StoreError, match=r"^--store .*: is a directory") as caught:
        SQLiteStore.open(tmp_path, 1.0)
    assert "\n" not in str(caught.value)
