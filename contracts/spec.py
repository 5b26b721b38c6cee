"""Load spec/openapi.yaml, the single source of truth, and hand out compiled validators.

Nothing in the package restates a schema: enums, limits, defaults, required fields and the
documented statuses of each operation are all read from the document through this module.
"""

from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import yaml

SPEC_ENV = "VIDEOS_CONTRACT_SPEC"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
_PACKAGED = Path(__file__).parent / "_spec" / "openapi.yaml"  # inside a built wheel
_IN_REPO = Path(__file__).resolve().parent.parent / "spec" / "openapi.yaml"  # a checkout


class SpecError(Exception):
    """The spec cannot be read or is not a usable OpenAPI document (exit code 2)."""


def default_spec_path() -> Path:
    if os.environ.get(SPEC_ENV):
        return Path(os.environ[SPEC_ENV])
    return _IN_REPO if _IN_REPO.exists() else _PACKAGED


@dataclass(frozen=True)
class SchemaViolation:
    path: str  # JSON path of the offending value, "$" for the root
    message: str
    keyword: str  # the JSON Schema keyword that failed ("required", "type", "enum", ...)
    schema_path: str = ""


class SchemaValidator:
    """A compiled schema: a fast Rust check first, detailed errors only for invalid instances."""

    def __init__(self, name: str, schema: dict[str, Any]):
        self.name = name
        self.schema = schema
        self._fast = jsonschema_rs.Draft202012Validator(schema)
        self._detailed = jsonschema.Draft202012Validator(schema)

    def is_valid(self, instance: Any) -> bool:
        return self._fast.is_valid(instance)

    def errors(self, instance: Any) -> list[SchemaViolation]:
        if self._fast.is_valid(instance):
            return []
        found = []
        for err in sorted(self._detailed.iter_errors(instance), key=lambda e: list(e.path)):
            found.append(
                SchemaViolation(
                    path=_json_path(err.absolute_path),
                    message=err.message,
                    keyword=str(err.validator),
                    schema_path="/".join(str(p) for p in err.absolute_schema_path),
                )
            )
        return found


