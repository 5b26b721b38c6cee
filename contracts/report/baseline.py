"""Baselines: gate CI on *new* violations of a server that knowingly deviates from the contract.

A baseline is a small, human-editable JSON file that lists the failing clauses a team has
accepted, one entry per clause id, sorted, each with the clause statement (for the reader) and a
note (why it is accepted, a ticket link...)::

    {
      "format": "videos-contract-baseline",
      "format_version": 1,
      "note": "Known violations of http://localhost:8000 ...",
      "target": "http://localhost:8000",
      "spec_version": "1.0.0",
      "profile": "openai",
      "created_at": "2026-11-25T21:00:00.000Z",
      "accepted": [
        {"id": "create.seconds.enum", "statement": "...", "note": "tracked in VID-123"}
      ]
    }

``apply_baseline`` then sorts the failures of a run into *new* (not in the baseline: they fail the
run, exit code 1) and *known* (accepted), and reports the entries that are *fixed* (the clause now
passes: delete the entry), *unconfirmed* (the clause was not verified or skipped this time) and
*missing* (no such clause in this run: renamed or removed from the catalogue).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contracts.types import RunResult, Verdict

BASELINE_FORMAT = "videos-contract-baseline"
BASELINE_FORMAT_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not a valid baseline (the CLI exits with 2)."""


@dataclass(frozen=True)
class BaselineEntry:
    id: str
    statement: str = ""
    note: str = ""


@dataclass
class Baseline:
    entries: dict[str, BaselineEntry] = field(default_factory=dict)
    note: str = ""
    target: str | None = None
    spec_version: str | None = None
    profile: str | None = None
    created_at: str | None = None
    path: Path | None = None  # where it was loaded from / written to

    @property
    def ids(self) -> set[str]:
        return set(self.entries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": BASELINE_FORMAT,
            "format_version": BASELINE_FORMAT_VERSION,
            "note": self.note,
            "target": self.target,
            "spec_version": self.spec_version,
            "profile": self.profile,
            "created_at": self.created_at,
            "accepted": [
                {"id": e.id, "statement": e.statement, "note": e.note}
                for e in sorted(self.entries.values(), key=lambda e: e.id)
            ],
        }


@dataclass
class BaselineOutcome:
    """How the failures of one run compare with a baseline. All lists are sorted clause ids."""

    new: list[str] = field(default_factory=list)  # failing, not accepted: these fail the run
    known: list[str] = field(default_factory=list)  # failing, accepted by the baseline
    fixed: list[str] = field(default_factory=list)  # accepted, but the clause now passes
    unconfirmed: list[str] = field(default_factory=list)  # accepted, not verified / skipped / blocked now
    missing: list[str] = field(default_factory=list)  # accepted, but no such clause in the run
    path: Path | None = None
    accepted: int = 0  # number of entries in the baseline

    @property
    def ok(self) -> bool:
        """No new violation: the run passes the gate."""
        return not self.new

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def status_of(self, clause_id: str) -> str | None:
        """``"new"`` or ``"known"`` for a failing clause, else None."""
        if clause_id in self.known:
            return "known"
        if clause_id in self.new:
            return "new"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path else None,
            "accepted": self.accepted,
            "new": list(self.new),
            "known": list(self.known),
            "fixed": list(self.fixed),
            "unconfirmed": list(self.unconfirmed),
            "missing": list(self.missing),
        }


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def baseline_from_result(
    result: RunResult, *, note: str | None = None, keep_notes_from: Baseline | None = None
) -> Baseline:
    """A baseline accepting every failure of ``result``. Per-entry notes of ``keep_notes_from``
    are kept for the clauses that still fail; new entries get the first evidence message."""
    from contracts.report.redact import clean_text, one_line

    previous = keep_notes_from.entries if keep_notes_from else {}
    entries: dict[str, BaselineEntry] = {}
    for r in result.failed:
        cid = r.clause.id
        if cid in previous and previous[cid].note:
            entry_note = previous[cid].note
        else:
            first = r.evidence[0].message if r.evidence else ""
            entry_note = "accepted: " + one_line(clean_text(first), 200) if first else "accepted"
        entries[cid] = BaselineEntry(
            id=cid, statement=clean_text(r.clause.statement), note=clean_text(entry_note)
        )
    default_note = (
        f"Known violations of {result.target} accepted for CI gating: a run fails only on a "
        "failing clause not listed here. Remove an entry once the server fixes it."
    )
    return Baseline(
        entries=entries,
        note=clean_text(note or (keep_notes_from.note if keep_notes_from else "") or default_note),
        target=clean_text(result.target),
        spec_version=result.spec_version,
        profile=result.profile,
        created_at=_now_iso(),
    )


