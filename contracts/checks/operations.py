"""The optional operations: edits, extensions and characters exist (a route behind them), and a
character is answered as made and can be retrieved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.checks import NOT_APPLICABLE, CheckContext, check, for_clause
from contracts.failures import Blocked, ContractViolation
from contracts.history import path_id
from contracts.rules import CREATE_CHARACTER, EDIT, EXTEND, GET_CHARACTER

if TYPE_CHECKING:
    from contracts.client import Response

ROUTE_MISSING = (404, 405)  # what a server without the route answers (405: /videos/{id} took the path)
OFFERED = {EDIT: "edit.offered", EXTEND: "extend.offered", CREATE_CHARACTER: "character.offered"}


@check(None)
def route_exists(ctx: CheckContext, answer: "Response") -> Any:
    """A request to an optional operation answered 404 or 405 as an unknown route (not a 404 for a
    source or character the request names) is the operation missing: one finding, which blocks
    every other clause judged on that answer and every clause of the operation (contracts/clauses.py)."""
    clause_id = OFFERED.get(ctx.case.operation)
    if clause_id is None or not answer.ok or answer.superseded or ctx.case.expect not in ("accepted", "rejected"):
        return NOT_APPLICABLE  # only what must be accepted or refused with 400 tells a missing route
    if answer.status == 429:
        return NOT_APPLICABLE
    if answer.status not in ROUTE_MISSING or _names_something_missing(ctx, answer):
        return [(clause_id, None)]
    method, template = ctx.case.operation
    return [(clause_id, ContractViolation(
        clause_id, f"{method} {template} answered {answer.status} to a request it should {_should(ctx)}: the "
        f"operation is missing (if the server does not offer it, leave it out of --operations or the profile's "
        "operations)", field="status", received=answer.status,
        expected="400 or 200 (the route exists)"))]


def _should(ctx: CheckContext) -> str:
    return {"rejected": "refuse with 400", "accepted": "accept"}.get(ctx.case.expect or "", "answer")


def _names_something_missing(ctx: CheckContext, answer: "Response") -> bool:
    """A 404 to an edit or extension of a video the record does not show: the source is unknown,
    not the route (a request by id of a video never made, or one deleted)."""
    from contracts.history import source_of

    source = source_of(ctx.case)
    return answer.status == 404 and source is not None and source not in ctx.history.jobs


@for_clause("character.name-boundaries-accepted")
def character_named(ctx: CheckContext, answer: "Response") -> Any:
    """A character made is answered with the name it was given."""
    body = answer.json_object()
    if body is None:
        return NOT_APPLICABLE  # the schema clause's
    sent = dict(ctx.case.form or []).get("name")
    if body.get("name") != sent:
        raise ContractViolation("character.name-boundaries-accepted", "the character does not carry its name",
                                field="$.name", received=body.get("name"), expected=sent)
    return None


@check("character.retrievable")
def character_retrievable(ctx: CheckContext, answer: "Response") -> Any:
    """A character made can be retrieved: 200, the same id and name."""
    if ctx.case.operation != GET_CHARACTER or answer.superseded:
        return NOT_APPLICABLE
    made = ctx.history.characters.get(path_id(ctx.case.path))
    if made is None or made.seq > answer.seq:
        return NOT_APPLICABLE
    if not answer.ok:
        raise Blocked("response.transport", "retrieving a character just created: no answer")
    if answer.status == 429:
        return NOT_APPLICABLE
    if answer.status != 200:
        raise ContractViolation("character.retrievable", f"retrieving a character just created was answered "
                                f"{answer.status}", field="status", received=answer.status, expected=200)
    body, character = answer.json_object(), made.json_object() or {}
    if body is None:
        return NOT_APPLICABLE  # the schema clause's
    for field in ("id", "name"):
        if body.get(field) != character.get(field):
            raise ContractViolation("character.retrievable", f"the retrieved character has another {field}",
                                    field=f"$.{field}", received=body.get(field), expected=character.get(field))
    return None
