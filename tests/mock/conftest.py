"""Fixtures for the reference server's own tests: schema checks and polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mock_helpers import TERMINAL

from contracts.spec import Spec


@pytest.fixture(scope="session")
def assert_schema(spec: Spec) -> Callable[[str, Any], None]:
    """assert_schema("Video", body): fails with every violation listed."""

    def check(name: str, instance: Any) -> None:
        violations = spec.validator(name).errors(instance)
        assert not violations, f"{name} violations: " + "; ".join(f"{v.path}: {v.message}" for v in violations)

    return check


@pytest.fixture(scope="session")
def wait_completed() -> Callable[[httpx.Client, str], dict]:
    """Poll GET /videos/{id} (honouring openai-poll-after-ms) until the job is terminal."""

    def wait(client: httpx.Client, video_id: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            response = client.get(f"/videos/{video_id}")
            assert response.status_code == 200, response.text
            video = response.json()
            if video["status"] in TERMINAL:
                return video
            assert time.monotonic() < deadline, f"video {video_id} still {video['status']} after {timeout} s"
            time.sleep(int(response.headers.get("openai-poll-after-ms", "50")) / 1000)

    return wait
