"""One conformance run: preflight, the plan's steps in order, clean-up, the judge's verdicts.

    spec -> cases (scenarios) -> Sender -> client -> target -> History -> Judge -> RunResult

The runner drives each step (a generator of cases: contracts/scenarios/common.py): every case goes
out through the one send path (contracts/send.py), every answer is recorded and judged as it comes;
at the end the judge runs its end-of-run checks and gives every clause its verdict.
"""

from __future__ import annotations

import time
from typing import Callable

from contracts import cases, clauses, plan, selection
from contracts.cases import Case, Follow, NotSent, Planned
from contracts.checks import Judging
from contracts.client import Client
from contracts.cost import job_cost
from contracts.failures import RunAborted, SetupError
from contracts.history import History
from contracts.judge import Judge
from contracts.options import RunOptions
from contracts.preflight import preflight
from contracts.rules import DELETE, Rules
from contracts.scenarios import auth, characters, create_invalid, create_valid, derived, generated, jobs, listing
from contracts.scenarios.common import Step
from contracts.send import Sender
from contracts.spec import Spec, load_spec
from contracts.state import RunState
from contracts.types import RunResult, RunStats

# Steps that exercise one optional operation only: not run when the target does not offer it.
STEP_OPERATIONS = {"content not ready": "content", "content": "content", "remix": "remix", "list": "list",
                   "delete": "delete"}
CLEANUP_SECONDS = 20.0  # granted to deleting the run's videos after the budget is spent

STEPS: list[tuple[str, Callable[[RunState], Step]]] = [
    # The baseline first: every later create is built on what it learned (contracts/baseline.py).
    # Right after the first accepted create: the edit of an uploaded file, followed to its end too.
    ("baseline creates", lambda state: create_valid.baseline(state, then=derived.early)),
    ("content not ready", jobs.content_not_ready),
    ("edit and extension routes", derived.routes_and_unfinished),  # early: their source must be unfinished
    ("valid creates", create_valid.run),
    ("invalid creates", create_invalid.run),
    ("lifecycle", jobs.follow_jobs),
    ("content", jobs.content),
    ("remix", jobs.remix),
    ("edits and extensions", derived.run),
    ("characters", characters.run),
    ("retrieve an unknown id", jobs.unknown_id),  # before delete: a deleted id is judged like any missing one
    ("delete", jobs.delete),
    # After delete and remix: an operation found to have no route is not probed again.
    ("delete, content, remix unknown ids", jobs.unknown_ids),
    ("auth", auth.run),  # on the completed video kept for it
    # Generated creates late: under --max-creates they get what is left, and their drawing (in the
    # background since the start) overlaps every step before.
    ("generated creates", generated.run),
    ("list", listing.run),  # last: the run's videos then span the most seconds (list order)
]


def not_applicable(options: RunOptions) -> dict[str, str]:
    """Clause id -> why it does not apply to this run (skipped, never judged)."""
    skipped = selection.not_judged(options.include, options.exclude, options.operations)
    if not options.api_key:
        skipped.update({cid: auth.NO_KEY for cid, _, _ in auth.AUTH_CLAUSES})
    if options.examples <= 0:
        skipped.update({cid: "generation disabled (--examples 0)"
                        for cid in ("create.generated-valid-accepted", "create.generated-invalid-rejected")})
    return skipped


def drive(step: Step, state: RunState, sender: Sender) -> None:
    """Run one step of the plan: send each case it yields and hand it the answer; pass on the facts."""
    reply = None
    while True:
        try:
            item = step.send(reply)
        except StopIteration:
            return
        reply = None
        if isinstance(item, Case):
            reply = sender.send(item)
        elif isinstance(item, (NotSent, Planned)):
            state.judge.note(item)
        elif isinstance(item, Follow):
            sender.follow(item.ids)
        else:
            raise TypeError(f"a step yielded {item!r}")


