"""The app factory in-process: config checks, the 500 catch-all, profile overrides, content.

These drive the ASGI app directly (httpx.ASGITransport) where a real server cannot be made to
misbehave on purpose; everything else is tested over real HTTP.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from mock_helpers import call
from PIL import Image

from contracts.mock import MockConfig, Rules, create_app
from contracts.mock.media import Media
from contracts.rules import closed_values

ASSETS = Path(__file__).resolve().parents[2] / "contracts" / "mock" / "assets"


@pytest.mark.parametrize(
    "kwargs",
    [{"job_seconds": -1}, {"job_seconds": float("inf")}, {"max_body_bytes": 0}, {"api_key": ""}],
    ids=["negative-job", "infinite-job", "zero-body", "empty-key"],
)
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        MockConfig(**kwargs)


def test_unexpected_exception_is_a_500_envelope(assert_schema):
    app = create_app(MockConfig())

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    app.state.store.create = explode
    response = call(app, "POST", "/videos", json={"prompt": "p"})
    assert response.status_code == 500
    assert_schema("ErrorResponse", response.json())
    assert response.json()["error"]["type"] == "server_error"
    assert "boom" not in response.text  # no internals leak


def test_rules_come_from_the_spec(spec):
    rules = Rules.from_spec(spec)
    assert rules.choices["seconds"] == tuple(spec.enum("VideoSeconds"))
    assert rules.choices["size"] == tuple(spec.enum("VideoSize"))
    assert rules.choices["model"] is None  # any string, as the spec allows
    assert rules.defaults == {k: spec.default("CreateVideoRequest", k) for k in ("model", "seconds", "size")}
    assert rules.variants == tuple(spec.enum("VideoContentVariant"))
    assert set(rules.reference_media_types) == {"image/jpeg", "image/png", "image/webp"}


def test_closed_values():
    assert closed_values({"enum": ["a", "b"]}) == ("a", "b")
    assert closed_values({"allOf": [{"type": "string", "enum": ["x"]}], "default": "x"}) == ("x",)
    assert closed_values({"anyOf": [{"enum": ["a"]}, {"type": "string"}]}) is None
    assert closed_values({"oneOf": [{"const": 1}, {"enum": [2, 1]}]}) == (1, 2)


def test_a_profile_narrows_values_and_changes_defaults():
    base = Rules.from_spec()
    profile = base.replace(
        profile="two-sizes", choices={"size": ("1280x720", "720x1280"), "model": ("wan-2.2",)}, defaults={"model": "wan-2.2"}
    )
    app = create_app(MockConfig(rules=profile))
    refused = call(app, "POST", "/videos", json={"prompt": "p", "size": "1792x1024"})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "Invalid value: '1792x1024'. Supported values are: '1280x720' and '720x1280'."
    assert call(app, "POST", "/videos", json={"prompt": "p", "model": "sora-2"}).json()["error"]["param"] == "model"
    created = call(app, "POST", "/videos", files={"prompt": (None, "p")}).json()
    assert created["model"] == "wan-2.2"
    with pytest.raises(ValueError):
        base.replace(profile="bad", choices={"quality": ("hd",)})


def top_level_boxes(data: bytes) -> list[str]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        assert size >= 8, "a box of size < 8 (or 64-bit sizes, not used here)"
        boxes.append(kind.decode("latin-1"))
        offset += size
    assert offset == len(data), "boxes do not tile the file"
    return boxes


def test_video_asset_is_a_genuine_mp4():
    data = (ASSETS / "video.mp4").read_bytes()
    boxes = top_level_boxes(data)
    assert boxes[0] == "ftyp" and {"moov", "mdat"} <= set(boxes)
    av = pytest.importorskip("av")
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) > 1 and frames[0].width > 0


@pytest.mark.parametrize("variant,fmt", [("thumbnail", "WEBP"), ("spritesheet", "JPEG")])
def test_image_content_decodes(variant, fmt):
    asset = Media(Rules.from_spec().variants).get(variant, "720x1280", "4")
    with Image.open(io.BytesIO(asset.data)) as image:
        assert image.format == fmt
        image.load()
    assert asset.media_type == Image.MIME[fmt]


def test_content_is_refused_for_a_variant_of_an_unknown_type():
    with pytest.raises(RuntimeError, match="gif"):
        Media(("video", "gif"))


def test_a_profile_can_ignore_unknown_parameters(assert_schema):
    app = create_app(MockConfig(rules=Rules.from_spec().replace(profile="lenient", reject_unknown_parameters=False)))
    response = call(app, "POST", "/videos", json={"prompt": "p", "quality": "hd", "input_reference": {"file_id": "f", "x": 1}})
    assert response.status_code == 200, response.text
    assert_schema("Video", response.json())
    assert "quality" not in response.json()


@pytest.mark.parametrize("declared", [b"\xb2", b"1e3", b"+5", b"-1", b"0x10"],
                         ids=["superscript-two", "exponent", "plus-sign", "negative", "hex"])
def test_a_content_length_of_anything_but_ascii_digits_is_400(declared, assert_schema):
    # uvicorn's parser refuses these before the app sees them; another ASGI server may not ("²" is a
    # digit to str.isdigit, and int() refuses it: that was a 500)
    app = create_app(MockConfig())
    response = call(app, "POST", "/videos", content=b'{"prompt": "p"}',
                    headers={"content-type": "application/json", "content-length": declared})
    assert response.status_code == 400, response.text
    assert_schema("ErrorResponse", response.json())
    assert response.json()["error"]["code"] == "invalid_header"
    assert len(app.state.store) == 0
