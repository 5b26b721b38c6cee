"""The suite's client against real misbehaving servers on loopback: it never hangs, never reads
without end, retries 429 within the budget, and never records the key."""

from __future__ import annotations

import socket
import time

import pytest

from contracts.client import REDACTED, Client, ClientOptions
from contracts.options import RunOptions
from contracts.types import BODY_FILE
from contracts.failures import RunAborted
from tests.loopback import JSONHandler, closed_after, serving

KEY = "sk-test-" + "k" * 40


class Handler(JSONHandler):
    hits: dict[str, int] = {}

    def do_GET(self):
        Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        route = self.path.split("?")[0]
        if route == "/v1/endless":
            self.head(200, {"Content-Type": "application/json"})
            try:
                while True:
                    self.wfile.write(b"[" * 65536)
            except OSError:
                return
        if route == "/v1/hang":
            time.sleep(5)
            return
        if route == "/v1/cut":
            self.head(200, {"Content-Length": "1000"})
            self.wfile.write(b'{"id": "vid')
            self.close_connection = True
            return
        if route == "/v1/limited" and Handler.hits[self.path] == 1:
            self.send_json(429, b'{"error": {"message": "slow down", "type": "rate_limit", "param": null, "code": null}}',
                       {"Retry-After": "0"})
            return
        self.send_json(200, b'{"echo": "%s"}' % self.headers.get("Authorization", "").encode())



@pytest.fixture(scope="module")
def server():
    with serving(Handler) as url:
        yield f"{url}/v1"


@pytest.fixture
def client(request):
    def make(base_url: str, **options) -> Client:
        limits = {k: options.pop(k) for k in ("body_cap", "connect_timeout", "max_retries", "max_retry_after")
                  if k in options}
        return closed_after(request, Client(RunOptions(base_url=base_url, api_key=KEY, **options), ClientOptions(**limits)))

    return make


def test_an_endless_body_is_cut_at_the_cap(server, client):
    response = client(server, body_cap=100_000, request_timeout=5).request("GET", "/endless")
    assert response.truncated and len(response.body) == 100_000


def test_a_hanging_server_times_out(server, client):
    response = client(server, request_timeout=0.5).request("GET", "/hang")
    assert not response.ok and "0.5 s" in response.transport_error


def test_a_body_cut_short_is_a_transport_error(server, client):
    response = client(server).request("GET", "/cut")
    assert not response.ok and "broke" in response.transport_error


def test_nothing_listening_is_a_connect_failure(client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    response = client(f"http://127.0.0.1:{port}/v1").request("GET", "/videos")
    assert response.connect_failed


def test_429_is_retried_after_retry_after(server, client):
    response = client(server).request("GET", "/limited")
    assert response.status == 200 and [r.status for r in response.retried] == [429]


def test_the_budget_stops_requests(server, client):
    spent = client(server, budget_seconds=0)
    with pytest.raises(RunAborted, match="budget"):
        spent.request("GET", "/anything")


def test_the_key_is_never_recorded(server, client):
    response = client(server).request("GET", "/echo", content=f"key={KEY}".encode())
    recorded = repr(response.exchange)
    assert KEY not in recorded
    assert REDACTED in response.exchange.request.headers["authorization"]
    assert "$OPENAI_API_KEY" in response.exchange.curl and KEY not in response.exchange.curl
    assert KEY in response.body.decode()  # the server really got it: only the record is redacted


@pytest.mark.parametrize(("auth", "header"), [
    (True, '-H "Authorization: Bearer $OPENAI_API_KEY"'),
    ("sk-videos-contract-wrong-key", "-H 'Authorization: Bearer sk-videos-contract-wrong-key'"),
], ids=["the-runs-key", "a-wrong-key"])
def test_curl_sends_the_key_the_request_sent(server, client, auth, header):
    """The run's key is $OPENAI_API_KEY in a reproduction; the auth probe's wrong key is itself
    (sending $OPENAI_API_KEY there would reproduce nothing: it is the right key)."""
    response = client(server).request("GET", "/echo", auth=auth)
    assert header in response.exchange.curl and response.exchange.curl.count("Authorization") == 1
    assert KEY not in response.exchange.curl


def test_curl_reads_large_bodies_from_a_file(server, client):
    body = ("é" * 32000).encode()
    response = client(server).request("GET", "/echo", content=body)
    assert response.exchange.curl.endswith(f"--data-binary @{BODY_FILE}")
    assert response.exchange.body == body  # written beside the report as requests/NNN.bin


def test_curl_reads_multipart_bodies_from_a_file_with_their_content_type(server, client):
    body = b'--b\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na\r\n--b--\r\n'
    response = client(server).request("POST", "/echo", content=body,
                                      headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert "-H 'Content-Type: multipart/form-data; boundary=b'" in response.exchange.curl
    assert response.exchange.curl.endswith(f"--data-binary @{BODY_FILE}") and response.exchange.body == body
