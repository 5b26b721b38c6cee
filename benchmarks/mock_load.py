"""The reference server as a mock under load: wrk against it, Steady, Prism and bare ASGI apps.

    .venv/bin/python benchmarks/mock_load.py            # every target, 3 x 3 s per measurement (~5 min)
    .venv/bin/python benchmarks/mock_load.py --quick    # the mock as shipped and the bare app, 1 s each
    .venv/bin/python benchmarks/mock_load.py --list     # the targets
    .venv/bin/python benchmarks/mock_load.py --only "this venv,--no-journal" --interleave --repeat 7   # the journal's cost

For each target server: create (``POST /v1/videos`` with a JSON body, from a small wrk Lua
script) and retrieve (``GET /v1/videos/{id}`` of a video created first), each under
``wrk -t1 -c50 --latency`` for --duration seconds (default 3), --repeat times (default 3) after
a 1 s warm-up. Reported: medians of requests per second, p50 and p99 latency, answers that were not 2xx, socket errors, and the server's CPU per
request (from /proc). Everything listens on 127.0.0.1; every server is stopped afterwards.

Targets: the mock exactly as ``videos-contract mock`` serves it (with and without uvloop and
httptools importable), the same without its journal of requests (``--no-journal``: the journal's
cost, target within 10%), the same with its videos in an SQLite file (``--store``, a new file per
run) and with two worker processes on that file (``--store --workers 2``), the mock under other
uvicorn settings, a raw ASGI app and a bare Starlette app that answer a fixed Video without
validating (the ceiling for a Python server here), Steady 0.22.2 (``@stdy/cli``, the mock that
openai-python's tests run against) and Prism 5.16.0 on spec/openapi.yaml (both installed with
npm under benchmarks/out/node). Targets: the in-memory mock at least at Steady's requests per
second on create and retrieve, and 4x Prism's; p99 under 20 ms; the cost of the store reported.

Needs wrk (Debian: apt-get install -y wrk). Optional: uvloop and httptools in
benchmarks/out/pydeps (pip install --target benchmarks/out/pydeps uvloop httptools), Steady and
Prism (--install, or npm install --prefix benchmarks/out/node @stdy/cli@0.22.2
@stoplight/prism-cli@5.16.0).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

API_KEY = "sk-bench-load"
CREATE_BODY = json.dumps({"prompt": "A calico cat playing a piano on stage", "model": "sora-2", "seconds": "4",
                          "size": "720x1280"})
PRISM_VERSION = "5.16.0"
STEADY_VERSION = "0.22.2"
NPM_PACKAGES = {"prism": f"@stoplight/prism-cli@{PRISM_VERSION}", "steady": f"@stdy/cli@{STEADY_VERSION}"}
STORE = "{store}"  # in a mock-cli target's options: a new SQLite file for this run
TARGET_RATIO = 4.0  # vs Prism
TARGET_STEADY_RATIO = 1.0
TARGET_P99_MS = 20.0
JOURNAL_TOLERANCE = 0.10  # the journal may cost at most this share of throughput


@dataclass
class Target:
    name: str
    kind: str  # "mock-cli" | "launcher" | "prism" | "steady"
    options: list[str] = field(default_factory=list)  # mock, launcher, prism or steady arguments
    pydeps: bool = False  # needs uvloop/httptools importable
    prefix: str = "/v1"  # where the API lives on this server
    note: str = ""
    quick: bool = False


TARGETS = [
    Target("mock: videos-contract mock (as shipped, this venv)", "mock-cli", quick=True,
           note="the CLI's uvicorn settings; loop/http 'auto' resolve to what is importable"),
    Target("mock: --no-journal", "mock-cli", ["--no-journal"], quick=True,
           note="the same command without the journal of requests (GET /_mock/requests)"),
    Target("mock: --store (SQLite file)", "mock-cli", ["--store", STORE], quick=True,
           note="the same command with its videos in a new SQLite file (WAL)"),
    Target("mock: --store --workers 2", "mock-cli", ["--store", STORE, "--workers", "2"],
           note="two uvicorn worker processes on one SQLite file"),
    Target("mock: as shipped + uvloop/httptools importable", "mock-cli", pydeps=True,
           note="the same command; 'auto' now picks uvloop and httptools"),
    Target("mock: asyncio + httptools", "launcher", ["--app", "mock", "--loop", "asyncio", "--http", "httptools"],
           pydeps=True),
    Target("mock: uvloop + h11", "launcher", ["--app", "mock", "--loop", "uvloop", "--http", "h11"], pydeps=True),
    Target("mock: uvloop + httptools, access log on", "launcher",
           ["--app", "mock", "--loop", "uvloop", "--http", "httptools", "--log-level", "info", "--access-log"],
           pydeps=True, note="uvicorn's default logging (the mock turns it off)"),
    Target("bare ASGI app: asyncio + h11", "launcher", ["--app", "bare-asgi", "--loop", "asyncio", "--http", "h11"],
           quick=True),
    Target("bare ASGI app: uvloop + httptools", "launcher",
           ["--app", "bare-asgi", "--loop", "uvloop", "--http", "httptools"], pydeps=True),
    Target("bare Starlette app: asyncio + h11", "launcher",
           ["--app", "bare-starlette", "--loop", "asyncio", "--http", "h11"]),
    Target("bare Starlette app: uvloop + httptools", "launcher",
           ["--app", "bare-starlette", "--loop", "uvloop", "--http", "httptools"], pydeps=True),
    Target(f"Steady {STEADY_VERSION} (-q)", "steady", ["-q"], prefix="",
           note="paths without /v1, as Prism; -q: no line per request"),
    Target(f"Prism {PRISM_VERSION} (default logging)", "prism", prefix="",
           note="paths without /v1: Prism ignores the servers' base path"),
    Target(f"Prism {PRISM_VERSION} (-v error)", "prism", ["-v", "error"], prefix=""),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two targets, 1 s per measurement, no warm-up")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per measurement (default 3)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="measurements per target and operation; medians are reported (default 3)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up before each (default 1)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (default 1: one core for wrk, one for a one-process server)")
    parser.add_argument("--only", default=None, help="comma-separated words; measure the targets whose name has one")
    parser.add_argument("--no-prism", action="store_true", help="skip the Prism targets")
    parser.add_argument("--no-steady", action="store_true", help="skip the Steady target")
    parser.add_argument("--install", "--install-prism", dest="install", action="store_true",
                        help=f"npm install {' and '.join(NPM_PACKAGES.values())} into benchmarks/out/node first")
    parser.add_argument("--interleave", action="store_true",
                        help="start every selected target at once and measure them in turn, round after round (for "
                        "an A/B such as the journal's cost on a machine whose load drifts)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--source", type=Path, default=c.ROOT, help="the checkout whose mock is measured")
    parser.add_argument("--rev", default=None, help="measure the committed tree at REV (a clean snapshot)")
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.connections < 1 or args.threads < 1:
        parser.error("--duration, --connections and --threads must be positive")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.quick:
        args.duration, args.warmup, args.repeat = 1.0, 0.0, 1
    return args


def selected(args) -> list[Target]:
    targets = [t for t in TARGETS if t.quick] if args.quick else list(TARGETS)
    if args.only:
        words = [w.strip().lower() for w in args.only.split(",") if w.strip()]
        targets = [t for t in TARGETS if any(w in t.name.lower() for w in words)]
    if args.no_prism:
        targets = [t for t in targets if t.kind != "prism"]
    if args.no_steady:
        targets = [t for t in targets if t.kind != "steady"]
    return targets


# ---- tools ---------------------------------------------------------------------------------
def node_bin(kind: str) -> Path:
    """The installed command of an npm target (``prism`` or ``steady``)."""
    return c.NODE_DIR / "node_modules" / ".bin" / kind


def install_node_targets(kinds: list[str]) -> None:
    npm = c.require("npm", "install Node.js and npm (Debian: apt-get install -y nodejs npm)")
    c.NODE_DIR.mkdir(parents=True, exist_ok=True)
    packages = [NPM_PACKAGES[kind] for kind in kinds]
    print(f"installing {' '.join(packages)} into {c.NODE_DIR} ...", flush=True)
    try:
        result = subprocess.run([npm, "install", "--prefix", str(c.NODE_DIR), "--no-audit", "--no-fund",
                                 "--loglevel=error", *packages],
                                capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise c.BenchError("npm install did not finish within 600 s") from None
    if result.returncode != 0:
        raise c.BenchError(f"npm install failed: {result.stderr.strip()[-800:]}")


def pydeps_ok() -> bool:
    return (c.PYDEPS / "uvloop").is_dir() and (c.PYDEPS / "httptools").is_dir()


def venv_auto() -> str:
    """What uvicorn's loop='auto'/http='auto' pick in this venv (without benchmarks/out/pydeps)."""
    found = []
    for module in ("uvloop", "httptools"):
        probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, timeout=30)
        found.append(f"{module} {'importable' if probe.returncode == 0 else 'not installed'}")
    return ", ".join(found)


