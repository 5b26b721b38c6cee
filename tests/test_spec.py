"""The spec itself: a valid OpenAPI 3.1 document, and load_spec's clean errors on bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

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
