"""Scaling: run time of `videos-contract run --examples N` against the embedded server.

    .venv/bin/python benchmarks/scaling.py             # N = 50, 200, 1000; 3 runs each (~1.5 min)
    .venv/bin/python benchmarks/scaling.py --quick     # N = 5, 20; one run each (a few seconds)
    .venv/bin/python benchmarks/scaling.py --sizes 50,200,1000,2000 --repeat 1

Each run is the real command (``python -m contracts.cli run --quiet --examples N``), timed from
start to exit; requests and the run's own duration come from its conformance.json. The fit
``wall = a + b * N`` (least squares over the medians) gives the fixed cost a and the cost per
example b; "linear, not worse" holds when the marginal cost per example does not grow with N
(each segment's seconds per extra example is at most the previous one's, within 15 %).
Then one in-process run per N (benchmarks/_steps.py) shows which steps grow.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

TOLERANCE = 1.15  # a segment's marginal cost may exceed the previous one's by this much (noise)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 5, 20, one run each, no breakdown")
    parser.add_argument("--sizes", default="50,200,1000", help="comma-separated N values (default 50,200,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per N, median reported (default 3)")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the per-step breakdown")
    parser.add_argument("--source", type=Path, default=c.ROOT, help="the checkout whose `contracts` is measured")
    parser.add_argument("--rev", default=None, help="measure the committed tree at REV (a clean snapshot)")
    parser.add_argument("--timeout", type=float, default=600.0, help="kill a single run after this many seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.no_breakdown = "5,20", 1, True
    try:
        args.size_list = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    except ValueError:
        parser.error(f"--sizes takes whole numbers such as 50,200,1000, got {args.sizes!r}")
    if len(args.size_list) < 2 or min(args.size_list) < 0 or args.repeat < 1:
        parser.error("--sizes needs at least two values >= 0, --repeat at least 1")
    return args


def run_once(args, n: int, rep: int) -> dict:
    report_dir = c.OUT / "scaling" / f"n{n}-r{rep}"
    timed, document = c.run_suite(args, ["--examples", str(n), "--budget", str(int(args.timeout))], report_dir,
                                  report_dir.with_suffix(".log"), f"--examples {n}")
    generated = document.get("coverage", {}).get("generated", {})
    return {"n": n, "wall": timed.wall, "run_seconds": document.get("duration_seconds"),
            "requests": document["requests_sent"], "cpu": timed.cpu_total, "exit": timed.returncode,
            "outcome": document.get("outcome"), "generated_sent": sum(v for k, v in generated.items() if "dropped" not in k),
            "generated_dropped": sum(v for k, v in generated.items() if "dropped" in k)}


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    b = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - b * mx, b


def steps_for(args, n: int) -> dict[str, float]:
    phases = c.run_steps(args, c.OUT / "scaling" / f"steps-{n}", "--examples", str(n))
    return {name: wall for name, wall, _ in phases}


def main(argv=None) -> int:
    args = parse_args(argv)
    args.source = c.resolve_source(args.source, args.rev)
    print(f"scaling.py: {c.machine_line()}; source {args.source} at {c.git_describe(args.source)}")
    print(f"sizes {args.size_list}, {args.repeat} run(s) each", flush=True)
    medians = []
    for n in args.size_list:
        runs = []
        for rep in range(args.repeat):
            runs.append(run_once(args, n, rep))
            print(f"  --examples {n} #{rep + 1}: {runs[-1]['wall']:.2f} s, {runs[-1]['requests']} requests", flush=True)
        medians.append({"n": n, **{k: c.median(r[k] for r in runs) for k in ("wall", "run_seconds", "requests", "cpu",
                                                                                "generated_sent", "generated_dropped")},
                        "exits": sorted({r["exit"] for r in runs}), "runs": runs})

    a, b = fit([(m["n"], m["wall"]) for m in medians])
    rows, previous, linear = [], None, True
    for m in medians:
        marginal = None
        if previous is not None and m["n"] > previous["n"]:
            marginal = (m["wall"] - previous["wall"]) / (m["n"] - previous["n"]) * 1000
        rows.append([m["n"], m["wall"], m["run_seconds"], int(m["requests"]), m["requests"] / m["wall"], m["cpu"],
                     int(m["generated_sent"]), int(m["generated_dropped"]), marginal, a + b * m["n"],
                     ",".join(map(str, m["exits"]))])
        if marginal is not None and rows[-2][8] is not None and marginal > rows[-2][8] * TOLERANCE:
            linear = False
        previous = m
    print(c.table(["--examples N", "wall s", "run s", "requests", "req/s", "CPU s (client+server)",
                   "generated sent", "generated dropped", "ms per extra example", "fit a+bN s", "exit"], rows,
                  title=f"Medians of {args.repeat} run(s) per N"))
    print(f"\nfit: wall = {a:.2f} s + {b * 1000:.2f} ms x N")
    print(f"linear, not worse: {'MET' if linear else 'NOT MET'} (the cost per extra example "
          f"{'does not grow' if linear else 'grows'} with N)")

    breakdown = None
    if not args.no_breakdown:
        per_n = {n: steps_for(args, n) for n in args.size_list}
        names = list(per_n[args.size_list[0]])
        breakdown = [[name, *(per_n[n].get(name, 0.0) for n in args.size_list)] for name in names]
        print(c.table(["phase (wall s, one in-process run)", *(f"N={n}" for n in args.size_list)], breakdown,
                      title="Which phases grow with N (benchmarks/_steps.py)"))
    return c.save_numbers("scaling", args.source, {"medians": medians, "fit": {"a_seconds": a, "b_seconds_per_example": b},
                                                   "linear": linear, "breakdown": breakdown})


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
