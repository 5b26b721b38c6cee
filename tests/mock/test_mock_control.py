"""The control routes (``/_mock/``) over real HTTP: their document, the moves of a job, the clock, the
journal, reset, faults at run time, and the admin key. Each test works in a namespace of its own
(``ns``) on one manual-clock server; what acts on the whole server gets a server of its own."""

from __future__ import annotations

import re

import httpx
import openai
import pytest
from mock_helpers import NAMESPACE, Namespaced, image_bytes
from openapi_spec_validator import validate

from contracts.embedded import EmbeddedServer
from contracts.mock.control import ControlRoutes, load_document
from contracts.mock.faults import CATALOGUE
from contracts.mock.personas import PERSONAS

DOC = load_document()
# The document's operations: (METHOD, path template)
DOCUMENTED = {(method.upper(), path) for path, item in DOC.document["paths"].items() for method in item}


def answer_schema(method: str, path: str, status: int) -> dict:
    """The schema the document gives an answer (status and route)."""
    response = DOC.response(method, path, status)
    assert response is not None, f"{method} {path} does not document {status}"
    return response["content"]["application/json"]["schema"]


def assert_documented(response: httpx.Response, method: str, template: str) -> None:
    from contracts.spec import SchemaValidator

    errors = SchemaValidator(template, answer_schema(method, template, response.status_code)).errors(response.json())
    assert not errors, f"{method} {template} {response.status_code}: {errors}"


# ---- the document --------------------------------------------------------------------------------
def test_the_document_is_valid_openapi():
    validate(DOC.document)


def test_the_document_lists_exactly_the_served_routes():
    served = set()
    for pattern, handlers in ControlRoutes(_FakeServer()).table:
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern.pattern.rstrip("$"))
        served |= {(method, template) for method in handlers}
    assert served == DOCUMENTED


class _FakeServer:
    """Enough of a server to build the route table."""

    class config:  # noqa: N801 - a stand-in for MockConfig
        admin_key = api_key = None


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize(("method", "path"), sorted(DOCUMENTED), ids=[f"{m} {p}" for m, p in sorted(DOCUMENTED)])
def test_other_methods_of_a_route_are_405_with_allow(ns, method, path):
    url = path.replace("{video_id}", ns.create()["id"])
    allowed = {m for m, p in DOCUMENTED if p == path}
    wrong = next(m for m in ("DELETE", "PATCH", "POST", "GET") if m not in allowed)
    response = httpx.request(wrong, ns.root_url + url)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == allowed | ({"HEAD"} if "GET" in allowed else set())
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_one_case_of_each_table(ns):
    """The fast tier's share of the tables below (they run whole in the slow tier)."""
    wrong = httpx.delete(ns.root_url + "/_mock/health")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "GET, HEAD")
    video = ns.create()
    assert ns.move(video["id"], "complete").status_code == 200
    assert ns.move(video["id"], "fail").json()["error"]["code"] == "video_finished"
    assert ns.move(video["id"], "progress", progress=50.5).json()["error"]["code"] == "invalid_type"
    assert ns.control.post("/clock/advance", json={"seconds": -1}).json()["error"]["param"] == "seconds"
    assert ns.control.post(f"/videos/{video['id']}/complete", content=b"[]").status_code == 400
    assert len(ns.control.get("/requests", params={"method": "post", "path": "/v1/*"}).json()["data"]) == 1


def test_health_says_how_the_mock_runs(ns):
    response = ns.control.get("/health")
    assert response.status_code == 200
    assert_documented(response, "GET", "/_mock/health")
    assert response.json() == {"object": "mock.health", "status": "ok", "clock": "manual", "namespaces": "header",
                                    "lenient_ids": False, "journal": True}


@pytest.mark.parametrize("path", ["/v1/_mock/health", "/v1/videos/_mock/health", "/_mockery", "/_mock/nope",
                                  "/_mock/videos/x", "/_mock/health/"])
def test_control_routes_live_only_under_mock(ns, assert_schema, path):
    response = httpx.get(ns.root_url + path)
    assert response.status_code == 404, response.text
    assert_schema("ErrorResponse", response.json())
    assert response.json()["error"]["code"] in ("unknown_url", "video_not_found")


