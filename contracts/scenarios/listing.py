"""GET /videos: limit and its range, order, and cursor pagination.

Order is judged only between videos whose ``created_at`` differ (checks/listing.py), so the run
makes sure it has videos in at least two different seconds before listing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from contracts import cases
from contracts.cases import NotSent
from contracts.rules import LIST
from contracts.scenarios.common import Step, accepted_video, keep

if TYPE_CHECKING:
    from contracts.state import RunState

MAX_PAGES = 5  # a shared server may hold many videos: read a few pages, not all
SECOND_ATTEMPTS = 2  # creates made to have videos in two different seconds
LIMIT, RANGE, ORDER, AFTER = "list.limit-honoured", "list.limit-range", "list.order-honoured", "list.after-honoured"


def page(clause_id: str, expect: str | None = "accepted", **query: Any) -> cases.Case:
    label = "&".join(f"{k}={v}" for k, v in query.items())
    return cases.call(f"list ?{label}", *LIST, query=query, clause=clause_id, expect=expect)


def seconds_of(state: "RunState") -> set[int]:
    return {v["created_at"] for v in state.alive() if isinstance(v.get("created_at"), int)}


def two_seconds(state: "RunState") -> Step:
    """Create one more video in a later second when all of the run's share one ``created_at``."""
    for _ in range(SECOND_ATTEMPTS):
        stamps = seconds_of(state)
        if len(stamps) != 1:
            return
        time.sleep(max(0.0, min(1.05, next(iter(stamps)) + 1.05 - time.time())))
        case = state.baseline.case("a video in a later second (list order)", None, "accepted")
        if case is None:
            return
        video = accepted_video((yield case))  # serves the list clauses; its outcome counts for none
        if video is None:
            return
        keep(state, video)


def run(state: "RunState") -> Step:
    yield from limit_range(state)
    if len(state.alive()) < 2:
        for clause_id in (LIMIT, ORDER, AFTER):
            yield NotSent(clause_id, "fewer than two videos were created, so pages cannot be told apart")
        return
    yield from two_seconds(state)
    for key in ("limit", "order"):
        values = state.spec.query_parameter(*LIST, key)["schema"]
        for value in values.get("enum", [1, 2]):
            state.coverage.enum(key, str(value), "query")
    # Only limits below the number of videos the run knows exist: there, more are left.
    for limit in [n for n in (1, 2) if n < len(state.alive())]:
        yield page(LIMIT, limit=limit)
    for order in ("asc", "desc"):
        yield page(ORDER, order=order, limit=100)
    after = None
    for _ in range(MAX_PAGES):
        answer = yield page(AFTER, limit=2, order="desc", **({"after": after} if after else {}))
        body = answer.json_object() if answer is not None and answer.ok and answer.status == 200 else None
        ids = [v.get("id") for v in body.get("data", []) if isinstance(v, dict)] if body is not None else []
        if body is None or not body.get("has_more") or not ids or not isinstance(body.get("data"), list):
            break
        after = ids[-1]


def limit_range(state: "RunState") -> Step:
    """The spec's bounds of limit and one past each: served (the minimum an empty page), refused."""
    schema = state.spec.query_parameter(*LIST, "limit")["schema"]
    lowest, highest = int(schema.get("minimum", 0)), int(schema.get("maximum", 100))
    for limit in (lowest, highest, lowest - 1, highest + 1):
        state.coverage.boundary("list.limit", limit)
        yield page(RANGE, None, limit=limit)
