"""diff_reports / render_diff between two conformance.json files."""

from __future__ import annotations

import json

import pytest
from report_factory import failed, make_run, not_verified, passed, skipped

from contracts.report import DiffError, build_report, diff_reports, render_diff, write_reports


def _report(tmp_path, name, results, **kw):
    return write_reports(make_run(results, **kw), tmp_path / name)["json"]


def test_diff_sorts_changes(tmp_path):
    a = _report(
        tmp_path,
        "a",
        [
            passed("c.regress"),
            failed("c.fix"),
            not_verified("c.now-passes"),
            passed("c.same"),
            failed("c.still"),
            passed("c.removed"),
        ],
    )
    b = _report(
        tmp_path,
        "b",
        [
            failed("c.regress", "now broken"),
            passed("c.fix"),
            passed("c.now-passes"),
            passed("c.same"),
            failed("c.still"),
            skipped("c.added"),
        ],
    )
    d = diff_reports(a, b)
    assert [c.id for c in d.regressed] == ["c.regress"]
    assert (d.regressed[0].before, d.regressed[0].after, d.regressed[0].reason) == (
        "passed",
        "failed",
        "now broken",
    )
    assert [c.id for c in d.fixed] == ["c.fix"]
    assert [(c.id, c.before, c.after) for c in d.changed] == [("c.now-passes", "not_verified", "passed")]
    assert [(c.id, c.after) for c in d.added] == [("c.added", "skipped")]
    assert [(c.id, c.before) for c in d.removed] == [("c.removed", "passed")]
    assert d.unchanged == 2
    assert d.has_regressions and d.exit_code == 1

    text = render_diff(d)
    assert "Regressed: passed -> failed (1)\n  c.regress: passed -> failed\n      now broken" in text
    assert "Fixed: failed -> passed (1)\n  c.fix: failed -> passed" in text
    assert "c.now-passes: not verified -> passed" in text
    assert "New clauses (only in B) (1)\n  c.added (skipped)" in text
    assert "Removed clauses (only in A) (1)\n  c.removed (was passed)" in text
    assert text.rstrip().endswith("1 regressed, 1 fixed, 1 other changes, 1 new, 1 removed, 2 unchanged")
    assert text.startswith(f"A: {a}")


@pytest.mark.parametrize(
    "before, after, code",
    [
        ([failed("c.x")], [passed("c.x")], 0),  # fixed only
        ([passed("c.x")], [passed("c.x")], 0),  # identical
        ([passed("c.x")], [not_verified("c.x")], 0),  # a change, not a regression
        ([passed("c.x")], [failed("c.x")], 1),
    ],
)
def test_diff_exit_code(tmp_path, before, after, code):
    assert diff_reports(_report(tmp_path, "a", before), _report(tmp_path, "b", after)).exit_code == code


def test_identical_reports(tmp_path):
    a = _report(tmp_path, "a", [passed("c.x")])
    d = diff_reports(a, a)
    assert d.identical and "No difference: 1 clauses with the same verdict." in render_diff(d)


def test_diff_notes_different_targets(tmp_path):
    a = _report(tmp_path, "a", [passed("c.x")])
    b = _report(tmp_path, "b", [passed("c.x")], target="http://other:1/v1")
    assert "note: the targets differ" in render_diff(diff_reports(a, b))


def _write(tmp_path, content):
    path = tmp_path / "x.json"
    if isinstance(content, (dict, list)):
        content = json.dumps(content)
    if content is not None:
        path.write_text(content)
    return path


def _broken_doc():
    doc = build_report(make_run())
    doc["clauses"][0]["verdict"] = "meh"
    return doc


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "report not found"),
        ("{oops", "is not valid JSON"),
        ([1, 2], "is not a conformance report"),
        ({"clauses": [], "schema_version": 99}, "schema_version 99"),
        ({"clauses": [], "schema_version": 2}, "schema_version 2"),  # a report from before same_answer
        ({"clauses": [], "format_version": 1}, "schema_version 1"),  # a report from before schema 2
        (_broken_doc(), "is not a valid conformance report: $.clauses[0].verdict"),
    ],
)
def test_diff_errors(tmp_path, content, message):
    good = _report(tmp_path, "good", [passed("c.x")])
    bad = _write(tmp_path, content)
    for a, b in ((bad, good), (good, bad)):
        with pytest.raises(DiffError) as info:
            diff_reports(a, b)
        assert message in str(info.value) and str(bad) in str(info.value)


def test_diff_of_a_directory_says_which_file(tmp_path):
    with pytest.raises(DiffError, match="is a directory: pass its conformance.json"):
        diff_reports(tmp_path, tmp_path)
