"""GET /videos: limit, order and cursor pagination."""

from __future__ import annotations

from typing import Any

from contracts import cases
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable
from contracts.scenarios.state import RunState

MAX_PAGES = 5  # a shared server may hold many videos: read a few pages, not all


def page(ctx: RunContext, clause_id: str, **query: Any) -> dict[str, Any]:
    label = "&".join(f"{k}={v}" for k, v in query.items())
    case = cases.call(f"list ?{label}", "GET", "/videos", query=query)
    response = ctx.send(case)
    body = ctx.video(clause_id, response, f"GET /videos?{label}")
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(v, dict) for v in data):
        raise ContractViolation(clause_id, "the list has no data array of objects", field="$.data", received=data)
    return body


def run(ctx: RunContext, state: RunState) -> None:
    if len(state.jobs) < 2:
        for cid in ("list.limit-honoured", "list.order-honoured", "list.after-honoured"):
            ctx.recorder.not_verified(cid, "fewer than two videos were created, so pages cannot be told apart")
        return
    for key in ("limit", "order"):
        values = ctx.spec.query_parameter("GET", "/videos", key)["schema"]
        for value in values.get("enum", [1, 2]):
            ctx.coverage.enum(key, str(value), "query")

    with ctx.recorder.clause("list.limit-honoured"):
        for limit in (1, 2):
            body = page(ctx, "list.limit-honoured", limit=limit)
            if len(body["data"]) != limit:
                raise ContractViolation("list.limit-honoured", f"limit={limit} returned {len(body['data'])} items "
                                        "although more videos exist", field="$.data", received=len(body["data"]),
                                        expected=limit)
            if body.get("has_more") is not True:
                raise ContractViolation("list.limit-honoured", f"limit={limit} with more videos left: has_more is not true",
                                        field="$.has_more", received=body.get("has_more"), expected=True)

    with ctx.recorder.clause("list.order-honoured"):
        for order, sign in (("asc", 1), ("desc", -1)):
            body = page(ctx, "list.order-honoured", order=order, limit=100)
            # created_at counts whole seconds, so a short run's videos tie: also check the order of
            # this run's own videos, whose creation order the suite knows.
            ours = [v.get("id") for v in body["data"] if v.get("id") in ctx.created]
            expected = sorted(ours, key=ctx.created.index, reverse=sign < 0)
            if ours != expected:
                raise ContractViolation("list.order-honoured", f"order={order} does not list this run's videos in "
                                        "creation order", field="$.data[*].id", received=ours[:6],
                                        expected=expected[:6])
            stamps = [v.get("created_at") for v in body["data"] if isinstance(v.get("created_at"), int)]
            for earlier, later in zip(stamps, stamps[1:]):
                if (later - earlier) * sign < 0:
                    raise ContractViolation("list.order-honoured", f"order={order} is not sorted by created_at",
                                            field="$.data[*].created_at", received=stamps[:10],
                                            expected="ascending" if sign > 0 else "descending")

    with ctx.recorder.clause("list.after-honoured"):
        seen: list[str] = []
        after = None
        for _ in range(MAX_PAGES):
            query = {"limit": 2, "order": "desc", **({"after": after} if after else {})}
            body = page(ctx, "list.after-honoured", **query)
            ids = [v.get("id") for v in body["data"]]
            expected_first = ids[0] if ids else None
            expected_last = ids[-1] if ids else None
            if body.get("first_id") != expected_first or body.get("last_id") != expected_last:
                raise ContractViolation("list.after-honoured", "first_id/last_id do not match the page's data",
                                        field="$.first_id", received=[body.get("first_id"), body.get("last_id")],
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
