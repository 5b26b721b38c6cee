"""The mock's HTTP protocol sends each response in one write: the transport wrapper on its own,
then the real server as the kernel counts it (segments with data received per answer). And it
keeps HTTP/1.1 whole: a large streamed body waits for its reader (flow control still reaches
uvicorn), keep-alive, pipelining, ``Connection: close``, clients that leave mid-answer, and the
mock still serves (on uvicorn's own protocol) where httptools cannot be imported."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import struct
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from contracts.embedded import EmbeddedServer
from contracts.mock.protocol import FLUSH_AT, BufferedTransport, OneWriteProtocol

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


def test_a_turn_that_writes_flush_at_bytes_sends_them_at_once():
    async def scenario(below: Recording) -> list[list[bytes]]:
        transport = BufferedTransport(below, asyncio.get_running_loop())
        transport.write(b"head")
        transport.write(b"x" * (FLUSH_AT - 5))
        seen = [list(below.writes)]  # one byte short: kept
        transport.write(b"y")
        seen.append(list(below.writes))  # FLUSH_AT bytes: sent before the turn ends
        await asyncio.sleep(0)
        seen.append(list(below.writes))  # and the end of the turn finds nothing more to send
        return seen

    whole = b"head" + b"x" * (FLUSH_AT - 5) + b"y"
    assert asyncio.run(scenario(Recording())) == [[], [whole], [whole]]


CREATE = (b'POST /v1/videos HTTP/1.1\r\nhost: mock\r\ncontent-type: application/json\r\ncontent-length: 14\r\n\r\n'
          b'{"prompt":"p"}')


# struct tcp_info (linux/tcp.h): tcpi_data_segs_in, the segments with data received on a connection
DATA_SEGMENTS_IN = 152


def data_segments_in(sock: socket.socket) -> int:
    return struct.unpack_from("I", sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256), DATA_SEGMENTS_IN)[0]


def address(server: EmbeddedServer) -> tuple[str, int]:
    host, port = re.match(r"http://(.+):(\d+)/", server.base_url).groups()
    return host, int(port)


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
        with socket.create_connection(address(server), timeout=30) as sock:
            body = exchange(sock, CREATE)
            retrieve = f"GET /v1/videos/{json.loads(body)['id']} HTTP/1.1\r\nhost: mock\r\n\r\n".encode()
            before = data_segments_in(sock)
            for _ in range(REQUESTS):  # one at a time: each answer read whole before the next request
                exchange(sock, retrieve)
            received = data_segments_in(sock) - before
    # head and body written together: one segment each (uvicorn on its own writes them as two)
    assert received == REQUESTS


# ---- a large streamed body and a reader that leaves: any app, on the mock's protocol -------------
CHUNK = 64 * 1024
BODY_BYTES = 16 * 1024 * 1024


def chunk(index: int) -> bytes:
    return bytes([index % 251]) * CHUNK


class Streaming:
    """An app that streams ``BODY_BYTES`` in chunks with no await but ``send`` between them (the
    case where only flow control can stop it), counting what it has handed to the server."""

    def __init__(self) -> None:
        self.produced = 0
        self.finished = threading.Event()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        chunks = BODY_BYTES // CHUNK
        try:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(BODY_BYTES).encode())]})
            for index in range(chunks):
                self.produced += CHUNK
                await send({"type": "http.response.body", "body": chunk(index), "more_body": index < chunks - 1})
        finally:
            self.finished.set()


@contextlib.contextmanager
def one_write_server(app) -> Iterator[tuple[str, int]]:
    """``app`` on uvicorn with the mock's protocol, in a thread, at the loopback address it yields.
    Its connections get a small kernel send buffer, so what the server may hold unsent is small."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CHUNK)  # accepted sockets inherit it
    listener.bind(("127.0.0.1", 0))
    listener.listen()  # connections queue until the server takes them: no need to wait for it
    server = uvicorn.Server(uvicorn.Config(app, http=OneWriteProtocol, lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


def connect(address: tuple[str, int]) -> socket.socket:
    """A client socket with a small receive buffer (set before connecting, so the window is small)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CHUNK)
    sock.connect(address)
    return sock


def test_a_large_streamed_body_arrives_whole_and_waits_for_its_reader(caplog):
    app = Streaming()
    digest, received, ahead = hashlib.sha256(), 0, 0
    with one_write_server(app) as address, connect(address) as sock:
        sock.sendall(b"GET /big HTTP/1.1\r\nhost: mock\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(CHUNK)
        head, _, part = data.partition(b"\r\n\r\n")
        while True:
            ahead = max(ahead, app.produced - received)  # what the app got ahead of the reader by
            digest.update(part)
            received += len(part)
            if received >= BODY_BYTES:
                break
            part = sock.recv(CHUNK)
            assert part, f"the connection closed after {received} of {BODY_BYTES} bytes"
    assert head.startswith(b"HTTP/1.1 200 ")
    assert received == BODY_BYTES
    assert digest.digest() == hashlib.sha256(b"".join(chunk(i) for i in range(BODY_BYTES // CHUNK))).digest()
    # without flow control the app would hand over the whole body before a byte is sent (ahead ==
    # BODY_BYTES); with it, no more than the buffers between app and reader: under 1 MiB with the
    # small socket buffers set here, at most Linux's default 4 MiB send buffer where they are not
    assert ahead <= BODY_BYTES // 2
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_reader_that_leaves_mid_body_ends_the_answer_quietly(caplog):
    app = Streaming()
    with one_write_server(app) as address:
        with connect(address) as sock:
            sock.sendall(b"GET /big HTTP/1.1\r\nhost: mock\r\n\r\n")
            received = 0
            while received < 4 * CHUNK:
                received += len(sock.recv(CHUNK))
        app.finished.wait()  # not left waiting (paused) for a reader that is gone
        with httpx.Client() as client:  # and the server serves on
            response = client.get(f"http://{address[0]}:{address[1]}/", headers={"connection": "close"})
        assert response.status_code == 200 and len(response.content) == BODY_BYTES
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


# ---- the mock itself: keep-alive, pipelining, Connection: close, clients that leave ---------------
def read_answer(stream) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 answer from a socket's file: its status, headers (lower-case names) and body."""
    status = int(stream.readline().split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, stream.read(int(headers["content-length"]))


def get(path: str, *headers: str) -> bytes:
    return "\r\n".join([f"GET /v1{path} HTTP/1.1", "host: mock", *headers, "", ""]).encode()


def test_pipelined_requests_on_one_kept_alive_connection_are_answered_in_order(mock_server):
    with socket.create_connection(address(mock_server), timeout=30) as sock, sock.makefile("rb") as stream:
        sock.sendall(CREATE)
        status, _, body = read_answer(stream)
        assert status == 200
        video_id = json.loads(body)["id"]
        sock.sendall(get(f"/videos/{video_id}") + get("/videos/video_unknown") + get("/videos?limit=1")
                     + get("/nowhere"))  # all four before reading any answer
        answers = [read_answer(stream) for _ in range(4)]
        assert [status for status, _, _ in answers] == [200, 404, 200, 404]
        retrieved, unknown, listed, nowhere = (json.loads(body) for _, _, body in answers)
        assert retrieved["id"] == video_id and unknown["error"]["code"] == "video_not_found"
        assert listed["object"] == "list" and nowhere["error"]["code"] == "unknown_url"
        for _ in range(100):  # kept alive: one request after another on the same connection
            sock.sendall(get(f"/videos/{video_id}"))
            assert read_answer(stream)[0] == 200
        sock.sendall(get(f"/videos/{video_id}", "connection: close"))
        status, headers, body = read_answer(stream)
        assert (status, headers.get("connection"), json.loads(body)["id"]) == (200, "close", video_id)
        assert stream.read() == b""  # and the mock closed the connection after that answer


@pytest.mark.slow
def test_clients_that_leave_before_their_answer_leave_the_mock_serving_and_quiet():
    create_parts = (b'POST /v1/videos HTTP/1.1\r\nhost: mock\r\ncontent-type: multipart/form-data; boundary=b\r\n'
                    b'content-length: 1000\r\n\r\n--b\r\ncontent-disposition: form-data; name="prompt"\r\n\r\nhal')
    with EmbeddedServer(job_seconds=3600) as server:
        for request in (CREATE, CREATE, CREATE[:-5], create_parts):  # whole, then cut inside the body
            for reset in (False, True):
                with socket.create_connection(address(server), timeout=30) as sock:
                    if reset:  # close with a reset instead of a FIN
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.sendall(request)
        with httpx.Client(base_url=server.base_url) as client:
            assert client.get("/videos").status_code == 200
        assert server.stderr_tail() == ""  # not a line logged for any of them


@pytest.mark.slow
def test_without_httptools_the_mock_serves_on_uvicorns_own_protocol(tmp_path):
    hidden = tmp_path / "httptools"
    hidden.mkdir()
    (hidden / "__init__.py").write_text("raise ImportError('httptools is hidden by this test')\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # found before the installed httptools
    with EmbeddedServer(job_seconds=0, env=env) as server, httpx.Client(base_url=server.base_url) as client:
        video = client.post("/videos", json={"prompt": "p"}).json()
        assert client.get(f"/videos/{video['id']}").json()["status"] == "completed"
        assert client.get(f"/videos/{video['id']}/content").content[4:8] == b"ftyp"
        with socket.create_connection(address(server), timeout=30) as sock, sock.makefile("rb") as stream:
            sock.sendall(get(f"/videos/{video['id']}") + get("/videos/video_unknown"))
            assert [read_answer(stream)[0] for _ in range(2)] == [200, 404]
        assert server.stderr_tail() == ""
