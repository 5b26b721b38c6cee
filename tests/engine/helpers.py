"""Build responses and contexts by hand, to feed the checks deliberately wrong answers."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx

from contracts.cases import Case
from contracts.checks import CheckContext, run_checks
from contracts.client import Response
from contracts.recorder import Recorder
from contracts.rules import Rules
from contracts.spec import load_spec
from contracts.types import Exchange, RecordedRequest, Verdict

NOW = int(time.time())
VIDEO: dict[str, Any] = {
    "id": "video_123", "object": "video", "model": "sora-2", "status": "queued", "progress": 0,
    "created_at": NOW, "completed_at": None, "expires_at": None, "prompt": "a cat",
    "remixed_from_video_id": None, "seconds": "4", "size": "720x1280", "error": None,
}
COMPLETED = {**VIDEO, "status": "completed", "progress": 100, "completed_at": NOW + 5, "expires_at": NOW + 3600}
ERROR = {"error": {"message": "bad", "type": "invalid_request_error", "param": "prompt", "code": "invalid_value"}}


def video(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(VIDEO)
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


def response(status: int = 200, body: Any = None, *, raw: bytes | None = None, content_type: str = "application/json",
             headers: dict[str, str] | None = None, truncated: bool = False, transport_error: str | None = None) -> Response:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    all_headers = httpx.Headers({"content-type": content_type, **(headers or {})}) if not transport_error else httpx.Headers()
    exchange = Exchange(request=RecordedRequest(method="GET", url="http://target/v1/videos", headers={}))
    return Response(status if not transport_error else 0, all_headers, data, exchange, truncated=truncated,
                    transport_error=transport_error)


class Harness:
    """The checks' inputs (spec, rules) and a recorder for what they find, without a run."""

    def __init__(self) -> None:
        self.spec = load_spec()
        self.rules = Rules.from_spec(self.spec)
        self.recorder = Recorder()

    def check(self, answer: Response, case: Case) -> None:
        """Every registered check on ``answer``, recorded as the engine records it."""
        self.recorder.checked(run_checks(CheckContext(self.spec, self.rules, case), answer), case, answer)


def context() -> Harness:
    return Harness()


def case(method: str = "GET", template: str = "/videos/{video_id}", **kwargs: Any) -> Case:
    return Case(name=f"{method} {template}", method=method, path=template.replace("{video_id}", "video_123"),
                operation=(method, template), **kwargs)


def verdict(ctx: Harness, clause_id: str) -> Verdict:
    return ctx.recorder.verdict_of(clause_id)


def evidence(ctx: Harness, clause_id: str):
    result = next(r for r in ctx.recorder.results() if r.clause.id == clause_id)
    assert result.evidence, f"{clause_id} has no evidence"
    return result.evidence[0]
