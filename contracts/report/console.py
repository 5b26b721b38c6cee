"""What a person sees in the terminal: progress during a run, and a summary at the end.

``progress`` (a :class:`ProgressReporter`) is a callable ``progress(stage, done, total)``: on a
terminal it redraws one line per stage with ``\\r``; elsewhere (CI logs, pipes) it prints plain
lines when a stage starts, ends, and at least every ``heartbeat`` seconds while it runs (a line of
its own when the run is quiet, e.g. while a job is polled: a CI log that stays silent looks hung).
``render_summary`` returns the end-of-run summary as a string.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from contracts.failures import render_evidence, reproduce_line
from contracts.report.redact import one_line
from contracts.text import plural
from contracts.types import RunResult


class ProgressReporter:
    """``reporter(stage, done, total)`` prints compact progress to ``stream`` (stderr by default).

    Works whether ``done``/``total`` count the steps of a stage or of the whole run (the stage
    name then changes with every call). ``total`` may be 0 when unknown. On a terminal one line
    is redrawn in place (a completed count leaves its line); elsewhere a plain line is printed
    when the stage changes, when a count completes, and every ``heartbeat`` seconds otherwise:
    between two calls too (a background thread), with the run's counters when ``watch`` gave
    them. Each line shows the time since the first call. Call :meth:`close` at the end."""

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
            try:
                tty = bool(isatty and isatty())
            except (OSError, ValueError):
                tty = False
        self.tty = tty
        self.interval = interval  # minimum time between two redraws on a terminal
        self.heartbeat = heartbeat  # maximum silence for plain output while a stage runs
        self._clock = clock
        self._lock = threading.Lock()
        self._t0: float | None = None
        self._stage: str | None = None
        self._last_out = float("-inf")
        self._line_open = False  # a \r line is on screen without its newline
        self._last_len = 0
        self._finished = False  # the current stage's count is complete and was shown
        self._count_now = (0, 0)  # the current stage's done, total
        self._probe: Callable[[], Any] | None = None
        self._closed = threading.Event()

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            now = self._clock()
            if self._t0 is None:
                self._t0 = now
                if not self.tty:
                    threading.Thread(target=self._heartbeat, name="progress-heartbeat", daemon=True).start()
            self._count_now = (done, total)
            new_stage = stage != self._stage
            if new_stage:
                self._stage, self._finished = stage, False
            complete = total > 0 and done >= total
            if complete and self._finished:
                return  # already said
            elapsed = now - self._t0
            if self.tty:
                if complete or new_stage or now - self._last_out >= self.interval:
                    self._draw(self._bar_line(stage, done, total, elapsed))
                    self._last_out = now
                    if complete:
                        self._end_line()
            elif complete or new_stage or now - self._last_out >= self.heartbeat:
                self._write(f"[{elapsed:7.1f}s] {self._plain(stage, done, total)}\n")
                self._last_out = now
            self._finished = complete

    def watch(self, probe: Callable[[], Any]) -> None:
        """The run's counters (``RunStats``), named on the lines said while the run is quiet."""
        self._probe = probe

    def close(self) -> None:
        """Finish the current line (call once the run is over, or interrupted)."""
        self._closed.set()
        with self._lock:
            self._end_line()

    def _heartbeat(self) -> None:
        """While the run is quiet (a job polled for minutes), a line at least every ``heartbeat`` s."""
        wait = self.heartbeat
        while not self._closed.wait(wait):
            with self._lock:
                now = self._clock()
                due = self._last_out + self.heartbeat - now  # the last line written sets the next one
                wait = min(self.heartbeat, max(due, 0.01))
                if self._closed.is_set() or self._stage is None or due > 0:
                    continue
                line = f"[{now - (self._t0 or now):7.1f}s] {self._plain(self._stage, *self._count_now)}, still running"
                counters = self._counters()
                self._write(line + (f": {counters}" if counters else "") + "\n")
                self._last_out, wait = now, self.heartbeat

    def _counters(self) -> str:
        if self._probe is None:
            return ""
        try:
            stats = self._probe()
        except Exception:  # best effort: a progress line never fails the run
            return ""
        text = f"{stats.requests_sent} requests sent"
        if stats.jobs_followed:
            text += f", {stats.jobs_finished} of {stats.jobs_followed} followed jobs finished"
        return text

    # -- formatting
    @staticmethod
    def _count(done: int, total: int) -> str:
        return f"{done}/{total}" if total > 0 else str(done)

    def _plain(self, stage: str, done: int, total: int) -> str:
        line = f"{one_line(stage, 60)}: {self._count(done, total)}"
        if total > 0 and done < total:
            line += f" ({100 * done // total}%)"
        return line

    def _bar_line(self, stage: str, done: int, total: int, elapsed: float) -> str:
        width = max(20, shutil.get_terminal_size((80, 20)).columns - 1)
        tail = self._count(done, total)
        if total > 0:
            tail += f" {100 * min(done, total) // total:3d}%"
        tail += f"  {elapsed:.1f}s"
        label = one_line(stage, max(10, width // 3))
        bar_width = min(30, width - len(label) - len(tail) - 4)
        if total > 0 and bar_width >= 5:
            filled = int(bar_width * min(done, total) / total)
            bar = " [" + "#" * filled + "-" * (bar_width - filled) + "] "
        else:
            bar = "  "
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


def make_progress(stream: TextIO | None = None, *, tty: bool | None = None, live: TextIO | None = None):
    """A progress callable for the engine: ``progress(stage, done, total)``, with ``watch(probe)``
    and ``close()``. When ``live`` (stdout) is a terminal: the live view on it
    (``contracts.report.live``); otherwise the line log on ``stream`` (stderr)."""
    if live is not None and _is_terminal(live):
        from contracts.report.live import LiveProgress  # rich is imported only for a terminal

        return LiveProgress(live)
    return ProgressReporter(stream, tty=tty)


def _is_terminal(stream: TextIO) -> bool:
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


# ----------------------------------------------------------------------------- summary

_ANSI = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1"}
_VERDICT_WORD = {
    "conforms": ("PASS", "green"),
    "known_violations": ("PASS", "yellow"),
    "violations": ("FAIL", "red"),
    "interrupted": ("INTERRUPTED", "yellow"),
    "unverified": ("FAIL", "red"),
}
_ROOT_WORD = {"not_verified": "NOT VERIFIED", "skipped": "SKIPPED", "passed": "PASS", None: "ROOT"}
MAX_LISTED = 10


def _evidence_lines(clause_id: str, ev: Mapping[str, Any]) -> list[str]:
    """The first piece of a failure's evidence, as every face renders it (contracts.failures.render_evidence)."""
    curl = (ev.get("exchange") or {}).get("curl")
    return render_evidence(clause_id, ev["message"], field=ev.get("field"), received=ev.get("received"),
                           expected=ev.get("expected"), case=ev.get("case"), reproduce=reproduce_line(curl)).splitlines()


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
    from contracts.report.answers import answer_text
    from contracts.report.document import (
        STRICT, blocked_by_cause, build_report, cost_text, excluded_text, graded_text, identity_text,
        is_known_cause, not_offered_text, videos_left_text,
    )

    doc = build_report(result, baseline=baseline) if isinstance(result, RunResult) else result

    def paint(text: str, style: str) -> str:
        return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if color else text

    out: list[str] = []
    out.append(paint(f"Videos API conformance: {graded_text(doc)}", "bold"))
    out.append(identity_text(doc))
    out.append(f"{doc['duration_seconds']:.1f}s | {doc['requests_sent']} requests | {doc['videos_created']} videos created")
    for line in (not_offered_text(doc), excluded_text(doc)):
        if line:
            out.append(line)
    out.append("")

    cols = [
        ("passed", "passed"),
        ("failed", "failed"),
        ("not_verified", "not verified"),
        ("skipped", "skipped"),
    ]
    if doc["counts"].get("blocked"):
        cols.append(("blocked", "blocked"))
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

    nv = [c for c in doc["clauses"] if c["verdict"] == "not_verified"]
    strict_failure = doc["outcome"] == "unverified"

    def not_verified_section() -> None:
        if not nv:
            return
        out.append("")
        title = f"Not verified ({len(nv)})"
        out.append(paint(f"{title}, each fails the run ({STRICT})", "red") if strict_failure else paint(title, "bold"))
        for c in nv[:MAX_LISTED]:
            note = f": {one_line(c['note'], 120)}" if c.get("note") else ""
            out.append(f"  - {c['id']}{note}")
        if len(nv) > MAX_LISTED:
            out.append(f"  ... and {len(nv) - MAX_LISTED} more (see the reports)")

    if strict_failure:  # what fails the run comes first
        not_verified_section()

    by_id = {c["id"]: c for c in doc["clauses"]}
    causes = doc.get("root_causes") or []
    if causes:
        # root causes first, each with the clauses that failed on its answer and what they blocked:
        # fix these, the others follow
        out.append("")
        n_same = sum(len(rc["same_answer"]) for rc in causes)
        n_blocked = sum(len(blocked_by_cause(rc)) for rc in causes)
        title = f"Root causes ({len(causes)})"
        if n_same:
            title += f", {plural(n_same, 'more clause')} failed on the same answer"
        if n_blocked:
            title += f", blocking {n_blocked} more clause{'' if n_blocked == 1 else 's'}"
        out.append(paint(title, "bold"))

        def tag(c: Mapping[str, Any]) -> str:
            if c.get("baseline") == "known":
                return "  " + paint("[known violation]", "yellow")
            return "  " + paint("[new]", "red") if c.get("baseline") == "new" else ""

        def blocked_line(ids: list[str], indent: str) -> None:
            if ids:
                more = f" and {len(ids) - MAX_LISTED} more" if len(ids) > MAX_LISTED else ""
                out.append(f"{indent}blocked:   {', '.join(ids[:MAX_LISTED])}{more}")

        causes = sorted(causes, key=lambda rc: is_known_cause(rc, by_id))
        for rc in causes:
            c = by_id.get(rc["id"]) or {"id": rc["id"], "verdict": rc["verdict"], "statement": rc["statement"]}
            ev = (c.get("evidence") or [None])[0] if c.get("verdict") == "failed" else None
            word = paint("FAIL", "red") if c.get("verdict") == "failed" else paint(_ROOT_WORD.get(c.get("verdict"), "ROOT"), "yellow")
            out.append(f"  {word} {c['id']}{tag(c)}")
            if ev:
                out.extend("       " + line for line in _evidence_lines(c["id"], ev))
            else:
                out.append(f"       reason:    {one_line(c.get('note') or c.get('statement') or '', 200)}")
            blocked_line(rc["blocked"], "       ")
            if rc["same_answer"]:
                many = plural(len(rc["same_answer"]), "more clause")
                out.append(f"       the same answer, {answer_text(rc['answer'])}, failed {many}:")
                for m in rc["same_answer"]:
                    member = by_id.get(m["id"], {})
                    reason = ((member.get("evidence") or [{}])[0].get("message") or m["statement"])
                    out.append(f"         {paint('FAIL', 'red')} {m['id']}{tag(member)}: {one_line(reason, 160)}")
                    blocked_line(m["blocked"], "              ")

    if not strict_failure:
        not_verified_section()

    b = doc.get("baseline")
    if b is not None:
        out.append("")
        out.append(
            f"Baseline{(' ' + str(b['path'])) if b.get('path') else ''}: "
            f"{len(b['new'])} new, {len(b['known'])} known of {b['accepted']} accepted"
        )
        if b["fixed"]:
            out.append(paint(f"  fixed, remove from the baseline: {', '.join(b['fixed'])}", "green"))
        for key, what in (("missing", "no such clause in this run"), ("unconfirmed", "not verified this run")):
            if b[key]:
                out.append(f"  {what}: {', '.join(b[key])}")

    if doc.get("interrupted"):
        out.append("")
        out.append(paint(f"Run interrupted: {one_line(doc['interrupted'], 200)}", "yellow"))

    out.append("")
    out.append(f"GPU cost: {cost_text(doc)}")
    if videos_left_text(doc):
        out.append(paint(videos_left_text(doc), "yellow"))
    word, style = _VERDICT_WORD.get(doc["outcome"], (doc["outcome"].upper(), "bold"))
    c = doc["counts"]
    text = "conforms" if doc["outcome"] == "conforms" else doc["outcome_text"]
    if text.startswith("interrupted: "):
        text = text[len("interrupted: ") :]
    out.append(
        paint(f"Verdict: {word}", style) + f" - {text}; {c['passed']} passed, {c['failed']} failed,"
        f" {c['not_verified']} not verified, {c['skipped']} skipped"
        + (f", {c['blocked']} blocked" if c.get("blocked") else "")
    )
    if paths:
        out.append("Reports:")
        width = max(len(k) for k in paths)
        for kind, p in paths.items():
            out.append(f"  {kind.ljust(width)}  {p}")
    return "\n".join(out) + "\n"
