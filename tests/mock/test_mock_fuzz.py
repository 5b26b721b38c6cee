"""Any JSON object sent to an operation with a body is answered, never with a 500, and leaves the
server able to list its videos: hypothesis draws objects from the documented field names and
arbitrary ones, with values of every JSON type, strings included with lone UTF-16 surrogates
(which json.dumps writes as \\u escapes). Schemathesis' own fuzzing (benchmarks/fuzz_mock.py)
never draws a surrogate; a lone one was a 500 that broke every later list. The same for multipart
bodies, whose text parts are sent as drawn (a lone surrogate as its invalid UTF-8 bytes) and whose
files are a real MP4, an image or random bytes."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_helpers import call, image_bytes, multipart

from contracts.mock import MockConfig, create_app
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

