"""An exchange the proxy saw, as the record of a run holds one: a ``contracts.client.Response`` with
its ``Exchange`` (redacted) and a ``curl`` that sends the same request again.

The client's key (and every header whose name says it holds a secret: contracts/headers.py) is
passed to the target as it came and never written: its value is cut out of the recorded headers,
URL, body excerpts and the curl, which reads the key from ``$OPENAI_API_KEY`` (a secret header's
value from the variable named after it), as a run's curls do. The report writer redacts once more
(contracts/report/redact.py).
"""

from __future__ import annotations

import hashlib
import shlex

import httpx

from contracts.cases import Case
from contracts.client import Response, curl_data, curl_header, excerpt, redact_values, redacted_headers
from contracts.headers import CREDENTIAL_SCHEMES, is_secret_header
from contracts.intent import TrafficRequest
from contracts.options import API_KEY_ENV
from contracts.proxy.forward import Seen, passed_on, query_items
from contracts.types import BODY_FILE, Exchange, RecordedRequest, RecordedResponse

CURL_SKIPPED = frozenset({"host", "content-length", "accept-encoding"})  # curl sets them itself


def _text(value: bytes) -> str:
    return value.decode("latin-1")


def secrets_of(seen: Seen) -> list[str]:
    """The secret values a request carries, to be redacted wherever it is recorded: each secret header's
    value, its credential after a scheme, and each cookie's value."""
    if seen.secrets is None:
        found = set(credentials_of(seen))
        for name, value in seen.request_headers:
            if _text(name).lower() == "cookie":
                text = _text(value).strip()
                found.update([text, *(pair.partition("=")[2].strip() for pair in text.split(";"))])
        found.discard("")
        seen.secrets = sorted(found, key=len, reverse=True)  # longest first: a token inside "Bearer token"
    return seen.secrets


def credentials_of(seen: Seen) -> list[str]:
    """The credentials a request carries: each secret header's value but its cookies (a session's, not
    a key), and its credential after a scheme."""
    found = []
    for name, value in seen.request_headers:
        text = _text(value).strip()
        if is_secret_header(_text(name)) and _text(name).lower() != "cookie" and text:
            found.append(text)
            scheme, _, credential = text.partition(" ")
            if credential.strip() and scheme.lower() in CREDENTIAL_SCHEMES:
                found.append(credential.strip())
    return sorted(set(found))


def has_credentials(seen: Seen) -> bool:
    return bool(credentials_of(seen))


def key_of(seen: Seen) -> str | None:
    """A digest of the credentials a request carries (None: none), to know a key an answer accepted."""
    found = credentials_of(seen)
    return hashlib.sha256("\n".join(found).encode("utf-8", "replace")).hexdigest() if found else None


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        self.secrets = [s for s in secrets if len(s) >= 4]

    def __call__(self, text: str) -> str:
        return redact_values(text, self.secrets)

    def headers(self, headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
        return redacted_headers(((_text(name), _text(value)) for name, value in headers), self)


def traffic_request(seen: Seen) -> TrafficRequest:
    """What the intent of a request is read from (contracts/intent.py)."""
    body = seen.request
    retry = next((_text(v) for n, v in seen.request_headers if n.lower() == b"idempotency-key"), None)
    return TrafficRequest(method=seen.method, path=seen.path, query=query_items(seen.query), media_type=body.media_type,
                          body=body.whole, body_size=body.size, form=body.form, uploads=body.uploads,
                          unreadable=body.unreadable, credentials=has_credentials(seen), retry_key=retry)


def answer_of(seen: Seen, case: Case) -> Response:
    """The record's answer for an exchange the proxy saw (``case``: what its request is)."""
    redact = Redactor(secrets_of(seen))
    kept = seen.request.whole
    request = RecordedRequest(method=seen.method, url=redact(seen.url),
                              headers=redact.headers(passed_on(seen.request_headers, host=False)),
                              body_excerpt=redact(excerpt(kept)) if kept is not None else
                              f"<{seen.request.size} bytes, not kept by the proxy>",
                              body_size=seen.request.size)
    exchange = Exchange(request=request, curl=curl(seen, redact))
    if BODY_FILE in exchange.curl:
        exchange.body = kept
    body = seen.response
    error = seen.transport_error or (body.undecodable if body is not None else None)
    if error is not None:
        exchange.transport_error = redact(error)
        return Response(0, httpx.Headers(), bytes(body.kept) if body is not None else b"", exchange,
                        elapsed_ms=seen.elapsed_ms, transport_error=exchange.transport_error, sent_at=seen.sent_at,
                        case=case)
    data = bytes(body.kept)
    truncated = body.truncated
    if seen.client_left is not None:
        case.partial_body, truncated = True, True  # what came before the client left: read, not judged as cut
    headers = httpx.Headers(seen.response_headers)
    exchange.response = RecordedResponse(status=seen.status, headers=redact.headers(seen.response_headers),
                                         body_excerpt=redact(excerpt(data)), body_size=body.size, truncated=truncated,
                                         elapsed_ms=seen.elapsed_ms)
    return Response(seen.status, headers, data, exchange, truncated, seen.elapsed_ms, sent_at=seen.sent_at, case=case)


def curl(seen: Seen, redact: Redactor) -> str:
    """A shell command that sends the request again (to the target): the key from $OPENAI_API_KEY,
    a secret header's value from its variable, a multipart body as ``--form-string``/``-F`` parts (its
    files by the client's file names), a long body from a file beside the report."""
    parts = ["curl", "-sS", "-i", "-X", seen.method, shlex.quote(redact(seen.url))]
    body = seen.request
    multipart = body.media_type == "multipart/form-data" and body.unreadable is None and body.form is not None
    for raw_name, raw_value in passed_on(seen.request_headers):
        name, value = _text(raw_name), _text(raw_value)
        lowered = name.lower()
        if lowered in CURL_SKIPPED or (multipart and lowered == "content-type"):
            continue
        if lowered == "authorization" and value.lower().startswith("bearer "):
            parts += ["-H", f'"Authorization: Bearer ${API_KEY_ENV}"']
        else:
            parts += curl_header(name, value, redact)
    if multipart:
        for name, value in body.form:
            parts += ["--form-string", shlex.quote(f"{name}={redact(value)}")]
        for upload in body.uploads:
            kind = f";type={upload.content_type}" if upload.content_type else ""
            parts += ["-F", shlex.quote(f"{upload.name}=@{upload.filename}{kind}")]
        return " ".join(parts)
    if not body.size:
        return " ".join(parts)
    kept = body.whole
    if kept is None:
        return " ".join(parts + [f"# the {body.size}-byte body was not kept by the proxy"])
    return " ".join(parts + curl_data(kept, redact))