def test_the_sdk_cannot_reach_them_as_api_routes(ns):
    with pytest.raises(openai.NotFoundError):
        ns.sdk.get("/_mock/health", cast_to=object)


# ---- moving a job ---------------------------------------------------------------------------------
def test_complete_finishes_a_job_as_a_real_one(ns, assert_schema):
    video = ns.create(seconds="8", size="1792x1024")
    assert ns.sdk.videos.retrieve(video["id"]).status == "queued"  # the manual clock never moved it
    response = ns.move(video["id"], "complete")
    assert response.status_code == 200
    assert_schema("Video", response.json())
    done = ns.sdk.videos.retrieve(video["id"])
    assert (done.status, done.progress, done.error) == ("completed", 100, None)
    assert done.completed_at is not None and done.completed_at >= done.created_at
    assert done.expires_at is not None and done.expires_at > done.completed_at
    assert ns.sdk.videos.download_content(video["id"]).read()[4:8] == b"ftyp"
    assert ns.move(video["id"], "complete").json()["status"] == "completed"  # again: answered as it is


def test_fail_ends_a_job_with_the_error_given(ns, assert_schema):
    video = ns.create()
    assert ns.move(video["id"], "progress", progress=40).json()["progress"] == 40
    failed = ns.move(video["id"], "fail", code="moderation_blocked", message="Blocked.").json()
    assert_schema("Video", failed)
    assert (failed["status"], failed["progress"], failed["error"]) == (
        "failed", 40, {"code": "moderation_blocked", "message": "Blocked."})
    assert failed["completed_at"] is None
    assert ns.api.get(f"/videos/{video['id']}/content").json()["error"]["code"] == "video_not_ready"
    default = ns.move(ns.create()["id"], "fail").json()["error"]
    fail_schema = DOC.properties("FailRequest")
    assert default == {"code": fail_schema["code"]["default"], "message": fail_schema["message"]["default"]}


def test_progress_only_moves_forward(ns):
    video = ns.create()
    assert ns.move(video["id"], "progress", progress=0).json()["status"] == "in_progress"
    assert ns.move(video["id"], "progress", progress=70).json()["progress"] == 70
    backwards = ns.move(video["id"], "progress", progress=30)
    assert backwards.status_code == 400 and backwards.json()["error"]["param"] == "progress"
    assert ns.api.get(f"/videos/{video['id']}").json()["progress"] == 70
    done = ns.move(video["id"], "progress", progress=100).json()
    assert (done["status"], done["progress"]) == ("completed", 100) and done["completed_at"] is not None


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize(("first", "then"), [("complete", "fail"), ("complete", "progress"), ("fail", "complete"),
                                             ("fail", "fail"), ("fail", "progress")])
def test_a_finished_job_does_not_move(ns, assert_schema, first, then):
    video = ns.create()
    assert ns.move(video["id"], first).status_code == 200
    body = {"progress": 50} if then == "progress" else {}
    refused = ns.move(video["id"], then, **body)
    assert refused.status_code == 400, refused.text
    assert_schema("ErrorResponse", refused.json())
    assert refused.json()["error"]["code"] == "video_finished"


def test_a_video_of_another_namespace_is_404(ns, manual_mock_server):
    other = Namespaced(manual_mock_server.base_url)
    try:
        video = other.create()
        assert ns.move(video["id"], "complete").status_code == 404
        assert other.move(video["id"], "complete").status_code == 200
        assert httpx.post(f"{ns.root_url}/_mock/videos/{video['id']}/complete").status_code == 200  # no namespace: any
    finally:
        other.close()


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize(("action", "body", "param", "code"), [
    ("progress", {}, "progress", "missing_required_parameter"),
    ("progress", {"progress": 101}, "progress", "invalid_value"),
    ("progress", {"progress": -1}, "progress", "invalid_value"),
    ("progress", {"progress": 50.5}, "progress", "invalid_type"),
    ("progress", {"progress": "50"}, "progress", "invalid_type"),
    ("fail", {"code": ""}, "code", "invalid_value"),
    ("fail", {"reason": "x"}, "reason", "unknown_parameter"),
    ("complete", {"now": True}, "now", "unknown_parameter"),
], ids=["progress-missing", "progress-over-100", "progress-negative", "progress-fraction", "progress-text",
        "fail-empty-code", "fail-unknown-field", "complete-unknown-field"])
