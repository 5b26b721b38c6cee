"""What the proxy keeps of bodies that stream through it: never a whole upload or download.

A request body is kept whole while it is small (a JSON create, a small multipart one: what the
checks and a curl need); a multipart body is also parsed as it streams (``python_multipart``), so
that its text fields and the first bytes of each file are known whatever its size. A response body
is decoded (``Content-Encoding``) and kept up to a cap: a JSON answer whole (the client's cap, beyond
which it is a body that does not end), a content download's first 64 KiB (its magic bytes).
"""

from __future__ import annotations

from typing import Any

import httpx
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from contracts.client import DEFAULT_BODY_CAP
from contracts.intent import UPLOAD_HEAD, Upload
from contracts.send import BODY_CAP_PARTIAL

KEEP_BODY = 1024 * 1024  # a request body kept whole up to this size (JSON creates: a 32001-character prompt fits)
FIELD_CAP = 256 * 1024  # a multipart text field longer than this is not read: its request is judged by its answer alone
MAX_PARTS = 256


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    kind, _ = parse_options_header(content_type)
    return kind.decode("latin-1").strip().lower() or None


class RequestBody:
    """A request body as it streams: its size, itself while small, a multipart body's fields and files."""

    def __init__(self, content_type: str | None) -> None:
        self.size = 0
        self.kept: bytearray | None = bytearray()
        self.media_type = media_type(content_type)
        self.form: list[tuple[str, str]] | None = None
        self.uploads: list[Upload] = []
        self.unreadable: str | None = None
        self._parser: MultipartParser | None = None
        if self.media_type == "multipart/form-data":
            self._start_multipart(content_type or "")

    def __getstate__(self) -> dict[str, Any]:
        """What another process needs (the grader's): not the parser, which is done once the body is."""
        return {k: v for k, v in self.__dict__.items() if k in ("size", "kept", "media_type", "form", "uploads",
                                                                  "unreadable")}

    @property
    def whole(self) -> bytes | None:
        return bytes(self.kept) if self.kept is not None else None

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.kept is not None:
            if len(self.kept) + len(chunk) > KEEP_BODY:
                self.kept = None
            else:
                self.kept += chunk
        if self._parser is not None and self.unreadable is None:
            try:
                self._parser.write(chunk)
            except (FormParserError, ValueError) as exc:
                self._fail(f"a multipart body python-multipart cannot read ({exc})")

    def finish(self) -> None:
        if self._parser is not None and self.unreadable is None:
            try:
                self._parser.finalize()
            except (FormParserError, ValueError) as exc:
                self._fail(f"a multipart body python-multipart cannot read ({exc})")
            if self.unreadable is None and self._state != "ended":
                self._fail("a multipart body that does not end")

    # ---- multipart ----------------------------------------------------------------------------------
    def _start_multipart(self, content_type: str) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            self.unreadable = "a multipart body without a boundary"
            return
        self.form = []
        self._state = "before"
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._part: dict[str, Any] | None = None
        callbacks = {
            "on_part_begin": self._part_begin, "on_part_data": self._part_data, "on_part_end": self._part_end,
            "on_header_field": lambda data, start, end: self._header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end, "on_headers_finished": self._headers_finished,
            "on_end": self._end,
        }
        try:
            self._parser = MultipartParser(boundary, callbacks)
        except (FormParserError, ValueError) as exc:
            self.unreadable = f"a multipart boundary python-multipart refuses ({exc})"

    def _fail(self, why: str) -> None:
        self.unreadable = why
        self._parser = None

    def _part_begin(self) -> None:
        self._headers = {}
        if len(self.uploads) + len(self.form or []) >= MAX_PARTS:
            self._fail(f"more than {MAX_PARTS} parts")

    def _header_end(self) -> None:
        name = self._header_field.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._part = {"name": name, "data": bytearray(), "size": 0,
                      "filename": filename.decode("utf-8", "replace") if filename is not None else None,
                      "content_type": self._headers.get("content-type")}

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part is None:
            return
        part["size"] += end - start
        room = (UPLOAD_HEAD if part["filename"] is not None else FIELD_CAP) - len(part["data"])
        if room > 0:
            part["data"].extend(data[start:min(end, start + room)])
        elif part["filename"] is None:
            self._fail(f"a text field longer than {FIELD_CAP} bytes")

    def _part_end(self) -> None:
        part, self._part = self._part, None
        if part is None or self.unreadable is not None:
            return
        if part["filename"] is None:
            self.form.append((part["name"], part["data"].decode("utf-8", "replace")))
        else:
            self.uploads.append(Upload(part["name"], part["filename"], part["content_type"], part["size"],
                                       bytes(part["data"])))

    def _end(self) -> None:
        self._state = "ended"


class ResponseBody:
    """A response body as it streams: its raw size, its decoded head up to ``cap``."""

    def __init__(self, response: httpx.Response, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.kept = bytearray()
        self.truncated = False
        self.undecodable: str | None = None
        # httpx's own choice of decoder for the answer's Content-Encoding (gzip, deflate, br, zstd):
        # the bytes pass to the client as they came; the checks read them decoded, as a client does.
        self._decoder = response._get_content_decoder()

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_decoder"}

    def feed(self, raw: bytes) -> None:
        self.size += len(raw)
        if self.truncated or self.undecodable:
            return
        try:
            self._keep(self._decoder.decode(raw))
        except httpx.DecodingError as exc:
            self.undecodable = f"the body could not be decoded as its Content-Encoding says ({exc})"

    def finish(self) -> None:
        if not self.truncated and not self.undecodable:
            try:
                self._keep(self._decoder.flush())
            except httpx.DecodingError as exc:
                self.undecodable = f"the body could not be decoded as its Content-Encoding says ({exc})"

    def _keep(self, data: bytes) -> None:
        room = self.cap - len(self.kept)
        if len(data) > room:
            self.kept += data[:room]
            self.truncated = True
        else:
            self.kept += data


def response_cap(partial: bool) -> int:
    """A content download's first bytes; any other answer up to the client's cap."""
    return BODY_CAP_PARTIAL if partial else DEFAULT_BODY_CAP
