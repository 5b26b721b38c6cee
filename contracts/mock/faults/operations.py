"""``around`` hooks: one operation's handler wrapped (statuses, bodies, headers, hangs)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from contracts.mock.errors import APIError, character_not_found, not_found
from contracts.mock.faults.base import (
    ENDLESS_CAP_BYTES,
    HANG_LIMIT_SECONDS,
    REPLICATION_LAG_SECONDS,
    Around,
    FaultContext,
    Handler,
    crash,
)
from contracts.rules import LIST, STATUS


def on_error(matches: Callable[[APIError], bool], answer: Callable[[Request, APIError], Exception]) -> Around:
    """Around hook: an error answer that ``matches`` becomes ``answer(request, error)``; others stay."""

    async def hook(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
        try:
            return await call_next(request)
        except APIError as exc:
            if matches(exc):
                raise answer(request, exc) from None
            raise

    return hook


def on_error_code(code: str, answer: Callable[[APIError], APIError]) -> Around:
    """Around hook: an error answer with ``code`` becomes ``answer(error)``."""
    return on_error(lambda exc: exc.code == code, lambda request, exc: answer(exc))


def on_not_found(answer: Callable[[str], APIError]) -> Around:
    """Around hook: an unknown id gets ``answer(video_id)`` instead of the 404."""
    return on_error(lambda exc: exc.code == "video_not_found",
                    lambda request, exc: answer(request.path_params.get("video_id", "")))


def transform_json(change: Callable[[Any], Any]) -> Around:
    """Around hook: a 200 JSON answer's body passed through ``change``."""

    async def hook(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        body = change(json.loads(response.body))
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return JSONResponse(body, status_code=response.status_code, headers=headers)

    return hook


def drop_query(*names: str) -> Around:
    """Around hook: the request is handled as if these query parameters were not given."""

    async def hook(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in names]
        scope = dict(request.scope, query_string=urlencode(kept).encode())
        return await call_next(Request(scope, request.receive))

    return hook


def refuse_media_type(media_type: str, status: int = 415) -> Around:
    async def hook(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
        given = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given == media_type:
            raise APIError(status, f"Unsupported Content-Type: '{given}'. This server takes "
                           f"{'multipart/form-data' if media_type == 'application/json' else 'application/json'} only.",
                           param="Content-Type", code="unsupported_media_type")
        return await call_next(request)

    return hook


malformed_json_crash = on_error(
    lambda exc: exc.code == "invalid_json" or (exc.code == "invalid_type" and exc.param is None),
    lambda request, exc: crash("JSONDecodeError" if exc.code == "invalid_json"
                               else "AttributeError: 'list' object has no attribute 'get'"))


async def null_body_crash(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    if request.headers.get("content-type", "").startswith("application/json") and (await request.body()).strip() == b"null":
        raise crash("TypeError: 'NoneType' object is not subscriptable")
    return await call_next(request)


async def created_201(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    if response.status_code == 200:
        response.status_code = 201
    return response


async def retrieve_lag(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    job = ctx.job(request.path_params["video_id"])
    if job is not None and ctx.age(job) < REPLICATION_LAG_SECONDS:
        raise not_found(job.id)
    return await call_next(request)


def failed_job_answer(status: int) -> Around:
    """Around retrieve: a failed job is answered ``status`` instead of 200 + status failed."""

    async def hook(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
        job = ctx.job(request.path_params["video_id"])
        if job is not None and ctx.status(job) == STATUS.failed:
            reason = job.error.get("message") if job.error else "unknown error"
            if status >= 500:
                raise crash(f"video generation failed: {reason}")
            raise APIError(status, f"Video '{job.id}' failed: {reason}", param="video_id", code="video_failed")
        return await call_next(request)

    return hook


async def content_early(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    job = ctx.job(request.path_params["video_id"])
    if job is None or ctx.status(job) == STATUS.completed:
        return await call_next(request)
    return ctx.content(job, request)


async def content_octet_stream(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    if response.status_code == 200:
        response.headers["content-type"] = "application/octet-stream"
    return response


not_ready_409 = on_error(
    lambda exc: exc.code == "video_not_ready",
    lambda request, exc: APIError(409, f"Video '{request.path_params.get('video_id')}' is not completed yet.",
                                  param="video_id", code="video_not_ready"))


async def no_poll_header(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    del response.headers["openai-poll-after-ms"]
    return response


def list_change(change: Callable[[dict], None]) -> Around:
    def apply(body: Any) -> Any:
        change(body)
        return body

    return transform_json(apply)


def extra_list_fields(body: dict) -> None:
    body["total"] = len(body.get("data", []))


def extra_deleted_fields(body: Any) -> Any:
    return {**body, "deleted_at": int(datetime.now(UTC).timestamp())}


async def delete_returns_video(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    job = ctx.job(request.path_params["video_id"])
    response = await call_next(request)
    if response.status_code != 200 or job is None:
        return response
    return JSONResponse({**ctx.render(job, "delete"), "status": "deleted"})


async def delete_204(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    return Response(status_code=204) if response.status_code == 200 else response


async def delete_soft(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    video_id = request.path_params["video_id"]
    if ctx.job(video_id) is None:
        return await call_next(request)
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})  # ...but kept


async def _until_disconnected(request: Request) -> None:
    async def wait() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(wait(), HANG_LIMIT_SECONDS)
    except TimeoutError:
        pass


async def hang(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Never answer (until the client gives up)."""
    await _until_disconnected(request)
    return Response(status_code=504)  # nobody is listening any more


async def endless_list(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Start the list body, then keep streaming Video objects and never close the array."""
    first = await call_next(request)
    if first.status_code != 200:
        return first
    page = json.loads(first.body)
    item = json.dumps(page["data"][0] if page["data"] else {"object": "video"}).encode() + b", "
    chunk = item * max(1, 32768 // len(item))  # about 32 KiB per write

    async def stream():
        yield b'{"object": "list", "data": ['
        sent = 0
        while sent < ENDLESS_CAP_BYTES:  # Starlette stops the stream when the client disconnects
            yield chunk
            sent += len(chunk)
            await asyncio.sleep(0)

    return StreamingResponse(stream(), media_type="application/json")


# ---- a one-GPU server and a stable list ------------------------------------------------------
BUSY_RETRY_AFTER = "1"


async def busy_503(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around create: while any job is queued or running, a create is refused with 503 (one GPU,
    no queue) and Retry-After, instead of being queued."""
    if any(ctx.status(job) in STATUS.unfinished for job in ctx.jobs()):
        raise APIError(503, "The server is busy generating another video; try again later.", type="server_error",
                       code="server_busy", headers={"Retry-After": BUSY_RETRY_AFTER})
    return await call_next(request)


async def list_stable_by_seconds(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around list: sorted by created_at in whole seconds with a stable sort, so videos created in
    the same second keep creation order in both directions (the contract leaves ties open)."""
    answer = await call_next(request)  # the real handler validates the query and the cursor
    if answer.status_code != 200:
        return answer
    defaults = {name: ctx.rules.spec.query_parameter(*LIST, name)["schema"].get("default")
                for name in ("limit", "order")}
    order = request.query_params.get("order", defaults["order"])
    limit = int(request.query_params.get("limit", defaults["limit"]))
    ordered = sorted(ctx.jobs(), key=lambda job: int(job.created_wall), reverse=order == "desc")  # stable
    after = request.query_params.get("after")
    ids = [job.id for job in ordered]
    start = (ids.index(after) + 1 if after in ids else len(ids)) if after else 0
    page = ordered[start:start + limit]
    data = [ctx.render(job, "list") for job in page]
    return JSONResponse({"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                         "last_id": data[-1]["id"] if data else None, "has_more": start + len(page) < len(ordered)})

# ---- edits, extensions and characters -------------------------------------------------------
async def source_file_refused(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """An edit or extension takes its source by id only: an uploaded video file is refused."""
    body = await request.body()  # Starlette keeps it: the handler reads the same bytes again
    if b'name="video"; filename=' in body:
        raise APIError(400, "Invalid 'video': uploads are not supported; give the id of a completed video.",
                       param="video", code="invalid_value")
    return await call_next(request)


async def source_returned(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """An edit by id answers the source video itself (completed), not a new job."""
    response = await call_next(request)
    made = json.loads(response.body) if response.status_code == 200 else {}
    source = ctx.job(made.get("edited_from_video_id") or "")
    return JSONResponse(ctx.render(source, "retrieve")) if source is not None else response


async def derived_not_retrievable(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """The jobs of edits and extensions live in a table of their own: retrieving one is 404."""
    job = ctx.job(request.path_params["video_id"])
    if job is not None and job.source is not None:
        raise not_found(job.id)
    return await call_next(request)


async def character_not_stored(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Characters are answered but never kept: retrieving one is 404."""
    raise character_not_found(request.path_params["character_id"])


async def json_array_as_prompt(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around create: a JSON array body is read as [prompt, ...] (its first string is the prompt)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            value = json.loads(await request.body())
        except ValueError:
            value = None
        if isinstance(value, list) and value and isinstance(value[0], str):
            request._body = json.dumps({"prompt": value[0]}).encode()  # what the handler then reads
    return await call_next(request)


def on_error_code_answer(code: str, answer: Callable[[FaultContext, Request], Awaitable[Response]]) -> Around:
    """Around hook: an error answer with ``code`` becomes the answer ``answer`` makes instead (a success)."""

    async def hook(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
        try:
            return await call_next(request)
        except APIError as exc:
            if exc.code != code:
                raise
            return await answer(ctx, request)

    return hook


async def placeholder_character(ctx: FaultContext, request: Request) -> Response:
    """A character made up for an id nobody created (a cache that creates an entry on read)."""
    return JSONResponse({"id": request.path_params.get("character_id", ""), "name": "Unknown",
                         "created_at": int(time.time())})


# ---- a one-GPU server that keeps generating what was deleted ----------------------------------
def _generating_deleted(ctx: FaultContext) -> list[float]:
    """When the deleted jobs this GPU still generates end (server clock), the ended ones dropped."""
    ends = ctx.__dict__.setdefault("_deleted_still_generating", [])
    now = ctx.now()
    ends[:] = [end for end in ends if end > now]
    return ends


async def busy_503_deleted_too(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around create, before any check of the request: while any job runs, a deleted one included
    (a delete does not stop the GPU), a create is refused with 503 and Retry-After."""
    if any(ctx.status(job) in STATUS.unfinished for job in ctx.jobs()) or _generating_deleted(ctx):
        raise APIError(503, "The server is busy generating another video; try again later.", type="server_error",
                       code="server_busy", headers={"Retry-After": BUSY_RETRY_AFTER})
    return await call_next(request)


async def deleted_still_generating(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around delete: a job deleted before its end is still generated to its end (the GPU's time)."""
    job = ctx.job(request.path_params.get("video_id", ""))
    if job is not None and ctx.status(job) in STATUS.unfinished:
        _generating_deleted(ctx).append(job.created_mono + job.job_seconds)
    return await call_next(request)


# ---- paths that answer 503 or 500 whatever the load ------------------------------------------------
async def _has_file(request: Request) -> bool:
    """Whether a multipart request carries a file part (the body is read once and kept)."""
    return request.headers.get("content-type", "").startswith("multipart/") and b'filename="' in await request.body()


async def uploads_503(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around the operations that take uploads: a request with a file is refused with 503, idle or not
    (the upload service behind the server is down)."""
    if await _has_file(request):
        raise APIError(503, "The upload service is unavailable; try again later.", type="server_error",
                       code="upload_unavailable")
    return await call_next(request)


async def content_503(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around content: every download is refused with 503 (the storage behind the server is down)."""
    raise APIError(503, "The video storage is unavailable; try again later.", type="server_error",
                   code="storage_unavailable")


UPSTREAM_DOWN = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"


def _unreachable_upstream() -> Response:
    """What a gateway (Envoy-style) answers when its default upstream cannot be reached."""
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(UPSTREAM_DOWN, status_code=500)


async def unroutable_uploads(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around create, edits, extensions: a request with a file has no route of its own at the gateway."""
    if await _has_file(request):
        return _unreachable_upstream()
    return await call_next(request)


async def unroutable(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around an operation the gateway does not route at all (characters)."""
    return _unreachable_upstream()


async def unroutable_unknown_ids(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around the operations on an id: an id the backend does not know was routed to the default upstream."""
    try:
        return await call_next(request)
    except APIError as exc:
        if exc.code in ("video_not_found", "character_not_found"):
            return _unreachable_upstream()
        raise


# ---- an Images-API answer to a create ------------------------------------------------------------
async def images_api_shape(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around create: the job is answered in the Images API's shape, {"created", "data": [{"url"}]},
    as if generated at once (NVIDIA Dynamo's /v1/videos), not as a Video."""
    answer = await call_next(request)
    if answer.status_code != 200:
        return answer
    video = json.loads(answer.body)
    return JSONResponse({"created": video["created_at"],
                         "data": [{"url": f"/v1/videos/{video['id']}/content", "revised_prompt": video.get("prompt")}]})


async def limit_at_least_one(ctx: FaultContext, request: Request, call_next: Handler) -> Response:
    """Around list: limit=0 is refused with 400 (a bound of 1 where the spec's is 0)."""
    if request.query_params.get("limit", "").strip() == "0":
        raise APIError(400, "Invalid 'limit': expected an integer greater than or equal to 1, but got 0 instead.",
                       param="limit", code="integer_below_min_value")
    return await call_next(request)
