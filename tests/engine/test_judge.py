"""The judge: how what the checks found, and what the plan said it did not send, become one verdict,
one note and the evidence per clause; and the one place where what blocks what is decided."""

from __future__ import annotations

import pytest

from contracts.cases import NotSent, Planned
from contracts.failures import Blocked, ContractViolation, NotVerifiable, Skipped
from contracts.judge import MAX_EVIDENCE
from contracts.rules import CREATE, DELETE, RETRIEVE
from contracts.types import Verdict
from tests.engine.helpers import ERROR, Harness, case, response, video

CLAUSE = "response.video.schema"


def violation(message: str = "seconds is an integer", clause: str = CLAUSE, **kwargs) -> ContractViolation:
    return ContractViolation(clause, message, field="$.seconds", received=4, expected="a string", **kwargs)


def keep(h: Harness, found, clause: str = CLAUSE) -> None:
    answer = response(200, video())
    answer.case = case(*RETRIEVE)
    h.history.add(answer)
    h.judge._keep((clause, found, answer))


def outcome(h: Harness, clause: str = CLAUSE):
    result = h.finish()[clause]
    return result.verdict, result.checks, result.note


@pytest.mark.parametrize("record, expected", [
    pytest.param(lambda h: None, (Verdict.NOT_VERIFIED, 0, "not exercised by this run"), id="nothing"),
    pytest.param(lambda h: keep(h, None), (Verdict.PASSED, 1, None), id="passed"),
    pytest.param(lambda h: (keep(h, None), keep(h, violation())), (Verdict.FAILED, 2, None),
                 id="one-failure-wins-over-passes"),
    pytest.param(lambda h: h.judge.skip(CLAUSE, "no key"), (Verdict.SKIPPED, 0, "no key"), id="skipped"),
    pytest.param(lambda h: (h.judge.skip(CLAUSE, "excluded"), keep(h, None), keep(h, violation()),
                            keep(h, NotVerifiable("x")), keep(h, Blocked("create.json-accepted")),
                            h.judge.note(NotSent(CLAUSE, "no create"))),
                 (Verdict.SKIPPED, 0, "excluded"), id="a-skipped-clause-is-never-judged"),
    pytest.param(lambda h: keep(h, Skipped("no 429")), (Verdict.SKIPPED, 0, "no 429"), id="skipped-by-a-check"),
    pytest.param(lambda h: keep(h, NotVerifiable("no job completed")), (Verdict.NOT_VERIFIED, 0, "no job completed"),
                 id="not-verified"),
    pytest.param(lambda h: (keep(h, NotVerifiable("one variant missing")), keep(h, None)),
                 (Verdict.PASSED, 1, "partly verified: one variant missing"), id="partly-verified"),
    pytest.param(lambda h: (h.judge.note(Planned(CLAUSE, "2 of 20 planned")), keep(h, None)),
                 (Verdict.PASSED, 1, "2 of 20 planned"), id="passed-with-the-plan-said"),
    pytest.param(lambda h: h.judge.note(Planned(CLAUSE, "2 of 20 planned")),
                 (Verdict.NOT_VERIFIED, 0, "not exercised by this run"), id="a-plan-alone-is-no-pass"),
    pytest.param(lambda h: (h.judge.case_sent(CLAUSE), keep(h, None),
                            h.judge.dropped(CLAUSE, "generated 2", "--max-creates (3) reached")),
                 (Verdict.NOT_VERIFIED, 1, "not verified: 1 of 2 cases sent, --max-creates (3) reached; "
                  "not sent: 'generated 2'"), id="a-planned-case-dropped-is-not-verified"),
    pytest.param(lambda h: h.judge.note(NotSent(CLAUSE, "no create was accepted")),
                 (Verdict.NOT_VERIFIED, 0, "no create was accepted"), id="not-sent-says-why"),
])
def test_a_verdict_from_what_was_found(record, expected):
    harness = Harness()
    record(harness)
    assert outcome(harness) == expected


