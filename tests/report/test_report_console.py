"""The console: progress reporter and end-of-run summary."""

from __future__ import annotations

import io

import pytest
from report_factory import exchange, failed, make_run, passed

from contracts.report import ProgressReporter, apply_baseline, make_progress, render_summary
from contracts.report.baseline import Baseline, BaselineEntry


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _drive(tty: bool, calls):
    buf, clock = io.StringIO(), Clock()
    p = ProgressReporter(buf, tty=tty, clock=clock)
    for dt, stage, done, total in calls:
        clock.now += dt
        p(stage, done, total)
    p.close()
    return buf.getvalue()


RUNNER_STYLE = [(0, "create_valid", 0, 3), (2, "create_invalid", 1, 3), (2, "jobs", 2, 3), (2, "done", 3, 3)]
COUNTING = [(0.01, "generated", i, 200) for i in range(201)]


def test_plain_progress_prints_lines_on_stage_changes_and_completion():
    out = _drive(False, RUNNER_STYLE)
    assert "\r" not in out
    assert out.splitlines() == [
        "[    0.0s] create_valid: 0/3 (0%)",
        "[    2.0s] create_invalid: 1/3 (33%)",
        "[    4.0s] jobs: 2/3 (66%)",
        "[    6.0s] done: 3/3",
    ]


def test_plain_progress_is_not_chatty():
    out = _drive(False, COUNTING)  # 201 calls over 2 s: start and end only
    assert out.splitlines() == ["[    0.0s] generated: 0/200 (0%)", "[    2.0s] generated: 200/200"]
    slow = _drive(False, [(3.0, "generated", i, 10) for i in range(11)])  # heartbeat every 10 s
    assert slow.splitlines() == [
        "[    0.0s] generated: 0/10 (0%)",
        "[   12.0s] generated: 4/10 (40%)",
        "[   24.0s] generated: 8/10 (80%)",
        "[   30.0s] generated: 10/10",
    ]


def test_plain_progress_speaks_while_the_run_is_quiet():
    """No call for a while (a job polled for minutes): a line at least every heartbeat, with the
    run's counters, so that a CI log never looks hung."""
    import time

    from contracts.types import RunStats

    buf = io.StringIO()
    p = ProgressReporter(buf, tty=False, heartbeat=0.03)
    p.watch(lambda: RunStats(requests_sent=42, jobs_followed=2, jobs_finished=1))
    p("lifecycle", 5, 16)
    time.sleep(0.2)
    p.close()
    lines = buf.getvalue().splitlines()
    assert lines[0].endswith("lifecycle: 5/16 (31%)")
    beats = lines[1:]
    assert len(beats) >= 2, lines
    assert all(b.endswith("lifecycle: 5/16 (31%), still running: 42 requests sent, 1 of 2 followed jobs finished")
               for b in beats), beats
    after = len(buf.getvalue())
    time.sleep(0.1)
    assert len(buf.getvalue()) == after, "silent once closed"


def test_tty_progress_redraws_one_line():
    out = _drive(True, COUNTING)
    assert out.count("\n") == 1 and out.endswith("\n")  # only the completed count ends a line
    frames = out.split("\r")[1:]
    assert 10 <= len(frames) <= 30  # throttled to ~10 redraws a second
    assert frames[-1].startswith("generated [##############################] 200/200 100%")
    assert all(len(f.rstrip("\n")) < 80 for f in frames)


def test_tty_progress_runner_style_overwrites_until_done():
    out = _drive(True, RUNNER_STYLE)
    assert out.count("\n") == 1
    assert "done [" in out.split("\r")[-1]


def test_unknown_total_and_repeated_completion():
    out = _drive(False, [(0, "poll", 1, 0), (1, "poll", 2, 0), (0, "x", 2, 2), (0, "x", 2, 2)])
    assert out.splitlines() == ["[    0.0s] poll: 1", "[    1.0s] x: 2/2"]


def test_make_progress_detects_a_non_tty_stream():
    assert make_progress(io.StringIO()).tty is False


# ---------------------------------------------------------------------------- summary


def test_render_summary(run):
    paths = {"html": "reports/conformance.html", "json": "reports/conformance.json"}
    out = render_summary(run, paths=paths)
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0] == "Videos API conformance: http://127.0.0.1:9/v1"
    header = next(line for line in lines if line.startswith("area"))
    assert header.split() == ["area", "passed", "failed", "not", "verified", "skipped"]
    assert next(line for line in lines if line.startswith("create ")).split() == [
        "create",
        "1",
        "1",
        "0",
        "0",
    ]
    assert next(line for line in lines if line.startswith("total")).split() == ["total", "2", "1", "1", "1"]
    # a failure as every face renders it (contracts.failures.render_evidence), below its clause
    start = lines.index("  FAIL create.prompt.max-length-accepted")
    assert lines[start + 1:start + 5] == [
        "       [create.prompt.max-length-accepted] $.prompt: a 32000-character prompt was rejected",
        "         case: create json prompt=32000 chars",
        "         Received: 400",
        "         Documented: 200",
    ]
    assert lines[start + 5].startswith("         Reproduce: curl -sS -X POST 'http://127.0.0.1:9/v1/videos'")
    assert "  - content.download.mp4: every job failed, so no content" in lines
    assert lines[-4] == "Verdict: FAIL - 1 violation; 2 passed, 1 failed, 1 not verified, 1 skipped"
    assert lines[-2:] == ["  html  reports/conformance.html", "  json  reports/conformance.json"]


def test_render_summary_long_curl_is_cut():
    long = "curl -d '" + "A" * 5000 + "'"
    out = render_summary(make_run([failed("a.b", exchange=exchange(curl=long))]))
    line = next(line for line in out.splitlines() if "Reproduce:" in line)
    assert len(line) < 600 and line.endswith("(full command in conformance.html)")


@pytest.mark.parametrize(
    "accepted, verdict, tag",
    [
        (set(), "Verdict: FAIL", "[new]"),
        ({"a.b"}, "Verdict: PASS", "[known violation]"),
    ],
)
def test_render_summary_with_baseline(accepted, verdict, tag):
    run = make_run([failed("a.b"), passed("a.fixed")])
    baseline = Baseline(entries={i: BaselineEntry(i) for i in accepted | {"a.fixed"}})
    out = render_summary(run, baseline=apply_baseline(run, baseline))
    assert f"  FAIL a.b  {tag}" in out
    assert "fixed, remove from the baseline: a.fixed" in out
    assert verdict in out


def test_render_summary_colour_and_conforming_run():
    out = render_summary(make_run([passed("a.b")]), color=True)
    assert "\x1b[32mVerdict: PASS\x1b[0m - conforms" in out
    assert "Failures" not in out


def test_render_summary_interrupted():
    out = render_summary(make_run([passed("a.b")], interrupted="budget exhausted"))
    assert "Run interrupted: budget exhausted" in out
    assert "Verdict: INTERRUPTED - budget exhausted; 1 passed" in out
