"""The suite against the reference server's fault modes and clean variants: what it catches, and
the false alarms it avoids.

For every fault in ``contracts.mock.faults`` the real suite runs (engine in-process, server as a
real ``python -m contracts.mock --fault NAME`` uvicorn process over loopback, with an API key)
and must exit 1 with exactly the fault's clauses failed (one failure per root cause: a cascade or a
misattribution fails the test as surely as a miss); against every clean variant it must exit 0
with no failed clause. Runs are spread over worker processes (``contracts.detection``),
so the module takes about a minute on 2 cores.
"""

from __future__ import annotations

import os

import pytest

from contracts.clauses import CLAUSES
from contracts.detection import Outcome, run_many, run_one
from contracts.mock.faults import FAULTS, VARIANTS
from contracts.mock.personas import PERSONAS

pytestmark = pytest.mark.slow  # process-heavy: left out of the fast tier (pytest -m "not slow")

# fault -> (strict, why the suite misses it). See docs/faults.md.
def _selected_names(session: pytest.Session, key: str = "name") -> list[str]:
    """The modes (``key="persona"``: personas) whose tests are about to run in this session
    (honours -k and node ids)."""
    names = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if item.module.__name__ == __name__ and callspec is not None and key in callspec.params:
            names.append(callspec.params[key])
    return names


class _Lazy(dict):
    """Outcomes computed on first use, one at a time (under pytest-xdist, which parallelises itself)."""

    def __init__(self, persona: bool = False):
        super().__init__()
        self.persona = persona

    def __missing__(self, name: str) -> Outcome:
        self[name] = run_one(name, persona=self.persona)
        return self[name]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> dict[str, Outcome]:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return _Lazy()
    found = _Lazy()
    found.update({o.name: o for o in run_many(_selected_names(request.session))})
    return found


@pytest.fixture(scope="module")
def persona_outcomes(request: pytest.FixtureRequest) -> dict[str, Outcome]:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return _Lazy(persona=True)
    found = _Lazy(persona=True)
    found.update({o.name: o for o in run_many(_selected_names(request.session, "persona"), persona=True)})
    return found


def _failures(outcome: Outcome) -> str:
    lines = [f"  {cid}: {outcome.messages.get(cid, '')}" for cid in outcome.failed]
    return "\n".join(lines) or "  (none)"


@pytest.mark.parametrize("name", list(FAULTS), ids=list(FAULTS))
def test_fault_is_detected(name: str, outcomes: dict[str, Outcome]) -> None:
    outcome, fault = outcomes[name], FAULTS[name]
    assert outcome.error is None, f"the run against '{name}' could not be made: {outcome.error}"
    assert outcome.exit_code == 1, (
        f"'{name}' ({fault.summary}) went undetected: exit {outcome.exit_code}, nothing failed; "
        f"not verified: {outcome.not_verified}")
    assert not outcome.missing, (
        f"'{name}' ({fault.summary}) was detected, but not as {outcome.missing}; the run failed:\n{_failures(outcome)}")
    extra = sorted(set(outcome.failed) - set(fault.breaks))
    assert not extra, (
        f"'{name}' ({fault.summary}) failed {extra} beyond its own clauses {list(fault.breaks)} (a cascade or a "
        f"misattribution: those should pass, or be blocked by the root cause):\n{_failures(outcome)}")
    # The evidence says where: every failure of the fault's clauses names the field.
    unnamed = [cid for cid in fault.breaks if not outcome.fields.get(cid)]
    assert not unnamed, f"'{name}': evidence without a field for {unnamed}"


@pytest.mark.parametrize("name", list(VARIANTS), ids=list(VARIANTS))
def test_clean_variant_passes(name: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[name]
    assert outcome.error is None, f"the run against '{name}' could not be made: {outcome.error}"
    assert (outcome.exit_code, outcome.failed) == (0, []), (
        f"false alarm: the clean variant '{name}' ({VARIANTS[name].summary}) failed "
        f"(exit {outcome.exit_code}, interrupted: {outcome.interrupted}):\n{_failures(outcome)}")


@pytest.mark.parametrize("persona", list(PERSONAS), ids=list(PERSONAS))
def test_persona_fails_exactly_its_root_causes(persona: str, persona_outcomes: dict[str, Outcome]) -> None:
    """A server with several deviations at once: each root cause fails once, what it makes
    impossible to judge is blocked by it, and nothing else fails (no cascade, no misattribution)."""
    outcome, declared = persona_outcomes[persona], PERSONAS[persona]
    assert outcome.error is None, f"the run against persona '{persona}' could not be made: {outcome.error}"
    failed = sorted(outcome.failed)
    assert failed == sorted(declared.root_causes), (
        f"persona '{persona}': failed {failed}, declared root causes {sorted(declared.root_causes)}; "
        f"beyond: {sorted(set(failed) - set(declared.root_causes))}, missing: "
        f"{sorted(set(declared.root_causes) - set(failed))}\n{_failures(outcome)}")
    assert sorted(outcome.blocked) == sorted(declared.blocked), (
        f"persona '{persona}': blocked {sorted(outcome.blocked)}, declared {sorted(declared.blocked)}")
    # Every other clause passed or was skipped: a gap the engine leaves is no verdict at all.
    assert outcome.not_verified == [], (
        f"persona '{persona}': not verified {outcome.not_verified}; every clause that is neither a root cause "
        f"nor blocked by one must pass or be skipped:\n" + "\n".join(
            f"  {cid}: {outcome.notes.get(cid, '')}" for cid in outcome.not_verified))
    assert outcome.exit_code == 1


def test_every_clause_is_broken_by_some_fault() -> None:
    broken = {cid for fault in FAULTS.values() for cid in fault.breaks}
    assert broken <= set(CLAUSES), f"faults name unknown clauses: {sorted(broken - set(CLAUSES))}"
    assert [cid for cid in CLAUSES if cid not in broken] == []
