"""``videos-contract mock --store PATH [--workers N]`` as real processes over real HTTP: a restart
keeps ids, statuses, content, order and cursors; worker processes share one store; a path that
cannot be a store is refused with one line (exit 2) and left as it was."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from importlib import resources
from pathlib import Path

import httpx
import pytest
from mock_helpers import list_all

from contracts.embedded import EmbeddedServer
from contracts.mock.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
WORKER_CREATES = 300
RUNNING_SECONDS = 2  # the job left running when the first server stops
MP4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()


def run_mock(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "contracts.mock", "--port", "0", *args], capture_output=True,
                          text=True, timeout=60, cwd=ROOT, env=env)


@contextmanager
def serving(store: Path, *extra: str, job_seconds: float = 0.3) -> Iterator[httpx.Client]:
    with EmbeddedServer(job_seconds=job_seconds, extra_args=["--store", str(store), *extra], stop_timeout=20) as server:
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            yield client


def create(client: httpx.Client, prompt: str) -> dict:
    response = client.post("/videos", json={"prompt": prompt})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_the_clock(wall: float) -> None:
    """Until the wall clock (a store's job clock) has passed ``wall``: waiting on a condition,
    not a guess at how long something takes."""
    while time.time() <= wall:
        time.sleep(0.05)


# ---- restarts ------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_restart_keeps_ids_statuses_content_order_and_cursors(tmp_path):
    store = tmp_path / "videos.db"
    with serving(store, job_seconds=RUNNING_SECONDS) as client:
        running = create(client, "still running when the server stops")
        character = client.post("/videos/characters", files={"name": (None, "Mossy"), "video": ("c.mp4", MP4, "video/mp4")})
        assert character.status_code == 200, character.text
    with serving(store, job_seconds=3600) as client:
        long = [create(client, f"long job {i}") for i in range(5)]
        assert client.delete(f"/videos/{long[1]['id']}").status_code == 200
        before = list_all(client, "desc")
        pages_before = [v["id"] for v in list_all(client, "asc", limit=2)]

    # The server is down when the running job's time is up: it comes back completed, by its own clock.
    wait_for_the_clock(running["created_at"] + 1 + RUNNING_SECONDS)  # created_at is whole seconds
    with serving(store, job_seconds=0) as client:
        finished = client.get(f"/videos/{running['id']}").json()  # the first look after the restart
        assert (finished["status"], finished["progress"]) == ("completed", 100)
        assert (finished["created_at"], finished["completed_at"]) == (running["created_at"], running["created_at"] + RUNNING_SECONDS)
        after = list_all(client, "desc")
        assert [v["id"] for v in after] == [v["id"] for v in before]
        assert [v["id"] for v in list_all(client, "asc", limit=2)] == pages_before
        for old, new in zip(before, after):
            if old["id"] != running["id"]:
                assert new == old, "a 3600 s job is unchanged: same fields, still queued"
            else:
                assert new == finished
        # the deleted video is gone but still a cursor
        assert client.get(f"/videos/{long[1]['id']}").status_code == 404
        page = client.get("/videos", params={"order": "asc", "after": long[1]["id"]}).json()
        assert [v["id"] for v in page["data"]] == [long[2]["id"], long[3]["id"], long[4]["id"]]

        content = client.get(f"/videos/{running['id']}/content")
        assert (content.status_code, content.headers["content-type"]) == (200, "video/mp4")

        newest = create(client, "made after two restarts")
        assert list_all(client, "desc")[0]["id"] == newest["id"]
        remix = client.post(f"/videos/{running['id']}/remix", json={"prompt": "again"})
        assert remix.status_code == 200 and remix.json()["remixed_from_video_id"] == running["id"]
        edit = client.post("/videos/edits", json={"prompt": "recolour", "video": {"id": running["id"]}})
        assert edit.status_code == 200 and edit.json()["edited_from_video_id"] == running["id"]
        extension = client.post("/videos/extensions", json={"prompt": "longer", "video": {"id": running["id"]}, "seconds": "4"})
        assert extension.status_code == 200 and extension.json()["extended_from_video_id"] == running["id"]
        digest = hashlib.sha256(content.content).hexdigest()
        assert client.get(f"/videos/characters/{character.json()['id']}").json() == character.json()

    with serving(store) as client:
        again = client.get(f"/videos/{running['id']}/content")
        assert hashlib.sha256(again.content).hexdigest() == digest
        assert client.get(f"/videos/{remix.json()['id']}").json()["remixed_from_video_id"] == running["id"]
        assert client.get(f"/videos/{edit.json()['id']}").json()["edited_from_video_id"] == running["id"]
        extended = client.get(f"/videos/{extension.json()['id']}").json()
        assert (extended["extended_from_video_id"], extended["seconds"]) == (running["id"], extension.json()["seconds"])
        assert client.get(f"/videos/characters/{character.json()['id']}").json() == character.json()
    assert (tmp_path / "videos.db-media" / f"{character.json()['id']}.mp4").read_bytes() == MP4


@pytest.mark.slow
def test_what_the_control_routes_did_survives_a_restart(tmp_path):
    """Moves are kept in the file; a job keeps the faults its request asked for; a reset empties the file."""
    store = tmp_path / "videos.db"
    with serving(store, job_seconds=3600) as client:
        root = str(client.base_url).removesuffix("/v1/")
        completed, failed = create(client, "completed by a test"), create(client, "failed by a test")
        faulty = client.post("/videos", json={"prompt": "p"}, headers={"X-Videos-Mock-Fault": "seconds-integer"}).json()
        assert httpx.post(f"{root}/_mock/videos/{completed['id']}/complete").status_code == 200
        assert httpx.post(f"{root}/_mock/videos/{failed['id']}/fail", json={"code": "oom"}).status_code == 200
        done = client.get(f"/videos/{completed['id']}").json()
    with serving(store, job_seconds=3600) as client:
        assert client.get(f"/videos/{completed['id']}").json() == done
        assert client.get(f"/videos/{failed['id']}").json()["error"]["code"] == "oom"
        assert client.get(f"/videos/{faulty['id']}").json()["seconds"] == 4
        root = str(client.base_url).removesuffix("/v1/")
        assert httpx.post(f"{root}/_mock/reset").status_code == 200
        assert list_all(client, "asc") == []
    with serving(store) as client:
        assert list_all(client, "asc") == []


# ---- worker processes ----------------------------------------------------------------------
async def create_many(base_url: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=0)  # new connections: any worker
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=limits) as client:
        return await asyncio.gather(*(client.post("/videos", json={"prompt": f"worker create {i}"})
                                      for i in range(count)))


def workers_of(pid: int) -> set[int]:
    """The uvicorn worker processes (multiprocessing children) of the server ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat, command = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


@pytest.mark.slow
def test_workers_share_one_store_and_lose_or_double_nothing(tmp_path):
    store = tmp_path / "videos.db"
    server = EmbeddedServer(job_seconds=3600, extra_args=["--store", str(store), "--workers", "2"], stop_timeout=20)
    with server:
        responses = asyncio.run(create_many(server.base_url, WORKER_CREATES))
        workers = workers_of(server.pid)  # they answered: they are up
        assert [r.status_code for r in responses] == [200] * WORKER_CREATES
        created = [r.json()["id"] for r in responses]
        assert len(set(created)) == WORKER_CREATES, "an id was given twice"
        with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
            ascending = [v["id"] for v in list_all(client, "asc", limit=7)]
            descending = [v["id"] for v in list_all(client, "desc", limit=13)]
            assert len(ascending) == len(set(ascending)) == WORKER_CREATES, "a video was lost or listed twice"
            assert set(ascending) == set(created)
            assert ascending == descending[::-1]
            for video_id in created[::10]:
                assert client.get(f"/videos/{video_id}").status_code == 200
    assert len(workers) == 2, "the workers run as processes of their own"
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "a worker outlived the server"
    with closing(sqlite3.connect(store)) as db:  # the file agrees: 300 rows, 300 distinct sequence numbers
        assert db.execute("SELECT count(*), count(DISTINCT seq) FROM videos").fetchone() == (300, 300)


@pytest.mark.slow
def test_two_servers_on_one_store_file_lose_or_double_nothing(tmp_path):
    # The same file served by two processes of their own (two ports): which process answers each
    # create is fixed by the test, not by the kernel's choice of a worker.
    store = tmp_path / "videos.db"
    with serving(store, job_seconds=3600) as first, serving(store, job_seconds=3600) as second:
        async def create_on_both() -> list[httpx.Response]:
            half = WORKER_CREATES // 2
            made = await asyncio.gather(create_many(str(first.base_url), half), create_many(str(second.base_url), half))
            return made[0] + made[1]

        responses = asyncio.run(create_on_both())
        assert [r.status_code for r in responses] == [200] * WORKER_CREATES
        created = {r.json()["id"] for r in responses}
        assert len(created) == WORKER_CREATES, "an id was given twice"
        for client in (first, second):
            ascending = [v["id"] for v in list_all(client, "asc", limit=7)]
            descending = [v["id"] for v in list_all(client, "desc", limit=13)]
            assert len(ascending) == len(set(ascending)) == WORKER_CREATES, "a video was lost or listed twice"
            assert set(ascending) == created and ascending == descending[::-1]


@contextmanager
def mock_process(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Iterator[
        tuple[subprocess.Popen[str], httpx.Client]]:
    """``python -m contracts.mock ARGS`` as a process of the test's own (to kill it, or run it
    elsewhere than the package), and a client of it once it is listening."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    server = subprocess.Popen([sys.executable, "-m", "contracts.mock", "--port", "0", *args], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip().rsplit(" ", 1)[-1]
        with httpx.Client(base_url=url, timeout=30.0) as client:
            yield server, client
    finally:
        server.terminate()
        server.communicate(timeout=30)  # and closes its pipes


@pytest.mark.slow
def test_the_default_keeps_videos_in_memory_and_writes_nothing(tmp_path):
    home, scratch, work = (tmp_path / name for name in ("home", "tmp", "work"))
    for folder in (home, scratch, work):
        folder.mkdir()
    with mock_process("--job-seconds", "0", cwd=work, env={"HOME": str(home), "TMPDIR": str(scratch)}) as (_, client):
        video = create(client, "kept in memory")
        assert client.get(f"/videos/{video['id']}/content").status_code == 200
        character = client.post("/videos/characters", files={"name": (None, "Mossy"), "video": ("c.mp4", MP4, "video/mp4")})
        assert character.status_code == 200, character.text
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["home", "tmp", "work"]


@pytest.mark.slow
def test_a_store_left_by_a_killed_server_comes_back_with_every_answered_create(tmp_path):
    store = tmp_path / "videos.db"
    with mock_process("--store", str(store), "--job-seconds", "3600") as (server, client):
        made = [create(client, f"answered before the kill {i}")["id"] for i in range(20)]
        server.kill()  # no shutdown: the write-ahead log is left beside the file
        server.wait(timeout=30)
    assert store.with_name("videos.db-wal").exists()
    with serving(store) as client:
        assert [v["id"] for v in list_all(client, "asc", limit=6)] == made


@pytest.mark.slow  # two mock processes on one store (seconds)
def test_fault_start_up_state_is_made_once_per_store(tmp_path):
    store = tmp_path / "videos.db"
    with serving(store, "--workers", "2", "--fault", "preexisting-videos") as client:
        assert len(list_all(client, "asc")) == 150, "seeded once, not once per worker"
    with serving(store, "--fault", "preexisting-videos") as client:
        assert len(list_all(client, "asc")) == 150, "not seeded again after a restart"


# ---- bad input -----------------------------------------------------------------------------
def make_store_file(path: Path, videos: int = 0) -> Path:
    store = SQLiteStore.open(path, 1.0)
    for index in range(videos):
        store.create(prompt=f"video {index} " + "x" * 500, model="sora-2", size="720x1280", seconds="4")
    store.close()
    return path


def with_sql(path: Path, statement: str) -> Path:
    """``path`` after running ``statement`` on it (an SQLite database, made when missing)."""
    with closing(sqlite3.connect(path)) as db:
        db.execute(statement)
    return path


def truncated_store(path: Path) -> Path:
    make_store_file(path, 200)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def text_file(path: Path) -> Path:
    path.write_text("not a database\n")
    return path


def left_open_by_a_crash(path: Path, statements: str) -> Path:
    """``path`` after another process ran ``statements`` on it and died without closing it: its
    write-ahead log and shared-memory index are left beside it, holding the last writes."""
    script = ("import os, sqlite3, sys\n"
              "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "for statement in sys.argv[2].split(';'):\n"
              "    db.execute(statement)\n"
              "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", script, str(path), statements], check=True, timeout=60)
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    return path


BAD_STORES = {
    "a-directory": (lambda tmp: tmp, "is a directory"),
    "missing-folder": (lambda tmp: tmp / "nowhere" / "videos.db", "does not exist"),
    "folder-is-a-file": (lambda tmp: text_file(tmp / "file") / "videos.db", "is not a folder"),
    "not-sqlite": (lambda tmp: text_file(tmp / "videos.db"), "is not an SQLite database"),
    "truncated": (lambda tmp: truncated_store(tmp / "videos.db"), "damaged"),
    "foreign-sqlite": (lambda tmp: with_sql(tmp / "videos.db", "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)"),
                       "another application (tables: invoices)"),
    "newer-schema": (lambda tmp: with_sql(make_store_file(tmp / "videos.db", 3), "PRAGMA user_version = 99"),
                     "newer videos-contract (store schema 99"),
    "newer-schema-in-its-log": (lambda tmp: left_open_by_a_crash(make_store_file(tmp / "videos.db", 3),
                                                                 "PRAGMA user_version = 99; DELETE FROM videos"),
                                "newer videos-contract (store schema 99"),
    "foreign-sqlite-in-its-log": (lambda tmp: left_open_by_a_crash(tmp / "videos.db", "PRAGMA journal_mode = WAL; "
                                                                   "CREATE TABLE invoices (id INTEGER PRIMARY KEY)"),
                                  "another application (tables: invoices)"),
}


@pytest.mark.parametrize("case", list(BAD_STORES), ids=list(BAD_STORES))
def test_a_bad_store_exits_2_with_one_line_and_is_left_alone(tmp_path, case):
    make, mentions = BAD_STORES[case]
    path = make(tmp_path)
    before = snapshot(tmp_path)
    result = run_mock("--store", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"videos-contract mock: error: --store {path}: "), result.stderr
    assert mentions in lines[0]
    assert snapshot(tmp_path) == before, "a refused store must not be changed, nor anything created beside it"


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Each path under ``folder``: its bytes' digest (or "dir") and its modification time."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir",
                                         p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` unwritable even for root (the immutable attribute), else by its mode."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr +i: nothing here is unwritable")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_an_unwritable_store_file_exits_2(tmp_path):
    path = make_store_file(tmp_path / "videos.db", 1)
    with read_only(path):
        result = run_mock("--store", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"videos-contract mock: error: --store {path}: is not writable (permission denied)"


def test_an_unwritable_folder_exits_2(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only(folder):
        result = run_mock("--store", str(folder / "videos.db"))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"videos-contract mock: error: --store {folder / 'videos.db'}: cannot create "
                                     f"a file in {folder} (permission denied)")


def test_an_unwritable_media_folder_exits_2(tmp_path):
    path = make_store_file(tmp_path / "videos.db", 1)
    media = tmp_path / "videos.db-media"
    media.mkdir()
    with read_only(media):
        result = run_mock("--store", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"videos-contract mock: error: --store {path}: cannot write uploaded files in "
                                     f"{media} (permission denied)")


@pytest.mark.parametrize(
    "args,line",
    [
        (["--workers", "2"], "--workers 2 needs --store PATH: worker processes share their videos through it"),
        (["--workers", "0"], "--workers must be between 1 and 64, got 0"),
        (["--workers", "-1"], "--workers must be between 1 and 64, got -1"),
        (["--workers", "two"], "--workers must be an integer, got 'two'"),
        (["--workers", "1.5"], "--workers must be an integer, got '1.5'"),
        (["--workers", ""], "--workers must be an integer, got ''"),
        (["--workers", "2", "--gpu-workers", "1"],
         "--workers 2 needs --store PATH: worker processes share their videos through it"),
        (["--store", "{tmp}/videos.db", "--gpu-workers", "1"],
         "--gpu-workers cannot be combined with --store: the GPU queue is kept in memory"),
    ],
    ids=["workers-without-store", "zero-workers", "negative-workers", "text-workers", "fraction-workers",
         "empty-workers", "gpu-and-worker-processes-without-store", "gpu-workers-with-store"],
)
def test_bad_worker_options_exit_2_with_one_line(args, line, tmp_path):
    result = run_mock(*(arg.format(tmp=tmp_path) for arg in args))
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"videos-contract mock: error: {line}\n")
