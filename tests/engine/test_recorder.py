"""The recorder: how what the checks found becomes one verdict, one note and the evidence per clause."""

from __future__ import annotations

import pytest

from contracts.failures import CaseDropped, ContractViolation, NotVerifiable
from contracts.recorder import MAX_EVIDENCE, Recorder
from contracts.types import Verdict

CLAUSE = "response.video.schema"


def violation(message: str = "seconds is an integer") -> ContractViolation:
    return ContractViolation(CLAUSE, message, field="$.seconds", received=4, expected="a string")


def outcome(rec: Recorder):
    result = next(r for r in rec.results() if r.clause.id == CLAUSE)
    return result.verdict, result.checks, result.note


@pytest.mark.parametrize(
    "record, expected",
    [
        pytest.param(lambda rec: None, (Verdict.NOT_VERIFIED, 0, "not exercised by this run"), id="nothing"),
        pytest.param(lambda rec: rec.passed(CLAUSE), (Verdict.PASSED, 1, None), id="passed"),
        pytest.param(lambda rec: (rec.passed(CLAUSE), rec.failed(violation())), (Verdict.FAILED, 2, None),
                     id="one-failure-wins-over-passes"),
        pytest.param(lambda rec: rec.skipped(CLAUSE, "no key"), (Verdict.SKIPPED, 0, "no key"), id="skipped"),
        pytest.param(lambda rec: rec.not_verified(CLAUSE, "no job completed"),
                     (Verdict.NOT_VERIFIED, 0, "no job completed"), id="not-verified"),
        pytest.param(lambda rec: (rec.not_verified(CLAUSE, "one variant missing"), rec.passed(CLAUSE)),
                     (Verdict.PASSED, 1, "partly verified: one variant missing"), id="partly-verified"),
        pytest.param(lambda rec: (rec.planned(CLAUSE, "2 of 20 planned"), rec.passed(CLAUSE)),
                     (Verdict.PASSED, 1, "2 of 20 planned"), id="passed-with-the-plan-said"),
        pytest.param(lambda rec: rec.planned(CLAUSE, "2 of 20 planned"),
                     (Verdict.NOT_VERIFIED, 0, "not exercised by this run"), id="a-plan-alone-is-no-pass"),
        pytest.param(lambda rec: (rec.planned(CLAUSE, "2 of 20 planned"), rec.case_sent(CLAUSE), rec.passed(CLAUSE),
                                  rec.dropped(CLAUSE, CaseDropped("generated 2", "--max-creates (3) reached"))),
                     (Verdict.NOT_VERIFIED, 1, "not verified: 1 of 2 cases sent, --max-creates (3) reached; "
                      "not sent: 'generated 2'"), id="a-planned-case-dropped-is-not-verified"),
        pytest.param(lambda rec: (rec.exclude(CLAUSE, "excluded"), rec.passed(CLAUSE), rec.failed(violation()),
                                  rec.not_verified(CLAUSE, "x"), rec.blocked(CLAUSE, "create.json-accepted")),
                     (Verdict.SKIPPED, 0, "excluded"), id="an-excluded-clause-is-never-judged"),
    ],
)
def test_a_verdict_from_what_was_recorded(record, expected):
    rec = Recorder()
    record(rec)
    assert outcome(rec) == expected


def test_an_interrupted_run_says_why_a_clause_was_not_reached():
    result = next(r for r in Recorder().results("the time budget of 2 s is spent") if r.clause.id == CLAUSE)
    assert (result.verdict, result.note) == (Verdict.NOT_VERIFIED, "not reached: the time budget of 2 s is spent")


@pytest.mark.parametrize(
    "raised, expected",
    [
        pytest.param(None, Verdict.PASSED, id="nothing-raised-passes"),
        pytest.param(violation(), Verdict.FAILED, id="violation-fails"),
        pytest.param(NotVerifiable("every job failed"), Verdict.NOT_VERIFIED, id="not-verifiable"),
    ],
)
def test_the_clause_block_turns_what_it_raises_into_a_verdict(raised, expected):
    rec = Recorder()
    with rec.clause(CLAUSE):
        if raised is not None:
            raise raised
    assert rec.verdict_of(CLAUSE) is expected


def test_evidence_is_kept_up_to_the_cap_and_the_rest_is_counted():
    rec = Recorder()
    for index in range(MAX_EVIDENCE + 2):
        rec.failed(violation(f"failure {index}"))
    result = next(r for r in rec.results() if r.clause.id == CLAUSE)
    assert [e.message for e in result.evidence] == [f"failure {i}" for i in range(MAX_EVIDENCE)]
    assert result.note == f"{MAX_EVIDENCE + 2} violations in {MAX_EVIDENCE + 2} checks; the first {MAX_EVIDENCE} are shown"
    assert (result.evidence[0].field, result.evidence[0].received, result.evidence[0].expected) == ("$.seconds", "4",
                                                                                                     "a string")


def test_the_first_failure_notes_how_far_the_run_had_come():
    progress = iter([(7, 0.25), (9, 0.5)])
    rec = Recorder(probe=lambda: next(progress))
    rec.failed(violation())
    rec.failed(violation())
    assert next(r for r in rec.results() if r.clause.id == CLAUSE).first_failure == {"request": 7, "seconds": 0.25}


def test_an_unknown_clause_id_is_a_programming_error():
    with pytest.raises(KeyError, match="unknown clause id 'no.such-clause'"):
        Recorder().passed("no.such-clause")
