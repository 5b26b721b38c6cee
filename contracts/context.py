"""What every scenario shares during one run: the target, the spec, the recorder, the budget, and
the one way to send a case (``RunContext.send``).

Sending a case: the runner's between-requests work first (``between_requests``: the polls of
tracked jobs that are due), then the request, then every registered response check
(``contracts.checks``) on what came back, recorded per clause. Scenario code sends cases and reads
responses; it never judges a per-response clause itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from contracts import checks
from contracts.baseline import Baseline
from contracts.cases import Case
from contracts.clauses import ROUTES
from contracts.client import Client, Response
from contracts.cost import JobCost
from contracts.failures import Blocked, CaseDropped, ContractViolation, NotVerifiable, RunAborted
from contracts.options import RunOptions
from contracts.recorder import Coverage, Recorder
from contracts.rules import CREATING, RETRIEVE, Rules
from contracts.spec import Spec

MAX_CONSECUTIVE_TRANSPORT_ERRORS = 3  # then the target is down or hanging: stop, do not wait out the budget
BUSY_RESENDS = 2  # a create refused as busy is sent again after our jobs ended, this many times at most


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
    finished: set[str] = field(default_factory=set)  # ids seen completed or failed
    progress: Callable[[str, int, int], None] | None = None
    transport_errors_in_a_row: int = 0
    tracks: list[Any] = field(default_factory=list)  # jobs followed through the run (lifecycle.Track)
    derived_tracks: list[Any] = field(default_factory=list)  # an edit's result followed too (judged apart)
    baseline: Baseline = field(default_factory=Baseline)
    # (METHOD, template) -> the clause that found the operation has no route (404/405 to a request
    # that must succeed): probes of that operation (auth) are blocked by it.
    missing_routes: dict[tuple[str, str], str] = field(default_factory=dict)
    one_job_at_a_time: bool = False  # the target refused a create while our jobs ran (503)
    # Set by the runner: the work scheduled between two requests (polls that are due), and a
    # wait until none of the run's jobs is running (for a target that takes one job at a time).
    between_requests: Callable[[], None] | None = None
    wait_until_idle: Callable[[], None] | None = None
    cost: JobCost = field(init=False)  # what the run cost the target's GPU (watches every answer)

    def __post_init__(self) -> None:
        self.cost = JobCost(created=self.created)  # the same list: one record of the jobs created

    def offers(self, operation: str) -> bool:
        """Whether the target offers ``operation`` (clauses.OPERATIONS); all do unless --operations says."""
        return self.options.operations is None or operation in self.options.operations

    def offers_case(self, case: Case) -> bool:
        """Whether the operation ``case`` goes to is offered (requests off the spec always are)."""
        return case.operation is None or self.offers(ROUTES.get(case.operation, "create"))

    @property
    def creates_left(self) -> int | None:
        cap = self.options.max_creates
        return None if cap is None else max(0, cap - len(self.created))

    def running(self) -> list[str]:
        """The run's jobs not seen finished and not deleted."""
        return [v for v in self.created if v not in self.finished and v not in self.deleted]

    def send(self, case: Case) -> Response:
        """Send a case after the work due between requests; see ``transmit``."""
        if self.between_requests is not None:
            self.between_requests()
        return self.transmit(case)

    def attempt(self, clause_id: str, case: Case, *, now: bool = False, wait_for_idle: bool = True) -> Response | None:
        """Send ``case`` (``now``: at once, see ``transmit``); None when it could not be sent (the create
        cap, the budget), which leaves ``clause_id`` not verified."""
        try:
            return self.transmit(case, wait_for_idle=wait_for_idle) if now else self.send(case)
        except NotVerifiable as reason:
            self.recorder.not_verified(clause_id, str(reason))
            return None

    def transmit(self, case: Case, *, wait_for_idle: bool = True) -> Response:
        """Send ``case`` now, run the response checks on what came back, account for created jobs.

        Back-pressure: the client retries 429 and 503 as the openai SDK does. A create answered 503
        while the run's own jobs are running is the target refusing to queue: that is reported once
        (``create.queued-while-busy``) and the run adapts: every later create waits until the
        previous job ended (``wait_for_idle=False``: a probe whose point is a job still running,
        such as an edit of an unfinished source, does not wait)."""
        creating = case.operation in CREATING
        # The cap counts creates that must make a job; a case that a conforming target refuses
        # (invalid, unknown id, no key) makes none, and there is a fixed number of them.
        # A hard cap: an invalid case too once it is reached (a target that wrongly accepts it makes a job).
        if creating and self.creates_left == 0 and case.expect in (None, "accepted", "tolerated", "rejected"):
            dropped = CaseDropped(case.name, f"--max-creates ({self.options.max_creates}) reached")
            for clause_id in case.planned_for:
                self.recorder.dropped(clause_id, dropped)
            raise dropped
        for clause_id in case.planned_for:
            self.recorder.case_sent(clause_id)
        if creating and wait_for_idle and self.one_job_at_a_time and self.wait_until_idle is not None:
            self.wait_until_idle()
        busy_with = self.running() if creating else []
        response = self._request(case)
        for _ in range(BUSY_RESENDS):
            refused = [r for r in [*response.retried, response] if r.ok and r.status == 503]
            if not (creating and busy_with and refused):
                break
            self._refused_while_busy(case, refused[0], busy_with)
            if response.status != 503 or self.wait_until_idle is None:
                break
            self.wait_until_idle()  # still refused after the SDK's retries: wait for our jobs, send again
            busy_with = self.running()
            response = self._request(case)
        check_context = checks.CheckContext(spec=self.spec, rules=self.rules, case=case)
        for retried in response.retried:
            if retried.status == 429 or not (creating and busy_with):
                self.recorder.checked(checks.run_checks(check_context, retried), case, retried)
        self.recorder.checked(checks.run_checks(check_context, response), case, response)
        self._count_transport_error(response)
        if creating and response.ok and 200 <= response.status < 300:
            self._created(case, response, busy_with)
        self._note_missing_route(case, response)
        self.cost.observe(case, response)
        return response

    def _request(self, case: Case) -> Response:
        headers, body = case.encode()
        response = self.client.request(
            case.method, case.path, query=case.query, headers=headers, content=body, auth=case.auth,
            body_cap=64 * 1024 if case.partial_body else None,
        )
        self.coverage.operations[f"{case.method} {case.operation[1] if case.operation else case.path}"] += 1
        return response

    def _refused_while_busy(self, case: Case, refused: Response, busy_with: list[str]) -> None:
        self.recorder.failed(ContractViolation(
            "create.queued-while-busy", f"a create sent while {len(busy_with)} of the run's jobs were running was "
            "refused with 503 instead of being queued; from now on the run sends one job at a time",
            field="status", received=f"503 {checks.error_summary(refused)}".strip(),
            expected="200 and a Video with status queued"), case, refused)
        self.one_job_at_a_time = True

    def _created(self, case: Case, response: Response, busy_with: list[str]) -> None:
        video_id = _id_of(response)
        if busy_with and not self.one_job_at_a_time:
            self.recorder.passed("create.queued-while-busy")
        if not video_id:
            return
        if video_id in self.created:
            self.recorder.failed(ContractViolation("video.ids-unique", "a create returned the id of an earlier job",
                                                   field="$.id", received=video_id, expected="a new id"),
                                 case, response)
            return
        self.recorder.passed("video.ids-unique")
        self.created.append(video_id)

    def _note_missing_route(self, case: Case, response: Response) -> None:
        """A request that must succeed answered 404/405: the operation has no route here."""
        if (case.operation and case.clause and case.expect == "accepted" and response.ok
                and response.status in (404, 405) and case.operation != RETRIEVE):
            self.missing_routes.setdefault(case.operation, case.clause)

    def _count_transport_error(self, response: Response) -> None:
        if response.ok:
            self.transport_errors_in_a_row = 0
            return
        self.transport_errors_in_a_row += 1
        if self.transport_errors_in_a_row >= MAX_CONSECUTIVE_TRANSPORT_ERRORS:
            raise RunAborted(f"the target stopped answering: {self.transport_errors_in_a_row} requests in a row "
                             f"failed (last: {response.transport_error})", kind="target-down")

    def video(self, clause_id: str, response: Response, what: str = "the response") -> dict[str, Any]:
        """The JSON object of a 2xx answer, or a violation of ``clause_id`` saying what came instead."""
        answered(response, what)
        if not 200 <= response.status < 300:
            raise ContractViolation(clause_id, f"{what} was answered {response.status}", field="status",
                                    received=f"{response.status} {checks.error_summary(response)}", expected=200)
        try:
            body = response.json()
        except ValueError as exc:
            raise ContractViolation(clause_id, f"{what}: {exc}", field="body") from None
        if not isinstance(body, dict):
            raise ContractViolation(clause_id, f"{what} is not a JSON object", field="body", received=body)
        return body


def answered(response: Response, what: str = "the request", *, partial: bool = False) -> Response:
    """``response`` if a whole answer came (``partial``: its start is enough); else the clause being
    judged is blocked by response.transport, which is where the missing answer is reported."""
    if not response.ok or (response.truncated and not partial):
        reason = response.transport_error or "the body was cut off"
        raise Blocked("response.transport", f"{what}: no complete answer ({reason})")
    return response


def _id_of(response: Response) -> str | None:
    value = (response.json_object() or {}).get("id")
    return value if isinstance(value, str) and value else None
