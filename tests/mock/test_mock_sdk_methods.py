"""Every method of the openai SDK's videos resource against the reference server, sync and async.

Shaped like openai-python's own ``tests/api_resources/test_videos.py``: each method called plainly
(with its minimal and with all its parameters), through ``with_raw_response`` and
``with_streaming_response``, and with an empty path parameter; with a loose and a strict client
(``_strict_response_validation``: the SDK validates every answer against its own types), the
async ones over httpx and over aiohttp.
Where that file takes placeholders for a spec-only mock, these calls name real ids and upload real
files, over real HTTP to a uvicorn process. Then each error the SDK maps from the envelope
(BadRequestError, NotFoundError, AuthenticationError), for every method it applies to.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import httpx
import openai
import pytest
from mock_helpers import assert_content, image_bytes
from openai._legacy_response import HttpxBinaryResponseContent
from openai.pagination import AsyncConversationCursorPage, SyncConversationCursorPage
from openai.types import Video, VideoCreateCharacterResponse, VideoDeleteResponse, VideoGetCharacterResponse

from contracts.embedded import EmbeddedServer
from contracts.rules import Rules

pytestmark = [pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]

RULES = Rules.from_spec()
NAME_MIN, NAME_MAX = RULES.spec.string_limits("CharacterName")
MP4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()
CLIP = ("clip.mp4", MP4, "video/mp4")
CLIP_SECONDS = 1  # the reference server's content asset is a one-second clip
PNG_1280x720 = image_bytes((1280, 720))
DATA_URL = "data:image/png;base64," + base64.b64encode(image_bytes((720, 1280))).decode()
UNKNOWN = "video_" + "e" * 32
# Every method of the resource: the tests below must call each of them (test_every_method_is_exercised).
METHODS = {"create", "create_and_poll", "poll", "retrieve", "list", "delete", "download_content", "remix", "edit",
           "extend", "create_character", "get_character"}
# Arguments of every method that are request options, not API parameters.
REQUEST_OPTIONS = {"self", "extra_headers", "extra_query", "extra_body", "timeout"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sdk(request, mock_server: EmbeddedServer) -> Iterator[openai.OpenAI]:
    """openai-python's strict client (every answer validated against the SDK's own types); the
    loose one (the default: no validation) where a test asks for it with ``STRICTNESS``."""
    with openai.OpenAI(base_url=mock_server.base_url, api_key="sk-any", max_retries=0, timeout=10,
                       _strict_response_validation=getattr(request, "param", True)) as client:
        yield client


@pytest.fixture
async def async_sdk(request, mock_server: EmbeddedServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """The async client: strict over httpx by default; loose, or strict over aiohttp (the SDK's
    other transport, ``openai[aiohttp]``), where a test asks with ``ASYNC_CLIENTS``."""
    kind = getattr(request, "param", "strict")
    http_client = openai.DefaultAioHttpClient() if kind == "aiohttp" else None
    async with openai.AsyncOpenAI(base_url=mock_server.base_url, api_key="sk-any", max_retries=0, timeout=10,
                                  _strict_response_validation=kind != "loose", http_client=http_client) as client:
        yield client


# openai-python runs each call with a loose and a strict client (and async, over aiohttp too). An
# answer the strict one accepts the loose one accepts too, so the plain calls run with both and
# the other faces strict only; the async raw and streamed calls go over both transports.
STRICTNESS = pytest.mark.parametrize("sdk", [False, True], indirect=True, ids=["loose", "strict"])
ASYNC_CLIENTS = pytest.mark.parametrize("async_sdk", ["loose", "strict", "aiohttp"], indirect=True)
ASYNC_TRANSPORTS = pytest.mark.parametrize("async_sdk", ["strict", "aiohttp"], indirect=True)


@pytest.fixture
async def async_client(mock_server: EmbeddedServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=mock_server.base_url, api_key="sk-any", max_retries=0, timeout=10) as sdk:
        yield sdk


@dataclass(frozen=True)
class Sources:
    """The real things the calls name: a completed 8-second 1280x720 video (to retrieve, remix,
    edit, extend and download), a character, and new videos on demand (to poll, delete, list)."""

    base_url: str
    completed: str
    character: str

    def fresh(self, prompt: str = "fresh") -> str:
        response = httpx.post(f"{self.base_url}/videos", json={"prompt": prompt}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["id"]


@pytest.fixture(scope="module")
def sources(mock_server: EmbeddedServer) -> Sources:
    with openai.OpenAI(base_url=mock_server.base_url, api_key="sk-any", max_retries=0) as client:
        video = client.videos.create_and_poll(prompt="a source", seconds="8", size="1280x720", poll_interval_ms=20)
        character = client.videos.create_character(name="Mossy", video=CLIP)
    assert video.status == "completed"
    return Sources(mock_server.base_url, video.id, character.id)


@pytest.fixture(scope="module")
def completed_id(sources: Sources) -> str:
    return sources.completed


def _sdk_sends_objects() -> bool:
    """Whether the installed SDK can send ``video={"id": ...}`` (or ``input_reference={...}``).

    openai 3.57 to 3.63 cannot: its multipart path treats ``video`` as a file and raises RuntimeError
    ("Expected entry at `video` to be bytes...") before any request is made. The same request
    then goes through ``extra_body``, which the SDK encodes as the bracket field ``video[id]``.
    """
    try:
        from openai._utils import extract_files

        extract_files({"video": {"id": "video_1"}}, paths=[["video"]])
    except (ImportError, RuntimeError):
        return False
    return True


SDK_SENDS_OBJECTS = _sdk_sends_objects()


def by_id(video_id: str) -> dict[str, Any]:
    """The keyword arguments of edit/extend naming the source by id, as the installed SDK can send them."""
    if SDK_SENDS_OBJECTS:
        return {"video": {"id": video_id}}
    return {"video": openai.omit, "extra_body": {"video": {"id": video_id}}}


def image_url_reference(url: str) -> dict[str, Any]:
    if SDK_SENDS_OBJECTS:
        return {"input_reference": {"image_url": url}}
    return {"extra_body": {"input_reference": {"image_url": url}}}


def extra(video: Video, name: str) -> Any:
    return (video.model_extra or {}).get(name)


# ============================================================================================
# The calls: each method's arguments (minimal, all parameters, each form of its source) and what
# its answer must be. Every face below (plain, raw, streamed; sync and async) runs from this table.
# ============================================================================================
Kwargs = Callable[[Sources], dict[str, Any]]
Check = Callable[[Any, Sources, dict[str, Any]], None]


@dataclass(frozen=True)
class Call:
    method: str
    form: str  # "minimal", "all-params", or the form of the call ("by-file")
    kwargs: Kwargs
    check: Check

    @property
    def id(self) -> str:
        return f"{self.method}-{self.form}"


def a_video(result: Any) -> Video:
    assert isinstance(result, Video), type(result)
    return result


def new_job(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    """A create's answer: queued at progress 0, echoing what was sent, the defaults for the rest."""
    video = a_video(result)
    sent = {**RULES.defaults, **{k: kw[k] for k in ("model", "seconds", "size") if k in kw}}
    assert (video.status, video.progress, video.prompt) == ("queued", 0, kw["prompt"])
    assert (video.model, video.seconds, video.size) == (sent["model"], sent["seconds"], sent["size"])
    assert video.remixed_from_video_id is None