def run(
    options: RunOptions,
    *,
    spec: Spec | None = None,
    rules: Rules | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    watch: Callable[[Callable[[], RunStats]], None] | None = None,
) -> RunResult:
    """One run. ``progress(stage, done, total)`` is told each step; ``watch`` is handed a probe
    of the run's counters (``RunStats``) once, for a live view to read while the run goes on."""
    spec = spec or load_spec()
    rules = rules or Rules.from_spec(spec)
    if options.max_creates is None and not options.embedded:
        options.max_creates = plan.default_max_creates(rules)  # full coverage + the generated and split margins
    client = Client(options)
    started, clock = time.time(), time.monotonic()
    history = History()
    judge = Judge(spec, rules, history, Judging(job_timeout=options.job_timeout, embedded=options.embedded), clock)
    state = RunState(spec=spec, rules=rules, options=options, judge=judge, history=history)
    sender = Sender(state, client)
    if watch is not None:
        watch(lambda: stats(state, client))
    interrupted: str | None = None
    interrupted_kind: str | None = None
    try:
        try:
            preflight(client)
        except RunAborted as exc:
            raise SetupError(str(exc)) from None
        generated.prefetch(state)
        for cid, note in not_applicable(options).items():
            judge.skip(cid, note)
        for index, (name, step) in enumerate(STEPS):
            if progress:
                progress(name, index, len(STEPS))
            if options.operations is None or STEP_OPERATIONS.get(name, "create") in options.operations:
                drive(step(state), state, sender)
        if progress:
            progress("done", len(STEPS), len(STEPS))
    except RunAborted as exc:
        interrupted, interrupted_kind = str(exc), exc.kind
    except KeyboardInterrupt:
        interrupted, interrupted_kind = "interrupted (Ctrl-C)", "ctrl-c"
    finally:
        try:
            cleanup(state, sender)
        except KeyboardInterrupt:
            interrupted = interrupted or "interrupted (Ctrl-C) during clean-up"
            interrupted_kind = interrupted_kind or "ctrl-c"
        client.close()
    return RunResult(
        target=options.base_url,
        spec_version=spec.version,
        profile=rules.profile,
        started_at=started,
        finished_at=time.time(),
        results=judge.finish(interrupted=interrupted, profile_changed=clauses.changed_by_profile(rules.changed)),
        coverage=state.coverage.as_dict(),
        requests_sent=client.requests_sent,
        videos_created=len(history.jobs),
        interrupted=interrupted,
        interrupted_kind=interrupted_kind,
        embedded=options.embedded,
        cost=job_cost(history, followed={t.video_id for t in state.schedule.tracks},
                      generated_not_sent=state.generated_not_sent),
        videos_left=[] if options.embedded else [v for v in history.jobs if not state.deleted(v)],
        options=options.recorded(),
        target_name=options.target_name,
        target_version=options.target_version,
    )


def stats(state: RunState, client: Client) -> RunStats:
    """The run's counters now (safe to call from another thread: it only reads)."""
    tracks = list(state.schedule.tracks)
    return RunStats(requests_sent=client.requests_sent, jobs_created=len(state.history.jobs),
                    jobs_followed=len(tracks), jobs_finished=sum(1 for track in tracks if track.done))


def cleanup(state: RunState, sender: Sender) -> None:
    """Delete every video the run created: a conformance run leaves nothing behind (the embedded
    server is thrown away with its videos, so it is spared the deletes). A video counts as deleted
    only when its delete was accepted (the record says so): the others are the result's ``videos_left``."""
    if state.options.embedded or not state.offers("delete") or DELETE in state.history.routes_missing:
        return
    sender.client.extend_budget(CLEANUP_SECONDS)
    for video_id in list(state.history.jobs):
        if state.deleted(video_id):
            continue
        try:
            sender.send(cases.call("clean-up: delete", *DELETE, video_id, purpose="cleanup", at_once=True))
        except RunAborted:
            return
