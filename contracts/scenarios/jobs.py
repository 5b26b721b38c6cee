"""The job lifecycle: content not ready, following jobs, content, remix, unknown ids, delete.

One completed video is kept (``RunState.completed_id``): content and remix use it, the delete
step deletes another one, and the auth probes run against it at the end.
"""

from __future__ import annotations

import uuid

from contracts import cases, lifecycle
from contracts.context import RunContext, answered
from contracts.failures import ContractViolation, NotVerifiable
from contracts.rules import CONTENT, DELETE, REMIX, RETRIEVE
from contracts.scenarios.create_valid import accepted_video
from contracts.scenarios.state import RunState


def content_not_ready(ctx: RunContext, state: RunState) -> None:
    """Right after the first creates: the content of a job still running is refused."""
    clause_id = "content.not-ready-rejected"
    # The youngest job, created a moment ago: the likeliest to be still running. A status outside
    # the enum (the schema clause's finding) is no finished job either.
    young = [v for v in reversed(state.jobs) if v.get("status") not in ctx.rules.statuses.terminal]
    if not young:
        if not state.jobs:
            ctx.recorder.unmet(clause_id, "no create was accepted, so there is no job to ask early")
        else:
            ctx.recorder.not_verified(clause_id, "every job was finished at its create answer")
        return
    video_id = young[0]["id"]
    case = cases.call("content of a job not completed", *CONTENT, video_id, partial_body=True)
    response = ctx.transmit(case)  # now: the polls that are due can wait one request
    with ctx.recorder.clause(clause_id, case, response):
        answered(response, f"'{case.name}'", partial=True)
        if response.status == 200:
            again = ctx.send(cases.call("retrieve after early content", *RETRIEVE, video_id))
            status = again.json().get("status") if again.ok and again.status == 200 else None
            if status == ctx.rules.statuses.completed:
                raise NotVerifiable("the job completed while its content was being asked for")
        if response.status != 404:
            retried = " (the openai SDK retries 409: an early download waits instead of failing)" \
                if response.status == 409 else ""
            raise ContractViolation(clause_id, f"content of an unfinished job was not refused with 404{retried}",
                                    field="status", received=response.status, expected="404 with the error envelope")


def follow_jobs(ctx: RunContext, state: RunState) -> None:
    """Finish following the jobs tracked since their creation (polled during the run so far)."""
    if not ctx.tracks:
        for cid in ("lifecycle.retrieve-after-create", "lifecycle.status-forward", "lifecycle.progress-monotonic",
                    "lifecycle.reaches-terminal", "lifecycle.retrieve-stable"):
            ctx.recorder.unmet(cid, "no create was accepted, so there is no job to follow")
        return
    for each in lifecycle.follow(ctx):
        if each.last is not None and each.retrievable:
            state.final[each.video_id] = each.last
            if each.last.get("status") == ctx.rules.statuses.completed and state.completed_id is None:
                state.completed_id = each.video_id


def _no_completed_reason(ctx: RunContext, state: RunState) -> str:
    statuses = [v.get("status") for v in state.final.values()]
    if statuses and all(s == ctx.rules.statuses.failed for s in statuses):
        return f"every followed job failed ({len(statuses)}), so there is no completed video"
    return "no followed job completed within the time budget"


def _completed(ctx: RunContext, state: RunState, clause_id: str) -> str | None:
    """The completed video kept for later steps; None, with ``clause_id`` unmet, when none completed."""
    if state.completed_id is None:
        ctx.recorder.unmet(clause_id, _no_completed_reason(ctx, state))
    return state.completed_id


def content(ctx: RunContext, state: RunState) -> None:
    if _completed(ctx, state, "content.download") is None:
        return
    for variant in ctx.rules.variant_media_types:
        case = cases.call(f"content variant={variant}", *CONTENT, state.completed_id,
                          query={"variant": variant}, partial_body=True, clause="content.download", expect="accepted")
        ctx.send(case)  # its status and its bytes are judged by the checks of content.download
        ctx.coverage.enum("variant", variant, "query")


