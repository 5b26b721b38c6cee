"""GET /videos across the record: limit and its range, order, cursor pagination.

The contract says only that a list is sorted by creation time; ``created_at`` counts whole seconds
and the order of videos created in the same second is not specified (docs/contract-decisions.md):
order is judged only between videos whose ``created_at`` differ. How many videos exist is what the
record shows: the jobs made and not deleted (a shared server may hold more, never fewer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.checks import NOT_APPLICABLE, CheckContext, at_end, check, on_answer
from contracts.checks.expectations import NOT_A_REJECTION
from contracts.checks.responses import error_summary
from contracts.failures import ContractViolation, NotVerifiable
from contracts.rules import LIST

if TYPE_CHECKING:
    from contracts.client import Response

LIMIT, RANGE, ORDER, AFTER = "list.limit-honoured", "list.limit-range", "list.order-honoured", "list.after-honoured"


def _page(ctx: CheckContext, answer: "Response") -> tuple[dict[str, Any], list[dict]] | None:
    """The query and the items of a 200 list answer with a data array of objects."""
    if ctx.case is None or ctx.case.operation != LIST or not answer.ok or answer.status != 200 or answer.superseded \
            or ctx.case.auth is not True:
        return None
    body = answer.json_object()
    data = body.get("data") if body is not None else None
    if not isinstance(data, list) or not all(isinstance(v, dict) for v in data):
        return None  # the list schema's finding
    return body, data


def _limit(ctx: CheckContext) -> int | None:
    value = (ctx.case.query or {}).get("limit")
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def limit_bounds(ctx: CheckContext) -> tuple[int, int]:
    schema = ctx.spec.query_parameter(*LIST, "limit")["schema"]
    return int(schema.get("minimum", 0)), int(schema.get("maximum", 100))


@check(LIMIT)
def limit_honoured(ctx: CheckContext, answer: "Response") -> Any:
    """At most limit items; exactly limit, with has_more, when the record shows more videos exist. In live
    traffic, a short page is judged at the end (``pages_were_full``): a delete sent at the same time by
    another client may be recorded after the page."""
    return _limit_honoured(ctx, answer, settled=not ctx.judging.live)


@at_end(LIMIT)
def pages_were_full(ctx: CheckContext):
    """Live traffic: the short pages, once the deletes sent meanwhile are known."""
    if not ctx.judging.live:
        return
    for answer in ctx.history.of(LIST):
        try:
            found = _limit_honoured(ctx.on(answer.case), answer, settled=True, short_only=True)
        except ContractViolation as violation:
            yield LIMIT, violation, answer
            continue
        if found is None:
            yield LIMIT, None, answer


def _limit_honoured(ctx: CheckContext, answer: "Response", *, settled: bool, short_only: bool = False) -> Any:
    page = _page(ctx, answer)
    limit = _limit(ctx) if page is not None else None
    if limit is None or limit < 1 or limit > limit_bounds(ctx)[1]:
        return NOT_APPLICABLE
    body, data = page
    if len(data) > limit:
        if short_only:
            return NOT_APPLICABLE  # judged as it came
        raise ContractViolation(LIMIT, f"limit={limit} returned {len(data)} items", field="$.data",
                                received=len(data), expected=f"at most {limit}")
    if (ctx.case.query or {}).get("after"):
        return NOT_APPLICABLE  # how many are left after a cursor is not known
    if not settled:
        return NOT_APPLICABLE  # the end says (pages_were_full)
    existing = len(ctx.history.alive_for(answer))
    if existing <= limit:
        return NOT_APPLICABLE
    if len(data) != limit:
        raise ContractViolation(LIMIT, f"limit={limit} returned {len(data)} items although {existing} videos exist",
                                field="$.data", received=len(data), expected=limit)
    if body.get("has_more") is not True:
        raise ContractViolation(LIMIT, f"limit={limit} with more videos left: has_more is not true",
                                field="$.has_more", received=body.get("has_more"), expected=True)
    return None


@check(RANGE)
@on_answer
def limit_in_range(ctx: CheckContext, answer: "Response") -> Any:
    """limit within the spec's range is served (its minimum 0: an empty page); below it is refused
    with a 4xx; above it is refused or served as at most the maximum."""
    limit = _limit(ctx) if ctx.case.operation == LIST and not answer.superseded and ctx.case.auth is True else None
    if limit is None or answer.status == 429 or not _rest_valid(ctx):
        return NOT_APPLICABLE
    lowest, highest = limit_bounds(ctx)
    rejected = 400 <= answer.status < 500 and answer.status not in NOT_A_REJECTION
    served = 200 <= answer.status < 300
    received = f"{answer.status} {error_summary(answer) if not served else ''}".strip()
    if lowest <= limit <= highest:
        if not served:
            raise ContractViolation(RANGE, f"limit={limit} (within {lowest}..{highest}) was refused", field="limit",
                                    received=received, expected="200 and a list")
        data = (answer.json_object() or {}).get("data")
        if limit == 0 and isinstance(data, list) and data:
            raise ContractViolation(RANGE, f"limit=0 returned {len(data)} items", field="$.data",
                                    received=len(data), expected="an empty page")
        return None
    if limit < lowest and not rejected:
        raise ContractViolation(RANGE, f"limit={limit} (below {lowest}) was answered {answer.status}", field="limit",
                                received=received, expected="400")
    if limit > highest:
        data = (answer.json_object() or {}).get("data") if served else None
        if served and isinstance(data, list) and len(data) > highest:
            raise ContractViolation(RANGE, f"limit={limit} returned {len(data)} items", field="$.data",
                                    received=len(data), expected=f"at most {highest}")
        if not served and not rejected:
            raise ContractViolation(RANGE, f"limit={limit} (above {highest}) was answered {answer.status}",
                                    field="limit", received=received, expected=f"400, or at most {highest} items")
    return None


def _rest_valid(ctx: CheckContext) -> bool:
    """Whether nothing else in the list request may be refused: its other query parameters are
    documented ones with a documented value, and there is no cursor (a refusal of a bad ``order``,
    or of an ``after`` the server does not know, says nothing of ``limit``)."""
    documented = ctx.rules.query_params[LIST]
    for name, value in (ctx.case.query or {}).items():
        if name == "limit":
            continue
        schema = documented.get(name)
        if name == "after" or schema is None or ("enum" in schema and value not in schema["enum"]):
            return False
    return True


def _stamps(data: list[dict]) -> list[int]:
    return [v["created_at"] for v in data if isinstance(v.get("created_at"), int) and not isinstance(v["created_at"], bool)]


def _order(ctx: CheckContext) -> str:
    default = ctx.spec.query_parameter(*LIST, "order")["schema"].get("default", "desc")
    return str((ctx.case.query or {}).get("order", default))


@check(ORDER)
def order_honoured(ctx: CheckContext, answer: "Response") -> Any:
    """Sorted by created_at in the order asked (ties in one second come in any order)."""
    page = _page(ctx, answer)
    if page is None:
        return NOT_APPLICABLE
    order = _order(ctx)
    sign = {"asc": 1, "desc": -1}.get(order)
    stamps = _stamps(page[1])
    if sign is None or len(set(stamps)) < 2:
        return NOT_APPLICABLE
    for earlier, later in zip(stamps, stamps[1:]):
        if (later - earlier) * sign < 0:
            raise ContractViolation(ORDER, f"order={order} is not sorted by created_at", field="$.data[*].created_at",
                                    received=stamps[:10], expected="ascending" if sign > 0 else "descending")
    return None


@check(AFTER)
def after_honoured(ctx: CheckContext, answer: "Response") -> Any:
    """first_id/last_id match the page's data; a page after=ID repeats no id of the pages before it
    in the same walk (each page found by the last id of the one before)."""
    page = _page(ctx, answer)
    if page is None:
        return NOT_APPLICABLE
    body, data = page
    ids = [v.get("id") for v in data]
    if "first_id" in body and "last_id" in body:  # missing cursor fields are the list schema's
        expected = [ids[0] if ids else None, ids[-1] if ids else None]
        if [body.get("first_id"), body.get("last_id")] != expected:
            raise ContractViolation(AFTER, "first_id/last_id do not match the page's data", field="$.first_id",
                                    received=[body.get("first_id"), body.get("last_id")], expected=expected)
    after = (ctx.case.query or {}).get("after")
    if not after:
        return NOT_APPLICABLE
    seen = _walk_before(ctx, answer, after)
    if not seen:
        return NOT_APPLICABLE  # a cursor the record did not hand out
    repeated = [i for i in ids if i in seen]
    if repeated:
        raise ContractViolation(AFTER, f"after={after} repeated ids of an earlier page", field="$.data[*].id",
                                received=repeated, expected="ids after the cursor")
    return None


def _walk_before(ctx: CheckContext, answer: "Response", after: str) -> list[str]:
    """The ids of the pages, same order, that led to ``after`` (its page's last id), nearest first."""
    order, seen = _order(ctx), []
    for earlier in reversed(ctx.history.before(answer)):
        page = _page(ctx.on(earlier.case), earlier) if earlier.case is not None else None
        if page is None or _order(ctx.on(earlier.case)) != order:
            continue
        ids = [v.get("id") for v in page[1]]
        if ids and ids[-1] == after:
            seen.extend(ids)
            after = (earlier.case.query or {}).get("after")
            if not after:
                break
    return seen


@at_end(ORDER)
def order_visible(ctx: CheckContext):
    """Pages whose videos all share one created_at second cannot show their order."""
    pages = [a for a in ctx.history.of(LIST) if _page(ctx.on(a.case), a) is not None]
    if pages and not any(len(set(_stamps(_page(ctx.on(a.case), a)[1]))) > 1 for a in pages):
        yield ORDER, NotVerifiable("every listed video has the same created_at second: order cannot be seen"), None


@at_end(AFTER)
def pages_followed(ctx: CheckContext):
    """A cursor walk that never held two videos shows nothing of after."""
    pages = [a for a in ctx.history.of(LIST) if _page(ctx.on(a.case), a) is not None
             and (a.case.query or {}).get("after")]
    if not pages and ctx.history.of(LIST):
        yield AFTER, NotVerifiable("the pages held fewer than two videos"), None

