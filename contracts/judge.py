"""The judge: every clause's verdict comes from here, and only from here.

It runs the registered checks (``contracts.checks``) on each answer as it is recorded, and the
end-of-run checks once the record is complete, and keeps what they found per clause. What blocks
what is decided in one place, from the clause catalogue (``contracts.clauses``):

- on one answer, the first of the basic clauses (``clauses.BASIC``: no complete answer, no route,
  a 5xx, an undocumented status, a wrong Content-Type, a body off its schema) that failed blocks
  the failure of every clause after it: one answer is one root cause;
- a finding that names the prerequisite explaining it (``ContractViolation.explained_by``: the same
  defect of every job, the answer to any missing id) is blocked by that prerequisite when it failed;
- a clause nothing judged is blocked by its first failed prerequisite, else not verified, with the
  reason the plan gave for not sending its case (``NotSent``), else "not exercised".

The plan tells the judge facts, never verdicts: a case sent or dropped under the create cap, a case
not sent and why, a share of cases planned, a clause skipped (not offered).
"""

from __future__ import annotations

from collections.abc import Iterable
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import time

from contracts import clauses
from contracts.cases import NotSent, Planned
from contracts.checks import CheckContext, Judging, Outcome, run_checks, run_end_checks
from contracts.failures import Blocked, ContractViolation, NotVerifiable, Skipped
from contracts.types import ClauseResult, Evidence, Verdict

if TYPE_CHECKING:
    from contracts.client import Response
    from contracts.history import History
    from contracts.rules import Rules
    from contracts.spec import Spec

MAX_EVIDENCE = 3  # per clause: enough to act on, small enough to read
# Findings kept per clause and per explaining prerequisite: the first ones (a proxy's clause may fail on
# every one of thousands of answers); the others are counted. Whether a clause failed, and what explains
# it, is decided from one finding of each kind: the count keeps the note's totals exact.
MAX_FINDINGS = 20
NOT_EXERCISED = {False: "not exercised by this run", True: "not exercised by the traffic"}  # by Judging.live
# Answers waited out or retried (back-pressure: a 429, a 503 while busy) are judged only as that.
# (create.queued-while-busy: a create refused while busy is back-pressure, and what that clause is about)
BACK_PRESSURE_CLAUSES = frozenset({"response.rate-limit.retry-after", "create.queued-while-busy"})


@dataclass
class _Finding:
    violation: ContractViolation
    answer: "Response | None"
    exchange: Any = None  # the answer's exchange as judged (a long record slims older answers' own)

    def __post_init__(self) -> None:
        if self.exchange is None and self.answer is not None:
            self.exchange = self.answer.exchange


@dataclass
class _Clause:
    passes: int = 0
    violations: list[_Finding] = field(default_factory=list)
    overflow: dict[str | None, int] = field(default_factory=dict)  # explained_by -> findings beyond MAX_FINDINGS
    blocked_by: str | None = None  # the first clause found blocking it
    blocked_reason: str | None = None
    not_verified: str | None = None
    skipped: str | None = None
    unsent: list[tuple[str, str | None]] = field(default_factory=list)  # (why its case was not sent, blocked by)
    cases_sent: int = 0  # cases planned for this clause that were sent
    dropped: list[str] = field(default_factory=list)  # names of planned cases not sent (the create cap)
    drop_reason: str | None = None
    plan_note: str | None = None  # what the plan chose to send for it (a budget's share)

    @property
    def found(self) -> int:
        """Its findings: those kept as evidence and those only counted (``overflow``)."""
        return len(self.violations) + sum(self.overflow.values())


