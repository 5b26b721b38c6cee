"""Target profiles: a self-hosted server serves its own models, sizes and durations.

A profile is a small TOML file; it rewrites the contract's value lists and defaults (the enums
``VideoModel``, ``VideoSeconds``, ``VideoSize`` and the create defaults) in a copy of the spec,
so that the suite, the checks and the reference server all follow it through the one document.

    name = "wan22"
    models = ["Wan-AI/Wan2.2-T2V-A14B"]
    sizes = ["1280x720", "832x480"]
    seconds = ["5"]
    [defaults]
    model = "Wan-AI/Wan2.2-T2V-A14B"
    size = "1280x720"
    seconds = "5"

It may also say what the server offers and needs: ``operations`` (the operations it serves),
``[headers]`` (sent with every request, e.g. a gateway's routing headers), ``api_key_header`` (the
header that carries the key, e.g. "api-key" for Azure OpenAI), and ``include`` / ``exclude`` (clause-id
globs, contracts/selection.py). The command line's options of the same names win over it.
"""

from __future__ import annotations

import copy
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from contracts import headers as request_headers
from contracts.clauses import parse_operations
from contracts.rules import DEFAULT_PROFILE, Rules, create_schema_names
from contracts.selection import check_glob
from contracts.spec import Spec

LISTS = {"models": "VideoModel", "seconds": "VideoSeconds", "sizes": "VideoSize"}
DEFAULT_KEYS = {"model": "models", "seconds": "seconds", "size": "sizes"}
ALLOWED_KEYS = ("name", "description", *LISTS, "defaults", "operations", "strict", "headers", "api_key_header",
                "include", "exclude")
_SIZE = re.compile(r"^[1-9][0-9]*x[1-9][0-9]*$")
_SECONDS = re.compile(r"^[1-9][0-9]*$")


class ProfileError(Exception):
    """A profile that cannot be used: the message names the file and the key (exit code 2)."""


@dataclass(frozen=True)
class Profile:
    name: str = DEFAULT_PROFILE
    models: tuple[str, ...] | None = None
    seconds: tuple[str, ...] | None = None
    sizes: tuple[str, ...] | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    description: str = ""
    source: Path | None = None
    operations: frozenset[str] | None = None  # the operations the server offers (None: all)
    strict: bool = False  # a clause not verified fails the run (as --strict)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request
    api_key_header: str | None = None  # the header that carries the key (None: Authorization: Bearer)
    include: tuple[str, ...] = ()  # clause-id globs (contracts/selection.py)
    exclude: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.source is None

    def changed(self) -> frozenset[str]:
        lists = {key for key in LISTS if getattr(self, key) is not None}
        return frozenset(lists | ({"defaults"} if self.defaults else set()))

    def apply(self, spec: Spec) -> Spec:
        """A copy of ``spec`` whose enums and create defaults are this profile's."""
        if self.is_default:
            return spec
        document = copy.deepcopy(spec.document)
        schemas = document["components"]["schemas"]
        for key, component in LISTS.items():
            values = getattr(self, key)
            if values is not None:
                schemas[component]["enum"] = list(values)
        for name in create_schema_names(document):
            props = schemas[name]["properties"]
            for key, value in self.defaults.items():
                props[key]["default"] = value
        document["info"]["x-profile"] = self.name
        return Spec(document, spec.path)

    def rules(self, profiled: Spec) -> Rules:
        """The values a target under this profile must accept, read from the spec that
        ``apply`` returned (its enums and defaults are already the profile's).

        A profile that lists ``models`` also closes the create's model field to them: a server
        that serves one model cannot honestly echo another (the reference server refuses other
        names with 400, as OpenAI refused unknown models; the contract tolerates both answers).
        """
        rules = Rules.from_spec(profiled)
        if self.is_default:
            return rules
        return rules.replace(profile=self.name, changed=self.changed(),
                             choices={"model": self.models} if self.models else {})


def load_profile(reference: str | None) -> Profile:
    """``openai`` (or None) is the documented contract; anything else is a path to a TOML file."""
    if reference in (None, "", DEFAULT_PROFILE):
        return Profile()
    path = Path(reference)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read the profile {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"the profile {path} is not valid TOML: {exc}") from None
    return parse_profile(data, path)


