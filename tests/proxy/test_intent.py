"""What a request the kit did not send exists to test (contracts/intent.py): each request shape read
to its clause and expected answer, or to none where the request does not tell."""

from __future__ import annotations

import json

import pytest

from contracts.cases import image_bytes
from contracts.history import History
from contracts.intent import Intent, TrafficRequest, Upload, operation_of
from contracts.rules import CONTENT, CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, LIST, REMIX, RETRIEVE
from tests.engine.helpers import ENDED, Harness, case, response

PNG = image_bytes(1280, 720)
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16
LONGEST = 32000


def json_create(body) -> TrafficRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return TrafficRequest("POST", "/videos", media_type="application/json", body=raw, body_size=len(raw))


def form(path: str, fields: dict[str, str], *uploads: Upload, method: str = "POST") -> TrafficRequest:
    return TrafficRequest(method, path, media_type="multipart/form-data", form=list(fields.items()),
                          uploads=list(uploads), body_size=1)


def upload(name: str, data: bytes, filename: str = "f.bin", content_type: str = "application/octet-stream") -> Upload:
    return Upload(name, filename, content_type, len(data), data)


@pytest.fixture(scope="module")
def intent() -> Intent:
    harness = Harness()
    return Intent(harness.spec, harness.rules)


def record() -> History:
    """A record with a completed job (video_done), an unfinished one (video_run) and a deleted one (video_gone)."""
    h = Harness()
    h.created("video_done")
    h.polled("video_done", **ENDED)
    h.created("video_run")
    h.created("video_gone")
    h.check(response(200, {"id": "video_gone", "object": "video.deleted", "deleted": True}),
            case("DELETE", "/videos/{video_id}", "video_gone"))
    return h.history


