"""The default embedded run, before and after a change: `videos-contract run --quiet`, timed.

    .venv/bin/python benchmarks/embedded_run.py --before main~3          # that commit vs the working tree
    .venv/bin/python benchmarks/embedded_run.py --before A --after B -n 7

Each tree runs ``python -m contracts.cli run --quiet`` exactly as a user runs it (the embedded
server started by the CLI as a child), warm (one unmeasured run of each first), the trees taking
turns (ABBA) so that the machine's load falls on both alike. A commit is measured from a clean snapshot
(``git archive``, benchmarks/out/src-SHA). Columns: wall seconds from start to exit (min, median,
max), requests sent and jobs created (from conformance.json), exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402


def one_run(source: Path, label: str, index: int, timeout: float) -> dict:
    report_dir = c.OUT / f"embedded_run-{label}-{index}"
    command = [sys.executable, "-m", "contracts.cli", "run", "--quiet", "--report-dir", str(report_dir)]
    timed = c.run_timed(command, timeout=timeout, env=c.source_env(source), cwd=c.OUT)
    if timed.timed_out:
        raise c.BenchError(f"{label}: the run did not finish in {timeout} s")
    doc = json.loads((report_dir / "conformance.json").read_text())
    return {"wall": timed.wall, "exit": timed.returncode, "requests": doc.get("requests_sent"),
            "jobs": (doc.get("cost") or {}).get("jobs_created")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the commit to compare with (a clean snapshot of it)")
    parser.add_argument("--after", help="a second commit (default: the working tree)")
    parser.add_argument("-n", "--repetitions", type=int, default=5, help="measured runs of each (default 5)")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up on one run after this long")
    args = parser.parse_args(argv)
    trees = {"before": c.resolve_source(c.ROOT, args.before), "after": c.resolve_source(c.ROOT, args.after)}
    for label, source in trees.items():
        one_run(source, label, -1, args.timeout)  # warm: byte-compiled, caches filled
    runs: dict[str, list[dict]] = {label: [] for label in trees}
    for index in range(args.repetitions):
        order = list(trees.items())
        for label, source in order if index % 2 == 0 else reversed(order):  # ABBA: neither always goes first
            runs[label].append(one_run(source, label, index, args.timeout))
    body = []
    for label, source in trees.items():
        walls = sorted(r["wall"] for r in runs[label])
        last = runs[label][-1]
        body.append([f"{label}: {c.git_describe(source)}", c.fmt(walls[0]), c.fmt(c.median(walls)), c.fmt(walls[-1]),
                     last["requests"], last["jobs"], ",".join(sorted({str(r["exit"]) for r in runs[label]}))])
    print(c.table(["tree", "min s", "median s", "max s", "requests", "jobs created", "exit"], body,
                  title=f"default embedded run, warm, {args.repetitions} alternating runs each"))
    print(f"\n{c.machine_line()}")
    c.save_json("embedded_run", {"args": vars(args), "runs": runs})
    return 0


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
