"""Bytes the server hands out (content variants) and takes in (reference images, uploaded videos).

Content matches the Video it belongs to: the ``video`` variant is an H.264 MP4 of the Video's
``size`` and ``seconds`` (``contracts.mock.mp4``: a flat grey picture, one frame per second); the
``thumbnail`` (WebP) is its first frame and the ``spritesheet`` (JPEG) one tile per second (at most
``MAX_TILES``, ``SHEET_COLUMNS`` to a row), both at a quarter of the video's width and height, so at
its aspect. Each is made on first request and kept (``CACHED``: per size and duration). Uploaded
reference images are decoded with Pillow; uploaded videos are inspected by their container.
"""

from __future__ import annotations

import functools
import io
import math
import re
import struct
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from PIL import Image

from contracts.mock.mp4 import MAX_DIMENSION, MAX_SECONDS, h264_mp4

# Which media type answers each variant when the spec has no ``x-variant-content-types`` map.
DEFAULT_VARIANT_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
EXTENSIONS = {"video/mp4": "mp4", "image/webp": "webp", "image/jpeg": "jpg"}
GREY = (130, 130, 130)  # what a decoder shows of the video's picture (luma 128, no colour)
SCALE = 4  # thumbnails and tiles are a quarter of the video's width and height
MAX_TILES = 16
SHEET_COLUMNS = 4
CACHED = 128  # contents kept (the last used), each of one media type, size and duration
_SIZE = re.compile(r"^\s*(\d{1,6})\s*x\s*(\d{1,6})\s*$")


@dataclass(frozen=True)
class Asset:
    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.media_type, "bin")


class Media:
    """The content of each variant for a Video's size and duration."""

    def __init__(self, variants: tuple[str, ...], media_types: Mapping[str, str] | None = None, *,
                 default_size: str = "720x1280", default_seconds: str = "4"):
        """Refuses to start if a variant has a media type the server cannot make."""
        types = {**DEFAULT_VARIANT_TYPES, **(media_types or {})}
        missing = [v for v in variants if types.get(v) not in EXTENSIONS]
        if missing:
            raise RuntimeError(f"the reference server has no content for the variant(s) {missing}")
        self.types = {v: types[v] for v in variants}
        self.default_size = dimensions(default_size, (720, 1280))
        self.default_seconds = duration(default_seconds, 4.0)

    def get(self, variant: str, size: str, seconds: str) -> Asset:
        """The ``variant`` of a Video of ``size`` and ``seconds`` (a size or duration that cannot be
        encoded, which only a fault mode lets through, falls back to the default)."""
        width, height = dimensions(size, self.default_size)
        return content(self.types[variant], width, height, duration(seconds, self.default_seconds))


def dimensions(size: object, fallback: tuple[int, int]) -> tuple[int, int]:
    """``"WxH"`` as even pixel counts an H.264 picture can have (odd ones rounded up)."""
    found = _SIZE.match(size) if isinstance(size, str) else None
    if not found:
        return fallback
    width, height = (int(found[1]) + 1) // 2 * 2, (int(found[2]) + 1) // 2 * 2
    return (width, height) if 2 <= width <= MAX_DIMENSION and 2 <= height <= MAX_DIMENSION else fallback


def duration(seconds: object, fallback: float) -> float:
    try:
        value = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return fallback
    return value if math.isfinite(value) and 0 < value <= MAX_SECONDS else fallback


@functools.lru_cache(maxsize=CACHED)
def content(media_type: str, width: int, height: int, seconds: float) -> Asset:
    if media_type == "video/mp4":
        return Asset(h264_mp4(width, height, seconds), media_type)
    tile = (max(1, round(width / SCALE)), max(1, round(height / SCALE)))
    if media_type == "image/webp":
        return Asset(_encoded(Image.new("RGB", tile, GREY), "WEBP"), media_type)
    tiles = min(MAX_TILES, max(1, math.ceil(seconds)))
    columns = min(SHEET_COLUMNS, tiles)
    rows = -(-tiles // columns)
    sheet = Image.new("RGB", (tile[0] * columns, tile[1] * rows), GREY)
    return Asset(_encoded(sheet, "JPEG"), media_type)


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=70)
    return buffer.getvalue()


