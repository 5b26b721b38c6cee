"""The proxy in this process (a thread), in front of a real server process, with SDK traffic through it."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from contracts.options import RunOptions
from contracts.proxy.grader import Grading
from contracts.proxy.serve import Proxy
from contracts.rules import Rules
from contracts.spec import load_spec
from contracts.types import RunResult, Verdict
from tests.proxy import sdk_traffic

JOB_TIMEOUT = 3.0  # a job whose polls show no change for half of it is stuck (jobs-never-finish)


@dataclass
class Graded:
    result: RunResult
    traffic: list[sdk_traffic.Traffic] = field(default_factory=list)

    def ids(self, verdict: Verdict) -> set[str]:
        return {r.clause.id for r in self.result.results if r.verdict is verdict}

    @property
    def failed(self) -> set[str]:
        return self.ids(Verdict.FAILED)

    @property
    def exercised(self) -> set[str]:
        return self.ids(Verdict.PASSED) | self.ids(Verdict.FAILED)

    def messages(self) -> str:
        return "\n".join(f"  {r.clause.id}: {r.evidence[0].message if r.evidence else r.note}"
                         for r in self.result.results if r.verdict is Verdict.FAILED) or "  (none)"


def proxy_for(target: str, report_dir: Path | None = None, **grading) -> Proxy:
    spec = load_spec()
    options = RunOptions(base_url=target, job_timeout=grading.pop("job_timeout", JOB_TIMEOUT))
    report_dir = report_dir or Path(tempfile.mkdtemp(prefix="proxy-reports-"))
    return Proxy(target, spec, Rules.from_spec(spec), Grading(options=options, report_dir=report_dir, report_every=0,
                                                               **grading))


def grade_sdk_traffic(target: str, *, seconds: float = 8.0, **grading) -> Graded:
    """Sync and async SDK traffic through a proxy to ``target``; what the proxy found."""
    proxy = proxy_for(target, **grading).start()
    traffic = []
    try:
        traffic.append(sdk_traffic.run_sync(proxy.url, seconds=seconds))
        traffic.append(asyncio.run(sdk_traffic.run_async(proxy.url, seconds=seconds)))
    finally:
        result = proxy.stop()
    return Graded(result, traffic)
