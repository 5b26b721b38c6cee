"""Malformed and invalid requests, one row each: exact status, the envelope, param and code.

Every answer must validate against the spec's ErrorResponse schema: never a 422, a FastAPI
``{"detail": ...}``, a bare text page or a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import httpx
import pytest
from mock_helpers import image_bytes, multipart

from contracts.embedded import EmbeddedServer
from contracts.mock.errors import ECHO_LIMIT

NOTSET: Any = object()
UNKNOWN_ID = "video_" + "f" * 32
PNG_720x1280 = image_bytes((720, 1280))
OVER_64_KIB = 100 * 1024
MP4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()


@dataclass
class Bad:
    id: str
    method: str
    path: str  # "{pending}" is replaced by a video that never completes (on the strict server)
    status: int
    param: str | None
    code: str | None
    json: Any = NOTSET
    files: Any = None
    content: bytes | Callable[[], Iterator[bytes]] | None = None
    content_type: str | None = None
    params: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    server: str = "fast"  # fast | strict | keyed


def form(**fields: Any) -> dict[str, Any]:
    return {k: (None, v) if isinstance(v, str) else v for k, v in fields.items()}


def raw(fields: list) -> dict[str, Any]:
    body, content_type = multipart(fields)
    return {"content": body, "content_type": content_type}


def chunks(total: int) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        yield b'{"prompt": "'
        sent = 0
        while sent < total:
            yield b"a" * 8192
            sent += 8192
        yield b'"}'

    return generate


CASES = [
    # ---- create: JSON fields -----------------------------------------------------------------
    Bad("json-missing-prompt", "POST", "/videos", 400, "prompt", "missing_required_parameter", json={"seconds": "4"}),
    Bad("json-empty-prompt", "POST", "/videos", 400, "prompt", "empty_string", json={"prompt": ""}),
    Bad("json-prompt-32001-ascii", "POST", "/videos", 400, "prompt", "string_above_max_length", json={"prompt": "a" * 32001}),
    Bad("json-prompt-32001-emoji", "POST", "/videos", 400, "prompt", "string_above_max_length", json={"prompt": "🎬" * 32001}),
    Bad("json-prompt-integer", "POST", "/videos", 400, "prompt", "invalid_type", json={"prompt": 42}),
    Bad("json-prompt-null", "POST", "/videos", 400, "prompt", "invalid_type", json={"prompt": None}),
    Bad("json-prompt-array", "POST", "/videos", 400, "prompt", "invalid_type", json={"prompt": ["a"]}),
    Bad("json-seconds-10", "POST", "/videos", 400, "seconds", "invalid_value", json={"prompt": "p", "seconds": "10"}),
    Bad("json-seconds-integer", "POST", "/videos", 400, "seconds", "invalid_type", json={"prompt": "p", "seconds": 8}),
    Bad("json-seconds-null", "POST", "/videos", 400, "seconds", "invalid_type", json={"prompt": "p", "seconds": None}),
    Bad("json-size-bad", "POST", "/videos", 400, "size", "invalid_value", json={"prompt": "p", "size": "640x480"}),
    Bad("json-size-bool", "POST", "/videos", 400, "size", "invalid_type", json={"prompt": "p", "size": True}),
    Bad("json-model-integer", "POST", "/videos", 400, "model", "invalid_type", json={"prompt": "p", "model": 2}),
    Bad("json-unknown-parameter", "POST", "/videos", 400, "quality", "unknown_parameter", json={"prompt": "p", "quality": "hd"}),
    Bad(
        "json-reference-both",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_value",
        json={"prompt": "p", "input_reference": {"image_url": "https://x/y.png", "file_id": "file-1"}},
    ),
    Bad("json-reference-empty-object", "POST", "/videos", 400, "input_reference", "invalid_value", json={"prompt": "p", "input_reference": {}}),
    Bad(
        "json-reference-empty-url",
        "POST",
        "/videos",
        400,
        "input_reference.image_url",
        "empty_string",
        json={"prompt": "p", "input_reference": {"image_url": ""}},
    ),
    Bad(
        "json-reference-unknown-key",
        "POST",
        "/videos",
        400,
        "input_reference.url",
        "unknown_parameter",
        json={"prompt": "p", "input_reference": {"url": "https://x/y.png"}},
    ),
    Bad("json-reference-string", "POST", "/videos", 400, "input_reference", "invalid_type", json={"prompt": "p", "input_reference": "x"}),
    # ---- create: JSON syntax -----------------------------------------------------------------
    Bad("json-malformed", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": ', content_type="application/json"),
    Bad("json-empty-body", "POST", "/videos", 400, None, "invalid_json", content=b"", content_type="application/json"),
    Bad("json-nan", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": NaN}', content_type="application/json"),
    Bad("json-bad-utf8", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": "\xff\xfe"}', content_type="application/json"),
    Bad("json-lone-surrogate-prompt", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": "\\ud800"}', content_type="application/json"),
    Bad("json-lone-low-surrogate-model", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": "p", "model": "\\uDFFF"}', content_type="application/json"),
    Bad("json-pair-in-wrong-order", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": "\\udfac\\ud83c"}', content_type="application/json"),
    Bad("json-lone-surrogate-key", "POST", "/videos", 400, None, "invalid_json", content=b'{"prompt": "p", "\\ud83c": 1}', content_type="application/json"),
    Bad("json-array-body", "POST", "/videos", 400, None, "invalid_type", json=[{"prompt": "p"}]),
    Bad("json-string-body", "POST", "/videos", 400, None, "invalid_type", json="prompt"),
    # ---- create: content types ---------------------------------------------------------------
    Bad("text-plain-body", "POST", "/videos", 415, "Content-Type", "unsupported_media_type", content=b"prompt=p", content_type="text/plain"),
    Bad(
        "urlencoded-body",
        "POST",
        "/videos",
        415,
        "Content-Type",
        "unsupported_media_type",
        content=b"prompt=p",
        content_type="application/x-www-form-urlencoded",
    ),
    Bad("no-content-type", "POST", "/videos", 415, "Content-Type", "unsupported_media_type", content=b'{"prompt": "p"}'),
    # ---- create: multipart -------------------------------------------------------------------
    Bad("form-missing-prompt", "POST", "/videos", 400, "prompt", "missing_required_parameter", files=form(seconds="4")),
    Bad("form-empty-prompt", "POST", "/videos", 400, "prompt", "empty_string", files=form(prompt="")),
    Bad("form-prompt-32001-multibyte", "POST", "/videos", 400, "prompt", "string_above_max_length", files=form(prompt="é" * 32001)),
    Bad("form-seconds-10", "POST", "/videos", 400, "seconds", "invalid_value", files=form(prompt="p", seconds="10")),
    Bad("form-seconds-4.0", "POST", "/videos", 400, "seconds", "invalid_value", files=form(prompt="p", seconds="4.0")),
    Bad("form-size-bad", "POST", "/videos", 400, "size", "invalid_value", files=form(prompt="p", size="1280X720")),
    Bad("form-unknown-parameter", "POST", "/videos", 400, "n", "unknown_parameter", files=form(prompt="p", n="2")),
    Bad("form-repeated-prompt", "POST", "/videos", 400, "prompt", "invalid_type", **raw([("prompt", "a"), ("prompt", "b")])),
    Bad("form-prompt-as-file", "POST", "/videos", 400, "prompt", "invalid_type", files={"prompt": ("p.txt", b"p", "text/plain")}),
    Bad("form-reference-as-text", "POST", "/videos", 400, "input_reference", "invalid_type", files=form(prompt="p", input_reference="x")),
    Bad(
        "form-image-wrong-size",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_value",
        files=form(prompt="p", size="1280x720", input_reference=("ref.png", PNG_720x1280, "image/png")),
    ),
    Bad(
        "form-not-an-image",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_image",
        files=form(prompt="p", input_reference=("ref.png", b"this is not a picture", "image/png")),
    ),
    Bad(
        "form-truncated-image",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_image",
        files=form(prompt="p", input_reference=("ref.png", PNG_720x1280[:-200] + b"\0" * 10, "image/png")),
    ),
    Bad(
        "form-gif-image",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_image_format",
        files=form(prompt="p", input_reference=("ref.gif", image_bytes((720, 1280), "GIF"), "image/gif")),
    ),
    Bad(
        "form-file-and-image-url",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_value",
        files=form(prompt="p", input_reference=("ref.png", PNG_720x1280, "image/png"), **{"input_reference[image_url]": "https://x"}),
    ),
    Bad(
        "form-image-url-and-file-id",
        "POST",
        "/videos",
        400,
        "input_reference",
        "invalid_value",
        files=form(prompt="p", **{"input_reference[image_url]": "https://x", "input_reference[file_id]": "file-1"}),
    ),
    Bad(
        "form-empty-bracket-url",
        "POST",
        "/videos",
        400,
        "input_reference[image_url]",
        "empty_string",
        files=form(prompt="p", **{"input_reference[image_url]": ""}),
    ),
    Bad(
        "form-garbage",
        "POST",
        "/videos",
        400,
        None,
        "invalid_multipart",
        content=b"\x00\x01garbage, not multipart at all",
        content_type="multipart/form-data; boundary=xyz",
    ),
    Bad(
        "form-no-closing-boundary",
        "POST",
        "/videos",
        400,
        None,
        "invalid_multipart",
        content=b'--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\np',
        content_type="multipart/form-data; boundary=xyz",
    ),
    Bad("form-unicode-field-name", "POST", "/videos", 400, "🎬\x00名", "unknown_parameter", **raw([("prompt", "p"), ("🎬\x00名", "x")])),
    Bad(
        "form-part-without-disposition",
        "POST",
        "/videos",
        400,
        None,
        "invalid_multipart",
        content=b"--xyz\r\nContent-Type: text/plain\r\n\r\np\r\n--xyz--\r\n",
        content_type="multipart/form-data; boundary=xyz",
    ),
    Bad(
        "form-attachment-disposition",
        "POST",
        "/videos",
        400,
        None,
        "invalid_multipart",
        content=b'--xyz\r\nContent-Disposition: attachment; name="prompt"\r\n\r\np\r\n--xyz--\r\n',
        content_type="multipart/form-data; boundary=xyz",
    ),
    Bad("form-no-boundary", "POST", "/videos", 400, None, "invalid_multipart", content=b"--x--\r\n", content_type="multipart/form-data"),
    Bad(
        "form-bad-utf8",
        "POST",
        "/videos",
        400,
        None,
        "invalid_multipart",
        content=b'--xyz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n\xff\xfe\r\n--xyz--\r\n',
        content_type="multipart/form-data; boundary=xyz",
    ),
    # ---- list ------------------------------------------------------------------------------
    Bad("list-limit-101", "GET", "/videos", 400, "limit", "integer_above_max_value", params={"limit": "101"}),
    Bad("list-limit-negative", "GET", "/videos", 400, "limit", "integer_below_min_value", params={"limit": "-1"}),
    Bad("list-limit-text", "GET", "/videos", 400, "limit", "invalid_type", params={"limit": "ten"}),
    Bad("list-limit-decimal", "GET", "/videos", 400, "limit", "invalid_type", params={"limit": "2.5"}),
    Bad("list-order-bad", "GET", "/videos", 400, "order", "invalid_value", params={"order": "newest"}),
    Bad("list-after-unknown", "GET", "/videos", 400, "after", "invalid_value", params={"after": UNKNOWN_ID}),
    # ---- unknown ids -----------------------------------------------------------------------
    Bad("retrieve-unknown-id", "GET", f"/videos/{UNKNOWN_ID}", 404, "video_id", "video_not_found"),
    Bad("delete-unknown-id", "DELETE", f"/videos/{UNKNOWN_ID}", 404, "video_id", "video_not_found"),
    Bad("content-unknown-id", "GET", f"/videos/{UNKNOWN_ID}/content", 404, "video_id", "video_not_found"),
    Bad("remix-unknown-id", "POST", f"/videos/{UNKNOWN_ID}/remix", 404, "video_id", "video_not_found", json={"prompt": "p"}),
    # ---- content and remix -----------------------------------------------------------------
    Bad("content-bad-variant", "GET", "/videos/{pending}/content", 400, "variant", "invalid_value", params={"variant": "gif"}, server="strict"),
    Bad("content-not-ready", "GET", "/videos/{pending}/content", 404, "video_id", "video_not_ready", server="strict"),
    Bad("remix-not-completed", "POST", "/videos/{pending}/remix", 400, "video_id", "video_not_ready", json={"prompt": "p"}, server="strict"),
    Bad("remix-missing-prompt", "POST", "/videos/{pending}/remix", 400, "prompt", "missing_required_parameter", json={}, server="strict"),
    Bad("remix-empty-prompt", "POST", "/videos/{pending}/remix", 400, "prompt", "empty_string", files=form(prompt=""), server="strict"),
    Bad(
        "remix-unknown-parameter",
        "POST",
        "/videos/{pending}/remix",
        400,
        "seconds",
        "unknown_parameter",
        json={"prompt": "p", "seconds": "8"},
        server="strict",
    ),
    # ---- edits and extensions --------------------------------------------------------------
    Bad("edit-missing-video", "POST", "/videos/edits", 400, "video", "missing_required_parameter", json={"prompt": "p"}),
    Bad("edit-missing-prompt", "POST", "/videos/edits", 400, "prompt", "missing_required_parameter", json={"video": {"id": UNKNOWN_ID}}),
    Bad("edit-video-a-string", "POST", "/videos/edits", 400, "video", "invalid_type", json={"prompt": "p", "video": UNKNOWN_ID}),
    Bad("edit-video-empty-id", "POST", "/videos/edits", 400, "video.id", "empty_string", json={"prompt": "p", "video": {"id": ""}}),
    Bad("edit-video-no-id", "POST", "/videos/edits", 400, "video.id", "missing_required_parameter", json={"prompt": "p", "video": {}}),
    Bad("edit-unknown-id", "POST", "/videos/edits", 404, "video", "video_not_found", json={"prompt": "p", "video": {"id": UNKNOWN_ID}}),
    Bad("edit-not-completed", "POST", "/videos/edits", 400, "video", "video_not_ready", json={"prompt": "p", "video": {"id": "{pending}"}}, server="strict"),
    Bad("edit-form-missing-video", "POST", "/videos/edits", 400, "video", "missing_required_parameter", files=form(prompt="p")),
    Bad("edit-form-not-a-video", "POST", "/videos/edits", 400, "video", "invalid_video", files=form(prompt="p", video=("clip.mp4", b"plain text", "video/mp4"))),
    Bad("edit-form-image", "POST", "/videos/edits", 400, "video", "invalid_video", files=form(prompt="p", video=("clip.png", PNG_720x1280, "image/png"))),
    Bad("edit-form-file-and-id", "POST", "/videos/edits", 400, "video", "invalid_value", **raw([("prompt", "p"), ("video[id]", UNKNOWN_ID), ("video", ("c.mp4", b"x", "video/mp4"))])),
    Bad("edit-form-video-as-text", "POST", "/videos/edits", 400, "video", "invalid_type", files=form(prompt="p", video=UNKNOWN_ID)),
    Bad("edit-form-unknown-id", "POST", "/videos/edits", 404, "video", "video_not_found", files=form(prompt="p", **{"video[id]": UNKNOWN_ID})),
    Bad("edit-json-malformed", "POST", "/videos/edits", 400, None, "invalid_json", content=b'{"prompt": ', content_type="application/json"),
    Bad("edit-lone-surrogate-prompt", "POST", "/videos/edits", 400, None, "invalid_json", content=b'{"prompt": "\\ud800", "video": {"id": "video_x"}}', content_type="application/json"),
    Bad("edit-lone-surrogate-id", "POST", "/videos/edits", 400, None, "invalid_json", content=b'{"prompt": "p", "video": {"id": "\\udc00"}}', content_type="application/json"),
    Bad("extend-lone-surrogate-prompt", "POST", "/videos/extensions", 400, None, "invalid_json", content=b'{"prompt": "\\ud800", "seconds": "4", "video": {"id": "video_x"}}', content_type="application/json"),
    Bad("remix-lone-surrogate-prompt", "POST", "/videos/{pending}/remix", 400, None, "invalid_json", content=b'{"prompt": "\\ud800"}', content_type="application/json", server="strict"),
    Bad("edit-json-array-body", "POST", "/videos/edits", 400, None, "invalid_type", json=[{"prompt": "p"}]),
    Bad("edit-prompt-integer", "POST", "/videos/edits", 400, "prompt", "invalid_type", json={"prompt": 1, "video": {"id": UNKNOWN_ID}}),
    Bad("edit-prompt-32001", "POST", "/videos/edits", 400, "prompt", "string_above_max_length", json={"prompt": "a" * 32001, "video": {"id": UNKNOWN_ID}}),
    Bad("edit-video-null", "POST", "/videos/edits", 400, "video", "invalid_type", json={"prompt": "p", "video": None}),
    Bad("edit-video-id-integer", "POST", "/videos/edits", 400, "video.id", "invalid_type", json={"prompt": "p", "video": {"id": 7}}),
    Bad("edit-video-unknown-key", "POST", "/videos/edits", 400, "video.file_id", "unknown_parameter", json={"prompt": "p", "video": {"id": UNKNOWN_ID, "file_id": "f"}}),
    Bad("edit-unknown-parameter", "POST", "/videos/edits", 400, "seconds", "unknown_parameter", json={"prompt": "p", "seconds": "4", "video": {"id": UNKNOWN_ID}}),
    Bad("edit-form-empty-file", "POST", "/videos/edits", 400, "video", "invalid_video", files=form(prompt="p", video=("clip.mp4", b"", "video/mp4"))),
    Bad("edit-form-empty-video-id", "POST", "/videos/edits", 400, "video[id]", "empty_string", files=form(prompt="p", **{"video[id]": ""})),
    Bad("edit-form-video-id-as-file", "POST", "/videos/edits", 400, "video[id]", "invalid_type", files=form(prompt="p", **{"video[id]": ("id.txt", b"x", "text/plain")})),
    Bad("edit-form-garbage", "POST", "/videos/edits", 400, None, "invalid_multipart", content=b"\x00garbage", content_type="multipart/form-data; boundary=xyz"),
    Bad("edit-urlencoded", "POST", "/videos/edits", 415, "Content-Type", "unsupported_media_type", content=b"prompt=p", content_type="application/x-www-form-urlencoded"),
    Bad("edit-oversize", "POST", "/videos/edits", 413, None, "request_too_large", files=form(prompt="p", video=("c.mp4", b"\0" * OVER_64_KIB, "video/mp4")), server="strict"),
    Bad("extend-missing-seconds", "POST", "/videos/extensions", 400, "seconds", "missing_required_parameter", json={"prompt": "p", "video": {"id": UNKNOWN_ID}}),
    Bad("extend-seconds-10", "POST", "/videos/extensions", 400, "seconds", "invalid_value", json={"prompt": "p", "seconds": "10", "video": {"id": UNKNOWN_ID}}),
    Bad("extend-seconds-integer", "POST", "/videos/extensions", 400, "seconds", "invalid_type", json={"prompt": "p", "seconds": 4, "video": {"id": UNKNOWN_ID}}),
    Bad("extend-empty-prompt", "POST", "/videos/extensions", 400, "prompt", "empty_string", files=form(prompt="", seconds="4", **{"video[id]": UNKNOWN_ID})),
    Bad("extend-unknown-id", "POST", "/videos/extensions", 404, "video", "video_not_found", json={"prompt": "p", "seconds": "4", "video": {"id": UNKNOWN_ID}}),
    Bad("extend-form-unknown-id", "POST", "/videos/extensions", 404, "video", "video_not_found", files=form(prompt="p", seconds="4", **{"video[id]": UNKNOWN_ID})),
    Bad("extend-not-completed", "POST", "/videos/extensions", 400, "video", "video_not_ready", json={"prompt": "p", "seconds": "4", "video": {"id": "{pending}"}}, server="strict"),
    Bad("extend-oversize", "POST", "/videos/extensions", 413, None, "request_too_large", files=form(prompt="p", seconds="4", video=("c.mp4", b"\0" * OVER_64_KIB, "video/mp4")), server="strict"),
    Bad("extend-json-malformed", "POST", "/videos/extensions", 400, None, "invalid_json", content=b'{"seconds": "4",', content_type="application/json"),
    Bad("extend-seconds-null", "POST", "/videos/extensions", 400, "seconds", "invalid_type", json={"prompt": "p", "seconds": None, "video": {"id": UNKNOWN_ID}}),
    Bad("extend-seconds-4.0", "POST", "/videos/extensions", 400, "seconds", "invalid_value", json={"prompt": "p", "seconds": "4.0", "video": {"id": UNKNOWN_ID}}),
    Bad("extend-form-seconds-7", "POST", "/videos/extensions", 400, "seconds", "invalid_value", files=form(prompt="p", seconds="7", **{"video[id]": UNKNOWN_ID})),
    Bad("extend-form-missing-seconds", "POST", "/videos/extensions", 400, "seconds", "missing_required_parameter", files=form(prompt="p", **{"video[id]": UNKNOWN_ID})),
    Bad("extend-form-repeated-seconds", "POST", "/videos/extensions", 400, "seconds", "invalid_type", **raw([("prompt", "p"), ("seconds", "4"), ("seconds", "8"), ("video[id]", UNKNOWN_ID)])),
    Bad("extend-form-file-and-id", "POST", "/videos/extensions", 400, "video", "invalid_value", **raw([("prompt", "p"), ("seconds", "4"), ("video[id]", UNKNOWN_ID), ("video", ("c.mp4", MP4, "video/mp4"))])),
    Bad("extend-form-not-a-video", "POST", "/videos/extensions", 400, "video", "invalid_video", files=form(prompt="p", seconds="4", video=("c.mp4", b"plain text", "video/mp4"))),
    Bad("extend-form-empty-file", "POST", "/videos/extensions", 400, "video", "invalid_video", files=form(prompt="p", seconds="4", video=("c.mp4", b"", "video/mp4"))),
    # ---- characters ------------------------------------------------------------------------
    Bad("character-json", "POST", "/videos/characters", 415, "Content-Type", "unsupported_media_type", json={"name": "Mossy"}),
    Bad("character-missing-name", "POST", "/videos/characters", 400, "name", "missing_required_parameter", files=form(video=("c.mp4", MP4, "video/mp4"))),
    Bad("character-empty-name", "POST", "/videos/characters", 400, "name", "empty_string", files=form(name="", video=("c.mp4", MP4, "video/mp4"))),
    Bad("character-name-81", "POST", "/videos/characters", 400, "name", "string_above_max_length", files=form(name="n" * 81, video=("c.mp4", MP4, "video/mp4"))),
    Bad("character-missing-video", "POST", "/videos/characters", 400, "video", "missing_required_parameter", files=form(name="Mossy")),
    Bad("character-video-as-text", "POST", "/videos/characters", 400, "video", "invalid_type", files=form(name="Mossy", video="clip.mp4")),
    Bad("character-not-a-video", "POST", "/videos/characters", 400, "video", "invalid_video", files=form(name="Mossy", video=("c.mp4", b"plain text", "video/mp4"))),
    Bad("character-image", "POST", "/videos/characters", 400, "video", "invalid_video", files=form(name="Mossy", video=("c.png", PNG_720x1280, "image/png"))),
    Bad("character-truncated-mp4", "POST", "/videos/characters", 400, "video", "invalid_video", files=form(name="Mossy", video=("c.mp4", MP4[:200], "video/mp4"))),
    Bad("character-unknown-parameter", "POST", "/videos/characters", 400, "voice", "unknown_parameter", files=form(name="Mossy", voice="deep", video=("c.mp4", MP4, "video/mp4"))),
    Bad("character-oversize", "POST", "/videos/characters", 413, None, "request_too_large", files=form(name="Mossy", video=("c.mp4", b"\0" * OVER_64_KIB, "video/mp4")), server="strict"),
    Bad("character-empty-file", "POST", "/videos/characters", 400, "video", "invalid_video", files=form(name="Mossy", video=("c.mp4", b"", "video/mp4"))),
    Bad("character-name-100000", "POST", "/videos/characters", 400, "name", "string_above_max_length", files=form(name="n" * 100_000, video=("c.mp4", MP4, "video/mp4"))),
    Bad("character-name-as-file", "POST", "/videos/characters", 400, "name", "invalid_type", files=form(name=("name.txt", b"Mossy", "text/plain"), video=("c.mp4", MP4, "video/mp4"))),
    Bad("character-video-by-id", "POST", "/videos/characters", 400, "video[id]", "unknown_parameter", files=form(name="Mossy", **{"video[id]": UNKNOWN_ID})),
    Bad("character-two-videos", "POST", "/videos/characters", 400, "video", "invalid_type", **raw([("name", "Mossy"), ("video", ("a.mp4", MP4, "video/mp4")), ("video", ("b.mp4", MP4, "video/mp4"))])),
    Bad("character-repeated-name", "POST", "/videos/characters", 400, "name", "invalid_type", **raw([("name", "A"), ("name", "B"), ("video", ("a.mp4", MP4, "video/mp4"))])),
    Bad("character-garbage", "POST", "/videos/characters", 400, None, "invalid_multipart", content=b"\x00garbage", content_type="multipart/form-data; boundary=xyz"),
    Bad("character-no-boundary", "POST", "/videos/characters", 400, None, "invalid_multipart", content=b"--x--\r\n", content_type="multipart/form-data"),
    Bad("character-unknown-long-id", "GET", "/videos/characters/" + "c" * 5000, 404, "character_id", "character_not_found"),
    Bad("character-unknown-id", "GET", "/videos/characters/char_" + "f" * 32, 404, "character_id", "character_not_found"),
    # ---- size limit (64 KiB on the strict server) ------------------------------------------
    Bad(
        "over-size-declared",
        "POST",
        "/videos",
        413,
        None,
        "request_too_large",
        content=b'{"prompt": "' + b"a" * OVER_64_KIB + b'"}',
        content_type="application/json",
        server="strict",
    ),
    Bad("over-size-chunked", "POST", "/videos", 413, None, "request_too_large", content=chunks(OVER_64_KIB), content_type="application/json", server="strict"),
    Bad(
        "over-size-multipart-image",
        "POST",
        "/videos",
        413,
        None,
        "request_too_large",
        files=form(prompt="p", input_reference=("big.bin", b"\0" * OVER_64_KIB, "image/png")),
        server="strict",
    ),
    # ---- auth (keyed server) ---------------------------------------------------------------
    Bad("missing-key", "GET", "/videos", 401, None, "invalid_api_key", server="keyed"),
    Bad("wrong-key", "GET", "/videos", 401, None, "invalid_api_key", headers={"authorization": "Bearer sk-wrong"}, server="keyed"),
    Bad("basic-auth", "GET", "/videos", 401, None, "invalid_api_key", headers={"authorization": "Basic dXNlcjpwYXNz"}, server="keyed"),
    Bad("missing-key-on-create", "POST", "/videos", 401, None, "invalid_api_key", json={"prompt": "p"}, server="keyed"),
]


@pytest.fixture(scope="module")
def pending_video(strict_mock_server: EmbeddedServer) -> str:
    """A video that stays queued/in_progress for the whole run (the strict server's jobs last an hour)."""
    response = httpx.post(f"{strict_mock_server.base_url}/videos", json={"prompt": "never done"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def server_for(request: pytest.FixtureRequest, name: str) -> EmbeddedServer:
    fixture = {"fast": "mock_server", "strict": "strict_mock_server", "keyed": "keyed_mock_server"}[name]
    return request.getfixturevalue(fixture)


def send(request: pytest.FixtureRequest, case: Bad) -> httpx.Response:
    server = server_for(request, case.server)
    path = case.path
    if "{pending}" in path:
        path = path.format(pending=request.getfixturevalue("pending_video"))
    headers = dict(case.headers)
    kwargs: dict[str, Any] = {"params": case.params, "headers": headers}
    if case.json is not NOTSET:
        kwargs["json"] = case.json
        if "{pending}" in json.dumps(case.json):  # a source video that never completes
            kwargs["json"] = json.loads(json.dumps(case.json).replace("{pending}", request.getfixturevalue("pending_video")))
    elif case.files is not None:
        kwargs["files"] = case.files
    elif case.content is not None:
        kwargs["content"] = case.content() if callable(case.content) else case.content
    if case.content_type is not None:
        headers["content-type"] = case.content_type
    with httpx.Client(timeout=10.0) as client:
        return client.request(case.method, server.base_url + path, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_invalid_request(request, case: Bad, assert_schema):
    response = send(request, case)
    assert response.status_code == case.status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert_schema("ErrorResponse", body)
    error = body["error"]
    assert (error["param"], error["code"]) == (case.param, case.code), error
    assert error["type"] == "invalid_request_error"
    assert error["message"]


def test_messages_read_like_openai(http):
    def message(**body: Any) -> str:
        return http.post("/videos", json=body).json()["error"]["message"]

    assert message(prompt="p", seconds="10") == "Invalid value: '10'. Supported values are: '4', '8', and '12'."
    assert message(prompt="p", seconds=8) == "Invalid type for 'seconds': expected a string, but got an integer instead."
    assert message(seconds="4") == "Missing required parameter: 'prompt'."
    assert message(prompt="p", foo=1) == "Unknown parameter: 'foo'."
    assert message(prompt="a" * 32001) == (
        "Invalid 'prompt': string too long. Expected a string with maximum length 32000, "
        "but got a string with length 32001 instead."
    )



LONG_ID = "video_" + "x" * 10_000
# Where a client's id (or path, or field name) comes back in the message: (method, path, JSON body)
ECHOES = {
    "retrieve": ("GET", "/videos/{id}", None),
    "delete": ("DELETE", "/videos/{id}", None),
    "content": ("GET", "/videos/{id}/content", None),
    "remix": ("POST", "/videos/{id}/remix", {"prompt": "p"}),
    "edit": ("POST", "/videos/edits", {"prompt": "p", "video": {"id": "{id}"}}),
    "extension": ("POST", "/videos/extensions", {"prompt": "p", "seconds": "4", "video": {"id": "{id}"}}),
    "character": ("GET", "/videos/characters/{id}", None),
    "list-after": ("GET", "/videos?after={id}", None),
    "unknown-url": ("GET", "/nowhere/{id}", None),
    "method-not-allowed": ("PUT", "/videos/{id}", None),
    "unknown-parameter": ("POST", "/videos", {"prompt": "p", "{id}": 1}),
}


@pytest.mark.parametrize("where", list(ECHOES))
def test_a_long_id_is_cut_in_the_message(http, where):
    method, path, body = ECHOES[where]
    if body is not None:
        body = json.loads(json.dumps(body).replace("{id}", LONG_ID))
    response = http.request(method, path.replace("{id}", LONG_ID), json=body)
    assert 400 <= response.status_code < 500, response.text[:300]
    message = response.json()["error"]["message"]
    assert "video_xxxx" in message and "x" * ECHO_LIMIT not in message, message[:300]
    assert len(message) < 2 * ECHO_LIMIT, message[:300]


def test_an_echoed_id_stays_on_one_line(http):
    # %0A in a path is a line break in the id: the message shows it escaped
    assert http.get("/videos/video_a%0Ab").json()["error"]["message"] == "No video found with id 'video_a\\nb'."
    assert http.post("/videos", json={"prompt": "p", "seconds": "4" * 200}).json()["error"]["message"] == (
        f"Invalid value: '{'4' * ECHO_LIMIT}...'. Supported values are: '4', '8', and '12'.")


def test_missing_key_says_so_and_challenges(keyed_mock_server):
    response = httpx.get(f"{keyed_mock_server.base_url}/videos")
    assert response.status_code == 401
    assert "didn't provide an API key" in response.json()["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_key_is_redacted_in_the_message(keyed_mock_server):
    secret = "sk-this-is-a-wrong-but-long-key"
    response = httpx.get(f"{keyed_mock_server.base_url}/videos", headers={"authorization": f"Bearer {secret}"})
    assert response.status_code == 401
    assert secret not in response.text


def test_the_server_survives_the_table(request):
    for name in ("fast", "strict"):
        server = server_for(request, name)
        assert server.running
        assert httpx.get(f"{server.base_url}/videos?limit=1", timeout=10).status_code == 200
