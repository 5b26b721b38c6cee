"""Generated creates as cases: what schemathesis draws from the spec, classified.

Schemathesis generates (positive and negative mode) from spec/openapi.yaml (contracts/draws.py); the
mode's label is not trusted: each body is validated again against the spec's request schema, and
what would be a false alarm is dropped (random bytes as an image file, negative multipart: see the
shared notes). What is left becomes a ``Case`` of the clause it tests.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from contracts import cases, draws

if TYPE_CHECKING:
    from contracts.rules import Rules
    from contracts.spec import Spec

MODES = (("negative", "create.generated-invalid-rejected"), ("positive", "create.generated-valid-accepted"))


def generated_cases(spec: "Spec", rules: "Rules", mode: str, drawn: list[tuple[str, Any]]) -> list[cases.Case | None]:
    """One case for each drawn (media type, body), None where the body is dropped."""
    if mode == "positive":
        return [positive_case(spec, rules, media_type, body, index) for index, (media_type, body) in enumerate(drawn)]
    return [negative_case(spec, body, index) if media_type == "application/json" else None
            for index, (media_type, body) in enumerate(drawn)]


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    return True


def positive_case(spec: "Spec", rules: "Rules", media_type: str, body: Any, index: int) -> cases.Case | None:
    if not isinstance(body, dict) or not _encodable(body):
        return None
    params = {k: v for k, v in body.items() if k in rules.create_fields and k not in draws.IMAGE_FIELDS}
    encoding = "multipart" if media_type == "multipart/form-data" else "json"
    if "prompt" not in params or encoding == "multipart" and not all(isinstance(v, str) for v in params.values()):
        return None
    # An unknown model may be refused: that is tolerated.
    expect = "accepted" if params.get("model", rules.defaults["model"]) in rules.models else "tolerated"
    case = cases.create(f"generated valid #{index}", encoding, params, clause="create.generated-valid-accepted",
                        expect=expect)
    return case if spec.validator("CreateVideoRequest").is_valid(params) else None


def negative_case(spec: "Spec", body: Any, index: int) -> cases.Case | None:
    if not _encodable(body):
        return None
    case = cases.create(f"generated invalid #{index}", "json", {}, clause="create.generated-invalid-rejected",
                        expect="rejected")
    case.json_body, case.params = body, {}
    # not actually invalid: a negative label is not proof
    return None if spec.validator("CreateVideoRequest").is_valid(body) else case