class Judge:
    def __init__(self, spec: "Spec", rules: "Rules", history: "History", judging: Judging = Judging(),
                 started: float = 0.0) -> None:
        self.context = CheckContext(spec, rules, history, judging)
        self.history = history
        self.started = started  # monotonic: first failures are timed from here
        self._clauses: dict[str, _Clause] = {cid: _Clause() for cid in clauses.CLAUSES}
        self._basic_failure: dict[int, str] = {}  # answer seq -> the most basic clause it failed

    # ---- judging ---------------------------------------------------------------------------------
    def judge(self, answer: "Response") -> list[Outcome]:
        """Run every check on a recorded answer, and keep what they found. A clause that one check
        of this answer found broken, or blocked, is not passed by another check of the same answer."""
        outcomes = run_checks(self.context.on(answer.case), answer)
        if answer.superseded:
            outcomes = [o for o in outcomes if o[0] in BACK_PRESSURE_CLAUSES]
        basics = [cid for cid, found, _ in outcomes if isinstance(found, ContractViolation) and cid in clauses.BASIC]
        if basics:
            self._basic_failure[answer.seq] = min(basics, key=clauses.basic_rank)
        found_here = {self._keep(outcome) for outcome in outcomes if outcome[1] is not None}
        for outcome in outcomes:
            if outcome[1] is None and outcome[0] not in found_here:
                self._keep(outcome)
        return outcomes

    def _keep(self, outcome: Outcome) -> str:
        """Keep one finding (or pass); returns the clause it concerns."""
        clause_id, found, answer = outcome
        if isinstance(found, ContractViolation):
            clause_id = found.clause_id
        state = self._get(clause_id)
        if state.skipped and not isinstance(found, Skipped):
            return clause_id  # does not apply to this run: never judged
        if found is None:
            state.passes += 1
        elif isinstance(found, ContractViolation):
            shown = found.shown_by or answer
            basic = self._basic_failure.get(getattr(shown, "seq", 0))
            if basic is not None and clauses.basic_rank(basic) < clauses.basic_rank(clause_id) \
                    and self._explains(basic, found, shown):
                # One answer, one root cause: the more basic clause that failed on it says it.
                case = getattr(shown.case, "name", None)
                self._block(clause_id, basic, f"on '{case}'" if case else None)
            else:
                self._add_finding(state, _Finding(found, shown))
        elif isinstance(found, Blocked):
            self._block(clause_id, found.by, found.note)
        elif isinstance(found, Skipped):
            state.skipped = state.skipped or str(found)
        elif isinstance(found, NotVerifiable):
            state.not_verified = state.not_verified or str(found)
        return clause_id

    @staticmethod
    def _add_finding(state: _Clause, finding: _Finding) -> None:
        by = finding.violation.explained_by
        if sum(1 for f in state.violations if f.violation.explained_by == by) >= MAX_FINDINGS:
            state.overflow[by] = state.overflow.get(by, 0) + 1
        else:
            state.violations.append(finding)

    def _explains(self, basic: str, finding: ContractViolation, answer: "Response") -> bool:
        """Whether the basic clause that failed on ``answer`` is the root cause of ``finding`` too.
        A body that cannot be judged says nothing of the status; an undocumented status explains a
        finding about the status only when a documented status of the same class would have been the
        answer wanted (a 403 where 401 was wanted: one defect; a 422 where 200 was wanted: two)."""
        if finding.field != "status":
            return True
        if basic in clauses.BODY_BASIC:
            return False
        if basic == "response.status-documented" and finding.wanted and answer.case is not None \
                and answer.case.operation is not None:
            from contracts.checks.expectations import wanted

            documented = [int(s) for s in self.context.spec.documented_statuses(*answer.case.operation) if s.isdigit()]
            return any(wanted(finding.wanted, s) for s in documented if s // 100 == answer.status // 100)
        return True

    def _get(self, clause_id: str) -> _Clause:
        clauses.get(clause_id)  # unknown ids are programming errors: fail loudly
        return self._clauses[clause_id]

    def _block(self, clause_id: str, by: str, note: str | None = None) -> None:
        """The first block wins; ``by`` may itself be blocked (results name the root); a block that
        would close a cycle is refused."""
        self._get(by)
        chain, link = [by], self._clauses[by].blocked_by
        while link is not None and link not in chain:
            chain.append(link)
            link = self._clauses[link].blocked_by
        if clause_id in chain:
            return
        state = self._get(clause_id)
        if state.blocked_by is None:
            state.blocked_by, state.blocked_reason = by, note

    # ---- what the plan tells -----------------------------------------------------------------------
    def case_sent(self, clause_id: str) -> None:
        self._get(clause_id).cases_sent += 1

    def dropped(self, clause_id: str, case_name: str, reason: str) -> None:
        """A case planned for ``clause_id`` was not sent (the create cap): it cannot pass (it may fail)."""
        state = self._get(clause_id)
        state.dropped.append(case_name)
        state.drop_reason = state.drop_reason or reason

    def note(self, fact: NotSent | Planned) -> None:
        if isinstance(fact, Planned):
            self._get(fact.clause).plan_note = fact.note
        else:
            self._get(fact.clause).unsent.append((fact.reason, fact.blocked_by))

    def skip(self, clause_id: str, note: str) -> None:
        """Does not apply to this run (an operation not offered): never judged."""
        self._get(clause_id).skipped = note

    # ---- what the plan may read ----------------------------------------------------------------------
    def failed(self, clause_id: str) -> bool:
        """Whether ``clause_id`` has a finding so far that nothing more basic explains."""
        return bool(self._get(clause_id).violations)

    def failed_prerequisite(self, clause_id: str) -> str | None:
        """The first of ``clause_id``'s prerequisites (clauses.REQUIRES) that failed, if any."""
        return next((cid for cid in clauses.requires(clause_id) if self._failed_for_good(cid)), None)

    def tally(self) -> tuple[int, int]:
        """(clauses judged so far, clauses with a finding so far), for a live view."""
        judged = sum(1 for state in self._clauses.values() if state.passes or state.violations)
        return judged, sum(1 for state in self._clauses.values() if state.violations)

    def snapshot(self) -> "Judge":
        """A copy to finish while this judge goes on judging (a proxy's report, refreshed as traffic
        comes): its findings so far, copied, sharing the record and the answers."""
        import copy

        twin = copy.copy(self)
        twin._clauses = {cid: dataclasses.replace(state, violations=list(state.violations), unsent=list(state.unsent),
                                                  dropped=list(state.dropped), overflow=dict(state.overflow))
                         for cid, state in self._clauses.items()}
        twin._basic_failure = dict(self._basic_failure)
        return twin

    # ---- a long record (a proxy's) ----------------------------------------------------------------------
    def settle(self, up_to: int) -> None:
        """Before the record evicts its answers up to seq ``up_to`` (``History.evict``): keep what the
        end-of-run checks say of those answers now, as they will never be judged again; what they say
        of later answers, or of no answer, is left to later (``finish``)."""
        for outcome in run_end_checks(self.context):
            answer = outcome[2]
            if answer is not None and answer.seq <= up_to:
                self._keep(outcome)

    def forget(self, up_to: int) -> None:
        """Drop what the judge keeps per answer for the answers up to seq ``up_to`` (evicted)."""
        self._basic_failure = {seq: cid for seq, cid in self._basic_failure.items() if seq > up_to}

    # ---- the end --------------------------------------------------------------------------------------
    def finish(self, *, interrupted: str | None = None, profile_changed: frozenset[str] = frozenset(),
               end_checks: bool = True) -> list[ClauseResult]:
        """Run the end-of-run checks (not on an interrupted run: its record is not complete), decide
        what was explained or left unjudged, and give every clause its result."""
        if end_checks and not interrupted:
            for outcome in run_end_checks(self.context):
                self._keep(outcome)
        self._explain()
        if not interrupted:
            self._unexercised()
        return self.results(interrupted=interrupted, profile_changed=profile_changed)

    def results(self, *, interrupted: str | None = None,
                profile_changed: frozenset[str] = frozenset()) -> list[ClauseResult]:
        """Every clause's result as it stands (``finish`` first settles what the end decides)."""
        return [self._result(cid, clause, interrupted, profile_changed) for cid, clause in clauses.CLAUSES.items()]

    def _failed_for_good(self, clause_id: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Failed, counting only findings that no failed prerequisite explains."""
        state = self._get(clause_id)
        for finding in state.violations:
            by = finding.violation.explained_by
            if by is None or by in _seen or not self._failed_for_good(by, _seen | {clause_id}):
                return True
        return False

    def _explain(self) -> None:
        """Findings whose explaining prerequisite failed become blocks by it (one defect, said once)."""
        verdicts = {cid: self._failed_for_good(cid) for cid in self._clauses}
        for cid, state in self._clauses.items():
            kept = []
            for finding in state.violations:
                by = finding.violation.explained_by
                if by is not None and verdicts.get(by):
                    self._block(cid, by, finding.violation.message)
                else:
                    kept.append(finding)
            state.violations = kept
            state.overflow = {by: n for by, n in state.overflow.items() if not (by is not None and verdicts.get(by))}

    def _unexercised(self) -> None:
        """A clause nothing judged is blocked by its failed prerequisite, else not verified, with the
        plan's reason for not sending its case; a clause whose case was not sent says why."""
        for cid, state in self._clauses.items():
            if state.skipped:
                continue
            for reason, by in state.unsent:
                cause = by if by is not None and self._unmet(by) else self._unmet_prerequisite(cid)
                if cause is not None:
                    self._block(cid, cause, reason)
                else:
                    state.not_verified = state.not_verified or reason
            judged = state.passes or state.violations or state.blocked_by or state.skipped or state.not_verified
            if not judged:
                cause = self._unmet_prerequisite(cid)
                if cause is not None:
                    self._block(cid, cause, "not exercised")

    def _unmet(self, clause_id: str) -> bool:
        """Failed, or blocked by what failed (a prerequisite that could not be judged blocks too)."""
        return self.verdict_of(clause_id) in (Verdict.FAILED, Verdict.BLOCKED)

    def _unmet_prerequisite(self, clause_id: str) -> str | None:
        return next((cid for cid in clauses.requires(clause_id) if self._unmet(cid)), None)

    def verdict_of(self, clause_id: str) -> Verdict:
        state = self._get(clause_id)
        if state.skipped:
            return Verdict.SKIPPED  # does not apply (not offered, excluded, no key): never judged
        if state.violations:
            return Verdict.FAILED
        if state.dropped and (state.passes or state.blocked_by is None):
            return Verdict.NOT_VERIFIED  # honest coverage: a clause passes only when every planned case ran
        if state.passes:
            return Verdict.PASSED
        if state.blocked_by is not None:
            return Verdict.BLOCKED
        return Verdict.NOT_VERIFIED

    def root_cause(self, clause_id: str) -> str | None:
        """The clause at the root of ``clause_id``'s blocking chain, or None if it is not blocked."""
        root, seen = self._get(clause_id).blocked_by, {clause_id}
        while root is not None and root not in seen and self.verdict_of(root) is Verdict.BLOCKED:
            seen.add(root)
            root = self._clauses[root].blocked_by
        return root

    def _result(self, cid: str, clause: Any, interrupted: str | None, profile_changed: frozenset[str]) -> ClauseResult:
        state = self._clauses[cid]
        verdict = self.verdict_of(cid)
        note = None
        root = self.root_cause(cid) if verdict is Verdict.BLOCKED else None
        if verdict is Verdict.BLOCKED:
            note = f"blocked: {root} {self.verdict_of(root).value.replace('_', ' ')}"
            if state.blocked_reason:
                note += f" ({state.blocked_reason})"
        elif verdict is Verdict.FAILED and state.found > MAX_EVIDENCE:
            note = f"{state.found} violations in {state.passes + state.found} checks; the first {MAX_EVIDENCE} are shown"
        elif verdict is Verdict.SKIPPED:
            note = state.skipped
        elif verdict is Verdict.NOT_VERIFIED and state.dropped:
            note = coverage_note(state)
        elif verdict is Verdict.NOT_VERIFIED:
            note = state.not_verified or (f"not reached: {interrupted}" if interrupted
                                          else NOT_EXERCISED[self.context.judging.live])
        elif state.not_verified:
            note = f"partly verified: {state.not_verified}"
        elif verdict is Verdict.PASSED:
            note = state.plan_note
        ordered = sorted(state.violations, key=lambda f: getattr(f.answer, "seq", 1 << 30))
        first = ordered[0].answer if ordered else None
        return ClauseResult(clause=clause, verdict=verdict, evidence=[_evidence(f) for f in ordered[:MAX_EVIDENCE]],
                            checks=state.passes + state.found, note=note,
                            profile_changed=cid in profile_changed,
                            first_failure=self._timed(first) if ordered else None, blocked_by=root)

    def _timed(self, answer: "Response | None") -> dict[str, Any]:
        if answer is None:
            return {"request": len(self.history), "seconds": round(time.monotonic() - self.started, 3)}
        return {"request": answer.seq, "seconds": round(max(0.0, answer.sent_at - self.started), 3)}


def _evidence(finding: _Finding) -> Evidence:
    violation, answer = finding.violation, finding.answer
    return Evidence(clause_id=violation.clause_id, message=violation.message, field=violation.field,
                    expected=violation.expected, received=violation.received,
                    case=answer.case.name if answer is not None and answer.case is not None else None,
                    exchange=finding.exchange)


def coverage_note(state: _Clause) -> str:
    """e.g. "not verified: 1 of 2 cases sent, --max-creates (12) reached; not sent: 'create ...'"."""
    planned = state.cases_sent + len(state.dropped)
    names = ", ".join(f"'{name}'" for name in state.dropped[:2]) + (" ..." if len(state.dropped) > 2 else "")
    return f"not verified: {state.cases_sent} of {planned} cases sent, {state.drop_reason}; not sent: {names}"


def judge_all(judge: Judge, answers: Iterable["Response"]) -> None:
    """Judge answers recorded elsewhere (a proxy's, a test's), in order."""
    for answer in answers:
        judge.judge(answer)
