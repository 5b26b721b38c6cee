"""The blocked verdict in every report: root causes first, each with the clauses it blocked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from report_factory import blocked, failed, make_cascade_run, make_run, passed
from test_report_html import Elements

from contracts.report import (
    apply_baseline,
    build_report,
    exit_code,
    render_html,
    render_junit,
    render_markdown,
    render_summary,
    schema_errors,
    write_reports,
)
from contracts.report.baseline import Baseline, BaselineEntry, baseline_from_result
from tools.browser import dump_dom
from contracts.report.diff import compare

CAUSES = [
    ("delete.removes", "failed", ["delete.then-not-found", "auth.missing-key-rejected"]),
    ("create.optional-fields-omittable", "failed", ["create.prompt.min-length-accepted"]),
    ("retrieve.seconds.type", "failed", []),
    ("lifecycle.completes", "not_verified", ["remix.sets-source"]),  # not a failure: after the failures
]


@pytest.fixture
def cascade():
    return make_cascade_run()


def test_document_lists_root_causes_most_blocking_first(cascade):
    doc = build_report(cascade)
    assert schema_errors(doc) == []
    assert [(rc["id"], rc["verdict"], rc["blocked"]) for rc in doc["root_causes"]] == CAUSES
    assert doc["counts"] == {"passed": 1, "failed": 3, "not_verified": 1, "skipped": 0, "blocked": 4, "total": 9}
    by_id = {c["id"]: c for c in doc["clauses"]}
    assert by_id["auth.missing-key-rejected"]["blocked_by"] == "delete.removes"
    assert by_id["auth.missing-key-rejected"]["note"] == "blocked: delete.removes failed (no route for DELETE)"
    assert by_id["delete.removes"]["blocked_by"] is None
    assert doc["outcome"] == "violations"
    assert doc["outcome_text"] == "3 violations; 4 blocked"


def test_schema_refuses_an_unknown_verdict_and_a_missing_blocked_by(cascade):
    doc = build_report(cascade)
    doc["clauses"][2]["verdict"] = "cascaded"
    del doc["clauses"][3]["blocked_by"]
    errors = schema_errors(doc)
    assert any(e.startswith("$.clauses[2].verdict") for e in errors)
    assert any(e.startswith("$.clauses[3]") and "blocked_by" in e for e in errors)


@pytest.mark.parametrize(
    "results, code, outcome",
    [
        pytest.param([passed("a.p"), blocked("a.b", "a.nv")], 0, "conforms", id="blocked-alone-exit-0"),
        pytest.param([failed("a.f"), blocked("a.b", "a.f")], 1, "violations", id="failed-root-exit-1"),
    ],
)
def test_exit_code_counts_failures_not_blocked_clauses(results, code, outcome):
    run = make_run(results)
    assert exit_code(run) == code
    assert build_report(run)["outcome"] == outcome


def test_blocked_by_a_clause_missing_from_the_report_is_still_a_root_cause():
    doc = build_report(make_run([passed("a.p"), blocked("a.b", "a.gone")]))
    assert doc["root_causes"] == [{"id": "a.gone", "verdict": None, "statement": "", "blocked": ["a.b"],
                                   "answer": None, "same_answer": []}]
    assert schema_errors(doc) == []
    assert doc["outcome_text"] == "conforms (1 blocked)"


def test_console_shows_root_causes_first_with_what_they_blocked(cascade):
    lines = render_summary(cascade).splitlines()
    assert lines[4].split() == ["area", "passed", "failed", "not", "verified", "skipped", "blocked"]
    start = lines.index("Root causes (4), blocking 4 more clauses")
    end = lines.index("Not verified (1)")
    heads = [line for line in lines[start:end] if line.startswith("  ") and not line.startswith("   ")]
    assert heads == [
        "  FAIL delete.removes",
        "  FAIL create.optional-fields-omittable",
        "  FAIL retrieve.seconds.type",
        "  NOT VERIFIED lifecycle.completes",
    ]
    assert "       blocked:   delete.then-not-found, auth.missing-key-rejected" in lines
    assert "       reason:    no job completed within the budget" in lines
    assert lines[-1] == "Verdict: FAIL - 3 violations; 4 blocked; 1 passed, 3 failed, 1 not verified, 0 skipped, 4 blocked"


def test_console_without_blocked_clauses_keeps_its_four_columns():
    lines = render_summary(make_run([failed("a.f")])).splitlines()
    assert lines[4].split() == ["area", "passed", "failed", "not", "verified", "skipped"]
    assert "Root causes (1)" in lines and not any("blocked" in line for line in lines)


def test_markdown_root_cause_table(cascade):
    md = render_markdown(build_report(cascade))
    assert "| Passed | Failed | Not verified | Skipped | Blocked | Total |" in md
    assert "| 1 | 3 | 1 | 0 | 4 | 9 |" in md
    table = md.split("#### Root causes\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0] == "| Clause | Field | Reason | Blocked |"
    assert table[2] == (
        "| `delete.removes` | `status` | DELETE answered 405 | `delete.then-not-found`, `auth.missing-key-rejected` |"
    )
    assert table[5] == (
        "| `lifecycle.completes` |  | not verified: no job completed within the budget | `remix.sets-source` |"
    )
    assert len(table) == 2 + len(CAUSES)


def test_junit_blocked_is_skipped_with_its_root_cause(cascade):
    suites = ET.fromstring(render_junit(build_report(cascade)))
    assert (suites.get("failures"), suites.get("skipped")) == ("3", "5")
    cases = {tc.get("name"): tc for tc in suites.iter("testcase")}
    skip = cases["auth.missing-key-rejected"].find("skipped")
    assert skip.get("type") == "blocked"
    assert skip.get("message") == "blocked: delete.removes failed (no route for DELETE)"
    failure = cases["delete.removes"].find("failure")
    assert "root cause: it blocked 2 clauses: delete.then-not-found, auth.missing-key-rejected" in failure.text
    assert "root cause" not in cases["retrieve.seconds.type"].find("failure").text


def test_baseline_treats_blocked_as_not_confirmed(cascade):
    written = baseline_from_result(cascade)
    assert sorted(written.entries) == ["create.optional-fields-omittable", "delete.removes", "retrieve.seconds.type"]
    accepted = {"delete.removes", "delete.then-not-found"}
    outcome = apply_baseline(cascade, Baseline(entries={i: BaselineEntry(i) for i in accepted}))
    assert outcome.known == ["delete.removes"] and outcome.unconfirmed == ["delete.then-not-found"]
    assert "delete.then-not-found" not in outcome.new + outcome.fixed


def test_diff_passed_to_blocked_is_a_change_not_a_regression(tmp_path):
    before = build_report(make_run([passed("d.removes"), passed("d.gone")]))
    after = build_report(make_run([failed("d.removes"), blocked("d.gone", "d.removes")]))
    diff = compare(before, after, tmp_path / "a", tmp_path / "b")
    assert [c.id for c in diff.regressed] == ["d.removes"]
    assert [(c.id, c.after, c.reason) for c in diff.changed] == [("d.gone", "blocked", "blocked: d.removes failed")]
    assert diff.exit_code == 1


def test_html_root_cause_section_before_the_clauses(cascade):
    page = render_html(build_report(cascade))
    assert page.index('id="root-causes"') < page.index('class="toolbar"') < page.index('class="area"')
    dom = Elements(page)
    causes = [(a["data-id"], a["data-blocks"]) for a in dom.find("li") if "cause" in (a.get("class") or "")]
    assert causes == [(rc, str(len(b))) for rc, _, b in CAUSES]
    clauses = dom.clauses()
    assert clauses["remix.sets-source"]["data-verdict"] == "blocked"
    assert dom.find("a", href="#clause-delete.removes", **{"class": "by"})
    assert "Root causes" not in render_html(build_report(make_run([passed("a.p")])))


@pytest.mark.browser
def test_browser_shows_root_causes_at_the_top(chromium, cascade, tmp_path):
    page = write_reports(cascade, tmp_path)["html"]
    dom_text = dump_dom(page)
    dom = Elements(dom_text)
    assert "js" in (dom.find("html")[0].get("class") or "")
    (section,) = dom.find("section", id="root-causes")
    assert "hidden" not in section
    text = "".join(dom.text)
    assert "4 root causes, blocking 4 more clauses" in text
    assert text.index("DELETE answered 405") < text.index("Failures only")  # above the clause list
    assert dom_text.index('id="root-causes"') < dom_text.index('data-area="create"')
    # a blocked clause links to its root cause, which the anchor opens
    opened = Elements(dump_dom(page, fragment="clause-delete.removes")).clauses()
    assert "open" in opened["delete.removes"]
    assert opened["delete.then-not-found"]["data-verdict"] == "blocked"
