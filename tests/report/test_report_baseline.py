"""Baselines: write, load (with clear errors), apply (new / known / fixed / unconfirmed)."""

from __future__ import annotations

import json

import pytest
from report_factory import failed, make_run, not_verified, passed

from contracts.report import (
    BaselineError,
    apply_baseline,
    build_report,
    exit_code,
    load_baseline,
    render_html,
    write_baseline,
    write_reports,
)


def test_write_baseline_is_small_sorted_and_human_editable(tmp_path):
    run = make_run([failed("z.last", "zzz"), passed("a.ok"), failed("a.first", "first failure")])
    path = tmp_path / "ci" / "baseline.json"
    baseline = write_baseline(run, path)
    text = path.read_text()
    assert text.endswith("\n") and text.count("\n") > 10  # indented, one field per line
    data = json.loads(text)
    assert data["format"] == "videos-contract-baseline" and data["format_version"] == 1
    assert [e["id"] for e in data["accepted"]] == ["a.first", "z.last"]
    assert data["accepted"][0] == {
        "id": "a.first",
        "statement": "a.first holds.",
        "note": "accepted: first failure",
    }
    assert data["target"] == "http://127.0.0.1:9/v1" and "note" in data
    assert baseline.ids == {"a.first", "z.last"} and baseline.path == path
    assert list(tmp_path.joinpath("ci").iterdir()) == [path]


def test_rewriting_keeps_hand_written_notes(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(make_run([failed("a.b"), failed("a.c")]), path)
    data = json.loads(path.read_text())
    data["accepted"][0]["note"] = "VID-123: the server rounds seconds"
    data["note"] = "our note"
    path.write_text(json.dumps(data))
    write_baseline(make_run([failed("a.b"), failed("a.d")]), path)
    again = load_baseline(path)
    assert again.note == "our note"
    assert again.entries["a.b"].note == "VID-123: the server rounds seconds"
    assert set(again.entries) == {"a.b", "a.d"}


def test_load_round_trip_and_lenient_forms(tmp_path):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(["x.one", {"id": "x.two", "note": "because"}]))
    b = load_baseline(path)
    assert b.ids == {"x.one", "x.two"} and b.entries["x.two"].note == "because"


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "baseline file not found"),
        (
            "{not json",
            "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        ),
        ('"a string"', "expected a JSON object with an 'accepted' list"),
        ("{}", "missing the 'accepted' list"),
        ('{"accepted": {"a": 1}}', "'accepted' must be a list"),
        ('{"accepted": [{"note": "x"}]}', "accepted[0] has no 'id'"),
        ('{"accepted": [42]}', "accepted[0] must be an object"),
        ('{"accepted": ["a.b", "a.b"]}', "clause 'a.b' is listed twice"),
        ('{"accepted": [{"id": "a.b", "note": 3}]}', "accepted[0].note must be a string"),
        ('{"format": "other", "accepted": []}', "'format' is 'other'"),
        ('{"format_version": 7, "accepted": []}', "format_version 7 is newer"),
        (b"\xff\xfe\x00", "cannot read baseline file"),
    ],
)
def test_load_baseline_errors(tmp_path, content, message):
    path = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError) as info:
        load_baseline(path)
    assert message in str(info.value)
    if content is not None:
        assert str(path) in str(info.value)


def test_load_baseline_directory(tmp_path):
    with pytest.raises(BaselineError, match="is a directory"):
        load_baseline(tmp_path)


def test_apply_baseline_sorts_new_known_fixed_unconfirmed_missing(tmp_path):
    before = make_run(
        [failed("a.known"), failed("a.fixed"), failed("a.unverified"), failed("a.gone"), passed("a.ok")]
    )
    baseline = write_baseline(before, tmp_path / "b.json")
    after = make_run(
        [failed("a.known"), passed("a.fixed"), not_verified("a.unverified"), failed("a.new"), passed("a.ok")]
    )
    outcome = apply_baseline(after, load_baseline(tmp_path / "b.json"))
    assert outcome.new == ["a.new"]
    assert outcome.known == ["a.known"]
    assert outcome.fixed == ["a.fixed"]
    assert outcome.unconfirmed == ["a.unverified"]
    assert outcome.missing == ["a.gone"]
    assert outcome.accepted == 4 and not outcome.ok and outcome.exit_code == 1
    assert exit_code(after, outcome) == exit_code(after, baseline) == 1
    assert exit_code(make_run([failed("a.known")]), baseline) == 0
    assert exit_code(make_run([failed("a.known")])) == 1  # without a baseline every failure counts
    assert exit_code(make_run([passed("a.ok")])) == 0


def test_baseline_is_reflected_in_json_and_html(tmp_path):
    baseline = write_baseline(make_run([failed("a.known"), failed("a.fixed")]), tmp_path / "b.json")
    run = make_run([failed("a.known"), failed("a.new"), passed("a.fixed")])
    paths = write_reports(run, tmp_path / "r", baseline=baseline)
    doc = json.loads(paths["json"].read_text())
    assert doc["baseline"] == {
        "path": str(tmp_path / "b.json"),
        "accepted": 2,
        "new": ["a.new"],
        "known": ["a.known"],
        "fixed": ["a.fixed"],
        "unconfirmed": [],
        "missing": [],
    }
    verdicts = {c["id"]: c["baseline"] for c in doc["clauses"]}
    assert verdicts == {"a.known": "known", "a.new": "new", "a.fixed": None}
    assert doc["outcome"] == "violations"
    assert doc["outcome_text"] == "2 violations (1 new, 1 known)"

    page = paths["html"].read_text()
    assert 'class="tag known"' in page and 'class="tag new"' in page
    assert "Fixed: remove from the baseline" in page

    only_known = build_report(make_run([failed("a.known")]), baseline=baseline)
    assert only_known["outcome"] == "known_violations"
    assert "No new violation" in render_html(only_known)
