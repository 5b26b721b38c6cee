"""Run the real suite against the reference server in each fault mode or clean variant.

    from contracts.detection import run_many
    for outcome in run_many(["seconds-integer", "extra-fields"]):
        print(outcome.name, outcome.exit_code, outcome.failed)

Each run is real: a ``python -m contracts.mock --fault NAME`` process (EmbeddedServer, uvicorn over
loopback) checked by the engine (``contracts.runner.run``) with a key, so auth is checked too.
``persona=True`` runs a persona instead (``--persona NAME``: several faults at once, see
``contracts.mock.personas``). Runs go to a pool of worker processes, longest first, so that the
slow modes (rate limits, slow answers, hangs) overlap with the rest. Shared by
``tests/test_detection.py`` and ``benchmarks/detection.py``.

When does the suite first see a fault? The engine records, for each clause, how many requests had
been sent and how long the run had taken when it first failed (``ClauseResult.first_failure``).
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from contracts.mock.faults import CATALOGUE
from contracts.options import default
from contracts.text import one_line

# The suite runs with the options of a user's external run (`videos-contract run --base-url ...`):
# the same create cap and plan, the same number of generated cases, clean-up at the end, so that
# what this harness catches is what users get. Only the server's own pace differs: short jobs,
# and short timeouts for the servers that hang (those say how long to wait, not what is tried).
EXAMPLES = default("examples")  # generated cases per mode: the user's default
JOB_SECONDS = 0.2  # job duration of the server under test
REQUEST_TIMEOUT = 2.0  # a hanging request is given up after this long
JOB_TIMEOUT = 3.0  # how long one job is followed (jobs-never-finish)
BUDGET_SECONDS = 90.0
# Faults that show only in the middle of a job (a status or progress that is wrong for a moment)
# get jobs long enough to be polled at a steady pace in that moment: with 0.2 s jobs their window
# is tens of milliseconds, and catching it would depend on the machine's load.
MID_JOB_SECONDS = {"requeued": 2.0, "progress-per-stage": 2.0, "status-processing": 2.0, "progress-fraction": 2.0,
                   # jobs that fail half-way must be seen retrievable before they fail (their first poll)
                   "failed-job-404": 1.0, "failed-job-500": 1.0,
                   "unfinished-source-409": 2.0,
                   # the SDK-like retries of a 429 take seconds: the source must still run after them
                   "unfinished-source-429": 5.0,
                   # a create accepted while another job runs, after the 503s of the uploads were waited out
                   "uploads-503": 4.0,
                   # content asked of a job still running: the probe must not race the job's end
                   "not-ready-409": 2.0, "content-before-completion": 2.0}
# A persona's jobs outlast a 429's Retry-After (rate-limited personas) and the early probes of an
# unfinished job (content, edits), whatever the machine's load: those clauses must be verified.
PERSONA_JOB_SECONDS = 2.0
# Modes whose runs take longest (seconds, roughly): started first so that they overlap the rest.
LONG_RUNS = {"slow-responses": 30, "unfinished-source-429": 8, "busy-503-deleted-run": 12, "uploads-503": 8, "busy-503": 12, "rate-limited": 14, "rate-limit-no-retry-after": 14, "hang-remix": 5,
             "jobs-never-finish": 4, "derived-jobs-never-finish": 4, "random-durations": 3, "no-poll-after-header": 2, "requeued": 2,
             "progress-per-stage": 2, "status-processing": 2, "progress-fraction": 2}


@dataclass
class Outcome:
    """What one run against one mode found."""

    name: str
    kind: str  # "fault" or "clean"
    expected: tuple[str, ...]  # the clauses the mode breaks (empty for a clean variant)
    exit_code: int | None = None  # as `videos-contract run` would exit: 0 conforms, 1 violations
    failed: list[str] = field(default_factory=list)  # failed clause ids, catalogue order
    blocked: list[str] = field(default_factory=list)  # blocked clause ids (a prerequisite failed)
    not_verified: list[str] = field(default_factory=list)
    messages: dict[str, str] = field(default_factory=dict)  # clause -> first evidence, one line
    notes: dict[str, str] = field(default_factory=dict)  # clause -> why it is not verified
    fields: dict[str, str | None] = field(default_factory=dict)  # clause -> the field its evidence names
    first: dict[str, tuple[int, float]] = field(default_factory=dict)  # clause -> (requests, seconds) at 1st failure
    seconds: float = 0.0  # the run's wall time (server start excluded)
    requests: int = 0
    interrupted: str | None = None
    error: str | None = None  # the harness could not run (server did not start...)

    @property
    def detected(self) -> bool:
        return self.exit_code == 1

    @property
    def missing(self) -> list[str]:
        """Expected clauses that did not fail."""
        return [c for c in self.expected if c not in self.failed]

    @property
    def detection(self) -> tuple[int, float] | None:
        """(requests, seconds) when the first expected clause (else any clause) first failed."""
        hits = [self.first[c] for c in self.expected if c in self.first] or list(self.first.values())
        return min(hits) if hits else None


def _target(name: str, persona: bool) -> tuple[Outcome, list[str], float]:
    """An empty outcome for ``name`` (a catalogue entry, or a persona), the server's options, and
    its job duration (a persona's jobs are as long as its slowest-to-see fault needs)."""
    if persona:
        from contracts.mock.personas import PERSONAS

        p = PERSONAS[name]
        seconds = max(PERSONA_JOB_SECONDS, *(MID_JOB_SECONDS.get(f, JOB_SECONDS) for f in p.faults))
        return Outcome(name, "persona", p.root_causes), ["--persona", name], seconds
    fault = CATALOGUE[name]
    return Outcome(name, fault.kind, fault.breaks), ["--fault", name], MID_JOB_SECONDS.get(name, JOB_SECONDS)


def run_one(name: str, *, examples: int = EXAMPLES, job_seconds: float | None = None,
            request_timeout: float = REQUEST_TIMEOUT, job_timeout: float = JOB_TIMEOUT, seed: int = 0,
            measure: bool = True, persona: bool = False) -> Outcome:
    """Start the server with ``--fault name`` (``--persona name``) and run the whole suite against it."""
    from contracts.embedded import EmbeddedServer, EmbeddedServerError
    from contracts.failures import SetupError
    from contracts.options import RunOptions
    from contracts.runner import run
    from contracts.types import Verdict

    outcome, server_args, default_job_seconds = _target(name, persona)
    key = "sk-detect-" + secrets.token_hex(6)
    try:
        if job_seconds is None:
            job_seconds = default_job_seconds
        with EmbeddedServer(api_key=key, job_seconds=job_seconds, extra_args=server_args) as server:
            # max_creates None: the plan's default cap, as an external run without --max-creates
            options = RunOptions(base_url=server.base_url, api_key=key, max_creates=None, examples=examples, seed=seed,
                                 job_timeout=job_timeout, request_timeout=request_timeout,
                                 budget_seconds=BUDGET_SECONDS)
            started = time.monotonic()
            result = run(options)
            outcome.seconds = round(time.monotonic() - started, 2)
    except (EmbeddedServerError, SetupError) as exc:
        outcome.error = str(exc).splitlines()[0]
        return outcome
    # The engine notes (requests sent, seconds) at each clause's first failure.
    outcome.first = {r.clause.id: (r.first_failure["request"], r.first_failure["seconds"])
                     for r in result.results if measure and r.first_failure}
    outcome.requests = result.requests_sent
    outcome.interrupted = result.interrupted
    outcome.failed = [r.clause.id for r in result.results if r.verdict is Verdict.FAILED]
    outcome.blocked = [r.clause.id for r in result.results if r.verdict is Verdict.BLOCKED]
    outcome.not_verified = [r.clause.id for r in result.results if r.verdict is Verdict.NOT_VERIFIED]
    outcome.notes = {r.clause.id: r.note or "" for r in result.results if r.verdict is Verdict.NOT_VERIFIED}
    outcome.fields = {r.clause.id: r.evidence[0].field for r in result.results
                      if r.verdict is Verdict.FAILED and r.evidence}
    outcome.messages = {r.clause.id: one_line(r.evidence[0].message) for r in result.results
                        if r.verdict is Verdict.FAILED and r.evidence}
    # As the CLI decides: an interrupted run (budget, target down) is a failing run.
    outcome.exit_code = 1 if (result.failed or result.interrupted) else 0
    return outcome


def _run_by_name(args: tuple[str, dict]) -> Outcome:
    name, options = args
    try:
        return run_one(name, **options)
    except Exception as exc:  # noqa: BLE001 - report it as the run's error, keep the others going
        outcome = _target(name, options.get("persona", False))[0]
        outcome.error = f"{type(exc).__name__}: {exc}"
        return outcome


def default_workers() -> int:
    """More than the cores: much of a run is waiting (jobs, sleeps, timeouts), not computing."""
    return max(2, min(8, 2 * (os.cpu_count() or 1) + 2))


def run_many(names: Iterable[str], *, workers: int | None = None, **options) -> list[Outcome]:
    """``run_one`` for every name, in parallel worker processes; results in the order given."""
    names = list(dict.fromkeys(names))
    if not names:
        return []
    if options.get("persona"):
        from contracts.mock.personas import PERSONAS

        length = {n: max(LONG_RUNS.get(f, 0) for f in PERSONAS[n].faults) for n in names}
    else:
        length = {n: LONG_RUNS.get(n, 0) for n in names}
    order = sorted(names, key=lambda n: -length[n])
    workers = min(workers or default_workers(), len(names))
    if workers == 1:
        results = {name: _run_by_name((name, options)) for name in order}
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded parent
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = dict(zip(order, pool.map(_run_by_name, [(n, options) for n in order])))
    return [results[name] for name in names]
