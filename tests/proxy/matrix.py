"""SDK traffic through the proxy to the reference server in each fault mode, in worker processes."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

JOB_SECONDS = 0.6  # long enough for the pending video's requests to meet it unfinished
# Modes seen only in the middle of a job (a status or progress wrong for a moment), as contracts.detection says
LONGER = {"unfinished-source-429": 5.0, "uploads-503": 4.0}


@dataclass
class Outcome:
    name: str
    failed: list[str] = field(default_factory=list)
    exercised: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None


def job_seconds(name: str | None) -> float:
    from contracts.detection import MID_JOB_SECONDS

    if name is None:
        return JOB_SECONDS
    return max(JOB_SECONDS, LONGER.get(name, 0.0), MID_JOB_SECONDS.get(name, 0.0))


def run_one(name: str | None) -> Outcome:
    """SDK traffic through the proxy to the reference server with ``--fault name`` (None: conforming)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from contracts.embedded import EmbeddedServer
    from contracts.text import one_line
    from tests.proxy.harness import grade_sdk_traffic

    outcome = Outcome(name or "conforming")
    started = time.monotonic()
    try:
        extra = ["--fault", name] if name else []
        with EmbeddedServer(job_seconds=job_seconds(name), extra_args=extra) as server:
            graded = grade_sdk_traffic(server.base_url)
    except Exception as exc:  # noqa: BLE001 - said as the outcome's error
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome
    outcome.seconds = round(time.monotonic() - started, 1)
    outcome.failed = sorted(graded.failed)
    outcome.exercised = sorted(graded.exercised)
    outcome.messages = {r.clause.id: one_line(r.evidence[0].message if r.evidence else (r.note or ""), 200)
                        for r in graded.result.results if r.clause.id in graded.failed}
    return outcome


def run_many(names: list[str | None], workers: int | None = None) -> dict[str | None, Outcome]:
    workers = workers or max(2, min(6, (os.cpu_count() or 1) + 1))
    order = sorted(names, key=lambda n: -job_seconds(n))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(order)), mp_context=context) as pool:
        return dict(zip(order, pool.map(run_one, order)))
