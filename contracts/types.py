"""The data that flows through a run, in one place.

spec -> cases -> client -> target -> Exchange -> checks -> ClauseResult -> RunResult -> reports.
Everything here is plain data (dataclasses) so that reports can serialise it without knowing the
engine, and tests can build results by hand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Verdict(str, enum.Enum):
    """What a run concluded about one clause."""

    PASSED = "passed"  # checked at least once, never violated
    FAILED = "failed"  # violated at least once: evidence attached
    NOT_VERIFIED = "not_verified"  # could not be checked (e.g. every job failed, so no content)
    SKIPPED = "skipped"  # does not apply to this run (e.g. auth clauses without a key)
    BLOCKED = "blocked"  # a prerequisite clause failed, so this one could not be judged (see blocked_by)


@dataclass(frozen=True)
class Clause:
    """One checked behaviour of the contract, with a stable id (``area.subject.behaviour``)."""

    id: str
    area: str
    statement: str


#: the key the auth probes send as a wrong one: made up and published in this source, so not a secret.
#: A reproduction of "with a wrong key" must send it (not $OPENAI_API_KEY, the right key), and the
#: reports' redaction keeps it (contracts/report/redact.py)
WRONG_API_KEY = "sk-videos-contract-wrong-key"


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: dict[str, str]  # already redacted
    body_excerpt: str = ""  # text, or a description of binary/multipart content
    body_size: int = 0


@dataclass
class RecordedResponse:
    status: int
    headers: dict[str, str]
    body_excerpt: str = ""
    body_size: int = 0
    truncated: bool = False  # the body was cut at the client's cap
    elapsed_ms: float = 0.0


# In a curl command, the file that holds the request's body (multipart, binary or long): the report
# writer puts each such body beside the report and names it here (contracts/report/bodies.py).
BODY_FILE = "REQUEST_BODY.bin"


@dataclass
class Exchange:
    """One request and what came back: a response, or a transport error (timeout, refused...)."""

    request: RecordedRequest
    response: RecordedResponse | None = None
    transport_error: str | None = None
    curl: str = ""  # a command that reproduces the request (key replaced by $OPENAI_API_KEY)
    # A request body the curl command reads from a file (multipart, binary, long): its bytes, written
    # beside the report as requests/NNN.bin by the report writer (never serialised itself).
    body: bytes | None = field(default=None, repr=False, compare=False)


@dataclass
class Evidence:
    """Why a clause failed, once: what was expected, what was received, and the exchange."""

    clause_id: str
    message: str
    field: str | None = None  # a JSON path into the body ("$.seconds") or a header name
    expected: str | None = None
    received: str | None = None
    case: str | None = None  # which case produced it, e.g. "create json prompt=32000 chars"
    exchange: Exchange | None = None


@dataclass
class ClauseResult:
    clause: Clause
    verdict: Verdict
    evidence: list[Evidence] = field(default_factory=list)
    checks: int = 0  # how many times the clause was evaluated
    note: str | None = None  # why not verified / skipped
    profile_changed: bool = False  # the target profile altered what this clause expects
    first_failure: dict[str, Any] | None = None  # {"request": n, "seconds": s} when it first failed
    blocked_by: str | None = None  # for a BLOCKED clause: the id of the root-cause clause


@dataclass
class RunResult:
    target: str
    spec_version: str
    profile: str
    started_at: float
    finished_at: float
    results: list[ClauseResult]
    coverage: dict[str, Any] = field(default_factory=dict)
    requests_sent: int = 0
    videos_created: int = 0
    interrupted: str | None = None  # why the run stopped early (budget, Ctrl-C), else None
    interrupted_kind: str | None = None  # "budget", "target-down" or "ctrl-c"
    options: dict[str, Any] = field(default_factory=dict)  # seed, examples, budget... to reproduce
    embedded: bool = False  # the target was the embedded reference server
    # what the run cost the target's GPU: jobs_created, jobs_followed (to the end),
    # generation_seconds (completed_at - created_at of the jobs seen completed), jobs_deleted_unfinished
    cost: dict[str, int] = field(default_factory=dict)
    # the ids of the videos the run created that stay on the target (no delete route, delete not
    # offered, a delete refused, or the run stopped before clean-up ended); empty on the embedded server
    videos_left: list[str] = field(default_factory=list)
    target_name: str | None = None  # the implementation graded, as the user named it (--target-name)
    target_version: str | None = None  # its version (--target-version)

    @property
    def failed(self) -> list[ClauseResult]:
        return [r for r in self.results if r.verdict is Verdict.FAILED]

    @property
    def blocked(self) -> list[ClauseResult]:
        return [r for r in self.results if r.verdict is Verdict.BLOCKED]

    def counts(self) -> dict[str, int]:
        counts = {v.value: 0 for v in Verdict}
        for r in self.results:
            counts[r.verdict.value] += 1
        return counts


@dataclass(frozen=True)
class RunStats:
    """Counters of a run while it goes on, for a live view (``runner.run(watch=...)``)."""

    requests_sent: int = 0
    jobs_created: int = 0
    jobs_followed: int = 0  # jobs whose lifecycle the run polls
    jobs_finished: int = 0  # of those, seen completed or failed


@dataclass(frozen=True)
class TrafficStats:
    """Counters of a proxy while traffic goes through it, for its live line."""

    requests: int = 0  # exchanges graded
    failed: int = 0  # clauses failed so far
    exercised: int = 0  # clauses some exchange judged (passed or failed)
    clauses: int = 0  # clauses in the catalogue
    not_graded: int = 0  # exchanges forwarded while the grader was too far behind to take them
    grading_failed: int = 0  # exchanges the grader could not take (a defect of the kit: said at the end)
    reports: int = 0  # times the reports were written
    report_error: str | None = None  # why the last reports could not be written
