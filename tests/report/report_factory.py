"""Hand-built RunResults for the report tests: every verdict, full evidence, hostile content.

A uniquely named module (not conftest) so that test modules can import it."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from contracts.report.baseline import Baseline
from contracts.types import Clause, ClauseResult, Evidence, Exchange, RecordedRequest, RecordedResponse, RunResult, Verdict

#: secrets that must never appear in any report, wherever the engine left them
SECRET_KEY = "sk-proj-" + "Zx9Qw" * 8
SECRET_TOKEN = "tok3n-" + "Hh7" * 6  # not sk-shaped: only caught as a header / bearer value
SECRETS = (SECRET_KEY, SECRET_TOKEN)

#: a response body that tries to run script in the HTML report
HOSTILE_BODY = (
    '<script>document.title="pwned"</script>'
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
    "</pre></details> | pipe | `tick` & [link](http://example.invalid) \x00\x1b[31m"
)

START = 1_764_100_800.0  # 2025-11-25T20:00:00Z


def clause(cid: str, statement: str | None = None) -> Clause:
    return Clause(id=cid, area=cid.split(".", 1)[0], statement=statement or f"{cid} holds.")


def exchange(
    *,
    status: int | None = 400,
    body: str = '{"error": {"message": "bad"}}',
    auth: str = "Bearer [REDACTED]",
    curl: str | None = None,
    content_type: str = "application/json",
) -> Exchange:
    return Exchange(
        request=RecordedRequest(
            method="POST",
            url="http://127.0.0.1:9/v1/videos",
            headers={"Authorization": auth, "Content-Type": "application/json"},
            body_excerpt='{"model": "sora-2", "prompt": "a cat"}',
            body_size=38,
        ),
        response=None
        if status is None
        else RecordedResponse(
            status=status,
            headers={"content-type": content_type, "x-request-id": "req_1"},
            body_excerpt=body,
            body_size=len(body.encode()),
            elapsed_ms=12.5,
        ),
        transport_error=None if status is not None else "connection refused",
        curl=curl
        if curl is not None
        else "curl -sS -X POST 'http://127.0.0.1:9/v1/videos' "
        "-H 'Authorization: Bearer $OPENAI_API_KEY' --data '{\"prompt\": \"a cat\"}'",
    )


_DEFAULT: Any = object()


def failed(cid: str, message: str = "expected 200, got 400", **ev: Any) -> ClauseResult:
    """A failed clause; by default answered an error of its own (failures on the same answer are one
    root cause: give two clauses the same ``exchange`` for that)."""
    ex = ev.pop("exchange", _DEFAULT)
    if ex is _DEFAULT:
        ex = exchange(body=json.dumps({"error": {"message": f"bad {cid}"}}))
    return ClauseResult(
        clause(cid),
        Verdict.FAILED,
        checks=ev.pop("checks", 1),
        evidence=[
            Evidence(
                clause_id=cid,
                message=message,
                field=ev.pop("field", "$.status"),
                expected=ev.pop("expected", "200"),
                received=ev.pop("received", "400"),
                case=ev.pop("case", "create json prompt=32000 chars"),
                exchange=ex,
            )
        ],
    )


def passed(cid: str, checks: int = 2) -> ClauseResult:
    return ClauseResult(clause(cid), Verdict.PASSED, checks=checks)


def not_verified(cid: str, note: str = "every job failed, so no content") -> ClauseResult:
    return ClauseResult(clause(cid), Verdict.NOT_VERIFIED, note=note)


def skipped(cid: str, note: str = "no API key given") -> ClauseResult:
    return ClauseResult(clause(cid), Verdict.SKIPPED, note=note)


def blocked(cid: str, by: str, reason: str | None = None) -> ClauseResult:
    note = f"blocked: {by} failed" + (f" ({reason})" if reason else "")
    return ClauseResult(clause(cid), Verdict.BLOCKED, note=note, blocked_by=by)


def make_cascade_run(**kw: Any) -> RunResult:
    """Two root causes: a missing DELETE route blocks two clauses, a required ``model`` one; a third
    failure blocks nothing; one clause is blocked by a root that is only not verified."""
    return make_run(
        [
            passed("create.prompt.required"),
            failed("create.optional-fields-omittable", "a create without model was rejected", field="$.model"),
            blocked("create.prompt.min-length-accepted", "create.optional-fields-omittable"),
            failed("delete.removes", "DELETE answered 405", field="status", received="405"),
            blocked("delete.then-not-found", "delete.removes"),
            blocked("auth.missing-key-rejected", "delete.removes", "no route for DELETE"),
            failed("retrieve.seconds.type", "seconds is an integer", field="$.seconds"),
            not_verified("lifecycle.completes", "no job completed within the budget"),
            blocked("remix.sets-source", "lifecycle.completes"),
        ],
        **kw,
    )


def make_run(results: list[ClauseResult] | None = None, **kw: Any) -> RunResult:
    """A run with one clause of each verdict by default; the failure carries a hostile body."""
    if results is None:
        results = [
            passed("create.prompt.required"),
            failed(
                "create.prompt.max-length-accepted",
                "a 32000-character prompt was rejected",
                field="$.prompt",
                exchange=exchange(body=HOSTILE_BODY),
            ),
            passed("retrieve.status.lifecycle", checks=3),
            not_verified("content.download.mp4"),
            skipped("auth.missing-key"),
        ]
    defaults: dict[str, Any] = dict(
        target="http://127.0.0.1:9/v1",
        spec_version="1.0.0",
        profile="openai",
        started_at=START,
        finished_at=START + 12.25,
        results=results,
        coverage={
            "boundaries": {"prompt.length": [1, 32000, 32001]},
            "enums": {"seconds": {"json": {"4": 3, "8": 1}}},
        },
        requests_sent=17,
        videos_created=2,
    )
    defaults.update(kw)
    return RunResult(**defaults)


def replace(run: RunResult, **kw: Any) -> RunResult:
    return dataclasses.replace(run, **kw)


LONG = "0123456789abcdef" * 8  # 128 characters with nowhere to break a line


def make_long_facts_run() -> tuple[RunResult, Baseline]:
    """A run whose every fact is very long (URL, profile, GPU cost, videos left, clause ids, fields,
    headers, error texts, coverage keys, the baseline's path), with a baseline to show: what the
    HTML page must fit in its width."""
    from contracts import clauses as catalogue
    from contracts.report.baseline import BaselineEntry

    big = 10**15
    offered = ["create", "retrieve", "list", "delete", "content", "remix"]
    odd = exchange(body=json.dumps({"error": {"message": LONG * 3}}), curl="curl " + LONG * 3)
    odd = dataclasses.replace(odd, request=dataclasses.replace(
        odd.request, url="http://127.0.0.1:9/v1/" + LONG * 2, headers={"X-" + LONG: LONG * 2}))
    upstream = exchange(status=500, body="upstream connect error; reset reason: " + LONG, content_type="text/plain")
    results = [
        passed("create.prompt.required"),
        failed("create.prompt." + "very-long-clause-name-" * 6 + "accepted", "rejected " + LONG, field="$." + LONG,
               case="case " + LONG, expected=LONG * 2, received=LONG * 3, exchange=odd),
        failed("response.not-server-error", "500 " + LONG, exchange=upstream),
        failed("character." + LONG, "500 " + LONG, exchange=upstream),
        blocked("character.schema." + LONG, "character." + LONG),
        blocked("remix." + LONG, "response.not-server-error"),
        not_verified("content." + LONG, "note " + LONG),
        *(skipped(cid, catalogue.not_offered_note(ops))
          for cid, ops in catalogue.not_offered(frozenset(offered)).items()),
    ]
    run = make_run(
        results,
        target="http://a-long-gateway-host-name.internal.example.com:8443/" + LONG,
        profile="profile-" + LONG,
        cost={key: big for key in ("jobs_created", "jobs_followed", "generation_seconds", "jobs_deleted_unfinished",
                                   "jobs_from_invalid_creates", "generated_not_sent")},
        videos_left=[f"video_{LONG}{i}" for i in range(14)],
        options={"operations": offered},
        coverage={"boundaries": {"prompt.length (json) " + LONG: [0, 1, 32000, 32001]},
                  "enums": {"seconds " + LONG: {"json": {LONG: 3, "8": 1}}},
                  "operations": {"POST /videos/" + LONG: 31}},
    )
    accepted = Baseline(entries={"response.not-server-error": BaselineEntry("response.not-server-error")},
                        path=f"/tmp/{LONG}/baseline.json")
    return run, accepted