def parse_profile(data: dict, path: Path | None = None) -> Profile:
    where = str(path) if path else "the profile"
    unknown = sorted(set(data) - set(ALLOWED_KEYS))
    if unknown:
        raise ProfileError(f"{where}: unknown key {unknown[0]!r}; allowed keys: {', '.join(ALLOWED_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ProfileError(f"{where}: 'name' must be a non-empty string")
    lists: dict[str, tuple[str, ...]] = {}
    for key in LISTS:
        if key in data:
            lists[key] = _string_list(data[key], f"{where}: '{key}'")
    for size in lists.get("sizes", ()):
        if not _SIZE.match(size):
            raise ProfileError(f"{where}: 'sizes' value {size!r} is not WIDTHxHEIGHT, e.g. \"1280x720\"")
    for seconds in lists.get("seconds", ()):
        if not _SECONDS.match(seconds):
            raise ProfileError(f"{where}: 'seconds' value {seconds!r} is not a whole number of seconds as a string")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ProfileError(f"{where}: [defaults] must be a table with keys {', '.join(DEFAULT_KEYS)}")
    for key, value in defaults.items():
        if key not in DEFAULT_KEYS:
            raise ProfileError(f"{where}: unknown key 'defaults.{key}'; allowed: {', '.join(DEFAULT_KEYS)}")
        if not isinstance(value, str):
            raise ProfileError(f"{where}: 'defaults.{key}' must be a string (write \"{value}\")")
        allowed = lists.get(DEFAULT_KEYS[key])
        if allowed is not None and value not in allowed:
            raise ProfileError(f"{where}: 'defaults.{key}' = {value!r} is not one of its '{DEFAULT_KEYS[key]}': "
                               f"{', '.join(allowed)}")
    for key, list_key in DEFAULT_KEYS.items():
        if list_key in lists and key not in defaults and list_key != "models":
            raise ProfileError(f"{where}: '{list_key}' is set, so 'defaults.{key}' must be set too (one of "
                               f"{', '.join(lists[list_key])})")
    operations = None
    if "operations" in data:
        try:
            operations = parse_operations(_string_list(data["operations"], f"{where}: 'operations'"),
                                          f"{where}: 'operations'")
        except ValueError as exc:
            raise ProfileError(str(exc)) from None
    description = data.get("description", "")
    if not isinstance(description, str):
        raise ProfileError(f"{where}: 'description' must be a string")
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise ProfileError(f"{where}: 'strict' must be true or false (write strict = true)")
    return Profile(name=name.strip(), defaults=dict(defaults), description=description, source=path,
                   operations=operations, strict=strict, **_access(data, where), **_selection(data, where), **lists)


def _access(data: dict, where: str) -> dict:
    """``[headers]`` and ``api_key_header``, checked as their command-line options are."""
    headers = data.get("headers", {})
    if not isinstance(headers, dict):
        raise ProfileError(f"{where}: [headers] must be a table of header names to string values")
    try:
        checked = {}
        for name, value in headers.items():
            if not isinstance(value, str):
                raise ValueError(f"'headers.{name}' must be a string (write \"{value}\")")
            checked.update([request_headers.parse_header(f"{name}: {value}", f"'headers.{name}'")])
        key_header = data.get("api_key_header")
        if key_header is not None:
            if not isinstance(key_header, str):
                raise ValueError("'api_key_header' must be a header name such as \"api-key\"")
            key_header = request_headers.check_name(key_header, "'api_key_header'")
        request_headers.check_headers(checked, key_header)
    except ValueError as exc:
        raise ProfileError(f"{where}: {exc}") from None
    return {"headers": checked, "api_key_header": key_header}


def _selection(data: dict, where: str) -> dict:
    """``include`` and ``exclude``: lists of clause-id globs, each matching some clause."""
    out = {}
    for key in ("include", "exclude"):
        if key in data:
            globs = _string_list(data[key], f"{where}: '{key}'")
            try:
                out[key] = tuple(check_glob(glob, f"'{key}'") for glob in globs)
            except ValueError as exc:
                raise ProfileError(f"{where}: {exc}") from None
    return out


def _string_list(value, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ProfileError(f"{where} must be a non-empty list of strings")
    for item in value:
        if not isinstance(item, str) or not item:
            hint = f' (write "{item}")' if isinstance(item, int) else ""
            raise ProfileError(f"{where} must hold non-empty strings, got {item!r}{hint}")
    if len(set(value)) != len(value):
        raise ProfileError(f"{where} lists a value twice")
    return tuple(value)
