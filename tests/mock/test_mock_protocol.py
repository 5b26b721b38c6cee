"""The mock's HTTP protocol sends each response in one write: the transport wrapper on its own,
then the real server as the kernel counts it (segments with data received per answer)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import sys

import pytest

from contracts.embedded import EmbeddedServer
from contracts.mock.protocol import BufferedTransport

REQUESTS = 200


class Recording(asyncio.Transport):
    """A transport that keeps what it is given (the socket under test is below the wrapper)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 5)}.get(name, default)


def test_the_writes_of_one_loop_turn_go_out_as_one():
    async def scenario(below: Recording) -> list[list[bytes]]:
        transport = BufferedTransport(below, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        seen = [list(below.writes)]  # nothing yet: the turn is not over
        await asyncio.sleep(0)
        seen.append(list(below.writes))
        transport.write(b"second")
        transport.close()  # what is kept goes out before the close
        seen.append(list(below.writes))
        transport.write(b"after the close")
        await asyncio.sleep(0)
        seen.append(list(below.writes))
        assert transport.get_extra_info("peername") == ("127.0.0.1", 5)  # the rest is the transport's
        return seen

    below = Recording()
    seen = asyncio.run(scenario(below))
    assert seen == [[], [b"HTTP/1.1 200 OK\r\n\r\nbody"], [b"HTTP/1.1 200 OK\r\n\r\nbody", b"second"],
                    [b"HTTP/1.1 200 OK\r\n\r\nbody", b"second"]]
    assert below.closed


# struct tcp_info (linux/tcp.h): tcpi_data_segs_in, the segments with data received on a connection
DATA_SEGMENTS_IN = 152


def data_segments_in(sock: socket.socket) -> int:
    return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256), DATA_SEGMENTS_IN)[0]


def exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one HTTP/1.1 request on a kept-alive connection and read its whole answer's body."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?im)^content-length: *(\d+)", head)[1])
    while len(body) < length:
        body += sock.recv(65536)
    return body


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's TCP_INFO of the connection")
def test_the_mock_answers_each_request_in_one_segment():
    with EmbeddedServer(job_seconds=3600) as server:
        host, port = re.match(r"http://(.+):(\d+)/", server.base_url).groups()
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            body = exchange(sock, b'POST /v1/videos HTTP/1.1\r\nhost: mock\r\ncontent-type: application/json\r\n'
                                  b'content-length: 14\r\n\r\n{"prompt":"p"}')
            retrieve = f"GET /v1/videos/{json.loads(body)['id']} HTTP/1.1\r\nhost: mock\r\n\r\n".encode()
            before = data_segments_in(sock)
            for _ in range(REQUESTS):  # one at a time: each answer read whole before the next request
                exchange(sock, retrieve)
            received = data_segments_in(sock) - before
    # head and body written together: one segment each (uvicorn on its own writes them as two)
    assert received == REQUESTS
