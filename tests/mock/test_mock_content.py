"""Content matches the Video: every download decodes (PyAV) to the Video's size and duration, for every
documented size and seconds value and for what profiles and extensions make; thumbnails and
spritesheets are at the video's aspect; an uploaded source's duration is read back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from contracts.mock import MockConfig, create_app
from contracts.mock.media import SCALE, Media, dimensions, duration
from contracts.mock.mp4 import frame_durations, h264_mp4
from contracts.rules import Rules
from mock_helpers import call

av = pytest.importorskip("av")

RULES = Rules.from_spec()
SIZES, SECONDS = RULES.choices["size"], RULES.choices["seconds"]
WAN22 = Path(__file__).resolve().parents[2] / "profiles" / "wan22.toml"


def decoded(data: bytes) -> tuple[int, int, float, float, int]:
    """(width, height, container seconds, seconds of the decoded frames, frames) of an MP4."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        last = frames[-1]
        shown = float((last.pts + last.duration) * last.time_base) if last.duration else float(stream.duration * stream.time_base)
        assert all((f.width, f.height) == (stream.width, stream.height) for f in frames)
        return stream.width, stream.height, container.duration / 1e6, shown, len(frames)


@pytest.mark.parametrize("seconds", SECONDS)
@pytest.mark.parametrize("size", SIZES)
def test_a_download_decodes_to_the_videos_size_and_duration(videos_mock, size, seconds):
    with videos_mock.openai() as client:
        video = client.videos.create(prompt="a lighthouse at dusk", size=size, seconds=seconds)
        videos_mock.complete(video.id)
        data = client.videos.download_content(video.id).read()
        thumbnail = client.videos.download_content(video.id, variant="thumbnail").read()
        sheet = client.videos.download_content(video.id, variant="spritesheet").read()
    width, height = (int(n) for n in size.split("x"))
    assert decoded(data) == (width, height, float(seconds), float(seconds), int(seconds))
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert (image.format, image.size) == ("WEBP", (width // SCALE, height // SCALE))
    with Image.open(io.BytesIO(sheet)) as image:
        tile = (width // SCALE, height // SCALE)
        assert image.format == "JPEG"
        assert image.width % tile[0] == 0 and image.height % tile[1] == 0  # whole tiles of the video's aspect
        assert (image.width // tile[0]) * (image.height // tile[1]) >= int(seconds)  # a tile per second


def test_an_extension_of_a_downloaded_video_adds_its_real_duration(videos_mock):
    """A client that downloads a video and uploads it as the source of an extension (or an edit)
    gets the durations a real server would give: 8 s extended by 4 is 12, and its download is 12 s."""
    with videos_mock.openai() as client:
        source = client.videos.create(prompt="a source", seconds="8", size="1280x720")
        videos_mock.complete(source.id)
        clip = ("clip.mp4", client.videos.download_content(source.id).read(), "video/mp4")
        extended = client.videos.extend(prompt="and then", seconds="4", video=clip)
        edited = client.videos.edit(prompt="in snow", video=clip)
        assert (extended.seconds, edited.seconds) == ("12", "8")
        videos_mock.complete(extended.id)
        assert decoded(client.videos.download_content(extended.id).read())[2:] == (12.0, 12.0, 12)


def test_a_profiles_sizes_and_durations_are_served_too():
    app = create_app(MockConfig(profile=str(WAN22), clock="manual"))
    for size in app.state.rules.choices["size"]:
        video = call(app, "POST", "/videos", json={"prompt": "p", "size": size}).json()
        assert call(app, "POST", f"http://mock/_mock/videos/{video['id']}/complete").status_code == 200
        data = call(app, "GET", f"/videos/{video['id']}/content").content
        width, height = (int(n) for n in size.split("x"))
        assert decoded(data)[:3] == (width, height, float(app.state.rules.defaults["seconds"]))


@pytest.mark.parametrize(("size", "seconds", "expected"), [
    ("1920x1080", 2.5, (1920, 1080, 2.5, 3)),  # cropped from 1920x1088; a last frame of half a second
    ("34x18", 1.0, (34, 18, 1.0, 1)),
    ("2x2", 3.0, (2, 2, 3.0, 3)),
], ids=["1080p-cropped", "small-cropped", "smallest"])
def test_sizes_off_the_macroblock_grid_are_cropped(size, seconds, expected):
    width, height = (int(n) for n in size.split("x"))
    got = decoded(h264_mp4(width, height, seconds))
    assert (got[0], got[1], got[2], got[4]) == expected


@pytest.mark.parametrize(("size", "expected"), [
    ("720x1280", (720, 1280)), ("641x481", (642, 482)), ("640x480 ", (640, 480)), ("abc", (8, 8)),
    ("0x10", (8, 8)), ("99999x10", (8, 8)), (4, (8, 8)),
], ids=["documented", "odd-rounded-up", "spaces", "not-a-size", "zero", "too-wide", "not-text"])
def test_a_size_that_cannot_be_encoded_falls_back(size, expected):
    assert dimensions(size, (8, 8)) == expected


@pytest.mark.parametrize(("seconds", "expected"), [("4", 4.0), ("2.5", 2.5), (12, 12.0), ("0", 4.0), ("-3", 4.0),
                                                  ("nan", 4.0), ("inf", 4.0), ("soon", 4.0), (None, 4.0)])
def test_a_duration_that_cannot_be_encoded_falls_back(seconds, expected):
    assert duration(seconds, 4.0) == expected


def test_frame_durations_add_up_to_the_duration():
    assert frame_durations(4) == [1000] * 4
    assert frame_durations(2.5) == [1000, 1000, 500]
    assert frame_durations(0.0001) == [1]  # at least one frame


@pytest.mark.parametrize(("width", "height", "seconds"), [(3, 4, 1.0), (4, 4, 0.0), (4, 4, float("nan")),
                                                          (0, 4, 1.0), (4, 20000, 1.0)],
                         ids=["odd-width", "no-duration", "nan-duration", "no-width", "too-tall"])
def test_the_encoder_refuses_what_it_cannot_encode(width, height, seconds):
    with pytest.raises(ValueError):
        h264_mp4(width, height, seconds)


def test_content_is_made_once_per_size_and_duration():
    media = Media(RULES.variants)
    first = media.get("video", "1792x1024", "12")
    assert media.get("video", "1792x1024", "12") is first
    assert media.get("video", "1792x1024", "8") is not first


def test_every_clip_is_small():
    # a flat picture, one frame per second: the largest documented clip stays under 10 KB
    largest = max(len(h264_mp4(*(int(n) for n in size.split("x")), float(s))) for size in SIZES for s in SECONDS)
    assert largest < 10_000
