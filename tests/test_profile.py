"""A profile's [headers], api_key_header, include and exclude: read as their options are, or a
one-line ProfileError naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.profile import ProfileError, load_profile, parse_profile

ROOT = Path(__file__).resolve().parents[1]


def test_a_profile_says_what_the_server_needs_and_which_clauses_to_judge():
    profile = parse_profile({"name": "gateway", "headers": {"X-Route": "videos", "X-Tenant": "t1"},
                             "api_key_header": "api-key", "include": ["create.*", "list.*"],
                             "exclude": ["create.unknown-*"]})
    assert profile.headers == {"X-Route": "videos", "X-Tenant": "t1"}
    assert profile.api_key_header == "api-key"
    assert (profile.include, profile.exclude) == (("create.*", "list.*"), ("create.unknown-*",))


def test_the_azure_example_sends_the_key_in_api_key():
    assert load_profile(str(ROOT / "profiles" / "azure-sora2.toml")).api_key_header == "api-key"


@pytest.mark.parametrize(("data", "message"), [
    ({"headers": ["X-Route: v"]}, "p.toml: [headers] must be a table of header names to string values"),
    ({"headers": {"X-Route": 3}}, "p.toml: 'headers.X-Route' must be a string (write \"3\")"),
    ({"headers": {"X Route": "v"}}, "p.toml: 'headers.X Route': 'X Route' is not a header name"),
    ({"headers": {"Authorization": "Bearer x"}}, "p.toml: --header Authorization: the key goes in --api-key"),
    ({"api_key_header": 7}, "p.toml: 'api_key_header' must be a header name such as \"api-key\""),
    ({"api_key_header": "api-key", "headers": {"api-key": "x"}}, "p.toml: --header api-key: the key goes in"),
    ({"include": "create.*"}, "p.toml: 'include' must be a non-empty list of strings"),
    ({"exclude": ["teleport.*"]}, "p.toml: 'exclude' 'teleport.*' matches no clause"),
], ids=["headers-not-a-table", "header-not-a-string", "bad-header-name", "authorization-header", "key-header-not-a-name",
        "key-in-headers", "include-not-a-list", "exclude-matches-nothing"])
def test_a_bad_key_is_one_line_naming_the_file(data, message):
    with pytest.raises(ProfileError) as info:
        parse_profile({"name": "p", **data}, Path("p.toml"))
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
