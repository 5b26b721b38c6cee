"""Plain helpers for the reference server's tests (imported by name: tests/mock is on sys.path)."""

from __future__ import annotations

import asyncio
import io
import uuid

import httpx
from PIL import Image

from contracts.cases import encode_parts

TERMINAL = ("completed", "failed")
STATUS_ORDER = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}


def image_bytes(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    """A solid-colour image of ``size`` pixels in Pillow format ``fmt`` (PNG, JPEG, WEBP, GIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 90, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def multipart(fields: list[tuple[str, str | tuple[str, bytes, str]]], boundary: str | None = None) -> tuple[bytes, str]:
    """A multipart/form-data body in the order given (repeated names, raw bytes), encoded by the
    suite's own encoder: (body, content type). A file is ``(filename, bytes, content type)``."""
    boundary = boundary or uuid.uuid4().hex
    parts = [(name, value[0], value[2], value[1]) if isinstance(value, tuple) else (name, value)
             for name, value in fields]
    return encode_parts(parts, boundary), f"multipart/form-data; boundary={boundary}"


def call(app, method: str, path: str, **kwargs) -> httpx.Response:
    """One request to an app in process (ASGI), for unit tests of the server's own code."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock/v1") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())
