"""Where the time of one ``videos-contract run`` goes: the CLI's own sequence, in-process, timed.

    python benchmarks/_steps.py --examples 20 --report-dir benchmarks/out/steps

Mirrors ``contracts.cli.cmd_run`` for the embedded server (imports, spec, server start, each
scenario step through the runner's progress callback, clean-up, reports, server stop) and prints
one JSON object: ``{"phases": [[name, wall_s, cpu_s], ...], "requests": N, ...}``. CPU is this
process only (the server's is not included). Used by suite.py and scaling.py.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--job-seconds", type=float, default=None, help="default: the CLI's embedded default")
    parser.add_argument("--report-dir", required=True)
    args = parser.parse_args(argv)

    phases: list[list] = []
    clock = [time.perf_counter(), time.process_time()]

    def mark(name: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        phases.append([name, wall - clock[0], cpu - clock[1]])
        clock[0], clock[1] = wall, cpu

    from pathlib import Path

    from contracts import report
    from contracts.options import EMBEDDED_JOB_SECONDS, RunOptions
    from contracts.embedded import EmbeddedServer
    from contracts.runner import STEPS, run
    from contracts.spec import load_spec

    mark("imports (cli, report, runner)")
    spec = load_spec()
    mark("load spec")
    key = "sk-embedded-" + secrets.token_hex(8)
    options = RunOptions(base_url="", api_key=key, examples=args.examples, seed=args.seed, max_creates=None,
                         embedded=True, budget_seconds=600)
    server = EmbeddedServer(api_key=key, job_seconds=args.job_seconds or EMBEDDED_JOB_SECONDS).start()
    try:
        mark("embedded server start (until its ready line)")
        options.base_url = server.base_url
        names = [name for name, _ in STEPS]

        def progress(name: str, index: int, total: int) -> None:
            # Called before step `index`: the time since the last call belongs to the previous step.
            mark("preflight" if index == 0 else f"step: {names[index - 1]}")

        result = run(options, spec=spec, progress=progress)
        mark("clean-up (delete the run's videos)")
    finally:
        server.stop()
    mark("embedded server stop")
    report.write_reports(result, Path(args.report_dir))
    mark("write reports")
    print(json.dumps({"phases": phases, "requests": result.requests_sent, "outcome": result.outcome
                      if hasattr(result, "outcome") else None, "videos": result.videos_created,
                      "interrupted": result.interrupted}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
