"""What every scenario shares during one run: the target, the spec, the recorder, the budget."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from contracts.cases import Case
from contracts.checks import run_checks
from contracts.client import Client, Response
from contracts.cost import JobCost
from contracts.failures import ContractViolation, NotVerifiable, RunAborted
from contracts.options import RunOptions
from contracts.recorder import Coverage, Recorder
from contracts.rules import CREATING, Rules
from contracts.spec import Spec

MAX_CONSECUTIVE_TRANSPORT_ERRORS = 3  # then the target is down or hanging: stop, do not wait out the budget


@dataclass
class RunContext:
    spec: Spec
    rules: Rules
    client: Client
    options: RunOptions
    recorder: Recorder = field(default_factory=Recorder)
    coverage: Coverage = field(default_factory=Coverage)
    created: list[str] = field(default_factory=list)  # ids of the jobs this run created
    deleted: set[str] = field(default_factory=set)
    progress: Callable[[str, int, int], None] | None = None
    transport_errors_in_a_row: int = 0
    tracks: list[Any] = field(default_factory=list)  # jobs followed through the run (lifecycle.Track)
    before_send: list[Callable[["RunContext"], None]] = field(default_factory=list)  # e.g. polls that are due
    _in_hook: bool = False
    cost: JobCost = field(init=False)  # what the run cost the target's GPU (watches every answer)

    def __post_init__(self) -> None:
        self.cost = JobCost(created=self.created)  # the same list: one record of the jobs created

    @property
    def creates_left(self) -> int | None:
        cap = self.options.max_creates
        return None if cap is None else max(0, cap - len(self.created))

    def send(self, case: Case) -> Response:
        """Send a case, run the response checks on what came back, and account for created jobs."""
        if self.before_send and not self._in_hook:
            self._in_hook = True
            try:
                for hook in self.before_send:
                    hook(self)
            finally:
                self._in_hook = False
        creating = case.operation in CREATING
        if creating and self.creates_left == 0:
            raise NotVerifiable(f"--max-creates ({self.options.max_creates}) reached: '{case.name}' was not sent")
        headers, body = case.encode()
        response = self.client.request(
            case.method, case.path, query=case.query, headers=headers, content=body, auth=case.auth,
            body_cap=64 * 1024 if case.partial_body else None,
        )
        self.coverage.operations[f"{case.method} {case.operation[1] if case.operation else case.path}"] += 1
        for rate_limited in response.retried_429:
            run_checks(self, rate_limited, case)
        run_checks(self, response, case)
        self._count_transport_error(response)
        if creating and response.ok and response.status == 200:
            video_id = _id_of(response)
            if video_id:
                with self.recorder.clause("video.ids-unique", case, response):
                    if video_id in self.created:
                        raise ContractViolation("video.ids-unique", "a create returned the id of an earlier job",
                                                field="$.id", received=video_id, expected="a new id")
                    self.created.append(video_id)
        self.cost.observe(case, response)
        return response

    def _count_transport_error(self, response: Response) -> None:
        if response.ok:
            self.transport_errors_in_a_row = 0
            return
        self.transport_errors_in_a_row += 1
        if self.transport_errors_in_a_row >= MAX_CONSECUTIVE_TRANSPORT_ERRORS:
            raise RunAborted(f"the target stopped answering: {self.transport_errors_in_a_row} requests in a row "
                             f"failed (last: {response.transport_error})", kind="target-down")

    def video(self, clause_id: str, response: Response, what: str = "the response") -> dict[str, Any]:
        """The JSON object of a 200 answer, or a violation of ``clause_id`` saying what came instead."""
        if not response.ok:
            raise ContractViolation(clause_id, f"{what}: no response ({response.transport_error})", field="status",
                                    expected=200)
        if response.status != 200:
            raise ContractViolation(clause_id, f"{what} was answered {response.status}", field="status",
                                    received=f"{response.status} {_error_summary(response)}", expected=200)
        try:
            body = response.json()
        except ValueError as exc:
            raise ContractViolation(clause_id, f"{what}: {exc}", field="body") from None
        if not isinstance(body, dict):
            raise ContractViolation(clause_id, f"{what} is not a JSON object", field="body", received=body)
        return body

    def send_expecting(self, clause_id: str, case: Case, statuses=(400,)) -> Response | None:
        """Send ``case`` and evaluate ``clause_id``: the answer must have one of ``statuses``."""
        try:
            response = self.send(case)
        except NotVerifiable as reason:
            self.recorder.not_verified(clause_id, str(reason))
            return None
        with self.recorder.clause(clause_id, case, response):
            self.expect_rejected(clause_id, response, statuses=statuses, what=f"'{case.name}'")
        return response

    def expect_rejected(self, clause_id: str, response: Response, *, statuses=(400,), what: str = "the request") -> None:
        """A violation of ``clause_id`` unless the request was refused with one of ``statuses``."""
        if not response.ok:
            raise ContractViolation(clause_id, f"{what}: no response ({response.transport_error})", field="status",
                                    expected=" or ".join(map(str, statuses)))
        if response.status in statuses:
            return
        hint = ""
        if response.status == 422:
            hint = " (422 is FastAPI's validation status; OpenAI clients expect 400)"
        elif response.status == 200:
            hint = " (accepted: the server does not validate this)"
        raise ContractViolation(clause_id, f"{what} was answered {response.status}{hint}", field="status",
                                received=f"{response.status} {_error_summary(response)}",
                                expected=" or ".join(map(str, statuses)))


def _id_of(response: Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, str) and value else None


def _error_summary(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.exchange.response.body_excerpt[:160] if response.exchange.response else ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", ""))[:160]
    return json.dumps(body, ensure_ascii=False)[:160]
