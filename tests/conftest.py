"""Shared fixtures: the spec, and reference servers as real uvicorn processes over loopback.

Servers are session-scoped and start lazily (only when a test asks for one):
- ``mock_server``: no key, jobs complete in 0.3 s (lifecycle, SDK, content).
- ``keyed_mock_server``: requires ``Authorization: Bearer <MOCK_API_KEY>``, jobs of 0.3 s.
- ``strict_mock_server``: jobs never complete during a run ("not ready" answers) and
  request bodies are capped at 64 KiB (413 answers without sending megabytes).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contracts.embedded import EmbeddedServer
from contracts.spec import Spec, load_spec

# Generated draws are cached per spec and seed (contracts/draws.py): keep the tests' cache, which
# their subprocesses inherit, out of the home folder.
os.environ.setdefault("VIDEOS_CONTRACT_CACHE", tempfile.mkdtemp(prefix="videos-contract-cache-"))
# Hypothesis keeps its storage (.hypothesis/: local constants, unicode data) in the current folder,
# the checkout: keep it, here and in the processes tests start, in a folder of the session's.
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = tempfile.mkdtemp(prefix="videos-contract-hypothesis-")
# Every conformance.json a test writes, here or in a process it starts (the CLI, pytester, an
# installed wheel), is checked against its JSON Schema before it is written (contracts/report).
os.environ["VIDEOS_CONTRACT_CHECK_REPORTS"] = "1"

MOCK_API_KEY = "sk-videos-contract-test"
FAST_JOB_SECONDS = 0.3
STRICT_MAX_BODY_BYTES = 64 * 1024


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="session")
def mock_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(job_seconds=FAST_JOB_SECONDS) as server:
        yield server


@pytest.fixture(scope="session")
def keyed_mock_server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(api_key=MOCK_API_KEY, job_seconds=FAST_JOB_SECONDS) as server:
        yield server


@pytest.fixture(scope="session")
def strict_mock_server() -> Iterator[EmbeddedServer]:
    extra = ["--max-body-bytes", str(STRICT_MAX_BODY_BYTES)]
    with EmbeddedServer(job_seconds=3600, extra_args=extra) as server:
        yield server


@pytest.fixture(scope="session")
def mock_url(mock_server: EmbeddedServer) -> str:
    return mock_server.base_url


@pytest.fixture
def http(mock_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client on the fast server (base URL ends in /v1)."""
    with httpx.Client(base_url=mock_url, timeout=10.0) as client:
        yield client


CHECKOUT = Path(__file__).resolve().parents[1]


def _untracked_or_changed() -> set[str] | None:
    """``git status --porcelain`` of the checkout (None outside a git checkout)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=CHECKOUT,
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return set(done.stdout.splitlines()) if done.returncode == 0 else None


@pytest.fixture(scope="session", autouse=True)
def the_checkout_stays_clean():
    """A test run leaves nothing new in the checkout (no cache, report or scratch file a test or a
    tool it runs wrote there): what git status shows at the end, it showed at the start."""
    before = _untracked_or_changed()
    yield
    after = _untracked_or_changed()
    if before is not None and after is not None and after - before:
        pytest.fail(f"the test run left files in the checkout: {sorted(after - before)[:10]}", pytrace=False)


# Every test of the kit's own suite is bounded by pytest-timeout (a test extra), when it is installed.
# Not through `timeout` in pyproject.toml: that would make `pytest tests/contract` from a checkout
# installed without the test extras refuse to start ("Unknown config option: timeout").
TEST_TIMEOUT_SECONDS = 300


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    timeouts = config.pluginmanager.hasplugin("timeout")
    for item in items:
        # A test that drives headless Chromium is process-heavy: it belongs to the slow tier too.
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)
        # A clause test is one conformance run, bounded by its own --contract-budget (which a user
        # may set above any timeout of ours).
        if timeouts and item.get_closest_marker("timeout") is None and item.get_closest_marker("contract") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_SECONDS))
