"""The grading half of the proxy: every exchange the forwarder saw, recorded and judged as a run's are.

It runs in a thread of its own, fed by a queue, so that the forwarding event loop only hands over
what it saw. For each exchange: its case (contracts/intent.py: what the request exists to test), its
answer (contracts/proxy/record.py), whether that answer is back-pressure (a 503 while the record shows
the target busy: never a verdict, as in a run), then into the record (a bounded ``History``) and to the
judge (``live``: what the traffic did not exercise says so). The record evicts its oldest answers past
its bounds, once the judge has settled what the end-of-run checks say of them.

Reports are written from a snapshot of the judge every ``report_every`` seconds while the traffic
goes on, and from the judge itself when the proxy stops.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts import clauses, selection
from contracts.cases import NotSent
from contracts.checks import Judging
from contracts.coverage import Coverage
from contracts.cost import job_cost
from contracts.history import Bounds, History
from contracts.intent import Intent
from contracts.judge import Judge
from contracts.options import RunOptions
from contracts.proxy.forward import Seen
from contracts.proxy.record import answer_of, key_of, traffic_request
from contracts.rules import CREATING
from contracts.types import RunResult, TrafficStats

if TYPE_CHECKING:
    from contracts.client import Response
    from contracts.rules import Rules
    from contracts.spec import Spec

KEYS_KEPT = 64  # keys remembered as accepted
IDLE_CHECK = 1.0  # seconds between two looks, while idle, at whether the forwarding process is still there
STOP_TIMEOUT = 300.0  # for the grader to finish what is queued once told to stop
_IDLE = object()
# Exchanges waiting to be graded, and the bytes of their bodies (each keeps up to 1 MiB of request and
# of answer); beyond either, new ones are forwarded but not graded
MAX_PENDING = 10_000
MAX_PENDING_BYTES = 256 * 1024 * 1024
STATS_EVERY = 0.25  # seconds between two updates of the live counters
# What live traffic cannot show, said beside the clause (docs/proxy.md)
UNKNOWN_ID = ("the traffic cannot show an unknown id: the proxy cannot tell an id it never saw made from one the "
              "target made before it started")
CANNOT_TELL = {
    "auth.wrong-key-rejected": "the traffic cannot show a wrong key: the proxy cannot tell a wrong key from a right one",
    "errors.unknown-id-not-found": UNKNOWN_ID,
    "character.unknown-id-not-found": UNKNOWN_ID,
    "edit.unknown-source-not-found": UNKNOWN_ID,
    "create.generated-valid-accepted": "the kit's own generated creates: the traffic's creates are judged by what "
                                       "they show (prompt boundaries, each value, references)",
}
NO_KEY_SAID = ("requests without a key are judged only when the target needs one: say so with --requires-key")
_STOP = None  # the end of the exchanges (pickles as itself: the grader may be in another process)
# the grader's counters as it shares them with the forwarding process (GraderProcess)
COUNTERS = ("requests", "failed", "exercised", "clauses", "reports", "report_failed", "graded", "grading_failed")
GRADED = COUNTERS.index("graded")  # read by the forwarding process at each exchange it hands over


class Backlog:
    """What the forwarder handed and the grader has not graded yet, bounded in number and in bytes: the
    forwarding process keeps them (a queue's buffer) while the grader is behind."""

    def __init__(self) -> None:
        self.handed = 0
        self.not_graded = 0  # exchanges forwarded while the grader was too far behind to take them
        self._sizes: deque[int] = deque()  # the bytes of each exchange handed and not known graded
        self._bytes = 0

    def admit(self, seen: Seen, graded: int) -> bool:
        """Whether ``seen`` may wait for the grader, which has graded ``graded`` of those handed so far."""
        while self.handed - len(self._sizes) < graded:
            self._bytes -= self._sizes.popleft()
        size = seen.kept_bytes()
        if len(self._sizes) >= MAX_PENDING or self._bytes + size > MAX_PENDING_BYTES:
            self.not_graded += 1
            return False
        self.handed += 1
        self._sizes.append(size)
        self._bytes += size
        return True


@dataclass
class Grading:
    """What the grader is told: the target, where and how often reports go, and the options a report records."""

    options: RunOptions  # base_url is the target; operations, include/exclude, job_timeout, strict, names
    report_dir: Path
    report_every: float = 10.0  # 0: only when the proxy stops
    requires_key: bool = False
    bounds: Bounds = field(default_factory=Bounds)


class Grader:
    def __init__(self, spec: "Spec", rules: "Rules", grading: Grading) -> None:
        self.spec, self.rules, self.grading = spec, rules, grading
        options = grading.options
        self.history = History(grading.bounds)
        self.started, self.started_at = time.monotonic(), time.time()
        self.judge = Judge(spec, rules, self.history, Judging(job_timeout=options.job_timeout, live=True), self.started)
        for cid, note in selection.not_judged(options.include, options.exclude, options.operations).items():
            self.judge.skip(cid, note)
        for cid, why in CANNOT_TELL.items():
            self.judge.note(NotSent(cid, why))
        if not grading.requires_key:
            self.judge.note(NotSent("auth.missing-key-rejected", NO_KEY_SAID))
        self.intent = Intent(spec, rules, requires_key=grading.requires_key)
        self.coverage = Coverage()
        self.accepted_keys: dict[str, None] = {}  # digests of the keys an answer accepted (insertion order)
        self.backlog = Backlog()
        self.grading_failed = 0  # exchanges the grader could not take
        self.grading_error: str | None = None  # the first of them, one line
        self.reports_written = 0
        self.last_error: str | None = None  # a report that could not be written, said on the live line
        self._stats = TrafficStats(clauses=len(clauses.CLAUSES))
        self._stats_at = 0.0
        self._queue: Any = queue.SimpleQueue()
        self.graded = 0
        self.counters: Any = None  # shared with the forwarding process when this grader runs in its own
        self._thread = threading.Thread(target=self._run, name="videos-contract-grader", daemon=True)

    # ---- the forwarder's side (the event loop) -------------------------------------------------------
    def hand(self, seen: Seen) -> None:
        """Queue an exchange (never blocks: beyond the backlog's bounds it is counted, not graded)."""
        if self.backlog.admit(seen, self.graded):
            self._queue.put(seen)

    @property
    def stats(self) -> TrafficStats:
        return self._stats

    # ---- the grader's thread ---------------------------------------------------------------------------
    def start(self) -> "Grader":
        self._thread.start()
        return self

    def stop(self) -> RunResult:
        """Grade what is queued, stop the thread, and give the final result (the caller writes it)."""
        self._queue.put(_STOP)
        self._thread.join()
        self._update_stats(force=True)
        return self.result(final=True)

    def _run(self) -> None:
        every = self.grading.report_every
        next_report = time.monotonic() + every if every else None
        while True:
            timeout = max(0.0, next_report - time.monotonic()) if next_report is not None else None
            if self.counters is not None:
                timeout = min(timeout if timeout is not None else IDLE_CHECK, IDLE_CHECK)
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                item = _IDLE
            if item is _STOP:
                return
            if item is _IDLE:
                item = None
                if self.counters is not None and os.getppid() != self.parent:
                    return  # the forwarding process is gone without a word: nothing more will come
            if item is not None:
                self._grade_one(item)
                self.graded += 1
                self._update_stats()
            if next_report is not None and time.monotonic() >= next_report:
                self.write(self.result(final=False))
                next_report = time.monotonic() + every

    def _grade_one(self, seen: Seen) -> None:
        try:
            self.grade(seen)
        except Exception as exc:  # noqa: BLE001 - one exchange the kit cannot grade must not end the grading of all
            from contracts.report.redact import clean_text
            from contracts.text import one_line

            self.grading_failed += 1
            if self.grading_error is None:
                self.grading_error = one_line(clean_text(f"{seen.method} {seen.path}: {type(exc).__name__}: {exc}"))

    def note(self) -> str | None:
        """What was forwarded and not graded, one line (None: everything was graded)."""
        return ungraded(self.backlog.not_graded, self.grading_failed, self.grading_error)

    def grade(self, seen: Seen) -> "Response":
        """Record and judge one exchange."""
        case = self.intent.case(traffic_request(seen), self.history)
        key = key_of(seen)
        case.key_proven = key is None or key in self.accepted_keys
        answer = answer_of(seen, case)
        if answer.ok and 200 <= answer.status < 300 and key is not None and key not in self.accepted_keys:
            self.accepted_keys[key] = None
            if len(self.accepted_keys) > KEYS_KEPT:
                del self.accepted_keys[next(iter(self.accepted_keys))]
        answer.superseded = self._back_pressure(answer)
        template = case.operation[1] if case.operation else case.path
        self.coverage.operations[f"{case.method} {template}"] += 1
        self.history.add(answer)
        self.judge.judge(answer)
        if self.history.over_bounds():
            cut = self.history.eviction_point()
            self.judge.settle(cut)
            self.history.evict(cut)
            self.judge.forget(cut)
        return answer

    @staticmethod
    def _back_pressure(answer: "Response") -> bool:
        """A create answered 503 with Retry-After (busy: try again later) is back-pressure, never a 5xx
        finding (as a run waits it out): create.queued-while-busy's finding. A run tells a busy target from
        one that refuses a kind of request by waiting until its own jobs ended; live traffic cannot (other
        clients may keep the target busy), so the target's own word is taken: Retry-After. Any other 503
        is a 5xx (an upload service down, a store down: they say when to come back rarely)."""
        return answer.ok and answer.status == 503 and answer.case.operation in CREATING \
            and answer.headers.get("retry-after") is not None

    def _update_stats(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._stats_at < STATS_EVERY:
            return
        self._stats_at = now
        exercised, failed = self.judge.tally()
        self._stats = TrafficStats(requests=len(self.history), failed=failed, exercised=exercised,
                                   clauses=len(clauses.CLAUSES), not_graded=self.backlog.not_graded,
                                   grading_failed=self.grading_failed, reports=self.reports_written,
                                   report_error=self.last_error)
        if self.counters is not None:
            values = (len(self.history), failed, exercised, len(clauses.CLAUSES), self.reports_written,
                      int(self.last_error is not None), self.graded, self.grading_failed)
            for index, value in enumerate(values):
                self.counters[index] = value

    # ---- results and reports --------------------------------------------------------------------------
    def result(self, *, final: bool) -> RunResult:
        """The result so far (``final``: the judge itself, once the traffic is over; else a snapshot)."""
        from contracts.clauses import changed_by_profile

        judge = self.judge if final else self.judge.snapshot()
        options = self.grading.options
        polled = {job.id for job in self.history.jobs.values()
                  if any(r.case is not None and r.case.purpose == "poll" for r in job.retrieves)}
        cost = job_cost(self.history, followed=polled)
        cost["jobs_created"] = self.history.jobs_made
        return RunResult(
            target=options.base_url, spec_version=self.spec.version, profile=self.rules.profile,
            started_at=self.started_at, finished_at=time.time(),
            results=judge.finish(profile_changed=changed_by_profile(self.rules.changed)),
            coverage=self.coverage.as_dict(), requests_sent=len(self.history), videos_created=self.history.jobs_made,
            embedded=False, cost=cost, options=options.recorded(), target_name=options.target_name,
            target_version=options.target_version)

    def write(self, result: RunResult) -> dict[str, Path] | None:
        """Write every report of ``result``; a failure is kept for the live line (and said at the end)."""
        paths, self.last_error = write(result, self.grading.report_dir)
        self.reports_written += paths is not None
        return paths


def write(result: RunResult, report_dir: Path) -> tuple[dict[str, Path] | None, str | None]:
    """Every report of ``result`` in ``report_dir``: (their paths, None), or (None, why not, one line)."""
    from contracts import report

    try:
        return report.write_reports(result, report_dir), None
    except (OSError, report.ReportInvalid) as exc:
        return None, f"cannot write reports to {report_dir}: {getattr(exc, 'strerror', None) or exc}"


class GraderProcess:
    """A ``Grader`` in a process of its own (the command's): the forwarding event loop then shares no
    interpreter lock with the judging, which would otherwise delay the answers it forwards (by several
    milliseconds at the 99th percentile: docs/performance.md). Exchanges go to it through a queue, its
    counters come back through shared memory, its result at the end; it rebuilds the contract from the
    options (``values``) rather than receive it."""

    def __init__(self, values: dict[str, Any], grading: Grading) -> None:
        context = multiprocessing.get_context("spawn")  # the forwarding process has threads: never fork it
        self.grading = grading
        self._queue = context.Queue()
        self._results = context.Queue()
        self.counters = context.Array("q", len(COUNTERS), lock=False)
        self._process = context.Process(target=_grade_apart, args=(values, grading, self._queue, self._results,
                                                                    self.counters),
                                        name="videos-contract-grader", daemon=True)
        self.backlog = Backlog()
        self.last_error: str | None = None
        self._failed: tuple[int, str | None] = (0, None)  # the grader's grading_failed and grading_error, once it ended

    def start(self) -> "GraderProcess":
        self._process.start()
        return self

    def hand(self, seen: Seen) -> None:
        """Queue an exchange (never blocks: beyond the backlog's bounds it is counted, not graded)."""
        if self.backlog.admit(seen, self.counters[GRADED]):
            self._queue.put(seen)

    @property
    def stats(self) -> TrafficStats:
        count = dict(zip(COUNTERS, self.counters))
        return TrafficStats(requests=count["requests"], failed=count["failed"], exercised=count["exercised"],
                            clauses=count["clauses"] or len(clauses.CLAUSES), not_graded=self.backlog.not_graded,
                            grading_failed=count["grading_failed"],
                            reports=count["reports"], report_error="the reports could not be written"
                            if count["report_failed"] else None)

    def stop(self) -> RunResult:
        """Grade what is queued, and give the final result."""
        self._queue.put(_STOP)
        try:
            result, error, failed = self._results.get(timeout=STOP_TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"the grader did not end within {STOP_TIMEOUT:g} s") from None
        finally:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
        if error is not None:
            raise RuntimeError(error)
        self._failed = failed
        return result

    def note(self) -> str | None:
        """What was forwarded and not graded, one line (None: everything was graded)."""
        return ungraded(self.backlog.not_graded, *self._failed)

    def write(self, result: RunResult) -> dict[str, Path] | None:
        paths, self.last_error = write(result, self.grading.report_dir)
        return paths


def _grade_apart(values: dict[str, Any], grading: Grading, exchanges: Any, results: Any, counters: Any) -> None:
    """The grader process: the contract rebuilt from the options, then a Grader until the end of the exchanges."""
    import signal

    from contracts.target import Target

    # Ctrl-C and SIGTERM reach the whole process group: the forwarding process decides when the end is
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        spec, rules = Target({**values, "base_url": grading.options.base_url}).contract()
        grader = Grader(spec, rules, grading)
        grader.counters, grader.parent, grader._queue = counters, os.getppid(), exchanges
        grader._run()
        grader._update_stats(force=True)
        results.put((grader.result(final=True), None, (grader.grading_failed, grader.grading_error)))
    except Exception as exc:  # noqa: BLE001 - said by the forwarding process, on one line
        results.put((None, f"the grader failed: {type(exc).__name__}: {exc}", None))


def ungraded(behind: int, failed: int, first_error: str | None) -> str | None:
    """One line on the exchanges forwarded but not graded (None: none were)."""
    said = [f"{behind} while the grader was too far behind"] if behind else []
    if failed:
        said.append(f"{failed} the grader could not take, a defect of the kit (the first: {first_error})")
    return f"exchanges forwarded but not graded: {'; '.join(said)}" if said else None


def exit_code(result: RunResult, fail_on_violation: bool) -> int:
    """0, or 1 with --fail-on-violation when a clause failed (or, strict, was not verified)."""
    from contracts import report

    return report.exit_code(result) if fail_on_violation else 0


__all__ = ["Grader", "GraderProcess", "Grading", "exit_code"]
