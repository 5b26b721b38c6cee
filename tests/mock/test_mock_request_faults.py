"""Faults per request: ``X-Videos-Mock-Fault: NAME[,NAME]`` and ``X-Videos-Mock-Persona: NAME`` apply
those faults to that request and to the jobs it creates, on one server; unknown names are 400
listing the known ones. Through the openai SDK (``extra_headers``) and httpx, over loopback."""

from __future__ import annotations

import openai
import pytest

from contracts.mock.faults import CATALOGUE
from contracts.mock.personas import PERSONAS

FAULT, PERSONA = "X-Videos-Mock-Fault", "X-Videos-Mock-Persona"


def test_a_fault_applies_to_the_request_and_to_the_jobs_it_creates(ns):
    faulty = ns.api.post("/videos", json={"prompt": "p"}, headers={FAULT: "seconds-integer"}).json()
    faithful = ns.create()
    assert (faulty["seconds"], faithful["seconds"]) == (4, "4")
    # later requests without the header: the job made with the fault keeps it, the other does not
    assert ns.api.get(f"/videos/{faulty['id']}").json()["seconds"] == 4
    assert ns.api.get(f"/videos/{faithful['id']}").json()["seconds"] == "4"
    # a request with the header shows any job with the fault
    assert ns.api.get(f"/videos/{faithful['id']}", headers={FAULT: "seconds-integer"}).json()["seconds"] == 4


def test_faults_that_patch_the_spec_apply_per_request(ns):
    refused = ns.api.post("/videos", json={"prompt": "p", "seconds": "12"}, headers={FAULT: "seconds-12-rejected"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "seconds"
    assert ns.api.post("/videos", json={"prompt": "p", "seconds": "12"}).status_code == 200


def test_faults_on_the_whole_answer_apply_per_request(ns):
    """Error shapes and transport faults wrap the answer of that request only."""
    shaped = ns.api.get("/videos/video_missing", headers={FAULT: "fastapi-detail"})
    assert shaped.status_code == 404 and set(shaped.json()) == {"detail"}
    assert set(ns.api.get("/videos/video_missing").json()) == {"error"}
    zipped = ns.api.get("/videos", headers={FAULT: "gzip-responses", "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in ns.api.get("/videos", headers={"Accept-Encoding": "gzip"}).headers


def test_a_jobs_timeline_keeps_its_faults(ns):
    video = ns.api.post("/videos", json={"prompt": "p"}, headers={FAULT: "in-progress-at-create"}).json()
    assert video["status"] == "in_progress"
    assert ns.api.get(f"/videos/{video['id']}").json()["status"] == "in_progress"  # its state hook, later too
    assert ns.create()["status"] == "queued"


def test_several_faults_in_one_header_and_in_repeated_headers(ns):
    one = ns.api.post("/videos", json={"prompt": "p"}, headers={FAULT: "seconds-integer, id-uuid"}).json()
    repeated = ns.api.post("/videos", json={"prompt": "p"},
                           headers=[(FAULT, "seconds-integer"), (FAULT, "id-uuid")]).json()
    for video in (one, repeated):
        assert video["seconds"] == 4 and video["id"].count("-") == 4


def test_a_persona_applies_its_faults(ns):
    video = ns.api.post("/videos", json={"prompt": "p"}, headers={PERSONA: "sglang"}).json()
    assert "prompt" not in video and video["seconds"] == 4  # SGLang: no prompt, integer seconds
    assert set(ns.control.get("/requests").json()["data"][-1]["faults"]) == set(PERSONAS["sglang"].faults)


def test_through_the_sdk(ns):
    video = ns.sdk.videos.create(prompt="p", extra_headers={FAULT: "model-not-echoed"}, model="sora-2-pro")
    assert video.model == "sora-2"  # the server's default, whatever was asked
    with pytest.raises(openai.BadRequestError, match="Unknown fault 'nope'"):
        ns.sdk.videos.retrieve(video.id, extra_headers={FAULT: "nope"})


@pytest.mark.parametrize(("headers", "param", "listed"), [
    ({FAULT: "seconds-integer,no-such-fault"}, FAULT, CATALOGUE),
    ({FAULT: "SECONDS-INTEGER"}, FAULT, CATALOGUE),
    ({PERSONA: "no-such-persona"}, PERSONA, PERSONAS),
], ids=["unknown-fault", "names-are-exact", "unknown-persona"])
def test_an_unknown_name_is_400_listing_the_known_ones(ns, assert_schema, headers, param, listed):
    response = ns.api.post("/videos", json={"prompt": "p"}, headers=headers)
    assert response.status_code == 400, response.text
    assert_schema("ErrorResponse", response.json())
    error = response.json()["error"]
    assert error["param"] == param and error["code"] in ("unknown_fault", "unknown_persona")
    assert all(name in error["message"] for name in listed)
    assert ns.api.get("/videos").json()["data"] == []  # nothing was created
