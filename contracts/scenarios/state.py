"""What scenarios hand to each other during a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunState:
    jobs: list[dict[str, Any]] = field(default_factory=list)  # create answers, in order
    final: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> last Video seen when polled
    derived_present: list[Any] | None = None  # the edit/extension operations whose route exists (probed once)
    # operation -> how its by-file request sent early went (True accepted, False refused, None not sent)
    derived_sent: dict[str, bool | None] = field(default_factory=dict)
    completed_id: str | None = None  # a job seen completed (content, remix, delete use it)
    drawn: dict[str, Any] = field(default_factory=dict)  # mode -> Future of generated cases
    refused: set[tuple[str, Any]] = field(default_factory=set)  # (field, value) a valid case was refused with
    # Packs of the create plan that a generated valid create carries (contracts/scenarios/create_valid.py
    # ``carry``), and what the plan's splitting needs to settle them (outcome by property, properties).
    carried: list[Any] = field(default_factory=list)
    default_model_served: set[str] = field(default_factory=set)  # encodings whose prompt-only create got it
    plan: tuple[dict[int, bool], list[Any]] = field(default_factory=lambda: ({}, []))
