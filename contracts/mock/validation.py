"""Request validation against the spec's own schemas, with OpenAI-style 400 errors.

Each field is validated with its property schema from the spec (compiled once), so enums,
limits and types are never restated here. What the checks add is the mapping from a schema
violation to OpenAI's error: ``param`` names the field and ``code`` says what went wrong
(``missing_required_parameter``, ``invalid_type``, ``invalid_value``, ``empty_string``,
``string_above_max_length``, ``unknown_parameter``...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from contracts.mock.bodies import Body, UploadedFile, json_kind
from contracts.mock.errors import APIError, echoed
from contracts.mock.media import NotAnImage, NotAVideo, VideoInfo, decode_image, inspect_image, inspect_video
from contracts.rules import CREATE, CREATE_CHARACTER, EDIT, EXTEND, REMIX, Rules, union_of
from contracts.spec import SchemaValidator, SchemaViolation

# When one value breaks several keywords, report the most basic problem first.
_PRIORITY = {"type": 0, "required": 1, "enum": 2, "const": 2, "minLength": 3, "maxLength": 3}
_KIND = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
_SIZE = re.compile(r"^(\d+)x(\d+)$")


@dataclass(frozen=True)
class CreateParams:
    """A validated create request, defaults filled in."""

    prompt: str
    model: str
    seconds: str
    size: str
    reference: dict[str, Any] | None = None  # {"kind": "file"|"image_url"|"file_id", ...}
    upload: UploadedFile | None = None  # the reference image, when one was uploaded


@dataclass(frozen=True)
class SourceParams:
    """A validated edit or extension: the source by id or as an uploaded file (exactly one)."""

    prompt: str | None
    video_id: str | None = None
    upload: UploadedFile | None = None
    seconds: str | None = None  # an extension's new segment


@dataclass(frozen=True)
class CharacterParams:
    name: str | None
    upload: UploadedFile


class RequestValidator:
    """Validates bodies and query strings for one set of ``Rules``."""

    def __init__(self, rules: Rules):
        self.rules = rules
        self._compiled: dict[str, SchemaValidator] = {}
        self._plain: dict[str, dict[str, list[str] | None]] = {}

    # ---- operations ----------------------------------------------------------------------
    def create(self, body: Body) -> CreateParams:
        name = self._schema_name(CREATE, body.media_type)
        schema = self.rules.spec.schema(name)
        fields = body.fields
        self.check_object(name, schema, fields, choices=self.rules.choices)
        self._check_one_reference(schema, fields)
        values = {key: fields.get(key, self.rules.defaults.get(key)) for key in ("prompt", "model", "seconds", "size")}
        reference, upload = _reference(fields)
        return CreateParams(**values, reference=reference, upload=upload)

    def remix(self, body: Body) -> str:
        name = self._schema_name(REMIX, body.media_type)
        self.check_object(name, self.rules.spec.schema(name), body.fields)
        return body.fields["prompt"]

    def edit(self, body: Body) -> SourceParams:
        return self._source_params(EDIT, body)

    def extend(self, body: Body) -> SourceParams:
        return self._source_params(EXTEND, body, choices={"seconds": self.rules.choices.get("seconds")})

    def character(self, body: Body) -> CharacterParams:
        name = self._schema_name(CREATE_CHARACTER, body.media_type)
        self.check_object(name, self.rules.spec.schema(name), body.fields)
        return CharacterParams(name=body.fields.get("name"), upload=body.fields.get("video"))

    def _source_params(self, operation: tuple[str, str], body: Body, choices: Mapping[str, Any] | None = None) -> SourceParams:
        """The prompt, the source (``video`` as ``{"id"}``, ``video[id]`` or a file) and ``seconds``."""
        name = self._schema_name(operation, body.media_type)
        schema = self.rules.spec.schema(name)
        fields = body.fields
        self.check_object(name, schema, fields, choices=choices)
        self._check_one_reference(schema, fields)
        video = fields.get("video", fields.get("video[id]"))
        if video is None:
            raise APIError(400, "Missing required parameter: 'video'.", param="video", code="missing_required_parameter")
        # .get: a fault mode may make a required field optional (the server then works without it)
        if isinstance(video, UploadedFile):
            return SourceParams(fields.get("prompt"), upload=video, seconds=fields.get("seconds"))
        video_id = video.get("id") if isinstance(video, dict) else video
        return SourceParams(fields.get("prompt"), video_id=video_id, seconds=fields.get("seconds"))

    def check_video(self, upload: UploadedFile, param: str = "video") -> VideoInfo:
        """An uploaded video: a container of a type the spec accepts (MP4, QuickTime, WebM)."""
        return _inspected(upload, param, "video", self.rules.video_media_types)

    def query(self, operation: tuple[str, str], query: QueryParams) -> dict[str, Any]:
        """The operation's documented query parameters, coerced, checked, defaults filled in."""
        found: dict[str, Any] = {}
        for name, schema in self.rules.query_params[operation].items():
            values = query.getlist(name)
            if not values:
                found[name] = schema.get("default")
                continue
            value: Any = values if len(values) > 1 else _coerce(values[0], schema)
            self.check_value(f"{operation}.{name}", schema, value, name)
            found[name] = value
        return found

    def check_reference_image(self, params: CreateParams) -> None:
        """An uploaded reference: a decodable JPEG/PNG/WebP (per the spec) of exactly ``size``."""
        upload = params.upload
        if upload is None:
            return
        param = _base(params.reference["field"]) if params.reference else "input_reference"
        info = _inspected(upload, param, "image", self.rules.reference_media_types)
        wanted = _SIZE.match(params.size)
        if wanted and (info.width, info.height) != (int(wanted[1]), int(wanted[2])):
            raise APIError(
                400,
                f"Inpaint image must match the requested width and height "
                f"(got {info.width}x{info.height}, requested {params.size}).",
                param=param,
                code="invalid_value",
            )
        try:
            decode_image(upload.data)
        except NotAnImage:
            raise APIError(
                400, f"Invalid '{param}': the image cannot be decoded (truncated or corrupt).", param=param, code="invalid_image"
            ) from None

    # ---- generic checks ------------------------------------------------------------------
    def check_object(
        self, key: str, schema: Mapping[str, Any], value: dict[str, Any], prefix: str = "", choices: Mapping[str, Any] | None = None
    ) -> None:
        properties = schema.get("properties", {})
        if self._plainly_valid(key, schema, value, choices):
            return
        unknown = [name for name in value if name not in properties]
        if unknown and self.rules.reject_unknown_parameters:
            name = unknown[0]
            raise APIError(400, f"Unknown parameter: '{echoed(prefix + name)}'.", param=prefix + name, code="unknown_parameter")
        for name in unknown:  # tolerated: ignored, like servers that do not check
            del value[name]
        for name in schema.get("required", []):
            if name not in value:
                raise APIError(
                    400, f"Missing required parameter: '{prefix}{name}'.", param=prefix + name, code="missing_required_parameter"
                )
        for name, sub in properties.items():
            if name in value:
                self.check_value(f"{key}.{name}", sub, value[name], prefix + name, (choices or {}).get(name))
        # Whole-object constraints (e.g. ImageReference's "exactly one of"), on the JSON part; an
        # uploaded file stands in as an empty string (its part was checked above, its bytes later).
        plain = {k: "" if isinstance(v, UploadedFile) else v for k, v in value.items()}
        violations = self._validator(key, schema).errors(plain)
        if violations:
            raise self._error(prefix.rstrip(".") or None, schema, plain, violations)

    def _plainly_valid(self, key: str, schema: Mapping[str, Any], value: dict[str, Any], choices: Mapping[str, Any] | None) -> bool:
        """A shortcut for the common valid body (the walk below finds which error to answer): flat
        JSON values only (no file, no binary part, no nested object to check for unknown names),
        of the right types and within a profile's choices, and the whole object valid at once."""
        plain = self._plain_fields(key, schema)
        for name, item in value.items():
            if name not in plain or isinstance(item, (UploadedFile, dict)):
                return False
            expected = plain[name]
            if expected is not None and not any(_is_type(item, t) for t in expected):
                return False
            allowed = (choices or {}).get(name)
            if allowed is not None and item not in allowed:
                return False
        return self._validator(key, schema).is_valid(value)

    def check_value(self, key: str, schema: Mapping[str, Any], value: Any, param: str, choices: Any = None) -> None:
        binary = _is_binary(schema)
        if isinstance(value, UploadedFile) or binary:
            if isinstance(value, UploadedFile) and binary:
                return  # the caller inspects the file itself
            raise _invalid_type(param, ["a file"] if binary else _expected(schema), value)
        expected = _json_types(schema)
        if expected is not None and not any(_is_type(value, t) for t in expected):
            raise _invalid_type(param, [_KIND.get(t, t) for t in expected], value)
        if isinstance(value, dict) and "properties" in schema:
            self.check_object(key, schema, value, prefix=param + ".")
            return
        violations = self._validator(key, schema).errors(value)
        if violations:
            raise self._error(param, schema, value, violations, choices)
        if choices is not None and value not in choices:  # a profile narrowed the spec's values
            raise _invalid_value(value, choices, param)

    # ---- helpers -------------------------------------------------------------------------
    def _schema_name(self, operation: tuple[str, str], media_type: str) -> str:
        name = self.rules.request_schema(operation, media_type)
        if name is None:  # parse_body already refused other media types
            raise APIError(415, f"Unsupported Content-Type: '{media_type}'.", code="unsupported_media_type")
        return name

    def _plain_fields(self, key: str, schema: Mapping[str, Any]) -> dict[str, list[str] | None]:
        """The object's non-file properties and the JSON types each admits (None: any), worked
        out once per schema: they are looked up on every request."""
        if key not in self._plain:
            self._plain[key] = {name: _json_types(sub) for name, sub in schema.get("properties", {}).items()
                                if not _is_binary(sub)}
        return self._plain[key]

    def _validator(self, key: str, schema: Mapping[str, Any]) -> SchemaValidator:
        if key not in self._compiled:
            self._compiled[key] = SchemaValidator(key, dict(schema))
        return self._compiled[key]

    def _error(
        self, param: str | None, schema: Mapping[str, Any], value: Any, violations: list[SchemaViolation], choices: Any = None
    ) -> APIError:
        violation = min(violations, key=lambda v: _PRIORITY.get(v.keyword, 9))
        keyword, limit = violation.keyword, _at(schema, violation.schema_path)
        where = f"'{param}'" if param else "the request body"
        if keyword == "type":
            return _invalid_type(param, _expected(schema), value)
        if keyword in ("enum", "const"):
            allowed = choices if choices is not None else (limit if keyword == "enum" else [limit])
            return _invalid_value(value, allowed, param)
        if keyword == "minLength" and value == "":
            return APIError(
                400,
                f"Invalid {where}: empty string. Expected a string with minimum length {limit}, but got an empty string instead.",
                param=param,
                code="empty_string",
            )
        if keyword in _LIMIT_ERRORS:
            message, code = _LIMIT_ERRORS[keyword]
            size = len(value) if isinstance(value, str) else None
            return APIError(400, f"Invalid {where}: " + message.format(limit=limit, value=value, length=size),
                            param=param, code=code)
        if keyword in ("oneOf", "anyOf") and all(b.get("required") for b in limit or []):
            names = [b["required"][0] for b in limit]
            return APIError(
                400, f"Invalid {where}: give exactly one of {_list(names, 'or')}.", param=param, code="invalid_value"
            )
        return APIError(400, f"Invalid value for {where}: {violation.message}.", param=param, code="invalid_value")

    def _check_one_reference(self, schema: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
        """At most one form of a bracketed field (``x``, ``x[a]``, ``x[b]``) in one request."""
        groups: dict[str, list[str]] = {}
        for name in schema.get("properties", {}):
            groups.setdefault(_base(name), []).append(name)
        for base, names in groups.items():
            given = [n for n in names if n in fields]
            if len(names) > 1 and len(given) > 1:
                raise APIError(
                    400,
                    f"Invalid '{base}': give at most one of {_list(names, 'or')}, not {_list(given)}.",
                    param=base,
                    code="invalid_value",
                )


# ---- module helpers ----------------------------------------------------------------------
def _reference(fields: Mapping[str, Any]) -> tuple[dict[str, Any] | None, UploadedFile | None]:
    for name, value in fields.items():
        if _base(name) != "input_reference":
            continue
        if isinstance(value, UploadedFile):
            return {"kind": "file", "field": name, "filename": value.filename, "bytes": len(value.data)}, value
        if isinstance(value, dict):  # JSON: {"image_url": ...} or {"file_id": ...}
            kind = next(iter(value), None)  # validation leaves exactly one key (a fault may skip it)
            return ({"kind": kind, "field": name, kind: value[kind]} if kind else None), None
        if name != "input_reference":  # multipart bracket field: input_reference[image_url]
            kind = name[len("input_reference[") : -1]
            return {"kind": kind, "field": name, kind: value}, None
    return None, None


def _base(name: str) -> str:
    return name.split("[", 1)[0]


def _coerce(text: str, schema: Mapping[str, Any]) -> Any:
    """A query string value as the JSON type its schema wants, when it reads as one."""
    types = _json_types(schema) or []
    if "integer" in types and re.fullmatch(r"[+-]?[0-9]{1,18}", text.strip()):
        return int(text)
    if "number" in types:
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    return text


def _is_binary(schema: Mapping[str, Any]) -> bool:
    return schema.get("format") == "binary" or "contentMediaType" in schema


def _json_types(schema: Mapping[str, Any]) -> list[str] | None:
    """The JSON types a schema admits, or None when it does not say."""
    def own(node: Mapping[str, Any]) -> tuple | None:
        kind = node.get("type")
        return (kind,) if isinstance(kind, str) else tuple(kind) if isinstance(kind, list) else None

    found = union_of(schema, own)
    return None if found is None else list(found)


_IS_TYPE: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


def _is_type(value: Any, kind: str) -> bool:
    check = _IS_TYPE.get(kind)
    return True if check is None else check(value)


def _expected(schema: Mapping[str, Any]) -> list[str]:
    return [_KIND.get(t, t) for t in (_json_types(schema) or ["a valid value"])]


def _inspected(upload: UploadedFile, param: str, kind: str, accepted: tuple[str, ...]) -> Any:
    """What an uploaded image or video is (``contracts.mock.media``), refused unless of a type the spec accepts."""
    formats = f"Supported formats are: {_list(accepted)}."
    try:
        info = inspect_video(upload.data) if kind == "video" else inspect_image(upload.data)
    except NotAVideo as exc:  # a video's reason is told, an image's is not
        raise APIError(400, f"Invalid '{param}': the uploaded file is not a video ({exc}). {formats}", param=param,
                       code="invalid_video") from None
    except NotAnImage:
        raise APIError(400, f"Invalid '{param}': the uploaded file is not an image. {formats}", param=param,
                       code="invalid_image") from None
    if accepted and info.media_type not in accepted:
        raise APIError(400, f"Invalid '{param}': unsupported {kind} format '{info.media_type}'. {formats}", param=param,
                       code=f"invalid_{kind}_format")
    return info


# A length or a number out of its limits: OpenAI's message and code for each keyword.
_LIMIT_ERRORS = {
    "minLength": ("string too short. Expected a string with minimum length {limit}, but got a string with length "
                  "{length} instead.", "string_below_min_length"),
    "maxLength": ("string too long. Expected a string with maximum length {limit}, but got a string with length "
                  "{length} instead.", "string_above_max_length"),
    "minimum": ("integer below minimum value. Expected a value >= {limit}, but got {value} instead.",
                "integer_below_min_value"),
    "maximum": ("integer above maximum value. Expected a value <= {limit}, but got {value} instead.",
                "integer_above_max_value"),
}


def _invalid_type(param: str | None, expected: list[str], value: Any) -> APIError:
    where = f"'{param}'" if param else "the request body"
    return APIError(400, f"Invalid type for {where}: expected {' or '.join(expected)}, but got {json_kind(value)} "
                    "instead.", param=param, code="invalid_type")


def _invalid_value(value: Any, allowed: Any, param: str | None) -> APIError:
    return APIError(
        400,
        f"Invalid value: '{echoed(value)}'. Supported values are: {_list([str(a) for a in allowed])}.",
        param=param,
        code="invalid_value",
    )


def _list(items: Any, conjunction: str = "and") -> str:
    quoted = [f"'{i}'" for i in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} {conjunction} {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", {conjunction} {quoted[-1]}"


def _at(schema: Any, schema_path: str) -> Any:
    """The value of the keyword that failed, found by walking its schema path."""
    node = schema
    for part in schema_path.split("/") if schema_path else []:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
    return node
