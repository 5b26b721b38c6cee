"""Preflight: a target that is not a Videos API at the base URL is a setup error with its fix, said
once (exit code 2), not a run of every clause failing for the same reason. Real servers on loopback."""

from __future__ import annotations

import json

import pytest

from contracts.client import Client
from contracts.failures import SetupError
from contracts.options import RunOptions
from contracts.preflight import preflight
from tests.loopback import JSONHandler, serving


class CatchAll404(JSONHandler):
    """A server answering 404 to everything (a proxy with no route, another application)."""

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_json(404, b'{"detail": "Not Found"}')

    do_GET = do_POST = do_DELETE = answer


class NoListRoute(CatchAll404):
    """A Videos API without the list route: create answers, list is 404."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path == "/v1/videos":
            self.send_json(400, json.dumps({"error": {"message": "bad json", "type": "invalid_request_error",
                                                      "param": None, "code": None}}).encode())
        else:
            self.send_json(404, b"{}")


def check(base_url: str) -> None:
    client = Client(RunOptions(base_url=base_url, budget_seconds=30))
    try:
        preflight(client)
    finally:
        client.close()


def test_a_base_url_without_v1_says_did_you_mean(mock_url):
    root = mock_url.removesuffix("/v1")
    with pytest.raises(SetupError) as raised:
        check(root)
    message = str(raised.value)
    assert f"every route of the Videos API answers 404 at {root}" in message
    assert f"did you mean {root}/v1?" in message and "it answers there" in message
    assert "\n" not in message


@pytest.mark.parametrize("path", ["", "/v1"], ids=["without-v1", "with-v1"])
def test_a_server_answering_404_to_everything_is_not_graded(path):
    with serving(CatchAll404) as root:
        with pytest.raises(SetupError) as raised:
            check(root + path)
    message = str(raised.value)
    assert "every route of the Videos API answers 404" in message
    if path:
        assert "check --base-url: it is the API root" in message
    else:
        assert f"did you mean {root}/v1?" in message and "answers there" not in message


def test_a_server_lacking_only_the_list_route_is_graded(tmp_path):
    with serving(NoListRoute) as root:
        check(root + "/v1")  # no error: list.* clauses report the missing route


def test_the_right_base_url_passes(mock_url):
    check(mock_url)
