"""Fixtures for the report tests; the builders live in report_factory.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from report_factory import make_run

from tools.browser import INSTALL_HINT, find_chromium
from contracts.types import RunResult


@pytest.fixture
def run() -> RunResult:
    return make_run()


@pytest.fixture
def run_factory() -> Callable[..., RunResult]:
    return make_run


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary. Missing, the test FAILS: the browser is part of CI."""
    path = find_chromium()
    if path is None:
        pytest.fail(f"Chromium not found. {INSTALL_HINT}", pytrace=False)
    return path
