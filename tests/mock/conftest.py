"""Fixtures for the reference server's own tests: schema checks, polling, the openai SDK as a client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from mock_helpers import TERMINAL, Namespaced

from contracts.embedded import EmbeddedServer
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
    """Poll GET /videos/{id} (honouring openai-poll-after-ms) until the job is terminal. No deadline
    of its own: the jobs of the test servers are short, and a job that never ends is pytest-timeout's."""

    def wait(client: httpx.Client, video_id: str) -> dict:
        while True:
            response = client.get(f"/videos/{video_id}")
            assert response.status_code == 200, response.text
            video = response.json()
            if video["status"] in TERMINAL:
                return video
            time.sleep(int(response.headers.get("openai-poll-after-ms", "50")) / 1000)

    return wait


@pytest.fixture
def client(mock_server: EmbeddedServer) -> Iterator[openai.OpenAI]:
    """The openai SDK pointed at the reference server (no retries: every answer is seen as it is)."""
    with openai.OpenAI(base_url=mock_server.base_url, api_key="sk-anything", max_retries=0, timeout=10) as sdk:
        yield sdk


# ---- the control routes: a manual clock, a namespace per test ------------------------------------
@pytest.fixture(scope="session")
def manual_mock_server() -> Iterator[EmbeddedServer]:
    """Jobs of 1 s on a manual clock (they move only when a test moves them); namespaces by header."""
    with EmbeddedServer(job_seconds=1.0, extra_args=["--clock", "manual", "--namespaces", "header"]) as server:
        yield server


@pytest.fixture
def ns(manual_mock_server: EmbeddedServer) -> Iterator[Namespaced]:
    """A namespace of its own on the manual-clock server, emptied when the test ends."""
    space = Namespaced(manual_mock_server.base_url)
    try:
        yield space
    finally:
        space.close()
