"""Fault modes of the reference server: the catalogue, the options, and the hook machinery.

Whether the suite catches each fault is tests/test_detection.py's job; here: that faults are
selected and refused properly, compose, stay out of the way when none is active, and that the
transport-level ones (hang, endless body, 429s) behave while the server keeps serving.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mock_helpers import call

from contracts.embedded import EmbeddedServer
from contracts.mock import MockConfig, create_app
from contracts.mock.faults import CATALOGUE, FAULTS, RATE_LIMIT_EVERY, VARIANTS, FaultSet, UnknownFault, describe

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-faults"


def app_with(*faults: str, **config):
    return create_app(MockConfig(faults=frozenset(faults), **config))


# ---- catalogue and options -----------------------------------------------------------------
def test_catalogue_is_split_into_faults_and_clean_variants():
    assert set(FAULTS) | set(VARIANTS) == set(CATALOGUE) and not set(FAULTS) & set(VARIANTS)
    assert all(f.breaks for f in FAULTS.values()) and not any(f.breaks for f in VARIANTS.values())


def test_list_faults_names_each_once_and_marks_clean_variants():
    done = subprocess.run([sys.executable, "-m", "contracts.cli", "mock", "--list-faults"], capture_output=True,
                          text=True, timeout=30, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == describe()
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.startswith("  ")}
    assert set(lines) == set(CATALOGUE)
    assert all(("(clean)" in lines[name]) == (name in VARIANTS) for name in CATALOGUE)


def test_unknown_fault_is_one_line_and_exit_2():
    done = subprocess.run([sys.executable, "-m", "contracts.mock", "--port", "0", "--fault", "seconds-integer",
                           "--fault", "no-such-fault"], capture_output=True, text=True, timeout=30, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "videos-contract mock: error: unknown fault 'no-such-fault'; `videos-contract mock --list-faults` lists them"]


def test_config_checks_fault_names():
    with pytest.raises(UnknownFault):
        MockConfig(faults={"nope"})
    with pytest.raises(TypeError):
        MockConfig(faults="seconds-integer")
    assert MockConfig(faults=["seconds-integer"]).faults == frozenset({"seconds-integer"})


def test_no_fault_means_no_hooks():
    app = app_with()
    assert not app.state.faults
    assert app.api(app.spaces.default, frozenset()).app is app.core  # no fault middleware around the routes
    assert [m.cls.__name__ for m in app.core.user_middleware] == ["BearerAuth"]
    faults = FaultSet()
    assert faults.new_id("p").startswith("video_") and faults.render({"a": 1}, None) == {"a": 1}


# ---- hooks, in-process ---------------------------------------------------------------------
def test_faults_compose():
    app = app_with("seconds-integer", "nulls-omitted", "id-uuid")
    video = call(app, "POST", "/videos", json={"prompt": "p"}).json()
    assert video["seconds"] == 4
    assert "completed_at" not in video and "error" not in video
    assert len(video["id"]) == 36 and video["id"].count("-") == 4


def test_spec_faults_change_validation_and_defaults():
    assert call(app_with("seconds-pattern"), "POST", "/videos", json={"prompt": "p", "seconds": "10"}).status_code == 200
    video = call(app_with("wrong-default-size"), "POST", "/videos", json={"prompt": "p"}).json()
    assert video["size"] == "1280x720"
    response = call(app_with("seconds-required"), "POST", "/videos", json={"prompt": "p"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "seconds"


def test_timeline_faults():
    app = app_with("initial-completed")
    assert call(app, "POST", "/videos", json={"prompt": "p"}).json()["status"] == "completed"
    app = app_with("all-jobs-fail", job_seconds=0.0)
    video = call(app, "POST", "/videos", json={"prompt": "p"}).json()
    assert (video["status"], video["error"]) == ("queued", None)  # the error shows only once failed
    failed = call(app, "GET", f"/videos/{video['id']}").json()
    assert failed["status"] == "failed" and set(failed["error"]) == {"code", "message"}


@pytest.mark.parametrize(("faults", "status"), [((), 404), (("not-ready-409",), 409)], ids=["faithful", "not-ready-409"])
def test_content_of_an_unfinished_video_is_404_and_409_only_as_a_fault(faults, status):
    app = app_with(*faults, job_seconds=3600)
    video = call(app, "POST", "/videos", json={"prompt": "p"}).json()
    response = call(app, "GET", f"/videos/{video['id']}/content")
    assert response.status_code == status
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("video_not_ready", "video_id")
    # a remix of it is refused with 400 either way: the fault changes the content answer only
    assert call(app, "POST", f"/videos/{video['id']}/remix", json={"prompt": "q"}).status_code == 400


@pytest.mark.parametrize(
    ("fault", "status", "media_type", "shape"),
    [
        ("fastapi-detail", 404, "application/json", lambda b: isinstance(b["detail"], str)),
        ("fastapi-422", 404, "application/json", lambda b: isinstance(b["detail"], str)),
        ("error-message-only", 404, "application/json", lambda b: b == {"error": {"message": b["error"]["message"]}}),
        ("html-errors", 404, "text/html", None),
        ("error-code-is-status", 404, "application/json", lambda b: b["error"]["code"] == "404"),
    ],
)
def test_error_rewrites(fault, status, media_type, shape):
    response = call(app_with(fault), "GET", "/videos/video_missing")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(media_type)
    assert int(response.headers["content-length"]) == len(response.content)
    if shape:
        assert shape(response.json()), response.text


def test_fastapi_422_for_validation_errors():
    response = call(app_with("fastapi-422"), "POST", "/videos", json={"prompt": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "prompt"]


def test_auth_faults():
    auth = {"Authorization": f"Bearer {KEY}"}
    ignored, presence = app_with("auth-ignored", api_key=KEY), app_with("auth-presence-only", api_key=KEY)
    assert call(ignored, "GET", "/videos").status_code == 200
    assert call(presence, "GET", "/videos").status_code == 401
    assert call(presence, "GET", "/videos", headers={"Authorization": "Bearer wrong"}).status_code == 200
    assert call(app_with("auth-403", api_key=KEY), "GET", "/videos",
                headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert call(app_with("auth-403", api_key=KEY), "GET", "/videos", headers=auth).status_code == 200


def test_preexisting_videos_are_old_and_finished():
    app = app_with("preexisting-videos")
    page = call(app, "GET", "/videos", params={"limit": 100, "order": "asc"}).json()
    assert page["has_more"] is True and len(page["data"]) == 100
    stamps = [v["created_at"] for v in page["data"]]
    assert stamps == sorted(stamps) and time.time() - stamps[0] > 25 * 86400
    assert {v["status"] for v in page["data"]} == {"completed", "failed"}


# ---- transport faults, over real HTTP ------------------------------------------------------
def test_hang_gives_no_answer_and_the_server_keeps_serving():
    with EmbeddedServer(job_seconds=0.0, extra_args=["--fault", "hang-remix"]) as server, \
            httpx.Client(base_url=server.base_url, timeout=5) as http:
        video = http.post("/videos", json={"prompt": "p"}).json()
        with pytest.raises(httpx.ReadTimeout):
            http.post(f"/videos/{video['id']}/remix", json={"prompt": "q"}, timeout=0.5)
        assert http.get(f"/videos/{video['id']}").json()["status"] == "completed"


def test_endless_body_is_cut_by_the_client_and_the_server_keeps_serving():
    with EmbeddedServer(extra_args=["--fault", "endless-list"]) as server, \
            httpx.Client(base_url=server.base_url, timeout=5) as http:
        http.post("/videos", json={"prompt": "p"})
        with http.stream("GET", "/videos") as response:
            assert response.status_code == 200 and "content-length" not in response.headers
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > 4 * 1024 * 1024:
                    break
        assert received > 4 * 1024 * 1024
        assert http.post("/videos", json={"prompt": "p"}).status_code == 200


@pytest.mark.parametrize(("fault", "retry_after"), [("rate-limited", "1"), ("rate-limit-no-retry-after", None)])
def test_rate_limits(fault, retry_after):
    with EmbeddedServer(extra_args=["--fault", fault]) as server, httpx.Client(base_url=server.base_url) as http:
        answers = [http.get("/videos", params={"limit": 1}) for _ in range(2 * RATE_LIMIT_EVERY)]
    limited = [i for i, r in enumerate(answers, 1) if r.status_code == 429]
    assert limited == [RATE_LIMIT_EVERY, 2 * RATE_LIMIT_EVERY]
    assert answers[RATE_LIMIT_EVERY - 1].headers.get("retry-after") == retry_after
    assert answers[RATE_LIMIT_EVERY - 1].json()["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(
    "fault, method, suffix, status",
    [("no-delete-route", "DELETE", "", 405), ("no-remix-route", "POST", "/remix", 404)],
)
def test_missing_route_answers_before_auth_and_leaves_the_rest(fault, method, suffix, status):
    app = app_with(fault, api_key=KEY, job_seconds=0)
    auth = {"Authorization": f"Bearer {KEY}"}
    video = call(app, "POST", "/videos", json={"prompt": "a cat"}, headers=auth).json()
    for headers in (auth, {}):  # the same answer with or without the key: routing comes first
        answer = call(app, method, f"/videos/{video['id']}{suffix}", json={"prompt": "a dog"}, headers=headers)
        assert answer.status_code == status and answer.json()["error"]["code"] in ("method_not_allowed", "unknown_url")
    assert call(app, "GET", f"/videos/{video['id']}", headers=auth).status_code == 200
    assert call(app, "GET", "/videos/characters/char_1", headers={}).status_code == 401  # sibling routes untouched
