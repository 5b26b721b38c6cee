"""junit.xml (parsed with junitparser) and summary.md."""

from __future__ import annotations

import re

import pytest
from junitparser import Failure, JUnitXml, Skipped
from report_factory import HOSTILE_BODY, failed, make_run, passed

from contracts import __version__
from contracts.report import apply_baseline, build_report, render_markdown, write_baseline, write_reports
from contracts.report.baseline import Baseline, BaselineEntry


def _cases(path):
    xml = JUnitXml.fromfile(str(path))
    return xml, {case.name: (suite, case) for suite in xml for case in suite}


def test_junit_one_testcase_per_clause(tmp_path, run):
    xml, cases = _cases(write_reports(run, tmp_path)["junit"])
    assert set(cases) == {c.clause.id for c in run.results}
    assert (xml.tests, xml.failures, xml.skipped, xml.errors) == (5, 1, 2, 0)
    for suite, case in cases.values():
        assert case.classname == suite.name == case.name.split(".")[0]

    _, fail = cases["create.prompt.max-length-accepted"]
    (result,) = fail.result
    assert isinstance(result, Failure)
    assert result.message == "a 32000-character prompt was rejected"
    assert result.type == "$.prompt"
    text = result.text
    for expected in (
        "Documented: 200",
        "Received: 400",
        "case: create json prompt=32000 chars",
        "request: POST http://127.0.0.1:9/v1/videos",
        "response: 400",
        "<script>document.title",
        "reproduce:",
        "curl -sS -X POST",
        "Authorization: Bearer [REDACTED]",
    ):
        assert expected in text
    assert "\\x00" in text and "\x00" not in text  # control characters escaped, XML stays valid

    _, nv = cases["content.download.mp4"]
    assert isinstance(nv.result[0], Skipped)
    assert nv.result[0].message == "not verified: every job failed, so no content"
    _, sk = cases["auth.missing-key"]
    assert sk.result[0].message == "skipped: no API key given"
    _, ok = cases["create.prompt.required"]
    assert ok.is_passed and ok.system_out.startswith("create.prompt.required holds.")


def test_junit_known_violation_is_skipped_and_new_one_fails(tmp_path):
    run = make_run([failed("a.known"), failed("a.new"), passed("a.ok")])
    baseline = Baseline(entries={"a.known": BaselineEntry("a.known")})
    xml, cases = _cases(write_reports(run, tmp_path, baseline=baseline)["junit"])
    assert (xml.failures, xml.skipped) == (1, 1)
    known = cases["a.known"][1].result[0]
    assert isinstance(known, Skipped) and known.type == "known-violation"
    assert known.message.startswith("known violation (accepted by the baseline)")
    assert isinstance(cases["a.new"][1].result[0], Failure)


def test_junit_properties_tell_the_run(tmp_path):
    xml, _ = _cases(write_reports(make_run(interrupted="budget exhausted"), tmp_path)["junit"])
    props = {p.name: p.value for p in next(iter(xml)).properties()}
    assert props["target"] == "http://127.0.0.1:9/v1"
    assert props["interrupted"] == "budget exhausted"
    assert props["outcome"] == "violations"


# ---------------------------------------------------------------------------- summary.md


def test_summary_md(run):
    md = render_markdown(build_report(run))
    lines = md.splitlines()
    assert lines[0].startswith("### ") and "Videos API conformance: 1 violation" in lines[0]
    assert "| 2 | 1 | 1 | 1 | 5 |" in md
    assert "#### Root causes" in md
    row = next(line for line in lines if "max-length-accepted" in line)
    assert (
        row == "| `create.prompt.max-length-accepted` | `$.prompt` | a 32000-character prompt was rejected |"
    )
    assert "17 requests" in md
    assert f"\nvideos-contract {__version__} \u00b7 spec 1.0.0 \u00b7 profile openai \u00b7 all operations \u00b7 2025-11-25 20:00 UTC\n" in md


def test_summary_md_conforming_run_has_no_failure_table():
    md = render_markdown(build_report(make_run([passed("a.b")])))
    assert "conforms" in md.splitlines()[0] and "Root causes" not in md


def test_summary_md_neutralises_hostile_text():
    run = make_run([failed("a.b", HOSTILE_BODY, field="$.a|b`c")])
    md = render_markdown(build_report(run))
    row = next(line for line in md.splitlines() if line.startswith("| `a.b`"))
    assert re.search(r"(?<!\\)<", md) is None  # every < is backslash-escaped: no HTML
    assert "\\<script\\>" in row
    # the pipes inside cells are escaped: the row still has exactly 4 cell separators
    assert row.replace("\\|", "").count("|") == 4
    assert "`` $.a\\|b`c ``" in row  # a code span that survives a backtick


@pytest.mark.parametrize(
    "accepted, expected",
    [
        (set(), " **new** |"),
        ({"create.prompt.max-length-accepted"}, " known |"),
    ],
)
def test_summary_md_with_baseline(run, accepted, expected):
    outcome = apply_baseline(run, Baseline(entries={i: BaselineEntry(i) for i in accepted | {"gone.x"}}))
    md = render_markdown(build_report(run, baseline=outcome))
    row = next(line for line in md.splitlines() if "max-length-accepted" in line)
    assert row.endswith(expected)
    assert "match no clause of this run: `gone.x`" in md


def test_summary_md_interrupted():
    md = render_markdown(build_report(make_run([passed("a.b")], interrupted="Ctrl-C")))
    assert "interrupted" in md.splitlines()[0]
    assert "> **The run was interrupted:** Ctrl-C." in md


def test_baseline_written_from_run_feeds_summary(tmp_path, run):
    baseline = write_baseline(run, tmp_path / "b.json")
    md = render_markdown(build_report(run, baseline=baseline))
    assert "no new violation" in md.splitlines()[0]
