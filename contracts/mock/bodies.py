"""Reading request bodies safely: a size cap enforced while reading, JSON and multipart parsing.

Whatever arrives (no Content-Type, broken JSON, a JSON array, truncated multipart, invalid
UTF-8...) ends as an ``APIError`` with the envelope, never as an exception from a parser.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from contracts.mock.errors import APIError, echoed

MAX_PARTS = 64
MAX_PART_HEADERS_BYTES = 16 * 1024
# A one-item list in the request's scope (shared by the copies fault hooks make of it) where
# parse_body leaves what it read, for the journal: (media type, the fields as sent, body bytes)
BODY_KEY = "videos_mock.body"


@dataclass(frozen=True)
class UploadedFile:
    """A multipart part sent with a filename."""

    filename: str
    content_type: str | None
    data: bytes


@dataclass
class Body:
    """A parsed request body: ``fields`` maps a name to its value (a list when repeated)."""

    media_type: str
    fields: dict[str, Any] = field(default_factory=dict)


def media_type_of(request: Request) -> str | None:
    header = request.headers.get("content-type")
    if not header:
        return None
    kind, _ = parse_options_header(header)
    return kind.decode("latin-1").strip().lower() or None


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not re.fullmatch(r"\s*[0-9]+\s*", declared):  # ASCII digits only: "²".isdigit(), and int() refuses it
            raise APIError(400, f"Invalid Content-Length header: '{echoed(declared)}'.", code="invalid_header")
        if int(declared) > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise APIError(400, "The client disconnected before sending the whole body.", code="client_disconnected") from None
    return b"".join(chunks)


def too_large(limit: int) -> APIError:
    return APIError(413, f"Request body too large: the limit is {limit} bytes.", code="request_too_large")


async def parse_body(request: Request, accepted: tuple[str, ...], limit: int) -> Body:
    """Check the Content-Type against ``accepted`` (415), read (413), parse (400)."""
    media_type = media_type_of(request)
    if media_type not in accepted:
        got = f"'{echoed(request.headers.get('content-type'))}'" if media_type else "none"
        raise APIError(415, f"Unsupported Content-Type: {got}. Send the body as {_either(accepted)}.",
                       param="Content-Type", code="unsupported_media_type")
    raw = await read_body(request, limit)
    if media_type == "application/json":
        body = Body(media_type, parse_json_object(raw))
    else:
        body = Body(media_type, parse_multipart(raw, request.headers.get("content-type", "")))
    slot = request.scope.get(BODY_KEY)
    if slot is not None:
        slot[0] = (media_type, dict(body.fields), len(raw))  # a copy: validation may change the fields
    return body


# A \uD800-\uDFFF escape. json.loads turns one that is not half of a pair into a lone surrogate:
# a str that cannot be encoded as UTF-8, so that every answer echoing it (and every list of a job
# made from it) would fail. Only a body with such an escape pays for the check.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        if _SURROGATE_ESCAPE.search(raw):
            _check_no_lone_surrogate(value)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "it is empty" if not raw.strip() else f"{exc}"
        raise APIError(
            400,
            f"We could not parse the JSON body of your request ({reason}). The API expects a JSON object.",
            code="invalid_json",
        ) from None
    if not isinstance(value, dict):
        raise APIError(
            400,
            f"Invalid type for the request body: expected an object, but got {json_kind(value)} instead.",
            code="invalid_type",
        )
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _check_no_lone_surrogate(value: Any) -> None:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a \\u escape is half of a UTF-16 surrogate pair, not a character") from None


def parse_multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    """Text parts become str, parts with a filename UploadedFile; a repeated name gives a list."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise invalid_multipart("the Content-Type has no boundary")
    collector = _PartCollector()
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        parser.write(raw)
        parser.finalize()
    except FormParserError as exc:
        raise invalid_multipart(str(exc) or "it cannot be parsed") from None
    except _Invalid as exc:
        raise invalid_multipart(str(exc)) from None
    if not collector.ended:
        raise invalid_multipart("it has no closing boundary")
    fields: dict[str, Any] = {}
    for name, value in collector.parts:
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    return fields


def invalid_multipart(reason: str) -> APIError:
    return APIError(400, f"Could not parse the multipart/form-data body: {reason}.", code="invalid_multipart")


class _Invalid(Exception):
    pass


class _PartCollector:
    """Callbacks for python-multipart's low-level parser, collecting (name, value) pairs."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, Any]] = []
        self.ended = False
        self._headers: dict[str, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._header_bytes = 0
        self._data: list[bytes] = []

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            raise _Invalid(f"more than {MAX_PARTS} parts")
        self._headers, self._data, self._header_bytes = {}, [], 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]
        self._count_header(end - start)

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        self._count_header(end - start)

    def _count_header(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > MAX_PART_HEADERS_BYTES:
            raise _Invalid("a part's headers are too large")

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.strip()  # bytes: names may be UTF-8
        self._header_name, self._header_value = b"", b""

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._data.append(data[start:end])

    def _part_end(self) -> None:
        disposition = self._headers.get("content-disposition")
        if not disposition:
            raise _Invalid("a part has no Content-Disposition header")
        try:
            kind, params = parse_options_header(disposition)
        except Exception:  # noqa: BLE001 - a malformed header is the client's error
            raise _Invalid("a part has a malformed Content-Disposition header") from None
        raw_name = params.get(b"name")
        if kind != b"form-data" or raw_name is None:
            raise _Invalid("a part's Content-Disposition is not form-data with a name")
        name = _text(raw_name)
        data = b"".join(self._data)
        filename = params.get(b"filename")
        if filename is not None:
            content_type = self._headers.get("content-type")
            value: Any = UploadedFile(_text(filename), _text(content_type) if content_type else None, data)
        else:
            try:
                value = data.decode("utf-8")
            except UnicodeDecodeError:
                raise _Invalid(f"the field '{name}' is not valid UTF-8") from None
        self.parts.append((name, value))

    def _end(self) -> None:
        self.ended = True


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# How OpenAI names a JSON value's type in messages; bool before int (a bool is an int in Python).
_KINDS = ((type(None), "null"), (bool, "a boolean"), (int, "an integer"), (float, "a decimal"), (str, "a string"),
          (list, "an array"), (dict, "an object"))


def json_kind(value: Any) -> str:
    """How OpenAI names a JSON value's type in messages ("a string", "an integer", "null"...)."""
    kinds = (*_KINDS, (UploadedFile, "a file"))
    return next((kind for cls, kind in kinds if isinstance(value, cls)), type(value).__name__)


def _either(options: tuple[str, ...]) -> str:
    if len(options) <= 1:
        return "".join(options)
    return ", ".join(options[:-1]) + " or " + options[-1]
