"""The behaviours of single fault modes: prompt and body checks, reference images, timelines,
Video shapes, operations, error shapes."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import random
import secrets
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.mock.bodies import Body, UploadedFile
from contracts.mock.errors import APIError
from contracts.mock.store import State

if TYPE_CHECKING:
    from contracts.mock.app import VideosAPI
    from contracts.mock.store import Job
    from contracts.mock.validation import CreateParams

from contracts.mock.faults.base import REPLICATION_LAG_SECONDS, Around, ErrorAnswer, Handler, View
from contracts.mock.faults.builders import crash, invalid, map_field, transform_json


# ---- prompt checks -------------------------------------------------------------------------
def _prompt_limit(api: VideosAPI) -> int:
    return int(api.rules.spec.schema("Prompt")["maxLength"])


def length_in(unit: str, counter: Callable[[str], int]) -> Callable[[CreateParams, VideosAPI], CreateParams]:
    def hook(params: CreateParams, api: VideosAPI) -> CreateParams:
        limit = _prompt_limit(api)
        if params.prompt is not None and counter(params.prompt) > limit:
            raise invalid(f"Invalid 'prompt': string too long. Expected a string with maximum length {limit}, but got "
                          f"a string with length {counter(params.prompt)} ({unit}) instead.", "prompt",
                          "string_above_max_length")
        return params

    return hook


def crash_on_prompt(test: Callable[[str], bool], detail: str) -> Callable[[CreateParams, VideosAPI], CreateParams]:
    def hook(params: CreateParams, api: VideosAPI) -> CreateParams:
        if params.prompt is not None and test(params.prompt):
            raise crash(detail)
        return params

    return hook


def _short_prompt(params: CreateParams, api: VideosAPI) -> CreateParams:
    if params.prompt is not None and len(params.prompt.strip()) < 3:
        raise invalid("Invalid 'prompt': the prompt is too short to generate a video (at least 3 characters).",
                      "prompt", "prompt_too_short")
    return params


def _unknown_model_crash(params: CreateParams, api: VideosAPI) -> CreateParams:
    known = api.rules.choices.get("model") or api.rules.documented_models
    if params.model not in known:
        raise crash(f"KeyError: {params.model!r}")
    return params


def _unknown_parameter_crash(body: Body, api: VideosAPI) -> None:
    name = api.rules.request_schema(("post", "/videos"), body.media_type)
    known = api.rules.spec.properties(name) if name else {}
    extra = [k for k in body.fields if k not in known]
    if extra:
        raise crash(f"TypeError: generate() got an unexpected keyword argument {extra[0]!r}")


def _forwarded(params: CreateParams, api: VideosAPI) -> CreateParams:
    """prompt-only-validation: whatever came is passed on; null becomes the default, the rest a string."""
    values = {}
    for name in ("model", "seconds", "size"):
        value = getattr(params, name)
        values[name] = api.rules.defaults[name] if value is None else value if isinstance(value, str) else json.dumps(value)
    return dataclasses.replace(params, **values)


# ---- body checks ---------------------------------------------------------------------------
def _file_required(body: Body, api: VideosAPI) -> None:
    if body.media_type == "multipart/form-data" and not any(isinstance(v, UploadedFile) for v in body.fields.values()):
        raise invalid("Missing required parameter: 'input_reference' (a file).", "input_reference",
                      "missing_required_parameter")


def _data_url_refused(body: Body, api: VideosAPI) -> None:
    for name, value in body.fields.items():
        url = value.get("image_url") if isinstance(value, dict) and name == "input_reference" else (
            value if name == "input_reference[image_url]" else None)
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            raise invalid("Invalid 'input_reference.image_url': the image could not be downloaded (only http and "
                          "https URLs are supported).", "input_reference", "invalid_image_url")


def _seconds_coerced(body: Body, api: VideosAPI) -> None:
    if "seconds" in body.fields:
        value = body.fields["seconds"]
        if value is None:
            del body.fields["seconds"]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            body.fields["seconds"] = str(int(value))


def _form_values_json_decoded(body: Body, api: VideosAPI) -> None:
    if body.media_type != "multipart/form-data":
        return
    for name, value in list(body.fields.items()):
        if isinstance(value, str):
            try:
                body.fields[name] = json.loads(value)
            except ValueError:
                pass


async def _malformed_json_crash(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    try:
        return await call_next(request)
    except APIError as exc:
        if exc.code == "invalid_json" or (exc.code == "invalid_type" and exc.param is None):
            raise crash("JSONDecodeError" if exc.code == "invalid_json" else "AttributeError: 'list' object has no "
                        "attribute 'get'") from None
        raise


# ---- reference images ----------------------------------------------------------------------
def _image_transposed(params: CreateParams, api: VideosAPI) -> None:
    width, _, height = params.size.partition("x")
    api.validator.check_reference_image(dataclasses.replace(params, size=f"{height}x{width}"))


def _image_any_size(params: CreateParams, api: VideosAPI) -> None:
    from contracts.mock.media import NotAnImage, decode_image

    try:
        decode_image(params.upload.data)
    except NotAnImage:
        raise invalid("Invalid 'input_reference': the uploaded file is not an image.", "input_reference",
                      "invalid_image") from None


def _image_unchecked(params: CreateParams, api: VideosAPI) -> None:
    return None


# ---- ids and timelines ---------------------------------------------------------------------
def _id_from_prompt(prompt: str | None) -> str:
    return "video_" + hashlib.sha256((prompt or "").encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _random_duration(job: Job) -> None:
    job.job_seconds *= random.uniform(0.3, 3.0)


def _never_finishes(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return ("in_progress", 99) if state[0] == "completed" else state


def _instant(job: Job) -> None:
    job.job_seconds = 0.0


def _completed_at_create(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return job.faithful_state(elapsed) if just_created else state


def _in_progress_at_create(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return ("in_progress", 0) if state[0] == "queued" else state


def _requeued(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    share = elapsed / job.job_seconds if job.job_seconds else 1.0
    return ("queued", 0) if state[0] == "in_progress" and 0.5 <= share < 0.7 else state


def _progress_per_stage(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    status, progress = state
    if status != "in_progress":
        return state
    return status, (progress * 2) % 100 or 1  # two denoising stages, each reported 0-100


def _progress_99(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return ("completed", 99) if state[0] == "completed" else state


# ---- Video shapes --------------------------------------------------------------------------
def _seconds_integer(video: dict, view: View) -> dict:
    seconds = video.get("seconds")
    return {**video, "seconds": int(seconds)} if isinstance(seconds, str) and seconds.isdigit() else video


def _without(*names: str) -> Callable[[dict, View], dict]:
    return lambda video, view: {k: v for k, v in video.items() if k not in names}


def _nulls_omitted(video: dict, view: View) -> dict:
    return {k: v for k, v in video.items() if v is not None}


def _status_renamed(old: str, new: str) -> Callable[[dict, View], dict]:
    return map_field("status", lambda s: new if s == old else s)


def _timestamps(convert: Callable[[int], Any]) -> Callable[[dict, View], dict]:
    def hook(video: dict, view: View) -> dict:
        out = dict(video)
        for name in ("created_at", "completed_at", "expires_at"):
            if isinstance(out.get(name), int):
                out[name] = convert(out[name])
        return out

    return hook


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _error_on_success(video: dict, view: View) -> dict:
    return video if video.get("status") == "failed" else {**video, "error": {"code": "", "message": ""}}


def _extra_fields(video: dict, view: View) -> dict:
    return {**video, "file_path": f"/srv/outputs/{video.get('id')}.mp4", "quality": "standard",
            "usage": {"duration_seconds": 4, "output_tokens": 0}, "metadata": {}}


def _model_served(video: dict, view: View) -> dict:
    return {**video, "model": view.api.rules.defaults["model"]}


def _actual_duration(video: dict, view: View) -> dict:
    if video.get("status") == "completed" and isinstance(video.get("seconds"), str) and video["seconds"].isdigit():
        return {**video, "seconds": f"{int(video['seconds']) + 0.04:.2f}"}
    return video


# ---- operations ----------------------------------------------------------------------------
async def _delete_returns_video(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    job = api.store.get(request.path_params["video_id"])
    response = await call_next(request)
    if response.status_code != 200 or job is None:
        return response
    return JSONResponse({**api.render(job, "delete"), "status": "deleted"})


async def _delete_204(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    return Response(status_code=204) if response.status_code == 200 else response


async def _delete_soft(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    video_id = request.path_params["video_id"]
    if api.store.get(video_id) is None:
        return await call_next(request)
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})  # ...but kept


async def _retrieve_lag(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    job = api.store.get(request.path_params["video_id"])
    if job is not None and api.store.now() - job.created_mono < REPLICATION_LAG_SECONDS:
        raise APIError(404, f"No video found with id '{job.id}'.", param="video_id", code="video_not_found")
    return await call_next(request)


def _failed_job_answer(status: int) -> Around:
    """Around retrieve: a failed job is answered ``status`` instead of 200 + status failed."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        job = api.store.get(request.path_params["video_id"])
        if job is not None and job.state(api.store.now())[0] == "failed":
            reason = job.error.get("message") if job.error else "unknown error"
            if status >= 500:
                raise crash(f"video generation failed: {reason}")
            raise APIError(status, f"Video '{job.id}' failed: {reason}", param="video_id", code="video_failed")
        return await call_next(request)

    return hook


