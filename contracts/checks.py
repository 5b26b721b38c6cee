"""Checks applied to every response the suite receives.

Each check is a small function ``check(ctx, response, case)`` registered for one clause by
``@response_check``. It raises ``ContractViolation`` when the response breaks the clause, returns
``NOT_APPLICABLE`` when the clause says nothing about this response, and returns None otherwise.
Scenario-level behaviour (lifecycle, pagination...) lives in ``contracts/scenarios``.
"""

from __future__ import annotations

import email.utils
import time
from typing import TYPE_CHECKING, Any, Callable

from contracts.failures import ContractViolation

if TYPE_CHECKING:
    from contracts.cases import Case
    from contracts.client import Response
    from contracts.context import RunContext

NOT_APPLICABLE = object()
Check = Callable[["RunContext", "Response", "Case"], Any]
REGISTRY: list[tuple[str, Check]] = []

CLOCK_SKEW = 300  # seconds of disagreement tolerated between the server's clock and ours
SECONDS_RANGE = (10**9, 10**10)  # 2001..2286: anything else is not Unix seconds (ms is 10**12)
SCHEMA_CLAUSES = {
    "Video": "response.video.schema",
    "VideoList": "response.list.schema",
    "DeletedVideo": "response.deleted.schema",
    "ErrorResponse": "response.error.envelope",
}
FASTAPI_HINT = "FastAPI's {\"detail\": ...} shape; OpenAI clients need {\"error\": {message, type, param, code}}"


