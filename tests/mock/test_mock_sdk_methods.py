"""Every method of the openai SDK's videos resource against the reference server, sync and async.

Modelled on openai-python's own ``tests/api_resources/test_videos.py`` (each method with minimal
and with all parameters, raw and streamed responses), with real ids and real files where a
spec-only mock takes placeholders, over real HTTP to a uvicorn process. Then each error the SDK
maps from the envelope (BadRequestError, NotFoundError, AuthenticationError), for every method.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import httpx
import openai
import pytest
from mock_helpers import MAGIC, assert_content, image_bytes

from contracts.embedded import EmbeddedServer

pytestmark = [pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]

MP4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()
CLIP = ("clip.mp4", MP4, "video/mp4")
PNG_1280x720 = image_bytes((1280, 720))
DATA_URL = "data:image/png;base64," + base64.b64encode(image_bytes((720, 1280))).decode()
UNKNOWN = "video_" + "e" * 32
# Every method of the resource: the tests below must call each of them (test_every_method_is_exercised).
METHODS = {"create", "create_and_poll", "poll", "retrieve", "list", "delete", "download_content", "remix", "edit",
           "extend", "create_character", "get_character"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def async_client(mock_server: EmbeddedServer) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(base_url=mock_server.base_url, api_key="sk-any", max_retries=0, timeout=10) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def completed_id(mock_server: EmbeddedServer) -> str:
    """A completed 8-second 1280x720 video to remix, edit, extend and download."""
    with openai.OpenAI(base_url=mock_server.base_url, api_key="sk-any", max_retries=0) as sdk:
        video = sdk.videos.create_and_poll(prompt="a source", seconds="8", size="1280x720", poll_interval_ms=20)
    assert video.status == "completed"
    return video.id


def _sdk_sends_objects() -> bool:
    """Whether the installed SDK can send ``video={"id": ...}`` (or ``input_reference={...}``).

    openai 3.57 cannot: its multipart path treats ``video`` as a file and raises RuntimeError
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


def extra(video: openai.types.Video, name: str) -> Any:
    return (video.model_extra or {}).get(name)


