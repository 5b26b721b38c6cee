"""Everything the server enforces, read from the spec in one place (a profile can override it).

Nothing here restates the contract: request schema names come from the operations, enums,
limits and defaults from the schemas. ``Rules.override`` narrows or changes the value sets and
defaults for a target profile (e.g. a server that serves only two sizes) without touching the
validation code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from contracts.spec import Spec, SpecError, load_spec

CREATE = ("post", "/videos")
LIST = ("get", "/videos")
RETRIEVE = ("get", "/videos/{video_id}")
DELETE = ("delete", "/videos/{video_id}")
CONTENT = ("get", "/videos/{video_id}/content")
REMIX = ("post", "/videos/{video_id}/remix")
EDIT = ("post", "/videos/edits")
EXTEND = ("post", "/videos/extensions")
CREATE_CHARACTER = ("post", "/videos/characters")
GET_CHARACTER = ("get", "/videos/characters/{character_id}")
# Operations whose request body the server parses and validates.
BODY_OPERATIONS = (CREATE, REMIX, EDIT, EXTEND, CREATE_CHARACTER)

JSON = "application/json"
MULTIPART = "multipart/form-data"


def closed_values(schema: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The finite set of values a (resolved) schema allows, or None when it is open."""
    if "const" in schema:
        return (schema["const"],)
    if "enum" in schema:
        return tuple(schema["enum"])
    for member in schema.get("allOf", []):
        found = closed_values(member)
        if found is not None:
            return found
    branches = schema.get("anyOf", []) or schema.get("oneOf", [])
    if branches:
        values: list[Any] = []
        for branch in branches:
            found = closed_values(branch)
            if found is None:
                return None  # one open branch (e.g. "any string") opens the union
            values.extend(v for v in found if v not in values)
        return tuple(values)
    return None


@dataclass(frozen=True)
class Rules:
    """The contract as the server applies it. Build with ``Rules.from_spec``."""

    spec: Spec
    # operation -> {media type: request schema name}
    request_schemas: Mapping[tuple[str, str], Mapping[str, str]]
    # operation -> {query parameter: resolved schema}
    query_params: Mapping[tuple[str, str], Mapping[str, Mapping[str, Any]]]
    # create field -> allowed values (None = any value of the field's type)
    choices: Mapping[str, tuple[Any, ...] | None]
    # create field -> default filled in when the field is absent
    defaults: Mapping[str, Any]
    documented_models: tuple[str, ...]
    variants: tuple[str, ...]
    # variant -> media type of its content, when the spec says (x-variant-content-types)
    variant_media_types: Mapping[str, str]
    # media types accepted for an uploaded input_reference
    reference_media_types: tuple[str, ...]
    # media types accepted for an uploaded video (edits, extensions, characters)
    video_media_types: tuple[str, ...] = ()
    # OpenAI answered unknown parameters 400 unknown_parameter; the contract also tolerates
    # servers that ignore them (a profile may set this to False).
    reject_unknown_parameters: bool = True
    profile: str = "spec"
    notes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: Spec | None = None) -> Rules:
        spec = spec or load_spec()
        request_schemas = {op: _request_schemas(spec, *op) for op in BODY_OPERATIONS}
        query_params = {op: _query_params(spec, *op) for op in (LIST, CONTENT)}
        json_create = request_schemas[CREATE].get(JSON)
        if not json_create:
            raise SpecError("POST /videos documents no application/json body")
        properties = spec.properties(json_create)
        choices = {name: closed_values(schema) for name, schema in properties.items() if schema.get("type") != "object"}
        defaults = {name: schema["default"] for name, schema in properties.items() if "default" in schema}
        media = _upload_media_types(spec, CREATE, "input_reference")
        return cls(
            spec=spec,
            request_schemas=_freeze(request_schemas),
            query_params=_freeze(query_params),
            choices=MappingProxyType(choices),
            defaults=MappingProxyType(defaults),
            documented_models=tuple(spec.enum("VideoModel")),
            variants=tuple(spec.enum("VideoContentVariant")),
            variant_media_types=MappingProxyType(_variant_media_types(spec)),
            reference_media_types=media,
            video_media_types=_upload_media_types(spec, CREATE_CHARACTER, "video"),
        )

    def override(
        self,
        *,
        profile: str,
        choices: Mapping[str, tuple[Any, ...] | None] | None = None,
        defaults: Mapping[str, Any] | None = None,
        reject_unknown_parameters: bool | None = None,
    ) -> Rules:
        """These rules with some value sets and defaults replaced (a target profile)."""
        unknown = set(choices or {}) | set(defaults or {})
        unknown -= set(self.choices) | set(self.defaults)
        if unknown:
            raise ValueError(f"a profile cannot change unknown create fields: {sorted(unknown)}")
        return dataclasses.replace(
            self,
            profile=profile,
            choices=MappingProxyType({**self.choices, **(choices or {})}),
            defaults=MappingProxyType({**self.defaults, **(defaults or {})}),
            reject_unknown_parameters=(
                self.reject_unknown_parameters if reject_unknown_parameters is None else reject_unknown_parameters
            ),
        )

    # ---- lookups -------------------------------------------------------------------------
    def request_schema(self, operation: tuple[str, str], media_type: str) -> str | None:
        return self.request_schemas[operation].get(media_type)

    def media_types(self, operation: tuple[str, str]) -> tuple[str, ...]:
        return tuple(self.request_schemas[operation])

    @property
    def default_variant(self) -> str:
        schema = self.query_params[CONTENT].get("variant", {})
        return str(schema.get("default", self.variants[0]))


def _request_schemas(spec: Spec, method: str, path: str) -> dict[str, str]:
    content = spec.operation(method, path).get("requestBody", {}).get("content", {})
    return {media: spec.request_schema_name(method, path, media) for media in content}


def _upload_media_types(spec: Spec, operation: tuple[str, str], part: str) -> tuple[str, ...]:
    """The media types the spec's multipart ``encoding`` accepts for an uploaded ``part``."""
    content = spec.operation(*operation).get("requestBody", {}).get("content", {})
    encoding = content.get(MULTIPART, {}).get("encoding", {}).get(part, {})
    return tuple(t.strip() for t in str(encoding.get("contentType", "")).split(",") if t.strip())


def _query_params(spec: Spec, method: str, path: str) -> dict[str, dict[str, Any]]:
    params = {}
    for param in spec.operation(method, path).get("parameters", []):
        param = spec.resolve(param)
        if param.get("in") == "query":
            params[param["name"]] = param.get("schema", {})
    return params


def _variant_media_types(spec: Spec) -> dict[str, str]:
    """The content response's ``x-variant-content-types`` map, checked against its media types."""
    response = spec.response(*CONTENT, 200) or {}
    table = response.get("x-variant-content-types") or {}
    listed = set(response.get("content", {}))
    wrong = {v: t for v, t in table.items() if listed and t not in listed}
    if wrong:
        raise SpecError(f"x-variant-content-types names media types the response does not list: {wrong}")
    return {str(v): str(t) for v, t in table.items()}


def _freeze(table: dict) -> Mapping:
    return MappingProxyType({k: MappingProxyType(v) for k, v in table.items()})