def completed(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    video = a_video(result)
    assert (video.status, video.progress, video.error) == ("completed", 100, None)
    assert video.completed_at is not None and video.completed_at >= video.created_at
    if "video_id" in kw:
        assert video.id == kw["video_id"]
    for name in ("model", "seconds", "size"):
        if name in kw:
            assert getattr(video, name) == kw[name]


def the_source(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    video = a_video(result)
    assert (video.id, video.status, video.seconds, video.size) == (s.completed, "completed", "8", "1280x720")


def a_page(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    assert isinstance(result, (SyncConversationCursorPage, AsyncConversationCursorPage)), type(result)
    assert len(result.data) <= kw.get("limit", 20) and all(isinstance(v, Video) for v in result.data)
    if "after" in kw:  # the page after the first of three new videos, one item, oldest first
        assert [v.id for v in result.data] == [kw["expect"]] and result.has_more


def list_after(s: Sources) -> dict[str, Any]:
    ids = [s.fresh(f"list {i}") for i in range(3)]
    return {"after": ids[0], "limit": 1, "order": "asc", "expect": ids[1]}


def deleted(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    assert isinstance(result, VideoDeleteResponse), type(result)
    assert (result.id, result.deleted, result.object) == (kw["video_id"], True, "video.deleted")
    assert httpx.get(f"{s.base_url}/videos/{kw['video_id']}", timeout=10).status_code == 404


def content(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    """The variant's bytes: HttpxBinaryResponseContent (plain, raw) or bytes (streamed)."""
    variant = kw.get("variant", RULES.default_variant)
    if isinstance(result, bytes):
        assert_content(result, variant)
    else:
        assert isinstance(result, HttpxBinaryResponseContent), type(result)
        assert_content(result.read(), variant, result.response.headers["content-type"])


def remixed(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    video = a_video(result)
    assert (video.remixed_from_video_id, video.prompt, video.status) == (s.completed, kw["prompt"], "queued")
    assert (video.size, video.seconds) == ("1280x720", "8")  # the source's


def derived(field: str, seconds: Callable[[dict[str, Any], str | None], str]) -> Check:
    """An edit or extension: a new queued job naming its source by id in ``field`` (None for an
    uploaded file), with the duration ``seconds(kw)``."""

    def check(result: Any, s: Sources, kw: dict[str, Any]) -> None:
        video = a_video(result)
        source = s.completed if "extra_body" in kw or isinstance(kw["video"], dict) else None
        assert video.id != s.completed and (video.status, video.progress, video.prompt) == ("queued", 0, kw["prompt"])
        assert (extra(video, field), video.seconds) == (source, seconds(kw, source))

    return check


def edit_seconds(kw: dict[str, Any], source: str | None) -> str:
    return "8" if source else str(CLIP_SECONDS)  # an edit keeps its source's duration


def stitched(kw: dict[str, Any], source: str | None) -> str:
    return str((8 if source else CLIP_SECONDS) + int(kw["seconds"]))  # the source's plus the extension's


def character(result: Any, s: Sources, kw: dict[str, Any]) -> None:
    kind = VideoGetCharacterResponse if "character_id" in kw else VideoCreateCharacterResponse
    assert isinstance(result, kind), type(result)
    assert result.id and result.id.startswith("char_") and result.created_at > 0
    assert result.name == kw.get("name", "Mossy")
    if "character_id" in kw:
        assert result.id == kw["character_id"]


CALLS = [
    Call("create", "minimal", lambda s: {"prompt": "x"}, new_job),
    Call("create", "all-params", lambda s: {"prompt": "x", "input_reference": ("ref.png", PNG_1280x720, "image/png"),
                                            "model": "sora-2-pro", "seconds": "12", "size": "1280x720"}, new_job),
    Call("create", "image-url", lambda s: {"prompt": "x", **image_url_reference(DATA_URL), "model": "sora-2",
                                           "seconds": "8", "size": "720x1280"}, new_job),
    Call("create_and_poll", "minimal", lambda s: {"prompt": "x"}, completed),
    Call("create_and_poll", "all-params", lambda s: {
        "prompt": "x", "input_reference": ("r.png", PNG_1280x720, "image/png"), "model": "sora-2-pro",
        "seconds": "8", "size": "1280x720", "poll_interval_ms": 10}, completed),
    Call("poll", "minimal", lambda s: {"video_id": s.fresh()}, completed),
    Call("poll", "all-params", lambda s: {"video_id": s.fresh(), "poll_interval_ms": 5}, completed),
    Call("retrieve", "minimal", lambda s: {"video_id": s.completed}, the_source),
    Call("list", "minimal", lambda s: {}, a_page),
    Call("list", "all-params", list_after, a_page),
    Call("delete", "minimal", lambda s: {"video_id": s.fresh()}, deleted),
    Call("download_content", "minimal", lambda s: {"video_id": s.completed}, content),
    *[Call("download_content", f"all-params-{variant}", lambda s, v=variant: {"video_id": s.completed, "variant": v},
           content) for variant in RULES.variants],
    Call("remix", "minimal", lambda s: {"video_id": s.completed, "prompt": "at night"}, remixed),
    Call("edit", "minimal", lambda s: {"prompt": "x", **by_id(s.completed)},
         derived("edited_from_video_id", edit_seconds)),
    Call("edit", "by-file", lambda s: {"prompt": "x", "video": CLIP}, derived("edited_from_video_id", edit_seconds)),
    Call("extend", "minimal", lambda s: {"prompt": "x", "seconds": "4", **by_id(s.completed)},
         derived("extended_from_video_id", stitched)),
    Call("extend", "by-file", lambda s: {"prompt": "x", "seconds": "12", "video": CLIP},
         derived("extended_from_video_id", stitched)),
    Call("create_character", "minimal", lambda s: {"name": "M" * NAME_MIN, "video": CLIP}, character),
    Call("create_character", "all-params", lambda s: {"name": "N" * NAME_MAX, "video": ("c.mp4", MP4, "video/mp4")},
         character),
    Call("get_character", "minimal", lambda s: {"character_id": s.character}, character),
]
# the calls of each method that also go through with_raw_response and with_streaming_response
RAW = [c for c in CALLS if c.form == "minimal" and c.method not in ("create_and_poll", "poll")]
# method -> its path parameter (the SDK refuses an empty one before sending anything)
PATH_PARAMS = {"retrieve": "video_id", "delete": "video_id", "download_content": "video_id", "remix": "video_id",
               "get_character": "character_id"}


def sdk_kwargs(kw: dict[str, Any]) -> dict[str, Any]:
    """A call's keyword arguments for the SDK: all but what the table keeps for its check (``expect``)."""
    return {k: v for k, v in kw.items() if k != "expect"}


# ============================================================================================
# Sync: each call plainly, raw, streamed; each path parameter empty
# ============================================================================================
@STRICTNESS
@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_method(sdk, sources, call):
    kw = call.kwargs(sources)
    call.check(getattr(sdk.videos, call.method)(**sdk_kwargs(kw)), sources, kw)


@pytest.mark.parametrize("call", RAW, ids=[c.method for c in RAW])
def test_raw_response(sdk, sources, call):
    kw = call.kwargs(sources)
    response = getattr(sdk.videos.with_raw_response, call.method)(**sdk_kwargs(kw))
    assert response.is_closed is True
    assert response.http_request.headers.get("X-Stainless-Lang") == "python"
    assert response.status_code == 200
    call.check(response.parse(), sources, kw)


@pytest.mark.parametrize("call", RAW, ids=[c.method for c in RAW])
def test_streaming_response(sdk, sources, call):
    kw = call.kwargs(sources)
    with getattr(sdk.videos.with_streaming_response, call.method)(**sdk_kwargs(kw)) as response:
        assert not response.is_closed
        assert response.http_request.headers.get("X-Stainless-Lang") == "python"
        call.check(response.parse(), sources, kw)
    assert response.is_closed is True


@pytest.mark.parametrize("method", sorted(PATH_PARAMS))
def test_path_params(sdk, method):
    param = PATH_PARAMS[method]
    others = {"prompt": "x"} if method == "remix" else {}
    with pytest.raises(ValueError, match=rf"Expected a non-empty value for `{param}` but received ''"):
        getattr(sdk.videos.with_raw_response, method)(**{param: ""}, **others)


def test_retrieve_answers_the_poll_header(sdk, sources):
    raw = sdk.videos.with_raw_response.retrieve(sources.completed)
    assert int(raw.headers["openai-poll-after-ms"]) >= 0


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_list_auto_pagination(sdk, order):
    ids = [sdk.videos.create(prompt=f"auto {order} {i}").id for i in range(5)]
    seen = [v.id for v in sdk.videos.list(limit=2, order=order)]  # the SDK follows `after` page by page
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in ids] == (ids if order == "asc" else ids[::-1])
    pages = list(sdk.videos.list(limit=2, order=order).iter_pages())
    assert len(pages) >= 3 and all(len(p.data) <= 2 for p in pages)


@pytest.mark.parametrize("variant", RULES.variants)
def test_download_content_streamed_to_a_file(sdk, sources, variant, tmp_path):
    with sdk.videos.with_streaming_response.download_content(sources.completed, variant=variant) as response:
        data = b"".join(response.iter_bytes(chunk_size=256))
    assert_content(data, variant)
    with sdk.videos.with_streaming_response.download_content(sources.completed, variant=variant) as response:
        response.stream_to_file(tmp_path / variant)
    assert (tmp_path / variant).read_bytes() == data


def test_derived_jobs_move_like_any_other(sdk, sources):
    """An edit and an extension are jobs the SDK polls to completion like any other."""
    edit = sdk.videos.edit(prompt="x", **by_id(sources.completed))
    assert sdk.videos.poll(edit.id, poll_interval_ms=10).status == "completed"
    extended = sdk.videos.extend(prompt="x", seconds="4", **by_id(sources.completed))
    assert sdk.videos.poll(extended.id, poll_interval_ms=10).seconds == extended.seconds == "12"


@pytest.mark.slow
def test_the_strict_client_catches_an_answer_off_its_types():
    """The strict client is a check, not a formality: an answer the SDK's types do not allow (a
    character's created_at as an ISO string) raises APIResponseValidationError; the loose one lets it by."""
    with EmbeddedServer(job_seconds=0.3, extra_args=["--fault", "character-created-at-iso"]) as server:
        clients = [openai.OpenAI(base_url=server.base_url, api_key="sk-any", max_retries=0, timeout=10,
                                 _strict_response_validation=strict) for strict in (False, True)]
        loose, strict = clients
        created = loose.videos.create_character(name="Mossy", video=CLIP)
        assert isinstance(created.created_at, str)  # the loose client passes the broken value through
        with pytest.raises(openai.APIResponseValidationError):
            strict.videos.get_character(created.id)
        for client in clients:
            client.close()


def test_create_character_from_a_path(sdk, tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4)
    assert sdk.videos.create_character(name="Path", video=path, extra_headers={"X-Test": "1"}).name == "Path"


# ============================================================================================
# Async: the same calls through AsyncOpenAI
# ============================================================================================
async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@pytest.mark.anyio
@ASYNC_CLIENTS
@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
async def test_method_async(async_sdk, sources, call):
    kw = call.kwargs(sources)
    call.check(await _maybe_await(getattr(async_sdk.videos, call.method)(**sdk_kwargs(kw))), sources, kw)


@pytest.mark.anyio
@ASYNC_TRANSPORTS
@pytest.mark.parametrize("call", RAW, ids=[c.method for c in RAW])
async def test_raw_response_async(async_sdk, sources, call):
    kw = call.kwargs(sources)
    response = await getattr(async_sdk.videos.with_raw_response, call.method)(**sdk_kwargs(kw))
    assert response.is_closed is True
    assert response.http_request.headers.get("X-Stainless-Lang") == "python"
    assert response.status_code == 200
    call.check(response.parse(), sources, kw)


@pytest.mark.anyio
@ASYNC_TRANSPORTS
@pytest.mark.parametrize("call", RAW, ids=[c.method for c in RAW])
async def test_streaming_response_async(async_sdk, sources, call):
    kw = call.kwargs(sources)
    async with getattr(async_sdk.videos.with_streaming_response, call.method)(**sdk_kwargs(kw)) as response:
        assert not response.is_closed
        assert response.http_request.headers.get("X-Stainless-Lang") == "python"
        call.check(await response.parse(), sources, kw)
    assert response.is_closed is True


@pytest.mark.anyio
@pytest.mark.parametrize("method", sorted(PATH_PARAMS))
async def test_path_params_async(async_sdk, method):
    param = PATH_PARAMS[method]
    others = {"prompt": "x"} if method == "remix" else {}
    with pytest.raises(ValueError, match=rf"Expected a non-empty value for `{param}` but received ''"):
        await getattr(async_sdk.videos.with_raw_response, method)(**{param: ""}, **others)


@pytest.mark.anyio
@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_list_auto_pagination_async(async_sdk, order):
    ids = [(await async_sdk.videos.create(prompt=f"auto {order} {i}")).id for i in range(5)]
    seen = [v.id async for v in async_sdk.videos.list(limit=2, order=order)]
    assert len(seen) == len(set(seen))
    assert [i for i in seen if i in ids] == (ids if order == "asc" else ids[::-1])
    pages = [page async for page in (await async_sdk.videos.list(limit=2, order=order)).iter_pages()]
    assert len(pages) >= 3 and all(len(p.data) <= 2 for p in pages)


@pytest.mark.anyio
@ASYNC_TRANSPORTS
@pytest.mark.parametrize("variant", RULES.variants)
async def test_download_content_streamed_async(async_sdk, sources, variant):
    streamed = async_sdk.videos.with_streaming_response.download_content(sources.completed, variant=variant)
    async with streamed as response:
        assert_content(b"".join([chunk async for chunk in response.iter_bytes(chunk_size=256)]), variant)


@pytest.mark.anyio
async def test_derived_jobs_move_like_any_other_async(async_sdk, sources):
    edit = await async_sdk.videos.edit(prompt="x", video=CLIP)
    assert (await async_sdk.videos.poll(edit.id, poll_interval_ms=10)).status == "completed"
    extended = await async_sdk.videos.extend(prompt="x", seconds="8", **by_id(sources.completed))
    assert (await async_sdk.videos.poll(extended.id, poll_interval_ms=10)).seconds == "16"


# ============================================================================================
# Errors: each method, each error the SDK maps, sync and async
# ============================================================================================
# (method, args, kwargs, exception, error code); "{pending}" is a video that never completes.
ERRORS = [
    ("create", (), {"prompt": "x", "seconds": "10"}, openai.BadRequestError, "invalid_value"),
    ("create", (), {"prompt": ""}, openai.BadRequestError, "empty_string"),
    ("create_and_poll", (), {"prompt": "x", "size": "640x480"}, openai.BadRequestError, "invalid_value"),
    ("poll", (UNKNOWN,), {}, openai.NotFoundError, "video_not_found"),
    ("retrieve", (UNKNOWN,), {}, openai.NotFoundError, "video_not_found"),
    ("list", (), {"after": UNKNOWN}, openai.BadRequestError, "invalid_value"),
    ("list", (), {"limit": 101}, openai.BadRequestError, "integer_above_max_value"),
    ("delete", (UNKNOWN,), {}, openai.NotFoundError, "video_not_found"),
    ("download_content", (UNKNOWN,), {}, openai.NotFoundError, "video_not_found"),
    ("download_content", ("{pending}",), {}, openai.NotFoundError, "video_not_ready"),
    ("download_content", ("{pending}",), {"variant": "gif"}, openai.BadRequestError, "invalid_value"),
    ("remix", (UNKNOWN,), {"prompt": "x"}, openai.NotFoundError, "video_not_found"),
    ("remix", ("{pending}",), {"prompt": "x"}, openai.BadRequestError, "video_not_ready"),
    ("edit", (), {"prompt": "x", **by_id(UNKNOWN)}, openai.NotFoundError, "video_not_found"),
    ("edit", (), {"prompt": "x", **by_id("{pending}")}, openai.BadRequestError, "video_not_ready"),
    ("edit", (), {"prompt": "x", "video": ("c.png", PNG_1280x720, "image/png")}, openai.BadRequestError, "invalid_video"),
    ("extend", (), {"prompt": "x", "seconds": "4", **by_id(UNKNOWN)}, openai.NotFoundError, "video_not_found"),
    ("extend", (), {"prompt": "x", "seconds": "4", **by_id("{pending}")}, openai.BadRequestError,
     "video_not_ready"),
    ("extend", (), {"prompt": "x", "seconds": "10", "video": CLIP}, openai.BadRequestError, "invalid_value"),
    ("create_character", (), {"name": "x", "video": ("c.txt", b"text", "text/plain")}, openai.BadRequestError,
     "invalid_video"),
    ("create_character", (), {"name": "n" * 81, "video": CLIP}, openai.BadRequestError, "string_above_max_length"),
    ("create_character", (), {"name": "", "video": CLIP}, openai.BadRequestError, "empty_string"),
    ("get_character", ("char_" + "0" * 32,), {}, openai.NotFoundError, "character_not_found"),
]
AUTH_CALLS = {
    "create": ((), {"prompt": "x"}), "create_and_poll": ((), {"prompt": "x"}), "poll": ((UNKNOWN,), {}),
    "retrieve": ((UNKNOWN,), {}), "list": ((), {}), "delete": ((UNKNOWN,), {}), "download_content": ((UNKNOWN,), {}),
    "remix": ((UNKNOWN,), {"prompt": "x"}), "edit": ((), {"prompt": "x", **by_id(UNKNOWN)}),
    "extend": ((), {"prompt": "x", "seconds": "4", **by_id(UNKNOWN)}),
    "create_character": ((), {"name": "x", "video": CLIP}), "get_character": (("char_1",), {}),
}


def _ids(row: tuple) -> str:
    method, args, kwargs, exc, code = row
    return f"{method}-{code}"


@pytest.fixture(scope="module")
def pending_id(strict_mock_server: EmbeddedServer) -> str:
    response = httpx.post(f"{strict_mock_server.base_url}/videos", json={"prompt": "never done"}, timeout=10)
    return response.json()["id"]


def _fill(value: Any, pending: str) -> Any:
    if value == "{pending}":
        return pending
    if isinstance(value, dict):
        return {k: _fill(v, pending) for k, v in value.items()}
    return value


class Counting:
    """Counts the requests an SDK client sends (event hooks on its own httpx client)."""

    def __init__(self) -> None:
        self.sent = 0

    def hook(self, request) -> None:
        self.sent += 1

    async def ahook(self, request) -> None:
        self.sent += 1


@pytest.mark.parametrize("row", ERRORS, ids=[_ids(r) for r in ERRORS])
def test_error_is_mapped(strict_mock_server, pending_id, row):
    """With the SDK's default retries on: every one of these is raised at once (one request)."""
    method, args, kwargs, exception, code = row
    counting = Counting()
    http_client = openai.DefaultHttpxClient(event_hooks={"request": [counting.hook]})
    with openai.OpenAI(base_url=strict_mock_server.base_url, api_key="sk-any", http_client=http_client) as sdk:
        with pytest.raises(exception) as caught:
            _call(getattr(sdk.videos, method), [_fill(a, pending_id) for a in args], _fill(kwargs, pending_id))
    assert caught.value.code == code
    assert counting.sent == 1, f"{method} was retried ({counting.sent} requests): the status is one the SDK retries"


@pytest.mark.anyio
@pytest.mark.parametrize("row", ERRORS, ids=[_ids(r) for r in ERRORS])
async def test_error_is_mapped_async(strict_mock_server, pending_id, row):
    method, args, kwargs, exception, code = row
    counting = Counting()
    http_client = openai.DefaultAsyncHttpxClient(event_hooks={"request": [counting.ahook]})
    async with openai.AsyncOpenAI(base_url=strict_mock_server.base_url, api_key="sk-any", http_client=http_client) as sdk:
        with pytest.raises(exception) as caught:
            await _acall(getattr(sdk.videos, method), [_fill(a, pending_id) for a in args], _fill(kwargs, pending_id))
    assert caught.value.code == code
    assert counting.sent == 1


@pytest.mark.parametrize("method", sorted(AUTH_CALLS))
def test_wrong_key_raises_authentication_error(keyed_mock_server, method):
    args, kwargs = AUTH_CALLS[method]
    with openai.OpenAI(base_url=keyed_mock_server.base_url, api_key="sk-wrong", max_retries=0) as sdk:
        with pytest.raises(openai.AuthenticationError) as caught:
            _call(getattr(sdk.videos, method), args, kwargs)
    assert caught.value.code == "invalid_api_key"


@pytest.mark.anyio
@pytest.mark.parametrize("method", sorted(AUTH_CALLS))
async def test_wrong_key_raises_authentication_error_async(keyed_mock_server, method):
    args, kwargs = AUTH_CALLS[method]
    async with openai.AsyncOpenAI(base_url=keyed_mock_server.base_url, api_key="sk-wrong", max_retries=0) as sdk:
        with pytest.raises(openai.AuthenticationError) as caught:
            await _acall(getattr(sdk.videos, method), args, kwargs)
    assert caught.value.code == "invalid_api_key"


def _call(method, args, kwargs) -> Any:
    result = method(*args, **kwargs)
    return result.read() if hasattr(result, "read") else result


async def _acall(method, args, kwargs) -> Any:
    result = method(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


@pytest.mark.parametrize("method", ["edit", "extend"])
def test_a_reference_object_fails_in_the_sdk_or_works(client, completed_id, method):
    """``video={"id": ...}`` as the SDK types it: either it works against the mock, or (openai 3.57 to 3.63)
    the SDK itself refuses it before sending anything; the mock is never the one that fails."""
    counting = Counting()
    http_client = openai.DefaultHttpxClient(event_hooks={"request": [counting.hook]})
    kwargs = {"prompt": "x", "video": {"id": completed_id}, **({"seconds": "4"} if method == "extend" else {})}
    with openai.OpenAI(base_url=client.base_url, api_key="sk-any", http_client=http_client, max_retries=0) as sdk:
        if SDK_SENDS_OBJECTS:
            assert getattr(sdk.videos, method)(**kwargs).status == "queued"
        else:
            with pytest.raises(RuntimeError, match="Expected entry at `video`"):
                getattr(sdk.videos, method)(**kwargs)
            assert counting.sent == 0


def test_the_readme_names_the_installed_sdk_where_it_needs_the_workaround():
    """The README says which SDK versions need ``extra_body`` to edit by id: the installed one among
    them when it does, and newer than them when it does not."""
    import re
    from importlib.metadata import version
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    found = re.search(r"With openai (\d+)\.(\d+) to (\d+)\.(\d+) \(the newest tested\), `edit`/`extend` with "
                      r"`video=\{\"id\": \.\.\.\}` fail inside the SDK", readme)
    assert found, "the README's workaround sentence changed: update this test with it"
    oldest, newest = tuple(map(int, found.groups()[:2])), tuple(map(int, found.groups()[2:]))
    installed = tuple(int(part) for part in version("openai").split(".")[:2])
    if SDK_SENDS_OBJECTS:
        assert installed > newest, f"openai {version('openai')} sends video={{'id': ...}}: the README says it does not"
    else:
        assert oldest <= installed <= newest, f"openai {version('openai')} needs the workaround: name it in the README"


def test_every_method_is_exercised():
    """The resource's public methods, sync and async, are the ones the table calls; every method
    the SDK wraps raw and streamed is called that way; each error table names every method."""
    for resource in (openai.resources.videos.Videos, openai.resources.videos.AsyncVideos):
        public = {name for name, _ in inspect.getmembers(resource, inspect.isfunction) if not name.startswith("_")}
        assert public == METHODS, resource
    assert {c.method for c in CALLS} == METHODS
    assert {row[0] for row in ERRORS} == METHODS == set(AUTH_CALLS)
    with openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="sk-any") as offline:
        for wrapped in (offline.videos.with_raw_response, offline.videos.with_streaming_response):
            assert {n for n in vars(wrapped) if not n.startswith("_")} == {c.method for c in RAW}


@pytest.mark.parametrize("method", sorted(METHODS))
def test_all_params_are_every_parameter_of_the_sdk(sources, method):
    """The calls of a method together pass every parameter its SDK signature has (a parameter a
    new SDK adds shows up here), sync and async alike."""
    signatures = [inspect.signature(getattr(resource, method)).parameters
                  for resource in (openai.resources.videos.Videos, openai.resources.videos.AsyncVideos)]
    assert set(signatures[0]) == set(signatures[1])
    passed = set().union(*(sdk_kwargs(c.kwargs(sources)) for c in CALLS if c.method == method))
    assert passed - REQUEST_OPTIONS == set(signatures[0]) - REQUEST_OPTIONS
