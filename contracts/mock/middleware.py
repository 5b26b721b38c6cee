"""Pure ASGI middleware: the optional bearer key; a request id for every response."""

from __future__ import annotations

import hmac
import random
import secrets
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.mock.errors import APIError


class BearerAuth:
    """With a key configured, every request needs ``Authorization: Bearer <key>`` (else 401)."""

    def __init__(self, app: ASGIApp, api_key: str | None):
        self.app = app
        self.expected = f"Bearer {api_key}".encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.expected is None:
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"authorization")
        if given is None:
            error = APIError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code="invalid_api_key",
            )
        elif not hmac.compare_digest(given.strip().encode("utf-8", "replace"), self.expected):
            error = APIError(401, f"Incorrect API key provided: {_redact(given)}.", code="invalid_api_key")
        else:
            await self.app(scope, receive, send)
            return
        error.headers["WWW-Authenticate"] = 'Bearer realm="videos-contract mock"'
        await error.response()(scope, receive, send)


class Outgoing:
    """Pure ASGI middleware that sees each HTTP response on its way out: ``outgoing`` wraps ``send``."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, self.outgoing(scope, send) if scope["type"] == "http" else send)

    def outgoing(self, scope: Scope, send: Send) -> Send:
        raise NotImplementedError


def with_request_id(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A response's headers with ``x-request-id`` (the SDK exposes it as ``_request_id``) unless it has one."""
    headers = list(headers)
    if not any(name.lower() == b"x-request-id" for name, _ in headers):
        headers.append((b"x-request-id", b"req_%032x" % _ids.getrandbits(128)))
    return headers


# Request ids are labels, not secrets: a seeded generator of this process, not a system call per request.
_ids = random.Random(secrets.randbits(128))


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of the request header ``name`` (lower case), as Starlette's ``Headers`` reads it."""
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _redact(header: str) -> str:
    key = header.split(" ", 1)[1] if " " in header else header
    key = key.strip()
    return (key[:3] + "*" * 4 + key[-4:]) if len(key) > 8 else "*" * len(key)
