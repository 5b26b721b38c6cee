"""The Video's semantics, on every Video an answer holds, and what a create's answer says about
the create it answers (echo, defaults, initial status, no remix source, created now).

A field whose value has the wrong type is the schema clause's: these checks skip it, so that one
wrong field is reported once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from contracts.checks import NOT_APPLICABLE, Check, CheckContext, check, on_created
from contracts.checks.responses import server_now, videos_in
from contracts.failures import Blocked, ContractViolation
from contracts.rules import CREATE, Statuses

if TYPE_CHECKING:
    from contracts.client import Response

CLOCK_SKEW = 300  # seconds of disagreement tolerated between the server's clock and ours
SECONDS_RANGE = (10**9, 10**10)  # 2001..2286: anything else is not Unix seconds (ms is 10**12)
ECHOED = ("prompt", "model", "size", "seconds")


def _video_check(clause_id: str):
    def decorate(func: Callable[[Statuses, "Response", dict, str], None]) -> Check:
        def check_videos(ctx: CheckContext, answer: "Response") -> Any:
            videos = videos_in(ctx, answer)
            if not videos:
                return NOT_APPLICABLE
            for prefix, video in videos:
                func(ctx.rules.statuses, answer, video, prefix)

        check_videos.__name__ = func.__name__
        return check(clause_id)(check_videos)

    return decorate


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@_video_check("video.timestamps-unix-seconds")
def timestamps_unix_seconds(statuses: Statuses, answer: "Response", video: dict, prefix: str) -> None:
    now = server_now(answer)
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
def timestamps_ordered(statuses: Statuses, answer: "Response", video: dict, prefix: str) -> None:
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
def progress_consistent(statuses: Statuses, answer: "Response", video: dict, prefix: str) -> None:
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
def error_consistent(statuses: Statuses, answer: "Response", video: dict, prefix: str) -> None:
    status, error = video.get("status"), video.get("error", "(missing)")
    if status == statuses.failed:
        ok = isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)
        if not ok:
            raise ContractViolation("video.error-consistent", "a failed video must explain itself",
                                    field=f"{prefix}.error", received=error, expected='{"code": str, "message": str}')
    elif status in statuses and error is not None and error != "(missing)":
        raise ContractViolation("video.error-consistent", f"a {status} video has an error",
                                field=f"{prefix}.error", received=error, expected=None)


# ---- what a create's answer says about the create -------------------------------------------
def _sent_valid(ctx: CheckContext) -> bool:
    """The case is a valid create that the target must accept (its echo can be judged)."""
    return ctx.case.operation == CREATE and ctx.case.expect == "accepted"


@check("create.echoes-request")
@on_created
def echoes_request(ctx: CheckContext, answer: "Response", video: dict) -> Any:
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
def defaults_applied(ctx: CheckContext, answer: "Response", video: dict) -> Any:
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
def initial_status(ctx: CheckContext, answer: "Response", video: dict) -> Any:
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
def remixed_from_null(ctx: CheckContext, answer: "Response", video: dict) -> Any:
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
def created_now(ctx: CheckContext, answer: "Response", video: dict) -> Any:
    created = video.get("created_at")
    if not _is_int(created) or not SECONDS_RANGE[0] <= created < SECONDS_RANGE[1]:
        return NOT_APPLICABLE  # not Unix seconds at all: timestamps_unix_seconds says so
    now = server_now(answer)
    if abs(created - now) > CLOCK_SKEW:
        raise ContractViolation("video.timestamps-unix-seconds", "a job created just now has a created_at "
                                f"{int(created - now):+d} s away from the server's clock", field="$.created_at",
                                received=created, expected=f"about {int(now)} (±{CLOCK_SKEW} s)")
