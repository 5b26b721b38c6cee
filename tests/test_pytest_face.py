"""The pytest face as a user sees it: the lines pytest prints for a clause that passes, a clause
that fails and a target that cannot be reached (pytester runs pytest in a subprocess, as a user
would). These pin the text: a change to what a user reads must change them too."""

from __future__ import annotations

import pytest

from contracts.embedded import EmbeddedServer

pytestmark = pytest.mark.slow  # each runs the suite against a server


def run_suite(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--pyargs", "contracts.suite.test_clauses", "-p", "no:cacheprovider",
                                         "--contract-examples", "0", "--contract-report-dir", "reports", "-v",
                                         *args)


def test_a_passing_clause(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-k", "create.json-accepted")
    result.stdout.fnmatch_lines([
        "::test_clause[[]create.json-accepted[]] PASSED *[[]100%[]]",
        "=* videos-contract =*",
        "",
        "Videos API conformance: http://127.0.0.1:*/v1 (embedded reference server)",
        "videos-contract * | spec 1.0.0 | profile openai | all operations | * UTC",
        "*s | * requests | * videos created",
    ], consecutive=True)
    result.stdout.fnmatch_lines([
        "Verdict: PASS - conforms; * passed, 0 failed, 0 not verified, * skipped",
        "Reports:",
        "  html     reports/conformance.html",
        "  json     reports/conformance.json",
        "  junit    reports/junit.xml",
        "  summary  reports/summary.md",
        "  badge    reports/badge.svg",
        "",
        "=* 1 passed, * deselected in *s =*",
    ], consecutive=True)
    assert result.ret == 0


def test_a_failing_clause(pytester: pytest.Pytester) -> None:
    with EmbeddedServer(api_key="sk-face-test", job_seconds=0.2, extra_args=["--fault", "seconds-integer"]) as server:
        result = run_suite(pytester, "-k", "response.video.schema", "--contract-base-url", server.base_url,
                           "--contract-api-key", "sk-face-test", "--contract-max-creates", "100")
    result.stdout.fnmatch_lines([
        "::test_clause[[]response.video.schema[]] FAILED *[[]100%[]]",
        "",
        "=* FAILURES =*",
        "_* test_clause[[]response.video.schema[]] _*",
        "Every Video body matches the spec: all 13 fields present, nullable ones null, exact types.",
        "[[]response.video.schema[]] $.seconds: Video: 4 is not of type 'string'",
        "  case: create json: baseline: only the prompt",
        "  Received: 4",
        "  Documented: schema Video at properties/seconds/type",
        "  Reproduce: curl -sS -i -X POST http://127.0.0.1:*/v1/videos -H 'Content-Type: application/json' "
        "-H \"Authorization: Bearer $OPENAI_API_KEY\" --data-binary '{\"prompt\": \"a paper boat drifting on a calm "
        "lake at dawn\"}'",
    ], consecutive=True)
    result.stdout.fnmatch_lines([
        "Root causes (1)",
        "  FAIL response.video.schema",
        "       [[]response.video.schema[]] $.seconds: Video: 4 is not of type 'string'",
        "         case: create json: baseline: only the prompt",
        "         Received: 4",
        "         Documented: schema Video at properties/seconds/type",
        "         Reproduce: curl -sS -i -X POST http://127.0.0.1:*/v1/videos *",
    ], consecutive=True)
    result.stdout.fnmatch_lines([
        "Verdict: FAIL - 1 violation; * passed, 1 failed, 0 not verified, * skipped",
        "*",
        # pytest shortens this line to the terminal width, except on CI (the CI variable is set): match both.
        "FAILED ::test_clause[[]response.video.schema[]] - Failed: Every Video body matche*",
        "=* 1 failed, * deselected in *s =*",
    ])
    assert result.ret == 1


def test_a_target_that_cannot_be_reached(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "--contract-base-url", "http://127.0.0.1:9/v1")
    result.stdout.fnmatch_lines([
        "!* _pytest.outcomes.Exit: videos-contract: cannot reach the target at http://127.0.0.1:9/v1: * !*",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")
    assert result.ret == 2


def test_a_clause_of_an_operation_not_offered(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-k", "edit.offered or create.json-accepted", "--contract-operations",
                       "create,retrieve,list,delete,content,remix")
    result.stdout.fnmatch_lines([
        "::test_clause[[]create.json-accepted[]] PASSED *",
        "::test_clause[[]edit.offered[]] SKIPPED (skipped: not offered*",  # pytest may cut the reason to the width
    ])
    result.stdout.fnmatch_lines([
        "videos-contract * | spec 1.0.0 | profile openai | operations create,retrieve,list,delete,content,remix | *",
        "*s | * requests | * videos created",
        "not offered: edits, extensions, characters (--operations or the profile's operations); 20 clauses skipped",
    ], consecutive=True)
    assert result.ret == 0


def test_a_multipart_reproduction_names_the_request_file(pytester: pytest.Pytester) -> None:
    """As the CLI's: the body a multipart reproduction sends is a real file written beside the
    reports, named in the test's own failure (not a placeholder)."""
    with EmbeddedServer(api_key="sk-face-test", job_seconds=0.2, extra_args=["--fault", "multipart-refused"]) as server:
        result = run_suite(pytester, "-k", "create.multipart-accepted", "--contract-base-url", server.base_url,
                           "--contract-api-key", "sk-face-test", "--contract-max-creates", "100")
    result.stdout.fnmatch_lines([
        "::test_clause[[]create.multipart-accepted[]] FAILED *",
        "*  Reproduce: curl -sS -i -X POST http://127.0.0.1:*/v1/videos -H 'Content-Type: multipart/form-data; "
        "boundary=*' * --data-binary @reports/requests/0*.bin",
    ])
    result.stdout.no_fnmatch_line("*REQUEST_BODY*")
    named = [line.rsplit("@", 1)[1] for line in result.stdout.lines if "Reproduce:" in line and "@reports" in line]
    assert named and all((pytester.path / path).is_file() for path in named), named
    assert result.ret == 1


def test_strict_fails_a_clause_not_verified(pytester: pytest.Pytester) -> None:
    """--contract-strict: a clause the run could not verify (here: the create cap stopped its case)
    fails its test with the reason, and the session."""
    with EmbeddedServer(api_key="sk-face-test", job_seconds=0.2) as server:
        result = run_suite(pytester, "-k", "create.prompt.max-length-accepted", "--contract-base-url", server.base_url,
                           "--contract-api-key", "sk-face-test", "--contract-max-creates", "4", "--contract-strict")
    result.stdout.fnmatch_lines([
        "::test_clause[[]create.prompt.max-length-accepted[]] FAILED *",
        "",
        "=* FAILURES =*",
        "_* test_clause[[]create.prompt.max-length-accepted[]] _*",
        "not verified (--contract-strict: it fails the run): not verified: 0 of 1 cases sent, --max-creates (4) reached;*",
    ], consecutive=True)
    result.stdout.fnmatch_lines(["Not verified (*), each fails the run (--strict)"])
    result.stdout.fnmatch_lines(["Verdict: FAIL - * clauses not verified (--strict: each fails the run); *"])
    assert result.ret == 1


def test_a_clause_left_out(pytester: pytest.Pytester) -> None:
    result = run_suite(pytester, "-k", "auth.wrong-key-rejected or create.json-accepted", "--contract-exclude", "auth.*")
    result.stdout.fnmatch_lines([
        "::test_clause[[]create.json-accepted[]] PASSED *",
        "::test_clause[[]auth.wrong-key-rejected[]] SKIPPED (skipped: excluded*",
    ])
    result.stdout.fnmatch_lines([
        "excluded: 2 clauses (--include/--exclude or the profile's include/exclude)",
    ])
    assert result.ret == 0


def test_a_generated_case_failure_is_reported_once_under_its_clause(pytester: pytest.Pytester) -> None:
    """Errors in FastAPI's {"detail"} shape: response.error.envelope fails in the clause tests, and the
    schemathesis tests of the non-creating operations, whose generated cases meet the same envelope,
    say it was reported there instead of failing again (issue 18: 18 failures for 13 causes)."""
    with EmbeddedServer(api_key="sk-face-test", job_seconds=0.2, extra_args=["--fault", "fastapi-detail"]) as server:
        result = pytester.runpytest_subprocess(
            "--pyargs", "contracts.suite", "-p", "no:cacheprovider", "--contract-examples", "0",
            "--contract-report-dir", "reports", "-rf", "--contract-base-url", server.base_url,
            "--contract-api-key", "sk-face-test", "--contract-max-creates", "100")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()[-3000:]  # test_clause[response.error.envelope] alone
    result.stdout.fnmatch_lines(["FAILED test_clauses.py::test_clause[[]response.error.envelope[]] - *"])
    result.stdout.no_fnmatch_line("*test_operation*FAILED*")
    result.stdout.no_fnmatch_line("FAILED *test_schemathesis*")
