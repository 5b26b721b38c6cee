"""What every answer must be, whatever it answers: complete, not a 5xx, a documented status and
Content-Type, a body that matches the spec's schema, a 429 that says when to retry."""

from __future__ import annotations

import email.utils
import json
import time
from typing import TYPE_CHECKING, Any

from contracts.checks import NOT_APPLICABLE, Check, CheckContext, at_end, check, on_answer
from contracts.failures import ContractViolation, Skipped

if TYPE_CHECKING:
    from contracts.client import Response

SCHEMA_CLAUSES = {
    "Video": "response.video.schema",
    "VideoList": "response.list.schema",
    "DeletedVideo": "response.deleted.schema",
    "ErrorResponse": "response.error.envelope",
    "VideoCharacter": "response.character.schema",
}
FASTAPI_HINT = "FastAPI's {\"detail\": ...} shape; OpenAI clients need {\"error\": {message, type, param, code}}"
# Why a status matters to a client, where it does (said beside the finding).
STATUS_HINTS = {
    422: " (422 is FastAPI's validation status; the contract wants 400)",
    409: " (the openai SDK retries 409: a client waits, then gets the same answer)",
}


@check("response.transport")
def transport(ctx: CheckContext, answer: "Response") -> Any:
    if answer.transport_error:
        raise ContractViolation("response.transport", answer.transport_error, field="response",
                                received="no complete HTTP response", expected="an answer within the timeout")
    if answer.truncated and not ctx.case.partial_body:
        raise ContractViolation("response.transport", f"the body is larger than the {len(answer.body)}-byte cap "
                                "(a server that streams without end?); it was cut off", field="body")


@check("response.not-server-error")
@on_answer
def not_server_error(ctx: CheckContext, answer: "Response") -> Any:
    if answer.status >= 500:
        case = ctx.case
        raise ContractViolation("response.not-server-error", f"{case.method} {case.path} answered {answer.status}"
                                f" ('{case.name}')", field="status",
                                received=f"{answer.status} {error_summary(answer)}".strip(), expected="a 2xx or 4xx")


@check("response.status-documented")
@on_answer
def status_documented(ctx: CheckContext, answer: "Response") -> Any:
    if ctx.case.operation is None:
        return NOT_APPLICABLE
    method, template = ctx.case.operation
    if answer.status == 405:
        return NOT_APPLICABLE  # no such route: the operation's own clause says so, once
    if ctx.spec.status_is_documented(method, template, answer.status):
        return None
    documented = ", ".join(ctx.spec.documented_statuses(method, template))
    raise ContractViolation("response.status-documented", f"{method} {template} answered {answer.status}, "
                            f"which the spec does not document{STATUS_HINTS.get(answer.status, '')} "
                            f"('{ctx.case.name}')", field="status",
                            received=f"{answer.status} {error_summary(answer)}".strip(), expected=documented)


@check("response.content-type")
@on_answer
def content_type(ctx: CheckContext, answer: "Response") -> Any:
    if ctx.case.operation is None:
        return NOT_APPLICABLE
    method, template = ctx.case.operation
    documented = ctx.spec.response_content_types(method, template, answer.status)
    if not documented:
        return NOT_APPLICABLE
    if answer.media_type not in documented:
        raise ContractViolation("response.content-type", f"{answer.status} answer has the wrong Content-Type",
                                field="Content-Type", received=answer.headers.get("content-type", "(none)"),
                                expected=" or ".join(documented))


@check("response.rate-limit.retry-after")
@on_answer
def rate_limit_retry_after(ctx: CheckContext, answer: "Response") -> Any:
    if answer.status != 429:
        return NOT_APPLICABLE
    value = answer.headers.get("retry-after")
    if value is None or not value.strip().isdigit():
        raise ContractViolation("response.rate-limit.retry-after", "a 429 without a usable Retry-After header",
                                field="Retry-After", received=value or "(missing)", expected="seconds, e.g. 2")


# ---- bodies against the spec's schemas ------------------------------------------------------
def documented_schema(ctx: CheckContext, answer: "Response") -> str | None:
    if answer.status >= 400:
        return "ErrorResponse"  # every error, documented status or not, must carry the envelope
    if ctx.case.operation is None:
        return None
    method, template = ctx.case.operation
    return ctx.spec.response_schema_name(method, template, answer.status)


