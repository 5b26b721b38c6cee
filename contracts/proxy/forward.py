"""The forwarding half of the proxy: an ASGI app that passes every request to the target and every
answer back, unchanged, streaming both ways, and hands what it saw of each to the grader.

Unchanged: the method, the path and query as the client wrote them, every header but the hop-by-hop
ones (``Connection`` and those it names, ``Keep-Alive``, ``Transfer-Encoding``...) and ``Host`` (the
target's), the body as it streams; back, the status, the headers (again but the hop-by-hop ones), the
body's bytes as they came (still compressed, if they were). The app adds nothing: uvicorn is told to
send no ``Date`` or ``Server`` header of its own.

As it happened: a target that accepts no connection, or drops one before answering, drops the
client's connection (the client sees a failed connection, as it would have, and its SDK retries); one
that drops it in the middle of a body cuts the client's body there; one that never answers keeps the
client waiting until the client gives up. The record says which. The one exception is a connection
of the proxy's own pool found closed or reset before any byte of the answer (a server that closes
kept-alive connections): the request is sent again once on a fresh connection when its body is
small enough to have been kept, as any HTTP client does with a stale connection of its own (the
client's own connection to the target would not have been that one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from contracts.client import _describe_transport_error, _reset_before_answer
from contracts.intent import operation_of
from contracts.proxy.capture import RequestBody, ResponseBody, response_cap
from contracts.rules import CONTENT

# RFC 9110 7.6.1: meaningful for one connection only, never forwarded (plus those Connection names)
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade"})
CONNECT_TIMEOUT = 10.0  # the only limit the proxy sets: how long the target may take to accept a connection
TIMEOUT = httpx.Timeout(None, connect=CONNECT_TIMEOUT).as_dict()  # every request's (read, never written, by httpcore)
# Connections to the target kept open between requests: httpcore looks at every idle one at each request
# (is it still readable?), so a pool far larger than the requests in flight costs every request.
KEEPALIVE = 16


class ClientGone(Exception):
    """The client closed its connection before its request was whole."""


@dataclass
class Seen:
    """One exchange as the proxy saw it: handed to the grader, which records and judges it."""

    method: str
    url: str  # the target URL the request went to
    path: str  # under the API root
    query: str
    request_headers: list[tuple[bytes, bytes]]
    request: RequestBody
    sent_at: float  # monotonic, when the request came in
    status: int = 0
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    response: ResponseBody | None = None
    elapsed_ms: float = 0.0
    transport_error: str | None = None  # the target's failure, as the client met it
    client_left: str | None = None  # the client left before the exchange was over (not the target's doing)
    partial: bool = False  # a content download: its first bytes are what is read
    secrets: list[str] | None = None  # the secret values its headers carry (contracts/proxy/record.py), once read
    over: bool = False  # the answer was sent whole, or the connection dropped: the client leaving is no news
    stopped: bool = False  # the proxy stopped before the exchange was over: nothing of the target's to judge

    def kept_bytes(self) -> int:
        """The bytes of the bodies this exchange keeps (what it weighs while it waits for the grader)."""
        kept = self.request.kept
        return (len(kept) if kept is not None else 0) + (len(self.response.kept) if self.response is not None else 0)

    def stop_clock(self) -> None:
        """The exchange is over (answered whole, broken, or left): its ``elapsed_ms`` from ``sent_at``."""
        self.elapsed_ms = round((time.monotonic() - self.sent_at) * 1000, 2)


def split_target(target: str) -> tuple[str, str]:
    """``http://host:8000/v1`` -> (``http://host:8000``, ``/v1``): the origin and the API root."""
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _dropped(headers: list[tuple[bytes, bytes]]) -> frozenset[str]:
    named = {token.strip().lower() for name, value in headers if name.lower() == b"connection"
             for token in value.decode("latin-1").split(",")}
    return HOP_BY_HOP | named


def passed_on(headers: list[tuple[bytes, bytes]], *, host: bool = True) -> list[tuple[bytes, bytes]]:
    """The headers a proxy passes on: all but the hop-by-hop ones (and ``Host``, set for the target)."""
    dropped = _dropped(headers) | ({"host"} if host else set())
    return [(name, value) for name, value in headers if name.decode("latin-1").lower() not in dropped]


