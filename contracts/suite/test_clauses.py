"""One test per clause of the catalogue, decided by one conformance run against the target.

``pytest tests/contract --base-url URL`` checks another server; without it, the embedded one.
"""

from __future__ import annotations

import pytest

from contracts.clauses import CLAUSES
from contracts.failures import render_evidence, reproduce_line
from contracts.types import Verdict

pytestmark = pytest.mark.contract


def _describe(evidence) -> str:
    curl = evidence.exchange.curl if evidence.exchange is not None else None
    return render_evidence(evidence.clause_id, evidence.message, field=evidence.field, received=evidence.received,
                           expected=evidence.expected, case=evidence.case, reproduce=reproduce_line(curl))


@pytest.mark.parametrize("clause_id", list(CLAUSES))
def test_clause(contract_run, clause_id: str) -> None:
    result = next(r for r in contract_run.results if r.clause.id == clause_id)
    if result.verdict is Verdict.FAILED:
        pytest.fail(f"{result.clause.statement}\n" + "\n".join(_describe(e) for e in result.evidence), pytrace=False)
    if result.verdict is Verdict.BLOCKED:
        pytest.skip(result.note or f"blocked: {result.blocked_by} failed")  # its root cause fails on its own
    if result.verdict is Verdict.NOT_VERIFIED and contract_run.options.get("strict"):
        pytest.fail(f"not verified (--contract-strict: it fails the run): {result.note}", pytrace=False)
    if result.verdict in (Verdict.SKIPPED, Verdict.NOT_VERIFIED):
        pytest.skip(f"{result.verdict.value}: {result.note}")
