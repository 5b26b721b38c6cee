"""GET /videos: limit, order and cursor pagination.

The contract says only that a list is sorted by creation time; ``created_at`` counts whole seconds
and the order of videos created in the same second is not specified (docs/contract-decisions.md).
So order is judged only between videos whose ``created_at`` differ, and the run makes sure it has
videos in at least two different seconds before listing.
"""

from __future__ import annotations

from typing import Any

import time

from contracts import cases
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable
from contracts.rules import LIST
from contracts.scenarios.create_valid import accepted_video, alive, keep
from contracts.scenarios.state import RunState

MAX_PAGES = 5  # a shared server may hold many videos: read a few pages, not all
SECOND_ATTEMPTS = 2  # creates made to have videos in two different seconds


def page(ctx: RunContext, clause_id: str, **query: Any) -> dict[str, Any]:
    label = "&".join(f"{k}={v}" for k, v in query.items())
    case = cases.call(f"list ?{label}", *LIST, query=query)
    response = ctx.send(case)
    body = ctx.video(clause_id, response, f"GET /videos?{label}")  # no complete answer: blocked by transport
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(v, dict) for v in data):
        raise ContractViolation(clause_id, "the list has no data array of objects", field="$.data", received=data)
    return body


def seconds_of(ctx: RunContext, state: RunState) -> set[int]:
    return {v["created_at"] for v in alive(ctx, state) if isinstance(v.get("created_at"), int)}


def two_seconds(ctx: RunContext, state: RunState) -> None:
    """Create one more video in a later second when all of the run's share one ``created_at``."""
    for _ in range(SECOND_ATTEMPTS):
        stamps = seconds_of(ctx, state)
        if len(stamps) != 1:
            return
        time.sleep(max(0.0, min(1.05, next(iter(stamps)) + 1.05 - time.time())))
        case = ctx.baseline.case("a video in a later second (list order)", "create.optional-fields-omittable",
                                 "accepted")
        if case is None:
            return
        case.clause = None  # serves the list clauses; its outcome counts for none
        try:
            response = ctx.send(case)
        except NotVerifiable:
            return
        video = accepted_video(response)
        if video is None:
            return
        keep(ctx, state, video)


def run(ctx: RunContext, state: RunState) -> None:
    if len(alive(ctx, state)) < 2:
        for cid in ("list.limit-honoured", "list.order-honoured", "list.after-honoured"):
            ctx.recorder.unmet(cid, "fewer than two videos were created, so pages cannot be told apart")
        return
    two_seconds(ctx, state)
    for key in ("limit", "order"):
        values = ctx.spec.query_parameter(*LIST, key)["schema"]
        for value in values.get("enum", [1, 2]):
            ctx.coverage.enum(key, str(value), "query")

    with ctx.recorder.clause("list.limit-honoured"):
        # Only limits below the number of videos the run knows exist: there, more are left.
        for limit in [n for n in (1, 2) if n < len(alive(ctx, state))]:
            body = page(ctx, "list.limit-honoured", limit=limit)
            if len(body["data"]) != limit:
                raise ContractViolation("list.limit-honoured", f"limit={limit} returned {len(body['data'])} items "
                                        "although more videos exist", field="$.data", received=len(body["data"]),
                                        expected=limit)
            if body.get("has_more") is not True:
                raise ContractViolation("list.limit-honoured", f"limit={limit} with more videos left: has_more is not true",
                                        field="$.has_more", received=body.get("has_more"), expected=True)

    with ctx.recorder.clause("list.order-honoured"):
        distinct = False
        for order, sign in (("asc", 1), ("desc", -1)):
            body = page(ctx, "list.order-honoured", order=order, limit=100)
            # Ties (the same second) may come in any order: only different created_at are compared.
            stamps = [v.get("created_at") for v in body["data"] if isinstance(v.get("created_at"), int)]
            distinct = distinct or len(set(stamps)) > 1
            for earlier, later in zip(stamps, stamps[1:]):
                if (later - earlier) * sign < 0:
                    raise ContractViolation("list.order-honoured", f"order={order} is not sorted by created_at",
                                            field="$.data[*].created_at", received=stamps[:10],
                                            expected="ascending" if sign > 0 else "descending")
        if not distinct:
            raise NotVerifiable("every listed video has the same created_at second: order cannot be seen")

    with ctx.recorder.clause("list.after-honoured"):
        seen: list[str] = []
        after = None
        for _ in range(MAX_PAGES):
            query = {"limit": 2, "order": "desc", **({"after": after} if after else {})}
            body = page(ctx, "list.after-honoured", **query)
            ids = [v.get("id") for v in body["data"]]
            expected_first = ids[0] if ids else None
            expected_last = ids[-1] if ids else None
            cursors = [body.get("first_id"), body.get("last_id")]
            # Missing cursor fields are the list schema's: compared only when the server gives them.
            if "first_id" in body and "last_id" in body and cursors != [expected_first, expected_last]:
                raise ContractViolation("list.after-honoured", "first_id/last_id do not match the page's data",
                                        field="$.first_id", received=cursors,
                                        expected=[expected_first, expected_last])
            repeated = [i for i in ids if i in seen]
            if repeated:
                raise ContractViolation("list.after-honoured", f"after={after} repeated ids of an earlier page",
                                        field="$.data[*].id", received=repeated, expected="ids after the cursor")
            seen.extend(ids)
            if not body.get("has_more") or not ids:
                break
            after = ids[-1]
        if len(seen) < 2:
            raise NotVerifiable("the pages held fewer than two videos")
