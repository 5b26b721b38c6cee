"""--include and --exclude through the command line, against real servers: an excluded clause is
skipped whatever the target does, a clause that needs it is skipped saying so, and an included
clause is judged with what it needs. These pin the behaviour for any engine."""

from __future__ import annotations

import json

import pytest
from cli_helpers import cli

from contracts import selection
from contracts.embedded import EmbeddedServer

pytestmark = pytest.mark.slow  # whole conformance runs against server processes

KEY = "sk-selection-test-" + "s" * 30
EXCLUDED = selection.excluded_note()


def grade(fault: str, tmp_path, *args: str) -> tuple[int, dict, str]:
    with EmbeddedServer(api_key=KEY, job_seconds=0.2, extra_args=["--fault", fault]) as server:
        done = cli("run", "--quiet", "--examples", "3", "--base-url", server.base_url, "--report-dir", "out",
                   "--color", "never", *args, cwd=tmp_path, env={"OPENAI_API_KEY": KEY})
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads((tmp_path / "out" / "conformance.json").read_text()), done.stdout


def by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["clauses"]}


@pytest.mark.parametrize("said_by", ["--exclude", "profile"])
def test_an_excluded_clause_is_never_judged(tmp_path, said_by):
    # auth-ignored fails both auth clauses; left out, the run conforms
    if said_by == "profile":
        (tmp_path / "p.toml").write_text('name = "keyless-by-design"\nexclude = ["auth.*"]\n')
        args = ["--profile", "p.toml"]
    else:
        args = ["--exclude", "auth.*"]
    code, report, _ = grade("auth-ignored", tmp_path, *args)
    assert code == 0
    clauses = by_id(report)
    for cid in ("auth.missing-key-rejected", "auth.wrong-key-rejected"):
        assert (clauses[cid]["verdict"], clauses[cid]["note"], clauses[cid]["evidence"]) == ("skipped", EXCLUDED, [])
    assert report["counts"]["failed"] == 0 and report["options"]["exclude"] == ["auth.*"]


def test_a_clause_that_needs_an_excluded_one_is_skipped_saying_so(tmp_path):
    # no-delete-route fails delete.returns-deletion; two clauses need it
    code, report, _ = grade("no-delete-route", tmp_path, "--exclude", "delete.returns-deletion")
    assert code == 0
    clauses = by_id(report)
    assert clauses["delete.returns-deletion"]["note"] == EXCLUDED
    for cid in ("delete.then-not-found", "response.deleted.schema"):
        assert (clauses[cid]["verdict"], clauses[cid]["note"]) == (
            "skipped", selection.needs_excluded_note("delete.returns-deletion"))
    assert report["counts"]["skipped"] == 3 + 1  # and response.rate-limit.retry-after: no 429


def test_an_included_clause_is_judged_with_what_it_needs(tmp_path):
    # list-ignores-order fails list.order-honoured; what is neither included nor needed is not judged
    code, report, _ = grade("list-ignores-order", tmp_path, "--include", "list.*", "--exclude", "list.after-honoured")
    assert code == 1
    judged = {cid for cid, c in by_id(report).items() if c["verdict"] != "skipped"}
    assert judged == {"list.limit-honoured", "list.limit-range", "list.order-honoured", "create.json-accepted",
                      "create.multipart-accepted", "create.optional-fields-omittable"}
    assert [c["id"] for c in report["clauses"] if c["verdict"] == "failed"] == ["list.order-honoured"]
    assert by_id(report)["list.after-honoured"]["note"] == EXCLUDED
