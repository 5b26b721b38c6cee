"""Edits, extensions and characters on the reference server: the choices docs/mock.md writes down
where OpenAI's document and the SDK are silent, pinned one by one over real HTTP; the phases of
the jobs they start, in process on a clock the test moves (deterministic under load)."""

from __future__ import annotations

import json
from importlib import resources

import httpx
import pytest
from mock_helpers import STATUS_ORDER, call, image_bytes

from contracts.mock import MockConfig, create_app
from contracts.mock.store import SOURCE_FIELDS
from tests.clock import FakeClock

MP4 = (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes()


def completed(http: httpx.Client, wait_completed, **params) -> dict:
    created = http.post("/videos", json={"prompt": "source", **params})
    assert created.status_code == 200, created.text
    video = wait_completed(http, created.json()["id"])
    assert video["status"] == "completed"
    return video


def follow(http: httpx.Client, video_id: str, wait_completed) -> list[str]:
    """The statuses a job shows until it ends (it moves like any other)."""
    seen = [http.get(f"/videos/{video_id}").json()["status"]]
    seen.append(wait_completed(http, video_id)["status"])
    return seen


@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_edit_by_id_is_a_new_job_naming_its_source(http, wait_completed, assert_schema, encoding):
    source = completed(http, wait_completed, size="1280x720", seconds="8", model="sora-2-pro")
    if encoding == "json":
        response = http.post("/videos/edits", json={"prompt": "make it snow", "video": {"id": source["id"]}})
    else:
        response = http.post("/videos/edits", files={"prompt": (None, "make it snow"), "video[id]": (None, source["id"])})
    assert response.status_code == 200, response.text
    edit = response.json()
    assert_schema("Video", edit)
    assert edit["id"] != source["id"]
    assert (edit["status"], edit["progress"], edit["prompt"]) == ("queued", 0, "make it snow")
    assert (edit["model"], edit["size"], edit["seconds"]) == ("sora-2-pro", "1280x720", "8")
    assert edit["edited_from_video_id"] == source["id"]
    assert edit["remixed_from_video_id"] is None  # an edit is not a remix (docs/mock.md)
    statuses = follow(http, edit["id"], wait_completed)
    assert statuses[-1] == "completed" and statuses == sorted(statuses, key=STATUS_ORDER.get)
    assert http.get(f"/videos/{edit['id']}/content").headers["content-type"] == "video/mp4"
    listed = [v["id"] for v in http.get("/videos", params={"limit": 100}).json()["data"]]
    assert edit["id"] in listed


@pytest.mark.parametrize(("source_seconds", "extension", "total"), [("4", "4", "8"), ("8", "12", "20"), ("12", "8", "20")])
def test_extension_reports_the_stitched_total(http, wait_completed, assert_schema, source_seconds, extension, total):
    source = completed(http, wait_completed, seconds=source_seconds)
    response = http.post("/videos/extensions", json={"prompt": "and then", "seconds": extension, "video": {"id": source["id"]}})
    assert response.status_code == 200, response.text
    extended = response.json()
    assert_schema("Video", extended)
    assert extended["seconds"] == total
    assert extended["extended_from_video_id"] == source["id"]
    assert wait_completed(http, extended["id"])["seconds"] == total  # and it stays so
    # An extension of an extension stitches again.
    again = http.post("/videos/extensions", json={"prompt": "more", "seconds": "4", "video": {"id": extended["id"]}})
    assert again.json()["seconds"] == str(int(total) + 4)


def test_uploaded_source_takes_its_duration_and_names_no_id(http, wait_completed):
    files = {"prompt": (None, "continue"), "seconds": (None, "4"), "video": ("clip.mp4", MP4, "video/mp4")}
    extended = http.post("/videos/extensions", files=files).json()
    assert extended["seconds"] == "5"  # the 1-second asset, plus 4
    assert extended["extended_from_video_id"] is None
    edit = http.post("/videos/edits", files={"prompt": (None, "recolour"), "video": ("clip.mp4", MP4, "video/mp4")}).json()
    assert (edit["seconds"], edit["edited_from_video_id"]) == ("1", None)
    assert wait_completed(http, edit["id"])["status"] == "completed"


def test_source_fields_are_the_documented_extras():
    assert SOURCE_FIELDS == {"edit": "edited_from_video_id", "extension": "extended_from_video_id"}


@pytest.mark.parametrize("name", ["M", "N" * 80, "Mossy the 🐸", "名前"])
def test_character_round_trip(http, assert_schema, name):
    response = http.post("/videos/characters", files={"name": (None, name), "video": ("clip.mp4", MP4, "video/mp4")})
    assert response.status_code == 200, response.text
    character = response.json()
    assert_schema("VideoCharacter", character)
    assert character["id"].startswith("char_") and character["name"] == name
    again = http.get(f"/videos/characters/{character['id']}")
    assert again.status_code == 200 and again.json() == character


def test_characters_are_not_videos(http):
    character = http.post("/videos/characters", files={"name": (None, "X"), "video": ("c.mp4", MP4, "video/mp4")}).json()
    assert http.get(f"/videos/{character['id']}").status_code == 404
    response = http.post("/videos/edits", json={"prompt": "p", "video": {"id": character["id"]}})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "video_not_found")


