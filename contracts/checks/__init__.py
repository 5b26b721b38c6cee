"""The checks: every clause is judged here, and only here.

Modelled on schemathesis' ``specs/openapi/checks.py``: each check is a small typed function
registered for one clause by a decorator, with its precondition as a decorator too.

- ``@check(clause)`` judges one answer, as it arrives: ``check(ctx, answer)``. It raises
  ``ContractViolation`` when the answer breaks the clause, returns ``NOT_APPLICABLE`` when the clause
  says nothing about it, raises ``Blocked`` when the answer cannot be judged because another clause
  failed, ``NotVerifiable`` when it cannot be judged here, and returns None when it passes. A check
  over several exchanges (a job's polls, a delete then a retrieve, list pages, the source of a remix)
  reads the record of the run through ``ctx.history``: what came before this answer.
- ``@at_end(clause)`` judges once, when the record is complete: ``check(ctx)`` yields
  ``(clause, found, answer)`` (found: None for a pass, or one of the exceptions above).

A check sees a narrow ``CheckContext`` (the spec, the rules, the run's options that bear on a
verdict, the record, and the case the answer answered), never the engine: the same checks judge
the kit's planned requests and exchanges it only watched. ``contracts.judge`` runs them and decides,
in one place, what blocks what.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts.failures import Blocked, ContractViolation, NotVerifiable, Skipped

if TYPE_CHECKING:
    from contracts.cases import Case
    from contracts.client import Response
    from contracts.history import History
    from contracts.rules import Rules
    from contracts.spec import Spec

__all__ = ["CheckContext", "NOT_APPLICABLE", "REGISTRY", "AT_END", "check", "at_end", "run_checks", "run_end_checks",
           "Outcome", "on_answer", "on_created", "for_clause"]


@dataclass(frozen=True)
class Judging:
    """What of the run's options bears on a verdict (never the target's key)."""

    job_timeout: float = 120.0  # the window a followed job is given to end
    embedded: bool = False  # the reference server: a job that does not end is a violation, not slowness
    # Live traffic the kit only watched (``videos-contract proxy``), not a plan it sent: a job its client
    # stopped polling is no finding, an answer only the sender can explain (401: a wrong key?) is not
    # judged against the request's intent, and a clause no exchange exercised says so.
    live: bool = False


@dataclass(frozen=True)
class CheckContext:
    """What a check may know: the (profiled) spec and rules, the options that bear on verdicts, the
    record of the run, and the case the judged answer answered (None at the end of the run)."""

    spec: "Spec"
    rules: "Rules"
    history: "History"
    judging: Judging = Judging()
    case: "Case | None" = None

    def on(self, case: "Case") -> "CheckContext":
        return CheckContext(self.spec, self.rules, self.history, self.judging, case)


NOT_APPLICABLE = object()
Found = ContractViolation | Blocked | NotVerifiable | Skipped | None  # None: the clause passed
Outcome = tuple[str, Found, "Response | None"]  # (clause id, what a check found, the answer it judged)
Check = Callable[[CheckContext, "Response"], Any]
EndCheck = Callable[[CheckContext], Iterable[Outcome]]
REGISTRY: list[tuple[str | None, Check]] = []  # clause None: the case's own clauses (checks/expectations.py)
AT_END: list[tuple[str, EndCheck]] = []


def check(clause_id: str | None) -> Callable[[Check], Check]:
    """Register ``func`` as a check of ``clause_id`` on every answer (None: of the case's clauses)."""

    def register(func: Check) -> Check:
        REGISTRY.append((clause_id, func))
        return func

    return register


def at_end(clause_id: str) -> Callable[[EndCheck], EndCheck]:
    """Register ``func`` as a check of ``clause_id`` once the record of the run is complete."""

    def register(func: EndCheck) -> EndCheck:
        AT_END.append((clause_id, func))
        return func

    return register


def run_checks(ctx: CheckContext, answer: "Response") -> list[Outcome]:
    """Every registered check on one answer (``ctx.case`` is the case it answered)."""
    found: list[Outcome] = []
    for clause_id, func in REGISTRY:
        try:
            outcome = func(ctx, answer)
        except ContractViolation as violation:
            found.append((violation.clause_id, violation, answer))
            continue
        except (Blocked, NotVerifiable, Skipped) as other:
            found.append((clause_id or ctx.case.clause, other, answer))
            continue
        if outcome is NOT_APPLICABLE:
            continue
        if isinstance(outcome, list):  # a check of several clauses at once (the case's own)
            found.extend((cid, each, answer) for cid, each in outcome)
        elif clause_id is not None:
            found.append((clause_id, None, answer))
    return found


def run_end_checks(ctx: CheckContext) -> Iterator[Outcome]:
    """Every check registered ``at_end``, over the complete record."""
    for clause_id, func in AT_END:
        try:
            yield from func(ctx)
        except (ContractViolation, Blocked, NotVerifiable, Skipped) as other:
            yield (other.clause_id if isinstance(other, ContractViolation) else clause_id), other, None


# ---- preconditions ----------------------------------------------------------------------------
def on_answer(func: Check) -> Check:
    """Only answers that arrived (a transport error is response.transport's alone)."""

    @functools.wraps(func)
    def wrapper(ctx: CheckContext, answer: "Response") -> Any:
        if not answer.ok:
            return NOT_APPLICABLE
        return func(ctx, answer)

    return wrapper


def created_video(ctx: CheckContext, answer: "Response") -> dict[str, Any] | None:
    """The Video of a creating operation's 2xx answer, else None."""
    from contracts.rules import CREATING

    if ctx.case.operation not in CREATING or not answer.ok or not 200 <= answer.status < 300:
        return None
    return answer.json_object()


def on_created(func: Callable[[CheckContext, "Response", dict], Any]) -> Check:
    """Only the answer of an accepted create, remix, edit or extension, with its Video."""

    @functools.wraps(func)
    def wrapper(ctx: CheckContext, answer: "Response") -> Any:
        video = created_video(ctx, answer)
        if video is None:
            return NOT_APPLICABLE
        return func(ctx, answer, video)

    return wrapper


def for_clause(clause_id: str) -> Callable[[Check], Check]:
    """Register a check of ``clause_id`` on the 2xx answers to the cases planned for it (its status
    is the case's own expectation's: checks/expectations.py)."""

    def decorate(func: Check) -> Check:
        @functools.wraps(func)
        def wrapper(ctx: CheckContext, answer: "Response") -> Any:
            if ctx.case.clause != clause_id or not answer.ok or not 200 <= answer.status < 300:
                return NOT_APPLICABLE
            return func(ctx, answer)

        return check(clause_id)(wrapper)

    return decorate


# The checks register themselves on import, area by area (the order is the report's, not a rank:
# what blocks what is decided by the judge from contracts.clauses.BASIC).
from contracts.checks import responses, videos, expectations, jobs, listing, operations  # noqa: E402,F401
