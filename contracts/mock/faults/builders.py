"""Building blocks of the fault modes: spec edits, request and response rewrites, ASGI
wrappers (auth, rate limits, slowness)."""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.mock.errors import SERVER_ERROR, APIError

if TYPE_CHECKING:
    from contracts.mock.app import VideosAPI
    from contracts.mock.rules import Rules
    from contracts.mock.store import Job

from contracts.mock.faults.base import (
    CREATE_SCHEMAS,
    ENDLESS_CAP_BYTES,
    HANG_LIMIT_SECONDS,
    RATE_LIMIT_EVERY,
    Around,
    Handler,
    View,
)


# ============================================================================================
# Small building blocks for the catalogue
# ============================================================================================
def crash(detail: str) -> APIError:
    """What a server's unhandled exception looks like from outside: a 500 envelope."""
    return APIError(500, f"The server had an error while processing your request ({detail}).", type=SERVER_ERROR,
                    code="internal_error")


def invalid(message: str, param: str | None, code: str = "invalid_value") -> APIError:
    return APIError(400, message, param=param, code=code)


def _create_properties(document: dict) -> Iterable[dict]:
    for name in CREATE_SCHEMAS:
        yield document["components"]["schemas"][name]["properties"]


def set_enum(component: str, values: list[str]) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        document["components"]["schemas"][component]["enum"] = list(values)

    return edit


