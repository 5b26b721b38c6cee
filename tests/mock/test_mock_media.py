"""What the reference server takes for a video (``contracts.mock.media.inspect_video``), on real files
encoded here by PyAV: a container of each accepted type with a video track is a video, its duration
read; an audio-only file, an image, text, a truncated or corrupted file is not; Matroska is a video
of a type the spec does not accept. No input makes the inspection raise anything but NotAVideo."""

from __future__ import annotations

import math
import struct
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_helpers import audio_bytes, image_bytes, video_bytes

from contracts.mock.media import NotAVideo, VideoInfo, inspect_video

ASSET = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()
MP4, MOV = video_bytes("mp4", "mpeg4"), video_bytes("mov", "mpeg4")
WEBM, MKV = video_bytes("webm", "libvpx"), video_bytes("matroska", "libvpx")
M4A, WEBA = audio_bytes("mp4", "aac"), audio_bytes("webm", "libopus")
UPLOAD_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska"}


def ebml_header(doc_type: bytes) -> bytes:
    """An EBML header element holding only a DocType (sizes below 127: one-byte VINTs)."""
    doc = b"\x42\x82" + bytes([0x80 | len(doc_type)]) + doc_type
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(doc)]) + doc


@pytest.mark.parametrize(("data", "media_type"), [(ASSET, "video/mp4"), (MP4, "video/mp4"), (MOV, "video/quicktime"),
                                                  (WEBM, "video/webm"), (MKV, "video/x-matroska")],
                         ids=["asset-h264-mp4", "mpeg4-mp4", "quicktime", "webm-vp8", "matroska-vp8"])
def test_a_video_is_identified_with_its_duration(data, media_type):
    info = inspect_video(data)
    assert info.media_type == media_type
    assert info.seconds == pytest.approx(1.0, abs=0.2)


NOT_VIDEOS = [
    ("m4a-audio-only", M4A, "no video track"),
    ("webm-audio-only", WEBA, "no video track"),
    ("png", image_bytes((64, 64)), "not an MP4, QuickTime or WebM file"),
    ("text", b"this is plain text, not a video\n", "not an MP4, QuickTime or WebM file"),
    ("empty", b"", "not an MP4, QuickTime or WebM file"),
    ("zeros", b"\0" * 64, "not an MP4, QuickTime or WebM file"),
    ("mp4-cut-in-half", MP4[: len(MP4) // 2], "impossible size"),
    ("mp4-header-only", ASSET[:200], "impossible size"),
    ("webm-cut-in-half", WEBM[: len(WEBM) // 2], "impossible size"),
    ("ebml-magic-then-text", b"\x1a\x45\xdf\xa3 plain text", "EBML element"),
    ("ebml-of-another-type", ebml_header(b"xyz") + b"\x18\x53\x80\x67\x80", "document type b'xyz'"),
    ("webm-header-without-segment", ebml_header(b"webm"), "no segment"),
    ("heif-image", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0\0\0\x08meta", "no movie header"),
]


@pytest.mark.parametrize(("data", "reason"), [(d, r) for _, d, r in NOT_VIDEOS], ids=[i for i, _, _ in NOT_VIDEOS])
def test_what_is_not_a_video_is_refused_with_its_reason(data, reason):
    with pytest.raises(NotAVideo, match=reason):
        inspect_video(data)


@st.composite
def damaged(draw) -> bytes:
    """A real file with a few bytes changed, cut, inserted or removed."""
    data = bytearray(draw(st.sampled_from([ASSET, MP4, MOV, WEBM, MKV, M4A, WEBA])))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        change = draw(st.sampled_from(["set", "cut", "insert", "remove"]))
        if change == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif change == "cut":
            del data[at:]
        elif change == "insert":
            data[at:at] = draw(st.binary(max_size=16))
        else:
            del data[at:at + draw(st.integers(1, 16))]
    return bytes(data)


@settings(max_examples=500, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(damaged(), st.binary(max_size=200), st.binary(max_size=64).map(lambda b: b"\x1a\x45\xdf\xa3" + b),
                 st.binary(max_size=64).map(lambda b: b"\0\0\0\x10ftyp" + b)))
def test_no_input_makes_the_inspection_raise_anything_but_not_a_video(data):
    try:
        info = inspect_video(data)
    except NotAVideo:
        return
    assert info.media_type in UPLOAD_TYPES.values()
    assert info.seconds is None or (math.isfinite(info.seconds) and info.seconds >= 0)


def with_duration(webm: bytes, seconds: float) -> bytes:
    """The WebM file with its segment info's Duration (an 8-byte float, in milliseconds) replaced."""
    at = webm.index(b"\x44\x89\x88") + 3
    return webm[:at] + struct.pack(">d", seconds * 1000) + webm[at + 8:]


@pytest.mark.parametrize("seconds", [1e304, float("inf"), float("nan"), -1.0], ids=["overflowing", "infinite", "nan", "negative"])
def test_a_duration_that_is_not_a_duration_is_not_read(seconds):
    assert inspect_video(with_duration(WEBM, seconds)) == VideoInfo("video/webm", None)


# ---- over real HTTP --------------------------------------------------------------------------
# The other fields of each upload route.
FIELDS = {"/videos/characters": {"name": (None, "Mossy")}, "/videos/edits": {"prompt": (None, "p")},
          "/videos/extensions": {"prompt": (None, "p"), "seconds": (None, "4")}}


@pytest.mark.parametrize(("kind", "data"), [("mp4", MP4), ("mov", MOV), ("webm", WEBM)], ids=["mp4", "mov", "webm"])
@pytest.mark.parametrize("path", list(FIELDS))
def test_each_accepted_container_is_taken(http, path, kind, data):
    response = http.post(path, files={**FIELDS[path], "video": (f"clip.{kind}", data, UPLOAD_TYPES[kind])})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("upload", "code"), [(("clip.mkv", MKV, "video/x-matroska"), "invalid_video_format"),
                                              (("clip.m4a", M4A, "audio/mp4"), "invalid_video"),
                                              (("clip.webm", WEBA, "video/webm"), "invalid_video")],
                         ids=["matroska", "m4a-audio-only", "webm-audio-only"])
@pytest.mark.parametrize("path", list(FIELDS))
def test_an_upload_that_is_not_an_accepted_video_is_400(http, assert_schema, path, upload, code):
    response = http.post(path, files={**FIELDS[path], "video": upload})
    assert response.status_code == 400, response.text
    assert_schema("ErrorResponse", response.json())
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == ("video", code)


def test_an_extension_of_an_uploaded_webm_adds_to_its_duration(http):
    files = {"prompt": (None, "and then"), "seconds": (None, "4"), "video": ("clip.webm", WEBM, "video/webm")}
    response = http.post("/videos/extensions", files=files)
    assert response.status_code == 200, response.text
    assert response.json()["seconds"] == "5"  # 1 s of WebM, plus 4
