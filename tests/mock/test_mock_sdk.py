"""The official openai SDK against the reference server, over real HTTP.

The SDK sends every create as multipart/form-data, polls with openai-poll-after-ms, downloads
content with ``Accept: application/binary`` and raises typed errors from the envelope.
"""

from __future__ import annotations


import openai
import pytest
from mock_helpers import MAGIC, assert_content, image_bytes


# The SDK marks the Videos API deprecated; calls made from this module are attributed to it.
pytestmark = pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")

def as_dict(video: openai.types.Video) -> dict:
    return video.model_dump(mode="json")


def test_create_minimal(client, spec, assert_schema):
    video = client.videos.create(prompt="A calico cat on a windowsill")
    assert_schema("Video", as_dict(video))
    assert video.id.startswith("video_") and len(video.id) == len("video_") + 32
    assert (video.status, video.progress) == ("queued", 0)
    assert video.prompt == "A calico cat on a windowsill"
    properties = spec.properties("CreateVideoRequest")
    assert video.model == properties["model"]["default"]
    assert video.seconds == properties["seconds"]["default"]
    assert video.size == properties["size"]["default"]
    assert video.completed_at is None and video.expires_at is None and video.error is None
    assert video.remixed_from_video_id is None


def test_create_with_every_parameter(client, assert_schema):
    reference = ("reference.png", image_bytes((1280, 720)), "image/png")
    video = client.videos.create(
        prompt="A drone shot over a harbour", model="sora-2-pro", seconds="8", size="1280x720", input_reference=reference
    )
    assert_schema("Video", as_dict(video))
    assert (video.model, video.seconds, video.size) == ("sora-2-pro", "8", "1280x720")
    assert video.status == "queued"


def test_create_and_poll_completes(client, assert_schema):
    video = client.videos.create_and_poll(prompt="Waves at dusk", seconds="12")
    assert_schema("Video", as_dict(video))
    assert (video.status, video.progress, video.seconds) == ("completed", 100, "12")
    assert video.completed_at is not None and video.completed_at >= video.created_at
    assert video.expires_at is not None and video.expires_at > video.completed_at


def test_retrieve_sends_poll_after_header(client):
    video = client.videos.create(prompt="x")
    raw = client.videos.with_raw_response.retrieve(video.id)
    assert int(raw.headers["openai-poll-after-ms"]) > 0
    assert raw.parse().id == video.id


@pytest.mark.parametrize("variant", sorted(MAGIC))
def test_download_content(client, variant):
    video = client.videos.create_and_poll(prompt=f"content {variant}")
    content = client.videos.download_content(video.id, variant=variant)
    data = content.read()
    assert_content(data, variant, content.response.headers["content-type"])
    assert len(data) > 100


def test_list_paginates(client, assert_schema):
    ids = [client.videos.create(prompt=f"page {i}").id for i in range(5)]
    first = client.videos.list(limit=2, order="desc")
    assert_schema("VideoList", first.model_dump(mode="json"))
    assert [v.id for v in first.data] == ids[::-1][:2]
    assert first.has_more is True
    second = client.videos.list(limit=2, order="desc", after=first.data[-1].id)
    assert [v.id for v in second.data] == ids[::-1][2:4]
    listed = [v.id for v in client.videos.list(limit=100, order="asc")]  # every page (the server is shared)
    assert [i for i in listed if i in ids] == ids


def test_list_auto_pagination_sees_everything(client):
    ids = {client.videos.create(prompt=f"auto {i}").id for i in range(3)}
    seen = [v.id for v in client.videos.list(limit=50)]  # the SDK follows `after` itself
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))


def test_delete_then_not_found(client, assert_schema):
    video = client.videos.create(prompt="to delete")
    deleted = client.videos.delete(video.id)
    assert_schema("DeletedVideo", deleted.model_dump(mode="json"))
    assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
    with pytest.raises(openai.NotFoundError) as caught:
        client.videos.retrieve(video.id)
    assert caught.value.code == "video_not_found"
    with pytest.raises(openai.NotFoundError):
        client.videos.delete(video.id)


def test_remix_a_completed_video(client, assert_schema):
    source = client.videos.create_and_poll(prompt="original", size="1792x1024", seconds="8")
    remix = client.videos.remix(source.id, prompt="the same, at night")
    assert_schema("Video", as_dict(remix))
    assert remix.remixed_from_video_id == source.id
    assert remix.id != source.id
    assert (remix.prompt, remix.size, remix.seconds, remix.status) == ("the same, at night", "1792x1024", "8", "queued")


def test_invalid_value_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", seconds="10")  # type: ignore[arg-type]
    error = caught.value
    assert (error.status_code, error.code, error.param) == (400, "invalid_value", "seconds")
    assert "Supported values are: '4', '8', and '12'" in error.message


def test_empty_prompt_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="")
    assert (caught.value.code, caught.value.param) == ("empty_string", "prompt")


def test_wrong_size_reference_raises_bad_request(client):
    reference = ("ref.png", image_bytes((64, 64)), "image/png")
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", size="720x1280", input_reference=reference)
    assert caught.value.param == "input_reference"
    assert "Inpaint image must match the requested width and height" in caught.value.message


def test_unknown_id_raises_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.videos.retrieve("video_" + "0" * 32)
    assert (caught.value.code, caught.value.param) == ("video_not_found", "video_id")


def test_wrong_key_raises_authentication_error(keyed_mock_server):
    with openai.OpenAI(base_url=keyed_mock_server.base_url, api_key="sk-wrong", max_retries=0) as sdk:
        with pytest.raises(openai.AuthenticationError) as caught:
            sdk.videos.list()
    assert caught.value.code == "invalid_api_key"


def test_right_key_is_accepted(keyed_mock_server):
    with openai.OpenAI(base_url=keyed_mock_server.base_url, api_key=keyed_mock_server.api_key, max_retries=0) as sdk:
        video = sdk.videos.create(prompt="authorised")
        assert sdk.videos.retrieve(video.id).id == video.id
