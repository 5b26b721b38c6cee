"""One root cause for one answer: clauses that failed on the same error answer (status and error
text) are one root cause in the document, with the others under it, and every report shows the group."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from report_factory import blocked, exchange, failed, make_run, not_verified, passed
from test_report_html import Elements

from contracts.embedded import EmbeddedServer
from contracts.report import (
    build_report,
    render_html,
    render_junit,
    render_markdown,
    render_summary,
    schema_errors,
)
from contracts.report.answers import answer_text, error_text
from contracts.report.baseline import Baseline, BaselineEntry
from tests.cli_helpers import cli

UPSTREAM = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
NGINX_400 = ("<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request"
             "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


def on(cid: str, status: int | None, body: str = "", content_type: str = "application/json", **kw):
    """``cid`` failed on this answer (status None: no answer came)."""
    return failed(cid, f"{cid} failed", exchange=exchange(status=status, body=body, content_type=content_type), **kw)


def error(message: str, **extra) -> str:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error", **extra}})


def groups(doc):
    """Each root cause as (id, ids under it, answer as (status, error) or None)."""
    return [(rc["id"], [m["id"] for m in rc["same_answer"]],
             (rc["answer"]["status"], rc["answer"]["error"]) if rc["answer"] else None)
            for rc in doc["root_causes"]]


@pytest.mark.parametrize("results, expected", [
    pytest.param(
        [on("character.retrievable", 500, UPSTREAM, "text/plain"), on("edit.by-file-accepted", 500, UPSTREAM, "text/plain"),
         on("errors.unknown-id-not-found", 500, UPSTREAM, "text/plain")],
        [("character.retrievable", ["edit.by-file-accepted", "errors.unknown-id-not-found"], (500, UPSTREAM))],
        id="one-500-for-three-clauses"),
    pytest.param(
        [on("a.one", 404, error("No video 'video_1'")), on("a.two", 404, error("No route POST /v1/videos/extensions"))],
        [("a.one", [], (404, "No video 'video_1'")), ("a.two", [], (404, "No route POST /v1/videos/extensions"))],
        id="same-status-other-error-text"),
    pytest.param(
        [on("a.one", 400, error("bad")), on("a.two", 422, error("bad"))],
        [("a.one", [], (400, "bad")), ("a.two", [], (422, "bad"))],
        id="same-error-text-other-status"),
    pytest.param(
        [on("a.one", 404, error("Not Found", request_id="req_1")), on("a.two", 404, error("Not Found", request_id="req_2"))],
        [("a.one", ["a.two"], (404, "Not Found"))],
        id="json-error-message-not-the-request-id"),
    pytest.param(
        [on("a.one", 404, '{"detail": "Not Found"}'), on("a.two", 404, '{"detail":"Not Found"}')],
        [("a.one", ["a.two"], (404, "Not Found"))],
        id="fastapi-detail"),
    pytest.param(
        [on("a.one", 400, NGINX_400, "text/html"), on("a.two", 400, NGINX_400, "text/html")],
        [("a.one", ["a.two"], (400, "400 Bad Request"))],
        id="html-page-by-its-title"),
    pytest.param(
        [on("a.one", 502, "Bad  gateway\n", "text/plain"), on("a.two", 502, " Bad gateway", "text/plain")],
        [("a.one", ["a.two"], (502, "Bad gateway"))],
        id="whitespace-runs-are-one-space"),
    pytest.param(
        [on("a.one", 405, ""), on("a.two", 405, "")],
        [("a.one", ["a.two"], (405, ""))],
        id="empty-bodies"),
    pytest.param(
        [on("a.one", None), on("a.two", None)],
        [("a.one", ["a.two"], (None, "connection refused"))],
        id="no-answer-with-the-same-transport-error"),
    pytest.param(
        [on("a.one", 200, '{"object": "list", "data": []}'), on("a.two", 200, '{"object": "list", "data": []}')],
        [("a.one", [], None), ("a.two", [], None)],
        id="successes-are-each-their-own-cause"),
    pytest.param(
        [failed("a.one", exchange=None), failed("a.two", exchange=None)],
        [("a.one", [], None), ("a.two", [], None)],
        id="no-exchange-recorded"),
    pytest.param(
        [on("create.size.every-value-accepted", 400, NGINX_400, "text/html"),
         on("response.content-type", 400, NGINX_400, "text/html")],
        [("response.content-type", ["create.size.every-value-accepted"], (400, "400 Bad Request"))],
        id="the-most-basic-clause-heads-the-group"),
    pytest.param(
        [on("a.alone", 400, error("alone")), blocked("a.b1", "a.alone"),
         on("b.one", 409, error("busy")), on("b.two", 409, error("busy")), on("b.three", 409, error("busy"))],
        [("b.one", ["b.two", "b.three"], (409, "busy")), ("a.alone", [], (400, "alone"))],
        id="most-clauses-first"),
    pytest.param(
        [on("a.one", 400, error("alone")), blocked("a.b1", "a.one"), blocked("a.b2", "a.one"),
         on("b.one", 409, error("busy")), on("b.two", 409, error("busy")), not_verified("c.nv"), blocked("c.b", "c.nv")],
        [("a.one", [], (400, "alone")), ("b.one", ["b.two"], (409, "busy")), ("c.nv", [], None)],
        id="blocked-clauses-count-then-report-order-and-not-verified-last"),
])
def test_root_causes_group_the_clauses_failed_on_one_answer(results, expected):
    doc = build_report(make_run([passed("z.passes"), *results]))
    assert schema_errors(doc) == []
    assert groups(doc) == expected


def test_blocked_clauses_stay_under_the_clause_they_are_blocked_by():
    doc = build_report(make_run([
        on("a.one", 500, UPSTREAM, "text/plain"), blocked("a.by-one", "a.one"),
        on("b.two", 500, UPSTREAM, "text/plain"), blocked("b.by-two", "b.two"), blocked("b.also-by-two", "b.two"),
    ]))
    (cause,) = doc["root_causes"]
    assert (cause["id"], cause["blocked"]) == ("b.two", ["b.by-two", "b.also-by-two"])  # the most blocking heads
    assert cause["same_answer"] == [{"id": "a.one", "statement": "a.one holds.", "blocked": ["a.by-one"]}]
    assert {c["id"]: c["blocked_by"] for c in doc["clauses"] if c["blocked_by"]} == {
        "a.by-one": "a.one", "b.by-two": "b.two", "b.also-by-two": "b.two"}


@pytest.mark.parametrize("response, text", [
    ({"body_excerpt": error("Invalid model"), "headers": {}}, "Invalid model"),
    ({"body_excerpt": '{"error": "quota exceeded"}', "headers": {}}, "quota exceeded"),
    ({"body_excerpt": '{"message": "Internal error"}', "headers": {}}, "Internal error"),
    ({"body_excerpt": '{"detail": [{"loc": ["body", "seconds"]}]}', "headers": {}},
     '{"detail": [{"loc": ["body", "seconds"]}]}'),
    ({"body_excerpt": "{not json", "headers": {}}, "{not json"),
    ({"body_excerpt": NGINX_400, "headers": {"Content-Type": "text/html; charset=utf-8"}}, "400 Bad Request"),
    ({"body_excerpt": "<p>no title</p>", "headers": {"content-type": "text/html"}}, "<p>no title</p>"),
], ids=["envelope", "error-string", "message", "fastapi-422-whole-body", "not-json", "html-title", "html-untitled"])
def test_error_text_of_an_answer(response, text):
    assert error_text(response) == text


@pytest.mark.parametrize("answer, text", [
    ({"status": 500, "error": UPSTREAM}, f'500 "{UPSTREAM}"'),
    ({"status": 405, "error": ""}, "405 with an empty body"),
    ({"status": None, "error": "connection refused"}, "no answer (connection refused)"),
])
def test_answer_text(answer, text):
    assert answer_text(answer) == text


def test_a_long_error_text_is_cut_in_the_document_and_still_told_apart():
    first, second = "x" * 400 + "first", "x" * 400 + "second"
    doc = build_report(make_run([on("a.one", 400, error(first)), on("a.two", 400, error(second))]))
    assert [len(rc["answer"]["error"]) for rc in doc["root_causes"]] == [300, 300]
    assert [rc["same_answer"] for rc in doc["root_causes"]] == [[], []]
    assert schema_errors(doc) == []


@pytest.mark.parametrize("damage, where", [
    (lambda rc: rc.pop("same_answer"), "same_answer"),
    (lambda rc: rc["same_answer"].append({"id": "a.x", "statement": "", "blocked": [], "extra": 1}), "extra"),
    (lambda rc: rc["answer"].update(status=200), "200"),
], ids=["same-answer-required", "members-closed", "answer-an-error"])
def test_schema_holds_the_group_to_its_shape(damage, where):
    doc = build_report(make_run([on("a.one", 404, error("gone")), on("a.two", 404, error("gone"))]))
    damage(doc["root_causes"][0])
    errors = schema_errors(doc)
    assert errors and all(e.startswith("$.root_causes[0]") for e in errors) and where in " ".join(errors)


# ---------------------------------------------------------------------------- every report shows the group
GROUP = ["character.retrievable", "edit.by-id-accepted", "remix.sets-source"]  # the head first


def grouped_run(**kw):
    """Three clauses failed on one 404 {"detail": "Not Found"} (one of them blocked a fourth), and one other failure."""
    not_found = exchange(status=404, body='{"detail": "Not Found"}')
    return make_run([
        passed("create.json-accepted"),
        failed("edit.by-id-accepted", "an edit by id was answered 404", exchange=not_found),
        failed("remix.sets-source", "a remix was answered 404", exchange=not_found),
        failed("character.retrievable", "a character was answered 404", exchange=not_found),
        blocked("response.character.schema", "character.retrievable"),
        failed("retrieve.seconds.type", "seconds is an integer", exchange=exchange(status=200, body='{"seconds": 4}')),
    ], **kw)


def test_the_group_in_the_document():
    doc = build_report(grouped_run())
    assert groups(doc) == [("character.retrievable", GROUP[1:], (404, "Not Found")),
                           ("retrieve.seconds.type", [], None)]
    assert doc["root_causes"][0]["blocked"] == ["response.character.schema"]
    assert doc["counts"]["failed"] == 4 and doc["outcome_text"] == "4 violations; 1 blocked"  # each clause still fails


def test_console_shows_one_root_cause_with_the_clauses_under_it():
    lines = render_summary(grouped_run()).splitlines()
    start = lines.index("Root causes (2), 2 more clauses failed on the same answer, blocking 1 more clause")
    section = lines[start + 1:lines.index("", start + 1)]
    assert [line for line in section if line.startswith("  FAIL")] == ["  FAIL character.retrievable",
                                                                      "  FAIL retrieve.seconds.type"]
    under = section.index('       the same answer, 404 "Not Found", failed 2 more clauses:')
    assert section[under + 1:under + 3] == [
        "         FAIL edit.by-id-accepted: an edit by id was answered 404",
        "         FAIL remix.sets-source: a remix was answered 404",
    ]
    assert section.index("       blocked:   response.character.schema") < under


def test_markdown_shows_one_row_with_the_clauses_under_it():
    md = render_markdown(build_report(grouped_run()))
    table = md.split("#### Root causes\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0] == "| Clause | Field | Reason | Same answer, also failed | Blocked |"
    assert table[2] == ('| `character.retrievable` | `$.status` | a character was answered 404 | '
                        '404 "Not Found": `edit.by-id-accepted`, `remix.sets-source` | `response.character.schema` |')
    assert table[3] == "| `retrieve.seconds.type` | `$.status` | seconds is an integer |  |  |"
    assert len(table) == 4


def test_markdown_without_a_group_keeps_its_columns():
    md = render_markdown(build_report(make_run([failed("a.one"), failed("a.two")])))
    assert "| Clause | Field | Reason |\n" in md and "Same answer" not in md


def test_junit_names_the_group_in_the_head_and_the_head_in_each_member():
    cases = {tc.get("name"): tc for tc in ET.fromstring(render_junit(build_report(grouped_run()))).iter("testcase")}
    assert all(cases[cid].find("failure") is not None for cid in GROUP)  # each still fails the gate
    head = cases["character.retrievable"].find("failure")
    assert ('one root cause: the same answer, 404 "Not Found", failed 2 more clauses: edit.by-id-accepted, '
            "remix.sets-source") in head.text
    assert head.get("message") == "a character was answered 404"
    member = cases["remix.sets-source"].find("failure")
    assert member.get("message") == "a remix was answered 404 (one root cause with character.retrievable: the same answer)"
    assert 'one root cause with character.retrievable: it failed on the same answer, 404 "Not Found"' in member.text
    assert "one root cause" not in cases["retrieve.seconds.type"].find("failure").text


def test_html_shows_one_root_cause_with_the_clauses_under_it():
    page = render_html(build_report(grouped_run()))
    dom = Elements(page)
    causes = [(a["data-id"], a["data-same"], a["data-blocks"]) for a in dom.find("li") if "cause" in (a.get("class") or "")]
    assert causes == [("character.retrievable", "2", "1"), ("retrieve.seconds.type", "0", "0")]
    section = page[page.index('id="root-causes"'):page.index('class="toolbar"')]
    assert "2 root causes, 2 more clauses failed on the same answer, blocking 1 more clause" in section
    assert "the same answer, <code>404 &quot;Not Found&quot;</code>, failed 2 more clauses:" in section
    same = section[section.index('class="same"'):]
    assert same.index('data-id="edit.by-id-accepted"') < same.index('data-id="remix.sets-source"')
    # in the clause list, each clause under the group links to its head (as the clause it blocked does)
    assert len(dom.find("a", href="#clause-character.retrievable", **{"class": "by"})) == 3
    assert page.count("one root cause with <a") == 2


@pytest.mark.parametrize("known, tag", [({"character.retrievable"}, "**new**"), (set(GROUP), "known")],
                         ids=["a-new-member", "all-known"])
def test_a_group_is_known_only_when_all_its_clauses_are(known, tag):
    baseline = Baseline(entries={cid: BaselineEntry(cid) for cid in known})
    doc = build_report(grouped_run(), baseline=baseline)
    row = next(line for line in render_markdown(doc).splitlines() if line.startswith("| `character.retrievable`"))
    assert row.endswith(f" {tag} |")
    heads = [line for line in render_summary(doc).splitlines() if line.startswith("  FAIL")]
    first = "retrieve.seconds.type" if tag == "known" else "character.retrievable"  # known causes come last
    assert heads[0].startswith(f"  FAIL {first}")


# ---------------------------------------------------------------------------- end to end
# Behind a proxy that replaces every error body by its own page (html-errors), four refusals of
# valid creates answer the same "400 Bad Request" page; so does the first error that shows the page.
FAULTS = ("html-errors", "short-prompt-rejected", "model-list-stale", "seconds-12-rejected", "sizes-two-only")
REFUSED = ["create.prompt.min-length-accepted", "create.model.every-value-accepted",
           "create.seconds.every-value-accepted", "create.size.every-value-accepted"]


@pytest.mark.slow
def test_a_run_shows_one_root_cause_for_one_answer(tmp_path):
    with EmbeddedServer(job_seconds=0.3, extra_args=[a for fault in FAULTS for a in ("--fault", fault)]) as server:
        done = cli("run", "--examples", "3", "--base-url", server.base_url, "--report-dir", "out", "--color", "never",
                   cwd=tmp_path)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text())
    failed_ids = sorted(c["id"] for c in report["clauses"] if c["verdict"] == "failed")
    assert failed_ids == sorted([*REFUSED, "response.content-type"])
    (cause,) = report["root_causes"]
    assert cause["id"] == "response.content-type" and cause["answer"] == {"status": 400, "error": "400 Bad Request"}
    assert [m["id"] for m in cause["same_answer"]] == [c["id"] for c in report["clauses"] if c["id"] in REFUSED]

    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Root causes (1), 4 more clauses failed on "
                                                                      "the same answer"))
    section = lines[start + 1:lines.index("", start)]
    assert [line for line in section if line.startswith("  FAIL")] == ["  FAIL response.content-type"]
    under = section.index('       the same answer, 400 "400 Bad Request", failed 4 more clauses:')
    members = [line.split()[1].rstrip(":") for line in section[under + 1:] if line.startswith("         FAIL ")]
    assert sorted(members) == sorted(REFUSED)
