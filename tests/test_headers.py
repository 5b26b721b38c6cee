"""contracts/headers.py: the headers a user adds, the key's header, which names are secret."""

from __future__ import annotations

import pytest

from contracts import headers
from contracts.options import RunOptions


@pytest.mark.parametrize(("text", "parsed"), [
    ("X-Route: videos", ("X-Route", "videos")),
    ("  X-Route  :  a: b  ", ("X-Route", "a: b")),  # a value may hold a colon
    ("X-Empty:", ("X-Empty", "")),
], ids=["plain", "colon-in-value", "empty-value"])
def test_a_header_is_parsed(text, parsed):
    assert headers.parse_header(text) == parsed


@pytest.mark.parametrize(("text", "message"), [
    ("X-Route videos", "--header takes 'Name: Value', got 'X-Route videos'"),
    ("X Route: v", "--header: 'X Route' is not a header name"),
    (": v", "--header: '' is not a header name"),
    ("X-Route: a\nb", "--header X-Route: the value holds a line break or NUL"),
], ids=["no-colon", "space-in-name", "no-name", "line-break"])
def test_a_bad_header_is_one_line(text, message):
    with pytest.raises(ValueError) as info:
        headers.parse_header(text)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "secret"), [
    ("Authorization", True), ("Proxy-Authorization", True), ("api-key", True), ("X-API-Key", True),
    ("X-Gateway-Token", True), ("X-Client-Secret", True), ("Cookie", True), ("Set-Cookie", True),
    ("X-Route", False), ("X-Tenant", False), ("Content-Type", False), ("OpenAI-Organization", False),
])
def test_secret_names(name, secret):
    assert headers.is_secret_header(name) is secret


def test_later_layers_win_by_name_whatever_the_case():
    assert headers.merge({"X-Route": "a", "X-Keep": "k"}, [("x-route", "b")]) == {"X-Keep": "k", "x-route": "b"}


@pytest.mark.parametrize(("given", "key_header", "message"), [
    ({"Authorization": "Bearer x"}, None, "--header Authorization: the key goes in --api-key"),
    ({"api-key": "x"}, "api-key", "--header api-key: the key goes in --api-key (or OPENAI_API_KEY), sent as api-key: KEY"),
    ({"Authorization": "x"}, "api-key", "--header Authorization: the key goes in --api-key"),
    ({"content-type": "text/plain"}, None, "--header content-type: set by the kit on each request"),
], ids=["authorization", "the-key-header", "authorization-with-a-key-header", "content-type"])
def test_headers_the_kit_sets_itself_are_refused(given, key_header, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        headers.check_headers(given, key_header)


def test_request_headers_put_the_key_where_the_target_takes_it():
    plain = RunOptions(base_url="http://h/v1", api_key="sk-k", headers={"X-Route": "v"})
    azure = RunOptions(base_url="http://h/v1", api_key="sk-k", headers={"X-Route": "v"}, api_key_header="api-key")
    assert plain.request_headers() == {"X-Route": "v", "Authorization": "Bearer sk-k"}
    assert azure.request_headers() == {"X-Route": "v", "api-key": "sk-k"}
    # the auth clauses: without a key, and with a wrong one, in the same header
    assert azure.request_headers(None) == {"X-Route": "v"}
    assert azure.request_headers("sk-wrong") == {"X-Route": "v", "api-key": "sk-wrong"}


def test_a_report_records_a_secret_header_by_the_variable_its_curl_reads():
    options = RunOptions(base_url="http://h/v1", headers={"X-Route": "v", "X-Gateway-Token": "t0ps3cr3t"})
    assert options.recorded()["headers"] == {"X-Route": "v", "X-Gateway-Token": "$X_GATEWAY_TOKEN"}
