"""Routing of the reference server over real HTTP: every unknown route is 404 with the envelope,
405 (with the envelope and ``Allow``) only for a route of the spec asked with a method it does
not document. The routes and their methods are read from spec/openapi.yaml, not restated."""

from __future__ import annotations

import re

import httpx
import pytest

from contracts.spec import load_spec

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SPEC_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ROUTES = {
    path: sorted(m.upper() for m in item if m in SPEC_METHODS)
    for path, item in load_spec().document["paths"].items()
}


def concrete(template: str) -> str:
    """A path of the route with every parameter filled in (``{video_id}`` -> ``video_x``)."""
    return re.sub(r"\{(\w+?)(?:_id)?\}", lambda m: f"{m[1]}_x", template)


WRONG_METHODS = [(method, path, documented) for path, documented in ROUTES.items()
                 for method in HTTP_METHODS if method not in documented]

UNKNOWN = [
    ("GET", "/nope"),
    ("GET", "/images"),
    ("GET", "/videos/a/b/c"),
    ("GET", "/videos/video_x/thumbnail"),
    ("GET", "/videos/video_x/content/extra"),
    ("GET", "/videos/video_x/remix/extra"),
    ("POST", "/videos/edits/video_x"),
    ("GET", "/videos/edits/video_x"),
    ("POST", "/videos/extensions/video_x"),
    ("GET", "/videos/characters/char_x/video"),
    ("GET", "/videos/characters/"),  # an empty character id
    ("GET", "/videos/characters//"),
    ("POST", "/videos/"),  # trailing slashes: never redirected, never another route
    ("GET", "/videos/video_x/"),
    ("POST", "/videos/edits/"),
    ("POST", "/videos/extensions/"),
    ("POST", "/videos/characters/"),
    ("GET", "/videos/characters/char_x/"),
    ("GET", "/videos/video_x/content/"),
    ("POST", "/videos/video_x/remix/"),
    ("GET", "/videos//content"),  # an empty video id
    ("GET", "/VIDEOS"),
    ("OPTIONS", "/nope"),
    ("DELETE", "/videos/characters/char_x/video"),
]
# Outside the /v1 prefix (the base URL without it)
WRONG_PREFIX = ["/videos", "/v2/videos", "/", "/v1", "/v1/", "/v1//videos", "/api/v1/videos"]


def origin(mock_url: str) -> str:
    return mock_url.rsplit("/v1", 1)[0]


def assert_envelope(response: httpx.Response, assert_schema, status: int, code: str) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert_schema("ErrorResponse", body)
    assert body["error"]["code"] == code, body
    return body["error"]


@pytest.mark.parametrize(("method", "path"), UNKNOWN, ids=[f"{m} {p}" for m, p in UNKNOWN])
def test_an_unknown_route_is_404_with_the_envelope(http, assert_schema, method, path):
    error = assert_envelope(http.request(method, path), assert_schema, 404, "unknown_url")
    assert error["message"] == f"Invalid URL ({method} /v1{path})."
    assert http.head(path).status_code == 404


@pytest.mark.parametrize("path", WRONG_PREFIX)
def test_a_path_outside_the_base_url_is_404_with_the_envelope(mock_url, assert_schema, path):
    with httpx.Client(base_url=origin(mock_url), timeout=10) as client:
        assert_envelope(client.get(path), assert_schema, 404, "unknown_url")


@pytest.mark.parametrize(("method", "path", "documented"), WRONG_METHODS,
                         ids=[f"{m} {p}" for m, p, _ in WRONG_METHODS])
def test_a_method_the_spec_does_not_document_is_405_with_allow(http, assert_schema, method, path, documented):
    response = http.request(method, concrete(path))
    assert_envelope(response, assert_schema, 405, "method_not_allowed")
    allowed = sorted({*documented, *(["HEAD"] if "GET" in documented else [])})
    assert response.headers["allow"] == ", ".join(allowed)


@pytest.mark.parametrize(("method", "path"), [(m, p) for p, methods in ROUTES.items() for m in methods],
                         ids=[f"{m} {p}" for p, methods in ROUTES.items() for m in methods])
def test_every_documented_operation_is_routed(http, method, path):
    """Each operation reaches its handler: whatever it answers (a 404 for an id that does not
    exist, a 400 for an empty body), it is never the router's 404 or 405."""
    response = http.request(method, concrete(path))
    assert response.status_code != 405
    if response.status_code == 404:
        assert response.json()["error"]["code"] != "unknown_url"
