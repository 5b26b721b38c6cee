"""Any JSON object sent to an operation with a body is answered, never with a 500, and leaves the
server able to list its videos: hypothesis draws objects from the documented field names and
arbitrary ones, with values of every JSON type, strings included with lone UTF-16 surrogates
(which json.dumps writes as \\u escapes). Schemathesis' own fuzzing (benchmarks/fuzz_mock.py)
never draws a surrogate; a lone one was a 500 that broke every later list. The same for multipart
bodies, whose text parts are sent as drawn (a lone surrogate as its invalid UTF-8 bytes) and whose
files are a real MP4, an image or random bytes."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_helpers import call, image_bytes, multipart

from contracts.mock import MockConfig, create_app
from contracts.mock.control import load_document
from contracts.rules import BODY_OPERATIONS, JSON, MULTIPART, Rules

RULES = Rules.from_spec()
# Awkward characters often (halves of a surrogate pair, NUL, an emoji, a line separator), any one sometimes
AWKWARD = st.sampled_from(["\ud83c", "\udfac", "\x00", "\U0001f3ac", "\u2028", "a"])
# (lists, not st.text: text() draws uniformly from the union of its alphabet, losing the weights)
TEXT = st.lists(st.one_of(AWKWARD, st.characters(codec=None, exclude_categories=())), max_size=12).map("".join)
UTF8_TEXT = st.lists(st.one_of(st.sampled_from(["\x00", "\U0001f3ac", "\u2028", "a"]), st.characters(codec="utf-8")),
                     max_size=12).map("".join)
LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                      max_leaves=8)
JSON_OPERATIONS = [op for op in BODY_OPERATIONS if JSON in RULES.request_schemas[op]]  # characters take no JSON
# Every field a JSON body documents, whatever its operation: each is drawn for every operation.
FIELDS = sorted({name for op in JSON_OPERATIONS for name in RULES.spec.properties(RULES.request_schemas[op][JSON])})


@pytest.fixture(scope="module")
def app():
    app = create_app(MockConfig(job_seconds=0))
    source = call(app, "POST", "/videos", json={"prompt": "source"}).json()["id"]
    app.state.source = source
    return app


def assert_answered_without_a_500(app, assert_schema, response) -> None:
    """A documented answer (an envelope unless 200), and the server still lists its videos."""
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code != 200:
        assert_schema("ErrorResponse", response.json())
    assert call(app, "GET", "/videos", params={"limit": 1}).status_code == 200


def bodies(source: str):
    video = st.sampled_from([source, "video_missing"]).map(lambda i: {"id": i}) | VALUES
    documented = st.fixed_dictionaries({}, optional={name: (video if name == "video" else VALUES) for name in FIELDS})
    return st.builds(lambda known, extra: {**extra, **known}, documented, st.dictionaries(TEXT, VALUES, max_size=2))


@pytest.mark.slow  # hypothesis draws a hundred bodies per operation (a second each)
@pytest.mark.parametrize("operation", JSON_OPERATIONS, ids=[f"{m} {p}" for m, p in JSON_OPERATIONS])
def test_any_json_object_is_answered_without_a_500(app, assert_schema, operation):
    method, template = operation

    @settings(max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bodies(app.state.source))
    def check(body):
        path = template.format(video_id=app.state.source)
        response = call(app, method, path, content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        assert_answered_without_a_500(app, assert_schema, response)

    check()


MULTIPART_OPERATIONS = [op for op in BODY_OPERATIONS if MULTIPART in RULES.request_schemas[op]]
FILES = st.sampled_from([(resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes(),
                         image_bytes((720, 1280)), b"", b"\x00\xff" * 40])


def parts(operation: tuple[str, str], source: str):
    """The operation's own fields, each at most once (in any order), and now and then another."""
    usual = st.sampled_from([source, "video_missing", "4", "8", "720x1280", "sora-2", "Mossy"])
    text = usual | UTF8_TEXT | TEXT  # TEXT's lone surrogates make the whole body unreadable: a third of the time
    value = text | st.builds(lambda data: ("f.bin", data, "application/octet-stream"), FILES)
    names = list(RULES.spec.properties(RULES.request_schemas[operation][MULTIPART]))
    own = st.fixed_dictionaries({}, optional={name: value for name in names}).map(lambda d: list(d.items()))
    other = st.lists(st.tuples(st.sampled_from(names) | st.text("abz_[]", min_size=1, max_size=6), value), max_size=1)
    return st.builds(lambda a, b: a + b, own, other).flatmap(st.permutations)