def remix(ctx: RunContext, state: RunState) -> None:
    source = _completed(ctx, state, "remix.sets-source")
    if source is None:
        return
    case = cases.call("remix a completed video", *REMIX, source,
                      json_body={"prompt": "the same scene, at night"}, clause="remix.sets-source", expect="accepted")
    response = ctx.attempt("remix.sets-source", case)
    if response is None:
        return
    video = accepted_video(response)  # judged by the checks of remix.sets-source
    if video is not None:
        state.jobs.append(video)


def _unknown_id_calls(missing: str) -> list:
    return [
        cases.call("retrieve an unknown id", *RETRIEVE, missing),
        cases.call("delete an unknown id", *DELETE, missing),
        cases.call("content of an unknown id", *CONTENT, missing),
        cases.call("remix an unknown id", *REMIX, missing, json_body={"prompt": "a"}),
    ]


def unknown_id(ctx: RunContext, state: RunState) -> None:
    """Retrieve an unknown id, before the delete: a deleted id is then judged like any missing one."""
    _send_unknown(ctx, _unknown_id_calls("video_" + uuid.uuid4().hex)[:1])


def unknown_ids(ctx: RunContext, state: RunState) -> None:
    """Delete, content and remix of an unknown id, after their own steps: an operation found to have
    no route (404/405 to a request that must succeed) is not probed again, its clause said it."""
    _send_unknown(ctx, _unknown_id_calls("video_" + uuid.uuid4().hex)[1:])


def _send_unknown(ctx: RunContext, calls: list) -> None:
    for case in calls:
        if not ctx.offers_case(case):
            continue  # declared not offered (--operations): nothing to probe
        case.clause, case.expect = "errors.unknown-id-not-found", "not-found"
        missing = ctx.missing_routes.get(case.operation)
        if missing:
            ctx.recorder.blocked(case.clause, missing, f"{case.method} {case.operation[1]} has no route")
            continue
        ctx.send(case)


def delete(ctx: RunContext, state: RunState) -> None:
    """Delete a finished video other than the one kept for the auth probes, then retrieve it."""
    terminal = [vid for vid, v in state.final.items()
                if v.get("status") in ctx.rules.statuses.terminal and vid != state.completed_id and vid not in ctx.deleted]
    others = [v["id"] for v in state.jobs if v["id"] != state.completed_id and v["id"] not in ctx.deleted]
    candidates = terminal or others
    if not candidates:
        for cid in ("delete.returns-deletion", "delete.then-not-found"):
            ctx.recorder.unmet(cid, "no video of this run could be spared for deletion")
        return
    target = candidates[0]  # the oldest spare: the newest (the remix) keeps the list spanning two seconds
    case = cases.call("delete a video", *DELETE, target, clause="delete.returns-deletion",
                      expect="accepted")
    response = ctx.send(case)
    if not response.ok or not 200 <= response.status < 300:
        ctx.recorder.unmet("delete.then-not-found", "the delete was not accepted")
        return  # delete.returns-deletion is judged by the case's own clause
    ctx.deleted.add(target)  # the deletion object is judged by the checks of delete.returns-deletion
    case = cases.call("retrieve a deleted video", *RETRIEVE, target)
    response = ctx.send(case)
    clause_id = "delete.then-not-found"
    if response.ok and response.status not in (404,) and not 200 <= response.status < 300 \
            and ctx.recorder.has_failed("errors.unknown-id-not-found"):
        # The server answers every missing id this way: already reported, once.
        ctx.recorder.blocked(clause_id, "errors.unknown-id-not-found")
        return
    with ctx.recorder.clause(clause_id, case, response):
        answered(response, f"'{case.name}'")
        if 200 <= response.status < 300:
            raise ContractViolation(clause_id, "a deleted video is still retrievable", field="status",
                                    received=response.status, expected=404)
        if response.status != 404:
            raise ContractViolation(clause_id, f"retrieving a deleted video was answered {response.status}",
                                    field="status", received=response.status, expected=404)