def response_check(clause_id: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        REGISTRY.append((clause_id, func))
        return func

    return register


def run_checks(ctx: "RunContext", response: "Response", case: "Case") -> None:
    for clause_id, check in REGISTRY:
        try:
            outcome = check(ctx, response, case)
        except ContractViolation as violation:
            ctx.recorder.failed(violation, case, response)
        else:
            if outcome is not NOT_APPLICABLE:
                ctx.recorder.passed(clause_id)


# ---- transport and status -------------------------------------------------------------------
@response_check("response.transport")
def transport(ctx, response, case):
    if response.transport_error:
        raise ContractViolation("response.transport", response.transport_error, field="response",
                                received="no complete HTTP response", expected="an answer within the timeout")
    if response.truncated and not case.partial_body:
        raise ContractViolation("response.transport", f"the body is larger than the {len(response.body)}-byte cap "
                                "(a server that streams without end?); it was cut off", field="body")


@response_check("response.not-server-error")
def not_server_error(ctx, response, case):
    if not response.ok:
        return NOT_APPLICABLE
    if response.status >= 500:
        raise ContractViolation("response.not-server-error", f"{case.method} {case.path} answered {response.status}",
                                field="status", received=response.status, expected="a 2xx or 4xx")


@response_check("response.status-documented")
def status_documented(ctx, response, case):
    if not response.ok or case.operation is None:
        return NOT_APPLICABLE
    method, template = case.operation
    if ctx.spec.status_is_documented(method, template, response.status):
        return None
    documented = ", ".join(ctx.spec.documented_statuses(method, template))
    hint = " (422 is FastAPI's validation status; the contract wants 400)" if response.status == 422 else ""
    raise ContractViolation("response.status-documented", f"{method} {template} answered {response.status}, "
                            f"which the spec does not document{hint}", field="status",
                            received=response.status, expected=documented)


@response_check("response.content-type")
def content_type(ctx, response, case):
    if not response.ok or case.operation is None:
        return NOT_APPLICABLE
    method, template = case.operation
    documented = ctx.spec.response_content_types(method, template, response.status)
    if not documented:
        return NOT_APPLICABLE
    if response.media_type not in documented:
        raise ContractViolation("response.content-type", f"{response.status} answer has the wrong Content-Type",
                                field="Content-Type", received=response.headers.get("content-type", "(none)"),
                                expected=" or ".join(documented))


# ---- bodies against the spec's schemas ------------------------------------------------------
def documented_schema(ctx: "RunContext", response: "Response", case: "Case") -> str | None:
    if response.status >= 400:
        return "ErrorResponse"  # every error, documented status or not, must carry the envelope
    if case.operation is None:
        return None
    method, template = case.operation
    return ctx.spec.response_schema_name(method, template, response.status)


def _schema_check(schema_name: str, clause_id: str) -> Check:
    def check(ctx, response, case):
        if not response.ok or documented_schema(ctx, response, case) != schema_name:
            return NOT_APPLICABLE
        try:
            body = response.json()
        except ValueError as exc:
            raise ContractViolation(clause_id, str(exc), field="body", expected=f"a JSON {schema_name}") from None
        errors = ctx.spec.validator(schema_name).errors(body)
        if not errors:
            return None
        first = errors[0]
        more = f" (and {len(errors) - 1} more schema errors)" if len(errors) > 1 else ""
        if schema_name == "ErrorResponse" and isinstance(body, dict) and "detail" in body and "error" not in body:
            raise ContractViolation(clause_id, f"the error body is {FASTAPI_HINT}", field="$.error",
                                    received=body, expected="{\"error\": {\"message\", \"type\", \"param\", \"code\"}}")
        raise ContractViolation(clause_id, f"{schema_name}: {first.message}{more}", field=first.path,
                                received=_value_at(body, first.path), expected=_expected_at(ctx, schema_name, first))

    check.__name__ = f"schema_{schema_name}"
    return check


for _name, _clause in SCHEMA_CLAUSES.items():
    response_check(_clause)(_schema_check(_name, _clause))


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


def _expected_at(ctx, schema_name: str, violation) -> str:
    if violation.keyword == "required":
        return "the field present (nullable fields as null, not left out)"
    return f"schema {schema_name} at {violation.schema_path}"


# ---- the Video's semantics, on every Video the suite sees -----------------------------------
def videos_in(ctx: "RunContext", response: "Response", case: "Case") -> list[tuple[str, dict]]:
    """The Video objects in a 200 body, each with its JSON path."""
    if not response.ok or response.status != 200:
        return []
    schema = documented_schema(ctx, response, case)
    try:
        body = response.json()
    except ValueError:
        return []
    if schema == "Video" and isinstance(body, dict):
        return [("$", body)]
    if schema == "VideoList" and isinstance(body, dict) and isinstance(body.get("data"), list):
        return [(f"$.data[{i}]", v) for i, v in enumerate(body["data"]) if isinstance(v, dict)]
    return []


def server_now(response: "Response") -> float:
    date = response.headers.get("date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


def _video_check(clause_id: str):
    def decorate(func: Callable[["RunContext", "Response", dict, str], None]) -> Check:
        def check(ctx, response, case):
            videos = videos_in(ctx, response, case)
            if not videos:
                return NOT_APPLICABLE
            for prefix, video in videos:
                func(ctx, response, video, prefix)

        check.__name__ = func.__name__
        return response_check(clause_id)(check)

    return decorate


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@_video_check("video.timestamps-unix-seconds")
def timestamps_unix_seconds(ctx, response, video, prefix):
    now = server_now(response)
    for name in ("created_at", "completed_at", "expires_at"):
        value = video.get(name)
        if not _is_int(value) and not isinstance(value, float):
            continue  # type errors belong to the schema clause
        if not SECONDS_RANGE[0] <= value < SECONDS_RANGE[1]:
            unit = " (milliseconds?)" if value >= 10**12 else ""
            raise ContractViolation("video.timestamps-unix-seconds", f"{name} is not a Unix time in seconds{unit}",
                                    field=f"{prefix}.{name}", received=value, expected="Unix seconds, e.g. 1764000000")
    created = video.get("created_at")
    if (_is_int(created) or isinstance(created, float)) and created > now + CLOCK_SKEW:
        raise ContractViolation("video.timestamps-unix-seconds", "created_at is in the future of the server's clock",
                                field=f"{prefix}.created_at", received=created, expected=f"<= {int(now)} (+{CLOCK_SKEW} s)")


@_video_check("video.timestamps-ordered")
def timestamps_ordered(ctx, response, video, prefix):
    status, created = video.get("status"), video.get("created_at")
    completed, expires = video.get("completed_at"), video.get("expires_at")
    if status == "completed" and completed is None:
        raise ContractViolation("video.timestamps-ordered", "a completed video has no completed_at",
                                field=f"{prefix}.completed_at", received=None, expected="a Unix time")
    if status in ("queued", "in_progress") and completed is not None:
        raise ContractViolation("video.timestamps-ordered", f"a {status} video already has completed_at",
                                field=f"{prefix}.completed_at", received=completed, expected=None)
    if not _is_int(created):
        return
    for name, value in (("completed_at", completed), ("expires_at", expires)):
        if _is_int(value) and value < created:
            raise ContractViolation("video.timestamps-ordered", f"{name} is before created_at ({created})",
                                    field=f"{prefix}.{name}", received=value, expected=f">= {created}")


@_video_check("video.progress-consistent")
def progress_consistent(ctx, response, video, prefix):
    status, progress = video.get("status"), video.get("progress")
    if not _is_int(progress):
        return
    if status == "completed" and progress != 100:
        raise ContractViolation("video.progress-consistent", "a completed video's progress is not 100",
                                field=f"{prefix}.progress", received=progress, expected=100)
    if status == "queued" and progress != 0:
        raise ContractViolation("video.progress-consistent", "a queued video's progress is not 0",
                                field=f"{prefix}.progress", received=progress, expected=0)


@_video_check("video.error-consistent")
def error_consistent(ctx, response, video, prefix):
    status, error = video.get("status"), video.get("error", "(missing)")
    if status == "failed":
        ok = isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
        if not ok:
            raise ContractViolation("video.error-consistent", "a failed video must explain itself",
                                    field=f"{prefix}.error", received=error, expected='{"code": str, "message": str}')
    elif status in ("queued", "in_progress", "completed") and error is not None and error != "(missing)":
        raise ContractViolation("video.error-consistent", f"a {status} video has an error",
                                field=f"{prefix}.error", received=error, expected=None)


@response_check("response.rate-limit.retry-after")
def rate_limit_retry_after(ctx, response, case):
    if not response.ok or response.status != 429:
        return NOT_APPLICABLE
    value = response.headers.get("retry-after")
    if value is None or not value.strip().isdigit():
        raise ContractViolation("response.rate-limit.retry-after", "a 429 without a usable Retry-After header",
                                field="Retry-After", received=value or "(missing)", expected="seconds, e.g. 2")