@pytest.mark.parametrize("operation", MULTIPART_OPERATIONS, ids=[f"{m} {p}" for m, p in MULTIPART_OPERATIONS])
def test_any_multipart_body_is_answered_without_a_500(app, assert_schema, operation):
    method, template = operation

    @settings(max_examples=100, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(parts(operation, app.state.source))
    def check(fields):
        body, content_type = multipart(fields)
        response = call(app, method, template.format(video_id=app.state.source), content=body,
                        headers={"content-type": content_type})
        assert_answered_without_a_500(app, assert_schema, response)

    check()



# ---- the control routes ----------------------------------------------------------------------------
CONTROL = load_document()
CONTROL_ROUTES = [(method.upper(), path) for path, item in CONTROL.document["paths"].items() for method in item]
ASCII = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
BODY_FIELDS = sorted({name for schema in CONTROL.document["components"]["schemas"].values()
                      for name in schema.get("properties", {})})


@pytest.fixture(scope="module")
def control_app():
    app = create_app(MockConfig(job_seconds=1, clock="manual", namespaces="header"))
    app.state.source = call(app, "POST", "/videos", json={"prompt": "source"}).json()["id"]
    return app


def control_requests(source: str):
    """A request to the control routes: a documented route or a near miss, any method, a query, a
    namespace header, and a body: a JSON value with the documented field names (values of any type,
    known fault names among them) or raw bytes."""
    video = st.sampled_from([source, "video_missing"]) | ASCII.filter(lambda s: "/" not in s and s not in ("", ".", ".."))
    path = st.builds(lambda route, vid, tail: route[1].replace("{video_id}", vid) + tail, st.sampled_from(CONTROL_ROUTES),
                     video, st.sampled_from(["", "", "", "/", "/x"]))
    method = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
    fault_names = st.lists(st.sampled_from(["seconds-integer", "extra-fields", "no-such-fault"]) | TEXT, max_size=3)
    known = st.fixed_dictionaries({}, optional={name: VALUES | fault_names | st.integers(-5, 200) for name in BODY_FIELDS})
    body = (st.builds(lambda known, extra: json.dumps({**extra, **known}).encode(), known,
                      st.dictionaries(TEXT, VALUES, max_size=1))
            | VALUES.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=20))
    query = st.dictionaries(st.sampled_from(["method", "path", "limit"]) | ASCII, ASCII, max_size=2)
    namespace = st.none() | ASCII
    return st.tuples(method, path, query, namespace, body)


@pytest.mark.slow  # a hundred drawn requests (seconds)
def test_any_request_to_the_control_routes_is_answered_without_a_500(control_app, assert_schema):
    @settings(max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(control_requests(control_app.state.source))
    def check(drawn):
        method, path, query, namespace, body = drawn
        headers = {"content-type": "application/json"} | ({"x-videos-mock-namespace": namespace} if namespace else {})
        response = call(control_app, method, "http://mock" + path, params=query, content=body, headers=headers)
        assert response.status_code < 500, response.text
        if method != "HEAD":
            if response.status_code >= 400:
                assert_schema("ErrorResponse", response.json())
            route = next((t for m, t in CONTROL_ROUTES
                          if m == ("GET" if method == "HEAD" else method)
                          and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", t), path)), None)
            if route is not None:
                assert CONTROL.status_is_documented(method, route, response.status_code), (path, response.status_code)
        call(control_app, "POST", "http://mock/_mock/reset")  # the next draw starts from a server as new
        control_app.state.source = call(control_app, "POST", "/videos", json={"prompt": "source"}).json()["id"]
        assert call(control_app, "GET", "/videos", params={"limit": 1}).status_code == 200

    check()


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)


def test_any_fault_or_persona_header_is_answered_without_a_500(control_app, assert_schema):
    known = st.sampled_from(["seconds-integer", "extra-fields", "sglang", "nope"])
    names = st.lists(known | HEADER_TEXT, max_size=3).map(",".join)

    @settings(max_examples=100, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({}, optional={"x-videos-mock-fault": names, "x-videos-mock-persona": known | HEADER_TEXT,
                                               "x-videos-mock-namespace": HEADER_TEXT}))
    def check(headers):
        encoded = [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
        response = call(control_app, "POST", "/videos", json={"prompt": "p"}, headers=encoded)
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            assert_schema("ErrorResponse", response.json())
            assert response.json()["error"]["code"] in ("unknown_fault", "unknown_persona")

    check()
