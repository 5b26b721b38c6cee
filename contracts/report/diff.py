"""Compare two conformance.json reports: what regressed, what got fixed, what changed.

``videos-contract diff A.json B.json`` prints :func:`render_diff` and exits with
``diff.exit_code``: 1 when a clause regressed (passed in A, failed in B), else 0; a missing or
invalid file raises :class:`DiffError` (exit 2). A clause that became blocked is a change, not a
regression: its root cause is the clause that regressed (its note names it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.report.document import SCHEMA_VERSION, schema_errors
from contracts.report.io import read_json_file


class DiffError(Exception):
    """A report cannot be read or is not a conformance report."""


@dataclass(frozen=True)
class ClauseChange:
    id: str
    area: str
    statement: str
    before: str | None  # verdict in A (None: the clause is not in A)
    after: str | None  # verdict in B (None: the clause is not in B)
    reason: str = ""  # first evidence message in B for a failure, else the note


@dataclass(frozen=True)
class ReportSide:
    path: Path
    target: str
    profile: str
    spec_version: str
    started_at: str
    outcome_text: str


@dataclass
class ReportDiff:
    a: ReportSide
    b: ReportSide
    regressed: list[ClauseChange] = field(default_factory=list)  # passed -> failed
    fixed: list[ClauseChange] = field(default_factory=list)  # failed -> passed
    changed: list[ClauseChange] = field(default_factory=list)  # any other verdict change (e.g. -> blocked)
    added: list[ClauseChange] = field(default_factory=list)  # only in B
    removed: list[ClauseChange] = field(default_factory=list)  # only in A
    unchanged: int = 0

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressed)

    @property
    def exit_code(self) -> int:
        """1 when something regressed, else 0."""
        return 1 if self.regressed else 0

    @property
    def identical(self) -> bool:
        return not (self.regressed or self.fixed or self.changed or self.added or self.removed)


def load_report(path: Path | str) -> dict[str, Any]:
    """Read a conformance.json and check it against the schema (:class:`DiffError` if not)."""
    path = Path(path)
    doc = read_json_file(path, DiffError, "report", directory_hint=": pass its conformance.json")
    if not isinstance(doc, dict) or "clauses" not in doc:
        raise DiffError(f"{path} is not a conformance report (no 'clauses')")
    version = doc.get("schema_version", doc.get("format_version"))  # format_version: the name until schema 2
    if version != SCHEMA_VERSION:
        raise DiffError(f"{path} has report schema_version {version!r}; this tool reads {SCHEMA_VERSION} "
                        "(run both with the same videos-contract)")
    errors = schema_errors(doc)
    if errors:
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise DiffError(f"{path} is not a valid conformance report: {errors[0]}{more}")
    return doc


def _side(path: Path, doc: dict[str, Any]) -> ReportSide:
    return ReportSide(
        path=path,
        target=doc["target"],
        profile=doc["profile"],
        spec_version=doc["spec_version"],
        started_at=doc["started_at"],
        outcome_text=doc["outcome_text"],
    )


def _reason(c: dict[str, Any]) -> str:
    if c["verdict"] == "failed" and c.get("evidence"):
        return c["evidence"][0]["message"]
    return c.get("note") or ""


def compare(a: dict[str, Any], b: dict[str, Any], a_path: Path, b_path: Path) -> ReportDiff:
    """Compare two already loaded report documents."""
    diff = ReportDiff(a=_side(a_path, a), b=_side(b_path, b))
    a_by_id = {c["id"]: c for c in a["clauses"]}
    b_by_id = {c["id"]: c for c in b["clauses"]}
    for cid, cb in b_by_id.items():
        ca = a_by_id.get(cid)
        if ca is None:
            diff.added.append(
                ClauseChange(cid, cb["area"], cb["statement"], None, cb["verdict"], _reason(cb))
            )
            continue
        before, after = ca["verdict"], cb["verdict"]
        if before == after:
            diff.unchanged += 1
            continue
        change = ClauseChange(cid, cb["area"], cb["statement"], before, after, _reason(cb))
        if before == "passed" and after == "failed":
            diff.regressed.append(change)
        elif before == "failed" and after == "passed":
            diff.fixed.append(change)
        else:
            diff.changed.append(change)
    for cid, ca in a_by_id.items():
        if cid not in b_by_id:
            diff.removed.append(ClauseChange(cid, ca["area"], ca["statement"], ca["verdict"], None, ""))
    for lst in (diff.regressed, diff.fixed, diff.changed, diff.added, diff.removed):
        lst.sort(key=lambda ch: ch.id)
    return diff


def diff_reports(a_path: Path | str, b_path: Path | str) -> ReportDiff:
    """Compare report A (before) with report B (after)."""
    a_path, b_path = Path(a_path), Path(b_path)
    return compare(load_report(a_path), load_report(b_path), a_path, b_path)


def _label(v: str | None) -> str:
    return {"not_verified": "not verified", None: "absent"}.get(v, v)  # type: ignore[arg-type]


def render_diff(diff: ReportDiff) -> str:
    """The diff as text for a terminal or a CI log."""
    from contracts.report.redact import one_line

    out = []
    for name, side in (("A", diff.a), ("B", diff.b)):
        out.append(
            f"{name}: {side.path}  ({side.target}, profile {side.profile}, spec "
            f"{side.spec_version}, {side.started_at}): {side.outcome_text}"
        )
    notes = []
    if diff.a.target != diff.b.target:
        notes.append("the targets differ")
    if diff.a.spec_version != diff.b.spec_version:
        notes.append("the spec versions differ")
    if diff.a.profile != diff.b.profile:
        notes.append("the profiles differ")
    if notes:
        out.append("note: " + ", ".join(notes))

    def section(title: str, items: list[ClauseChange], show: str) -> None:
        if not items:
            return
        out.append("")
        out.append(f"{title} ({len(items)})")
        for ch in items:
            if show == "transition":
                line = f"  {ch.id}: {_label(ch.before)} -> {_label(ch.after)}"
            elif show == "after":
                line = f"  {ch.id} ({_label(ch.after)})"
            else:
                line = f"  {ch.id} (was {_label(ch.before)})"
            out.append(line)
            if ch.reason and ch.after in ("failed", "not_verified", "skipped", "blocked"):
                out.append(f"      {one_line(ch.reason, 150)}")

    section("Regressed: passed -> failed", diff.regressed, "transition")
    section("Fixed: failed -> passed", diff.fixed, "transition")
    section("Other verdict changes", diff.changed, "transition")
    section("New clauses (only in B)", diff.added, "after")
    section("Removed clauses (only in A)", diff.removed, "before")
    out.append("")
    if diff.identical:
        out.append(f"No difference: {diff.unchanged} clauses with the same verdict.")
    else:
        out.append(
            f"{len(diff.regressed)} regressed, {len(diff.fixed)} fixed, "
            f"{len(diff.changed)} other changes, {len(diff.added)} new, "
            f"{len(diff.removed)} removed, {diff.unchanged} unchanged"
        )
    return "\n".join(out) + "\n"
