"""Bearer auth on every operation that has a route: checked only when the run has a key.

The probes use the completed video the run kept for them (not deleted), so that they reach the
real handlers, not a 404. An operation the target does not offer, or that was found to have no
route (404/405), is not probed: its own clause said so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts import cases
from contracts.cases import NotSent
from contracts.clauses import ROUTES
from contracts.rules import CONTENT, DELETE, LIST, REMIX, RETRIEVE
from contracts.scenarios import characters
from contracts.scenarios.common import Step
from contracts.types import WRONG_API_KEY

if TYPE_CHECKING:
    from contracts.state import RunState

WRONG_KEY = WRONG_API_KEY  # made up and public: its reproduction sends it as it is
NO_KEY = "no API key given (--api-key or OPENAI_API_KEY), so auth cannot be checked"
AUTH_CLAUSES = (("auth.missing-key-rejected", None, "without a key"), ("auth.wrong-key-rejected", WRONG_KEY, "with a wrong key"))


def probes(state: "RunState", video_id: str | None, clause_id: str, auth: str | None,
           label: str) -> list[cases.Case | str]:
    """The probes in order; an operation that needs a video when none is kept is named instead."""
    out: list[cases.Case | str] = []
    base = state.baseline.case(f"create {label}", clause_id, "unauthorized") if state.baseline.any else None
    if base is not None:
        base.auth = auth
        out.append(base)
    out.append(cases.call(f"list {label}", *LIST, query={"limit": 1}, auth=auth, clause=clause_id,
                          expect="unauthorized"))
    for name, (method, template), extra in (
        ("retrieve", RETRIEVE, {}),
        ("content", CONTENT, {"partial_body": True}),
        ("remix", REMIX, {"json_body": {"prompt": "an unauthorized remix"}}),
        ("delete", DELETE, {}),  # last: a target that accepts it loses the video
    ):
        out.append(cases.call(f"{name} {label}", method, template, video_id, auth=auth, clause=clause_id,
                              expect="unauthorized", **extra) if video_id else f"{method} {template}")
    return out + characters.auth_probes(state, clause_id, auth, label)


def run(state: "RunState") -> Step:
    if not state.options.api_key:
        return  # the auth clauses are skipped (contracts/runner.py: not_applicable)
    kept = state.completed_id if state.completed_id is not None and not state.deleted(state.completed_id) else None
    for clause_id, auth, label in AUTH_CLAUSES:
        for probe in probes(state, kept, clause_id, auth, label):
            route = tuple(probe.split(" ", 1)) if isinstance(probe, str) else probe.operation
            if not state.offers(ROUTES.get(route, "create")):
                continue  # declared not offered (--operations): nothing to probe
            if isinstance(probe, str):
                yield NotSent(clause_id, f"{probe} was not probed: no completed video was kept for it")
            elif probe.operation not in state.history.routes_missing:
                yield probe
