"""An interrupted run still produces valid reports that show what did not run."""

from __future__ import annotations

import json

from junitparser import JUnitXml
from report_factory import clause, failed, make_run, not_verified, passed

from contracts.report import fill_not_run, render_summary, schema_errors, write_reports
from contracts.types import ClauseResult, Verdict

CATALOGUE = [clause(c) for c in ("create.a", "create.b", "jobs.c", "jobs.d", "list.e")]


def test_fill_not_run_adds_missing_clauses():
    run = make_run([passed("create.a"), failed("create.b")], interrupted="Ctrl-C")
    full = fill_not_run(run, CATALOGUE)
    assert [r.clause.id for r in full.results] == ["create.a", "create.b", "jobs.c", "jobs.d", "list.e"]
    added = full.results[2:]
    assert all(r.verdict is Verdict.NOT_VERIFIED for r in added)
    assert added[0].note == "not run: the run was interrupted (Ctrl-C)"
    assert len(run.results) == 2  # the original is untouched


def test_interrupted_run_reports(tmp_path):
    run = fill_not_run(make_run([passed("create.a")], interrupted="budget of 60s exhausted"), CATALOGUE)
    # a clause the engine marked not verified without a note also gets one
    run.results.append(ClauseResult(clause("misc.z"), Verdict.NOT_VERIFIED))
    paths = write_reports(run, tmp_path)

    doc = json.loads(paths["json"].read_text())
    assert schema_errors(doc) == []
    assert doc["interrupted"] == "budget of 60s exhausted"
    assert doc["outcome"] == "interrupted"
    assert doc["counts"]["not_verified"] == 5
    notes = {c["id"]: c["note"] for c in doc["clauses"]}
    assert notes["misc.z"] == notes["list.e"] == "not run: the run was interrupted (budget of 60s exhausted)"

    page = paths["html"].read_text()
    assert 'id="interrupted"' in page and "5 clauses did not run and are shown as not verified" in page
    assert 'data-outcome="interrupted"' in page

    md = paths["summary"].read_text()
    assert "The run was interrupted:** budget of 60s exhausted. 5 clauses did not run" in md

    xml = JUnitXml.fromfile(str(paths["junit"]))
    assert (xml.tests, xml.skipped, xml.failures) == (6, 5, 0)

    out = render_summary(run)
    assert "Not verified (5)" in out and "Verdict: INTERRUPTED" in out


def test_interrupted_run_with_a_violation_is_still_a_failure(tmp_path):
    run = make_run([failed("create.a"), not_verified("create.b", note=None)], interrupted="Ctrl-C")
    doc = json.loads(write_reports(run, tmp_path)["json"].read_text())
    assert doc["outcome"] == "violations" and doc["outcome_text"] == "1 violation; run interrupted"
