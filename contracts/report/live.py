"""The live view of a run on a terminal (``rich``): the current step, requests sent, jobs
followed, elapsed time, redrawn in place a few times a second.

Used only when stdout is a terminal (``make_progress`` decides); CI logs and pipes keep the plain
line log of ``ProgressReporter``. Like it, a ``LiveProgress`` is the engine's
``progress(stage, done, total)`` callable; ``watch(probe)`` gives it the run's counters
(``RunStats``), read at every redraw. The view never touches the reports.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from contracts.report.redact import one_line
from contracts.types import RunStats, TrafficStats

REFRESH_PER_SECOND = 8
BAR_WIDTH = 30


class LiveProgress:
    """A few lines on the terminal, redrawn in place while the run goes on; the last frame stays."""

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        refresh_per_second: float = REFRESH_PER_SECOND,
        console: Console | None = None,
    ):
        self.console = console or Console(file=stream, highlight=False)
        self._clock = clock
        self._lock = threading.Lock()
        self._t0 = clock()
        self._stage, self._done, self._total = "starting", 0, 0
        self._probe: Callable[[], RunStats] = RunStats
        self._live = Live(console=self.console, get_renderable=self.render, refresh_per_second=refresh_per_second,
                          transient=False, redirect_stdout=False, redirect_stderr=False)

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._stage, self._done, self._total = stage, done, total
        self._live.start()  # once; a no-op after (rich's Live has its own lock)
        self._live.refresh()

    def watch(self, probe: Callable[[], RunStats]) -> None:
        """Read the run's counters from ``probe`` at every redraw."""
        self._probe = probe

    def close(self) -> None:
        """Draw the last frame and leave it on the screen (call once the run is over). Not under
        our lock: stopping draws a frame, which takes it."""
        if self._live.is_started:
            self._live.stop()
            self.console.line()  # a blank line between the view and the summary

    def render(self) -> Group:
        with self._lock:
            stage, done, total = self._stage, self._done, self._total
        stats = self._probe()
        elapsed = self._clock() - self._t0
        finished = stage == "done"
        head = Table.grid(padding=(0, 1))
        head.add_row(
            Text("videos-contract run", style="bold"),
            Text("finished" if finished else one_line(stage, 40), style="green" if finished else "cyan"),
            ProgressBar(total=max(total, 1), completed=min(done, total) if total else 0, width=BAR_WIDTH),
            Text(f"step {min(done + (0 if finished else 1), total)} of {total}" if total else ""),
        )
        counters = Text.assemble(
            ("  requests sent ", "dim"), str(stats.requests_sent),
            ("   jobs created ", "dim"), str(stats.jobs_created),
            ("   jobs followed ", "dim"), f"{stats.jobs_followed} ({stats.jobs_finished} finished)",
            ("   elapsed ", "dim"), f"{elapsed:.1f} s",
        )
        return Group(head, counters)


class ProxyLive:
    """The proxy's live line on a terminal: requests graded, clauses failed and exercised, reports."""

    def __init__(self, stream: TextIO, where: str, probe: Callable[[], TrafficStats], *,
                 refresh_per_second: float = 4, console: Console | None = None) -> None:
        self.console = console or Console(file=stream, highlight=False)
        self.where, self.probe = where, probe
        self._live = Live(console=self.console, get_renderable=self.render, refresh_per_second=refresh_per_second,
                          transient=False, redirect_stdout=False, redirect_stderr=False)

    def start(self) -> "ProxyLive":
        self._live.start()
        return self

    def close(self) -> None:
        if self._live.is_started:
            self._live.stop()
            self.console.line()

    def render(self) -> Text:
        stats = self.probe()
        line = Text.assemble(
            ("videos-contract proxy ", "bold"), (one_line(self.where, 60), "cyan"),
            ("   requests ", "dim"), str(stats.requests),
            ("   failed ", "dim"), (str(stats.failed), "red" if stats.failed else ""),
            ("   clauses exercised ", "dim"), f"{stats.exercised} of {stats.clauses}",
        )
        if stats.not_graded:
            line.append(f"   not graded {stats.not_graded}", "yellow")
        if stats.grading_failed:
            line.append(f"   grading failed {stats.grading_failed}", "red")
        if stats.report_error:
            line.append(f"   {one_line(stats.report_error, 60)}", "red")
        return line
