"""The reference server over plain HTTP (httpx): JSON creates, multipart forms, content, remix."""

from __future__ import annotations

import base64

import pytest
from mock_helpers import image_bytes, multipart


def test_json_create_minimal(http, spec, assert_schema):
    response = http.post("/videos", json={"prompt": "A lighthouse in fog"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    video = response.json()
    assert_schema("Video", video)
    assert set(spec.required("Video")) <= set(video)
    assert (video["status"], video["progress"], video["object"]) == ("queued", 0, "video")
    assert (video["model"], video["seconds"], video["size"]) == ("sora-2", "4", "720x1280")
    for field in spec.nullable_fields("Video"):
        if field != "prompt":
            assert video[field] is None, field
    assert isinstance(video["created_at"], int)


@pytest.mark.parametrize(
    "reference",
    [
        {"image_url": "https://example.com/ref.png"},
        {"image_url": "data:image/png;base64," + base64.b64encode(image_bytes((720, 1280))).decode()},
        {"file_id": "file-abc123"},
    ],
    ids=["image_url", "data_url", "file_id"],
)
def test_json_create_with_every_parameter(http, assert_schema, reference):
    body = {"prompt": "p", "model": "sora-2-pro-2025-10-06", "seconds": "12", "size": "1024x1792", "input_reference": reference}
    response = http.post("/videos", json=body)
    assert response.status_code == 200, response.text
    video = response.json()
    assert_schema("Video", video)
    assert (video["model"], video["seconds"], video["size"]) == ("sora-2-pro-2025-10-06", "12", "1024x1792")


def test_json_create_accepts_an_undocumented_model_name(http, assert_schema):
    response = http.post("/videos", json={"prompt": "p", "model": "wan-2.2-t2v"})
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "wan-2.2-t2v"


def test_json_content_type_with_charset(http):
    response = http.post("/videos", content=b'{"prompt": "p"}', headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200, response.text


def test_json_escaped_surrogate_pair_is_one_character(http):
    # json.dumps' default (ensure_ascii) writes an emoji so: a pair of \u escapes, one character
    # (a lone half of a pair is refused: tests/mock/test_mock_errors.py)
    response = http.post("/videos", content=b'{"prompt": "\\ud83c\\udfac clap"}', headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["prompt"] == "\U0001f3ac clap"
    assert http.get("/videos", params={"limit": 1}).status_code == 200


def test_multipart_create_with_text_fields_only(http, assert_schema):
    response = http.post("/videos", files={"prompt": (None, "p"), "seconds": (None, "8"), "size": (None, "1280x720")})
    assert response.status_code == 200, response.text
    video = response.json()
    assert_schema("Video", video)
    assert (video["seconds"], video["size"]) == ("8", "1280x720")


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_multipart_create_with_each_image_format(http, fmt, mime):
    files = {"prompt": (None, "p"), "size": (None, "1280x720"), "input_reference": ("ref", image_bytes((1280, 720), fmt), mime)}
    response = http.post("/videos", files=files)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("field", ["input_reference[image_url]", "input_reference[file_id]"])
def test_multipart_create_with_a_bracket_reference(http, field):
    response = http.post("/videos", files={"prompt": (None, "p"), field: (None, "file-or-url")})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "prompt",
    ["x", "a" * 32000, "é" * 32000, "🎬" * 32000, "漢" * 32000],
    ids=["1-char", "32000-ascii", "32000-latin1", "32000-emoji-4-bytes", "32000-cjk"],
)
@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_prompt_length_counts_characters(http, prompt, encoding):
    if encoding == "json":
        response = http.post("/videos", json={"prompt": prompt})
    else:
        response = http.post("/videos", files={"prompt": (None, prompt)})
    assert response.status_code == 200, response.text[:300]
    assert response.json()["prompt"] == prompt


def test_multipart_body_built_by_hand(http):
    body, content_type = multipart([("prompt", "hand made"), ("model", "sora-2-pro")])
    response = http.post("/videos", content=body, headers={"content-type": content_type})
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "sora-2-pro"


def test_retrieve_list_delete(http, assert_schema):
    created = http.post("/videos", json={"prompt": "p"}).json()
    retrieved = http.get(f"/videos/{created['id']}")
    assert retrieved.status_code == 200
    assert_schema("Video", retrieved.json())
    assert int(retrieved.headers["openai-poll-after-ms"]) >= 1
    page = http.get("/videos", params={"limit": 1})
    assert page.status_code == 200
    assert_schema("VideoList", page.json())
    assert page.json()["first_id"] == page.json()["last_id"] == created["id"]
    deleted = http.delete(f"/videos/{created['id']}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": created["id"], "object": "video.deleted", "deleted": True}
    assert http.get(f"/videos/{created['id']}").status_code == 404


def test_list_defaults_and_empty_page(http, spec, assert_schema):
    for _ in range(3):
        http.post("/videos", json={"prompt": "p"})
    default_limit = spec.query_parameter("get", "/videos", "limit")["schema"]["default"]
    listing = http.get("/videos").json()
    assert len(listing["data"]) <= default_limit
    created = [v["created_at"] for v in listing["data"]]
    assert created == sorted(created, reverse=True)  # default order: newest first
    empty = http.get("/videos", params={"limit": 0}).json()
    assert_schema("VideoList", empty)
    assert (empty["data"], empty["first_id"], empty["last_id"], empty["has_more"]) == ([], None, None, True)


def test_list_with_an_empty_after_starts_at_the_top(http):
    newest = http.post("/videos", json={"prompt": "p"}).json()["id"]
    page = http.get("/videos", params={"after": "", "limit": 1})
    assert page.status_code == 200
    assert page.json()["first_id"] == newest


def test_list_after_a_deleted_id_still_paginates(http):
    ids = [http.post("/videos", json={"prompt": f"p{i}"}).json()["id"] for i in range(3)]
    assert http.delete(f"/videos/{ids[1]}").status_code == 200
    page = http.get("/videos", params={"after": ids[1], "order": "asc", "limit": 100}).json()
    assert page["data"][0]["id"] == ids[2]


def test_content_default_variant_is_the_video(http, wait_completed):
    video_id = http.post("/videos", json={"prompt": "p"}).json()["id"]
    wait_completed(http, video_id)
    response = http.get(f"/videos/{video_id}/content", headers={"accept": "application/binary"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert response.content[4:8] == b"ftyp"


def test_remix_as_json_and_multipart(http, wait_completed, assert_schema):
    source = http.post("/videos", json={"prompt": "source", "seconds": "8"}).json()
    wait_completed(http, source["id"])
    as_json = http.post(f"/videos/{source['id']}/remix", json={"prompt": "remix 1"})
    as_form = http.post(f"/videos/{source['id']}/remix", files={"prompt": (None, "remix 2")})
    for response, prompt in ((as_json, "remix 1"), (as_form, "remix 2")):
        assert response.status_code == 200, response.text
        remix = response.json()
        assert_schema("Video", remix)
        assert (remix["remixed_from_video_id"], remix["prompt"], remix["seconds"]) == (source["id"], prompt, "8")
    remix = wait_completed(http, as_json.json()["id"])
    assert remix["remixed_from_video_id"] == source["id"]


def test_every_response_has_a_request_id(http):
    assert http.get("/videos").headers["x-request-id"].startswith("req_")
    assert http.get("/nope").headers["x-request-id"].startswith("req_")


def test_head_on_a_get_route(http):
    response = http.head("/videos")
    assert response.status_code == 200 and response.content == b""
