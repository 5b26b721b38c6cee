"""Pure ASGI middleware: the optional key (``Authorization: Bearer`` or a header of its own), headers a
gateway requires, and a request id on every response."""

from __future__ import annotations

import hmac
import random
import secrets
from collections.abc import Iterable

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.mock.errors import APIError, echoed


def access(api_key: str | None, api_key_header: str | None = None, required: tuple[str, ...] = ()) -> list[Middleware]:
    """The checks before a request reaches its route, outermost first: the headers a gateway routes
    by (``--require-header``), then the key (``--api-key``, in ``--api-key-header`` if given)."""
    out = [Middleware(RequiredHeaders, names=required)] if required else []
    return out + [Middleware(BearerAuth, api_key=api_key, header=api_key_header)]


class RequiredHeaders:
    """Every request needs each of these headers, with a value (else 400): a gateway that routes by
    headers of its own answers so to a request without them."""

    def __init__(self, app: ASGIApp, names: tuple[str, ...]):
        self.app = app
        self.names = [(name, name.lower().encode("latin-1")) for name in names]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            missing = next((name for name, key in self.names if not (_header(scope, key) or "").strip()), None)
            if missing is not None:
                error = APIError(400, f"Missing required header '{echoed(missing)}': this server routes requests "
                                 "by it.", param=missing, code="missing_required_header")
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BearerAuth:
    """With a key configured, every request needs ``Authorization: Bearer <key>`` (else 401), or with
    ``header`` set, ``<header>: <key>`` (Azure OpenAI's ``api-key``), and then only that."""

    def __init__(self, app: ASGIApp, api_key: str | None, header: str | None = None):
        self.app = app
        self.header = header or "Authorization"
        self.name = self.header.lower().encode("latin-1")
        self.expected = (api_key if header else f"Bearer {api_key}").encode() if api_key else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.expected is None:
            await self.app(scope, receive, send)
            return
        given = _header(scope, self.name)
        if given is None:
            how = ("in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)"
                   if self.name == b"authorization" else f"in the {self.header} header (i.e. {self.header}: YOUR_KEY)")
            error = APIError(401, f"You didn't provide an API key. You need to provide your API key {how}.",
                             code="invalid_api_key")
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