def test_an_interrupted_run_says_why_a_clause_was_not_reached():
    result = {r.clause.id: r for r in Harness().judge.finish(interrupted="the time budget of 2 s is spent")}[CLAUSE]
    assert (result.verdict, result.note) == (Verdict.NOT_VERIFIED, "not reached: the time budget of 2 s is spent")


def test_evidence_is_kept_up_to_the_cap_and_the_rest_is_counted():
    harness = Harness()
    for index in range(MAX_EVIDENCE + 2):
        keep(harness, violation(f"failure {index}"))
    result = harness.finish()[CLAUSE]
    assert [e.message for e in result.evidence] == [f"failure {i}" for i in range(MAX_EVIDENCE)]
    assert result.note == f"{MAX_EVIDENCE + 2} violations in {MAX_EVIDENCE + 2} checks; the first {MAX_EVIDENCE} are shown"
    assert (result.evidence[0].field, result.evidence[0].received, result.evidence[0].expected) == ("$.seconds", "4",
                                                                                                     "a string")


def test_the_first_failure_notes_how_far_the_run_had_come():
    harness = Harness()
    keep(harness, None)
    keep(harness, violation())
    keep(harness, violation())
    assert harness.finish()[CLAUSE].first_failure["request"] == 2


def test_an_unknown_clause_id_is_a_programming_error():
    with pytest.raises(KeyError, match="unknown clause id 'no.such-clause'"):
        Harness().judge.skip("no.such-clause", "x")


# ---- one answer, one root cause --------------------------------------------------------------------
@pytest.mark.parametrize(("answer", "sent", "fails", "blocked"), [
    pytest.param(response(500, raw=b"Internal Server Error", content_type="text/plain"),
                 case(*CREATE, clause="create.prompt.min-length-accepted", expect="accepted"),
                 "response.not-server-error", {"create.prompt.min-length-accepted", "response.content-type"},
                 id="a-crash-is-one-root-cause"),
    pytest.param(response(403, ERROR), case(*RETRIEVE, auth="sk-wrong", clause="auth.wrong-key-rejected",
                                            expect="unauthorized"),
                 "response.status-documented", {"auth.wrong-key-rejected"},
                 id="an-undocumented-status-of-the-wanted-class"),
    pytest.param(response(200, {**video(), "status": "deleted"}), case(*DELETE, clause="delete.returns-deletion",
                                                                        expect="accepted"),
                 "response.deleted.schema", {"delete.returns-deletion"}, id="a-delete-answering-the-video"),
])
def test_the_most_basic_failure_of_an_answer_blocks_the_others(answer, sent, fails, blocked):
    harness = Harness()
    harness.check(answer, sent)
    results = harness.finish()
    assert [cid for cid, r in results.items() if r.verdict is Verdict.FAILED] == [fails]
    assert {cid: results[cid].blocked_by for cid in blocked} == {cid: fails for cid in blocked}


@pytest.mark.parametrize(("answer", "sent", "failed"), [
    pytest.param(response(422, {"detail": [{"msg": "model is required"}]}),
                 case(*CREATE, clause="create.optional-fields-omittable", expect="accepted"),
                 {"response.status-documented", "create.optional-fields-omittable"},
                 id="a-422-refusal-of-a-valid-create-is-two-defects"),
    pytest.param(response(200, video(size="640x480")),
                 case(*CREATE, clause="create.size.invalid-value-rejected", expect="rejected"),
                 {"response.video.schema", "create.size.invalid-value-rejected"},
                 id="an-invalid-create-accepted-whatever-the-body"),
    pytest.param(response(415, {"detail": "JSON is not supported"}),
                 case(*CREATE, clause="create.json-accepted", expect="accepted"),
                 {"response.error.envelope", "create.json-accepted"}, id="a-refusal-in-the-wrong-envelope"),
])
def test_a_finding_about_the_status_stands_beside_a_body_off_its_schema(answer, sent, failed):
    harness = Harness()
    harness.check(answer, sent)
    assert {cid for cid, r in harness.finish().items() if r.verdict is Verdict.FAILED} == failed


