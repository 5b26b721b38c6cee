"""The HTTP protocol the mock is served with: uvicorn's (httptools), each response sent in one write.

uvicorn writes a response's status line and headers, then its body: two writes, so two system
calls and two packets per response. Under load on loopback those writes were the largest single
cost of a request (docs/performance.md, section 6). ``OneWriteProtocol`` gives uvicorn's protocol a
transport that keeps what one turn of the event loop writes and sends it at the end of that turn,
in one write: the same bytes in the same order, one system call. A large body is not held back:
once a turn has written ``FLUSH_AT`` bytes they go out at once, so the socket's flow control
(``pause_writing``) reaches uvicorn, which then waits for a slow reader as it does on its own.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# asyncio's default high-water mark: a body streamed in chunks without awaits in between would
# otherwise be kept whole (never pausing the app) before the end of the turn sends it
FLUSH_AT = 64 * 1024


class BufferedTransport:
    """A transport whose writes of one event-loop turn go out together, at the end of the turn (or
    at once past ``FLUSH_AT`` bytes). Everything else is the wrapped transport's (closing sends what
    is kept first)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] = []
        self._kept_bytes = 0

    def write(self, data: bytes) -> None:
        if not self._kept:
            self._loop.call_soon(self.flush)
        kept = bytes(data)  # a copy: the caller may reuse its buffer
        self._kept.append(kept)
        self._kept_bytes += len(kept)
        if self._kept_bytes >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self._kept:
            data = b"".join(self._kept)
            self._kept.clear()
            self._kept_bytes = 0
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


CONNECTION = "videos_mock.connection"  # the scope extension naming the connection a request came on


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a ``BufferedTransport``. A request's scope names its connection
    (``scope["extensions"][CONNECTION]``), so that a fault can reset the next request on it
    (``reset_next``: a server that drops a kept-alive connection after an error answer). The reset
    comes when the next request begins, before any of it reaches the app: what is left of the
    current request's body (an error answered before it was read) is read as usual."""

    reset_next = False
    _resetting = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(BufferedTransport(transport, self.loop))  # type: ignore[arg-type]

    def on_message_begin(self) -> None:
        if self.reset_next:
            self._reset()
            return
        super().on_message_begin()
        self.scope["extensions"] = {**self.scope.get("extensions", {}), CONNECTION: self}  # type: ignore[typeddict-item]

    def _reset(self) -> None:
        import socket
        import struct

        self._resetting = True
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    # The rest of a request being reset is not parsed into one: nothing of it reaches the app.
    def on_url(self, url: bytes) -> None:
        if not self._resetting:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._resetting:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if not self._resetting:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._resetting:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._resetting:
            super().on_message_complete()
