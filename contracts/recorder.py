"""Verdicts per clause, accumulated as the run goes, and the coverage of what was exercised."""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from contracts import clauses
from contracts.failures import Blocked, CaseDropped, ContractViolation, NotVerifiable
from contracts.types import ClauseResult, Evidence, Verdict

if TYPE_CHECKING:
    from contracts.cases import Case
    from contracts.checks import Outcome
    from contracts.client import Response

MAX_EVIDENCE = 3  # per clause: enough to act on, small enough to read


@dataclass
class _State:
    checks: int = 0
    failures: int = 0
    first_failure: dict | None = None
    evidence: list[Evidence] = field(default_factory=list)
    not_verified: str | None = None
    skipped: str | None = None
    blocked_by: str | None = None  # the prerequisite clause whose failure blocks this one
    blocked_reason: str | None = None
    cases_sent: int = 0  # cases planned for this clause that were sent
    dropped: list[str] = field(default_factory=list)  # names of planned cases that were not sent
    drop_reason: str | None = None
    plan_note: str | None = None  # what the plan chose to send for this clause (e.g. the job budget's share)
    excluded: bool = False  # left out by --include/--exclude (or needs a clause that is): never judged


class Recorder:
    def __init__(self, probe: "Callable[[], tuple[int, float]] | None" = None) -> None:
        """``probe`` tells (requests sent, seconds elapsed): noted at each clause's first failure,
        so that reports say how fast a deviation is caught."""
        self._state: dict[str, _State] = {cid: _State() for cid in clauses.CLAUSES}
        self._probe = probe

    def _get(self, clause_id: str) -> _State:
        clauses.get(clause_id)  # unknown ids are programming errors: fail loudly
        return self._state[clause_id]

    def _judged(self, clause_id: str) -> _State:
        """The state to record a finding in; a scratch one for an excluded clause (never judged)."""
        state = self._get(clause_id)
        return _State() if state.excluded else state

    def exclude(self, clause_id: str, note: str) -> None:
        """``clause_id`` is not judged this run (contracts/selection.py): skipped with ``note``, whatever
        the requests sent for other clauses show about it."""
        state = self._get(clause_id)
        state.excluded, state.skipped = True, note

    def passed(self, clause_id: str) -> None:
        self._judged(clause_id).checks += 1

    def checked(self, outcomes: "list[Outcome]", case: "Case", response: "Response") -> None:
        """Record what the response checks found (``checks.run_checks``): a pass, a violation or a block each."""
        for clause_id, found in outcomes:
            if isinstance(found, ContractViolation):
                self.failed(found, case, response)
            elif isinstance(found, Blocked):
                self.blocked(clause_id, found.by, found.note)
            else:
                self.passed(clause_id)

    def failed(self, violation: ContractViolation, case: "Case | None" = None, response: "Response | None" = None) -> None:
        state = self._judged(violation.clause_id)
        state.checks += 1
        state.failures += 1
        if state.first_failure is None and self._probe is not None:
            requests, seconds = self._probe()
            state.first_failure = {"request": requests, "seconds": round(seconds, 3)}
        if len(state.evidence) < MAX_EVIDENCE:
            state.evidence.append(
                Evidence(
                    clause_id=violation.clause_id,
                    message=violation.message,
                    field=violation.field,
                    expected=violation.expected,
                    received=violation.received,
                    case=case.name if case else None,
                    exchange=response.exchange if response is not None else None,
                )
            )

    def not_verified(self, clause_id: str, note: str) -> None:
        state = self._judged(clause_id)
        state.not_verified = state.not_verified or note

    def planned(self, clause_id: str, note: str) -> None:
        """The plan sends fewer cases for ``clause_id`` than it could (a budget): said beside its verdict.
        Unlike ``not_verified``, this is not a gap: every case planned still has to run for it to pass."""
        self._judged(clause_id).plan_note = note

    def case_sent(self, clause_id: str) -> None:
        """A case planned for ``clause_id`` was sent (counted for the coverage note)."""
        self._judged(clause_id).cases_sent += 1

    def dropped(self, clause_id: str, dropped: CaseDropped) -> None:
        """A case planned for ``clause_id`` was not sent: the clause cannot pass (it may still fail)."""
        state = self._judged(clause_id)
        state.dropped.append(dropped.case_name)
        state.drop_reason = state.drop_reason or dropped.reason

    def skipped(self, clause_id: str, note: str) -> None:
        self._get(clause_id).skipped = note

    def blocked(self, clause_id: str, by: str, note: str | None = None) -> None:
        """Mark ``clause_id`` blocked by the clause ``by`` (its prerequisite, which failed). It may be
        called for one probe of a clause: the verdict is BLOCKED only if nothing of the clause was
        checked (FAILED > PASSED > BLOCKED > SKIPPED / NOT_VERIFIED). ``by`` may itself be blocked:
        results name the root of the chain. The first call wins."""
        self._get(by)
        state = self._judged(clause_id)
        chain, link = [by], self._state[by].blocked_by
        while link is not None:
            chain.append(link)
            link = self._state[link].blocked_by
        if clause_id in chain:
            raise ValueError(f"clause {clause_id!r} cannot block itself (through {by!r})")
        if state.blocked_by is None:
            state.blocked_by, state.blocked_reason = by, note

    def root_cause(self, clause_id: str) -> str | None:
        """The clause at the root of ``clause_id``'s blocking chain, or None if it is not blocked."""
        root = self._get(clause_id).blocked_by
        while root is not None and self.verdict_of(root) is Verdict.BLOCKED:
            root = self._state[root].blocked_by  # ends: blocked() refuses to close a cycle
        return root

    def has_failed(self, clause_id: str) -> bool:
        return self._get(clause_id).failures > 0

    def failed_prerequisite(self, clause_id: str) -> str | None:
        """The first of ``clause_id``'s prerequisites (clauses.REQUIRES) that failed, if any."""
        return next((cid for cid in clauses.requires(clause_id) if self._state[cid].failures), None)

    def block_unexercised(self) -> None:
        """At the end of a run: a clause nothing exercised, whose prerequisite failed, is blocked by
        it (e.g. every Video clause when no create was accepted), not merely "not verified"."""
        for cid, state in self._state.items():
            if not (state.checks or state.blocked_by or state.skipped or state.not_verified):
                cause = self.failed_prerequisite(cid)
                if cause:
                    self.blocked(cid, cause, "not exercised")

    def unmet(self, clause_id: str, note: str) -> None:
        """What ``clause_id`` needs is missing: blocked by its failed prerequisite when one failed
        (the root cause, said once), else not verified with ``note``."""
        cause = self.failed_prerequisite(clause_id)
        if cause:
            self.blocked(clause_id, cause, note)
        else:
            self.not_verified(clause_id, note)

    @contextlib.contextmanager
    def clause(self, clause_id: str, case: "Case | None" = None, response: "Response | None" = None) -> Iterator[None]:
        """Evaluate ``clause_id``: a ContractViolation fails it, Blocked or NotVerifiable marks it,
        else it passes."""
        try:
            yield
        except ContractViolation as violation:
            self.failed(violation, case, response)
        except Blocked as blocked:
            self.blocked(clause_id, blocked.by, blocked.note)
        except CaseDropped as dropped:
            self.dropped(clause_id, dropped)
        except NotVerifiable as reason:
            self.not_verified(clause_id, str(reason))
        else:
            self.passed(clause_id)

    def verdict_of(self, clause_id: str) -> Verdict:
        state = self._get(clause_id)
        if state.excluded:
            return Verdict.SKIPPED
        if state.failures:
            return Verdict.FAILED
        if state.dropped and (state.checks or state.blocked_by is None):
            return Verdict.NOT_VERIFIED  # honest coverage: a clause passes only when every planned case ran
        if state.checks:
            return Verdict.PASSED
        if state.blocked_by is not None:
            return Verdict.BLOCKED
        return Verdict.SKIPPED if state.skipped else Verdict.NOT_VERIFIED

    def results(self, interrupted: str | None = None, profile_changed: frozenset[str] = frozenset()) -> list[ClauseResult]:
        out = []
        for cid, clause in clauses.CLAUSES.items():
            state = self._state[cid]
            verdict = self.verdict_of(cid)
            note = None
            root = self.root_cause(cid) if verdict is Verdict.BLOCKED else None
            if verdict is Verdict.BLOCKED:
                note = f"blocked: {root} {self.verdict_of(root).value.replace('_', ' ')}"
                if state.blocked_reason:
                    note += f" ({state.blocked_reason})"
            elif verdict is Verdict.FAILED and state.failures > len(state.evidence):
                note = f"{state.failures} violations in {state.checks} checks; the first {len(state.evidence)} are shown"
            elif verdict is Verdict.SKIPPED:
                note = state.skipped
            elif verdict is Verdict.NOT_VERIFIED and state.dropped:
                note = coverage_note(state)
            elif verdict is Verdict.NOT_VERIFIED:
                note = state.not_verified or (f"not reached: {interrupted}" if interrupted else "not exercised by this run")
            elif state.not_verified:
                note = f"partly verified: {state.not_verified}"
            elif verdict is Verdict.PASSED:
                note = state.plan_note
            out.append(ClauseResult(clause=clause, verdict=verdict, evidence=list(state.evidence), checks=state.checks,
                                    note=note, profile_changed=cid in profile_changed,
                                    first_failure=state.first_failure, blocked_by=root))
        return out