def test_a_bad_move_is_400_naming_the_field(ns, assert_schema, action, body, param, code):
    response = ns.move(ns.create()["id"], action, **body)
    assert response.status_code == 400, response.text
    assert_schema("ErrorResponse", response.json())
    assert (response.json()["error"]["param"], response.json()["error"]["code"]) == (param, code)


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize("body", [b"{", b"[]", b"null", b'"x"', b"\xff"], ids=["truncated", "array", "null", "string",
                                                                              "not-utf8"])
def test_a_body_that_is_not_a_json_object_is_400(ns, assert_schema, body):
    response = ns.control.post(f"/videos/{ns.create()['id']}/complete", content=body)
    assert response.status_code == 400, response.text
    assert_schema("ErrorResponse", response.json())


def test_an_unknown_video_is_404(ns, assert_schema):
    response = ns.move("video_" + "0" * 32, "complete")
    assert response.status_code == 404
    assert_schema("ErrorResponse", response.json())
    assert response.json()["error"]["code"] == "video_not_found"


# ---- the clock ------------------------------------------------------------------------------------
def test_advancing_a_namespaces_clock_moves_only_its_jobs(ns, manual_mock_server):
    other = Namespaced(manual_mock_server.base_url)
    try:
        mine, theirs = ns.create(), other.create()
        clock = ns.control.post("/clock/advance", json={"seconds": 0.5})
        assert clock.status_code == 200
        assert_documented(clock, "POST", "/_mock/clock/advance")
        assert clock.json()["mode"] == "manual" and clock.json()["now"] >= 0.5
        assert ns.api.get(f"/videos/{mine['id']}").json()["status"] == "in_progress"
        assert other.api.get(f"/videos/{theirs['id']}").json()["status"] == "queued"
        ns.control.post("/clock/advance", json={"seconds": 0.5})
        assert ns.api.get(f"/videos/{mine['id']}").json()["status"] == "completed"
        assert_documented(ns.control.get("/clock"), "GET", "/_mock/clock")
    finally:
        other.close()


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "1"}, {}, {"seconds": 1e12}, {"seconds": 1, "x": 1}],
                         ids=["negative", "text", "missing", "too-far", "unknown-field"])
def test_a_bad_advance_is_400(ns, body):
    response = ns.control.post("/clock/advance", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] in ("seconds", "x")


@pytest.mark.slow  # a server of its own
def test_on_the_wall_clock_advancing_moves_jobs_too():
    with EmbeddedServer(job_seconds=3600) as server:
        root = server.base_url.removesuffix("/v1")
        video = httpx.post(f"{server.base_url}/videos", json={"prompt": "a long job"}).json()
        clock = httpx.post(f"{root}/_mock/clock/advance", json={"seconds": 3600}).json()
        assert clock["mode"] == "wall"
        done = httpx.get(f"{server.base_url}/videos/{video['id']}").json()
        assert done["status"] == "completed" and done["completed_at"] >= done["created_at"] + 3600


# ---- the journal ----------------------------------------------------------------------------------
def test_the_journal_keeps_what_the_client_sent(ns):
    ns.api.post("/videos", json={"prompt": "a JSON create", "seconds": "8"})
    ns.sdk.videos.create(prompt="with an image", size="1280x720",
                         input_reference=("ref.png", image_bytes((1280, 720)), "image/png"))
    ns.api.get("/videos", params={"limit": 2, "order": "asc"})
    ns.api.get("/videos/video_unknown")
    ns.control.get("/health")  # never in the journal
    response = ns.control.get("/requests")
    assert_documented(response, "GET", "/_mock/requests")
    entries = response.json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/videos", 200), ("POST", "/v1/videos", 200), ("GET", "/v1/videos", 200),
        ("GET", "/v1/videos/video_unknown", 404)]
    json_create, form_create, listing, _ = entries
    assert json_create["json"] == {"prompt": "a JSON create", "seconds": "8"}
    assert form_create["json"] is None and set(form_create["fields"]) == {"prompt", "size", "input_reference"}
    assert form_create["files"]["input_reference"]["filename"] == "ref.png"
    assert listing["query"] == {"limit": "2", "order": "asc"}
    assert all(e["namespace"] == ns.name for e in entries)
    assert "sk-any" not in response.text  # the key the SDK sent is never kept


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize(("query", "expected"), [
    ({"method": "post"}, 2), ({"path": "/v1/videos"}, 3), ({"path": "/v1/videos/*"}, 1),
    ({"method": "GET", "path": "/v1/videos/*"}, 1), ({"method": "DELETE"}, 0)])
