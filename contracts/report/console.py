"""What a person sees in the terminal: progress during a run, and a summary at the end.

``progress`` (a :class:`ProgressReporter`) is a callable ``progress(stage, done, total)``: on a
terminal it redraws one line per stage with ``\\r``; elsewhere (CI logs, pipes) it prints plain
lines, only when a stage starts, ends, or every ``heartbeat`` seconds while it runs.
``render_summary`` returns the end-of-run summary as a string.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from contracts.report.redact import one_line
from contracts.types import RunResult


class ProgressReporter:
    """``reporter(stage, done, total)`` prints compact progress to ``stream`` (stderr by default).

    ``total`` may be 0 when unknown. Call :meth:`close` at the end to finish an open line."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        interval: float = 0.1,
        heartbeat: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream if stream is not None else sys.stderr
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            tty = bool(isatty and isatty())
        self.tty = tty
        self.interval = interval  # minimum time between two redraws on a terminal
        self.heartbeat = heartbeat  # time between two plain lines for the same stage
        self._clock = clock
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._stage_started = 0.0
        self._last_draw = float("-inf")
        self._line_open = False  # a \r line is on screen without its newline
        self._last_len = 0
        self._finished = False  # the current stage reached its total

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            now = self._clock()
            new_stage = stage != self._stage
            if new_stage:
                self._end_line()
                self._stage, self._stage_started, self._finished = stage, now, False
                self._last_draw = float("-inf")
            complete = total > 0 and done >= total
            if complete and self._finished:
                return  # already said
            if self.tty:
                if complete or new_stage or now - self._last_draw >= self.interval:
                    self._draw(self._bar_line(stage, done, total, now, complete))
                    self._last_draw = now
                    if complete:
                        self._end_line()
            else:
                if complete:
                    self._write(self._plain_line(stage, done, total, now, complete) + "\n")
                elif new_stage or now - self._last_draw >= self.heartbeat:
                    self._write(self._plain_line(stage, done, total, now, complete) + "\n")
                    self._last_draw = now
            if complete:
                self._finished = True

    def close(self) -> None:
        """Finish the current line (call once the run is over, or interrupted)."""
        with self._lock:
            self._end_line()

    # -- formatting
    @staticmethod
    def _count(done: int, total: int) -> str:
        return f"{done}/{total}" if total > 0 else str(done)

    def _plain_line(self, stage: str, done: int, total: int, now: float, complete: bool) -> str:
        line = f"{stage}: {self._count(done, total)}"
        if complete:
            line += f" done in {now - self._stage_started:.1f}s"
        elif total > 0:
            line += f" ({100 * done // total}%)"
        return line

    def _bar_line(self, stage: str, done: int, total: int, now: float, complete: bool) -> str:
        width = shutil.get_terminal_size((80, 20)).columns - 1
        count = self._count(done, total)
        if complete:
            tail = f"{count} done in {now - self._stage_started:.1f}s"
        elif total > 0:
            tail = f"{count} {100 * done // total:3d}%"
        else:
            tail = count
        label = one_line(stage, max(10, width // 3))
        bar_width = max(0, min(30, width - len(label) - len(tail) - 6))
        if total > 0 and bar_width >= 5:
            filled = int(bar_width * min(done, total) / total)
            bar = " [" + "#" * filled + "-" * (bar_width - filled) + "] "
        else:
            bar = " "
        return (label + bar + tail)[:width]

    # -- output
    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed or broken stream: progress is best effort
            pass

    def _draw(self, line: str) -> None:
        pad = " " * max(0, self._last_len - len(line))
        self._write("\r" + line + pad)
        self._last_len = len(line)
        self._line_open = True

    def _end_line(self) -> None:
        if self._line_open:
            self._write("\n")
            self._line_open = False
            self._last_len = 0


def make_progress(stream: TextIO | None = None, *, tty: bool | None = None) -> ProgressReporter:
    """A progress callable for the engine: ``progress(stage, done, total)``."""
    return ProgressReporter(stream, tty=tty)


# ----------------------------------------------------------------------------- summary

_ANSI = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}
_VERDICT_WORD = {
    "conforms": ("PASS", "green"),
    "known_violations": ("PASS", "yellow"),
    "violations": ("FAIL", "red"),
    "interrupted": ("INTERRUPTED", "yellow"),
}
MAX_CURL_CHARS = 400
MAX_LISTED = 10


def _reason(ev: Mapping[str, Any] | None, fallback: str = "") -> str:
    if not ev:
        return one_line(fallback, 200)
    reason = ev["message"] or fallback
    exp, rec = ev.get("expected"), ev.get("received")
    if exp is not None and rec is not None and str(rec) not in reason:
        reason += f" (expected {exp}, received {rec})"
    return one_line(reason, 200)


def render_summary(
    result: RunResult | Mapping[str, Any],
    *,
    baseline: Any = None,
    paths: Mapping[str, Path | str] | None = None,
    color: bool = False,
) -> str:
    """The end-of-run summary: clause counts by area, each failure (id, field, one-line reason,
    curl), the final verdict line and the report paths.

    ``result`` is a :class:`RunResult` or a report document (``build_report``'s output);
    ``baseline`` a :class:`Baseline` or :class:`BaselineOutcome`; ``paths`` what
    ``write_reports`` returned."""
    from contracts.report.document import build_report

    doc = build_report(result, baseline=baseline) if isinstance(result, RunResult) else result

    def paint(text: str, style: str) -> str:
        return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if color else text

    out: list[str] = []
    head = f"Videos API conformance: {doc['target']}"
    if doc.get("embedded"):
        head += " (embedded reference server)"
    out.append(paint(head, "bold"))
    out.append(
        f"profile {doc['profile']} | spec {doc['spec_version']} | {doc['duration_seconds']:.1f}s"
        f" | {doc['requests_sent']} requests | {doc['videos_created']} videos created"
    )
    out.append("")

    cols = [("passed", "passed"), ("failed", "failed"), ("not_verified", "not verified"),
            ("skipped", "skipped")]
    areas = doc.get("areas") or []
    name_w = max([len("area"), len("total")] + [len(a["area"]) for a in areas])
    header = "area".ljust(name_w) + "".join(f"  {label:>12}" for _, label in cols)
    out.append(paint(header, "dim"))

    def row(name: str, counts: Mapping[str, int]) -> str:
        cells = ""
        for key, _ in cols:
            cell = f"  {counts.get(key, 0):>12}"
            if key == "failed" and counts.get(key):
                cell = paint(cell, "red")
            cells += cell
        return name.ljust(name_w) + cells

    for a in areas:
        out.append(row(a["area"], a["counts"]))
    out.append(paint(row("total", doc["counts"]), "bold"))

    failing = [c for c in doc["clauses"] if c["verdict"] == "failed"]
    if failing:
        out.append("")
        out.append(paint(f"Failures ({len(failing)})", "bold"))
        failing.sort(key=lambda c: 0 if c.get("baseline") != "known" else 1)
        for c in failing:
            ev = (c.get("evidence") or [None])[0]
            tag = ""
            if c.get("baseline") == "known":
                tag = "  " + paint("[known violation]", "yellow")
            elif c.get("baseline") == "new":
                tag = "  " + paint("[new]", "red")
            out.append(f"  {paint('FAIL', 'red')} {c['id']}{tag}")
            if ev and ev.get("field"):
                out.append(f"       field:     {one_line(ev['field'], 120)}")
            out.append(f"       reason:    {_reason(ev, c.get('note') or c['statement'])}")
            exchange = (ev or {}).get("exchange") or {}
            curl = exchange.get("curl") or ""
            if curl:
                flat = " ".join(curl.split())
                if len(flat) > MAX_CURL_CHARS:
                    flat = flat[:MAX_CURL_CHARS] + " ... (full command in conformance.html)"
                out.append(f"       reproduce: {flat}")

    nv = [c for c in doc["clauses"] if c["verdict"] == "not_verified"]
    if nv:
        out.append("")
        out.append(paint(f"Not verified ({len(nv)})", "bold"))
        for c in nv[:MAX_LISTED]:
            note = f": {one_line(c['note'], 120)}" if c.get("note") else ""
            out.append(f"  - {c['id']}{note}")
        if len(nv) > MAX_LISTED:
            out.append(f"  ... and {len(nv) - MAX_LISTED} more (see the reports)")

    b = doc.get("baseline")
    if b is not None:
        out.append("")
        out.append(
            f"Baseline{(' ' + str(b['path'])) if b.get('path') else ''}: "
            f"{len(b['new'])} new, {len(b['known'])} known of {b['accepted']} accepted"
        )
        if b["fixed"]:
            out.append(
                paint(f"  fixed, remove from the baseline: {', '.join(b['fixed'])}", "green")
            )
        if b["missing"]:
            out.append(f"  no such clause in this run: {', '.join(b['missing'])}")
        if b["unconfirmed"]:
            out.append(f"  not verified this run: {', '.join(b['unconfirmed'])}")

    if doc.get("interrupted"):
        out.append("")
        out.append(paint(f"Run interrupted: {one_line(doc['interrupted'], 200)}", "yellow"))

    out.append("")
    word, style = _VERDICT_WORD.get(doc["outcome"], (doc["outcome"].upper(), "bold"))
    c = doc["counts"]
    out.append(
        paint(f"Verdict: {word}", style)
        + f": {doc['outcome_text']} ({c['passed']} passed, {c['failed']} failed,"
        f" {c['not_verified']} not verified, {c['skipped']} skipped)"
    )
    if paths:
        out.append("Reports:")
        width = max(len(k) for k in paths)
        for kind, p in paths.items():
            out.append(f"  {kind.ljust(width)}  {p}")
    return "\n".join(out) + "\n"
