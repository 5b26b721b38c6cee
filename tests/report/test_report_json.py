"""conformance.json: content, and validity against conformance.schema.json."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from report_factory import START, exchange, failed, make_run, not_verified, passed, skipped

from contracts.report import (
    SCHEMA_VERSION,
    build_report,
    load_baseline,
    load_schema,
    schema_errors,
    write_baseline,
    write_reports,
)
from contracts.types import Evidence


def test_schema_is_valid_draft_2020_12():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _interrupted():
    return make_run([passed("create.a"), not_verified("create.b", note=None)], interrupted="budget exhausted")


def _baselined(tmp_path):
    run = make_run()
    write_baseline(run, tmp_path / "b.json")
    run = make_run([*run.results, failed("list.order")])
    return run, load_baseline(tmp_path / "b.json")


@pytest.mark.parametrize(
    "name, build",
    [
        ("every verdict", lambda tmp: (make_run(), None)),
        ("no clause at all", lambda tmp: (make_run([], coverage={}), None)),
        ("interrupted", lambda tmp: (_interrupted(), None)),
        ("with baseline", _baselined),
        ("transport error", lambda tmp: (make_run([failed("x.y", exchange=exchange(status=None))]), None)),
        ("evidence without exchange", lambda tmp: (make_run([failed("x.y", exchange=None)]), None)),
    ],
)
def test_written_report_validates_against_schema(tmp_path, name, build):
    run, baseline = build(tmp_path)
    paths = write_reports(run, tmp_path / "out", baseline=baseline)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert schema_errors(doc) == [], name


def test_report_content(run):
    doc = build_report(run)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["target"] == "http://127.0.0.1:9/v1"
    assert (doc["spec_version"], doc["profile"]) == ("1.0.0", "openai")
    assert doc["started_at"] == "2025-11-25T20:00:00.000Z"
    assert doc["started_at_epoch"] == START
    assert doc["finished_at"] == "2025-11-25T20:00:12.250Z"
    assert doc["duration_seconds"] == 12.25
    assert doc["counts"] == {"passed": 2, "failed": 1, "not_verified": 1, "skipped": 1, "blocked": 0, "total": 5}
    assert doc["outcome"] == "violations"
    assert doc["outcome_text"] == "1 violation"
    assert (doc["requests_sent"], doc["videos_created"], doc["interrupted"]) == (17, 2, None)
    assert doc["coverage"]["boundaries"] == {"prompt.length": [1, 32000, 32001]}
    assert doc["baseline"] is None
    assert [a["area"] for a in doc["areas"]] == ["create", "retrieve", "content", "auth"]
    assert doc["areas"][0]["counts"]["failed"] == 1

    by_id = {c["id"]: c for c in doc["clauses"]}
    fail = by_id["create.prompt.max-length-accepted"]
    assert fail["verdict"] == "failed" and fail["area"] == "create" and fail["checks"] == 1
    ev = fail["evidence"][0]
    assert ev["message"] == "a 32000-character prompt was rejected"
    assert (ev["field"], ev["expected"], ev["received"]) == ("$.prompt", "200", "400")
    assert ev["case"] == "create json prompt=32000 chars"
    req, resp = ev["exchange"]["request"], ev["exchange"]["response"]
    assert (req["method"], req["url"]) == ("POST", "http://127.0.0.1:9/v1/videos")
    assert req["headers"]["Authorization"] == "Bearer [REDACTED]"
    assert resp["status"] == 400 and "<script>" in resp["body_excerpt"]  # raw in JSON: it is data
    assert ev["exchange"]["curl"].startswith("curl -sS -X POST")
    assert by_id["content.download.mp4"]["note"] == "every job failed, so no content"
    assert by_id["auth.missing-key"]["verdict"] == "skipped"


@pytest.mark.parametrize(
    "results, interrupted, outcome, text",
    [
        ([passed("a.b")], None, "conforms", "conforms"),
        ([passed("a.b"), skipped("a.c")], None, "conforms", "conforms (1 skipped)"),
        ([failed("a.b"), failed("a.c")], None, "violations", "2 violations"),
        ([passed("a.b")], "Ctrl-C", "interrupted", "interrupted: Ctrl-C"),
        ([failed("a.b")], "Ctrl-C", "violations", "1 violation; run interrupted"),
    ],
)
def test_outcome(results, interrupted, outcome, text):
    doc = build_report(make_run(results, interrupted=interrupted))
    assert (doc["outcome"], doc["outcome_text"]) == (outcome, text)


def test_evidence_is_capped_but_counted():
    r = failed("a.b")
    r.evidence = [Evidence(clause_id="a.b", message=f"m{i}") for i in range(30)]
    c = build_report(make_run([r]))["clauses"][0]
    assert c["evidence_total"] == 30 and len(c["evidence"]) == 20


def test_coverage_with_non_json_values_is_made_serialisable():
    run = make_run(coverage={"enums": {"seconds": {"json": {4: 3}}}, "boundaries": {"prompt.length (json)": (1, 2)}})
    doc = build_report(run)
    json.dumps(doc)
    assert doc["coverage"] == {"boundaries": {"prompt.length (json)": [1, 2]}, "enums": {"seconds": {"json": {"4": 3}}},
                               "generated": {}, "operations": {}}
    assert schema_errors(doc) == []


def _mutations():
    def drop(key):
        return lambda d: d.pop(key)

    def set_(path, value):
        def f(d):
            node = d
            for p in path[:-1]:
                node = node[p]
            node[path[-1]] = value

        return f

    return [
        ("missing schema_version", drop("schema_version")),
        ("wrong schema_version", set_(["schema_version"], 99)),
        ("missing target_name", drop("target_name")),
        ("empty target_version", set_(["target_version"], "")),
        ("unknown operation", set_(["operations"], ["create", "retrieve", "teleport"])),
        ("operations without retrieve", set_(["operations"], ["create", "list"])),
        ("unknown option", set_(["options", "turbo"], True)),
        ("option of the wrong type", set_(["options", "include"], "auth.*")),
        ("missing option", lambda d: d["options"].pop("exclude")),
        ("coverage of another kind", set_(["coverage", "surprise"], {})),
        ("coverage counts not integers", set_(["coverage", "operations", "GET /videos"], "3")),
        ("cost without a key", lambda d: d["cost"].pop("generated_not_sent")),
        ("clause without first_failure", lambda d: d["clauses"][0].pop("first_failure")),
        ("another generator", set_(["generator", "name"], "other-kit")),
        ("unknown verdict", set_(["clauses", 0, "verdict"], "maybe")),
        ("bad outcome", set_(["outcome"], "great")),
        ("counts not integers", set_(["counts", "passed"], "2")),
        ("clause without id", lambda d: d["clauses"][0].pop("id")),
        ("unexpected top-level key", set_(["surprise"], 1)),
        ("status not integer", set_(["clauses", 1, "evidence", 0, "exchange", "response", "status"], "400")),
        (
            "headers not strings",
            set_(["clauses", 1, "evidence", 0, "exchange", "request", "headers"], {"a": 1}),
        ),
        ("bad date", set_(["started_at"], "yesterday")),
        ("coverage not an object", set_(["coverage"], [1, 2])),
    ]


@pytest.mark.parametrize("name, mutate", _mutations(), ids=[m[0] for m in _mutations()])
def test_broken_report_does_not_validate(run, name, mutate):
    doc = copy.deepcopy(build_report(run))
    assert schema_errors(doc) == []
    mutate(doc)
    errors = schema_errors(doc)
    assert errors, name
    assert all(e.startswith("$") for e in errors)


def _object_schemas(node, path="$"):
    """Every sub-schema of an object, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            yield path, node
        for key, value in node.items():
            yield from _object_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _object_schemas(value, f"{path}/{i}")


