"""Traffic as a client's SDK tests make it: every method of the openai SDK's videos resource, sync and
async, in the shape of openai-python's tests/api_resources/test_videos.py (each method with its
minimal and its full parameters, through with_raw_response and with_streaming_response), then the
errors the SDK maps (invalid creates, unknown ids, unfinished sources, character limits), the way
tests/mock/test_mock_sdk_methods.py drives the reference server.

It is a client, not a test: nothing it gets back is asserted (a target in a fault mode answers what
it answers), every call's failure is swallowed, and every call ends in bounded time (a per-client
deadline stops SDK polls of jobs that never end). Calls that do not depend on each other run at once
(threads for the sync client, ``gather`` for the async one); list pages run alone, so that the record
knows every video that exists when a page is answered.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import httpx
import openai

from contracts.cases import image_bytes
from contracts.rules import Rules

RULES = Rules.from_spec()
NAME_MIN, NAME_MAX = RULES.spec.string_limits("CharacterName")
MP4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()
CLIP = ("clip.mp4", MP4, "video/mp4")
PNG_1280x720 = image_bytes(1280, 720)
DATA_URL = "data:image/png;base64," + base64.b64encode(image_bytes(720, 1280)).decode()
UNKNOWN = "video_" + "e" * 32
POLL_MS = 20
KEY = "sk-proxy-traffic-" + "0123456789abcdef"
TIMEOUT = 2.0  # per request (the SDK retries twice: its default)
MAX_LISTED = 20  # videos read through the SDK's auto-pagination (a server that ignores after never ends it)


def by_id(video_id: str) -> dict[str, Any]:
    """edit/extend naming the source by id, as the SDK sends it (multipart ``video[id]``)."""
    return {"video": openai.omit, "extra_body": {"video": {"id": video_id}}}


@dataclass
class Traffic:
    """What one pass of traffic did: calls made, calls that raised, content downloaded (sha256 by variant)."""

    calls: int = 0
    failed: list[str] = field(default_factory=list)
    downloads: dict[str, str] = field(default_factory=dict)


def _deadline_hook(deadline: float) -> Callable[[httpx.Request], None]:
    def hook(request: httpx.Request) -> None:
        if time.monotonic() > deadline:
            raise RuntimeError("the traffic's time is over")

    return hook


# ---- the calls: (name, method, kwargs from the sources) ----------------------------------------------------
def calls(src: str, fresh: Callable[[], str]) -> list[tuple[str, str, Callable[[], dict[str, Any]]]]:
    """Every method with its minimal and its full parameters (``fresh()``: a new video id)."""
    out = [
        ("create-minimal", "create", lambda: {"prompt": "x"}),
        ("create-all-params", "create", lambda: {"prompt": "x", "input_reference": ("ref.png", PNG_1280x720, "image/png"),
                                                 "model": "sora-2-pro", "seconds": "12", "size": "1280x720"}),
        ("create-image-url", "create", lambda: {"prompt": "x", "extra_body": {"input_reference": {"image_url": DATA_URL}},
                                                "model": "sora-2", "seconds": "8", "size": "720x1280"}),
        ("create_and_poll-minimal", "create_and_poll", lambda: {"prompt": "x", "poll_interval_ms": POLL_MS}),
        ("create_and_poll-all-params", "create_and_poll", lambda: {
            "prompt": "x", "input_reference": ("r.png", PNG_1280x720, "image/png"), "model": "sora-2-pro",
            "seconds": "8", "size": "1280x720", "poll_interval_ms": POLL_MS}),
        ("poll", "poll", lambda: {"video_id": fresh(), "poll_interval_ms": POLL_MS}),
        ("retrieve", "retrieve", lambda: {"video_id": src}),
        ("delete", "delete", lambda: {"video_id": fresh()}),
        ("delete-then-retrieve", "delete_then_retrieve", lambda: {"video_id": fresh()}),
        ("download_content", "download_content", lambda: {"video_id": src}),
        *[(f"download_content-{v}", "download_content", lambda v=v: {"video_id": src, "variant": v})
          for v in RULES.variants],
        ("remix", "remix", lambda: {"video_id": src, "prompt": "at night"}),
        ("edit-by-id", "edit", lambda: {"prompt": "x", **by_id(src)}),
        ("edit-by-file", "edit", lambda: {"prompt": "x", "video": CLIP}),
        ("extend-by-id", "extend", lambda: {"prompt": "x", "seconds": "4", **by_id(src)}),
        ("extend-by-file", "extend", lambda: {"prompt": "x", "seconds": "12", "video": CLIP}),
        ("create_character-min", "create_character", lambda: {"name": "M" * NAME_MIN, "video": CLIP}),
        ("create_character-max", "create_character", lambda: {"name": "N" * NAME_MAX, "video": ("c.mp4", MP4, "video/mp4")}),
    ]
    return out


LONGEST = RULES.prompt_max
# Creates the SDK sends as a user writes them, at the contract's edges (each accepted, or tolerated)
EDGES = [
    ("create-unknown-model", "create", lambda: {"prompt": "a cat", "model": "my-own-model"}),
    ("create-unknown-parameter", "create", lambda: {"prompt": "a cat", "extra_body": {"style": "noir"}}),
    ("create-longest-prompt", "create", lambda: {"prompt": ("a long scene " * LONGEST)[:LONGEST]}),
    ("create-emoji-prompt", "create", lambda: {"prompt": "A cat \U0001f431 surfing \U0001f30a at dusk"}),
    ("create-nul-prompt", "create", lambda: {"prompt": "before\x00after: a lighthouse in fog"}),
    ("create-rtl-prompt", "create", lambda: {"prompt": "\u0645\u0631\u062d\u0628\u0627 \u2014 cafe\u0301 re\u0301sume\u0301"}),
    # every documented model, size and seconds value, in as few creates as there are models
    *[(f"create-{model}", "create", lambda i=i, model=model: {
        "prompt": f"a lighthouse in fog, take {i}", "model": model, "size": RULES.sizes[i % len(RULES.sizes)],
        "seconds": RULES.seconds[i % len(RULES.seconds)]}) for i, model in enumerate(RULES.models)],
]
ERRORS = [
    ("create-prompt-too-long", "create", lambda p: {"prompt": "a" * (LONGEST + 1)}),
    ("create-reference-not-an-image", "create", lambda p: {"prompt": "x", "size": "1280x720", "input_reference":
                                                           ("ref.png", b"plain text, not a PNG\n", "image/png")}),
    ("create-reference-wrong-size", "create", lambda p: {"prompt": "x", "size": "1280x720", "input_reference":
                                                         ("ref.png", image_bytes(640, 360), "image/png")}),
    ("create-seconds-10", "create", lambda p: {"prompt": "x", "seconds": "10"}),
    ("create-empty-prompt", "create", lambda p: {"prompt": ""}),
    ("create-size-640x480", "create", lambda p: {"prompt": "x", "size": "640x480"}),
    ("retrieve-unknown", "retrieve", lambda p: {"video_id": UNKNOWN}),
    ("delete-unknown", "delete", lambda p: {"video_id": UNKNOWN}),
    ("content-unknown", "download_content", lambda p: {"video_id": UNKNOWN}),
    ("remix-unknown", "remix", lambda p: {"video_id": UNKNOWN, "prompt": "x"}),
    ("edit-unknown", "edit", lambda p: {"prompt": "x", **by_id(UNKNOWN)}),
    ("edit-not-a-video", "edit", lambda p: {"prompt": "x", "video": ("c.png", PNG_1280x720, "image/png")}),
    ("extend-unknown", "extend", lambda p: {"prompt": "x", "seconds": "4", **by_id(UNKNOWN)}),
    ("extend-seconds-10", "extend", lambda p: {"prompt": "x", "seconds": "10", "video": CLIP}),
    ("character-not-a-video", "create_character", lambda p: {"name": "x", "video": ("c.txt", b"text", "text/plain")}),
    ("character-name-81", "create_character", lambda p: {"name": "n" * (NAME_MAX + 1), "video": CLIP}),
    ("character-name-empty", "create_character", lambda p: {"name": "", "video": CLIP}),
    ("get_character-unknown", "get_character", lambda p: {"character_id": "char_" + "0" * 32}),
    ("list-after-unknown", "list", lambda p: {"after": UNKNOWN}),
    ("list-limit-0", "list", lambda p: {"limit": 0}),
    ("list-limit-101", "list", lambda p: {"limit": 101}),
]
# Asked of a video just created, still running: in this order, before it ends.
PENDING = [
    ("content-pending", "download_content", lambda p: {"video_id": p}),
    ("content-pending-gif", "download_content", lambda p: {"video_id": p, "variant": "gif"}),
    ("edit-pending", "edit", lambda p: {"prompt": "x", **by_id(p)}),
    ("extend-pending", "extend", lambda p: {"prompt": "x", "seconds": "4", **by_id(p)}),
    ("remix-pending", "remix", lambda p: {"video_id": p, "prompt": "x"}),
]


def _read(result: Any) -> Any:
    return result.read() if hasattr(result, "read") else result


# ---- sync -----------------------------------------------------------------------------------------------
def run_sync(base_url: str, *, seconds: float = 60.0, key: str = KEY) -> Traffic:
    """Every method through the sync client (threads for the calls that do not depend on each other)."""
    traffic = Traffic()
    http_client = openai.DefaultHttpxClient(event_hooks={"request": [_deadline_hook(time.monotonic() + seconds)]})
    with openai.OpenAI(base_url=base_url, api_key=key, timeout=TIMEOUT, http_client=http_client) as client:
        videos = client.videos

        def call(name: str, method: str, kwargs: dict[str, Any], face: Any = None) -> Any:
            if method == "delete_then_retrieve":  # the deleted video is gone
                call(name, "delete", kwargs)
                return call(f"{name}: retrieve", "retrieve", kwargs)
            traffic.calls += 1
            try:
                return _read(getattr(face or videos, method)(**kwargs))
            except Exception as exc:  # noqa: BLE001 - a client under test meets whatever the target does
                traffic.failed.append(f"{name}: {type(exc).__name__}")
                return None

        def fresh() -> str:
            made = call("fresh", "create", {"prompt": "fresh"})
            return getattr(made, "id", None) or UNKNOWN

        # a pending video first: asked for content, edited, extended, remixed while it runs
        pending = fresh()
        for name, method, kwargs in PENDING:
            call(name, method, kwargs(pending))
        call("retrieve-pending", "retrieve", {"video_id": pending})  # how is it now?
        source = call("source", "create_and_poll", {"prompt": "a source", "seconds": "8", "size": "1280x720",
                                                    "poll_interval_ms": POLL_MS})
        src = getattr(source, "id", None) or UNKNOWN
        character = call("character", "create_character", {"name": "Mossy", "video": CLIP})
        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [pool.submit(lambda n=n, m=m, k=k: call(n, m, k())) for n, m, k in calls(src, fresh) + EDGES]
            jobs += [pool.submit(lambda n=n, m=m, k=k: call(n, m, k(pending))) for n, m, k in ERRORS if m != "list"]
            jobs += [pool.submit(call, "get_character", "get_character",
                                 {"character_id": getattr(character, "id", None) or "char_1"})]
            jobs += [pool.submit(_raw_and_streamed, call, client, src, fresh)]
            jobs += [pool.submit(_derived_jobs, call, src)]
            for job in jobs:
                job.result()
        # pages alone: every video the target holds is one the record saw made (or deleted)
        for name, method, kwargs in ERRORS:
            if method == "list":
                call(name, method, kwargs(pending))
        call("list-minimal", "list", {})
        for order in ("asc", "desc"):  # a page wide enough to hold videos of different seconds
            call(f"list-{order}", "list", {"order": order, "limit": 100})
        ids = [getattr(call("list-page-video", "create", {"prompt": f"list {i}"}), "id", None) for i in range(3)]
        if all(ids):
            call("list-all-params", "list", {"after": ids[0], "limit": 1, "order": "asc"})
        for order in ("asc", "desc"):
            traffic.calls += 1
            try:
                for n, _ in enumerate(videos.list(limit=2, order=order)):  # the SDK follows `after` page by page
                    if n >= MAX_LISTED:
                        break
            except Exception as exc:  # noqa: BLE001
                traffic.failed.append(f"list-auto-{order}: {type(exc).__name__}")
        for variant in RULES.variants:
            try:
                with videos.with_streaming_response.download_content(src, variant=variant) as response:
                    traffic.downloads[variant] = hashlib.sha256(b"".join(response.iter_bytes(256))).hexdigest()
            except Exception as exc:  # noqa: BLE001
                traffic.failed.append(f"download-{variant}: {type(exc).__name__}")
    return traffic


def _raw_and_streamed(call: Callable, client: openai.OpenAI, src: str, fresh: Callable[[], str]) -> None:
    """Each method's minimal call through with_raw_response and with_streaming_response."""
    minimal = {name: kwargs for name, _, kwargs in calls(src, fresh)}
    for key in ("create-minimal", "retrieve", "delete", "download_content", "remix", "edit-by-id", "extend-by-id",
                "create_character-min"):
        method = key.split("-")[0]
        kwargs = minimal[key]()
        raw = call(f"raw-{key}", method, kwargs, client.videos.with_raw_response)
        if raw is not None and hasattr(raw, "parse"):
            try:
                raw.parse()
            except Exception:  # noqa: BLE001
                pass
        try:
            with getattr(client.videos.with_streaming_response, method)(**minimal[key]()) as response:
                response.parse()
        except Exception:  # noqa: BLE001
            pass


