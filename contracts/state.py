"""The one state of a run: what it was told, the record of what happened, what its plan learned.

Scenarios read it to plan their next case and keep their own memory in it (the jobs kept alive,
the completed video, the baseline); they read verdicts only through ``failed`` and
``failed_prerequisite`` (to route around a known failure), and never record one: the sender records
every answer and the judge judges it (contracts/send.py, contracts/judge.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.baseline import Baseline
from contracts.clauses import ROUTES
from contracts.coverage import Coverage
from contracts.history import History
from contracts.lifecycle import Schedule

if TYPE_CHECKING:
    from contracts.cases import Case
    from contracts.judge import Judge
    from contracts.options import RunOptions
    from contracts.rules import Rules
    from contracts.spec import Spec


@dataclass
class RunState:
    spec: "Spec"
    rules: "Rules"
    options: "RunOptions"
    judge: "Judge"
    history: History
    coverage: Coverage = field(default_factory=Coverage)
    baseline: Baseline = field(default_factory=Baseline)
    schedule: Schedule = field(default_factory=Schedule)
    # ---- what the plan learned, handed from step to step ---------------------------------------------
    kept: list[dict[str, Any]] = field(default_factory=list)  # create answers kept alive for later steps
    completed_id: str | None = None  # a job seen completed (content, remix, delete, auth use it)
    derived_present: list[Any] | None = None  # the edit/extension operations whose route exists (probed once)
    # operation -> how its by-file request sent early went (True accepted, False refused, None not sent)
    derived_sent: dict[str, bool | None] = field(default_factory=dict)
    drawn: dict[str, Any] = field(default_factory=dict)  # mode -> Future of generated cases
    refused: set[tuple[str, Any]] = field(default_factory=set)  # (field, value) a valid case was refused with
    # Packs of the create plan that a generated valid create carries (scenarios/create_valid.py
    # ``carry``), and what the plan's splitting needs to settle them (outcome by property, properties).
    carried: list[Any] = field(default_factory=list)
    default_model_served: set[str] = field(default_factory=set)  # encodings whose prompt-only create got it
    baseline_carried: list[Any] = field(default_factory=list)  # plan properties a baseline create carried
    plan: tuple[dict[int, bool], list[Any]] = field(default_factory=lambda: ({}, []))
    one_job_at_a_time: bool = False  # the target refused a create while jobs ran (503): creates wait
    generated_not_sent: int = 0  # generated valid creates drawn but beyond the job budget

    plan_creates: int = 0  # the jobs the plan needs with its margins (--max-creates' default): read, never recomputed

    def __post_init__(self) -> None:
        from contracts.plan import default_max_creates

        self.schedule.poll_interval_cap = self.options.poll_interval_cap
        self.plan_creates = default_max_creates(self.rules)

    # ---- verdicts, read to route around a known failure ---------------------------------------------
    def failed(self, clause_id: str) -> bool:
        return self.judge.failed(clause_id)

    def failed_prerequisite(self, clause_id: str) -> str | None:
        return self.judge.failed_prerequisite(clause_id)

    # ---- the target's operations and the job budget ------------------------------------------------
    def offers(self, operation: str) -> bool:
        """Whether the target offers ``operation`` (clauses.OPERATIONS); all do unless --operations says."""
        return self.options.operations is None or operation in self.options.operations

    def offers_case(self, case: "Case") -> bool:
        """Whether the operation ``case`` goes to is offered (requests off the spec always are)."""
        return case.operation is None or self.offers(ROUTES.get(case.operation, "create"))

    @property
    def creates_left(self) -> int | None:
        cap = self.options.max_creates
        return None if cap is None else max(0, cap - len(self.history.jobs))

    def deleted(self, video_id: str) -> bool:
        job = self.history.jobs.get(video_id)
        return job is not None and job.deleted_by is not None

    def alive(self) -> list[dict[str, Any]]:
        """The jobs the plan keeps that are not deleted."""
        return [v for v in self.kept if not self.deleted(v["id"])]