def drop_enum_value(component: str, value: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        schema = document["components"]["schemas"][component]
        schema["enum"] = [v for v in schema["enum"] if v != value]

    return edit


def set_component(component: str, schema: dict) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        document["components"]["schemas"][component] = dict(schema)

    return edit


def set_prompt_limit(keyword: str, value: int) -> Callable[[dict], None]:
    return lambda document: document["components"]["schemas"]["Prompt"].__setitem__(keyword, value)


def set_default(name: str, value: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for properties in _create_properties(document):
            properties[name]["default"] = value

    return edit


def require(name: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for schema in CREATE_SCHEMAS:
            required = document["components"]["schemas"][schema]["required"]
            if name not in required:
                required.append(name)

    return edit


def unrequire(name: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for schema in CREATE_SCHEMAS:
            target = document["components"]["schemas"][schema]
            target["required"] = [r for r in target["required"] if r != name]

    return edit


def model_closed(document: dict) -> None:
    """The model field takes only the documented names (no 'any string' branch)."""
    for properties in _create_properties(document):
        properties["model"] = {"$ref": "#/components/schemas/VideoModel", "default": properties["model"]["default"]}


def fields_unchecked(*names: str) -> Callable[[dict], None]:
    """The fields take any JSON value (no type, no enum): a gateway that forwards them."""

    def edit(document: dict) -> None:
        for properties in _create_properties(document):
            for name in names:
                properties[name] = {"default": properties[name].get("default")}

    return edit


def json_reference_unchecked(document: dict) -> None:
    """The JSON create's input_reference takes any value (a gateway forwards it as it came)."""
    document["components"]["schemas"]["CreateVideoRequest"]["properties"]["input_reference"] = {}


def tolerate_unknown_parameters(rules: Rules) -> Rules:
    return rules.override(profile=rules.profile, reject_unknown_parameters=False)


def all_of(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for one in edits:
            one(document)

    return edit


def set_fields(**values: Any) -> Callable[[dict, View], dict]:
    return lambda video, view: {**video, **values}


def map_field(name: str, convert: Callable[[Any], Any], when: Callable[[dict], bool] = lambda v: True):
    def hook(video: dict, view: View) -> dict:
        if name in video and when(video):
            return {**video, name: convert(video[name])}
        return video

    return hook


def fail_jobs(code: Any = "generation_failed", message: str = "The video could not be generated.", every: int = 1):
    def setup(job: Job) -> None:
        if job.seq % every == 0:
            job.error = {"code": code, "message": message}

    return setup


def on_not_found(answer: Callable[[str], APIError]) -> Around:
    """Around hook: an unknown id gets ``answer(video_id)`` instead of the 404."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        try:
            return await call_next(request)
        except APIError as exc:
            if exc.code == "video_not_found":
                raise answer(request.path_params.get("video_id", "")) from None
            raise

    return hook


def transform_json(change: Callable[[Any], Any]) -> Around:
    """Around hook: a 200 JSON answer's body passed through ``change``."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        body = change(json.loads(response.body))
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return JSONResponse(body, status_code=response.status_code, headers=headers)

    return hook


def drop_query(*names: str) -> Around:
    """Around hook: the request is handled as if these query parameters were not given."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in names]
        scope = dict(request.scope, query_string=urlencode(kept).encode())
        return await call_next(Request(scope, request.receive))

    return hook


def refuse_media_type(media_type: str, status: int = 415) -> Around:
    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        given = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given == media_type:
            raise APIError(status, f"Unsupported Content-Type: '{given}'. This server takes "
                           f"{'multipart/form-data' if media_type == 'application/json' else 'application/json'} only.",
                           param="Content-Type", code="unsupported_media_type")
        return await call_next(request)

    return hook


async def _until_disconnected(request: Request) -> None:
    async def wait() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(wait(), HANG_LIMIT_SECONDS)
    except TimeoutError:
        pass


async def hang(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    """Never answer (until the client gives up)."""
    await _until_disconnected(request)
    return Response(status_code=504)  # nobody is listening any more


async def endless_list(api: VideosAPI, request: Request, call_next: Handler) -> Response:
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


def asgi_wrapper(middleware: Callable[[ASGIApp, VideosAPI, Scope, Receive, Send], Awaitable[None]]):
    """An ``asgi`` hook from ``async def middleware(app, api, scope, receive, send)``."""

    def hook(app: ASGIApp, api: VideosAPI) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            await middleware(app, api, scope, receive, send)

        return wrapped

    return hook


def rate_limit(retry_after: str | None) -> Callable[[ASGIApp, VideosAPI], ASGIApp]:
    counter = {"n": 0}  # per app instance is enough: one server per process

    async def middleware(app, api, scope, receive, send) -> None:
        counter["n"] += 1
        if counter["n"] % RATE_LIMIT_EVERY:
            await app(scope, receive, send)
            return
        error = APIError(429, "Rate limit reached for requests. Please try again later.", type="requests",
                         code="rate_limit_exceeded", headers={"Retry-After": retry_after} if retry_after else None)
        await error.response()(scope, receive, send)

    def hook(app: ASGIApp, api: VideosAPI) -> ASGIApp:
        counter["n"] = 0
        return asgi_wrapper(middleware)(app, api)

    return hook


def with_authorization(present_only: bool) -> Callable[[ASGIApp, VideosAPI], ASGIApp]:
    """auth-ignored / auth-presence-only: the request reaches the app as if the key were right."""

    async def middleware(app, api, scope, receive, send) -> None:
        key = api.config.api_key
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        given = len(headers) != len(scope["headers"])
        if key and (given or not present_only):
            scope = dict(scope, headers=[*headers, (b"authorization", f"Bearer {key}".encode())])
        await app(scope, receive, send)

    return asgi_wrapper(middleware)


def _content_without_key(app: ASGIApp, api: VideosAPI) -> ASGIApp:
    inner = with_authorization(present_only=False)(app, api)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        content = scope["type"] == "http" and scope["path"].endswith("/content")
        await (inner if content else app)(scope, receive, send)

    return wrapped


async def _slow(app, api, scope, receive, send) -> None:
    await asyncio.sleep(random.uniform(0.1, 0.3))
    await app(scope, receive, send)


async def _chunked(app, api, scope, receive, send) -> None:
    async def chunking(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message, headers=[(k, v) for k, v in message["headers"] if k.lower() != b"content-length"])
            await send(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        pieces = [body[i:i + 1024] for i in range(0, len(body), 1024)] or [b""]
        for index, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": more or index < len(pieces) - 1})

    await app(scope, receive, chunking)


def _gzip(app: ASGIApp, api: VideosAPI) -> ASGIApp:
    return GZipMiddleware(app, minimum_size=0)


def route_missing(method: str, path: str, allow: tuple[str, ...] = ()) -> Callable[[ASGIApp, VideosAPI], ASGIApp]:
    """An ``asgi`` hook: the server has no route for ``method`` on ``path`` (a regular expression
    under /v1): 405 with ``Allow`` when the path has other methods (``allow``), else 404. Routing
    comes before auth, as in FastAPI with per-route dependencies: the same answer with any key."""
    pattern = re.compile(f"^/v1{path}$")

    def hook(app: ASGIApp, api: VideosAPI) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["method"] != method or not pattern.match(scope["path"]):
                await app(scope, receive, send)
                return
            target = f"{method} {scope['path']}"
            if allow:
                error = APIError(405, f"Method not allowed ({target}).", code="method_not_allowed",
                                 headers={"Allow": ", ".join(allow)})
            else:
                error = APIError(404, f"Invalid URL ({target}).", code="unknown_url")
            await error.response()(scope, receive, send)

        return wrapped

    return hook


VIDEO_PATH = "/videos/(?!characters$|edits$|extensions$)[^/]+"  # /videos/{video_id}, not its sibling routes
