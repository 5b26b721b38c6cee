"""Edits and extensions: new jobs made from a completed video (by id) or from an uploaded file.

Both operations are optional for a target (most self-hosted servers have neither): one not
offered (``--operations``, a profile's ``operations``) has its clauses skipped by the runner. When
it is offered, or nothing was said, the first request to its route tells whether the route exists:
a 404 or 405 to a request the operation would refuse with 400 is the operation missing, reported
once (``edit.offered`` / ``extend.offered``) with every other clause of it blocked by that.
"""

from __future__ import annotations

import itertools

import uuid
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from contracts import cases, checks, lifecycle, plan
from contracts.cases import Case, FileField
from contracts.clauses import OFFERED_BY, OPERATION_CLAUSES
from contracts.client import Response
from contracts.context import RunContext, answered
from contracts.failures import Blocked, ContractViolation, NotVerifiable
from contracts.rules import CONTENT, RETRIEVE
from contracts.scenarios.create_valid import discard
from contracts.scenarios.state import RunState
from contracts.types import Verdict

ROUTE_MISSING = (404, 405)  # what a server without the route answers (405: /videos/{id} took the path)


@dataclass(frozen=True)
class Derived:
    """One of the two operations that make a job from a source video."""

    operation: str  # the --operations name
    path: str
    offered: str  # the root-cause clause: the route exists
    accepted: str  # valid requests accepted
    by_file: str  # the source as an uploaded file accepted
    missing: str  # missing fields rejected
    result: str  # the answer is a new job that moves
    needs: tuple[str, ...]  # required fields besides the source

    def fields(self, ctx: RunContext) -> dict[str, str]:
        """The required fields besides the source, as a valid request sends them (the target's
        default seconds: a profile may serve only some durations)."""
        # Each request its own prompt: a server that derives ids from the prompt (content-addressed
        # ids) is then judged by video.ids-unique alone, not by every later edit whose id collides.
        values = {"prompt": f"{PROMPTS[self.operation]} (take {next(_TAKES)})", "seconds": ctx.rules.defaults["seconds"]}
        return {name: values[name] for name in self.needs}

    def body(self, ctx: RunContext, source: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
        return {**self.fields(ctx), **fields, **({"video": source} if source is not None else {})}


RETRIEVE_AFTER_CREATE = "lifecycle.retrieve-after-create"
REACHES_TERMINAL = "lifecycle.reaches-terminal"
_TAKES = itertools.count(1)
PROMPTS = {"edits": "the same scene, in snow", "extensions": "the camera keeps moving forward"}
EDITS = Derived("edits", "/videos/edits", "edit.offered", "edit.by-id-accepted", "edit.by-file-accepted",
                "edit.missing-fields-rejected", "edit.result-is-a-job", ("prompt",))
EXTENSIONS = Derived("extensions", "/videos/extensions", "extend.offered", "extend.accepted", "extend.accepted",
                     "extend.missing-fields-rejected", "extend.accepted", ("prompt", "seconds"))
DERIVED = (EDITS, EXTENSIONS)
UNKNOWN_SOURCE = "edit.unknown-source-not-found"
UNFINISHED_SOURCE = "edit.unfinished-source-rejected"
STITCHED = "extend.seconds-stitched"
COMPLETES = "edit.result-completes"
STITCH_TOLERANCE = 1.0  # seconds


@cache
def sample_mp4() -> bytes:
    """A real one-second H.264 MP4 (the reference server's content asset), to upload as a source."""
    return (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()


def video_file(name: str = "video") -> FileField:
    return (name, "source.mp4", "video/mp4", sample_mp4())


def route_probe(ctx: RunContext, case: Case, offered_clause: str, operation: str,
                siblings: tuple[tuple[str, str], ...] = ()) -> Response | None:
    """Send the first request to an operation's route. When the route is missing (404/405 to a
    request it would refuse with 400), fail ``offered_clause`` once, block the operation's other
    clauses by it, and return None; the answer's response checks then do not run (a missing route
    is one finding, not one per check). Otherwise check the answer like any other."""
    headers, body = case.encode()
    response = ctx.client.request(case.method, case.path, query=case.query, headers=headers, content=body,
                                  auth=case.auth)
    ctx.coverage.operations[f"{case.method} {case.operation[1] if case.operation else case.path}"] += 1
    if response.ok and response.status in ROUTE_MISSING and case.operation is not None:
        for route in (case.operation, *siblings):  # auth probes of the operation are blocked by it too
            ctx.missing_routes.setdefault(route, offered_clause)
    with ctx.recorder.clause(offered_clause, case, response):
        if response.ok and response.status in ROUTE_MISSING:
            reason = (f"{case.method} {case.operation[1] if case.operation else case.path} answered "
                      f"{response.status} to a request it should refuse with 400: the operation is missing")
            for cid in OPERATION_CLAUSES[operation]:
                if cid != offered_clause:
                    ctx.recorder.blocked(cid, offered_clause, reason)
            raise ContractViolation(offered_clause, f"{reason} (if the server does not offer it, leave it out of "
                                    f"{OFFERED_BY})", field="status",
                                    received=response.status, expected="400 (the route exists and validates)")
    if not (response.ok and response.status in ROUTE_MISSING):
        found = checks.run_checks(checks.CheckContext(spec=ctx.spec, rules=ctx.rules, case=case), response)
        ctx.recorder.checked(found, case, response)  # the checks of any other answer (the case's own clause among them)
        return response
    return None


def missing(ctx: RunContext, op: Derived) -> bool:
    """Whether the operation's route was found missing (or is not offered) earlier in the run."""
    return not ctx.offers(op.operation) or ctx.recorder.verdict_of(op.offered).value == "failed"


def _json(op: Derived, name: str, body: dict[str, Any], clause: str | None = None, expect: str | None = None) -> Case:
    return cases.call(f"{op.operation}: {name}", "POST", op.path, json_body=body, clause=clause, expect=expect)


def _form(op: Derived, name: str, fields: dict[str, str], files: list[FileField] | None = None,
          clause: str | None = None, expect: str | None = None) -> Case:
    return cases.call(f"{op.operation} multipart: {name}", "POST", op.path, form=list(fields.items()),
                      files=list(files or []), clause=clause, expect=expect)


# ============================================================================================
# Early step: do the routes exist; is an unfinished source refused?
# ============================================================================================
def routes(ctx: RunContext, state: RunState) -> list[Derived]:
    """The offered operations whose route exists: each probed once, with a request that lacks its
    source (400 expected)."""
    if state.derived_present is None:
        state.derived_present = [op for op in DERIVED if ctx.offers(op.operation) and route_probe(
            ctx, _json(op, "no video", op.body(ctx, None), op.missing, "rejected"), op.offered, op.operation) is not None]
    return state.derived_present


def early(ctx: RunContext, state: RunState) -> None:
    """Right after the run's first accepted create (the baseline step calls it): the edit of an
    uploaded file, followed to its end (``early_edit``). Sent before any other job, it is queued
    right behind the followed create on a one-GPU server, so it ends one job-length after it."""
    if EDITS.operation in state.derived_sent or not _budget_allows(ctx):
        return
    if EDITS in routes(ctx, state):
        early_edit(ctx, state)


def _budget_allows(ctx: RunContext) -> bool:
    """Whether --max-creates leaves room for the plan's every job (its default does): under a lower
    cap the edit is not sent ahead of the baseline and the plan, it is sent in its place, not followed."""
    left = ctx.creates_left
    return left is None or left >= plan.default_max_creates(ctx.rules) - len(ctx.created)


def routes_and_unfinished(ctx: RunContext, state: RunState) -> None:
    """Probe the routes (if the baseline step did not), then ask for an edit and an extension of a
    job created a moment ago, before it can have completed."""
    present = routes(ctx, state)
    if not present:
        return
    _unfinished(ctx, state, present)
    early(ctx, state)  # no create was accepted in the baseline: the edit of a file needs none


def _unfinished(ctx: RunContext, state: RunState, present: list[Derived]) -> None:
    """Ask for an edit and an extension of a job that has not completed (400 expected)."""
    kept = _unfinished_kept(ctx, state)
    if kept is not None:
        _unfinished_probes(ctx, present, kept)  # a kept job the run needs anyway: no job spent
        return
    create = ctx.baseline.case("a source that has not completed yet", UNFINISHED_SOURCE, "accepted") \
        if ctx.baseline.any else None
    if create is None:
        ctx.recorder.unmet(UNFINISHED_SOURCE, "no create was accepted, so there is no unfinished source")
        return
    create.clause = create.expect = None  # it serves this clause; its acceptance is judged elsewhere
    created = ctx.attempt(UNFINISHED_SOURCE, create, now=True)  # now: the polls that are due can wait one request
    if created is None:
        return
    job = created.json() if created.ok and 200 <= created.status < 300 else None
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        ctx.recorder.not_verified(UNFINISHED_SOURCE, "the create for an unfinished source was not accepted")
        return
    if job.get("status") in ctx.rules.statuses.terminal:
        ctx.recorder.not_verified(UNFINISHED_SOURCE, "the new job was already finished when it was answered")
        return
    try:
        _unfinished_probes(ctx, present, job)
    finally:
        discard(ctx, job["id"])  # it served its purpose: spare the GPU


def _unfinished_kept(ctx: RunContext, state: RunState) -> dict[str, Any] | None:
    """The youngest job the run keeps anyway (a spare, not the followed one), if it has not
    finished yet: on a GPU server it waits queued behind the followed job, so it can be the
    unfinished source without a job of its own. Asked for now (one retrieve, no job)."""
    followed = {track.video_id for track in ctx.tracks}
    spares = [v for v in reversed(state.jobs) if v["id"] not in followed and v["id"] not in ctx.deleted]
    if not spares or spares[0].get("status") in ctx.rules.statuses.terminal:
        return None
    video_id = spares[0]["id"]
    response = ctx.transmit(cases.call("retrieve a kept job (an unfinished source?)", *RETRIEVE,
                                       video_id))
    try:
        status = response.json().get("status") if response.ok and response.status == 200 else None
    except (ValueError, AttributeError):
        status = None
    return spares[0] if isinstance(status, str) and status not in ctx.rules.statuses.terminal else None


def _unfinished_probes(ctx: RunContext, present: list[Derived], job: dict[str, Any]) -> None:
    for op in present:
        case = _json(op, "a source that has not completed", op.body(ctx, {"id": job["id"]}))
        response = ctx.attempt(UNFINISHED_SOURCE, case, now=True, wait_for_idle=False)  # now, while the source runs
        if response is None:
            continue
        made = _made_job(response)
        if made is not None and made != job["id"]:
            discard(ctx, made)  # a job that should not exist: deleted at once
        with ctx.recorder.clause(UNFINISHED_SOURCE, case, response):
            answered(response, f"'{case.name}'")
            if response.ok and response.status == 200:
                again = ctx.send(cases.call("retrieve the unfinished source", *RETRIEVE, job["id"]))
                if again.ok and again.status == 200 and again.json().get("status") == ctx.rules.statuses.completed:
                    raise NotVerifiable("the source completed before the request reached the server")
            retried = " (the openai SDK retries 409: a client waits, then gets the same refusal)" \
                if response.status == 409 else ""
            # Any refusal counts (a 422 is response.status-documented's finding, judged once), except
            # 409, which the openai SDK retries, and the statuses that are no refusal at all.
            refused = 400 <= response.status < 500 and response.status not in (409, *checks.NOT_A_REJECTION)
            if not response.ok or not refused:
                raise ContractViolation(UNFINISHED_SOURCE, f"{op.operation} of an unfinished video was answered "
                                        f"{response.status}{retried}", field="status",
                                        received=response.status or response.transport_error, expected=400)


# ============================================================================================
# Main step: valid and invalid requests, the results as jobs
# ============================================================================================
def run(ctx: RunContext, state: RunState) -> None:
    results: list[tuple[Derived, Case, dict[str, Any]]] = []
    for op in DERIVED:
        if missing(ctx, op):
            continue
        source = state.completed_id
        # Invalid: every required field left out in turn, seconds out of the enum (400). With an
        # unknown source a server may answer 404 first, so the JSON ones need a completed source.
        invalid = [_form(op, "no video", op.body(ctx, None), clause=op.missing, expect="rejected")]
        if source is not None:
            known = {"id": source}
            invalid += [_json(op, f"no {name}", {k: v for k, v in op.body(ctx, known).items() if k != name},
                              op.missing, "rejected") for name in op.needs]
            if "seconds" in op.needs:
                bad = next(v for v in ("10", "5", "7", "99") if v not in ctx.rules.seconds)
                as_integer = int(ctx.rules.defaults["seconds"])
                invalid += [_json(op, f"seconds={bad!r}", op.body(ctx, known, seconds=bad), op.missing, "rejected"),
                            _json(op, "seconds as a JSON integer", op.body(ctx, known, seconds=as_integer),
                                  op.missing, "rejected")]
        for case in invalid:
            _send(ctx, case)
        _send(ctx, _json(op, "an unknown source id", op.body(ctx, {"id": "video_" + uuid.uuid4().hex}),
                         UNKNOWN_SOURCE, "not-found"))
        # Valid, packed like the creates (contracts/plan.py): JSON by id and multipart with an
        # uploaded file carry the four properties (each encoding, each kind of source) in two jobs.
        # Multipart by video[id] is sent only when the upload is refused, to split that refusal:
        # the upload's (by-file) or multipart's (by-id refused too). A refusal costs no job.
        if source is None:
            ctx.recorder.unmet(op.accepted, "no video completed, so there is no source to name by id")
        else:
            case = _json(op, "a completed video by id", op.body(ctx, {"id": source}), op.accepted, "accepted")
            _valid(ctx, state, op, case, source, results)
        if op.operation in state.derived_sent:
            by_file = state.derived_sent[op.operation]  # sent early (``early_edit``): its job is followed
        else:
            by_file = _valid(ctx, state, op, _by_file(ctx, op), None, results)
        if by_file is False and source is not None:
            case = _form(op, "a completed video by video[id]", {**op.fields(ctx), "video[id]": source},
                         clause=op.accepted, expect="accepted")
            _valid(ctx, state, op, case, source, results)
    follow(ctx, results)
    complete(ctx, state)


def _by_file(ctx: RunContext, op: Derived) -> Case:
    return _form(op, "an uploaded MP4 as the source", op.fields(ctx), [video_file()], op.by_file, "accepted")


def _valid(ctx: RunContext, state: RunState, op: Derived, case: Case, source: str | None,
           results: list[tuple[Derived, Case, dict[str, Any]]]) -> bool | None:
    """Send a valid request: True accepted (its job joins ``results``), False refused, None not sent."""
    response = _send(ctx, case)
    if response is None or not response.ok:
        return None
    video = accept(ctx, op, case.clause, case, source, response)
    if video is None:
        return False
    results.append((op, case, video))
    if op is EXTENSIONS and source is not None:
        stitched(ctx, case, state.final.get(source, {}).get("seconds"), video)
    return True


def _send(ctx: RunContext, case: Case) -> Response | None:
    """Send a case the engine judges for its own clause (case.expect); None when it was not sent."""
    response = ctx.attempt(case.clause, case)
    if response is None:
        return None
    made = _made_job(response) if case.expect != "accepted" else None
    if made is not None:
        discard(ctx, made)  # an invalid request wrongly accepted made a job: delete it at once
    return response


def _made_job(response: Response) -> str | None:
    """The id a 2xx answer names (a job the request made), else None."""
    if not (response.ok and 200 <= response.status < 300):
        return None
    made = (response.json_object() or {}).get("id")
    return made if isinstance(made, str) and made else None


def accept(ctx: RunContext, op: Derived, clause_id: str, case: Case, source: str | None,
           response: Response) -> dict[str, Any] | None:
    """The answer to a request that must be accepted (the engine judged that): a new job, with a
    new id, queued or in_progress; the job is then followed like any other."""
    if not response.ok or not 200 <= response.status < 300:
        return None
    video = response.json_object()
    if video is None:
        return None
    with ctx.recorder.clause(op.result, case, response):
        if source is not None and video.get("id") == source:
            raise ContractViolation(op.result, f"the {op.operation} answered its source video, not a new job",
                                    field="$.id", received=video.get("id"), expected="a new id")
        # its status: create.initial-status judges it, for every operation that starts a job
    return video


def stitched(ctx: RunContext, case: Case, source_seconds: Any, video: dict[str, Any]) -> None:
    """The extension's seconds is the source's plus the extension's own."""
    with ctx.recorder.clause(STITCHED, case):
        try:
            expected = float(source_seconds) + float(case.json_body["seconds"] if case.encoding == "json"
                                                     else dict(case.form or [])["seconds"])
        except (TypeError, ValueError, KeyError):
            raise NotVerifiable(f"the source's seconds ({source_seconds!r}) is not a number") from None
        got = video.get("seconds")
        try:
            # Within a second: servers that report a clip's measured length ("4.04") stitch measured lengths.
            ok = abs(float(got) - expected) < STITCH_TOLERANCE
        except (TypeError, ValueError):
            ok = False
        if not ok:
            total = f"{expected:g}"
            raise ContractViolation(STITCHED, f"an extension of a {source_seconds}-second video reports seconds "
                                    f"{got!r}, not the stitched total", field="$.seconds", received=got,
                                    expected=total)


def follow(ctx: RunContext, results: list[tuple[Derived, Case, dict[str, Any]]]) -> None:
    """Each new job is retrievable like any other (200, its id), then deleted at once: a GPU server
    is spared generating them (the edit followed to its end is ``early_edit``'s)."""
    for op, case, video in results:
        video_id = video.get("id")
        if not isinstance(video_id, str) or not video_id:
            continue
        retrievable(ctx, op, video_id)
        discard(ctx, video_id)


def retrievable(ctx: RunContext, op: Derived, video_id: str) -> dict[str, Any] | None:
    """Retrieve a new job at once, judged under ``op.result``: its Video, or None when it was not."""
    retrieve = cases.call(f"retrieve the {op.operation} result", *RETRIEVE, video_id)
    response = ctx.send(retrieve)
    body = None
    with ctx.recorder.clause(op.result, retrieve, response):
        answered(response, f"'{retrieve.name}'")
        if response.status == 404 and ctx.recorder.verdict_of(RETRIEVE_AFTER_CREATE) is Verdict.FAILED:
            # The server's new jobs are not retrievable at once (said once, by that clause).
            raise Blocked(RETRIEVE_AFTER_CREATE, "a new job is not retrievable at once on this server")
        found = ctx.video(op.result, response, f"retrieving the {op.operation} result just created")
        if found.get("id") != video_id:
            raise ContractViolation(op.result, f"retrieving the {op.operation} result answered another video",
                                    field="$.id", received=found.get("id"), expected=video_id)
        body = found
    return body


# ============================================================================================
# One edit followed to its end, like the followed create
# ============================================================================================
def early_edit(ctx: RunContext, state: RunState) -> None:
    """Send the edit of an uploaded file now (it needs no completed source) and follow its job from
    here on, polled between the run's requests alongside the followed create: on a server that runs
    jobs side by side it ends while the run goes on; on a one-GPU server it waits queued behind the
    jobs sent before it. It is the by-file edit the main step would send anyway: no job of its own."""
    results: list[tuple[Derived, Case, dict[str, Any]]] = []
    state.derived_sent[EDITS.operation] = _valid(ctx, state, EDITS, _by_file(ctx, EDITS), None, results)
    for op, case, video in results:
        video_id = video.get("id")
        if not isinstance(video_id, str) or not video_id:
            continue
        if retrievable(ctx, op, video_id) is None:
            discard(ctx, video_id)  # not a job that can be followed (edit.result-is-a-job said why)
            continue
        progress, status = video.get("progress"), video.get("status")
        done = status in ctx.rules.statuses.terminal
        ctx.derived_tracks.append(lifecycle.Track(
            video_id, history=[(status, progress if isinstance(progress, int) else None)], last=video, done=done,
            polls=1, retrievable=True, findings=[]))
        if done:
            ctx.finished.add(video_id)


def complete(ctx: RunContext, state: RunState) -> None:
    """Finish following the edit's job and judge it like the followed create (``COMPLETES``): status
    only forward, progress never decreasing, retrievable to the end, completed or failed within the
    job window, its content an MP4 once completed. A finding the followed create already showed
    (the same lifecycle clause failed) is one defect of every job: the clause is blocked by it."""
    if missing(ctx, EDITS):
        return  # skipped (not offered) or blocked by edit.offered
    if not ctx.derived_tracks:
        if EDITS.operation not in state.derived_sent:
            ctx.recorder.not_verified(COMPLETES, f"--max-creates ({ctx.options.max_creates}) is below the plan's "
                                      f"{plan.default_max_creates(ctx.rules)}: no edit was followed to its end")
            return
        ctx.recorder.unmet(COMPLETES, "no edit was accepted and retrievable, so there is no edit job to follow")
        return
    each = ctx.derived_tracks[0]
    stuck = ctx.recorder.has_failed(REACHES_TERMINAL)  # the followed create never ended: no window of its own
    if not stuck:
        lifecycle.poll_until(ctx, lambda: [t for t in ctx.derived_tracks if not t.done])
    unverified = None
    if not each.done and stuck:
        status = each.history[-1][0]
        each.findings.append((REACHES_TERMINAL, ContractViolation(REACHES_TERMINAL, f"still {status}, like the "
                                                                  "followed create"), None, None))
        discard(ctx, each.video_id)
    elif not each.done:
        try:
            lifecycle.unfinished(ctx, each)
        except ContractViolation as violation:
            each.findings.append((REACHES_TERMINAL, violation, None, None))
        except NotVerifiable as reason:
            unverified = f"the edit's job: {reason}"
        discard(ctx, each.video_id)  # still running: spare the GPU
    elif (each.last or {}).get("status") == ctx.rules.statuses.completed and ctx.offers("content"):
        _edit_content(ctx, each)
    for clause_id, violation, case, response in each.findings:
        if ctx.recorder.has_failed(clause_id):
            # the followed create showed it too: one defect of every job, said once by that clause
            ctx.recorder.blocked(COMPLETES, clause_id, f"the edit's job too: {violation.message}")
            continue
        ctx.recorder.failed(ContractViolation(COMPLETES, f"the edit's job: {violation.message}",
                                              field=violation.field, received=violation.received,
                                              expected=violation.expected), case, response)
    if each.findings:
        return
    if unverified:
        ctx.recorder.not_verified(COMPLETES, unverified)
    else:
        ctx.recorder.passed(COMPLETES)


def _edit_content(ctx: RunContext, each: lifecycle.Track) -> None:
    case = cases.call("content of the completed edit", *CONTENT, each.video_id, partial_body=True)
    response = ctx.send(case)
    with lifecycle.judged(ctx, each, "content.download", case, response):
        answered(response, f"'{case.name}'", partial=True)
        expected = ctx.rules.variant_media_types.get("video", "video/mp4")
        if response.status != 200 or response.media_type != expected:
            raise ContractViolation(COMPLETES, f"the content of a completed edit was answered "
                                    f"{response.status} {response.media_type or '(no type)'}", field="status",
                                    received=f"{response.status} {response.media_type}".strip(),
                                    expected=f"200 {expected}")
