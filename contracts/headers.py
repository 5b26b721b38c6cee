"""Request headers a user adds (``--header 'Name: Value'``, a profile's ``[headers]``) and the header
that carries the key (``--api-key-header NAME``); which header names hold secrets.

Gateways route by headers of their own and Azure OpenAI takes its key in ``api-key``: every
request of a run carries the user's headers, and the key goes in ``Authorization: Bearer KEY``
or, with ``--api-key-header NAME``, as ``NAME: KEY``. A header whose name looks secret is
redacted like the key wherever a run writes what it sent (reports, curl commands, logs).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

AUTHORIZATION = "Authorization"
# A header name holding one of these (compared lower-case) carries a credential. The one rule for
# the client that records exchanges and for the reports' second redaction (contracts/report/redact.py).
SECRET_MARKERS = ("authorization", "cookie", "key", "token", "secret")
# Schemes a credential follows in such a header ("Bearer KEY"): the scheme is kept, what follows is not.
CREDENTIAL_SCHEMES = ("bearer", "basic", "token", "digest")
# Set by the kit on each request as the request needs: a user's value would contradict the body sent.
SET_PER_REQUEST = ("content-type", "content-length", "host", "transfer-encoding")

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # an HTTP field name (RFC 9110 token)
_BAD_VALUE = re.compile(r"[\x00\r\n]")


@functools.lru_cache(maxsize=1024)
def is_secret_header(name: str) -> bool:
    """Whether the value of header ``name`` is a credential (never written anywhere)."""
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def env_reference(name: str) -> str:
    """The environment variable a curl command names in place of a secret header's value, e.g.
    ``X-Gateway-Token`` -> ``$X_GATEWAY_TOKEN``."""
    return "$" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def check_name(name: str, flag: str) -> str:
    """A header name as given, or ValueError with one line."""
    name = name.strip()
    if not _TOKEN.match(name):
        raise ValueError(f"{flag}: {name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~)")
    return name


def parse_header(text: str, flag: str = "--header") -> tuple[str, str]:
    """``'Name: Value'`` -> (name, value); ValueError with one line otherwise."""
    name, sep, value = text.partition(":")
    if not sep:
        raise ValueError(f"{flag} takes 'Name: Value', got {text!r}")
    name = check_name(name, flag)
    value = value.strip()
    if _BAD_VALUE.search(value):
        raise ValueError(f"{flag} {name}: the value holds a line break or NUL")
    return name, value


def merge(*layers: Iterable[tuple[str, str]] | Mapping[str, str] | None) -> dict[str, str]:
    """Headers from several sources, later ones winning by name (case-insensitive): a profile's,
    then the command line's."""
    out: dict[str, str] = {}
    for layer in layers:
        items = layer.items() if isinstance(layer, Mapping) else (layer or ())
        for name, value in items:
            for existing in [n for n in out if n.lower() == name.lower()]:
                del out[existing]
            out[name] = value
    return out


def check_headers(headers: Mapping[str, str], api_key_header: str | None) -> None:
    """Refuse headers the kit sets itself: the key's (say it with --api-key, so that the auth
    clauses can send a request without it and with a wrong one) and the per-request ones."""
    key_header = (api_key_header or AUTHORIZATION).lower()
    for name in headers:
        lowered = name.lower()
        if lowered in (key_header, AUTHORIZATION.lower()):
            raise ValueError(f"--header {name}: the key goes in --api-key (or OPENAI_API_KEY), sent as "
                             f"{key_header_text(api_key_header)}; the auth clauses leave it out or change it")
        if lowered in SET_PER_REQUEST:
            raise ValueError(f"--header {name}: set by the kit on each request as its body needs")


def key_header_text(api_key_header: str | None) -> str:
    """How the key is sent, for messages: ``Authorization: Bearer KEY`` or ``api-key: KEY``."""
    return f"{api_key_header}: KEY" if api_key_header else f"{AUTHORIZATION}: Bearer KEY"


def key_headers(key: str | None, api_key_header: str | None) -> dict[str, str]:
    """The header that carries ``key`` (none without a key)."""
    if not key:
        return {}
    if api_key_header:
        return {api_key_header: key}
    return {AUTHORIZATION: f"Bearer {key}"}
