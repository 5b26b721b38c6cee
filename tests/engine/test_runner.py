"""The runner's order: preflight, the generated draws started, every step in STEPS order with its
progress, then clean-up; a run cut short stops at once and says why. And how a step is driven:
each case it yields is sent and its answer handed back; what it says it did not send reaches the
judge."""

from __future__ import annotations

import pytest

from contracts import runner
from contracts.cases import NotSent
from contracts.failures import RunAborted
from contracts.options import RunOptions
from contracts.types import Verdict


def _noting(seen: list[str], name: str):
    def step(state):
        seen.append(name)
        yield from ()

    return step


@pytest.fixture
def calls(monkeypatch) -> list[str]:
    """The runner with every step replaced by one that notes its name (no target needed)."""
    seen: list[str] = []
    monkeypatch.setattr(runner, "preflight", lambda client: seen.append("preflight"))
    monkeypatch.setattr(runner.generated, "prefetch", lambda state: seen.append("prefetch"))
    monkeypatch.setattr(runner, "cleanup", lambda state, sender: seen.append("clean-up"))
    monkeypatch.setattr(runner, "STEPS", [(name, _noting(seen, name)) for name, _ in runner.STEPS])
    return seen


def options() -> RunOptions:
    return RunOptions(base_url="http://127.0.0.1:9/v1", embedded=True)


def test_steps_run_in_order_between_preflight_and_clean_up(calls):
    progress: list[tuple[str, int, int]] = []
    result = runner.run(options(), progress=lambda stage, done, total: progress.append((stage, done, total)))
    names = [name for name, _ in runner.STEPS]
    assert calls == ["preflight", "prefetch", *names, "clean-up"]
    assert progress == [(name, i, len(names)) for i, name in enumerate(names)] + [("done", len(names), len(names))]
    assert result.interrupted is None


def test_a_run_cut_short_stops_at_once_cleans_up_and_says_why(calls, monkeypatch):
    steps = list(runner.STEPS)

    def spent(state):
        calls.append(steps[1][0])
        raise RunAborted("the time budget of 2 s is spent")
        yield

    steps[1] = (steps[1][0], spent)
    monkeypatch.setattr(runner, "STEPS", steps)
    result = runner.run(options())
    assert calls == ["preflight", "prefetch", steps[0][0], steps[1][0], "clean-up"]
    assert (result.interrupted, result.interrupted_kind) == ("the time budget of 2 s is spent", "budget")


def test_what_a_step_did_not_send_reaches_the_judge(calls, monkeypatch):
    def unsent(state):
        yield NotSent("remix.sets-source", "no followed job completed within the time budget")

    monkeypatch.setattr(runner, "STEPS", [("remix", unsent)])
    result = {r.clause.id: r for r in runner.run(options()).results}["remix.sets-source"]
    assert (result.verdict, result.note) == (Verdict.NOT_VERIFIED, "no followed job completed within the time budget")


def test_a_step_that_yields_anything_else_is_a_programming_error(calls, monkeypatch):
    def wrong(state):
        yield "GET /videos"

    monkeypatch.setattr(runner, "STEPS", [("wrong", wrong)])
    with pytest.raises(TypeError, match="a step yielded 'GET /videos'"):
        runner.run(options())


def test_the_baseline_comes_first_and_the_list_last():
    """Every later create is built on what the baseline learned; the list is judged when the run's
    videos span the most seconds."""
    names = [name for name, _ in runner.STEPS]
    assert (names[0], names[-1]) == ("baseline creates", "list")
    assert (names.index("retrieve an unknown id") < names.index("delete")
            < names.index("delete, content, remix unknown ids"))
