"""Bytes the server hands out (content variants) and takes in (reference images).

The content assets are real files made by ``tools/make_assets.py`` (a development tool): an H.264 MP4, a WebP
thumbnail and a JPEG spritesheet. Uploaded reference images are decoded with Pillow.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from PIL import Image

# The asset file for each media type the server can answer with.
FILES = {"video/mp4": "video.mp4", "image/webp": "thumbnail.webp", "image/jpeg": "spritesheet.jpg"}
# Which media type answers each variant when the spec has no ``x-variant-content-types`` map.
DEFAULT_VARIANT_TYPES = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
EXTENSIONS = {"video/mp4": "mp4", "image/webp": "webp", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class Asset:
    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.media_type, "bin")


class Assets:
    """The content of every variant, read once."""

    def __init__(self, assets: dict[str, Asset]):
        self._assets = assets

    @classmethod
    def load(cls, variants: tuple[str, ...], media_types: Mapping[str, str] | None = None) -> Assets:
        """One asset per variant; refuses to start if a variant has no asset of its type."""
        types = {**DEFAULT_VARIANT_TYPES, **(media_types or {})}
        missing = [v for v in variants if types.get(v) not in FILES]
        if missing:
            raise RuntimeError(f"the reference server has no asset for the variant(s) {missing}")
        folder = resources.files("contracts.mock") / "assets"
        return cls({v: Asset((folder / FILES[types[v]]).read_bytes(), types[v]) for v in variants})

    def get(self, variant: str) -> Asset:
        return self._assets[variant]


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


_EBML_MAGIC = b"\x1a\x45\xdf\xa3"  # WebM / Matroska
_BOX_HEADER = struct.Struct(">I4s")


def inspect_video(data: bytes) -> VideoInfo:
    """Identify an uploaded video by its container; raise NotAVideo for anything else.

    An MP4 or QuickTime file must be a well-formed sequence of boxes starting with ``ftyp`` and
    holding a ``moov`` with a movie header (whose duration it reads); a WebM file must start with
    the EBML header. The frames are not decoded: what a character or an edit needs is a video
    container, and a renamed text or image file is refused.
    """
    if data[:4] == _EBML_MAGIC:
        return VideoInfo("video/webm", None)
    if data[4:8] != b"ftyp":
        raise NotAVideo("not an MP4, QuickTime or WebM file")
    boxes = dict(_boxes(data, 0, len(data)))
    brand = data[8:12]
    media_type = "video/quicktime" if brand == b"qt  " else "video/mp4"
    if b"moov" not in boxes:
        raise NotAVideo("the file has no movie header (moov box)")
    start, end = boxes[b"moov"]
    header = dict(_boxes(data, start, end)).get(b"mvhd")
    if header is None:
        raise NotAVideo("the movie header has no mvhd box")
    return VideoInfo(media_type, _duration(data[header[0] : header[1]]))


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
