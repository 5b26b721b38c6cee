"""``asgi`` hooks: the whole app wrapped (auth, rate limits, slowness, transfer encodings,
other clients of the same server)."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.mock.errors import APIError, method_not_allowed, unknown_url
from contracts.mock.faults.base import RATE_LIMIT_EVERY, FaultContext


def asgi_wrapper(middleware: Callable[[ASGIApp, FaultContext, Scope, Receive, Send], Awaitable[None]]):
    """An ``asgi`` hook from ``async def middleware(app, ctx, scope, receive, send)``."""

    def hook(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            await middleware(app, ctx, scope, receive, send)

        return wrapped

    return hook


def rate_limit(retry_after: str | None) -> Callable[[ASGIApp, FaultContext], ASGIApp]:
    counter = {"n": 0}  # per app instance is enough: one server per process

    async def middleware(app, ctx, scope, receive, send) -> None:
        counter["n"] += 1
        if counter["n"] % RATE_LIMIT_EVERY:
            await app(scope, receive, send)
            return
        error = APIError(429, "Rate limit reached for requests. Please try again later.", type="requests",
                         code="rate_limit_exceeded", headers={"Retry-After": retry_after} if retry_after else None)
        await error.response()(scope, receive, send)

    def hook(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
        counter["n"] = 0
        return asgi_wrapper(middleware)(app, ctx)

    return hook


def with_authorization(present_only: bool) -> Callable[[ASGIApp, FaultContext], ASGIApp]:
    """auth-ignored / auth-presence-only: the request reaches the app as if the key were right."""

    async def middleware(app, ctx, scope, receive, send) -> None:
        key = ctx.key
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        given = len(headers) != len(scope["headers"])
        if key and (given or not present_only):
            scope = dict(scope, headers=[*headers, (b"authorization", f"Bearer {key}".encode())])
        await app(scope, receive, send)

    return asgi_wrapper(middleware)


def content_without_key(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
    inner = with_authorization(present_only=False)(app, ctx)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        content = scope["type"] == "http" and scope["path"].endswith("/content")
        await (inner if content else app)(scope, receive, send)

    return wrapped


async def slow(app, ctx, scope, receive, send) -> None:
    await asyncio.sleep(random.uniform(0.1, 0.3))
    await app(scope, receive, send)


def _without_header(start: Message, name: bytes) -> Message:
    """A response start without the header ``name`` (lower case)."""
    return dict(start, headers=[(k, v) for k, v in start["headers"] if k.lower() != name])


async def chunked(app, ctx, scope, receive, send) -> None:
    async def chunking(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(_without_header(message, b"content-length"))
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        pieces = [body[i:i + 1024] for i in range(0, len(body), 1024)] or [b""]
        for index, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": more or index < len(pieces) - 1})

    await app(scope, receive, chunking)


def gzip(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
    return GZipMiddleware(app, minimum_size=0)


async def no_date(app, ctx, scope, receive, send) -> None:
    async def without_date(message: Message) -> None:
        await send(_without_header(message, b"date") if message["type"] == "http.response.start" else message)

    await app(scope, receive, without_date)


def neighbours(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
    """concurrent-clients: another client creates a video every 50 ms and deletes some, while the run goes."""
    started = {"task": None}

    async def neighbour() -> None:
        created: list[str] = []
        for index in range(1200):  # at most a minute
            job = ctx.add_job(prompt=f"someone else's video {index}", model="sora-2")
            created.append(job.id)
            if index % 3 == 2:
                ctx.delete_job(created.pop(0))
            await asyncio.sleep(0.05)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if started["task"] is None and scope["type"] == "http":
            started["task"] = asyncio.get_running_loop().create_task(neighbour())
        await app(scope, receive, send)

    return wrapped


VIDEO_PATH = "/videos/(?!characters$|edits$|extensions$)[^/]+"  # /videos/{video_id}, not its sibling routes


def route_missing(method: str, path: str, allow: tuple[str, ...] = ()) -> Callable[[ASGIApp, FaultContext], ASGIApp]:
    """The server has no route for ``method`` on ``path`` (a regular expression under /v1): 405
    with ``Allow`` when the path has other methods (``allow``), else 404. Routing comes before
    auth, as in FastAPI with per-route dependencies: the same answer with any key."""
    pattern = re.compile(f"^/v1{path}$")

    def hook(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["method"] != method or not pattern.match(scope["path"]):
                await app(scope, receive, send)
                return
            if allow:
                error = method_not_allowed(method, scope["path"], list(allow))
            else:
                error = unknown_url(method, scope["path"])
            await error.response()(scope, receive, send)

        return wrapped

    return hook


def without_key_under(prefix: str) -> Callable[[ASGIApp, FaultContext], ASGIApp]:
    """Requests under ``/v1{prefix}`` reach the app as if the key were right (routes outside the
    auth middleware); every other request is checked as usual."""

    def hook(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
        inner = with_authorization(present_only=False)(app, ctx)

        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            open_route = scope["type"] == "http" and scope["path"].startswith("/v1" + prefix)
            await (inner if open_route else app)(scope, receive, send)

        return wrapped

    return hook


def chain(*hooks: Callable[[ASGIApp, FaultContext], ASGIApp]) -> Callable[[ASGIApp, FaultContext], ASGIApp]:
    """Several ``asgi`` hooks as one (the first outermost)."""

    def hook(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
        for each in reversed(hooks):
            app = each(app, ctx)
        return app

    return hook


def reset_after_error(app: ASGIApp, ctx: FaultContext) -> ASGIApp:
    """After an error answer, the next request on the same kept-alive connection is reset before any
    byte of its answer (served by the mock's own protocol: contracts/mock/protocol.py)."""
    from contracts.mock.protocol import CONNECTION

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        connection = (scope.get("extensions") or {}).get(CONNECTION)

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400 and connection is not None:
                connection.reset_next = True
            await send(message)

        await app(scope, receive, watched if scope["type"] == "http" else send)

    return wrapped
