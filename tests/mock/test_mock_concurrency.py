"""Concurrent requests lose nothing: 200 simultaneous creates, then list them all."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from mock_helpers import list_all

CONCURRENT = 200


async def create_many(base_url: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post("/videos", json={"prompt": f"concurrent {i}"})
                if i % 2
                else client.post("/videos", files={"prompt": (None, f"concurrent {i}")})
                for i in range(count)
            )
        )


@pytest.mark.slow  # hundreds of creates at once (a second or more)
def test_concurrent_creates_are_all_listed(http, mock_url):
    responses = asyncio.run(create_many(mock_url, CONCURRENT))
    assert [r.status_code for r in responses] == [200] * CONCURRENT
    created = [r.json() for r in responses]
    ids = [v["id"] for v in created]
    assert len(set(ids)) == CONCURRENT
    assert {v["prompt"] for v in created} == {f"concurrent {i}" for i in range(CONCURRENT)}

    ascending = list_all(http, "asc")
    descending = list_all(http, "desc")
    listed = [v["id"] for v in ascending]
    assert len(listed) == len(set(listed)), "a video was listed twice"
    assert set(ids) <= set(listed), "a created video is missing from the list"
    assert listed == [v["id"] for v in reversed(descending)]
    for video_id in ids:
        assert http.get(f"/videos/{video_id}").status_code == 200
