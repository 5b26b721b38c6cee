"""Bytes the server hands out (content variants) and takes in (reference images).

The content assets are real files made by ``assets/make_assets.py``: an H.264 MP4, a WebP
thumbnail and a JPEG spritesheet. Uploaded reference images are decoded with Pillow.
"""

from __future__ import annotations

import io
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