async def _content_early(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    job = api.store.get(request.path_params["video_id"])
    if job is None or job.is_completed(api.store.now()):
        return await call_next(request)
    return api.asset_response(job, api.variant(request))


async def _content_octet_stream(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    if response.status_code == 200:
        response.headers["content-type"] = "application/octet-stream"
    return response


async def _not_ready_409(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    try:
        return await call_next(request)
    except APIError as exc:
        if exc.code == "video_not_ready":
            raise APIError(409, f"Video '{request.path_params.get('video_id')}' is not completed yet.",
                           param="video_id", code="video_not_ready") from None
        raise


async def _no_poll_header(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    del response.headers["openai-poll-after-ms"]
    return response


def _list_change(change: Callable[[dict], None]) -> Around:
    def apply(body: Any) -> Any:
        change(body)
        return body

    return transform_json(apply)


def _extra_list_fields(body: dict) -> None:
    body["total"] = len(body.get("data", []))


def _extra_deleted_fields(body: Any) -> Any:
    return {**body, "deleted_at": int(datetime.now(UTC).timestamp())}


async def _variant_ignored(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "variant"]
    scope = dict(request.scope, query_string=urlencode(kept).encode())
    return await call_next(Request(scope, request.receive))


async def _created_201(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    if response.status_code == 200:
        response.status_code = 201
    return response


def _nfc(video: dict, view: View) -> dict:
    prompt = video.get("prompt")
    return {**video, "prompt": unicodedata.normalize("NFC", prompt)} if isinstance(prompt, str) else video


def _seed_videos(api: VideosAPI) -> None:
    """preexisting-videos: 150 finished videos from the last 30 days (other users' work)."""
    store, models = api.store, ["sora-2", "sora-2-pro", "some-other-model"]
    for index in range(150):
        job = store.create(prompt=f"an older video #{index}", model=models[index % 3],
                           size=api.rules.defaults["size"], seconds=api.rules.defaults["seconds"])
        age = (150 - index) * 17280.0  # oldest first, 30 days back to 0.2 days back
        job.created_wall -= age
        job.created_mono -= age
        if index % 7 == 0:
            job.error = {"code": "moderation_blocked", "message": "The prompt was blocked by moderation."}


def _neighbours(app: ASGIApp, api: VideosAPI) -> ASGIApp:
    """concurrent-clients: another client creates a video every 50 ms and deletes some, while the run goes."""
    started = {"task": None}

    async def neighbour() -> None:
        created: list[str] = []
        for index in range(1200):  # at most a minute
            job = api.store.create(prompt=f"someone else's video {index}", model="sora-2",
                                   size=api.rules.defaults["size"], seconds=api.rules.defaults["seconds"])
            created.append(job.id)
            if index % 3 == 2:
                api.store.delete(created.pop(0))
            await asyncio.sleep(0.05)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if started["task"] is None and scope["type"] == "http":
            started["task"] = asyncio.get_running_loop().create_task(neighbour())
        await app(scope, receive, send)

    return wrapped


async def _no_date(app, api, scope, receive, send) -> None:
    async def without_date(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message, headers=[(k, v) for k, v in message["headers"] if k.lower() != b"date"])
        await send(message)

    await app(scope, receive, without_date)


# ---- errors --------------------------------------------------------------------------------
def _fastapi(validation_422: bool) -> Callable[[ErrorAnswer], None]:
    def hook(answer: ErrorAnswer) -> None:
        error = answer.envelope
        message = str(error.get("message", "error"))
        if validation_422 and answer.status == 400 and error.get("type") == "invalid_request_error":
            answer.status = 422
            answer.body = {"detail": [{"type": "value_error", "loc": ["body", error.get("param") or "body"],
                                       "msg": message, "input": None}]}
        else:
            answer.body = {"detail": message}

    return hook


def _message_only(answer: ErrorAnswer) -> None:
    answer.body = {"error": {"message": answer.envelope.get("message", "error")}}


def _html_page(answer: ErrorAnswer) -> None:
    title = f"{answer.status} {_REASONS.get(answer.status, 'Error')}"
    answer.body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
                   f"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n").encode()
    answer.media_type = "text/html"


_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Not Allowed", 409: "Conflict",
            413: "Request Entity Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
            500: "Internal Server Error"}


def _code_is_status(answer: ErrorAnswer) -> None:
    if answer.envelope:
        answer.envelope["code"] = str(answer.status)


def _wrong_key_403(answer: ErrorAnswer) -> None:
    if answer.status == 401 and answer.request.get("authorization"):
        answer.status = 403
        answer.envelope["message"] = "Forbidden: the API key is not valid."


def _error_extra_fields(answer: ErrorAnswer) -> None:
    if answer.envelope:
        answer.envelope["request_id"] = "req_" + secrets.token_hex(8)