# ---- servers -------------------------------------------------------------------------------
class Server:
    def __init__(self, target: Target, args, log: Path):
        self.target, self.args, self.log = target, args, log
        self.port = c.free_port()
        self.base = f"http://{c.HOST}:{self.port}{target.prefix}"
        extra = [c.PYDEPS] if target.pydeps else []
        env = c.source_env(args.source, extra_paths=extra)
        if target.kind == "mock-cli":
            store = log.with_suffix(".db")  # a new store for every run of the target
            for old in log.parent.glob(store.name + "*"):
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            options = [str(store) if option == STORE else option for option in target.options]
            cmd = [sys.executable, "-m", "contracts.cli", "mock", "--host", c.HOST, "--port", str(self.port),
                   "--api-key", API_KEY, *options]
            cwd = args.source
        elif target.kind == "launcher":
            cmd = [sys.executable, str(c.BENCH_DIR / "_server.py"), "--host", c.HOST, "--port", str(self.port),
                   "--api-key", API_KEY, *target.options]
            cwd = args.source
        elif target.kind == "steady":
            cmd = [str(node_bin("steady")), "--host", c.HOST, "-p", str(self.port), *target.options,
                   str(args.source / "spec" / "openapi.yaml")]
            cwd = c.NODE_DIR
        else:
            cmd = [str(node_bin("prism")), "mock", str(args.source / "spec" / "openapi.yaml"), "-h", c.HOST,
                   "-p", str(self.port), *target.options]
            cwd = c.NODE_DIR
        with log.open("w") as out:
            self.proc = c.spawn(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)

    def __enter__(self) -> "Server":
        timeout = 90 if self.target.kind in ("prism", "steady") else 30
        c.wait_http(f"{self.base}/videos/video_probe", self.proc, timeout=timeout, what=self.target.name, log=self.log)
        return self

    def __exit__(self, *exc) -> None:
        c.stop(self.proc)

    def cpu(self) -> float:
        return c.group_cpu(self.proc.pid)

    def create_one(self) -> str:
        status, body = c.http("POST", f"{self.base}/videos", body=CREATE_BODY.encode(),
                              headers={"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"})
        if status != 200:
            raise c.BenchError(f"{self.target.name}: a create was answered {status}: {body[:200]!r}")
        return json.loads(body)["id"]