@pytest.mark.parametrize("upload", [("c.png", image_bytes((64, 64)), "image/png"), ("c.mp4", b"\x00" * 64, "video/mp4")],
                         ids=["image", "zeros"])
def test_a_file_that_is_not_a_video_is_refused(http, upload):
    response = http.post("/videos/characters", files={"name": (None, "X"), "video": upload})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "video"


# ---- in process, on a clock the test moves: deterministic phases ------------------------------
@pytest.fixture
def timed():
    """The app in process, its store on a clock the test moves; jobs last 10 s (queued for 2)."""
    clock = FakeClock()
    app = create_app(MockConfig(job_seconds=10.0))
    app.state.store.monotonic = clock
    return app, clock


UPLOAD = ("clip.mp4", MP4, "video/mp4")
# id: (path, the request's arguments for a source id, the field that names the source, by id?)
DERIVED = {
    "edit-by-id": ("/videos/edits", lambda s: {"json": {"prompt": "p", "video": {"id": s}}}, "edited_from_video_id", True),
    "edit-by-upload": ("/videos/edits", lambda s: {"files": {"prompt": (None, "p"), "video": UPLOAD}},
                       "edited_from_video_id", False),
    "extension-by-id": ("/videos/extensions", lambda s: {"json": {"prompt": "p", "seconds": "4", "video": {"id": s}}},
                        "extended_from_video_id", True),
    "extension-by-upload": ("/videos/extensions",
                            lambda s: {"files": {"prompt": (None, "p"), "seconds": (None, "4"), "video": UPLOAD}},
                            "extended_from_video_id", False),
}


@pytest.mark.parametrize("name", list(DERIVED))
def test_an_edit_or_extension_is_a_job_that_moves_like_any_other(timed, name):
    app, clock = timed
    path, arguments, field, by_id = DERIVED[name]
    source = call(app, "POST", "/videos", json={"prompt": "source"}).json()["id"]
    clock.now += 10
    created = call(app, "POST", path, **arguments(source))
    assert created.status_code == 200, created.text
    job = created.json()
    assert (job[field], job["remixed_from_video_id"]) == (source if by_id else None, None)
    start, seen = clock.now, []
    for elapsed in (0.0, 1.0, 3.0, 9.0, 10.0):
        clock.now = start + elapsed
        video = call(app, "GET", f"/videos/{job['id']}").json()
        seen.append((video["status"], call(app, "GET", f"/videos/{job['id']}/content").status_code))
    assert seen == [("queued", 404), ("queued", 404), ("in_progress", 404), ("in_progress", 404), ("completed", 200)]
    assert video[field] == job[field]  # it keeps naming its source
    assert job["id"] in [v["id"] for v in call(app, "GET", "/videos").json()["data"]]
    assert call(app, "DELETE", f"/videos/{job['id']}").status_code == 200
    assert call(app, "GET", f"/videos/{job['id']}").status_code == 404


# The operations that start from a completed video: (path for a source id, request arguments, param)
FROM_A_SOURCE = {
    "remix": (lambda s: f"/videos/{s}/remix", {"json": {"prompt": "p"}}, "video_id"),
    "edit": (lambda s: "/videos/edits", {"json": {"prompt": "p", "video": {"id": "{source}"}}}, "video"),
    "extension": (lambda s: "/videos/extensions", {"json": {"prompt": "p", "seconds": "4", "video": {"id": "{source}"}}},
                  "video"),
}


@pytest.mark.parametrize(("elapsed", "status"), [(0.0, "queued"), (5.0, "in_progress")], ids=["queued", "in-progress"])
@pytest.mark.parametrize("operation", list(FROM_A_SOURCE))
def test_an_unfinished_source_is_400_at_once(timed, assert_schema, operation, elapsed, status):
    app, clock = timed
    path, arguments, param = FROM_A_SOURCE[operation]
    source = call(app, "POST", "/videos", json={"prompt": "source"}).json()["id"]
    clock.now += elapsed
    body = json.loads(json.dumps(arguments["json"]).replace("{source}", source))
    response = call(app, "POST", path(source), json=body)
    assert response.status_code == 400, response.text
    assert_schema("ErrorResponse", response.json())
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, "video_not_ready")
    assert status.replace("_", " ") in error["message"]
    assert len(app.state.store) == 1  # no job was started
