"""A real HTTP server on loopback for the client's tests: a handler class answers, a thread serves;
the clients made for it are closed when the test ends."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from typing import TypeVar

import pytest

T = TypeVar("T")


class JSONHandler(http.server.BaseHTTPRequestHandler):
    """A handler that answers HTTP/1.1 quietly; subclasses write ``do_GET`` with these helpers."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def send_json(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.head(status, {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})})
        self.wfile.write(body)


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """``handler`` serving on a free loopback port, as ``http://127.0.0.1:PORT``, until the block ends."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    # a short poll: shutdown() waits for it (the default half a second, at the end of every test)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def closed_after(request: pytest.FixtureRequest, client: T) -> T:
    """``client``, closed when the test that made it ends."""
    request.addfinalizer(client.close)  # type: ignore[attr-defined]
    return client
