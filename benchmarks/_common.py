"""Shared plumbing for the benchmark scripts: child processes that are always cleaned up, CPU
time from /proc, free ports, readiness waits, medians and plain-text tables.

Every child is started in its own session (process group), remembered, and killed by group id
when the script ends, however it ends (normal exit, an exception, Ctrl-C, SIGTERM). Every wait
has a timeout. Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT = BENCH_DIR / "out"  # git-ignored: every output goes here
PYDEPS = OUT / "pydeps"  # optional extras (uvloop, httptools, fastjsonschema), see docs/performance.md
NODE_DIR = OUT / "node"  # Prism is installed here with npm
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"


class ToolMissing(Exception):
    """A tool the measurement needs is not installed: one line, exit code 2."""


class BenchError(Exception):
    """A measurement could not be made (a server did not start, a tool failed): exit code 1."""


# ---- child processes ----------------------------------------------------------------------
_CHILDREN: list[subprocess.Popen] = []


def _signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pid`` leads; a group already gone is not an error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _reap(proc: subprocess.Popen, grace: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def _kill_group(proc: subprocess.Popen, grace: float = 3.0) -> None:
    """SIGTERM the child's process group, then SIGKILL it if it lingers. By id, never by name."""
    if proc.poll() is None:
        _signal_group(proc.pid, signal.SIGTERM)
        _reap(proc, grace)
    # The leader may be gone while others of its group (node workers, uvicorn workers) remain.
    _signal_group(proc.pid, signal.SIGKILL)
    _reap(proc, grace)


def cleanup_all() -> None:
    while _CHILDREN:
        _kill_group(_CHILDREN.pop())


def _on_signal(signum, frame):  # SIGTERM/SIGHUP: behave like Ctrl-C so that finally blocks run
    raise KeyboardInterrupt


atexit.register(cleanup_all)


def spawn(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | str | None = None,
          stdout: Any = subprocess.DEVNULL, stderr: Any = subprocess.DEVNULL) -> subprocess.Popen:
    """Start a child in its own process group and remember it for clean-up."""
    try:
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                start_new_session=True)
    except OSError as exc:
        raise BenchError(f"cannot start {cmd[0]}: {exc}") from None
    _CHILDREN.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    _kill_group(proc)
    if proc in _CHILDREN:
        _CHILDREN.remove(proc)


@dataclass
class Timed:
    """One command run to completion: wall time, and its CPU with every descendant it reaped."""

    returncode: int
    wall: float
    cpu_total: float  # the child + the descendants it waited for (rusage from wait4)
    cpu_descendants: dict[int, float] = field(default_factory=dict)  # last CPU seen per descendant pid
    timed_out: bool = False


def run_timed(cmd: Sequence[str], *, timeout: float, env: dict[str, str] | None = None, cwd: Path | str | None = None,
              stdout: Any = subprocess.DEVNULL, stderr: Any = subprocess.DEVNULL, sample_every: float = 0.01) -> Timed:
    """Run ``cmd``; while it runs, sample the CPU time of its descendants from /proc (so that a
    server started by it can be told apart from the client); kill it after ``timeout`` seconds."""
    started = time.perf_counter()
    proc = spawn(cmd, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
    seen: dict[int, float] = {}
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                wall = time.perf_counter() - started
                return Timed(proc.returncode, wall, usage.ru_utime + usage.ru_stime, seen)
            for child in descendants(proc.pid):
                cpu = proc_cpu(child)
                if cpu is not None:
                    seen[child] = max(cpu, seen.get(child, 0.0))
            if time.perf_counter() - started > timeout:
                _kill_group(proc)
                return Timed(-9, time.perf_counter() - started, float("nan"), seen, timed_out=True)
            time.sleep(sample_every)
    finally:
        if proc.returncode is None:  # interrupted while waiting
            _kill_group(proc)
        if proc in _CHILDREN:
            _CHILDREN.remove(proc)


def descendants(pid: int) -> list[int]:
    """Children, grandchildren... of ``pid`` (from /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                text = Path(f"/proc/{current}/task/{tid}/children").read_text()
            except OSError:
                continue
            for child in text.split():
                found.append(int(child))
                todo.append(int(child))
    return found


def proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process (its own, not its children's), or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15 of stat)


def group_cpu(pid: int) -> float:
    """CPU of a process and its live descendants (a server with worker processes)."""
    return sum(c for c in (proc_cpu(p) for p in [pid, *descendants(pid)]) if c is not None)


# ---- network -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http(method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_http(url: str, proc: subprocess.Popen, *, timeout: float, what: str, log: Path | None = None) -> None:
    """Wait until something answers HTTP at ``url`` (any status); fail if ``proc`` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{what} exited (code {proc.returncode}) before it answered{_tail(log)}")
        try:
            http("GET", url, timeout=1.0)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    raise BenchError(f"{what} did not answer at {url} within {timeout:g} s{_tail(log)}")


def _tail(log: Path | None, lines: int = 8) -> str:
    if log is None or not log.exists():
        return ""
    text = log.read_text(errors="replace").strip().splitlines()[-lines:]
    return "; its output ends with:\n  " + "\n  ".join(text) if text else ""


# ---- environment ---------------------------------------------------------------------------
def source_env(source: Path, *, extra_paths: Iterable[Path] = (), env: dict[str, str] | None = None) -> dict[str, str]:
    """An environment in which ``import contracts`` finds the tree at ``source``."""
    env = dict(os.environ if env is None else env)
    paths = [str(source), *map(str, extra_paths)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def snapshot(rev: str) -> Path:
    """A clean copy of the committed tree at ``rev`` (git archive), so that measurements do not
    depend on whatever is being edited in the working tree. Kept under benchmarks/out/src-SHA."""
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"], capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        raise BenchError(f"--rev {rev!r} is not a commit of {ROOT}") from None
    target = OUT / f"src-{sha[:12]}"
    if not (target / "contracts").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], capture_output=True, timeout=60)
        if archive.returncode != 0:
            raise BenchError(f"git archive {sha} failed: {archive.stderr.decode(errors='replace').strip()}")
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True, timeout=60)
        # Byte-compile now, so that the first measured run does not pay for it.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(target / "contracts")], timeout=120,
                       stdout=subprocess.DEVNULL)
        (target / ".bench-rev").write_text(sha + "\n")
    return target


