"""Checks applied to every response the suite receives.

Modelled on schemathesis' ``specs/openapi/checks.py``: each check is a small typed function
``check(ctx, response)`` registered for one clause by ``@check``, with its precondition as a
decorator (``@on_answer``, ``@on_created``). It raises ``ContractViolation`` when the response breaks
the clause, returns ``NOT_APPLICABLE`` when the clause says nothing about this response,
raises ``Blocked`` when the response cannot be judged because another clause failed (no answer
came at all), and returns None otherwise.

A check sees only a narrow ``CheckContext`` (the spec, the rules and the case), never the run: what
a response shows is judged from the response alone. The one exception to "one clause per check"
is ``case_expectation``: it judges the case's own clause (``Case.clause``) by the answer the case
expects (``Case.expect``), so that a case's outcome counts for the clause it exists to test and
for no other. Scenario-level behaviour (lifecycle, pagination...) lives in ``contracts/scenarios``.
"""

from __future__ import annotations

import email.utils
import functools
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from contracts.failures import Blocked, ContractViolation
from contracts.rules import CONTENT, CREATE, CREATING, DELETE, REMIX, RETRIEVE, Statuses

if TYPE_CHECKING:
    from contracts.cases import Case
    from contracts.client import Response
    from contracts.rules import Rules
    from contracts.spec import Spec


@dataclass(frozen=True)
class CheckContext:
    """What a check may know: the (profiled) spec, the rules read from it, and the case sent."""

    spec: "Spec"
    rules: "Rules"
    case: "Case"


NOT_APPLICABLE = object()
Check = Callable[[CheckContext, "Response"], Any]
Outcome = tuple[str, "ContractViolation | Blocked | None"]  # (clause id, what the check found)
REGISTRY: list[tuple[str | None, Check]] = []  # clause None: the case's own clause

CLOCK_SKEW = 300  # seconds of disagreement tolerated between the server's clock and ours
SECONDS_RANGE = (10**9, 10**10)  # 2001..2286: anything else is not Unix seconds (ms is 10**12)
SCHEMA_CLAUSES = {
    "Video": "response.video.schema",
    "VideoList": "response.list.schema",
    "DeletedVideo": "response.deleted.schema",
    "ErrorResponse": "response.error.envelope",
    "VideoCharacter": "response.character.schema",
}
# 4xx answers that do not say "this request is invalid": auth, no such route, timeouts, rate limits.
NOT_A_REJECTION = (401, 403, 404, 405, 408, 429)
ECHOED = ("prompt", "model", "size", "seconds")
FASTAPI_HINT = "FastAPI's {\"detail\": ...} shape; OpenAI clients need {\"error\": {message, type, param, code}}"


def check(clause_id: str | None) -> Callable[[Check], Check]:
    """Register ``func`` as the check of ``clause_id`` (None: of the case's own clause)."""

    def register(func: Check) -> Check:
        REGISTRY.append((clause_id, func))
        return func

    return register


def run_checks(ctx: CheckContext, response: "Response") -> list[Outcome]:
    """Every registered check on one response; the engine records what they found."""
    found: list[Outcome] = []
    for clause_id, func in REGISTRY:
        clause_id = clause_id or ctx.case.clause
        if clause_id is None:
            continue
        try:
            outcome = func(ctx, response)
        except ContractViolation as violation:
            found.append((violation.clause_id, violation))
            continue
        except Blocked as blocked:
            found.append((clause_id, blocked))
            continue
        if outcome is not NOT_APPLICABLE:
            found.append((clause_id, None))
    return found


# ---- preconditions --------------------------------------------------------------------------
def on_answer(func: Check) -> Check:
    """Only responses that arrived (a transport error is response.transport's alone)."""

    @functools.wraps(func)
    def wrapper(ctx: CheckContext, response: "Response") -> Any:
        if not response.ok:
            return NOT_APPLICABLE
        return func(ctx, response)

    return wrapper


def created_video(ctx: CheckContext, response: "Response") -> dict[str, Any] | None:
    """The Video of a creating operation's 2xx answer, else None."""
    if ctx.case.operation not in CREATING or not response.ok or not 200 <= response.status < 300:
        return None
    return response.json_object()


