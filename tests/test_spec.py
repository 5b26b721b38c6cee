"""The spec itself: a valid OpenAPI 3.1 document, load_spec's clean errors on bad files, and what it
promises for edits, extensions and characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from contracts.rules import CREATE, CREATE_CHARACTER, EDIT, EXTEND, GET_CHARACTER, JSON, MULTIPART, REMIX, RETRIEVE
from contracts.spec import SpecError, default_spec_path, load_spec


def test_the_spec_is_valid_openapi_3_1(spec):
    assert str(spec.document["openapi"]).startswith("3.1")
    validate(spec.document)


def test_the_validator_catches_a_broken_document(spec):
    broken = {**spec.document, "paths": {"/videos": {"get": {"responses": "nope"}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_the_default_path_is_the_repository_spec():
    assert default_spec_path().name == "openapi.yaml"
    assert default_spec_path().exists()


def test_core_schemas_compile(spec):
    for name in ("Video", "VideoList", "DeletedVideo", "ErrorResponse", "CreateVideoRequest", "CreateVideoMultipartRequest", "RemixVideoRequest"):
        assert isinstance(spec.validator(name).errors({}), list)


@pytest.mark.parametrize(
    "text,reason",
    [
        (None, "cannot read"),
        ("openapi: 3.1.0\npaths: {\n", "not valid YAML"),
        ("openapi: 3.0.3\npaths: {}\ncomponents: {}\n", "not an OpenAPI 3.1"),
        ("- just\n- a list\n", "not an OpenAPI 3.1"),
        ("", "not an OpenAPI 3.1"),
        ("openapi: 3.1.0\ncomponents: {}\n", "no 'paths'"),
        ("openapi: 3.1.0\npaths: {}\ncomponents: {schemas: {}}\n", "no schema"),
    ],
    ids=["missing-file", "broken-yaml", "openapi-3.0", "a-list", "empty", "no-paths", "no-schemas"],
)
def test_load_spec_errors_are_spec_errors(tmp_path: Path, text, reason):
    path = tmp_path / "openapi.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=reason) as caught:
        load_spec(path)
    assert "\n" not in str(caught.value), "one line"
    assert caught.value.__cause__ is None or isinstance(caught.value.__cause__, SpecError)


def test_load_spec_reports_a_schema_that_does_not_compile(tmp_path: Path, spec):
    import yaml

    document = {**spec.document, "components": {**spec.document["components"]}}
    document["components"]["schemas"] = {**document["components"]["schemas"], "Video": {"type": "no-such-type"}}
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(SpecError, match="Video"):
        load_spec(path)


# ---- edits, extensions and characters: what the spec promises a server must accept and refuse --
SOURCE_ID = {"id": "video_1"}
# (id, operation, media type, body, valid?): the source by id (JSON) or as a file or video[id]
# (multipart), each required field left out, the character name at and beyond its limits.
REQUESTS = [
    ("edit-json-by-id", EDIT, JSON, {"video": SOURCE_ID, "prompt": "x"}, True),
    ("edit-json-no-video", EDIT, JSON, {"prompt": "x"}, False),
    ("edit-json-no-prompt", EDIT, JSON, {"video": SOURCE_ID}, False),
    ("edit-json-video-without-id", EDIT, JSON, {"video": {}, "prompt": "x"}, False),
    ("edit-multipart-file", EDIT, MULTIPART, {"video": "<bytes>", "prompt": "x"}, True),
    ("edit-multipart-video[id]", EDIT, MULTIPART, {"video[id]": "video_1", "prompt": "x"}, True),
    ("edit-multipart-no-prompt", EDIT, MULTIPART, {"video": "<bytes>"}, False),
    ("extend-json-by-id", EXTEND, JSON, {"video": SOURCE_ID, "prompt": "x", "seconds": "4"}, True),
    ("extend-json-no-seconds", EXTEND, JSON, {"video": SOURCE_ID, "prompt": "x"}, False),
    ("extend-json-seconds-integer", EXTEND, JSON, {"video": SOURCE_ID, "prompt": "x", "seconds": 4}, False),
    ("extend-json-no-prompt", EXTEND, JSON, {"video": SOURCE_ID, "seconds": "4"}, False),
    ("extend-json-no-video", EXTEND, JSON, {"prompt": "x", "seconds": "4"}, False),
    ("extend-multipart-file", EXTEND, MULTIPART, {"video": "<bytes>", "prompt": "x", "seconds": "8"}, True),
    ("extend-multipart-no-seconds", EXTEND, MULTIPART, {"video[id]": "video_1", "prompt": "x"}, False),
    ("character-name-1", CREATE_CHARACTER, MULTIPART, {"video": "<bytes>", "name": "M"}, True),
    ("character-name-80", CREATE_CHARACTER, MULTIPART, {"video": "<bytes>", "name": "N" * 80}, True),
    ("character-name-empty", CREATE_CHARACTER, MULTIPART, {"video": "<bytes>", "name": ""}, False),
    ("character-name-81", CREATE_CHARACTER, MULTIPART, {"video": "<bytes>", "name": "N" * 81}, False),
    ("character-no-video", CREATE_CHARACTER, MULTIPART, {"name": "M"}, False),
    ("character-no-name", CREATE_CHARACTER, MULTIPART, {"video": "<bytes>"}, False),
]


@pytest.mark.parametrize(("operation", "media_type", "body", "valid"), [r[1:] for r in REQUESTS],
                         ids=[r[0] for r in REQUESTS])
def test_new_request_bodies(spec, operation, media_type, body, valid):
    schema = spec.request_schema_name(*operation, media_type)
    assert spec.validator(schema).is_valid(body) is valid, spec.validator(schema).errors(body)


def test_new_operations_take_the_documented_media_types(spec):
    """Edits and extensions as JSON and multipart; characters multipart only (as the SDK sends them)."""
    media = {op: list(spec.operation(*op)["requestBody"]["content"]) for op in (EDIT, EXTEND, CREATE_CHARACTER)}
    assert {op: set(types) for op, types in media.items()} == {EDIT: {JSON, MULTIPART}, EXTEND: {JSON, MULTIPART},
                                                               CREATE_CHARACTER: {MULTIPART}}


# each new operation declares the errors of the existing operation it resembles
@pytest.mark.parametrize(("new", "like"), [(EDIT, REMIX), (EXTEND, REMIX), (CREATE_CHARACTER, CREATE),
                                           (GET_CHARACTER, RETRIEVE)], ids=["edits", "extensions", "create-character",
                                                                            "get-character"])
def test_new_operations_declare_errors_like_the_others(spec, new, like):
    assert spec.documented_statuses(*new) == spec.documented_statuses(*like)
    for status in (s for s in spec.documented_statuses(*new) if s[0] in "45"):
        assert spec.response_schema_name(*new, int(status.replace("XX", "00"))) == "ErrorResponse", status


@pytest.mark.parametrize(("operation", "schema"), [(EDIT, "Video"), (EXTEND, "Video"),
                                                   (CREATE_CHARACTER, "VideoCharacter"), (GET_CHARACTER, "VideoCharacter")],
                         ids=["edits", "extensions", "create-character", "get-character"])
def test_new_operations_answer_their_schema(spec, operation, schema):
    assert spec.response_schema_name(*operation, 200) == schema


def test_an_extension_video_may_report_any_stitched_total(spec):
    """A Video's seconds is any string: an extension of 12 s by 8 s reports "20", outside the create enum."""
    seconds = spec.properties("Video")["seconds"]
    assert "20" not in spec.enum("VideoSeconds")
    assert seconds["type"] == "string" and "enum" not in seconds and "$ref" not in seconds
    assert "stitched" in spec.operation(*EXTEND)["description"]