def write_baseline(
    result: RunResult, path: Path | str, *, note: str | None = None, keep_notes: bool = True
) -> Baseline:
    """Write a baseline accepting every failure of ``result`` to ``path`` (atomically).

    With ``keep_notes`` (the default) and a valid baseline already at ``path``, the hand-written
    notes of the entries that still fail, and the file's note, are kept."""
    path = Path(path)
    previous = None
    if keep_notes and path.exists():
        try:
            previous = load_baseline(path)
        except BaselineError:
            previous = None
    baseline = baseline_from_result(result, note=note, keep_notes_from=previous)
    baseline.path = path
    from contracts.report.io import atomic_write_text

    text = json.dumps(baseline.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
    return baseline


def _require_str(value: Any, where: str, *, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise BaselineError(f"{where} must be a string, not {type(value).__name__}")
    return value


def parse_baseline(data: Any, *, source: str = "baseline") -> Baseline:
    """Validate the decoded JSON of a baseline file."""
    if isinstance(data, list):  # a bare list of ids or entries: accepted, for hand-written files
        data = {"accepted": data}
    if not isinstance(data, dict):
        raise BaselineError(f"{source}: expected a JSON object with an 'accepted' list")
    fmt = data.get("format", BASELINE_FORMAT)
    if fmt != BASELINE_FORMAT:
        raise BaselineError(f"{source}: 'format' is {fmt!r}, expected {BASELINE_FORMAT!r}")
    version = data.get("format_version", BASELINE_FORMAT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BaselineError(f"{source}: 'format_version' must be a positive integer")
    if version > BASELINE_FORMAT_VERSION:
        raise BaselineError(
            f"{source}: format_version {version} is newer than this tool understands "
            f"({BASELINE_FORMAT_VERSION}); upgrade videos-contract"
        )
    if "accepted" not in data:
        raise BaselineError(f"{source}: missing the 'accepted' list of clause ids")
    accepted = data["accepted"]
    if not isinstance(accepted, list):
        raise BaselineError(f"{source}: 'accepted' must be a list")
    entries: dict[str, BaselineEntry] = {}
    for i, item in enumerate(accepted):
        where = f"{source}: accepted[{i}]"
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict):
            raise BaselineError(f"{where} must be an object with an 'id' (or a clause id string)")
        cid = item.get("id")
        if not isinstance(cid, str) or not cid.strip():
            raise BaselineError(f"{where} has no 'id' (a clause id such as 'create.seconds.enum')")
        cid = cid.strip()
        if cid in entries:
            raise BaselineError(f"{where}: clause {cid!r} is listed twice")
        entries[cid] = BaselineEntry(
            id=cid,
            statement=_require_str(item.get("statement"), f"{where}.statement") or "",
            note=_require_str(item.get("note"), f"{where}.note") or "",
        )
    return Baseline(
        entries=entries,
        note=_require_str(data.get("note"), f"{source}: 'note'") or "",
        target=_require_str(data.get("target"), f"{source}: 'target'"),
        spec_version=_require_str(data.get("spec_version"), f"{source}: 'spec_version'"),
        profile=_require_str(data.get("profile"), f"{source}: 'profile'"),
        created_at=_require_str(data.get("created_at"), f"{source}: 'created_at'"),
    )


def load_baseline(path: Path | str) -> Baseline:
    """Read and validate a baseline file; :class:`BaselineError` says what is wrong with it."""
    from contracts.report.io import read_json_file

    path = Path(path)
    data = read_json_file(path, BaselineError, "baseline file")
    baseline = parse_baseline(data, source=f"baseline file {path}")
    baseline.path = path
    return baseline


def apply_baseline(result: RunResult, baseline: Baseline | None) -> BaselineOutcome:
    """Split the failures of ``result`` into new and known, and check the baseline's entries."""
    if baseline is None:
        baseline = Baseline()
    accepted = baseline.ids
    by_id = {r.clause.id: r for r in result.results}
    failing = {r.clause.id for r in result.failed}
    fixed, unconfirmed, missing = [], [], []
    for cid in accepted - failing:
        r = by_id.get(cid)
        if r is None:
            missing.append(cid)
        elif r.verdict is Verdict.PASSED:
            fixed.append(cid)
        else:
            unconfirmed.append(cid)
    return BaselineOutcome(
        new=sorted(failing - accepted),
        known=sorted(failing & accepted),
        fixed=sorted(fixed),
        unconfirmed=sorted(unconfirmed),
        missing=sorted(missing),
        path=baseline.path,
        accepted=len(accepted),
    )
