"""Plain helpers for the reference server's tests (imported by name: tests/mock is on sys.path)."""

from __future__ import annotations

import asyncio
import io
import uuid

import httpx
from PIL import Image

from contracts.cases import encode_parts
from contracts.rules import STATUS

TERMINAL = STATUS.terminal
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


def list_all(client: httpx.Client, order: str, limit: int = 100) -> list[dict]:
    """Every video GET /videos lists, page by page (each page must be answered 200)."""
    videos: list[dict] = []
    after = None
    while True:
        page = client.get("/videos", params={"limit": limit, "order": order, **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        videos += body["data"]
        if not body["has_more"]:
            return videos
        after = body["last_id"]


# The bytes each content variant starts with: (magic, offset, media type).
MAGIC = {"video": (b"ftyp", 4, "video/mp4"), "thumbnail": (b"WEBP", 8, "image/webp"),
         "spritesheet": (b"\xff\xd8\xff", 0, "image/jpeg")}


def assert_content(data: bytes, variant: str, media_type: str | None = None) -> None:
    """``data`` is the ``variant``'s content (and ``media_type``, when given, its media type)."""
    magic, offset, documented = MAGIC[variant]
    assert data[offset:offset + len(magic)] == magic
    assert media_type in (None, documented)


def video_bytes(container: str, codec: str, *, frames: int = 6, rate: int = 6, size: tuple[int, int] = (32, 32)) -> bytes:
    """A real video file encoded by PyAV (FFmpeg): ``frames`` grey frames at ``rate`` per second
    (1 s by default) in ``container`` (an FFmpeg muxer: mp4, mov, webm, matroska)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([i * 20 % 256]) * plane.buffer_size)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


def audio_bytes(container: str, codec: str, *, frames: int = 50, rate: int = 48000) -> bytes:
    """A real audio-only file (silence) encoded by PyAV in ``container`` (mp4 for M4A, webm...)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        samples = stream.codec_context.frame_size or 1024
        for i in range(frames):
            frame = av.AudioFrame(format=stream.codec_context.format.name, layout="mono", samples=samples)
            for plane in frame.planes:
                plane.update(bytes(plane.buffer_size))
            frame.rate, frame.pts = rate, i * samples
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


NAMESPACE = "X-Videos-Mock-Namespace"


class Namespaced:
    """A new namespace on a ``--namespaces header`` server: ``api`` (httpx on /v1), ``control`` (httpx
    on /_mock), ``sdk`` (the openai SDK), each sending the namespace's header."""

    def __init__(self, base_url: str, name: str | None = None):
        self.name = name or f"ns-{uuid.uuid4().hex}"
        self.base_url = base_url
        self.root_url = base_url.removesuffix("/v1")
        self.headers = {NAMESPACE: self.name}
        # verify=False: plain HTTP on loopback; a client that loads the CA certificates costs 18 ms
        self.api = httpx.Client(base_url=base_url, headers=self.headers, timeout=10, verify=False)
        self.control = httpx.Client(base_url=self.root_url + "/_mock", headers=self.headers, timeout=10, verify=False)
        self._sdk = None

    @property
    def sdk(self):
        """The openai SDK on this namespace (made when first used)."""
        if self._sdk is None:
            import openai

            self._sdk = openai.OpenAI(base_url=self.base_url, api_key="sk-any", default_headers=self.headers,
                                      max_retries=0, timeout=10, http_client=openai.DefaultHttpxClient(verify=False))
        return self._sdk

    def create(self, **fields) -> dict:
        response = self.api.post("/videos", json={"prompt": "a namespace's video", **fields})
        assert response.status_code == 200, response.text
        return response.json()

    def move(self, video_id: str, action: str, **body) -> httpx.Response:
        return self.control.post(f"/videos/{video_id}/{action}", json=body)

    def close(self) -> None:
        self.control.post("/reset")
        for client in (self.api, self.control, self._sdk):
            if client is not None:
                client.close()
