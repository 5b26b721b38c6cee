"""A realistic, made-up run with two violations and a blocked clause: for the README screenshot and for trying the
report renderers by hand (``python -m tools.screenshot``)."""

from __future__ import annotations

import json

from contracts.types import Clause, ClauseResult, Evidence, Exchange, RecordedRequest, RecordedResponse, RunResult, Verdict

TARGET = "http://127.0.0.1:8000/v1"
_START = 1_764_100_800.0  # 2025-11-25T20:00:00Z

_ERROR_BODY = json.dumps(
    {
        "error": {
            "message": "prompt is too long (max 30000 characters)",
            "type": "invalid_request_error",
            "param": "prompt",
            "code": None,
        }
    },
    indent=2,
)
_VIDEO_BODY = json.dumps(
    {
        "id": "video_68d7512d07848190b3e45da0ecbebcde",
        "object": "video",
        "model": "sora-2",
        "status": "completed",
        "progress": 100,
        "seconds": 8,
        "size": "1280x720",
    },
    indent=2,
)


def _c(cid: str, statement: str) -> Clause:
    return Clause(id=cid, area=cid.split(".", 1)[0], statement=statement)


def _passed(cid: str, statement: str, checks: int = 1, **kw) -> ClauseResult:
    return ClauseResult(_c(cid, statement), Verdict.PASSED, checks=checks, **kw)


def _failed(cid: str, statement: str, checks: int, evidence: Evidence) -> ClauseResult:
    return ClauseResult(_c(cid, statement), Verdict.FAILED, checks=checks, evidence=[evidence])


def _unchecked(cid: str, statement: str, verdict: Verdict, note: str, **kw) -> ClauseResult:
    """A clause that was not checked (not verified, blocked, skipped), with the note saying why."""
    return ClauseResult(_c(cid, statement), verdict, note=note, **kw)


def _exchange(request: RecordedRequest, status: int, headers: dict[str, str], body: str, elapsed_ms: float,
              curl: str) -> Exchange:
    response = RecordedResponse(status=status, headers=headers, body_excerpt=body, body_size=len(body.encode()),
                                elapsed_ms=elapsed_ms)
    return Exchange(request=request, response=response, curl=curl)


def demo_run() -> RunResult:
    prompt_body = json.dumps(
        {"model": "sora-2", "prompt": "A" * 60 + "\u2026 (32000 chars)"}, ensure_ascii=False
    )
    prompt_ex = _exchange(
        RecordedRequest(
            method="POST",
            url=f"{TARGET}/videos",
            headers={
                "Authorization": "Bearer [REDACTED]",
                "Content-Type": "application/json",
                "User-Agent": "videos-contract/0.1.0",
            },
            body_excerpt=prompt_body,
            body_size=32_045,
        ),
        400,
        {"content-type": "application/json", "x-request-id": "req_4f1c2a"},
        _ERROR_BODY,
        41.7,
        f"curl -sS -X POST '{TARGET}/videos' -H 'Authorization: Bearer $OPENAI_API_KEY' "
        "-H 'Content-Type: application/json' --data @prompt-32000.json",
    )
    seconds_ex = _exchange(
        RecordedRequest(
            method="GET",
            url=f"{TARGET}/videos/video_68d7512d07848190b3e45da0ecbebcde",
            headers={"Authorization": "Bearer [REDACTED]"},
        ),
        200,
        {"content-type": "application/json"},
        _VIDEO_BODY,
        12.3,
        f"curl -sS '{TARGET}/videos/video_68d7512d07848190b3e45da0ecbebcde' -H 'Authorization: Bearer $OPENAI_API_KEY'",
    )
    results = [
        _passed("create.prompt.required", "A request without a prompt is rejected with 400.", 2),
        _failed(
            "create.prompt.max-length-accepted", "A prompt of exactly 32000 characters is accepted.", 1,
            Evidence("create.prompt.max-length-accepted", "A 32000-character prompt was rejected", field="status",
                     expected="200 with a video job", case="create json prompt=32000 chars", exchange=prompt_ex,
                     received="400 invalid_request_error: prompt is too long (max 30000 characters)"),
        ),
        _passed("create.prompt.over-max-rejected", "A prompt of 32001 characters is rejected with 400."),
        _passed("create.seconds.enum", "seconds accepts exactly the documented values 4, 8 and 12.", 4),
        _passed("create.size.enum", "size accepts exactly the documented resolutions.", 4),
        _passed("create.response.schema", "A created job matches the Video schema.", 9),
        _passed("retrieve.status.lifecycle", "A job moves queued -> in_progress -> completed.", 3),
        _failed(
            "retrieve.seconds.type", 'seconds is returned as a string enum value ("4", "8", "12").', 3,
            Evidence("retrieve.seconds.type", "seconds is an integer, the spec says a string", field="$.seconds",
                     expected='string, one of "4", "8", "12"', received="8 (integer)", exchange=seconds_ex,
                     case="retrieve completed job seconds=8"),
        ),
        _passed("retrieve.unknown-id", "An unknown video id gives 404 with an error object.", 2),
        _passed("list.pagination.after", "after= pages through jobs without repeats.", 2),
        _passed("list.order", "order=asc and order=desc sort by created_at.", 2),
        _unchecked("content.download.mp4", "GET /videos/{id}/content returns video/mp4 bytes.", Verdict.NOT_VERIFIED,
                   "no job completed within the budget, so there was no content to fetch"),
        _unchecked("remix.sets-source", "A remix of a completed video names it in remixed_from_video_id.",
                   Verdict.BLOCKED, "blocked: content.download.mp4 not verified (no completed video to remix)",
                   blocked_by="content.download.mp4"),
        _passed("delete.removes-job", "A deleted job is gone: retrieve gives 404.", 1),
        _unchecked("auth.missing-key", "A request without a key is rejected with 401.", Verdict.SKIPPED,
                   "the target profile has no authentication"),
        _passed(
            "errors.shape",
            "Every 4xx body is an error object with message and type.",
            11,
            profile_changed=True,
        ),
    ]
    return RunResult(
        target=TARGET, spec_version="1.0.0", profile="openai", started_at=_START, finished_at=_START + 47.2,
        results=results,
        coverage={
            "boundaries": {"prompt.length (json)": [1, 32000, 32001], "prompt.length (multipart)": [0, 1, 32000]},
            "enums": {
                "seconds": {"json": {"4": 3, "8": 1, "12": 1}},
                "size": {"json": {"720x1280": 2, "1280x720": 2}, "multipart": {"1024x1792": 1, "1792x1024": 1}},
            },
            "generated": {"positive json": 2, "negative json": 20},
            "operations": {"POST /videos": 31, "GET /videos/{video_id}": 12, "GET /videos": 3, "DELETE /videos/{video_id}": 2},
        },
        target_name="acme-video", target_version="2.1.0",
        requests_sent=48,
        videos_created=6,
        cost={"jobs_created": 6, "jobs_followed": 1, "generation_seconds": 41, "jobs_deleted_unfinished": 5},
    )