def coverage_note(state: _State) -> str:
    """e.g. "not verified: 1 of 2 cases sent, --max-creates (12) reached; not sent: 'create ...'"."""
    planned = state.cases_sent + len(state.dropped)
    names = ", ".join(f"'{name}'" for name in state.dropped[:2]) + (" ..." if len(state.dropped) > 2 else "")
    return f"not verified: {state.cases_sent} of {planned} cases sent, {state.drop_reason}; not sent: {names}"


class Coverage:
    """Which boundaries and enum values were actually exercised, by encoding."""

    def __init__(self) -> None:
        self.boundaries: dict[str, set[int]] = defaultdict(set)
        self.enums: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        self.generated: Counter = Counter()
        self.operations: Counter = Counter()

    def boundary(self, name: str, value: int) -> None:
        self.boundaries[name].add(value)

    def enum(self, name: str, value: str, encoding: str) -> None:
        self.enums[name][encoding][value] += 1

    def as_dict(self) -> dict:
        return {
            "boundaries": {k: sorted(v) for k, v in sorted(self.boundaries.items())},
            "enums": {name: {enc: dict(sorted(values.items())) for enc, values in sorted(by_enc.items())}
                      for name, by_enc in sorted(self.enums.items())},
            "generated": dict(self.generated),
            "operations": dict(sorted(self.operations.items())),
        }
