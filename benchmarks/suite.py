"""Full default run of the contract suite against the embedded server, next to `st run`.

    .venv/bin/python benchmarks/suite.py            # 3 repetitions, medians (about a minute)
    .venv/bin/python benchmarks/suite.py --quick    # one small round (a few seconds)

For each pair "suite examples : st max-examples" (default 20:1, the default run next to the
smallest schemathesis run, and 200:20, a larger pair of similar request counts) and each repetition:

* the suite: ``python -m contracts.cli run --quiet`` exactly as a user runs it (embedded server
  started by the CLI as a child process). Wall time from start to exit; requests from its
  conformance.json; CPU of the server (the CLI's child, sampled from /proc/PID/stat every 10 ms
  until it exits) and of the client (the CLI's rusage, children included, minus the server's).
* schemathesis: the same reference server (create_app, same uvicorn settings, the embedded
  server's job duration and a key) started by this script with a request counter, then
  ``st run spec/openapi.yaml --url ... --max-examples M --seed 0 --generation-database none``
  with its default checks and phases. Requests are counted by the server; CPU of st from its
  rusage, of the server from /proc (whole lifetime, as for the suite's server).

Requests per second = requests / wall time of the whole command (start-up and reports included).
Then one in-process run of the suite (benchmarks/_steps.py) shows where its time goes.
Targets: default run under 10 s; its requests per second at least those of `st run`.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

TARGET_WALL = 10.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one repetition of the pair 5:1, no breakdown")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per pair (median reported; default 3)")
    parser.add_argument("--pairs", default="20:1,200:20",
                        help="comma-separated SUITE_EXAMPLES:ST_MAX_EXAMPLES pairs (default 20:1,200:20; "
                             "20 is the suite's default)")
    parser.add_argument("--no-st", action="store_true", help="measure the suite only")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process per-step breakdown")
    parser.add_argument("--source", type=Path, default=c.ROOT,
                        help="the checkout whose `contracts` package is measured (default: this one)")
    parser.add_argument("--rev", default=None,
                        help="measure the committed tree at REV instead (a clean git-archive snapshot under "
                             "benchmarks/out/), e.g. --rev HEAD while the working tree is being edited")
    parser.add_argument("--run-args", default="",
                        help="extra options for `videos-contract run`, e.g. \"--job-seconds 0.3\" (default: none)")
    parser.add_argument("--timeout", type=float, default=300.0, help="kill any single command after this (s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.pairs, args.no_breakdown = 1, "5:1", True
    try:
        args.pair_list = [tuple(int(x) for x in p.split(":")) for p in args.pairs.split(",")]
    except ValueError:
        parser.error(f"--pairs takes SUITE:ST pairs such as 20:1,200:20, got {args.pairs!r}")
    return args


def suite_once(args, examples: int, tag: str) -> dict:
    report_dir = c.OUT / "suite" / tag
    timed, document = c.run_suite(args, ["--examples", str(examples), *shlex.split(args.run_args)], report_dir,
                                  c.OUT / "suite" / f"{tag}.log", "the suite")
    server = sum(timed.cpu_descendants.values())
    return {
        "tool": "videos-contract run", "size": f"--examples {examples}", "exit": timed.returncode,
        "outcome": document.get("outcome"), "wall": timed.wall, "requests": document["requests_sent"],
        "run_seconds": document.get("duration_seconds"), "cpu_client": timed.cpu_total - server, "cpu_server": server,
    }


def st_once(args, max_examples: int, tag: str) -> dict:
    st = c.python_tool("st")
    key = "sk-bench-" + secrets.token_hex(6)
    port = c.free_port()
    workdir = c.OUT / "st" / tag
    workdir.mkdir(parents=True, exist_ok=True)
    server_log = workdir / "server.log"
    with server_log.open("w") as out:
        server = c.spawn([sys.executable, str(c.BENCH_DIR / "_server.py"), "--app", "mock", "--count", "--port", str(port),
                          "--api-key", key, "--job-seconds", "0.5"], env=c.source_env(args.source), cwd=args.source,
                         stdout=out, stderr=subprocess.STDOUT)
    try:
        count_url = f"http://{c.HOST}:{port}/__bench__/count"
        c.wait_http(count_url, server, timeout=30, what="the reference server", log=server_log)
        before = json.loads(c.http("GET", count_url)[1])["requests"]
        cmd = [st, "run", str(args.source / "spec" / "openapi.yaml"), "--url", f"http://{c.HOST}:{port}/v1",
               "-H", f"Authorization: Bearer {key}", "--max-examples", str(max_examples), "--seed", "0",
               "--generation-database", "none", "--no-color"]
        with (workdir / "st.log").open("w") as out:
            timed = c.run_timed(cmd, timeout=args.timeout, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
        if timed.timed_out:
            raise c.BenchError(f"st run did not finish within {args.timeout:g} s (see {workdir / 'st.log'})")
        after = json.loads(c.http("GET", count_url)[1])["requests"]
        server_cpu = c.group_cpu(server.pid)
    finally:
        c.stop(server)
    summary = [line.strip() for line in (workdir / "st.log").read_text(errors="replace").splitlines()
               if " generated" in line or "failures in" in line or "passed in" in line]
    return {
        "tool": "st run", "size": f"--max-examples {max_examples}", "exit": timed.returncode,
        "outcome": "; ".join(summary[-2:]), "wall": timed.wall, "requests": after - before,
        "run_seconds": None, "cpu_client": timed.cpu_total, "cpu_server": server_cpu,
    }


def summarize(runs: list[dict]) -> dict:
    first = runs[0]
    out = {k: first[k] for k in ("tool", "size")}
    for key in ("wall", "requests", "run_seconds", "cpu_client", "cpu_server"):
        values = [r[key] for r in runs if r[key] is not None]
        out[key] = c.median(values) if values else None
    out["rps"] = c.median(r["requests"] / r["wall"] for r in runs)
    out["ms_cpu_per_request"] = c.median((r["cpu_client"] + r["cpu_server"]) * 1000 / r["requests"] for r in runs)
    out["exits"] = sorted({r["exit"] for r in runs})
    out["outcome"] = first["outcome"]
    out["runs"] = runs
    return out


def breakdown(args) -> list[list]:
    return c.run_steps(args, c.OUT / "suite" / "steps")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.source = c.resolve_source(args.source, args.rev)
    if not args.no_st:
        c.python_tool("st")  # fail early with a clean message
    print(f"suite.py: {c.machine_line()}; source {args.source} at {c.git_describe(args.source)}")
    print(f"repetitions: {args.repeat}; pairs (suite --examples : st --max-examples): {args.pairs}"
          + (f"; run options: {args.run_args}" if args.run_args else ""), flush=True)
    results = []
    for examples, max_examples in args.pair_list:
        suite_runs, st_runs = [], []
        for rep in range(args.repeat):
            suite_runs.append(suite_once(args, examples, f"e{examples}-r{rep}"))
            print(f"  suite --examples {examples} #{rep + 1}: {suite_runs[-1]['wall']:.2f} s, "
                  f"{suite_runs[-1]['requests']} requests", flush=True)
            if not args.no_st:
                st_runs.append(st_once(args, max_examples, f"n{max_examples}-r{rep}"))
                print(f"  st run --max-examples {max_examples} #{rep + 1}: {st_runs[-1]['wall']:.2f} s, "
                      f"{st_runs[-1]['requests']} requests", flush=True)
        results.append(summarize(suite_runs))
        if st_runs:
            results.append(summarize(st_runs))

    rows = [[r["tool"], r["size"], r["wall"], r["requests"], r["rps"], r["cpu_client"], r["cpu_server"],
             r["ms_cpu_per_request"], ",".join(map(str, r["exits"]))] for r in results]
    print(c.table(["command", "size", "wall s", "requests", "req/s", "client CPU s", "server CPU s",
                   "CPU ms/request", "exit"], rows, title=f"Medians of {args.repeat} run(s)"))
    for r in results:
        if r["tool"] == "st run":
            print(f"  st {r['size']}: {r['outcome']}")

    print("\nTargets")
    default = next((r for r in results if r["tool"] != "st run" and r["size"] == "--examples 20"), None)
    if default is not None:
        ok = default["wall"] < TARGET_WALL
        print(f"  default run under {TARGET_WALL:g} s: {'MET' if ok else 'NOT MET'} ({default['wall']:.2f} s)")
    for i in range(0, len(results) - 1, 2):
        suite, st = results[i], results[i + 1]
        if st["tool"] != "st run":
            continue
        ok = suite["rps"] >= st["rps"]
        print(f"  req/s of suite {suite['size']} ({suite['rps']:.0f}) >= st {st['size']} ({st['rps']:.0f}): "
              f"{'MET' if ok else 'NOT MET'} (ratio {suite['rps'] / st['rps']:.2f})")

    steps = None if args.no_breakdown else breakdown(args)
    if steps is not None:
        rows = [[name, wall, cpu] for name, wall, cpu in steps]
        rows.append(["total (in-process; python start-up not included)", sum(s[1] for s in steps),
                     sum(s[2] for s in steps)])
        print(c.table(["phase of one default run", "wall s", "client CPU s"], rows,
                      title="Where the time of one default run goes (benchmarks/_steps.py, one run)"))
    return c.save_numbers("suite", args.source, {"results": results, "breakdown": steps})


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
