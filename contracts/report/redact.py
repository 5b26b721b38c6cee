"""Defensive redaction and text hygiene for everything that ends up in a report.

Headers are redacted upstream (by the client that records exchanges); this is the second line:
reports are uploaded as CI artefacts and pasted into issues, so a key that slipped through once
must not be published. Every string of the report document goes through :func:`clean_text`, and
every header mapping through :func:`redact_headers`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from contracts.headers import CREDENTIAL_SCHEMES, is_secret_header
from contracts.text import one_line  # noqa: F401 - the report modules import it from here
from contracts.types import WRONG_API_KEY

REDACTED = "[REDACTED]"

# An OpenAI-style secret key: sk-..., sk-proj-..., sk-svcacct-..., sk-admin-... Long enough that a
# clause id or an English word ("task-list") does not look like one.
_SK_KEY = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9][A-Za-z0-9_\-]{15,}")
# "Authorization: Bearer X", "x-api-key: X", "api_key=X", "X-Gateway-Token: X", "client_secret=X" inside
# free text (curl commands, bodies): a compound name whose last part is a secret marker (contracts/headers.py).
_AUTH_IN_TEXT = re.compile(
    r"(?i)((?<![A-Za-z0-9])(?:(?:proxy-)?authorization|(?:[A-Za-z0-9]+[-_])*api[-_]?key|(?:[A-Za-z0-9]+[-_])+(?:key|token|secret))"
    r"[\"']?\s*[:=]\s*[\"']?(?:(?:" + "|".join(CREDENTIAL_SCHEMES) + r")\s+)?+)"
    r"(?!\$)(?!\[REDACTED\])([^\s\"',;&]+)"
)
# "Cookie: a=1; b=2" (and Set-Cookie) inside free text: every pair of it, up to the end of the value.
_COOKIE_IN_TEXT = re.compile(r"(?i)((?<![A-Za-z0-9\-])(?:set-)?cookie[\"']?\s*+:\s*+[\"']?+)(?!\$)(?!\[REDACTED\])([^\"'\r\n]+)")
_BEARER = re.compile(r"(?i)(\bbearer\s+)(?!\$)(?!\[REDACTED\])([A-Za-z0-9._~+/=\-]{8,})")
# Credentials in URL query strings.
_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:api[_-]?key|access[_-]?token|token|key|secret)=)(?!\[REDACTED\])[^&\s#\"']+"
)
# The kit's made-up wrong key, whole (a longer key that merely starts with it is redacted).
_WRONG_KEY = re.compile(r"(?<![A-Za-z0-9_\-])" + re.escape(WRONG_API_KEY) + r"(?![A-Za-z0-9_\-])")
# Any lone UTF-16 surrogate (from surrogateescape-decoded bytes): not encodable as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# An environment variable reference, which is how curl commands name the key: keep those.
_ENV_REF = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")


def redact_text(text: str) -> str:
    """Replace anything shaped like a secret inside free text (but the kit's own made-up wrong key,
    which a reproduction of the wrong-key probe must send as it is)."""
    if not text:
        return text
    if WRONG_API_KEY in text:
        parts = _WRONG_KEY.split(text)
        if len(parts) > 1:
            return WRONG_API_KEY.join(redact_text(part) for part in parts)
    text = _SK_KEY.sub("sk-" + REDACTED, text)
    text = _AUTH_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, text)
    text = _COOKIE_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def clean_text(text: str) -> str:
    """Redact secrets and make the string safely encodable (no lone surrogates)."""
    return _SURROGATE.sub("\ufffd", redact_text(text))


def redact_header_value(name: str, value: str) -> str:
    """The value of one header, with credentials removed (scheme and ``$VAR`` references kept)."""
    if not is_secret_header(name):
        return clean_text(value)
    value = str(value)
    scheme, sep, credential = value.partition(" ")
    if sep and scheme.lower() in CREDENTIAL_SCHEMES:
        cred = credential.strip()
        if _ENV_REF.match(cred) or cred == REDACTED:
            return value
        return f"{scheme} {REDACTED}"
    if _ENV_REF.match(value.strip()) or value == REDACTED:
        return value
    return REDACTED


def redact_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    return {clean_text(str(k)): redact_header_value(str(k), str(v)) for k, v in (headers or {}).items()}


def clean_tree(value: Any) -> Any:
    """Recursively clean every string of a JSON-like tree; mappings named ``headers`` are redacted
    as headers. Keys are converted to strings; unknown objects are converted with ``str``."""
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = clean_text(str(k))
            if key == "headers" and isinstance(v, Mapping):
                out[key] = redact_headers(v)
            else:
                out[key] = clean_tree(v)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        if isinstance(value, (set, frozenset)):
            items = sorted(items, key=repr)
        return [clean_tree(v) for v in items]
    if hasattr(value, "value") and isinstance(value.value, (str, int, float)):
        return clean_tree(value.value)  # enums
    return clean_text(str(value))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def printable(text: str) -> str:
    """Control characters shown as ``\\xNN`` escapes: legal in XML 1.0 and visible in HTML."""
    return _CONTROL.sub(_escape_control, text)


def _escape_control(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