def resolve_source(source: Path, rev: str | None) -> Path:
    source = (snapshot(rev) if rev else source).resolve()
    if not (source / "contracts").is_dir():
        raise BenchError(f"{source} has no contracts/ package")
    return source


def python_tool(name: str) -> str:
    """A console script of the running interpreter's environment (e.g. the venv's ``st``)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    return require(name, f"pip install -e '.[test]' (looked in {Path(sys.executable).parent} and on PATH)")


def require(name: str, hint: str) -> str:
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"{name} is not installed: {hint}")
    return found


def git_describe(source: Path) -> str:
    marker = source / ".bench-rev"
    if marker.exists():
        return f"commit {marker.read_text().strip()[:12]} (clean snapshot in {source})"
    try:
        rev = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if not rev:
        return "not a git checkout"
    return rev + (" (with uncommitted changes)" if dirty else "")


def machine_line() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}, Python {sys.version.split()[0]}"


# ---- numbers and tables --------------------------------------------------------------------
def median(values: Iterable[float]) -> float:
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> str:
    """A Markdown-compatible table (readable in a terminal, pasteable into docs)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h)) for i, h in enumerate(headers)]
    numeric = [all(_numeric(r[i]) for r in cells) if cells else False for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric)) + " |"

    out = [f"\n{title}\n"] if title else []
    out.append(line([str(h) for h in headers]))
    out.append("|" + "|".join(("-" * (w + 1) + ":") if n else ("-" * (w + 2)) for w, n in zip(widths, numeric)) + "|")
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("x", "").replace("%", "").strip()
    try:
        float(stripped)
        return True
    except ValueError:
        return text == "-"


def run_suite(args: Any, run_args: Sequence[str], report_dir: Path, log: Path, what: str) -> tuple[Timed, dict]:
    """One quiet ``videos-contract run`` of ``args.source`` (output in ``log``, killed after ``args.timeout``):
    its timing and the conformance.json it wrote."""
    cmd = [sys.executable, "-m", "contracts.cli", "run", "--quiet", "--color", "never", "--report-dir", str(report_dir),
           *run_args]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        timed = run_timed(cmd, timeout=args.timeout, env=source_env(args.source), cwd=args.source, stdout=out,
                          stderr=subprocess.STDOUT)
    if timed.timed_out:
        raise BenchError(f"{what} did not finish within {args.timeout:g} s (see {log})")
    try:
        document = json.loads((report_dir / "conformance.json").read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(f"{what} wrote no readable conformance.json (exit {timed.returncode}, see {log}): {exc}")
    return timed, document


def run_steps(args: Any, report_dir: Path, *options: str) -> list[list]:
    """The phases of one in-process run of ``args.source`` (benchmarks/_steps.py): [name, wall s, CPU s] each."""
    cmd = [sys.executable, str(BENCH_DIR / "_steps.py"), *options, "--report-dir", str(report_dir)]
    result = subprocess.run(cmd, env=source_env(args.source), cwd=args.source, capture_output=True, text=True,
                            timeout=args.timeout)
    if result.returncode != 0:
        raise BenchError(f"benchmarks/_steps.py {' '.join(options)} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["phases"]


def save_json(name: str, data: Any) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def save_numbers(name: str, source: str | None, data: dict[str, Any]) -> int:
    """Save a script's raw numbers with the machine and the source they were measured on, say where; 0."""
    path = save_json(name, {"machine": machine_line(), "source": git_describe(source), **data})
    print(f"\nraw numbers: {path}")
    return 0


# ---- entry point ---------------------------------------------------------------------------
def main_guard(func: Callable[[], int]) -> int:
    """Run a script's main: tool missing -> 2, measurement failed -> 1, Ctrl-C -> 130; always clean up."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    name = Path(sys.argv[0]).name
    try:
        return func()
    except ToolMissing as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    except BenchError as exc:
        print(f"{name}: measurement failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted; child processes stopped", file=sys.stderr)
        return 130
    finally:
        cleanup_all()