# ---- wrk -----------------------------------------------------------------------------------
LUA_CREATE = """-- POST /videos with a JSON body (written by benchmarks/mock_load.py)
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
"""


def lua_create() -> Path:
    path = c.OUT / "wrk" / "create.lua"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LUA_CREATE.format(body=json.dumps(CREATE_BODY)))  # a JSON string is a valid Lua string here
    return path


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(found[1]) * _UNITS[found[2]] if found else float("nan")


def wrk(args, url: str, *, duration: float, script: Path | None) -> dict:
    cmd = [c.require("wrk", "apt-get update && apt-get install -y wrk"), f"-t{args.threads}", f"-c{args.connections}",
           f"-d{max(1, round(duration))}s", "--latency", "--timeout", "5s", "-H", f"Authorization: Bearer {API_KEY}"]
    if script is not None:
        cmd += ["-s", str(script)]
    try:
        result = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=duration + 30)
    except subprocess.TimeoutExpired:
        raise c.BenchError(f"wrk did not finish within {duration + 30:g} s") from None
    text = result.stdout
    if result.returncode != 0 or "Requests/sec" not in text:
        raise c.BenchError(f"wrk failed on {url}: {(result.stderr or text).strip()[-400:]}")
    out = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1]),
           "requests": int(re.search(r"(\d+) requests in", text)[1])}
    for pct in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
        out[f"p{pct}"] = _ms(found[1]) if found else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    out["non2xx"] = int(non2xx[1]) if non2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["socket_errors"] = sum(int(x) for x in errors.groups()) if errors else 0
    return out


