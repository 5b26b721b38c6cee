"""The HTTP protocol the mock is served with: uvicorn's (httptools), each response sent in one write.

uvicorn writes a response's status line and headers, then its body: two writes, so two system
calls and two packets per response. Under load on loopback those writes were the largest single
cost of a request (docs/performance.md, section 6). ``OneWriteProtocol`` gives uvicorn's protocol a
transport that keeps what one turn of the event loop writes and sends it at the end of that turn,
in one write: the same bytes in the same order, one system call.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class BufferedTransport:
    """A transport whose writes of one event-loop turn go out together, at the end of the turn.
    Everything else is the wrapped transport's (closing sends what is kept first)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._kept:
            self._loop.call_soon(self.flush)
        self._kept.append(bytes(data))

    def flush(self) -> None:
        if self._kept:
            data = b"".join(self._kept)
            self._kept.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol on a ``BufferedTransport``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(BufferedTransport(transport, self.loop))  # type: ignore[arg-type]
