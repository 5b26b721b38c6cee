"""Time the test commands: on a manual clock a job moves only when the control routes or polls move it,
so a polling test runs in milliseconds and never waits on wall time (``benchmarks/mock_polling.py``
measures it; the numbers are in docs/performance.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import openai
import pytest

from contracts.embedded import EmbeddedServer

pytestmark = [pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]


def test_a_polling_test_with_the_control_routes(ns):
    """The shape of a client's polling test: create, see it queued, move it, see it move, finish it,
    poll to the end, download. Printed: how long it took (docs/performance.md has the benchmark)."""
    started = time.perf_counter()
    video = ns.sdk.videos.create(prompt="a polling test")
    seen = [(ns.sdk.videos.retrieve(video.id).status, None)]
    ns.move(video.id, "progress", progress=50)
    moved = ns.sdk.videos.retrieve(video.id)
    seen.append((moved.status, moved.progress))
    ns.move(video.id, "complete")
    done = ns.sdk.videos.poll(video.id, poll_interval_ms=1)
    content = ns.sdk.videos.download_content(video.id).read()
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"\npolling test on the manual clock: {elapsed_ms:.1f} ms")
    assert seen == [("queued", None), ("in_progress", 50)]
    assert (done.status, done.progress) == ("completed", 100)
    assert content[4:8] == b"ftyp"


@pytest.fixture(scope="module")
def per_poll() -> Iterator[EmbeddedServer]:
    """A manual clock, jobs of 10 ms, each retrieve moving a job 3 of its 10 steps."""
    with EmbeddedServer(job_seconds=0.01, extra_args=["--clock", "manual", "--advance-per-poll", "3"]) as server:
        yield server


def test_a_manual_clock_does_not_move_with_wall_time(per_poll):
    video = httpx.post(f"{per_poll.base_url}/videos", json={"prompt": "waits"}).json()
    time.sleep(0.05)  # five times the job's length
    listed = httpx.get(f"{per_poll.base_url}/videos").json()["data"]  # a list is not a poll: nothing moves
    assert [(v["id"], v["status"]) for v in listed if v["id"] == video["id"]] == [(video["id"], "queued")]


def test_each_poll_moves_a_job_its_steps(per_poll):
    video = httpx.post(f"{per_poll.base_url}/videos", json={"prompt": "polled"}).json()
    seen = []
    for _ in range(5):
        answer = httpx.get(f"{per_poll.base_url}/videos/{video['id']}")
        seen.append((answer.json()["status"], answer.json()["progress"]))
        assert answer.headers["openai-poll-after-ms"] == "5"  # waiting moves nothing: poll again soon
    assert seen == [("in_progress", 30), ("in_progress", 60), ("in_progress", 90), ("completed", 100),
                    ("completed", 100)]
    done = httpx.get(f"{per_poll.base_url}/videos/{video['id']}").json()
    assert done["completed_at"] >= done["created_at"]


def test_create_and_poll_finishes_in_a_few_polls(per_poll):
    root = per_poll.base_url.removesuffix("/v1")
    with openai.OpenAI(base_url=per_poll.base_url, api_key="sk-any", max_retries=0) as client:
        before = len(httpx.get(f"{root}/_mock/requests", params={"method": "GET"}).json()["data"])
        video = client.videos.create_and_poll(prompt="and poll")
    polls = len(httpx.get(f"{root}/_mock/requests", params={"method": "GET"}).json()["data"]) - before
    assert video.status == "completed" and polls == 4
