"""Schemathesis' generated requests for every operation, judged through the contract's clauses.

Schemathesis draws requests from spec/openapi.yaml and sends them (its pytest integration); each
answer is judged by the same checks and the same judge as the contract run (contracts/checks,
contracts/judge.py), so that a generated case's failure is reported under the clause it breaks,
once: a clause the contract run already failed is reported by its own test (test_clause[...]),
and this test says so instead of failing again; a clause only a generated case breaks fails here,
named. Creating operations run only against the embedded server: on an external one, jobs are
bounded by --max-creates and the contract run already sent its generated creates.
"""

from __future__ import annotations

import json

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contracts.cases import Case
from contracts.checks import Judging as Options
from contracts.client import Response
from contracts.failures import render_evidence, reproduce_line
from contracts.history import History
from contracts.judge import Judge
from contracts.report.redact import redact_headers, redact_text
from contracts.rules import CREATE_CHARACTER
from contracts.rules import CREATING as RULES_CREATING
from contracts.spec import default_spec_path
from contracts.types import Exchange, RecordedRequest, RecordedResponse, Verdict

pytestmark = pytest.mark.contract
# Operations that create something on the server: jobs, and characters.
CREATING = RULES_CREATING | {CREATE_CHARACTER}
EXCERPT = 2000


@pytest.fixture(scope="session")
def contract_schema(contract_options):
    schema = schemathesis.openapi.from_path(str(default_spec_path()))
    schema.config.update(base_url=contract_options.base_url, headers=contract_options.request_headers())
    return schema


schema = schemathesis.pytest.from_fixture("contract_schema")


def recorded(case, sent, key_header: str) -> Response:
    """Schemathesis' answer as the engine records one (redacted), answering the generated case."""
    request = sent.request
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    exchange = Exchange(
        request=RecordedRequest(method=request.method, url=request.url, headers=redact_headers(dict(request.headers)),
                                body_excerpt=redact_text(body[:EXCERPT].decode("utf-8", "replace")),
                                body_size=len(body)),
        response=RecordedResponse(status=sent.status_code, headers=redact_headers(
            {name: ", ".join(values) for name, values in sent.headers.items()}),
            body_excerpt=redact_text(sent.content[:EXCERPT].decode("utf-8", "replace")), body_size=len(sent.content),
            elapsed_ms=round(sent.elapsed * 1000, 2)),
        curl=redact_text(case.as_curl_command()))
    headers = httpx.Headers([(name, value) for name, values in sent.headers.items() for value in values])
    answer = Response(sent.status_code, headers, sent.content, exchange)
    method, template = case.operation.method.upper(), case.operation.path
    answer.case = Case(name=f"generated {method} {template}", method=method, path=case.formatted_path,
                       operation=(method, template), query=case.query or None,
                       json_body=case.body if case.media_type == "application/json" else json.loads("null"),
                       partial_body=template.endswith("/content"),
                       auth=True if key_header in {name.lower() for name in request.headers} else None)
    return answer


class Judging:
    """What judges a generated answer: the target's (profiled) spec and rules, and the clauses the
    contract run already failed (a short repr: hypothesis shows it beside a failing example)."""

    def __init__(self, spec, rules, failed: frozenset[str]):
        self.spec, self.rules, self.failed = spec, rules, failed

    def __repr__(self) -> str:
        return f"<the contract's judge; {len(self.failed)} clauses failed in the run>"


@pytest.fixture(scope="session")
def contract_judging(contract_spec, contract_run) -> Judging:
    return Judging(*contract_spec, frozenset(r.clause.id for r in contract_run.results if r.verdict is Verdict.FAILED))


def judged(spec, rules, answer: Response) -> list:
    """The clauses this one answer fails, as the contract run's judge would say (its most basic
    failure blocks the others on it)."""
    history = History()
    judge = Judge(spec, rules, history, Options())
    history.add(answer)
    judge.judge(answer)
    return [r for r in judge.results() if r.verdict is Verdict.FAILED]


@schema.parametrize()
@settings(max_examples=8, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_operation(case, contract_options, contract_judging):
    if (case.operation.method.upper(), case.operation.path) in CREATING and not contract_options.embedded:
        pytest.skip("creates are bounded by --max-creates on an external target")
    if case.media_type == "multipart/form-data" and isinstance(case.body, dict) and "input_reference" in case.body:
        # schemathesis' built-in file samples are not images of the requested size (shared notes):
        # the explicit image cases of the contract run cover input_reference.
        case.body.pop("input_reference")
    key_header = (contract_options.api_key_header or "authorization").lower()
    failed = judged(contract_judging.spec, contract_judging.rules, recorded(case, case.call(timeout=15), key_header))
    new = [r for r in failed if r.clause.id not in contract_judging.failed]
    if new:
        pytest.fail("\n".join(f"{r.clause.statement}\n" + "\n".join(
            render_evidence(e.clause_id, e.message, field=e.field, received=e.received, expected=e.expected,
                            case=e.case, reproduce=reproduce_line(e.exchange.curl if e.exchange else None))
            for e in r.evidence) for r in new), pytrace=False)
    if failed:
        pytest.skip("reported once, by " + ", ".join(f"test_clause[{r.clause.id}]" for r in failed))