def measure(args, server: Server, operation: str) -> dict:
    target = MeasuredOp(args, server, operation)
    return summary([target.once() for _ in range(args.repeat)])


class MeasuredOp:
    """One operation on one server: its URL (a video created first, for retrieve), warmed up."""

    def __init__(self, args, server: Server, operation: str):
        self.args, self.server = args, server
        if operation == "create":
            self.url, self.script = f"{server.base}/videos", lua_create()
        else:
            self.url, self.script = f"{server.base}/videos/{server.create_one()}", None
        if args.warmup > 0:
            wrk(args, self.url, duration=args.warmup, script=self.script)

    def once(self) -> dict:
        cpu_before = self.server.cpu()
        run = wrk(self.args, self.url, duration=self.args.duration, script=self.script)
        run["server_cpu_us"] = (self.server.cpu() - cpu_before) * 1e6 / max(1, run["requests"])
        return run


def measure_interleaved(args, servers: list[Server], operation: str) -> list[dict]:
    """The operation on every server in turn, ``--repeat`` rounds: a load that drifts (other work on
    the machine) weighs on every target alike, which running one target after the other does not."""
    targets = [MeasuredOp(args, server, operation) for server in servers]
    runs: list[list[dict]] = [[] for _ in servers]
    for _ in range(args.repeat):
        for index, target in enumerate(targets):
            runs[index].append(target.once())
    return [summary(each) for each in runs]


def summary(runs: list[dict]) -> dict:
    result = {key: c.median(r[key] for r in runs) for key in ("rps", "p50", "p75", "p90", "p99", "server_cpu_us")}
    for key in ("requests", "non2xx", "socket_errors"):
        result[key] = sum(r[key] for r in runs)
    result["runs"] = runs
    return result


def interleaved(args, targets: list[Target], logs: Path) -> list[dict]:
    """Every target's server up at once, measured in turn (``--interleave``)."""
    rows = [{"target": t.name, "note": t.note} for t in targets]
    with contextlib.ExitStack() as stack:
        try:
            servers = [stack.enter_context(Server(t, args, logs / f"server-{i}.log")) for i, t in enumerate(targets)]
            for operation in ("create", "retrieve"):
                for row, result in zip(rows, measure_interleaved(args, servers, operation)):
                    row[operation] = result
        except c.BenchError as exc:
            for row in rows:
                row["error"] = str(exc)
            print(f"  FAILED: {exc}", flush=True)
    return rows