def _derived_jobs(call: Callable, src: str) -> None:
    """An edit and an extension polled to their end, like any other job."""
    for method, kwargs in (("edit", {"prompt": "x", **by_id(src)}), ("extend", {"prompt": "x", "seconds": "4", **by_id(src)})):
        made = call(f"derived-{method}", method, kwargs)
        if getattr(made, "id", None):
            call(f"derived-{method}-poll", "poll", {"video_id": made.id, "poll_interval_ms": POLL_MS})


# ---- async ------------------------------------------------------------------------------------------------
async def run_async(base_url: str, *, seconds: float = 60.0, key: str = KEY) -> Traffic:
    """Every method through the async client, at once where the calls do not depend on each other."""
    traffic = Traffic()
    deadline = time.monotonic() + seconds

    async def hook(request: httpx.Request) -> None:
        if time.monotonic() > deadline:
            raise RuntimeError("the traffic's time is over")

    http_client = openai.DefaultAsyncHttpxClient(event_hooks={"request": [hook]})
    async with openai.AsyncOpenAI(base_url=base_url, api_key=key, timeout=TIMEOUT, http_client=http_client) as client:
        videos = client.videos

        async def call(name: str, method: str, kwargs: dict[str, Any], face: Any = None) -> Any:
            if method == "delete_then_retrieve":  # the deleted video is gone
                await call(name, "delete", kwargs)
                return await call(f"{name}: retrieve", "retrieve", kwargs)
            traffic.calls += 1
            try:
                result = getattr(face or videos, method)(**kwargs)
                result = await result if asyncio.iscoroutine(result) or hasattr(result, "__await__") else result
                return _read(result)
            except Exception as exc:  # noqa: BLE001
                traffic.failed.append(f"{name}: {type(exc).__name__}")
                return None

        async def fresh_id() -> str:
            made = await call("fresh", "create", {"prompt": "fresh"})
            return getattr(made, "id", None) or UNKNOWN

        pending = await fresh_id()
        for name, method, kwargs in PENDING:
            await call(name, method, kwargs(pending))
        await call("retrieve-pending", "retrieve", {"video_id": pending})  # how is it now?
        source = await call("source", "create_and_poll", {"prompt": "a source", "seconds": "8", "size": "1280x720",
                                                          "poll_interval_ms": POLL_MS})
        src = getattr(source, "id", None) or UNKNOWN
        fresh_ids = [await fresh_id() for _ in range(3)]
        pool = iter(fresh_ids)
        table = calls(src, lambda: next(pool, UNKNOWN))
        await asyncio.gather(*(call(n, m, k()) for n, m, k in table + EDGES),
                             *(call(n, m, k(pending)) for n, m, k in ERRORS if m != "list"),
                             *(call(f"raw-{m}", m, k(), videos.with_raw_response) for n, m, k in table
                               if n in ("create-minimal", "retrieve", "remix")))
        for name, method, kwargs in ERRORS:
            if method == "list":
                await call(name, method, kwargs(pending))
        traffic.calls += 1
        try:
            listed = 0
            async for _ in videos.list(limit=2, order="asc"):
                listed += 1
                if listed >= MAX_LISTED:
                    break
        except Exception as exc:  # noqa: BLE001
            traffic.failed.append(f"list-auto: {type(exc).__name__}")
    return traffic