@dataclass(frozen=True)
class ImageInfo:
    media_type: str  # e.g. "image/png"
    width: int
    height: int


class NotAnImage(ValueError):
    pass


def inspect_image(data: bytes) -> ImageInfo:
    """Identify an image from its header; raise NotAnImage when Pillow cannot read it.

    Only the header is read here (so a huge image costs nothing); ``decode_image`` checks that
    the pixel data decodes, once the size is known to be the expected one.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the caller checks the size
            with Image.open(io.BytesIO(data)) as image:
                return ImageInfo(Image.MIME.get(image.format or "", image.format or "?"), image.width, image.height)
    except Image.DecompressionBombError:
        raise NotAnImage("the image has far too many pixels") from None
    except Exception as exc:  # Pillow raises many types for garbage (UnidentifiedImageError, SyntaxError...)
        raise NotAnImage(str(exc)) from None


def decode_image(data: bytes) -> None:
    """Decode every pixel; raise NotAnImage on truncated or corrupt data."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except Exception as exc:
        raise NotAnImage(str(exc)) from None


@dataclass(frozen=True)
class VideoInfo:
    media_type: str  # "video/mp4", "video/quicktime" or "video/webm"
    seconds: float | None  # the duration, when the container says (MP4/QuickTime movie header)


class NotAVideo(ValueError):
    pass


# EBML (WebM, Matroska): the element ids read here, and the media type of each document type.
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_DOC_TYPE, _SEGMENT = 0x4282, 0x18538067
_INFO, _TIMESTAMP_SCALE, _DURATION = 0x1549A966, 0x2AD7B1, 0x4489
_TRACKS, _TRACK_ENTRY, _TRACK_TYPE, _CLUSTER = 0x1654AE6B, 0xAE, 0x83, 0x1F43B675
_VIDEO_TRACK = 1
_DOC_TYPES = {b"webm": "video/webm", b"matroska": "video/x-matroska"}
_BOX_HEADER = struct.Struct(">I4s")


def inspect_video(data: bytes) -> VideoInfo:
    """Identify an uploaded video by its container; raise NotAVideo for anything else.

    An MP4 or QuickTime file must be a well-formed sequence of boxes starting with ``ftyp``, whose
    ``moov`` holds a movie header (its duration is read) and a video track; a WebM or Matroska file
    must be a well-formed EBML document of that type whose segment has a video track (its duration
    is read from the segment info). The frames are not decoded: what a character or an edit needs is
    a video container, and a renamed text or image file, an audio-only MP4 (M4A) or WebM is refused.
    """
    if data[:4] == _EBML_MAGIC:
        return _inspect_ebml(data)
    if data[4:8] != b"ftyp":
        raise NotAVideo("not an MP4, QuickTime or WebM file")
    boxes = dict(_boxes(data, 0, len(data)))
    brand = data[8:12]
    media_type = "video/quicktime" if brand == b"qt  " else "video/mp4"
    if b"moov" not in boxes:
        raise NotAVideo("the file has no movie header (moov box)")
    movie = _boxes(data, *boxes[b"moov"])
    header = dict(movie).get(b"mvhd")
    if header is None:
        raise NotAVideo("the movie header has no mvhd box")
    if not any(_is_video_track(data, *span) for kind, span in movie if kind == b"trak"):
        raise NotAVideo("the movie has no video track")
    return VideoInfo(media_type, _duration(data[header[0] : header[1]]))


