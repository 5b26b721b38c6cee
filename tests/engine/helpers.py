"""Build answers and records by hand, to feed the judge deliberately wrong answers, one at a time
or as a run would see them in sequence."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx

from contracts.cases import Case
from contracts.checks import Judging
from contracts.client import Response
from contracts.history import History
from contracts.judge import Judge
from contracts.rules import CREATE, RETRIEVE, Rules
from contracts.spec import load_spec
from contracts.types import ClauseResult, Exchange, RecordedRequest, Verdict

NOW = int(time.time())
VIDEO: dict[str, Any] = {
    "id": "video_123", "object": "video", "model": "sora-2", "status": "queued", "progress": 0,
    "created_at": NOW, "completed_at": None, "expires_at": None, "prompt": "a cat",
    "remixed_from_video_id": None, "seconds": "4", "size": "720x1280", "error": None,
}
COMPLETED = {**VIDEO, "status": "completed", "progress": 100, "completed_at": NOW + 5, "expires_at": NOW + 3600}
ENDED = {k: v for k, v in COMPLETED.items() if k != "id"}  # a completed job's fields, for any id
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
             headers: dict[str, str] | None = None, truncated: bool = False, transport_error: str | None = None,
             at: float | None = None) -> Response:
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    all_headers = httpx.Headers({"content-type": content_type, **(headers or {})}) if not transport_error else httpx.Headers()
    exchange = Exchange(request=RecordedRequest(method="GET", url="http://target/v1/videos", headers={}))
    return Response(status if not transport_error else 0, all_headers, data, exchange, truncated=truncated,
                    transport_error=transport_error, sent_at=time.monotonic() if at is None else at)


def case(method: str = "GET", template: str = "/videos/{video_id}", video_id: str = "video_123", **kwargs: Any) -> Case:
    return Case(name=f"{method} {template}", method=method, path=template.replace("{video_id}", video_id),
                operation=(method, template), **kwargs)


class Harness:
    """A record and a judge, without a run: answers go in as the sender would record them."""

    def __init__(self, *, embedded: bool = False, job_timeout: float = 120.0) -> None:
        self.spec = load_spec()
        self.rules = Rules.from_spec(self.spec)
        self.history = History()
        self.judge = Judge(self.spec, self.rules, self.history, Judging(job_timeout=job_timeout, embedded=embedded),
                           started=time.monotonic())

    def check(self, answer: Response, sent: Case) -> Response:
        """Record ``answer`` as the answer to ``sent`` and judge it, as the engine does."""
        answer.case = sent
        self.history.add(answer)
        self.judge.judge(answer)
        return answer

    def created(self, video_id: str = "video_123", at: float | None = None, **changes: Any) -> Response:
        """An accepted create of a job ``video_id`` (its first observation)."""
        return self.check(response(200, video(**{"id": video_id, **changes}), at=at),
                          case("POST", "/videos", json_body={"prompt": "a cat"}, params={"prompt": "a cat"}))

    def polled(self, video_id: str = "video_123", http: int = 200, at: float | None = None, **changes: Any) -> Response:
        """A poll of a followed job answered ``http`` (200: the Video with ``changes``)."""
        body = video(**{"id": video_id, **changes}) if http == 200 else ERROR
        return self.check(response(http, body, at=at), case(*RETRIEVE, video_id, purpose="poll"))

    def finish(self) -> dict[str, ClauseResult]:
        return {r.clause.id: r for r in self.judge.finish()}

    def results(self) -> dict[str, ClauseResult]:
        return {r.clause.id: r for r in self.judge.results()}


def context() -> Harness:
    return Harness()


def verdict(ctx: Harness, clause_id: str) -> Verdict:
    return ctx.judge.verdict_of(clause_id)


def evidence(ctx: Harness, clause_id: str):
    result = ctx.results()[clause_id]
    assert result.evidence, f"{clause_id} has no evidence"
    return result.evidence[0]


def create_case(**kwargs: Any) -> Case:
    return case(*CREATE, **kwargs)