def test_the_journal_is_filtered_by_method_and_path(ns, query, expected):
    video = ns.create()
    ns.create()
    ns.api.get("/videos")
    ns.api.get(f"/videos/{video['id']}")
    assert len(ns.control.get("/requests", params=query).json()["data"]) == expected


@pytest.mark.slow  # a server of its own
def test_the_journal_is_bounded_per_namespace_and_can_be_off():
    with EmbeddedServer(extra_args=["--journal-size", "3", "--namespaces", "header"]) as small, \
            EmbeddedServer(extra_args=["--no-journal"]) as off:
        root = small.base_url.removesuffix("/v1")
        httpx.get(f"{small.base_url}/videos/quiet", headers={NAMESPACE: "quiet"})
        for index in range(5):
            httpx.get(f"{small.base_url}/videos/video_{index}", headers={NAMESPACE: "busy"})
        busy = httpx.get(f"{root}/_mock/requests", headers={NAMESPACE: "busy"}).json()
        assert [e["path"] for e in busy["data"]] == [f"/v1/videos/video_{i}" for i in (2, 3, 4)]
        assert busy["dropped"] == 2
        quiet = httpx.get(f"{root}/_mock/requests", headers={NAMESPACE: "quiet"}).json()
        assert ([e["path"] for e in quiet["data"]], quiet["dropped"]) == (["/v1/videos/quiet"], 0)  # never pushed out
        everything = httpx.get(f"{root}/_mock/requests").json()
        assert [e["seq"] for e in everything["data"]] == [1, 4, 5, 6] and everything["dropped"] == 2
        refused = httpx.get(off.base_url.removesuffix("/v1") + "/_mock/requests")
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "journal_off"
        assert httpx.get(off.base_url.removesuffix("/v1") + "/_mock/health").json()["journal"] is False


@pytest.mark.parametrize("query", [{"verb": "GET"}, [("method", "GET"), ("method", "POST")]],
                         ids=["unknown-parameter", "repeated"])
def test_a_bad_journal_query_is_400(ns, query):
    assert ns.control.get("/requests", params=query).status_code == 400


# ---- reset ----------------------------------------------------------------------------------------
def test_resetting_a_namespace_empties_only_it(ns, manual_mock_server):
    other = Namespaced(manual_mock_server.base_url)
    try:
        ns.create()
        kept = other.create()
        response = ns.control.post("/reset")
        assert_documented(response, "POST", "/_mock/reset")
        assert response.json() == {"object": "mock.reset", "namespace": ns.name, "everything": False}
        assert ns.control.get("/requests").json()["data"] == []
        assert ns.api.get("/videos").json()["data"] == []
        assert [v["id"] for v in other.api.get("/videos").json()["data"]] == [kept["id"]]
    finally:
        other.close()


@pytest.mark.slow  # a server of its own
def test_resetting_everything_starts_the_server_over():
    with EmbeddedServer(extra_args=["--clock", "manual", "--fault", "preexisting-videos"]) as server:
        root, api = server.base_url.removesuffix("/v1"), server.base_url
        seeded = len(httpx.get(f"{api}/videos", params={"limit": 100}).json()["data"])
        httpx.post(f"{api}/videos", json={"prompt": "mine"})
        httpx.put(f"{root}/_mock/faults", json={"faults": ["seconds-integer"]})
        httpx.post(f"{root}/_mock/clock/advance", json={"seconds": 60})
        response = httpx.post(f"{root}/_mock/reset")
        assert response.json() == {"object": "mock.reset", "namespace": None, "everything": True}
        assert len(httpx.get(f"{api}/videos", params={"limit": 100}).json()["data"]) == seeded  # seeded again
        assert httpx.get(f"{root}/_mock/faults").json()["faults"] == ["preexisting-videos"]  # the command line's
        assert httpx.get(f"{root}/_mock/clock").json()["now"] == 0
        assert httpx.get(f"{root}/_mock/requests").json()["data"][-1]["path"] == "/v1/videos"  # only what came after