# ---- main ----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for t in TARGETS:
            print(f"- {t.name}{' (quick)' if t.quick else ''}{': ' + t.note if t.note else ''}")
        return 0
    c.require("wrk", "apt-get update && apt-get install -y wrk")
    args.source = c.resolve_source(args.source, args.rev)
    targets = selected(args)
    if not targets:
        raise c.BenchError(f"--only {args.only!r} matches no target (see --list)")
    node_kinds = sorted({t.kind for t in targets} & set(NPM_PACKAGES))
    missing = [kind for kind in node_kinds if not node_bin(kind).exists()]
    if args.install and missing:
        install_node_targets(missing)
        missing = [kind for kind in node_kinds if not node_bin(kind).exists()]
    if missing:
        raise c.ToolMissing(f"{' and '.join(missing)} not installed in {c.NODE_DIR}: run with --install (or npm install "
                            f"--prefix {c.NODE_DIR} {' '.join(NPM_PACKAGES[k] for k in missing)}), or pass "
                            f"{' '.join('--no-' + k for k in missing)}")
    skipped = []
    if not pydeps_ok():
        skipped = [t.name for t in targets if t.pydeps]
        targets = [t for t in targets if not t.pydeps]

    print(f"mock_load.py: {c.machine_line()}; source {args.source} at {c.git_describe(args.source)}")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s --latency, {args.repeat} run(s) per "
          f"measurement (warm-up {args.warmup:g} s); "
          f"this venv: {venv_auto()}", flush=True)
    results = []
    logs = c.OUT / "mock_load"
    logs.mkdir(parents=True, exist_ok=True)
    if args.interleave:
        results = interleaved(args, targets, logs)
    for index, target in enumerate(targets if not args.interleave else []):
        row = {"target": target.name, "note": target.note}
        try:
            with Server(target, args, logs / f"server-{index}.log") as server:
                for operation in ("create", "retrieve"):
                    row[operation] = measure(args, server, operation)
        except c.BenchError as exc:
            row["error"] = str(exc)
            print(f"  {target.name}: FAILED: {exc}", flush=True)
        else:
            print(f"  {target.name}: create {row['create']['rps']:,.0f}/s p99 {row['create']['p99']:.1f} ms; "
                  f"retrieve {row['retrieve']['rps']:,.0f}/s p99 {row['retrieve']['p99']:.1f} ms", flush=True)
        results.append(row)

    headers = ["target", "create/s", "p50 ms", "p99 ms", "non-2xx", "srv µs/req",
               "retrieve/s", "p50 ms", "p99 ms", "non-2xx", "srv µs/req"]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["target"], "failed", *["-"] * 9])
            continue
        cr, rt = r["create"], r["retrieve"]
        rows.append([r["target"], cr["rps"], cr["p50"], cr["p99"], cr["non2xx"] + cr["socket_errors"], cr["server_cpu_us"],
                     rt["rps"], rt["p50"], rt["p99"], rt["non2xx"] + rt["socket_errors"], rt["server_cpu_us"]])
    print(c.table(headers, rows, title=f"wrk, {args.connections} connections, medians of {args.repeat} x {args.duration:g} s "
                                       "(non-2xx: total over the runs, socket errors included)"))
    for r in results:
        if r.get("note"):
            print(f"  {r['target']}: {r['note']}")
    for name in skipped:
        print(f"  skipped (uvloop/httptools not in {c.PYDEPS}; pip install --target {c.PYDEPS} uvloop httptools): {name}")

    ok = {r["target"]: r for r in results if "error" not in r}
    shipped = ok.get(TARGETS[0].name)
    others = [(r, TARGET_STEADY_RATIO if r["target"].startswith("Steady") else TARGET_RATIO) for r in ok.values()
              if r["target"].startswith(("Steady", "Prism"))]
    if shipped:
        print("\nTargets (the mock as shipped, in memory)")
        for op in ("create", "retrieve"):
            p99 = shipped[op]["p99"]
            print(f"  {op}: p99 {p99:.1f} ms < {TARGET_P99_MS:g} ms: {'MET' if p99 < TARGET_P99_MS else 'NOT MET'}")
            for other, target in others:
                ratio = shipped[op]["rps"] / other[op]["rps"]
                print(f"  {op}: {shipped[op]['rps']:,.0f}/s vs {other['target']} {other[op]['rps']:,.0f}/s = "
                      f"{ratio:.2f}x (target {target:g}x): {'MET' if ratio >= target else 'NOT MET'}")
        unjournaled = ok.get("mock: --no-journal")
        if unjournaled:
            print(f"\nThe cost of the journal (as shipped, journal on, vs --no-journal; target within "
                  f"{JOURNAL_TOLERANCE:.0%})")
            for op in ("create", "retrieve"):
                ratio = shipped[op]["rps"] / unjournaled[op]["rps"]
                print(f"  {op}: {shipped[op]['rps']:,.0f}/s vs {unjournaled[op]['rps']:,.0f}/s = {ratio:.0%}, server CPU "
                      f"{shipped[op]['server_cpu_us'] - unjournaled[op]['server_cpu_us']:+,.0f} µs/request: "
                      f"{'MET' if ratio >= 1 - JOURNAL_TOLERANCE else 'NOT MET'}")
        stored = [r for r in ok.values() if r["target"].startswith("mock: --store")]
        if stored:
            print("\nThe cost of the store (vs the mock as shipped, in memory)")
        for row in stored:
            for op in ("create", "retrieve"):
                print(f"  {row['target']}: {op} {row[op]['rps']:,.0f}/s ({row[op]['rps'] / shipped[op]['rps']:.0%} of "
                      f"in memory), p99 {row[op]['p99']:.1f} ms, server CPU {row[op]['server_cpu_us']:,.0f} µs/request "
                      f"({row[op]['server_cpu_us'] - shipped[op]['server_cpu_us']:+,.0f} µs)")
    print(f"\nload average at the end: {c.machine_line()}")
    return c.save_numbers("mock_load", args.source, {"wrk": {"threads": args.threads, "connections": args.connections,
                                                             "duration": args.duration}, "results": results})


if __name__ == "__main__":
    sys.exit(c.main_guard(main))
