"""The cost line (``RunResult.cost``): in conformance.json (and its schema) and in every renderer."""

from __future__ import annotations

import dataclasses

import pytest
from report_factory import make_run

from contracts.report import build_report, render_html, render_junit, render_markdown, render_summary, schema_errors

COST = {"jobs_created": 9, "jobs_followed": 1, "generation_seconds": 12, "jobs_deleted_unfinished": 7,
        "jobs_from_invalid_creates": 0, "generated_not_sent": 0}
LINE = "9 jobs created, 1 followed to the end, 12 s of generation observed, 7 deleted before they finished"


def doc_with(cost):
    return build_report(dataclasses.replace(make_run(), cost=cost))


def test_json_carries_the_cost_and_validates():
    doc = doc_with(COST)
    assert doc["cost"] == COST
    assert schema_errors(doc) == []


def test_a_result_without_cost_reports_zeros():
    assert doc_with({})["cost"] == dict.fromkeys(COST, 0)


def test_a_result_of_an_older_engine_gets_the_keys_it_lacks_as_zeros():
    older = {key: COST[key] for key in ("jobs_created", "jobs_followed", "generation_seconds", "jobs_deleted_unfinished")}
    assert doc_with(older)["cost"] == COST


def test_schema_2_requires_the_cost():
    doc = doc_with(COST)
    del doc["cost"]
    assert schema_errors(doc) == ["$: 'cost' is a required property"]


@pytest.mark.parametrize("cost,error", [
    ({**COST, "jobs_created": -1}, "$.cost.jobs_created: -1 is less than the minimum of 0"),
    ({k: v for k, v in COST.items() if k != "jobs_followed"}, "$.cost: 'jobs_followed' is a required property"),
    ({**COST, "dollars": 3}, "$.cost: Additional properties are not allowed ('dollars' was unexpected)"),
], ids=["negative", "missing-key", "extra-key"])
def test_a_broken_cost_does_not_validate(cost, error):
    doc = doc_with(COST)
    doc["cost"] = cost
    assert schema_errors(doc) == [error]


def test_console_summary_has_the_cost_line_above_the_verdict():
    lines = render_summary(dataclasses.replace(make_run(), cost=COST)).splitlines()
    verdict = next(i for i, line in enumerate(lines) if line.startswith("Verdict: "))
    assert lines[verdict - 1] == f"GPU cost: {LINE}"


def test_markdown_has_the_cost_line():
    assert f"\nGPU cost: {LINE}\n" in render_markdown(doc_with(COST))


def test_html_has_the_cost_in_the_run_facts():
    assert f'<div class="wide"><dt>GPU cost</dt><dd>{LINE}</dd></div>' in render_html(doc_with(COST))


def test_junit_has_the_cost_as_a_property():
    assert f'<property name="gpu_cost" value="{LINE}"' in render_junit(doc_with(COST))


@pytest.mark.parametrize(("extra", "said"), [
    ({"jobs_from_invalid_creates": 2}, ", 2 made by invalid creates wrongly accepted"),
    ({"generated_not_sent": 14}, "; 14 generated valid creates not sent (job budget)"),
], ids=["jobs-of-invalid-creates", "generated-creates-not-sent-for-the-job-budget"])
def test_extra_costs_are_named_when_there_are_some(extra, said):
    doc = doc_with({**COST, **extra})
    assert schema_errors(doc) == []
    assert render_summary(doc).count(f"GPU cost: {LINE}{said}") == 1