def test_the_schema_is_strict_and_complete():
    """Every object lists its properties, all of them required and no others allowed; an open
    mapping (headers, counts) says what its values are."""
    for path, node in _object_schemas(load_schema()):
        if "properties" in node:
            assert node.get("additionalProperties") is False, path
            assert set(node["required"]) == set(node["properties"]), path
        else:
            assert isinstance(node.get("additionalProperties"), dict), path


def test_the_schema_says_what_the_code_writes():
    from contracts.clauses import OPERATIONS
    from contracts.report import OUTCOMES
    from contracts.types import Verdict

    schema = load_schema()
    props = schema["properties"]
    assert props["schema_version"]["const"] == SCHEMA_VERSION and schema["$id"].endswith(f":{SCHEMA_VERSION}")
    assert props["operations"]["items"]["enum"] == list(OPERATIONS)
    assert props["outcome"]["enum"] == OUTCOMES
    assert schema["$defs"]["clause"]["properties"]["verdict"]["enum"] == [v.value for v in Verdict]
    assert set(props) == set(build_report(make_run()))


def test_a_document_that_breaks_its_schema_is_not_written(tmp_path, monkeypatch):
    from contracts.report import CHECK_ENV, ReportInvalid

    monkeypatch.setenv(CHECK_ENV, "1")  # as the whole test session runs (tests/conftest.py)
    with pytest.raises(ReportInvalid, match=r"^conformance.json would not match its schema: \$.options: Additional "
                                            r"properties are not allowed \('turbo' was unexpected\)$"):
        write_reports(make_run(options={"turbo": True}), tmp_path / "out")
    assert not (tmp_path / "out" / "conformance.json").exists()