def on_created(func: Callable[[CheckContext, "Response", dict], Any]) -> Check:
    """Only the answer of an accepted create or remix, with its Video."""

    @functools.wraps(func)
    def wrapper(ctx: CheckContext, response: "Response") -> Any:
        video = created_video(ctx, response)
        if video is None:
            return NOT_APPLICABLE
        return func(ctx, response, video)

    return wrapper


# ---- the case's own clause ------------------------------------------------------------------
@check(None)
def case_expectation(ctx: CheckContext, response: "Response") -> Any:
    """The answer the case exists to get: accepted, rejected as invalid, tolerated, 404 or 401."""
    case = ctx.case
    if case.expect is None or case.clause is None:
        return NOT_APPLICABLE  # a packed create of the plan: split when refused, never judged whole
    what = f"'{case.name}'"
    if not response.ok:
        raise Blocked("response.transport", f"{what} got no answer ({response.transport_error})")
    status = response.status
    if status == 429:
        return NOT_APPLICABLE  # rate limited to the end (after retries): nothing to judge
    rejection = 400 <= status < 500 and status not in NOT_A_REJECTION
    accepted = 200 <= status < 300
    wanted = {"accepted": accepted, "rejected": rejection, "tolerated": accepted or rejection,
              "not-found": status == 404, "unauthorized": status == 401}[case.expect]
    if wanted:
        return None
    expected = {"accepted": accepted_answer(ctx), "rejected": "400 (refused as invalid)",
                "tolerated": "200 or 400, never a 5xx", "not-found": "404", "unauthorized": "401"}[case.expect]
    hint = ""
    if status == 422:
        hint = " (422 is FastAPI's validation status; OpenAI clients expect 400)"
    elif accepted and case.expect == "rejected":
        hint = " (accepted: the server does not validate this)"
    elif status in (404, 405) and case.expect not in ("not-found", "unauthorized"):
        hint = f" (no such route: the server does not offer {case.method} {case.operation[1] if case.operation else case.path})"
    raise ContractViolation(case.clause, f"{what} was answered {status}{hint}", field="status",
                            received=f"{status} {error_summary(response)}".strip(), expected=expected)


def accepted_answer(ctx: CheckContext) -> str:
    """What an accepted case is documented to get: 200 and its operation's schema (a Video, the
    deletion object...), read from the spec."""
    name = ctx.spec.response_schema_name(*ctx.case.operation, 200) if ctx.case.operation else None
    return {None: "200", "Video": "200 and a Video", "DeletedVideo": "200 and a DeletedVideo (the deletion object)"}.get(
        name, f"200 and a {name}")


# ---- transport and status -------------------------------------------------------------------
@check("response.transport")
def transport(ctx: CheckContext, response: "Response") -> Any:
    if response.transport_error:
        raise ContractViolation("response.transport", response.transport_error, field="response",
                                received="no complete HTTP response", expected="an answer within the timeout")
    if response.truncated and not ctx.case.partial_body:
        raise ContractViolation("response.transport", f"the body is larger than the {len(response.body)}-byte cap "
                                "(a server that streams without end?); it was cut off", field="body")


@check("response.not-server-error")
@on_answer
def not_server_error(ctx: CheckContext, response: "Response") -> Any:
    if response.status >= 500:
        case = ctx.case
        raise ContractViolation("response.not-server-error", f"{case.method} {case.path} answered {response.status}",
                                field="status", received=response.status, expected="a 2xx or 4xx")


@check("response.status-documented")
@on_answer
def status_documented(ctx: CheckContext, response: "Response") -> Any:
    if ctx.case.operation is None:
        return NOT_APPLICABLE
    method, template = ctx.case.operation
    if response.status == 405:
        return NOT_APPLICABLE  # no such route: the operation's own clause says so, once
    if ctx.spec.status_is_documented(method, template, response.status):
        return None
    documented = ", ".join(ctx.spec.documented_statuses(method, template))
    hint = " (422 is FastAPI's validation status; the contract wants 400)" if response.status == 422 else ""
    raise ContractViolation("response.status-documented", f"{method} {template} answered {response.status}, "
                            f"which the spec does not document{hint}", field="status",
                            received=response.status, expected=documented)


