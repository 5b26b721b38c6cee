"""The live view of a run: drawn with rich when stdout is a terminal (tested in a real
pseudo-terminal), the plain line log for pipes, the same reports either way."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from contracts.report import ProgressReporter, make_progress
from contracts.report.live import LiveProgress
from contracts.runner import STEPS
from contracts.types import RunStats
from tests.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PLAIN_LINE = re.compile(r"^\[\s*\d+\.\d+s\] baseline creates: 0/\d+ \(0%\)$", re.M)



def frame(live: LiveProgress) -> str:
    out = Console(file=io.StringIO(), width=100, color_system=None)
    out.print(live.render())
    return out.file.getvalue()


def test_the_view_shows_step_requests_jobs_and_elapsed():
    clock = FakeClock(100.0)
    live = LiveProgress(io.StringIO(), clock=clock)
    live.watch(lambda: RunStats(requests_sent=68, jobs_created=25, jobs_followed=4, jobs_finished=1))
    live._stage, live._done, live._total = "lifecycle", 4, 12  # what progress("lifecycle", 4, 12) sets
    clock.now += 2.5
    text = frame(live)
    assert "lifecycle" in text and "step 5 of 12" in text
    assert "requests sent 68" in text and "jobs created 25" in text
    assert "jobs followed 4 (1 finished)" in text and "elapsed 2.5 s" in text
    live._stage, live._done = "done", 12
    assert "finished" in frame(live) and "step 12 of 12" in frame(live)


def test_make_progress_picks_the_live_view_only_for_a_terminal(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")
    primary, secondary = pty.openpty()
    try:
        with open(secondary, "w", closefd=False) as terminal:
            assert isinstance(make_progress(io.StringIO(), live=terminal), LiveProgress)
            monkeypatch.setenv("TERM", "dumb")
            assert isinstance(make_progress(io.StringIO(), live=terminal), ProgressReporter)
    finally:
        os.close(primary)
        os.close(secondary)
    assert isinstance(make_progress(io.StringIO(), live=io.StringIO()), ProgressReporter)
    assert isinstance(make_progress(io.StringIO()), ProgressReporter)


# ---- the real command ----------------------------------------------------------------------
def command(report_dir: Path) -> list[str]:
    return [sys.executable, "-m", "contracts.cli", "run", "--examples", "0", "--report-dir", str(report_dir)]


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "NO_COLOR")}
    return {**env, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", "COLUMNS": "120"}


def foreground_signals() -> None:
    """Ctrl-C at its default in the child, as a shell sets it for a foreground command: a test run
    from a background job (``pytest &``, a CI script) has it ignored, and children inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_in_terminal(report_dir: Path, *extra: str, interrupt_once: bytes | None = None) -> tuple[int, str]:
    """The CLI with its standard streams on a pseudo-terminal, in a process group of its own (as a
    shell runs a command): everything it drew, and its exit code. With ``interrupt_once``, what
    Ctrl-C on that terminal does (SIGINT to the group) as soon as that text has been drawn."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(command(report_dir) + list(extra), stdin=secondary, stdout=secondary, stderr=secondary,
                               cwd=ROOT, env=environment(), start_new_session=True, preexec_fn=foreground_signals)
    os.close(secondary)
    drawn = b""
    try:
        while True:
            ready, _, _ = select.select([primary], [], [], 120)
            if not ready:
                raise AssertionError("the CLI drew nothing for 120 s")
            try:
                data = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            drawn += data
            if interrupt_once is not None and interrupt_once in drawn:
                os.killpg(process.pid, signal.SIGINT)
                interrupt_once = None
    finally:
        os.close(primary)
        code = process.wait(timeout=60)
    return code, drawn.decode("utf-8", "replace")


# What two runs of the same suite may differ in: when and how long, which port, and what the
# clock decided (how many polls a job took, so how many requests and checks; whether the videos of
# the run shared one created_at second, so whether the list step made one more).
RUN_DEPENDENT = ("target", "started_at", "started_at_epoch", "finished_at", "finished_at_epoch", "duration_seconds",
                 "requests_sent", "videos_created", "cost")


def report(report_dir: Path) -> dict:
    """The run's JSON report without what differs between any two runs: every verdict, note,
    piece of evidence, count, root cause and option stays."""
    document = json.loads((report_dir / "conformance.json").read_text())
    kept = {key: value for key, value in document.items() if key not in RUN_DEPENDENT}
    kept["coverage"] = {key: value for key, value in document["coverage"].items() if key != "operations"}
    kept["clauses"] = [{key: value for key, value in clause.items() if key != "checks"} for clause in document["clauses"]]
    return kept


@pytest.mark.slow
def test_a_terminal_gets_the_live_view_and_a_pipe_the_plain_log(tmp_path):
    code, drawn = run_in_terminal(tmp_path / "tty")
    assert code == 0, drawn
    text = ANSI.sub("", drawn)
    for expected in ("videos-contract run", "requests sent", "jobs followed", "elapsed", "finished", "Verdict: PASS"):
        assert expected in text, f"{expected!r} not drawn:\n{text[-3000:]}"
    assert re.search(rf"step {len(STEPS)} of {len(STEPS)}", text), text[-3000:]
    assert "\x1b[" in drawn, "drawn in place, with cursor movements"
    assert not PLAIN_LINE.search(text), "no plain log lines on a terminal"

    piped = subprocess.run(command(tmp_path / "pipe"), capture_output=True, text=True, timeout=180, cwd=ROOT,
                           env=environment())
    assert piped.returncode == 0, piped.stderr
    assert PLAIN_LINE.search(piped.stderr), piped.stderr
    assert "\x1b[" not in piped.stderr + piped.stdout
    assert "requests sent" not in piped.stdout + piped.stderr

    assert sorted(p.name for p in (tmp_path / "tty").iterdir()) == sorted(p.name for p in (tmp_path / "pipe").iterdir())
    assert report(tmp_path / "tty") == report(tmp_path / "pipe"), "the view changes no report"


@pytest.mark.slow
def test_ctrl_c_on_a_terminal_ends_the_run_and_gives_the_terminal_back(tmp_path):
    # Jobs of 10 minutes: the run is still following one when the first frame is drawn and interrupted.
    code, drawn = run_in_terminal(tmp_path, "--job-seconds", "600", interrupt_once=b"requests sent")
    assert code == 130, drawn[-3000:]
    hidden, shown = drawn.rfind("\x1b[?25l"), drawn.rfind("\x1b[?25h")
    assert 0 <= hidden < shown, "the cursor the view hid is shown again"
    text = ANSI.sub("", drawn)
    assert "Verdict: INTERRUPTED" in text and "Traceback" not in text, text[-3000:]
    assert json.loads((tmp_path / "conformance.json").read_text())["interrupted_kind"] == "ctrl-c"


def test_the_proxy_line_counts_requests_failures_and_clauses_exercised():
    from contracts.report.live import ProxyLive
    from contracts.types import TrafficStats

    stats = TrafficStats(requests=1234, failed=2, exercised=41, clauses=83)
    live = ProxyLive(io.StringIO(), "http://127.0.0.1:8080/v1", lambda: stats)
    out = Console(file=io.StringIO(), width=160, color_system=None)
    out.print(live.render())
    text = out.file.getvalue()
    assert "http://127.0.0.1:8080/v1" in text and "requests 1234" in text and "failed 2" in text
    assert "clauses exercised 41 of 83" in text and "not graded" not in text
    stats = TrafficStats(requests=5, not_graded=7, report_error="cannot write reports to /x: Permission denied")
    out = Console(file=io.StringIO(), width=200, color_system=None)
    out.print(live.render())
    assert "not graded 7" in out.file.getvalue() and "cannot write reports" in out.file.getvalue()
