"""The job lifecycle: retrieve, poll, content, remix, delete, unknown ids."""

from __future__ import annotations

import uuid

from contracts import cases, lifecycle
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable
from contracts.scenarios.state import RunState

CONTENT = "/videos/{video_id}/content"
MAGIC = {
    "video/mp4": lambda b: b[4:8] == b"ftyp",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
}


def variant_types(ctx: RunContext) -> dict[str, str]:
    response = ctx.spec.operation("GET", CONTENT)["responses"]["200"]
    return dict(response.get("x-variant-content-types", {}))


def retrieve_and_not_ready(ctx: RunContext, state: RunState) -> None:
    """Right after create: the job is retrievable, and its content is not ready yet."""
    if not state.jobs:
        for cid in ("lifecycle.retrieve-after-create", "content.not-ready-rejected"):
            ctx.recorder.not_verified(cid, "no create was accepted, so there is no job to follow")
        return
    job = state.jobs[0]
    case = cases.call("retrieve right after create", "GET", "/videos/{video_id}", job["id"])
    response = ctx.send(case)
    video = None
    with ctx.recorder.clause("lifecycle.retrieve-after-create", case, response):
        video = ctx.video("lifecycle.retrieve-after-create", response, "retrieving a video just created")
        if video.get("id") != job["id"]:
            raise ContractViolation("lifecycle.retrieve-after-create", "retrieve answered another video", field="$.id",
                                    received=video.get("id"), expected=job["id"])
    if not video or video.get("status") not in ("queued", "in_progress"):
        ctx.recorder.not_verified("content.not-ready-rejected", "the job finished before its content could be asked early")
        return
    case = cases.call("content of a job not completed", "GET", CONTENT, job["id"], partial_body=True)
    response = ctx.send(case)
    with ctx.recorder.clause("content.not-ready-rejected", case, response):
        if response.ok and response.status == 200:
            again = ctx.send(cases.call("retrieve after early content", "GET", "/videos/{video_id}", job["id"]))
            status = again.json().get("status") if again.ok and again.status == 200 else None
            if status == "completed":
                raise NotVerifiable("the job completed while its content was being asked for")
        if not response.ok or response.status != 404:
            retried = " (the openai SDK retries 409: an early download waits instead of failing)" \
                if response.status == 409 else ""
            raise ContractViolation("content.not-ready-rejected", f"content of an unfinished job was not refused with "
                                    f"404{retried}", field="status", received=response.status or response.transport_error,
                                    expected="404 with the error envelope")


def follow_jobs(ctx: RunContext, state: RunState) -> None:
    """Finish following the jobs tracked since their creation (polled during the run so far)."""
    if not ctx.tracks:
        for cid in ("lifecycle.status-forward", "lifecycle.progress-monotonic", "lifecycle.reaches-terminal"):
            ctx.recorder.not_verified(cid, "no create was accepted, so there is no job to follow")
        return
    for each in lifecycle.follow(ctx):
        if each.last is not None:
            state.final[each.video_id] = each.last
            if each.last.get("status") == "completed" and state.completed_id is None:
                state.completed_id = each.video_id


def _no_completed_reason(state: RunState) -> str:
    statuses = [v.get("status") for v in state.final.values()]
    if statuses and all(s == "failed" for s in statuses):
        return f"every followed job failed ({len(statuses)}), so there is no content to download"
    return "no followed job completed within the time budget"


def content(ctx: RunContext, state: RunState) -> None:
    if state.completed_id is None:
        ctx.recorder.not_verified("content.download", _no_completed_reason(state))
        return
    for variant, media_type in variant_types(ctx).items():
        case = cases.call(f"content variant={variant}", "GET", CONTENT, state.completed_id,
                          query={"variant": variant}, partial_body=True)
        response = ctx.send(case)
        ctx.coverage.enum("variant", variant, "query")
        with ctx.recorder.clause("content.download", case, response):
            if not response.ok or response.status != 200:
                raise ContractViolation("content.download", f"variant={variant} of a completed video was not served",
                                        field="status", received=response.status or response.transport_error, expected=200)
            if response.media_type != media_type:
                raise ContractViolation("content.download", f"variant={variant} has the wrong Content-Type",
                                        field="Content-Type", received=response.media_type or "(none)", expected=media_type)
            if not MAGIC[media_type](response.body):
                raise ContractViolation("content.download", f"variant={variant} bytes are not {media_type}",
                                        field="body", received=response.body[:16].hex(), expected=f"a {media_type} file")


def remix(ctx: RunContext, state: RunState) -> None:
    if state.completed_id is None:
        ctx.recorder.not_verified("remix.sets-source", _no_completed_reason(state))
        return
    source = state.completed_id
    case = cases.call("remix a completed video", "POST", "/videos/{video_id}/remix", source,
                      json_body={"prompt": "the same scene, at night"})
    try:
        response = ctx.send(case)
    except NotVerifiable as reason:
        ctx.recorder.not_verified("remix.sets-source", str(reason))
        return
    with ctx.recorder.clause("remix.sets-source", case, response):
        video = ctx.video("remix.sets-source", response, "remixing a completed video")
        if video.get("remixed_from_video_id") != source:
            raise ContractViolation("remix.sets-source", "the remix does not name its source",
                                    field="$.remixed_from_video_id", received=video.get("remixed_from_video_id"),
                                    expected=source)
        if video.get("id") == source:
            raise ContractViolation("remix.sets-source", "the remix reuses the source's id", field="$.id",
                                    received=video.get("id"), expected="a new id")


def delete(ctx: RunContext, state: RunState) -> None:
    terminal = [vid for vid, v in state.final.items() if v.get("status") in lifecycle.TERMINAL]
    if not terminal:
        for cid in ("delete.returns-deletion", "delete.then-not-found"):
            ctx.recorder.not_verified(cid, "no job reached a final status to delete")
        return
    target = terminal[-1]
    case = cases.call("delete a finished video", "DELETE", "/videos/{video_id}", target)
    response = ctx.send(case)
    with ctx.recorder.clause("delete.returns-deletion", case, response):
        body = ctx.video("delete.returns-deletion", response, "deleting a video")
        if body.get("id") != target or body.get("deleted") is not True:
            raise ContractViolation("delete.returns-deletion", "the deletion object does not confirm this video",
                                    field="$.id" if body.get("id") != target else "$.deleted",
                                    received={k: body.get(k) for k in ("id", "object", "deleted")},
                                    expected={"id": target, "object": "video.deleted", "deleted": True})
    if response.ok and response.status == 200:
        ctx.deleted.add(target)
    case = cases.call("retrieve a deleted video", "GET", "/videos/{video_id}", target)
    response = ctx.send(case)
    with ctx.recorder.clause("delete.then-not-found", case, response):
        ctx.expect_rejected("delete.then-not-found", response, statuses=(404,), what="retrieving a deleted video")


def unknown_ids(ctx: RunContext, state: RunState) -> None:
    missing = "video_" + uuid.uuid4().hex
    calls = [
        cases.call("retrieve an unknown id", "GET", "/videos/{video_id}", missing),
        cases.call("delete an unknown id", "DELETE", "/videos/{video_id}", missing),
        cases.call("content of an unknown id", "GET", CONTENT, missing),
        cases.call("remix an unknown id", "POST", "/videos/{video_id}/remix", missing, json_body={"prompt": "a"}),
    ]
    for case in calls:
        ctx.send_expecting("errors.unknown-id-not-found", case, statuses=(404,))
