"""The contract as one profiled view of the spec: what a target must accept and answer.

The suite's engine and the reference server read the same ``Rules``: the operations, the request
schemas of each, the enums, limits and defaults of a create, the statuses of a job. Everything is
read from the spec; a target profile (self-hosted servers serve their own models, sizes and
durations) rewrites those in a copy of the spec first (``contracts/profile.py``) and names itself
here, so the checks and the server follow without a second pipeline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from contracts.spec import Spec, SpecError, load_spec

# The operations, as (METHOD, path template): one casing everywhere (cases, checks, the server).
CREATE = ("POST", "/videos")
LIST = ("GET", "/videos")
RETRIEVE = ("GET", "/videos/{video_id}")
DELETE = ("DELETE", "/videos/{video_id}")
CONTENT = ("GET", "/videos/{video_id}/content")
REMIX = ("POST", "/videos/{video_id}/remix")
EDIT = ("POST", "/videos/edits")
EXTEND = ("POST", "/videos/extensions")
CREATE_CHARACTER = ("POST", "/videos/characters")
GET_CHARACTER = ("GET", "/videos/characters/{character_id}")
CREATING = frozenset({CREATE, REMIX, EDIT, EXTEND})  # the operations that start a job
# Operations whose request body the server parses and validates.
BODY_OPERATIONS = (CREATE, REMIX, EDIT, EXTEND, CREATE_CHARACTER)

JSON = "application/json"
MULTIPART = "multipart/form-data"

DEFAULT_PROFILE = "openai"


def union_of(schema: Mapping[str, Any], own: Callable[[Mapping[str, Any]], tuple | None]) -> tuple | None:
    """What ``own`` finds in a (resolved) schema, through ``allOf`` (the first member that says)
    and ``anyOf``/``oneOf`` (the union of every branch), or None when some branch says nothing."""
    found = own(schema)
    if found is not None:
        return found
    for member in schema.get("allOf", []):
        found = union_of(member, own)
        if found is not None:
            return found
    branches = schema.get("anyOf", []) or schema.get("oneOf", [])
    if branches:
        values: list[Any] = []
        for branch in branches:
            found = union_of(branch, own)
            if found is None:
                return None  # one open branch (e.g. "any string") opens the union
            values.extend(v for v in found if v not in values)
        return tuple(values)
    return None


def closed_values(schema: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The finite set of values a (resolved) schema allows, or None when it is open."""
    return union_of(schema, lambda s: (s["const"],) if "const" in s else tuple(s["enum"]) if "enum" in s else None)