def test_a_finding_explained_by_a_failed_prerequisite_is_blocked_by_it():
    harness = Harness()
    keep(harness, violation("status went back", clause="lifecycle.status-forward"), "lifecycle.status-forward")
    keep(harness, violation("the edit's job went back", clause="edit.result-completes",
                            explained_by="lifecycle.status-forward"), "edit.result-completes")
    result = harness.finish()["edit.result-completes"]
    assert (result.verdict, result.blocked_by) == (Verdict.BLOCKED, "lifecycle.status-forward")


def test_a_finding_whose_prerequisite_passed_stands():
    harness = Harness()
    keep(harness, None, "lifecycle.status-forward")
    keep(harness, violation("the edit's job went back", clause="edit.result-completes",
                            explained_by="lifecycle.status-forward"), "edit.result-completes")
    assert harness.finish()["edit.result-completes"].verdict is Verdict.FAILED


def test_a_clause_nothing_judged_is_blocked_by_its_failed_prerequisite():
    harness = Harness()
    keep(harness, violation("no create", clause="create.json-accepted"), "create.json-accepted")
    keep(harness, violation("no create", clause="create.multipart-accepted"), "create.multipart-accepted")
    result = harness.finish()["lifecycle.status-forward"]
    assert (result.verdict, result.blocked_by) == (Verdict.BLOCKED, "create.json-accepted")


def test_a_case_not_sent_because_of_a_failure_is_blocked_by_it():
    harness = Harness()
    keep(harness, violation("max refused", clause="create.prompt.max-length-accepted"),
         "create.prompt.max-length-accepted")
    harness.judge.note(NotSent("create.prompt.multibyte-max-length-accepted", "the ASCII prompt was refused",
                               blocked_by="create.prompt.max-length-accepted"))
    result = harness.finish()["create.prompt.multibyte-max-length-accepted"]
    assert (result.verdict, result.blocked_by) == (Verdict.BLOCKED, "create.prompt.max-length-accepted")
    assert result.note == "blocked: create.prompt.max-length-accepted failed (the ASCII prompt was refused)"


def test_a_block_chain_names_its_root_and_refuses_a_cycle():
    harness = Harness()
    keep(harness, NotVerifiable("no job finished"), "lifecycle.reaches-terminal")
    keep(harness, Blocked("lifecycle.reaches-terminal"), "content.download")
    keep(harness, Blocked("content.download"), "remix.sets-source")
    keep(harness, Blocked("remix.sets-source"), "content.download")  # would close a cycle: refused
    results = harness.judge.results()
    remix = next(r for r in results if r.clause.id == "remix.sets-source")
    assert (remix.blocked_by, remix.note) == ("lifecycle.reaches-terminal",
                                              "blocked: lifecycle.reaches-terminal not verified")


def test_a_clause_checked_on_other_answers_keeps_its_own_verdict():
    harness = Harness()
    keep(harness, Blocked("delete.returns-deletion", "no route for DELETE"), "auth.missing-key-rejected")
    keep(harness, None, "auth.missing-key-rejected")
    assert harness.finish()["auth.missing-key-rejected"].verdict is Verdict.PASSED


def test_a_snapshot_finishes_apart_from_the_judge_that_goes_on():
    harness = Harness()
    keep(harness, None)
    twin = harness.judge.snapshot()
    assert {r.clause.id: r.verdict for r in twin.finish()}[CLAUSE] is Verdict.PASSED
    keep(harness, violation())  # the judge goes on; the snapshot's findings stay as they were
    assert harness.finish()[CLAUSE].verdict is Verdict.FAILED
