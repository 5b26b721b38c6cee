"""The proxy forwards unchanged, streaming, over real HTTP: headers but the hop-by-hop ones, bodies
byte for byte both ways, the key passed on and never recorded; a target that refuses, hangs or drops
a connection is passed on to the client as it happened, and the record says so."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.loopback import JSONHandler, serving
from tests.proxy.harness import proxy_for

KEY = "sk-proxy-test-0123456789abcdef"
HOP_BY_HOP_SENT = {"Connection": "keep-alive, X-Hop", "Keep-Alive": "timeout=5", "TE": "trailers", "X-Hop": "1",
                   "Proxy-Authorization": "Basic c2VjcmV0"}


class Echo(JSONHandler):
    """Answers every request with what it received: method, path, headers, the body's size and sha256."""

    def _echo(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if not size:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        payload = json.dumps({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                              "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}).encode()
        self.head(200, {"Content-Type": "application/json", "Content-Length": str(len(payload)),
                        "Keep-Alive": "timeout=5", "X-From-Target": "yes"})
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _echo


class Hangs(JSONHandler):
    def do_GET(self) -> None:
        time.sleep(1)  # longer than the client waits


class DropsMidBody(JSONHandler):
    def do_GET(self) -> None:
        self.head(200, {"Content-Type": "video/mp4", "Content-Length": "100000"})
        self.wfile.write(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    with serving(Echo) as url:
        yield url + "/v1"


def through(target: str):
    return proxy_for(target).start()


def test_headers_pass_but_the_hop_by_hop_ones_both_ways(echo):
    proxy = through(echo)
    try:
        with httpx.Client() as client:
            answer = client.get(f"{proxy.url}/videos/video_1?variant=a%2Fb&x=1", headers={
                **HOP_BY_HOP_SENT, "X-Custom": "kept", "Authorization": f"Bearer {KEY}"})
            direct = client.get(f"{echo}/videos/video_1")
    finally:
        proxy.stop()
    seen = {k.lower(): v for k, v in answer.json()["headers"].items()}
    assert seen["x-custom"] == "kept" and seen["authorization"] == f"Bearer {KEY}"  # the key goes to the target
    assert not {"keep-alive", "te", "x-hop", "proxy-authorization"} & set(seen), seen
    assert seen["host"] == echo.split("//")[1].split("/")[0]
    assert answer.json()["path"] == "/v1/videos/video_1?variant=a%2Fb&x=1"  # as the client wrote it
    assert answer.headers["x-from-target"] == "yes" and "keep-alive" not in answer.headers
    # nothing of the proxy's own: the target's Date and Server, or none
    assert answer.headers.get("server") == direct.headers.get("server")
    assert answer.headers.get_list("date") == [answer.headers["date"]]


def test_a_large_upload_streams_through_byte_for_byte_and_is_not_held(echo):
    body = bytes(range(256)) * (8 * 4096)  # 8 MiB
    proxy = through(echo)
    try:
        answer = httpx.post(f"{proxy.url}/videos", files={"input_reference": ("r.png", body, "image/png")},
                            data={"prompt": "x"}, timeout=30)
    finally:
        result = proxy.stop()
    assert answer.status_code == 200 and answer.json()["size"] > len(body)
    recorded = proxy.grader.history.answers[-1]
    assert recorded.exchange.request.body_size == answer.json()["size"]
    assert recorded.case.files[0][:3] == ("input_reference", "r.png", "image/png") and len(recorded.case.files[0][3]) <= 16
    assert "not kept" in recorded.exchange.request.body_excerpt
    assert result.requests_sent == 1


def test_the_key_reaches_the_target_and_nothing_recorded(echo, tmp_path):
    proxy = proxy_for(echo, report_dir=tmp_path).start()
    try:
        httpx.post(f"{proxy.url}/videos?api_key={KEY}", json={"prompt": f"say {KEY}"},
                   headers={"Authorization": f"Bearer {KEY}", "X-Gateway-Token": "tok-abcdef123456",
                            "Cookie": "session=cookie-s3cr3t; theme=dark"})
    finally:
        result = proxy.stop()
    proxy.grader.write(result)
    answer = proxy.grader.history.answers[-1]
    recorded = json.dumps({"request": answer.exchange.request.__dict__, "curl": answer.exchange.curl,
                           "response": answer.exchange.response.__dict__})
    assert KEY not in recorded and "tok-abcdef123456" not in recorded and "cookie-s3cr3t" not in recorded
    assert '"cookie: $COOKIE"' in answer.exchange.curl.lower().replace("$cookie", "$COOKIE")
    assert '"Authorization: Bearer $OPENAI_API_KEY"' in answer.exchange.curl
    assert '"x-gateway-token: $X_GATEWAY_TOKEN"' in answer.exchange.curl.lower().replace('$x_gateway_token', '$X_GATEWAY_TOKEN')
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_bytes()
            assert KEY.encode() not in text and b"tok-abcdef123456" not in text and b"cookie-s3cr3t" not in text, path


def test_a_target_that_refuses_connections_drops_the_clients():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    proxy = through(f"http://127.0.0.1:{port}/v1")
    try:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{proxy.url}/videos", timeout=5)
    finally:
        proxy.stop()
    answer = proxy.grader.history.answers[-1]
    assert not answer.ok and "connection failed" in answer.transport_error


def test_a_target_that_hangs_keeps_the_client_waiting_until_it_gives_up():
    with serving(Hangs) as url:
        proxy = through(url + "/v1")
        try:
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                httpx.get(f"{proxy.url}/videos/video_1", timeout=0.3)
            assert time.monotonic() - started < 2
        finally:
            proxy.stop()
    answer = proxy.grader.history.answers[-1]
    assert not answer.ok and "the client gave up" in answer.transport_error


def test_a_target_that_drops_mid_body_cuts_the_clients_body_there():
    with serving(DropsMidBody) as url:
        proxy = through(url + "/v1")
        try:
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{proxy.url}/videos/video_1/content", timeout=5)
        finally:
            proxy.stop()
    answer = proxy.grader.history.answers[-1]
    assert not answer.ok and "broke the HTTP exchange after" in answer.transport_error


def test_requests_outside_the_api_are_forwarded_not_judged(echo):
    proxy = through(echo)
    try:
        assert httpx.get(f"{proxy.url.rsplit('/v1', 1)[0]}/health").status_code == 200
        assert httpx.get(f"{proxy.url}/models").status_code == 200
    finally:
        result = proxy.stop()
    assert result.requests_sent == 0 and proxy.forwarder.forwarded == 2


def test_a_client_that_leaves_mid_upload_is_forwarded_not_judged_and_grading_goes_on(echo):
    """The target answered nothing to a request it never got whole: nothing to judge of it. (Handed to the
    grader, it ended the grader, and with it every report.)"""
    proxy = through(echo)
    try:
        host, port = proxy.url.split("//")[1].split("/")[0].rsplit(":", 1)
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"POST /v1/videos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100000\r\n\r\n" + b"{" * 1000)
            time.sleep(0.2)  # the proxy has begun to forward it
        time.sleep(0.2)
        assert httpx.get(f"{proxy.url}/videos/video_1").status_code == 200
    finally:
        result = proxy.stop()
    assert result.requests_sent == 1 and proxy.forwarder.forwarded == 2
    assert [a.case.path for a in proxy.grader.history.answers] == ["/videos/video_1"]


class AnswersLate(JSONHandler):
    """Answers after the proxy was told to stop (and its graceful wait is over): before the body, or in it."""

    def do_GET(self) -> None:
        if self.path.endswith("/content"):
            self.head(200, {"Content-Type": "video/mp4", "Content-Length": "100000"})
            self.wfile.write(b"\x00\x00\x00\x18ftypmp42")
            self.wfile.flush()
        time.sleep(1.5)
        self.send_json(200, b'{"id": "video_1"}')


@pytest.mark.parametrize("path", ["/videos/video_1", "/videos/video_1/content"], ids=["before-the-answer", "mid-body"])
def test_a_proxy_stopped_mid_exchange_drops_the_client_invents_no_answer_and_judges_nothing(path, monkeypatch,
                                                                                            capfd):
    """The proxy's own end is not the target's answer: the client's connection is dropped (as when the target
    drops it), never answered with a 500 of uvicorn's, no traceback logged, nothing judged."""
    import threading

    from contracts.proxy import serve

    monkeypatch.setattr(serve, "GRACEFUL_SECONDS", 0.2)
    got: list[object] = []
    with serving(AnswersLate) as url:
        proxy = through(url + "/v1")

        def client() -> None:
            try:
                got.append(httpx.get(f"{proxy.url}{path}", timeout=5).status_code)
            except httpx.HTTPError as exc:
                got.append(exc)

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(0.3)  # the request is in flight
        proxy.stop()
        thread.join()
    assert isinstance(got[0], httpx.TransportError), got
    assert not proxy.grader.history.answers
    assert "Traceback" not in capfd.readouterr().err


def test_an_exchange_the_grader_cannot_take_is_counted_and_grading_goes_on(echo, monkeypatch):
    """A defect of the kit on one exchange (here made to happen) costs that exchange, not the grading of
    every later one and the reports at the end; it is counted on the live line and said at the end."""
    proxy = through(echo)
    case = proxy.grader.intent.case

    def breaks_on_one(request, history):
        if request.path.endswith("/video_broken"):
            raise KeyError("a defect")
        return case(request, history)

    monkeypatch.setattr(proxy.grader.intent, "case", breaks_on_one)
    try:
        assert httpx.get(f"{proxy.url}/videos/video_broken").status_code == 200
        assert httpx.get(f"{proxy.url}/videos/video_1").status_code == 200
    finally:
        result = proxy.stop()
    assert [a.case.path for a in proxy.grader.history.answers] == ["/videos/video_1"]
    assert result.requests_sent == 1 and proxy.grader.stats.grading_failed == 1
    assert proxy.grader.note() == ("exchanges forwarded but not graded: 1 the grader could not take, a defect of the "
                                   "kit (the first: GET /videos/video_broken: KeyError: 'a defect')")