def _is_video_track(data: bytes, start: int, end: int) -> bool:
    """A ``trak`` whose media handler (``mdia``/``hdlr``) is ``vide``: MP4 and QuickTime alike."""
    media = dict(_boxes(data, start, end)).get(b"mdia")
    handler = dict(_boxes(data, *media)).get(b"hdlr") if media else None
    # version and flags (4 bytes), pre_defined / QuickTime's component type (4), handler type (4)
    return handler is not None and data[handler[0] + 8 : handler[0] + 12] == b"vide"


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, tuple[int, int]]]:
    """The (type, (payload start, payload end)) of each box between ``start`` and ``end``."""
    found = []
    offset = start
    while offset < end:
        if end - offset < _BOX_HEADER.size:
            raise NotAVideo("a box header is truncated")
        size, kind = _BOX_HEADER.unpack_from(data, offset)
        header = _BOX_HEADER.size
        if size == 1:  # a 64-bit size follows the type
            if end - offset < 16:
                raise NotAVideo("a box header is truncated")
            size, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        elif size == 0:  # the box runs to the end of the file
            size = end - offset
        if size < header or offset + size > end:
            raise NotAVideo(f"the {kind!r} box has an impossible size")
        found.append((kind, (offset + header, offset + size)))
        offset += size
    return found


def _duration(payload: bytes) -> float | None:
    """Seconds from an mvhd payload (version 0: 32-bit fields, version 1: 64-bit)."""
    try:
        if payload[0] == 1:
            timescale, duration = struct.unpack_from(">IQ", payload, 20)
        else:
            timescale, duration = struct.unpack_from(">II", payload, 12)
    except (IndexError, struct.error):
        return None
    return duration / timescale if timescale else None


def _inspect_ebml(data: bytes) -> VideoInfo:
    """A WebM or Matroska file: the EBML header's document type, then the segment's info and tracks
    (read up to the first cluster: what follows is media data)."""
    top = _elements(data, 0, len(data))
    _, start, end = next(top)  # the caller saw the EBML magic
    doc_type = next((data[s:e] for kind, s, e in _elements(data, start, end) if kind == _DOC_TYPE), b"")
    media_type = _DOC_TYPES.get(doc_type.rstrip(b"\0"))
    if media_type is None:
        raise NotAVideo(f"an EBML file of document type {doc_type[:20]!r}, not WebM or Matroska")
    segment = next(top, None)
    if segment is None or segment[0] != _SEGMENT:
        raise NotAVideo("the file has no segment")
    scale, duration, video = 1_000_000, None, False
    for kind, start, end in _elements(data, segment[1], segment[2]):
        if kind == _INFO:
            for field, s, e in _elements(data, start, end):
                if field == _TIMESTAMP_SCALE and 0 < e - s <= 8:
                    scale = int.from_bytes(data[s:e], "big")
                elif field == _DURATION and e - s in (4, 8):
                    duration = struct.unpack(">f" if e - s == 4 else ">d", data[s:e])[0]
        elif kind == _TRACKS:
            video = any(_track_type(data, s, e) == _VIDEO_TRACK
                        for entry, s, e in _elements(data, start, end) if entry == _TRACK_ENTRY)
            break
        elif kind == _CLUSTER:
            break
    if not video:
        raise NotAVideo("the file has no video track")
    seconds = duration * scale / 1e9 if duration is not None else None
    return VideoInfo(media_type, seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None)


def _track_type(data: bytes, start: int, end: int) -> int | None:
    return next((int.from_bytes(data[s:e], "big") for kind, s, e in _elements(data, start, end) if kind == _TRACK_TYPE),
                None)


def _elements(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """The (id, payload start, payload end) of each EBML element between ``start`` and ``end``,
    read lazily; an element of unknown size (a live stream's) runs to ``end``."""
    offset = start
    while offset < end:
        kind, length = _vint(data, offset, end)
        offset += length
        size, length = _vint(data, offset, end)
        offset += length
        size &= (1 << (7 * length)) - 1  # drop the length marker
        stop = end if size == (1 << (7 * length)) - 1 else offset + size
        if stop > end:
            raise NotAVideo(f"the EBML element {kind:#x} has an impossible size")
        yield kind, offset, stop
        offset = stop


def _vint(data: bytes, offset: int, end: int) -> tuple[int, int]:
    """An EBML variable-length integer at ``offset``, marker bit kept: (value, its length in bytes)."""
    if offset >= end:
        raise NotAVideo("an EBML element is truncated")
    length = 9 - data[offset].bit_length()  # the position of the first 1 bit
    if length > 8 or offset + length > end:
        raise NotAVideo("an EBML element is truncated or malformed")
    return int.from_bytes(data[offset : offset + length], "big"), length