def create_schema_names(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The component names of the create request bodies (JSON, multipart) in a spec document."""
    content = document["paths"][CREATE[1]][CREATE[0].lower()]["requestBody"]["content"]
    return tuple(body["schema"]["$ref"].rsplit("/", 1)[-1] for body in content.values())


class Statuses(NamedTuple):
    """VideoStatus by role: code names a status by its role here, never by a literal. The spec's
    enum lists them in lifecycle order: queued, in_progress, then the two ends."""

    queued: str
    in_progress: str
    completed: str
    failed: str

    @classmethod
    def of(cls, spec: Spec) -> Statuses:
        values = _values(spec, "VideoStatus")
        if len(values) != len(cls._fields):
            raise SpecError(f"VideoStatus must list {len(cls._fields)} statuses in lifecycle order "
                            f"({', '.join(cls._fields)}), got {list(values)}")
        return cls(*values)

    @property
    def unfinished(self) -> tuple[str, str]:
        return self.queued, self.in_progress

    @property
    def terminal(self) -> tuple[str, str]:
        return self.completed, self.failed

    def rank(self, status: object) -> int | None:
        """The lifecycle position (queued 0, in_progress 1, either end 2); None outside the enum."""
        return min(self.index(status), 2) if status in self else None


@dataclass(frozen=True)
class Rules:
    """The contract as engine and server apply it. Build with ``Rules.from_spec``; a profile
    with ``Profile.rules``."""

    spec: Spec
    # the documented value lists (the enums VideoModel, VideoSeconds, VideoSize)
    models: tuple[str, ...]
    seconds: tuple[str, ...]
    sizes: tuple[str, ...]
    statuses: Statuses  # VideoStatus by role
    # create field -> default filled in when the field is absent
    defaults: Mapping[str, Any]
    prompt_min: int
    prompt_max: int
    create_fields: tuple[str, ...]  # the documented create parameters
    # create field -> allowed values (None = any value of the field's type)
    choices: Mapping[str, tuple[Any, ...] | None]
    # operation -> {media type: request schema name}
    request_schemas: Mapping[tuple[str, str], Mapping[str, str]]
    # operation -> {query parameter: resolved schema}
    query_params: Mapping[tuple[str, str], Mapping[str, Mapping[str, Any]]]
    variants: tuple[str, ...]
    # variant -> media type of its content, when the spec says (x-variant-content-types)
    variant_media_types: Mapping[str, str]
    # media types accepted for an uploaded input_reference
    reference_media_types: tuple[str, ...]
    # media types accepted for an uploaded video (edits, extensions, characters)
    video_media_types: tuple[str, ...] = ()
    # OpenAI answered unknown parameters 400 unknown_parameter; the contract also tolerates
    # servers that ignore them (a fault mode of the server sets this to False).
    reject_unknown_parameters: bool = True
    profile: str = DEFAULT_PROFILE
    changed: frozenset[str] = field(default_factory=frozenset)  # what a profile replaced (contracts/profile.py)

    @classmethod
    def from_spec(cls, spec: Spec | None = None) -> Rules:
        spec = spec or load_spec()
        request_schemas = {op: _request_schemas(spec, *op) for op in BODY_OPERATIONS}
        query_params = {op: _query_params(spec, *op) for op in (LIST, CONTENT)}
        json_create = request_schemas[CREATE].get(JSON)
        if not json_create:
            raise SpecError("POST /videos documents no application/json body")
        properties = spec.properties(json_create)
        prompt_min, prompt_max = spec.string_limits("Prompt")
        return cls(
            spec=spec,
            models=_values(spec, "VideoModel"),
            seconds=_values(spec, "VideoSeconds"),
            sizes=_values(spec, "VideoSize"),
            statuses=Statuses.of(spec),
            defaults=MappingProxyType({n: s["default"] for n, s in properties.items() if "default" in s}),
            prompt_min=prompt_min,
            prompt_max=prompt_max,
            create_fields=tuple(properties),
            choices=MappingProxyType(
                {n: closed_values(s) for n, s in properties.items() if s.get("type") != "object"}),
            request_schemas=_freeze(request_schemas),
            query_params=_freeze(query_params),
            variants=_values(spec, "VideoContentVariant"),
            variant_media_types=MappingProxyType(_variant_media_types(spec)),
            reference_media_types=_upload_media_types(spec, CREATE, "input_reference"),
            video_media_types=_upload_media_types(spec, CREATE_CHARACTER, "video"),
        )

    def replace(self, **changes: Any) -> Rules:
        """These rules with some fields replaced (a profile, a fault mode of the server);
        ``choices`` and ``defaults`` replace single create fields, others stay."""
        for name in ("choices", "defaults"):
            if name in changes:
                unknown = set(changes[name]) - set(self.choices) - set(self.defaults)
                if unknown:
                    raise ValueError(f"cannot change unknown create fields: {sorted(unknown)}")
                changes[name] = MappingProxyType({**getattr(self, name), **changes[name]})
        return dataclasses.replace(self, **changes)

    # ---- lookups -------------------------------------------------------------------------
    @property
    def create_schemas(self) -> tuple[str, ...]:
        return tuple(self.request_schemas[CREATE].values())

    def request_schema(self, operation: tuple[str, str], media_type: str) -> str | None:
        return self.request_schemas[operation].get(media_type)

    def media_types(self, operation: tuple[str, str]) -> tuple[str, ...]:
        return tuple(self.request_schemas[operation])

    @property
    def default_variant(self) -> str:
        schema = self.query_params[CONTENT].get("variant", {})
        return str(schema.get("default", self.variants[0]))

    @staticmethod
    def pixel_size(size: str) -> tuple[int, int]:
        width, height = size.lower().split("x")
        return int(width), int(height)


def _values(spec: Spec, component: str) -> tuple[str, ...]:
    """A component's enum; empty when a fault mode of the server opened it (any string)."""
    return tuple(closed_values(spec.schema(component)) or ())


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


#: the statuses of the packaged spec, for code that runs without a Rules (the mock's jobs, the cost ledger)
STATUS = Statuses.of(load_spec())