class Forwarder:
    """The ASGI app. ``hand(seen)`` is called with each exchange under the API root once it is over
    (on the event loop: it must only queue it), but a request its client abandoned before it was whole, or one
    in flight when the proxy stopped."""

    def __init__(self, target: str, hand: Callable[[Seen], None]) -> None:
        self.origin, self.root = split_target(target)
        self._origin = httpx.URL(self.origin)
        self.hand = hand
        self.forwarded = 0  # every request forwarded (those outside the API root too)
        self._pool: httpx.AsyncHTTPTransport | None = None
        self._fresh: httpx.AsyncHTTPTransport | None = None

    def _transports(self) -> tuple[httpx.AsyncHTTPTransport, httpx.AsyncHTTPTransport]:
        """httpx's transports, not a client: a client keeps cookies (one client's would go with another's
        requests), and its redirects, auth and hooks are not a proxy's business."""
        if self._pool is None:  # made on the serving loop, which its connections belong to
            self._pool = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=None,
                                                                      max_keepalive_connections=KEEPALIVE))
            self._fresh = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
        return self._pool, self._fresh

    async def aclose(self) -> None:
        for transport in (self._pool, self._fresh):
            if transport is not None:
                await transport.aclose()

    def api_path(self, path: str) -> str | None:
        """The path under the API root, for a request of the Videos API (else None: forwarded, not judged)."""
        if not path.startswith(self.root + "/"):
            return None
        rest = path[len(self.root):]
        return rest if rest == "/videos" or rest.startswith("/videos/") else None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.aclose)
            return
        if scope["type"] != "http":
            return
        self.forwarded += 1
        started = time.monotonic()
        method, headers = scope["method"], list(scope["headers"])
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        url = self._origin.copy_with(raw_path=raw_path + (b"?" + query if query else b""))
        path = self.api_path(scope["path"])
        content_type = next((v.decode("latin-1") for n, v in headers if n.lower() == b"content-type"), None)
        body = RequestBody(content_type if path is not None else None)
        seen = Seen(method, str(url), path or "", query.decode("latin-1"), headers, body, started,
                    partial=path is not None and operation_of(method, path) == CONTENT)
        await self._exchange(scope, receive, send, seen, url)
        # a request its client abandoned before it was whole got no answer: nothing of the target's to judge
        if path is not None and not seen.stopped and (seen.response is not None or seen.transport_error is not None):
            self.hand(seen)

    async def _exchange(self, scope: dict, receive: Callable, send: Callable, seen: Seen, url: httpx.URL) -> None:
        """Forward the request, stream the answer back; meanwhile, notice a client that leaves (the relay is
        then cancelled: a target that hangs is not waited for any longer than the client waits)."""
        whole = asyncio.Event()
        streaming = _has_body(seen.request_headers)
        if not streaming:
            whole.set()
        relay = asyncio.current_task()
        left = asyncio.Event()

        def leave() -> None:
            if not seen.over:  # not the end of an answer sent whole, or of a connection dropped
                left.set()
                relay.cancel()

        watch = asyncio.ensure_future(_client_leaves(receive, whole, leave))
        try:
            await self._relay(scope, receive, send, seen, url, whole, streaming)
        except asyncio.CancelledError:
            relay.uncancel()
            if not left.is_set():
                # the proxy is stopping (its graceful wait is over): not the target's doing, nothing to judge.
                # The client's connection is dropped, as the target's would be, never answered (uvicorn would
                # send a 500 of its own) or cut with a traceback logged.
                seen.stopped = True
                await _drop(scope, seen)
                return
            if seen.status == 0 and seen.transport_error is None and seen.client_left is None:
                waited = time.monotonic() - seen.sent_at
                seen.transport_error = (f"no answer within {waited:.3g} s (the target sent nothing; the client gave "
                                        "up and closed its connection)")
            elif seen.status and seen.client_left is None and seen.transport_error is None:
                seen.client_left = "the client closed its connection before the end of the body"
            seen.stop_clock()
        finally:
            watch.cancel()

    async def _relay(self, scope: dict, receive: Callable, send: Callable, seen: Seen, url: httpx.URL,
                     whole: asyncio.Event, streaming: bool) -> None:
        pool, fresh = self._transports()
        connected: list[bool] = []

        async def trace(event: str, info: dict) -> None:
            if event.startswith("connection.connect_tcp.complete"):
                connected.append(True)

        async def content() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    seen.client_left = "the client closed its connection before its request was whole"
                    raise ClientGone()
                chunk = message.get("body", b"")
                if chunk:
                    seen.request.feed(chunk)
                    yield chunk
                if not message.get("more_body", False):
                    break
            seen.request.finish()
            whole.set()

        headers = passed_on(seen.request_headers)
        request = httpx.Request(seen.method, url, headers=headers, content=content() if streaming else None,
                                extensions={"timeout": TIMEOUT, "trace": trace})
        try:
            response = await pool.handle_async_request(request)
        except ClientGone:
            return
        except httpx.HTTPError as exc:
            replay = seen.request.whole if streaming else b""
            if connected or not _reset_before_answer(exc) or replay is None or not whole.is_set():
                await self._failed(scope, seen, exc)
                return
            retry = httpx.Request(seen.method, url, headers=headers, content=replay or None,
                                  extensions={"timeout": TIMEOUT})
            try:
                response = await fresh.handle_async_request(retry)
            except httpx.HTTPError as again:
                await self._failed(scope, seen, again)
                return
        response.request = request
        try:
            await self._answer(scope, send, seen, response)
        finally:
            await response.aclose()

    async def _answer(self, scope: dict, send: Callable, seen: Seen, response: httpx.Response) -> None:
        seen.status = response.status_code
        seen.response_headers = list(response.headers.raw)
        seen.response = ResponseBody(response, response_cap(seen.partial))
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": passed_on(seen.response_headers, host=False)})
        try:
            async for chunk in response.aiter_raw():
                seen.response.feed(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.HTTPError as exc:
            seen.transport_error = _broken(exc, seen)
            seen.stop_clock()
            await _drop(scope, seen)  # the client's body ends where the target's did, with the connection
            return
        seen.response.finish()
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        seen.over = True
        seen.stop_clock()

    async def _failed(self, scope: dict, seen: Seen, exc: httpx.HTTPError) -> None:
        """No answer from the target: the client's connection is dropped, as the target dropped (or never
        opened) the proxy's."""
        seen.transport_error = _describe_transport_error(exc, CONNECT_TIMEOUT)
        seen.stop_clock()
        await _drop(scope, seen)


def _broken(exc: httpx.HTTPError, seen: Seen) -> str:
    got = seen.response.size if seen.response is not None else 0
    return f"the server broke the HTTP exchange after {got} bytes of the body: {exc or type(exc).__name__}"


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            return True
        if lowered == b"content-length":
            return value.strip() not in (b"", b"0")
    return False


async def _client_leaves(receive: Callable, whole: asyncio.Event, leave: Callable[[], None]) -> None:
    """Calls ``leave()`` when the client disconnects (looked for once its request was read whole: the body
    is the relay's). uvicorn also says "disconnect" once the answer is complete: that is no leaving."""
    await whole.wait()
    while (await receive())["type"] != "http.disconnect":
        pass
    leave()


async def _drop(scope: dict, seen: Seen) -> None:
    """Close the client's connection at once (reset), without an answer or without the rest of it."""
    seen.over = True
    from contracts.mock.protocol import CONNECTION

    protocol = scope.get("extensions", {}).get(CONNECTION)
    transport = getattr(protocol, "transport", None)
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # uvicorn learns of it (connection_lost) before the app returns: no 500 sent


async def _lifespan(receive: Callable, send: Callable, shutdown: Callable[[], Any]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


def query_items(query: str) -> dict[str, str]:
    """A query string's parameters (the first value of each)."""
    items: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        items.setdefault(name, value)
    return items
