"""One conformance run: preflight, the scenarios in order, clean-up, and the RunResult."""

from __future__ import annotations

import time
from typing import Callable

from contracts import cases, clauses, lifecycle, plan, selection
from contracts.clauses import changed_by_profile
from contracts.client import Client
from contracts.context import RunContext
from contracts.failures import RunAborted, SetupError
from contracts.options import RunOptions
from contracts.recorder import Recorder
from contracts.rules import DELETE, LIST, Rules
from contracts.scenarios import auth, characters, create_invalid, create_valid, derived, generated, jobs, listing
from contracts.scenarios.state import RunState
from contracts.spec import Spec, load_spec
from contracts.types import RunResult, RunStats

# Steps that exercise one optional operation only: not run when the target does not offer it.
STEP_OPERATIONS = {"content not ready": "content", "content": "content", "remix": "remix", "list": "list",
                   "delete": "delete"}
CLEANUP_SECONDS = 20.0  # granted to deleting the run's videos after the budget is spent

STEPS: list[tuple[str, Callable[[RunContext, RunState], None]]] = [
    # The baseline first: every later create is built on what it learned (contracts/baseline.py).
    # Right after the first accepted create: the edit of an uploaded file, followed to its end too.
    ("baseline creates", lambda ctx, state: create_valid.baseline(ctx, state, then=derived.early)),
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


def preflight(client: Client) -> None:
    """Fail fast, with one line, when nothing listens at the base URL. A server that accepts the
    connection but hangs is not a setup error: the run goes on and reports it as a violation."""
    response = client.request(*LIST, query={"limit": 1})
    if response.connect_failed:
        raise SetupError(f"cannot reach the target at {client.base_url}: {response.transport_error}")
    if response.status == 401:
        # Every clause would fail for the same reason: say it once, as a setup error.
        if client.options.api_key:
            raise SetupError(f"the target at {client.base_url} refused the API key (401); check --api-key "
                             "or OPENAI_API_KEY")
        raise SetupError(f"the target at {client.base_url} requires an API key (401): pass --api-key or set "
                         "OPENAI_API_KEY")


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
    recorder = Recorder(probe=lambda: (client.requests_sent, time.monotonic() - clock))
    ctx = RunContext(spec=spec, rules=rules, client=client, options=options, recorder=recorder, progress=progress)
    # Polling is the runner's: due polls go between two requests of the steps, and a target that
    # takes one job at a time gets each create after the previous job ended.
    ctx.between_requests = lambda: lifecycle.poll_due(ctx)
    ctx.wait_until_idle = lambda: lifecycle.wait_until_idle(ctx)
    state = RunState()
    if watch is not None:
        watch(lambda: stats(ctx))
    interrupted: str | None = None
    interrupted_kind: str | None = None
    try:
        try:
            preflight(client)
        except RunAborted as exc:
            raise SetupError(str(exc)) from None
        generated.prefetch(ctx, state)
        for cid, note in selection.skips(options.include, options.exclude).items():
            ctx.recorder.exclude(cid, note)  # never judged; a clause also not offered says so below
        for cid, operations in clauses.not_offered(options.operations).items():
            ctx.recorder.skipped(cid, clauses.not_offered_note(operations))
        for index, (name, step) in enumerate(STEPS):
            if progress:
                progress(name, index, len(STEPS))
            if options.operations is None or STEP_OPERATIONS.get(name, "create") in options.operations:
                step(ctx, state)
        if progress:
            progress("done", len(STEPS), len(STEPS))
    except RunAborted as exc:
        interrupted, interrupted_kind = str(exc), exc.kind
    except KeyboardInterrupt:
        interrupted, interrupted_kind = "interrupted (Ctrl-C)", "ctrl-c"
    finally:
        try:
            cleanup(ctx)
        except KeyboardInterrupt:
            interrupted = interrupted or "interrupted (Ctrl-C) during clean-up"
            interrupted_kind = interrupted_kind or "ctrl-c"
        client.close()
    if not interrupted:
        ctx.recorder.block_unexercised()
    if ctx.recorder.verdict_of("response.rate-limit.retry-after").value == "not_verified":
        ctx.recorder.skipped("response.rate-limit.retry-after", "the target answered no request with 429")
    return RunResult(
        target=options.base_url,
        spec_version=spec.version,
        profile=rules.profile,
        started_at=started,
        finished_at=time.time(),
        results=ctx.recorder.results(interrupted, changed_by_profile(rules.changed)),
        coverage=ctx.coverage.as_dict(),
        requests_sent=client.requests_sent,
        videos_created=len(ctx.created),
        interrupted=interrupted,
        interrupted_kind=interrupted_kind,
        embedded=options.embedded,
        cost=ctx.cost.as_dict(),
        options=options.recorded(),
        target_name=options.target_name,
        target_version=options.target_version,
    )


def stats(ctx: RunContext) -> RunStats:
    """The run's counters now (safe to call from another thread: it only reads)."""
    tracks = lifecycle.all_tracks(ctx)
    return RunStats(requests_sent=ctx.client.requests_sent, jobs_created=len(ctx.created),
                    jobs_followed=len(tracks), jobs_finished=sum(1 for track in tracks if track.done))


def cleanup(ctx: RunContext) -> None:
    """Delete every video the run created: a conformance run leaves nothing behind (the embedded
    server is thrown away with its videos, so it is spared the deletes)."""
    if ctx.options.embedded or not ctx.offers("delete"):
        return
    ctx.client.extend_budget(CLEANUP_SECONDS)
    for video_id in ctx.created:
        if video_id in ctx.deleted:
            continue
        try:
            ctx.transmit(cases.call("clean-up: delete", *DELETE, video_id))
        except RunAborted:
            return
        ctx.deleted.add(video_id)