# (id, the request, the clause it tests, the answer it wants)
READ: list[tuple[str, TrafficRequest, str | None, str | None]] = [
    ("ordinary-json", json_create({"prompt": "a lighthouse in fog"}), "create.json-accepted", "accepted"),
    ("min-prompt-multipart", form("/videos", {"prompt": "x"}), "create.prompt.min-length-accepted", "accepted"),
    ("max-prompt", json_create({"prompt": "a" * LONGEST}), "create.prompt.max-length-accepted", "accepted"),
    ("max-prompt-multibyte", json_create({"prompt": "\u00e9" * LONGEST}),
     "create.prompt.multibyte-max-length-accepted", "accepted"),
    ("emoji-prompt", form("/videos", {"prompt": "a cat \U0001f431"}), "create.prompt.unusual-unicode-accepted", "accepted"),
    ("rtl-prompt", form("/videos", {"prompt": "\u05e9\u05dc\u05d5\u05dd world"}), "create.prompt.unusual-unicode-accepted",
     "accepted"),
    ("a-model", json_create({"prompt": "a boat", "model": "sora-2-pro"}), "create.model.every-value-accepted", "accepted"),
    ("reference-of-the-size", form("/videos", {"prompt": "a boat", "size": "1280x720"},
                                   upload("input_reference", PNG, "r.png", "image/png")),
     "create.image-reference-accepted", "accepted"),
    ("unknown-model-alone", json_create({"prompt": "a boat", "model": "my-model", "seconds": "4", "size": "720x1280"}),
     "create.seconds.every-value-accepted", "accepted"),
    ("missing-prompt", json_create({"model": "sora-2"}), "create.prompt.missing-rejected", "rejected"),
    ("empty-prompt", form("/videos", {"prompt": ""}), "create.prompt.empty-rejected", "rejected"),
    ("prompt-too-long", json_create({"prompt": "a" * (LONGEST + 1)}), "create.prompt.over-max-rejected", "rejected"),
    ("seconds-10", form("/videos", {"prompt": "x", "seconds": "10"}), "create.seconds.invalid-value-rejected", "rejected"),
    ("seconds-integer", json_create({"prompt": "x", "seconds": 8}), "create.seconds.wrong-type-rejected", "rejected"),
    ("seconds-null", json_create({"prompt": "x", "seconds": None}), "create.seconds.wrong-type-rejected", "rejected"),
    ("size-640x480", json_create({"prompt": "x", "size": "640x480"}), "create.size.invalid-value-rejected", "rejected"),
    ("reference-not-an-image", form("/videos", {"prompt": "x"}, upload("input_reference", b"text, not an image\n")),
     "create.image-reference.not-image-rejected", "rejected"),
    ("reference-wrong-size", form("/videos", {"prompt": "x", "size": "720x1280"},
                                  upload("input_reference", PNG, "r.png", "image/png")),
     "create.image-reference.wrong-size-rejected", "rejected"),
    ("malformed-json", json_create(b'{"prompt": "a cat'), "create.json.malformed-rejected", "rejected"),
    ("json-array", json_create(["a cat"]), "create.json.malformed-rejected", "rejected"),
    ("two-wrong", json_create({"prompt": "", "seconds": "10"}), "create.generated-invalid-rejected", "rejected"),
    ("content-of-completed", TrafficRequest("GET", "/videos/video_done/content", query={"variant": "thumbnail"}),
     "content.download", "accepted"),
    ("content-of-unfinished", TrafficRequest("GET", "/videos/video_run/content"), None, None),
    ("content-bad-variant", TrafficRequest("GET", "/videos/video_done/content", query={"variant": "gif"}), None, None),
    ("delete-alive", TrafficRequest("DELETE", "/videos/video_done"), "delete.returns-deletion", "accepted"),
    ("delete-unknown", TrafficRequest("DELETE", "/videos/video_nope"), None, None),
    ("delete-deleted", TrafficRequest("DELETE", "/videos/video_gone"), None, None),
    ("remix-completed", TrafficRequest("POST", "/videos/video_done/remix", media_type="application/json",
                                       body=b'{"prompt": "at night"}'), "remix.sets-source", "accepted"),
    ("remix-unfinished", TrafficRequest("POST", "/videos/video_run/remix", media_type="application/json",
                                        body=b'{"prompt": "at night"}'), None, None),
    ("edit-by-id-form", form("/videos/edits", {"prompt": "snow", "video[id]": "video_done"}), "edit.by-id-accepted",
     "accepted"),
    ("edit-by-id-json", TrafficRequest("POST", "/videos/edits", media_type="application/json",
                                       body=b'{"prompt": "snow", "video": {"id": "video_done"}}'),
     "edit.by-id-accepted", "accepted"),
    ("edit-of-unfinished", form("/videos/edits", {"prompt": "snow", "video[id]": "video_run"}), None, None),
    ("edit-by-file", form("/videos/edits", {"prompt": "snow"}, upload("video", MP4, "c.mp4", "video/mp4")),
     "edit.by-file-accepted", "accepted"),
    ("edit-no-prompt", form("/videos/edits", {"video[id]": "video_done"}), "edit.missing-fields-rejected", "rejected"),
    ("extend-by-id", form("/videos/extensions", {"prompt": "on", "seconds": "4", "video[id]": "video_done"}),
     "extend.accepted", "accepted"),
    ("extend-seconds-10", form("/videos/extensions", {"prompt": "on", "seconds": "10"},
                               upload("video", MP4, "c.mp4", "video/mp4")), "extend.missing-fields-rejected", "rejected"),
    ("extend-no-seconds", form("/videos/extensions", {"prompt": "on", "video[id]": "video_done"}),
     "extend.missing-fields-rejected", "rejected"),
    ("character-boundary", form("/videos/characters", {"name": "N" * 80}, upload("video", MP4, "c.mp4", "video/mp4")),
     "character.name-boundaries-accepted", "accepted"),
    ("character-name-81", form("/videos/characters", {"name": "N" * 81}, upload("video", MP4, "c.mp4", "video/mp4")),
     "character.name-out-of-range-rejected", "rejected"),
    ("character-not-a-video", form("/videos/characters", {"name": "Mossy"}, upload("video", b"text\n", "c.txt")),
     "character.not-video-rejected", "rejected"),
    ("character-no-video", form("/videos/characters", {"name": "Mossy"}), "character.missing-fields-rejected", "rejected"),
    ("character-ordinary-name", form("/videos/characters", {"name": "Mossy"}, upload("video", MP4, "c.mp4", "video/mp4")),
     None, None),
    ("list", TrafficRequest("GET", "/videos", query={"limit": "0"}), None, None),
]


@pytest.mark.parametrize(("request_", "clause", "expect"), [r[1:] for r in READ], ids=[r[0] for r in READ])
def test_a_request_is_read_to_its_clause(intent, request_, clause, expect):
    case = intent.case(request_, record())
    assert (case.clause, case.expect) == (clause, expect), case.name