def _json_path(parts) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class Spec:
    """The parsed document with lookups for schemas and operations."""

    def __init__(self, document: dict[str, Any], path: Path | None = None):
        self.document = document
        self.path = path
        self._validators: dict[str, SchemaValidator] = {}
        # Resolved schemas and responses are looked up on every request: resolve each once.
        # Callers must treat what they get as read-only.
        self._schemas: dict[str, dict[str, Any]] = {}
        self._responses: dict[tuple[str, str, int], dict[str, Any] | None] = {}

    # ---- metadata ---------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return str(self.document.get("info", {}).get("version", "unknown"))

    @property
    def title(self) -> str:
        return str(self.document.get("info", {}).get("title", ""))

    # ---- schemas ----------------------------------------------------------------------------
    def raw_schema(self, name: str) -> dict[str, Any]:
        try:
            return self.document["components"]["schemas"][name]
        except KeyError:
            raise SpecError(f"the spec has no schema components/schemas/{name}") from None

    def schema(self, name: str) -> dict[str, Any]:
        """The named component schema with every $ref inlined (the spec has no recursion); cached."""
        if name not in self._schemas:
            self._schemas[name] = self.resolve(self.raw_schema(name))
        return self._schemas[name]

    def resolve(self, node: Any, _depth: int = 0) -> Any:
        if _depth > 50:
            raise SpecError("the spec's $refs nest more than 50 deep (a cycle?)")
        if isinstance(node, dict):
            if "$ref" in node:
                target = self.pointer(node["$ref"])
                merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
                return self.resolve(merged, _depth + 1)
            return {k: self.resolve(v, _depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, _depth + 1) for v in node]
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"only local $refs are supported, got {ref!r}")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[part]
            except (KeyError, TypeError, IndexError):
                raise SpecError(f"unresolvable $ref {ref!r}") from None
        return copy.deepcopy(node)

    def validator(self, name: str) -> SchemaValidator:
        """A compiled validator for components/schemas/<name>, cached."""
        if name not in self._validators:
            self._validators[name] = SchemaValidator(name, self.schema(name))
        return self._validators[name]

    def enum(self, name: str) -> list[Any]:
        schema = self.schema(name)
        if "enum" not in schema:
            raise SpecError(f"components/schemas/{name} has no enum")
        return list(schema["enum"])

    def properties(self, name: str) -> dict[str, Any]:
        return self.schema(name).get("properties", {})

    def required(self, name: str) -> list[str]:
        return list(self.schema(name).get("required", []))

    def default(self, schema_name: str, prop: str) -> Any:
        return self.properties(schema_name)[prop].get("default")

    def string_limits(self, name: str) -> tuple[int, int]:
        schema = self.schema(name)
        return int(schema.get("minLength", 0)), int(schema["maxLength"])

    def nullable_fields(self, name: str) -> list[str]:
        """Properties of an object schema that allow null."""
        return [p for p, s in self.properties(name).items() if _allows_null(s)]

    # ---- operations -------------------------------------------------------------------------
    def operation(self, method: str, path: str) -> dict[str, Any]:
        try:
            return self.document["paths"][path][method.lower()]
        except KeyError:
            raise SpecError(f"the spec has no operation {method.upper()} {path}") from None

    def documented_statuses(self, method: str, path: str) -> list[str]:
        return [str(s) for s in self.operation(method, path).get("responses", {})]

    def status_is_documented(self, method: str, path: str, status: int) -> bool:
        documented = self.documented_statuses(method, path)
        return str(status) in documented or f"{str(status)[0]}XX" in documented

    def response(self, method: str, path: str, status: int) -> dict[str, Any] | None:
        """The documented response for a status (exact, else its nXX range), resolved; cached."""
        key = (method.lower(), path, status)
        if key not in self._responses:
            responses = self.operation(method, path).get("responses", {})
            found = next((responses[k] for k in (str(status), f"{str(status)[0]}XX") if k in responses), None)
            self._responses[key] = self.resolve(found) if found is not None else None
        return self._responses[key]

    def response_content_types(self, method: str, path: str, status: int) -> list[str]:
        response = self.response(method, path, status) or {}
        return list(response.get("content", {}))

    def response_schema_name(self, method: str, path: str, status: int, content_type: str = "application/json") -> str | None:
        """The component name of a documented response body schema (for messages and caching)."""
        responses = self.operation(method, path).get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX"):
            if key not in responses:
                continue
            response = responses[key]
            if "$ref" in response:
                response = self.pointer(response["$ref"])
            schema = response.get("content", {}).get(content_type, {}).get("schema", {})
            ref = schema.get("$ref", "")
            return ref.rsplit("/", 1)[-1] if ref else None
        return None

    def response_header(self, method: str, path: str, status: int, header: str) -> dict[str, Any] | None:
        response = self.response(method, path, status) or {}
        for name, value in response.get("headers", {}).items():
            if name.lower() == header.lower():
                return value
        return None

    def request_schema_name(self, method: str, path: str, content_type: str) -> str:
        op = self.operation(method, path)
        try:
            ref = op["requestBody"]["content"][content_type]["schema"]["$ref"]
        except KeyError:
            raise SpecError(f"{method.upper()} {path} documents no {content_type} body") from None
        return ref.rsplit("/", 1)[-1]

    def query_parameter(self, method: str, path: str, name: str) -> dict[str, Any]:
        for param in self.operation(method, path).get("parameters", []):
            param = self.resolve(param)
            if param.get("in") == "query" and param.get("name") == name:
                return param
        raise SpecError(f"{method.upper()} {path} has no query parameter {name!r}")


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_allows_null(s) for s in schema.get("anyOf", []) + schema.get("oneOf", []))


def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """Read and sanity-check the spec; every failure is a SpecError with a one-line reason."""
    return _load(str(Path(path) if path else default_spec_path()))


@functools.lru_cache(maxsize=8)
def _load(path: str) -> Spec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read the spec {path}: {exc.strerror or exc}") from None
    try:
        document = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SpecError(f"the spec {path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        raise SpecError(f"the spec {path} is not an OpenAPI 3.1 document (no 'openapi: 3.1.x')")
    for key in ("paths", "components"):
        if not isinstance(document.get(key), dict):
            raise SpecError(f"the spec {path} has no '{key}' section")
    spec = Spec(document, Path(path))
    # Compile the core schemas once now, so that a broken schema fails at load, not mid-run.
    for name in ("Video", "VideoList", "DeletedVideo", "ErrorResponse", "CreateVideoRequest"):
        try:
            spec.validator(name)
        except SpecError:
            raise
        except Exception as exc:  # jsonschema(-rs) compile errors have many types
            raise SpecError(f"the spec's schema {name} does not compile: {exc}") from None
    return spec