def _schema_check(schema_name: str, clause_id: str) -> Check:
    """Validate the body against ``schema_name``. The Videos inside a list are the Video clause's,
    so that one wrong field in a Video is reported once, not once more for every list."""

    def check_schema(ctx: CheckContext, answer: "Response") -> Any:
        documented = documented_schema(ctx, answer)
        if answer.truncated:
            return NOT_APPLICABLE  # a cut-off body is response.transport's
        if schema_name == "Video" and documented == "VideoList":
            return _list_items_are_videos(ctx, answer)
        if documented != schema_name:
            return NOT_APPLICABLE
        try:
            body = answer.json()
        except ValueError as exc:
            raise ContractViolation(clause_id, str(exc), field="body", expected=f"a JSON {schema_name}") from None
        errors = ctx.spec.validator(schema_name).errors(body)
        if schema_name == "VideoList":
            errors = [e for e in errors if not e.path.startswith("$.data[")]
        if not errors:
            return None
        if schema_name == "ErrorResponse" and isinstance(body, dict) and "detail" in body and "error" not in body:
            raise ContractViolation(clause_id, f"the error body is {FASTAPI_HINT}", field="$.error",
                                    received=body, expected="{\"error\": {\"message\", \"type\", \"param\", \"code\"}}")
        raise _schema_violation(clause_id, schema_name, body, errors)

    check_schema.__name__ = f"schema_{schema_name}"
    return check_schema


def _list_items_are_videos(ctx: CheckContext, answer: "Response") -> Any:
    items = (answer.json_object() or {}).get("data")
    if not isinstance(items, list) or not items:
        return NOT_APPLICABLE
    validator = ctx.spec.validator("Video")
    for index, item in enumerate(items):
        errors = validator.errors(item)
        if errors:
            raise _schema_violation("response.video.schema", "Video", item, errors, prefix=f"$.data[{index}]")
    return None


def _schema_violation(clause_id: str, schema_name: str, body: Any, errors: list, prefix: str = "$") -> ContractViolation:
    first = errors[0]
    more = f" (and {len(errors) - 1} more schema errors)" if len(errors) > 1 else ""
    expected = ("the field present (nullable fields as null, not left out)" if first.keyword == "required"
                else f"schema {schema_name} at {first.schema_path}")
    return ContractViolation(clause_id, f"{schema_name}: {first.message}{more}", field=prefix + first.path[1:],
                             received=_value_at(body, first.path), expected=expected)


for _name, _clause in SCHEMA_CLAUSES.items():
    check(_clause)(on_answer(_schema_check(_name, _clause)))


def _value_at(body: Any, path: str) -> Any:
    node = body
    for part in path.lstrip("$").replace("[", ".").replace("]", "").split("."):
        if not part:
            continue
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return "(missing)"
    return node


# ---- what other checks read of an answer ------------------------------------------------------
def videos_in(ctx: CheckContext, answer: "Response") -> list[tuple[str, dict]]:
    """The Video objects in a 200 body, each with its JSON path."""
    if not answer.ok or answer.status != 200:
        return []
    schema = documented_schema(ctx, answer)
    body = answer.json_object()
    if body is None:
        return []
    if schema == "Video":
        return [("$", body)]
    if schema == "VideoList" and isinstance(body.get("data"), list):
        return [(f"$.data[{i}]", v) for i, v in enumerate(body["data"]) if isinstance(v, dict)]
    return []


def server_now(answer: "Response") -> float:
    date = answer.headers.get("date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


def error_summary(answer: "Response") -> str:
    """The error message of an answer, for evidence."""
    try:
        body = answer.json()
    except ValueError:
        return answer.exchange.response.body_excerpt[:160] if answer.exchange.response else ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:160]
    return json.dumps(body, ensure_ascii=False)[:160]


@at_end("response.rate-limit.retry-after")
def rate_limited_somewhere(ctx: CheckContext):
    """A run that met no 429 has no Retry-After to judge."""
    if not ctx.history.seen_status(429):
        yield "response.rate-limit.retry-after", Skipped("the target answered no request with 429"), None