@check("response.content-type")
@on_answer
def content_type(ctx: CheckContext, response: "Response") -> Any:
    if ctx.case.operation is None:
        return NOT_APPLICABLE
    method, template = ctx.case.operation
    documented = ctx.spec.response_content_types(method, template, response.status)
    if not documented:
        return NOT_APPLICABLE
    if response.media_type not in documented:
        raise ContractViolation("response.content-type", f"{response.status} answer has the wrong Content-Type",
                                field="Content-Type", received=response.headers.get("content-type", "(none)"),
                                expected=" or ".join(documented))


# ---- bodies against the spec's schemas ------------------------------------------------------
def documented_schema(ctx: CheckContext, response: "Response") -> str | None:
    if response.status >= 400:
        return "ErrorResponse"  # every error, documented status or not, must carry the envelope
    if ctx.case.operation is None:
        return None
    method, template = ctx.case.operation
    return ctx.spec.response_schema_name(method, template, response.status)


def _schema_check(schema_name: str, clause_id: str) -> Check:
    """Validate the body against ``schema_name``. The Videos inside a list are the Video clause's,
    so that one wrong field in a Video is reported once, not once more for every list."""

    def check_schema(ctx: CheckContext, response: "Response") -> Any:
        documented = documented_schema(ctx, response)
        if response.truncated:
            return NOT_APPLICABLE  # a cut-off body is response.transport's
        if schema_name == "Video" and documented == "VideoList":
            return _list_items_are_videos(ctx, response)
        if documented != schema_name:
            return NOT_APPLICABLE
        try:
            body = response.json()
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


def _list_items_are_videos(ctx: CheckContext, response: "Response") -> Any:
    items = (response.json_object() or {}).get("data")
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


# ---- the Video's semantics, on every Video the suite sees -----------------------------------
def videos_in(ctx: CheckContext, response: "Response") -> list[tuple[str, dict]]:
    """The Video objects in a 200 body, each with its JSON path."""
    if not response.ok or response.status != 200:
        return []
    schema = documented_schema(ctx, response)
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
    def decorate(func: Callable[[Statuses, "Response", dict, str], None]) -> Check:
        def check_videos(ctx: CheckContext, response: "Response") -> Any:
            videos = videos_in(ctx, response)
            if not videos:
                return NOT_APPLICABLE
            for prefix, video in videos:
                func(ctx.rules.statuses, response, video, prefix)

        check_videos.__name__ = func.__name__
        return check(clause_id)(check_videos)

    return decorate


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@_video_check("video.timestamps-unix-seconds")
def timestamps_unix_seconds(statuses: Statuses, response: "Response", video: dict, prefix: str) -> None:
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
def timestamps_ordered(statuses: Statuses, response: "Response", video: dict, prefix: str) -> None:
    status, created = video.get("status"), video.get("created_at")
    completed, expires = video.get("completed_at"), video.get("expires_at")
    if status == statuses.completed and completed is None:
        raise ContractViolation("video.timestamps-ordered", "a completed video has no completed_at",
                                field=f"{prefix}.completed_at", received=None, expected="a Unix time")
    if status in statuses.unfinished and completed is not None:
        raise ContractViolation("video.timestamps-ordered", f"a {status} video already has completed_at",
                                field=f"{prefix}.completed_at", received=completed, expected=None)
    if not _is_int(created):
        return
    for name, value in (("completed_at", completed), ("expires_at", expires)):
        if _is_int(value) and value < created:
            raise ContractViolation("video.timestamps-ordered", f"{name} is before created_at ({created})",
                                    field=f"{prefix}.{name}", received=value, expected=f">= {created}")


@_video_check("video.progress-consistent")
def progress_consistent(statuses: Statuses, response: "Response", video: dict, prefix: str) -> None:
    status, progress = video.get("status"), video.get("progress")
    if not _is_int(progress):
        return
    if status == statuses.completed and progress != 100:
        raise ContractViolation("video.progress-consistent", "a completed video's progress is not 100",
                                field=f"{prefix}.progress", received=progress, expected=100)
    if status == statuses.queued and progress != 0:
        raise ContractViolation("video.progress-consistent", "a queued video's progress is not 0",
                                field=f"{prefix}.progress", received=progress, expected=0)


