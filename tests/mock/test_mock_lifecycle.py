"""Jobs move forward only: queued -> in_progress -> completed, progress never decreasing.

Over HTTP on the fast server (0.3 s jobs), and deterministically on the store with a fake clock.
"""

from __future__ import annotations

import time

import pytest
from mock_helpers import STATUS_ORDER

from contracts.mock.store import MemoryStore
from tests.clock import FakeClock


def test_status_and_progress_only_move_forward(http, assert_schema):
    video = http.post("/videos", json={"prompt": "watch me"}).json()
    seen = [(video["status"], video["progress"])]
    while video["status"] != "completed":  # a job that never ends is pytest-timeout's
        time.sleep(0.01)
        response = http.get(f"/videos/{video['id']}")
        video = response.json()
        assert_schema("Video", video)
        seen.append((video["status"], video["progress"]))
    for (status_a, progress_a), (status_b, progress_b) in zip(seen, seen[1:]):
        assert STATUS_ORDER[status_b] >= STATUS_ORDER[status_a], seen
        assert progress_b >= progress_a, seen
    assert seen[0] == ("queued", 0)
    assert seen[-1] == ("completed", 100)
    assert all(0 <= p <= 100 for _, p in seen)
    assert video["completed_at"] >= video["created_at"]
    assert video["expires_at"] > video["completed_at"]
    again = http.get(f"/videos/{video['id']}").json()
    assert (again["completed_at"], again["expires_at"]) == (video["completed_at"], video["expires_at"])



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(store: MemoryStore):
    return store.create(prompt="p", model="sora-2", size="720x1280", seconds="4")


def test_phases_over_job_seconds(clock):
    store = MemoryStore(job_seconds=10.0, monotonic=clock, wall=lambda: 1_700_000_000.5)
    job = make(store)
    timeline = []
    for elapsed in [0, 1, 1.99, 2, 3, 5, 9.99, 10, 11, 500]:
        clock.now = 1000.0 + elapsed
        video = job.video(clock.now)
        timeline.append((video["status"], video["progress"]))
    assert timeline[:3] == [("queued", 0)] * 3
    assert [s for s, _ in timeline[3:7]] == ["in_progress"] * 4
    assert [p for _, p in timeline[3:7]] == sorted(p for _, p in timeline[3:7])
    assert all(1 <= p <= 99 for _, p in timeline[3:7])
    assert timeline[7:] == [("completed", 100)] * 3
    video = job.video(clock.now)
    assert video["created_at"] == 1_700_000_000
    assert video["completed_at"] == 1_700_000_010
    assert video["expires_at"] == 1_700_000_010 + 3600


def test_zero_job_seconds_creates_queued_then_completes(clock):
    store = MemoryStore(job_seconds=0.0, monotonic=clock)
    job = make(store)
    assert (job.video(clock.now, just_created=True)["status"], job.video(clock.now, just_created=True)["progress"]) == ("queued", 0)
    assert job.video(clock.now)["status"] == "completed"


def test_a_clock_going_backwards_does_not_rewind(clock):
    store = MemoryStore(job_seconds=1.0, monotonic=clock)
    job = make(store)
    clock.now -= 50  # cannot happen with time.monotonic, but the state must not go negative
    assert job.state(clock.now) == ("queued", 0)


def test_page_order_uses_sequence_not_seconds(clock):
    store = MemoryStore(job_seconds=1.0, monotonic=clock, wall=lambda: 1_700_000_000.0)  # same second for all
    ids = [make(store).id for _ in range(5)]
    assert [j.id for j in store.page(limit=10, order="asc").jobs] == ids
    assert [j.id for j in store.page(limit=10, order="desc").jobs] == ids[::-1]
    page = store.page(limit=2, order="asc", after=ids[1])
    assert ([j.id for j in page.jobs], page.has_more) == (ids[2:4], True)
    page = store.page(limit=2, order="desc", after=ids[1])
    assert ([j.id for j in page.jobs], page.has_more) == (ids[:1], False)
