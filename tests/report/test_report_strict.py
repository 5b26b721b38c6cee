"""--strict (strict = true in a profile, --contract-strict): a clause not verified fails the run, in
every report and the exit code, with the reasons listed first. Without it nothing changes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from report_factory import failed, make_run, not_verified, passed, skipped

from contracts.report import (
    Baseline,
    BaselineEntry,
    apply_baseline,
    build_report,
    exit_code,
    render_junit,
    render_markdown,
    render_summary,
    schema_errors,
    write_reports,
)

CAPPED = "not verified: 0 of 1 cases sent, --max-creates (4) reached; not sent: 'create json: prompt of 32000'"


def run(*results, strict: bool):
    return make_run(list(results), options={"strict": strict})


@pytest.mark.parametrize(("results", "strict", "outcome", "text", "code"), [
    ([passed("a.b"), not_verified("a.c", CAPPED)], False, "conforms", "conforms (1 not verified)", 0),
    ([passed("a.b"), not_verified("a.c", CAPPED)], True, "unverified",
     "1 clause not verified (--strict: each fails the run)", 1),
    ([passed("a.b"), skipped("a.c")], True, "conforms", "conforms (1 skipped)", 0),  # skipped: does not apply
    ([passed("a.b")], True, "conforms", "conforms", 0),
    ([failed("a.b"), not_verified("a.c", CAPPED)], True, "violations", "1 violation", 1),
], ids=["not-strict", "strict-not-verified", "strict-skipped", "strict-all-verified", "strict-with-a-violation"])
def test_outcome_and_exit_code(results, strict, outcome, text, code):
    result = run(*results, strict=strict)
    doc = build_report(result)
    assert (doc["outcome"], doc["outcome_text"], exit_code(result)) == (outcome, text, code)
    assert doc["options"]["strict"] is strict
    assert schema_errors(doc) == []


def test_a_baseline_does_not_accept_what_was_not_verified():
    result = run(failed("a.b"), not_verified("a.c", CAPPED), strict=True)
    outcome = apply_baseline(result, Baseline(entries={"a.b": BaselineEntry(id="a.b")}))
    doc = build_report(result, baseline=outcome)
    assert doc["outcome"] == "unverified" and doc["outcome_text"].endswith("; 1 known violation")
    assert exit_code(result, outcome) == 1


def test_the_console_lists_the_reasons_first():
    result = run(passed("a.b"), failed("a.known"), not_verified("a.c", CAPPED), strict=True)
    outcome = apply_baseline(result, Baseline(entries={"a.known": BaselineEntry(id="a.known")}))
    lines = render_summary(result, baseline=outcome).splitlines()
    title = lines.index("Not verified (1), each fails the run (--strict)")
    assert title < next(i for i, line in enumerate(lines) if line.startswith("Root causes"))
    assert lines[title + 1].startswith("  - a.c: not verified: 0 of 1 cases sent, --max-creates (4) reached")
    verdict = next(line for line in lines if line.startswith("Verdict:"))
    assert verdict.startswith("Verdict: FAIL - 1 clause not verified (--strict: each fails the run); 1 known violation")


def test_markdown_and_junit_fail_what_was_not_verified():
    doc = build_report(run(passed("a.b"), not_verified("a.c", CAPPED), strict=True))
    markdown = render_markdown(doc)
    assert markdown.startswith("### \u274c Videos API conformance: 1 clause not verified")
    assert "#### Not verified (--strict: each fails the run)" in markdown and "| `a.c` |" in markdown
    suites = ET.fromstring(render_junit(doc).split("\n", 1)[1])
    assert suites.get("failures") == "1" and suites.get("skipped") == "0"
    failure = suites.find(".//testcase[@name='a.c']/failure")
    assert failure is not None and failure.get("type") == "not-verified" and "--max-creates (4)" in failure.get("message")


def test_without_strict_junit_skips_what_was_not_verified():
    suites = ET.fromstring(render_junit(build_report(run(not_verified("a.c", CAPPED), strict=False))).split("\n", 1)[1])
    assert suites.get("failures") == "0" and suites.find(".//testcase[@name='a.c']/skipped") is not None


def test_a_strict_report_is_written_and_valid(tmp_path):
    paths = write_reports(run(passed("a.b"), not_verified("a.c", CAPPED), strict=True), tmp_path)
    doc = json.loads(paths["json"].read_text())
    assert doc["outcome"] == "unverified" and schema_errors(doc) == []
    assert 'data-outcome="unverified"' in paths["html"].read_text()