def test_a_valid_create_carries_every_clause_it_shows_and_names_them_by_parameter(intent):
    case = intent.case(form("/videos", {"prompt": "x", "model": "sora-2-pro", "seconds": "12", "size": "1280x720"},
                            upload("input_reference", PNG, "r.png", "image/png")), History())
    assert case.clause == "create.image-reference-accepted"
    assert set(case.carries) == {"create.prompt.min-length-accepted", "create.model.every-value-accepted",
                                 "create.seconds.every-value-accepted", "create.size.every-value-accepted"}
    assert case.by_param["seconds"] == ("create.seconds.every-value-accepted", "accepted")
    assert case.by_param["input_reference"] == ("create.image-reference-accepted", "accepted")
    assert "create.multipart-accepted" not in case.carries  # with a file: that clause is about creates without one


def test_unknown_model_and_parameter_are_tolerated_and_omitted_fields_carried(intent):
    case = intent.case(json_create({"prompt": "a boat", "model": "my-model", "style": "noir"}), History())
    assert case.by_param["model"] == ("create.unknown-model-handled", "tolerated")
    assert case.by_param["style"] == ("create.unknown-parameter-handled", "tolerated")
    assert case.by_param["seconds"] == ("create.optional-fields-omittable", "accepted")
    assert case.clause == "create.json-accepted" and case.expect == "accepted"


@pytest.mark.parametrize(("body", "baseline"), [
    ({"prompt": "a lighthouse in fog"}, True),
    ({"prompt": "a lighthouse", "model": "sora-2", "seconds": "4", "size": "720x1280"}, True),
    ({"prompt": "a lighthouse", "model": "sora-2"}, False),  # not one of the baseline shapes
    ({"prompt": "x"}, False),  # a boundary prompt: its own clause's
], ids=["short", "full", "partial", "boundary-prompt"])
def test_only_the_kit_baseline_shapes_are_judged_as_baseline_creates(intent, body, baseline):
    assert (intent.case(json_create(body), History()).purpose == "baseline") is baseline


def test_without_a_key_a_request_is_an_auth_probe_only_when_the_target_needs_one():
    harness = Harness()
    request = TrafficRequest("GET", "/videos", credentials=False)
    assert Intent(harness.spec, harness.rules).case(request, History()).clause is None
    probe = Intent(harness.spec, harness.rules, requires_key=True).case(request, History())
    assert (probe.clause, probe.expect, probe.auth) == ("auth.missing-key-rejected", "unauthorized", None)


def test_a_retrieve_follows_a_job_and_a_download_reads_its_first_bytes(intent):
    assert intent.case(TrafficRequest("GET", "/videos/video_1"), History()).purpose == "poll"
    assert intent.case(TrafficRequest("GET", "/videos/video_1/content"), History()).partial_body


def test_requests_sent_again_with_the_same_idempotency_key_are_one_case(intent):
    first = intent.case(TrafficRequest("POST", "/videos", retry_key="k1", media_type="application/json",
                                       body=b'{"prompt": "x"}'), History())
    again = intent.case(TrafficRequest("POST", "/videos", retry_key="k1", media_type="application/json",
                                       body=b'{"prompt": "x"}'), History())
    other = intent.case(TrafficRequest("POST", "/videos", retry_key="k2", media_type="application/json",
                                       body=b'{"prompt": "x"}'), History())
    assert first is again and other is not first


@pytest.mark.parametrize(("method", "path", "operation"), [
    ("POST", "/videos", CREATE), ("GET", "/videos", LIST), ("GET", "/videos/v1", RETRIEVE),
    ("DELETE", "/videos/v1", DELETE), ("GET", "/videos/v1/content", CONTENT), ("POST", "/videos/v1/remix", REMIX),
    ("POST", "/videos/edits", EDIT), ("POST", "/videos/extensions", EXTEND),
    ("POST", "/videos/characters", CREATE_CHARACTER), ("GET", "/videos/characters/char_1", GET_CHARACTER),
    ("GET", "/videos/edits", RETRIEVE),  # no GET of /videos/edits: the id "edits"
    ("PUT", "/videos/v1", None), ("GET", "/videos/v1/other", None), ("GET", "/videos/", LIST),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_path_is_matched_to_the_spec_operation(method, path, operation):
    assert operation_of(method, path) == operation
