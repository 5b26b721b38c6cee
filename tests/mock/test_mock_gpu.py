"""``mock --gpu-workers N``: jobs wait queued until one of N workers takes them, one job each.

The schedule is checked exactly on the store with a fake clock; the options over real HTTP against
a real ``python -m contracts.mock`` process (the server's own timestamps, never the test's clock).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mock_helpers import TERMINAL

from contracts.embedded import EmbeddedServer
from contracts.mock import MockConfig, create_app
from contracts.mock.gpu import GpuWorkers
from contracts.mock.store import MemoryStore
from tests.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]



def gpu_store(clock: FakeClock, workers: int = 1, *, cancels: bool = False, seconds: float = 10.0) -> MemoryStore:
    return MemoryStore(job_seconds=seconds, monotonic=clock, wall=lambda: 1_700_000_000.0,
                      workers=GpuWorkers(workers, delete_cancels=cancels))


def make(store: MemoryStore):
    return store.create(prompt="p", model="sora-2", size="720x1280", seconds="4")


def status(store: MemoryStore, job) -> tuple[str, int]:
    store.get(job.id)  # brings the schedule up to now, as every request does
    return job.state(store.now())


def test_one_worker_runs_jobs_one_after_another():
    clock = FakeClock()
    store = gpu_store(clock)
    a, b, c = make(store), make(store), make(store)
    assert [status(store, j)[0] for j in (a, b, c)] == ["in_progress", "queued", "queued"]
    clock.now += 5
    assert [status(store, j) for j in (a, b, c)] == [("in_progress", 50), ("queued", 0), ("queued", 0)]
    clock.now += 5  # a ends: the worker takes b at once
    assert [status(store, j)[0] for j in (a, b, c)] == ["completed", "in_progress", "queued"]
    clock.now += 25  # b ended at +20, c at +30, even though nobody looked in between
    assert [status(store, j)[0] for j in (a, b, c)] == ["completed", "completed", "completed"]
    assert [store.get(j.id).video(store.now())["completed_at"] - 1_700_000_000 for j in (a, b, c)] == [10, 20, 30]


def test_two_workers_run_two_jobs_at_a_time():
    clock = FakeClock()
    store = gpu_store(clock, workers=2)
    jobs = [make(store) for _ in range(3)]
    assert [status(store, j)[0] for j in jobs] == ["in_progress", "in_progress", "queued"]
    clock.now += 10
    assert [status(store, j)[0] for j in jobs] == ["completed", "completed", "in_progress"]


def test_a_failing_job_frees_its_worker_when_it_fails():
    clock = FakeClock()
    store = gpu_store(clock)
    a, b = make(store), make(store)
    a.error = {"code": "x", "message": "y"}
    clock.now += 5  # a fails half-way: b starts then
    assert [status(store, j)[0] for j in (a, b)] == ["failed", "in_progress"]
    assert store.gpu_stats()["seconds_committed"] == 15.0


@pytest.fixture(params=[True, False], ids=["delete-cancels", "no-delete-cancels"])
def cancels(request) -> bool:
    """Whether a delete cancels a job that waits for a worker (--delete-cancels)."""
    return request.param


def test_delete_of_a_queued_job(cancels):
    clock = FakeClock()
    store = gpu_store(clock, cancels=cancels)
    a, b, c = make(store), make(store), make(store)
    store.delete(b.id)
    clock.now += 10
    assert status(store, c)[0] == ("in_progress" if cancels else "queued")
    stats = store.gpu_stats()
    assert stats["jobs_created"] == 3
    assert stats["jobs_committed"] == (2 if cancels else 3)
    assert stats["seconds_committed"] == (20.0 if cancels else 30.0)
    assert stats["jobs_cancelled"] == (1 if cancels else 0)


def test_a_started_job_runs_on_after_its_delete(cancels):
    clock = FakeClock()
    store = gpu_store(clock, cancels=cancels)
    a, b = make(store), make(store)
    store.delete(a.id)
    clock.now += 9.9
    assert status(store, b)[0] == "queued"  # the GPU is still busy with the deleted job
    clock.now += 0.1
    assert status(store, b)[0] == "in_progress"
    assert store.gpu_stats()["jobs_started"] == 2


def test_without_workers_jobs_run_at_once():
    clock = FakeClock()
    store = MemoryStore(job_seconds=10.0, monotonic=clock)
    a, b = make(store), make(store)
    clock.now += 5
    assert [status(store, j)[0] for j in (a, b)] == ["in_progress", "in_progress"]
    assert store.gpu_stats() is None


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"], ids=repr)
def test_config_refuses_bad_worker_counts(workers):
    with pytest.raises(ValueError, match="gpu_workers"):
        MockConfig(gpu_workers=workers)


def test_config_refuses_delete_cancels_without_workers():
    with pytest.raises(ValueError, match="delete_cancels needs gpu_workers"):
        MockConfig(delete_cancels=True)


def test_config_builds_a_gpu_server_in_process():
    app = create_app(MockConfig(gpu_workers=2, delete_cancels=True, job_seconds=5))
    assert app.state.store.gpu_stats() == {
        "workers": 2, "delete_cancels": True, "jobs_created": 0, "jobs_started": 0, "jobs_waiting": 0,
        "jobs_cancelled": 0, "jobs_committed": 0, "seconds_committed": 0.0,
    }


@pytest.mark.parametrize(
    "args,message",
    [
        (["--gpu-workers", "0"], "--gpu-workers must be between 1 and 4096, got 0"),
        (["--gpu-workers", "-2"], "--gpu-workers must be between 1 and 4096, got -2"),
        (["--gpu-workers", "two"], "--gpu-workers must be an integer, got 'two'"),
        (["--gpu-workers", "1.5"], "--gpu-workers must be an integer, got '1.5'"),
        (["--delete-cancels"], "--delete-cancels needs --gpu-workers N: without GPU workers no job waits in a queue"),
        (["--no-delete-cancels"], "--no-delete-cancels needs --gpu-workers N: without GPU workers no job waits in a queue"),
        (["--gpu-workers", "1", "--job-seconds", "-1"], "--job-seconds must be a finite number >= 0, got '-1'"),
    ],
    ids=["zero", "negative", "text", "fraction", "cancels-alone", "no-cancels-alone", "negative-seconds"],
)
def test_bad_gpu_options_exit_2_with_one_line(args, message):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "contracts.mock", "--port", "0", *args], capture_output=True,
                            text=True, timeout=30, cwd=ROOT, env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"videos-contract mock: error: {message}\n"


@pytest.mark.slow
@pytest.mark.parametrize("cancels", [True, False], ids=["delete-cancels", "no-delete-cancels"])
def test_one_gpu_over_http(cancels, wait_completed):
    """Three jobs on one worker; the second deleted while queued. The third job's completion, by the
    server's own clock, shows whether the deleted job still took its turn on the GPU."""
    flag = "--delete-cancels" if cancels else "--no-delete-cancels"
    with EmbeddedServer(job_seconds=1.0, extra_args=["--gpu-workers", "1", flag]) as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as client:
        a, b, c = (client.post("/videos", json={"prompt": f"job {n}"}).json() for n in "abc")
        assert [v["status"] for v in (a, b, c)] == ["queued"] * 3
        # Looked at in this order: while a has not ended, b and c cannot have started.
        c_now, b_now, a_now = (client.get(f"/videos/{v['id']}").json() for v in (c, b, a))
        if a_now["status"] not in TERMINAL:
            assert (b_now["status"], c_now["status"]) == ("queued", "queued")
        assert client.delete(f"/videos/{b['id']}").json()["deleted"] is True
        a_end, c_end = wait_completed(client, a["id"]), wait_completed(client, c["id"])
    assert a_end["status"] == c_end["status"] == "completed"
    gap = c_end["completed_at"] - a_end["completed_at"]  # whole seconds: one job-length, or two
    assert gap <= 1 if cancels else gap >= 2
    if not cancels:
        assert c_end["completed_at"] - c_end["created_at"] >= 2  # waited behind a and the deleted b