@_video_check("video.error-consistent")
def error_consistent(statuses: Statuses, response: "Response", video: dict, prefix: str) -> None:
    status, error = video.get("status"), video.get("error", "(missing)")
    if status == statuses.failed:
        ok = isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
        if not ok:
            raise ContractViolation("video.error-consistent", "a failed video must explain itself",
                                    field=f"{prefix}.error", received=error, expected='{"code": str, "message": str}')
    elif status in statuses and error is not None and error != "(missing)":
        raise ContractViolation("video.error-consistent", f"a {status} video has an error",
                                field=f"{prefix}.error", received=error, expected=None)


@check("response.rate-limit.retry-after")
@on_answer
def rate_limit_retry_after(ctx: CheckContext, response: "Response") -> Any:
    if response.status != 429:
        return NOT_APPLICABLE
    value = response.headers.get("retry-after")
    if value is None or not value.strip().isdigit():
        raise ContractViolation("response.rate-limit.retry-after", "a 429 without a usable Retry-After header",
                                field="Retry-After", received=value or "(missing)", expected="seconds, e.g. 2")


# ---- what a create's answer says about the create -------------------------------------------
# Fields whose value has the wrong type are the schema clause's: these checks skip them, so that
# one wrong field is reported once.
def _sent_valid(ctx: CheckContext) -> bool:
    """The case is a valid create that the target must accept (its echo can be judged)."""
    return ctx.case.operation == CREATE and ctx.case.expect == "accepted"


@check("create.echoes-request")
@on_created
def echoes_request(ctx: CheckContext, response: "Response", video: dict) -> Any:
    if not _sent_valid(ctx):
        return NOT_APPLICABLE
    sent, nullable = ctx.case.params, ctx.spec.nullable_fields("Video")
    for name in ECHOED:
        value = video.get(name, "(missing)")
        typed = isinstance(value, str) and value != "(missing)" or (value is None and name in nullable)
        if name in sent and typed and value != sent[name]:
            raise ContractViolation("create.echoes-request", f"the create response does not echo {name}",
                                    field=f"$.{name}", received=value, expected=sent[name])
    return None


@check("create.defaults-applied")
@on_created
def defaults_applied(ctx: CheckContext, response: "Response", video: dict) -> Any:
    omitted = [name for name in ctx.rules.defaults if name not in ctx.case.params]
    if not _sent_valid(ctx) or not omitted:
        return NOT_APPLICABLE
    for name in omitted:
        default, value = ctx.rules.defaults[name], video.get(name)
        if isinstance(value, str) and value != default:
            raise ContractViolation("create.defaults-applied", f"{name} was omitted but is not the default",
                                    field=f"$.{name}", received=value, expected=default)
    return None


@check("create.initial-status")
@on_created
def initial_status(ctx: CheckContext, response: "Response", video: dict) -> Any:
    status = video.get("status")
    if status not in ctx.rules.statuses:
        # Not a documented status at all (the schema clause's finding): whether the job started
        # unfinished cannot be told from it.
        raise Blocked("response.video.schema", f"the created job's status {status!r} is not a documented status")
    if status not in ctx.rules.statuses.unfinished:
        started = " or ".join(ctx.rules.statuses.unfinished)
        raise ContractViolation("create.initial-status", f"a new job must start {started}", field="$.status",
                                received=status, expected=started)


@check("create.remixed-from-null")
@on_created
def remixed_from_null(ctx: CheckContext, response: "Response", video: dict) -> Any:
    if ctx.case.operation != CREATE:
        return NOT_APPLICABLE
    if "remixed_from_video_id" not in video:  # a missing field is the schema clause's finding
        raise Blocked("response.video.schema", "the created Video has no remixed_from_video_id field")
    if video["remixed_from_video_id"] is not None:
        raise ContractViolation("create.remixed-from-null", "a plain create has remixed_from_video_id set",
                                field="$.remixed_from_video_id", received=video["remixed_from_video_id"],
                                expected=None)


@check("video.timestamps-unix-seconds")
@on_created
def created_now(ctx: CheckContext, response: "Response", video: dict) -> Any:
    created = video.get("created_at")
    if not _is_int(created) or not SECONDS_RANGE[0] <= created < SECONDS_RANGE[1]:
        return NOT_APPLICABLE  # not Unix seconds at all: timestamps_unix_seconds says so
    now = server_now(response)
    if abs(created - now) > CLOCK_SKEW:
        raise ContractViolation("video.timestamps-unix-seconds", "a job created just now has a created_at "
                                f"{int(created - now):+d} s away from the server's clock", field="$.created_at",
                                received=created, expected=f"about {int(now)} (±{CLOCK_SKEW} s)")


