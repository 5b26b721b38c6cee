"""Recorder.blocked: a clause whose prerequisite failed is neither passed nor failed, and names
the root of its blocking chain."""

from __future__ import annotations

import pytest

from contracts.failures import ContractViolation
from contracts.recorder import Recorder
from contracts.types import Verdict

DELETE = "delete.returns-deletion"
GONE = "delete.then-not-found"
AUTH = "auth.missing-key-rejected"


def _results(rec: Recorder) -> dict:
    return {r.clause.id: r for r in rec.results()}


def test_blocked_when_nothing_of_the_clause_was_checked():
    rec = Recorder()
    rec.failed(ContractViolation(DELETE, "DELETE answered 405", field="status"))
    rec.skipped(GONE, "no key")
    rec.blocked(GONE, by=DELETE)
    rec.blocked(AUTH, by=DELETE, note="no route for DELETE")
    results = _results(rec)
    assert rec.verdict_of(DELETE) is Verdict.FAILED
    assert [(results[c].verdict, results[c].blocked_by, results[c].note) for c in (GONE, AUTH)] == [
        (Verdict.BLOCKED, DELETE, f"blocked: {DELETE} failed"),
        (Verdict.BLOCKED, DELETE, f"blocked: {DELETE} failed (no route for DELETE)"),
    ]
    assert results[DELETE].blocked_by is None


@pytest.mark.parametrize(
    "record, verdict",
    [
        pytest.param(lambda rec: rec.passed(AUTH), Verdict.PASSED, id="checked-elsewhere-passed"),
        pytest.param(lambda rec: rec.failed(ContractViolation(AUTH, "200 without a key")), Verdict.FAILED,
                     id="checked-elsewhere-failed"),
    ],
)
def test_a_clause_checked_on_other_probes_keeps_its_own_verdict(record, verdict):
    """Auth blocked on the route that does not exist, checked on the routes that do."""
    rec = Recorder()
    rec.failed(ContractViolation(DELETE, "DELETE answered 405"))
    rec.blocked(AUTH, by=DELETE, note="no route for DELETE")
    record(rec)
    (result,) = [r for r in rec.results() if r.clause.id == AUTH]
    assert (result.verdict, result.blocked_by) == (verdict, None)


def test_a_chain_names_its_root_and_the_first_call_wins():
    rec = Recorder()
    rec.not_verified("lifecycle.reaches-terminal", "no job finished")
    rec.blocked("content.download", by="lifecycle.reaches-terminal")
    rec.blocked("remix.sets-source", by="content.download")
    rec.blocked("remix.sets-source", by=DELETE)  # ignored: already blocked
    result = _results(rec)["remix.sets-source"]
    assert result.blocked_by == "lifecycle.reaches-terminal"
    assert result.note == "blocked: lifecycle.reaches-terminal not verified"


@pytest.mark.parametrize(
    "calls",
    [pytest.param([(GONE, GONE)], id="itself"), pytest.param([(GONE, DELETE), (DELETE, GONE)], id="cycle")],
)
def test_a_clause_cannot_block_itself(calls):
    rec = Recorder()
    *setup, (clause_id, by) = calls
    for c, b in setup:
        rec.blocked(c, by=b)
    with pytest.raises(ValueError, match="cannot block itself"):
        rec.blocked(clause_id, by=by)


def test_unknown_ids_fail_loudly():
    with pytest.raises(KeyError):
        Recorder().blocked(GONE, by="no.such-clause")
