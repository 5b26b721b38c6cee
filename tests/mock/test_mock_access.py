"""The reference server as gateways and Azure make it: headers it routes by (--require-header) and
the key in a header of its own (--api-key-header), in process; over real HTTP in
tests/test_cli_access.py."""

from __future__ import annotations

import pytest
from mock_helpers import call

from contracts.mock import MockConfig, create_app

KEY = "sk-access-test-key"
ROUTING = {"X-Route": "videos", "X-Tenant": "t1"}


@pytest.fixture(scope="module")
def gateway():
    return create_app(MockConfig(api_key=KEY, api_key_header="api-key", require_headers=tuple(ROUTING), job_seconds=0))


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({**ROUTING, "api-key": KEY}, 200, None),
    ({"X-Route": "videos", "api-key": KEY}, 400, "missing_required_header"),
    ({**ROUTING, "X-Tenant": " ", "api-key": KEY}, 400, "missing_required_header"),
    ({**ROUTING}, 401, "invalid_api_key"),
    ({**ROUTING, "api-key": "sk-wrong"}, 401, "invalid_api_key"),
    ({**ROUTING, "Authorization": f"Bearer {KEY}"}, 401, "invalid_api_key"),  # only the named header carries it
], ids=["everything", "a-routing-header-missing", "a-routing-header-blank", "no-key", "wrong-key",
        "key-as-bearer"])
def test_a_request_needs_the_routing_headers_then_the_key_in_its_header(gateway, headers, status, code):
    response = call(gateway, "GET", "/videos", params={"limit": 1}, headers=headers)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code


def test_the_missing_header_is_named(gateway):
    response = call(gateway, "GET", "/videos", headers={"X-Route": "videos", "api-key": KEY})
    assert response.json()["error"]["param"] == "X-Tenant"
    assert "X-Tenant" in response.json()["error"]["message"]


def test_the_missing_key_says_which_header_takes_it(gateway):
    message = call(gateway, "GET", "/videos", headers=ROUTING).json()["error"]["message"]
    assert "api-key: YOUR_KEY" in message


@pytest.mark.parametrize(("args", "message"), [
    (["--api-key-header", "api-key"], "--api-key-header needs --api-key"),
    (["--api-key", KEY, "--api-key-header", "api key"], "--api-key-header: 'api key' is not a header name"),
    (["--require-header", "X Route"], "--require-header: 'X Route' is not a header name"),
], ids=["key-header-without-key", "bad-key-header", "bad-required-header"])
def test_bad_access_options_are_one_line_and_exit_2(args, message, capsys):
    # in process (the same main() as the command): the options are checked before the socket is bound
    from contracts.mock.cli import main

    assert main(["--port", "0", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"videos-contract mock: error: {message}") and len(err.splitlines()) == 1