# ============================================================================================
# Sync: each method with minimal and with all parameters
# ============================================================================================
class TestVideos:
    def test_create(self, client):
        video = client.videos.create(prompt="x")
        assert (video.status, video.progress, video.prompt, video.seconds, video.size) == ("queued", 0, "x", "4", "720x1280")

    def test_create_with_all_params(self, client):
        video = client.videos.create(prompt="x", input_reference=("ref.png", PNG_1280x720, "image/png"),
                                     model="sora-2-pro", seconds="12", size="1280x720")
        assert (video.model, video.seconds, video.size) == ("sora-2-pro", "12", "1280x720")

    def test_create_with_an_image_url_reference(self, client):
        video = client.videos.create(prompt="x", **image_url_reference(DATA_URL), model="sora-2", seconds="8",
                                     size="720x1280")
        assert video.seconds == "8"

    def test_create_and_poll(self, client):
        video = client.videos.create_and_poll(prompt="x")
        assert (video.status, video.progress) == ("completed", 100)

    def test_create_and_poll_with_all_params(self, client):
        video = client.videos.create_and_poll(prompt="x", input_reference=("r.png", PNG_1280x720, "image/png"),
                                              model="sora-2-pro", seconds="8", size="1280x720", poll_interval_ms=10,
                                              extra_headers={"X-Test": "1"}, timeout=10)
        assert (video.status, video.model, video.seconds) == ("completed", "sora-2-pro", "8")

    def test_poll(self, client):
        video = client.videos.create(prompt="x")
        assert client.videos.poll(video.id).status == "completed"

    def test_poll_with_all_params(self, client):
        video = client.videos.create(prompt="x")
        polled = client.videos.poll(video.id, poll_interval_ms=5)
        assert (polled.id, polled.status) == (video.id, "completed")

    def test_retrieve(self, client, completed_id):
        assert client.videos.retrieve(completed_id).id == completed_id

    def test_retrieve_raw_and_streamed(self, client, completed_id):
        raw = client.videos.with_raw_response.retrieve(completed_id)
        assert raw.headers["openai-poll-after-ms"] and raw.parse().id == completed_id
        with client.videos.with_streaming_response.retrieve(completed_id) as response:
            assert response.parse().status == "completed"

    def test_list(self, client):
        page = client.videos.list()
        assert page.object == "list" and len(page.data) <= 20

    def test_list_with_all_params(self, client):
        ids = [client.videos.create(prompt=f"list {i}").id for i in range(3)]
        page = client.videos.list(after=ids[0], limit=1, order="asc")
        assert [v.id for v in page.data] == [ids[1]] and page.has_more

    @pytest.mark.parametrize("order", ["asc", "desc"])
    def test_list_auto_pagination(self, client, order):
        ids = [client.videos.create(prompt=f"auto {order} {i}").id for i in range(5)]
        seen = [v.id for v in client.videos.list(limit=2, order=order)]  # the SDK follows `after` page by page
        assert len(seen) == len(set(seen))
        assert [i for i in seen if i in ids] == (ids if order == "asc" else ids[::-1])
        pages = list(client.videos.list(limit=2, order=order).iter_pages())
        assert len(pages) >= 3 and all(len(p.data) <= 2 for p in pages)

    def test_delete(self, client):
        video = client.videos.create(prompt="x")
        deleted = client.videos.delete(video.id)
        assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")

    def test_download_content(self, client, completed_id):
        content = client.videos.download_content(completed_id)
        assert content.response.headers["content-type"] == "video/mp4" and content.read()[4:8] == b"ftyp"

    @pytest.mark.parametrize("variant", sorted(MAGIC))
    def test_download_content_with_all_params(self, client, completed_id, variant):
        content = client.videos.download_content(completed_id, variant=variant)
        assert_content(content.read(), variant, content.response.headers["content-type"])

    @pytest.mark.parametrize("variant", sorted(MAGIC))
    def test_download_content_streamed(self, client, completed_id, variant, tmp_path):
        with client.videos.with_streaming_response.download_content(completed_id, variant=variant) as response:
            data = b"".join(response.iter_bytes(chunk_size=256))
        assert_content(data, variant)
        with client.videos.with_streaming_response.download_content(completed_id, variant=variant) as response:
            response.stream_to_file(tmp_path / variant)
        assert (tmp_path / variant).read_bytes() == data

    def test_remix(self, client, completed_id):
        remix = client.videos.remix(completed_id, prompt="at night")
        assert (remix.remixed_from_video_id, remix.size, remix.seconds) == (completed_id, "1280x720", "8")

    def test_edit(self, client, completed_id):
        edit = client.videos.edit(prompt="x", **by_id(completed_id))
        assert (edit.status, edit.size, extra(edit, "edited_from_video_id")) == ("queued", "1280x720", completed_id)
        assert client.videos.poll(edit.id, poll_interval_ms=10).status == "completed"

    def test_edit_with_a_file(self, client):
        edit = client.videos.edit(prompt="x", video=CLIP)
        assert edit.status == "queued" and extra(edit, "edited_from_video_id") is None

    def test_extend(self, client, completed_id):
        extended = client.videos.extend(prompt="x", seconds="4", **by_id(completed_id))
        assert (extended.seconds, extra(extended, "extended_from_video_id")) == ("12", completed_id)
        assert client.videos.poll(extended.id, poll_interval_ms=10).seconds == "12"

    def test_extend_with_a_file(self, client):
        extended = client.videos.extend(prompt="x", seconds="12", video=CLIP)
        assert extended.seconds == "13"  # the 1-second clip, plus 12

    def test_create_character(self, client):
        character = client.videos.create_character(name="M", video=CLIP)
        assert character.id.startswith("char_") and character.name == "M" and character.created_at > 0

    def test_create_character_with_all_params(self, client, tmp_path):
        path = tmp_path / "clip.mp4"
        path.write_bytes(MP4)
        character = client.videos.create_character(name="N" * 80, video=path, extra_headers={"X-Test": "1"})
        assert character.name == "N" * 80

    def test_get_character(self, client):
        created = client.videos.create_character(name="Mossy", video=MP4)
        fetched = client.videos.get_character(created.id)
        assert fetched.model_dump() == created.model_dump()


