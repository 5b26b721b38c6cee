"""What a conformance run costs a GPU server: the suite's defaults against a one-worker mock.

    .venv/bin/python benchmarks/gpu_cost.py                  # 1 worker, 10 s jobs, both delete modes, + st run
    .venv/bin/python benchmarks/gpu_cost.py --job-seconds 8 --no-st
    .venv/bin/python benchmarks/gpu_cost.py --run-args "--max-creates 25"

The server is the reference mock built in this process (``MockConfig(gpu_workers=1, ...)``,
uvicorn on a loopback port in a thread), so that its GPU counters can be read at the end: jobs
that ran (a worker took them), jobs and generation seconds committed (run, running, or still
queued and owed: a queued job that a delete does not cancel still runs later). The suite is run
as a user runs it: ``videos-contract run --base-url URL`` with its defaults, in a child process.
``st run`` (schemathesis' CLI: coverage, fuzzing and stateful phases, ``--max-examples`` set to
the number of jobs the suite created) runs against a fresh mock of the same kind, for comparison.

Columns: wall seconds of the run (process start to exit); jobs the target accepted; jobs that a
worker started; jobs committed (started, or queued and not cancelled); GPU seconds committed;
clauses verified (passed or failed, of those that apply: skipped ones, such as the 429 clause
against a server that never answers 429, do not). The clauses not verified are listed under the table. Targets (issue 11):
with --delete-cancels at most 3 jobs run; without, at most 12 committed; wall time at most 2
job-lengths + 15 s; every clause verified.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    OUT,
    ROOT,
    BenchError,
    free_port,
    machine_line,
    main_guard,
    python_tool,
    run_timed,
    save_json,
    table,
)


class InProcessMock:
    """The reference server with GPU workers, served by uvicorn in a thread of this process."""

    def __init__(self, *, workers: int, job_seconds: float, delete_cancels: bool, api_key: str):
        import uvicorn

        from contracts.mock import MockConfig, create_app

        self.app = create_app(MockConfig(api_key=api_key, job_seconds=job_seconds, gpu_workers=workers,
                                         delete_cancels=delete_cancels))
        self.port = free_port()
        from contracts.listen import http_protocol as _http_protocol

        # the mock's own protocol, as `videos-contract mock` serves: each answer in one write
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False,
                                lifespan="off", http=_http_protocol())
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="gpu-mock", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> InProcessMock:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise BenchError("the in-process mock did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def stats(self) -> dict:
        return self.app.state.store.gpu_stats()


def suite_row(args: argparse.Namespace, cancels: bool) -> dict:
    key = "sk-gpu-" + secrets.token_hex(6)
    report_dir = OUT / f"gpu_cost-{'cancels' if cancels else 'no-cancels'}"
    with InProcessMock(workers=args.workers, job_seconds=args.job_seconds, delete_cancels=cancels,
                       api_key=key) as mock:
        command = [python_tool("videos-contract"), "run", "--base-url", mock.base_url, "--api-key", key,
                   "--report-dir", str(report_dir), "--quiet", *shlex.split(args.run_args)]
        timed = run_timed(command, timeout=args.timeout, cwd=ROOT)
        stats = mock.stats()
    if timed.timed_out:
        raise BenchError(f"videos-contract run did not finish in {args.timeout} s")
    doc = json.loads((report_dir / "conformance.json").read_text())
    counts = doc["counts"]
    verified = counts["passed"] + counts["failed"]
    unverified = [c["id"] for c in doc["clauses"] if c["verdict"] not in ("passed", "failed", "skipped")]
    return {"tool": "videos-contract run", "delete_cancels": cancels, "wall": round(timed.wall, 1),
            "exit": timed.returncode, "created": stats["jobs_created"], "ran": stats["jobs_started"],
            "committed": stats["jobs_committed"], "gpu_seconds": stats["seconds_committed"],
            "verified": f"{verified}/{counts['total'] - counts['skipped']}", "not_verified": unverified, "cost": doc.get("cost"),
            "requests": doc["requests_sent"]}


def st_row(args: argparse.Namespace, cancels: bool, examples: int) -> dict:
    key = "sk-gpu-" + secrets.token_hex(6)
    report_dir = OUT / f"gpu_cost-st-{'cancels' if cancels else 'no-cancels'}"
    report_dir.mkdir(parents=True, exist_ok=True)
    with InProcessMock(workers=args.workers, job_seconds=args.job_seconds, delete_cancels=cancels,
                       api_key=key) as mock:
        command = [python_tool("st"), "run", str(ROOT / "spec" / "openapi.yaml"), "--url", mock.base_url,
                   "--header", f"Authorization: Bearer {key}", "--phases", "coverage,fuzzing,stateful",
                   "--max-examples", str(max(1, examples)), "--seed", "0", "--workers", "1",
                   "--report", "ndjson", "--report-dir", str(report_dir)]
        timed = run_timed(command, timeout=args.timeout, cwd=report_dir.parent)
        stats = mock.stats()
    if timed.timed_out:
        raise BenchError(f"st run did not finish in {args.timeout} s")
    return {"tool": f"st run (-n {examples})", "delete_cancels": cancels, "wall": round(timed.wall, 1),
            "exit": timed.returncode, "created": stats["jobs_created"], "ran": stats["jobs_started"],
            "committed": stats["jobs_committed"], "gpu_seconds": stats["seconds_committed"], "verified": "-",
            "not_verified": [], "cost": None, "requests": None}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1, help="GPU workers of the mock (default 1)")
    parser.add_argument("--job-seconds", type=float, default=10.0, help="one job's run time on a worker (default 10)")
    parser.add_argument("--run-args", default="", help="extra options for videos-contract run (default: none)")
    parser.add_argument("--no-st", action="store_true", help="leave out the st run rows")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up on one run after this long")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = [suite_row(args, cancels) for cancels in (False, True)]
    if not args.no_st:
        examples = rows[0]["created"]
        rows += [st_row(args, cancels, examples) for cancels in (False, True)]
    limit = 2 * args.job_seconds + 15
    headers = ["run", "delete cancels", "wall s", "exit", "jobs created", "jobs ran", "jobs committed",
               "GPU s committed", "clauses verified"]
    body = [[r["tool"], "yes" if r["delete_cancels"] else "no", r["wall"], r["exit"], r["created"], r["ran"],
             r["committed"], r["gpu_seconds"], r["verified"]] for r in rows]
    print(table(headers, body, title=f"GPU cost: mock with {args.workers} worker(s), {args.job_seconds:g} s jobs "
                                     f"(wall target <= {limit:g} s)"))
    for r in rows:
        if r["not_verified"]:
            print(f"  {r['tool']} (delete cancels {'yes' if r['delete_cancels'] else 'no'}): not verified: "
                  + ", ".join(r["not_verified"]))
    print("  st run: schemathesis' own checks, not the clauses; its wall time does not wait for any job.")
    print(f"\n{machine_line()}")
    save_json("gpu_cost", {"args": vars(args), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main_guard(main))
