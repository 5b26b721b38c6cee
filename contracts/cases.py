"""Requests the suite sends: one ``Case`` each, encoded exactly (JSON, multipart or raw bytes).

The multipart encoder is our own: httpx only sends multipart when a file is attached, and the
openai SDK sends multipart without one, so the suite must too.
"""

from __future__ import annotations

import functools
import io
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from contracts.rules import CREATE

_MISSING = object()

FileField = tuple[str, str, str, bytes]  # (field name, filename, content type, bytes)


@dataclass
class Case:
    name: str  # human: "create json prompt of 32000 characters"
    method: str
    path: str  # concrete path, e.g. /videos/video_123
    operation: tuple[str, str] | None = None  # (METHOD, spec path template); None: off the spec
    json_body: Any = _MISSING
    form: list[tuple[str, str]] | None = None  # multipart text fields
    files: list[FileField] = field(default_factory=list)
    raw: bytes | None = None
    content_type: str | None = None  # for raw bodies
    query: dict[str, Any] | None = None
    auth: str | bool | None = True  # True: the run's key; None/False: none; str: that key
    params: dict[str, Any] = field(default_factory=dict)  # what was asked for, for echo checks
    partial_body: bool = False  # only the start of the body is read (content downloads)
    # The one clause this case exists to test, and the answer that clause wants (EXPECTATIONS).
    # Its outcome counts for that clause alone; every other clause judges only what the response
    # itself shows (checks.py). A case without a clause serves the run (polls, clean-up, baseline).
    clause: str | None = None
    expect: str | None = None
    # Further clauses this one create carries (a packed create of the plan: contracts/plan.py).
    carries: tuple[str, ...] = ()
    # The same property refused in the other encoding: that answer's place in the record, so that an
    # acceptance here says the refusal was that encoding's (contracts/checks/expectations.py).
    contrast: int | None = None
    # What the request is for, beyond its clause: "poll" (following a job), "probe" (a look the plan
    # takes), "cleanup" (deleting the run's videos); None: a case a check judges by its kind alone.
    purpose: str | None = None
    at_once: bool = False  # sent now: not after the due polls, not after the run's jobs ended
    # A request of several properties at once that the kit did not split (live traffic: contracts/intent.py):
    # parameter -> (the clause of that property, the answer it wants), so that a refusal naming the
    # parameter (the error envelope's ``param``) is that clause's (contracts/checks/expectations.py).
    by_param: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The key it carries is one the target accepts (a run's own key; in live traffic, a key an earlier
    # answer accepted): a 401 or 403 to it is about the request, not a wrong key.
    key_proven: bool = True

    @property
    def planned_for(self) -> tuple[str, ...]:
        """Every clause whose coverage counts this case: sent, or dropped under the create cap."""
        return ((self.clause,) if self.clause else ()) + self.carries

    @property
    def encoding(self) -> str:
        if self.form is not None or self.files:
            return "multipart"
        if self.json_body is not _MISSING:
            return "json"
        return "raw" if self.raw is not None else "none"

    def encode(self) -> tuple[dict[str, str], bytes | None]:
        if self.encoding == "multipart":
            boundary = "videos-contract-" + uuid.uuid4().hex
            return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, encode_multipart(
                self.form or [], self.files, boundary
            )
        if self.encoding == "json":
            body = json.dumps(self.json_body, ensure_ascii=False).encode("utf-8", "surrogatepass")
            return {"Content-Type": "application/json"}, body
        if self.raw is not None:
            return ({"Content-Type": self.content_type} if self.content_type else {}), self.raw
        return {}, None


def encode_multipart(fields: list[tuple[str, str]], files: list[FileField], boundary: str) -> bytes:
    """A multipart/form-data body: the text fields, then the files."""
    return encode_parts([*fields, *files], boundary)


def encode_parts(parts: list[tuple[str, str] | FileField], boundary: str) -> bytes:
    """A multipart/form-data body of text fields ``(name, value)`` and files ``(name, filename,
    content type, bytes)`` in the order given (names may repeat)."""
    out = io.BytesIO()
    for part in parts:
        if len(part) == 2:
            name, value = part
            out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode())
            out.write(value.encode("utf-8", "surrogatepass"))
        else:
            name, filename, content_type, data = part
            out.write(
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue()


EXPECTATIONS = ("accepted", "rejected", "tolerated", "not-found", "unauthorized", "refused-at-once")


# ---- what a plan tells besides its cases ------------------------------------------------------------
@dataclass(frozen=True)
class NotSent:
    """The case planned for ``clause`` was not sent, and why (``blocked_by``: the clause whose
    failure made it pointless, when one did). A fact of the plan, not a verdict (contracts/judge.py)."""

    clause: str
    reason: str
    blocked_by: str | None = None


@dataclass(frozen=True)
class Planned:
    """The plan sends fewer cases for ``clause`` than it could (a budget), said beside its verdict;
    every case planned still has to run for it to pass."""

    clause: str
    note: str


@dataclass(frozen=True)
class Follow:
    """Poll the jobs the run follows until each ends or the job window closes (``ids``: only those)."""

    ids: tuple[str, ...] | None = None


def create(name: str, encoding: str, params: dict[str, Any], files: list[FileField] | None = None, *,
           clause: str | None = None, expect: str | None = None) -> Case:
    """A POST /videos case sending ``params`` in the given encoding ("json" or "multipart")."""
    case = Case(name=f"create {encoding}: {name}", method="POST", path="/videos", operation=CREATE,
                params=dict(params), clause=clause, expect=expect)
    if encoding == "json":
        case.json_body = params
    else:
        case.form = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in params.items()]
        case.files = list(files or [])
    return case


def raw_create(name: str, body: bytes, content_type: str, *, clause: str | None = None,
               expect: str | None = None) -> Case:
    return Case(name=f"create raw: {name}", method="POST", path="/videos", operation=CREATE,
                raw=body, content_type=content_type, clause=clause, expect=expect)


def call(name: str, method: str, template: str, video_id: str | None = None, **kwargs: Any) -> Case:
    path = template.replace("{video_id}", video_id) if video_id is not None else template
    return Case(name=name, method=method, path=path, operation=(method, template), **kwargs)


@functools.lru_cache(maxsize=16)
def image_bytes(width: int, height: int, fmt: str = "PNG") -> bytes:
    """A solid image of the given pixel size (compresses to a few KB even at 1792x1024)."""
    from PIL import Image  # imported lazily: only image cases need Pillow

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format=fmt)
    return buffer.getvalue()


def image_file(width: int, height: int, fmt: str = "PNG") -> FileField:
    ext, mime = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}[fmt]
    return ("input_reference", f"reference-{width}x{height}.{ext}", mime, image_bytes(width, height, fmt))