# ============================================================================================
# Async: the same calls through AsyncOpenAI
# ============================================================================================
@pytest.mark.anyio
class TestAsyncVideos:
    async def test_create(self, async_client):
        video = await async_client.videos.create(prompt="x")
        assert (video.status, video.seconds) == ("queued", "4")

    async def test_create_with_all_params(self, async_client):
        video = await async_client.videos.create(prompt="x", input_reference=("ref.png", PNG_1280x720, "image/png"),
                                                 model="sora-2-pro", seconds="12", size="1280x720")
        assert (video.model, video.seconds, video.size) == ("sora-2-pro", "12", "1280x720")

    async def test_create_and_poll(self, async_client):
        assert (await async_client.videos.create_and_poll(prompt="x")).status == "completed"

    async def test_create_and_poll_with_all_params(self, async_client):
        video = await async_client.videos.create_and_poll(prompt="x", **image_url_reference(DATA_URL),
                                                          model="sora-2", seconds="8", size="720x1280",
                                                          poll_interval_ms=10)
        assert (video.status, video.seconds) == ("completed", "8")

    async def test_poll(self, async_client):
        video = await async_client.videos.create(prompt="x")
        assert (await async_client.videos.poll(video.id)).status == "completed"

    async def test_poll_with_all_params(self, async_client):
        video = await async_client.videos.create(prompt="x")
        assert (await async_client.videos.poll(video.id, poll_interval_ms=5)).status == "completed"

    async def test_retrieve(self, async_client, completed_id):
        assert (await async_client.videos.retrieve(completed_id)).id == completed_id
        raw = await async_client.videos.with_raw_response.retrieve(completed_id)
        assert raw.parse().id == completed_id

    async def test_list(self, async_client):
        page = await async_client.videos.list()
        assert page.object == "list"

    async def test_list_with_all_params(self, async_client):
        ids = [(await async_client.videos.create(prompt=f"list {i}")).id for i in range(3)]
        page = await async_client.videos.list(after=ids[2], limit=1, order="desc")
        assert [v.id for v in page.data] == [ids[1]]

    @pytest.mark.parametrize("order", ["asc", "desc"])
    async def test_list_auto_pagination(self, async_client, order):
        ids = [(await async_client.videos.create(prompt=f"auto {order} {i}")).id for i in range(5)]
        seen = [v.id async for v in async_client.videos.list(limit=2, order=order)]
        assert len(seen) == len(set(seen))
        assert [i for i in seen if i in ids] == (ids if order == "asc" else ids[::-1])

    async def test_delete(self, async_client):
        video = await async_client.videos.create(prompt="x")
        assert (await async_client.videos.delete(video.id)).deleted is True

    async def test_download_content(self, async_client, completed_id):
        content = await async_client.videos.download_content(completed_id)
        assert content.read()[4:8] == b"ftyp"

    @pytest.mark.parametrize("variant", sorted(MAGIC))
    async def test_download_content_with_all_params(self, async_client, completed_id, variant):
        content = await async_client.videos.download_content(completed_id, variant=variant)
        assert_content(content.read(), variant, content.response.headers["content-type"])

    @pytest.mark.parametrize("variant", sorted(MAGIC))
    async def test_download_content_streamed(self, async_client, completed_id, variant):
        async with async_client.videos.with_streaming_response.download_content(completed_id, variant=variant) as response:
            assert_content(b"".join([chunk async for chunk in response.iter_bytes(chunk_size=256)]), variant)

    async def test_remix(self, async_client, completed_id):
        remix = await async_client.videos.remix(completed_id, prompt="at night")
        assert remix.remixed_from_video_id == completed_id

    async def test_edit(self, async_client, completed_id):
        edit = await async_client.videos.edit(prompt="x", **by_id(completed_id))
        assert extra(edit, "edited_from_video_id") == completed_id

    async def test_edit_with_a_file(self, async_client):
        edit = await async_client.videos.edit(prompt="x", video=CLIP)
        assert (await async_client.videos.poll(edit.id, poll_interval_ms=10)).status == "completed"

    async def test_extend(self, async_client, completed_id):
        extended = await async_client.videos.extend(prompt="x", seconds="8", **by_id(completed_id))
        assert extended.seconds == "16"

    async def test_extend_with_a_file(self, async_client):
        extended = await async_client.videos.extend(prompt="x", seconds="4", video=CLIP)
        assert extended.seconds == "5"

    async def test_create_character(self, async_client):
        character = await async_client.videos.create_character(name="M", video=CLIP)
        assert character.name == "M"

    async def test_create_character_with_all_params(self, async_client):
        character = await async_client.videos.create_character(name="N" * 80, video=MP4, extra_headers={"X-Test": "1"})
        assert character.name == "N" * 80

    async def test_get_character(self, async_client):
        created = await async_client.videos.create_character(name="Mossy", video=CLIP)
        assert (await async_client.videos.get_character(created.id)).model_dump() == created.model_dump()


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
        with pytest.raises(openai.AuthenticationError):
            await _acall(getattr(sdk.videos, method), args, kwargs)


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
    """``video={"id": ...}`` as the SDK types it: either it works against the mock, or (openai 3.57)
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


def test_every_method_is_exercised():
    """The resource's public methods are the ones this module covers (a new SDK method shows up here)."""
    public = {name for name, _ in inspect.getmembers(openai.resources.videos.Videos, inspect.isfunction)
              if not name.startswith("_")}
    assert public == METHODS
    assert {row[0] for row in ERRORS} == METHODS == set(AUTH_CALLS)
    sync_tests = " ".join(name for name in dir(TestVideos) if name.startswith("test_"))
    async_tests = " ".join(name for name in dir(TestAsyncVideos) if name.startswith("test_"))
    for method in METHODS:
        assert f"test_{method}" in sync_tests and f"test_{method}" in async_tests, method