# ---- what the answer to a case says about the case's own clause, beyond its status -----------
def for_clause(clause_id: str) -> Callable[[Check], Check]:
    """Only the 2xx answers to cases of ``clause_id`` (its status is case_expectation's)."""

    def decorate(func: Check) -> Check:
        @functools.wraps(func)
        def wrapper(ctx: CheckContext, response: "Response") -> Any:
            if ctx.case.clause != clause_id or not response.ok or not 200 <= response.status < 300:
                return NOT_APPLICABLE
            return func(ctx, response)

        return check(clause_id)(wrapper)

    return decorate


def _path_id(case: "Case") -> str:
    """The video id in a case's path (/videos/{video_id}[/...])."""
    return case.path.split("/videos/", 1)[-1].split("/", 1)[0]


MAGIC = {
    "video/mp4": lambda b: b[4:8] == b"ftyp",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
}


@for_clause("content.download")
def content_is_the_variant(ctx: CheckContext, response: "Response") -> Any:
    if ctx.case.operation != CONTENT:
        return NOT_APPLICABLE
    variant = (ctx.case.query or {}).get("variant", ctx.rules.default_variant)
    media_type = ctx.rules.variant_media_types.get(variant)
    if media_type is None:
        return NOT_APPLICABLE
    if response.media_type != media_type:
        raise ContractViolation("content.download", f"variant={variant} has the wrong Content-Type",
                                field="Content-Type", received=response.media_type or "(none)", expected=media_type)
    if media_type in MAGIC and not MAGIC[media_type](response.body):
        raise ContractViolation("content.download", f"variant={variant} bytes are not {media_type}",
                                field="body", received=response.body[:16].hex(), expected=f"a {media_type} file")


@for_clause("remix.sets-source")
@on_created
def remix_names_its_source(ctx: CheckContext, response: "Response", video: dict) -> Any:
    if ctx.case.operation != REMIX:
        return NOT_APPLICABLE
    source = _path_id(ctx.case)
    if video.get("remixed_from_video_id") != source:
        raise ContractViolation("remix.sets-source", "the remix does not name its source",
                                field="$.remixed_from_video_id", received=video.get("remixed_from_video_id"),
                                expected=source)
    if video.get("id") == source:
        raise ContractViolation("remix.sets-source", "the remix reuses the source's id", field="$.id",
                                received=video.get("id"), expected="a new id")


@for_clause("delete.returns-deletion")
def deletion_confirms_the_video(ctx: CheckContext, response: "Response") -> Any:
    if ctx.case.operation != DELETE:
        return NOT_APPLICABLE
    target = _path_id(ctx.case)
    try:
        body = response.json()
    except ValueError as exc:
        raise ContractViolation("delete.returns-deletion", f"deleting a video: {exc}", field="body",
                                expected="the deletion object") from None
    if not isinstance(body, dict) or body.get("id") != target or body.get("deleted") is not True:
        found = {k: body[k] for k in ("id", "object", "deleted") if k in body} if isinstance(body, dict) else body
        raise ContractViolation("delete.returns-deletion", "the deletion object does not confirm this video",
                                field="$.id" if not isinstance(body, dict) or body.get("id") != target else "$.deleted",
                                received=found, expected={"id": target, "object": "video.deleted", "deleted": True})


@for_clause("lifecycle.retrieve-after-create")
def retrieve_answers_the_video(ctx: CheckContext, response: "Response") -> Any:
    if ctx.case.operation != RETRIEVE:
        return NOT_APPLICABLE
    body = response.json_object()
    if body is not None and body.get("id") != _path_id(ctx.case):  # not a JSON object: the schema clause's
        raise ContractViolation("lifecycle.retrieve-after-create", "retrieve answered another video", field="$.id",
                                received=body.get("id"), expected=_path_id(ctx.case))


def error_summary(response: "Response") -> str:
    """The error message of an answer, for evidence."""
    try:
        body = response.json()
    except ValueError:
        return response.exchange.response.body_excerpt[:160] if response.exchange.response else ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:160]
    return json.dumps(body, ensure_ascii=False)[:160]