def test_a_namespace_header_without_namespaces_is_400(mock_server):
    root = mock_server.base_url.removesuffix("/v1")
    response = httpx.post(f"{root}/_mock/reset", headers={NAMESPACE: "mine"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "namespaces_off"


# ---- faults at run time ---------------------------------------------------------------------------
def test_faults_are_set_at_run_time_for_a_namespace(ns, manual_mock_server):
    other = Namespaced(manual_mock_server.base_url)
    try:
        response = ns.control.put("/faults", json={"faults": ["seconds-integer"], "persona": "vllm-omni"})
        assert_documented(response, "PUT", "/_mock/faults")
        assert response.json()["persona"] == "vllm-omni"
        assert set(response.json()["faults"]) == {"seconds-integer", *PERSONAS["vllm-omni"].faults}
        before = ns.api.post("/videos", files={"prompt": (None, "p")}).json()
        assert before["seconds"] == 4 and before["size"] is None and before["id"].startswith("video_gen_")
        assert other.create()["seconds"] == "4"  # another namespace: faithful
        ns.control.put("/faults", json={"faults": []})
        assert ns.create()["seconds"] == "4"
        assert ns.api.get(f"/videos/{before['id']}").json()["seconds"] == 4  # a job keeps its faults
        assert ns.control.get("/faults").json() == {"object": "mock.faults", "namespace": ns.name, "faults": [],
                                                    "persona": None}
    finally:
        other.close()


@pytest.mark.slow  # a table: the fast tier checks one case of it (test_one_case_of_each_table) and fuzzes
@pytest.mark.parametrize(("body", "param", "listed"), [
    ({"faults": ["seconds-integer", "no-such-fault"]}, "faults", CATALOGUE),
    ({"persona": "no-such-persona"}, "persona", PERSONAS),
    ({"faults": "seconds-integer"}, "faults", ()),
    ({"fault": ["seconds-integer"]}, "fault", ()),
], ids=["unknown-fault", "unknown-persona", "not-a-list", "unknown-field"])
def test_unknown_faults_are_400_listing_the_known_ones(ns, body, param, listed):
    response = ns.control.put("/faults", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert all(name in error["message"] for name in listed)
    assert ns.control.get("/faults").json()["faults"] == []  # nothing changed


# ---- the admin key --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def guarded():
    with EmbeddedServer(api_key="sk-api", extra_args=["--admin-key", "sk-admin"]) as with_admin, \
            EmbeddedServer(api_key="sk-api") as without_admin:
        yield with_admin.base_url.removesuffix("/v1"), without_admin.base_url.removesuffix("/v1")


@pytest.mark.slow  # two servers of their own
@pytest.mark.parametrize(("server", "key", "status"), [
    (0, None, 401), (0, "sk-api", 401), (0, "sk-wrong", 401), (0, "sk-admin", 200),
    (1, None, 401), (1, "sk-admin", 401), (1, "sk-api", 200),
], ids=["admin-key-missing", "api-key-is-not-the-admin-key", "wrong-key", "admin-key",
        "no-admin-key-missing", "no-admin-key-other-key", "no-admin-key-api-key"])
def test_with_an_api_key_the_control_routes_need_the_admin_key(guarded, assert_schema, server, key, status):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    for method, path in sorted(DOCUMENTED):  # every route, the same answer
        url = guarded[server] + path.replace("{video_id}", "video_x")
        response = httpx.request(method, url, headers=headers, json={} if method != "GET" else None)
        expected = {status} if status == 401 else {200, 400, 404}  # past the key: the route's own answer
        assert response.status_code in expected, (method, path, response.text)
        if status == 401:
            assert_schema("ErrorResponse", response.json())
            assert "sk-admin" not in response.text and "sk-api" not in response.text


@pytest.mark.slow  # two servers of their own
def test_the_admin_key_does_not_open_the_api(guarded):
    response = httpx.get(guarded[0] + "/v1/videos", headers={"Authorization": "Bearer sk-admin"})
    assert response.status_code == 401
