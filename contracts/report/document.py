"""The report document: a ``RunResult`` as plain, redacted, JSON-ready data.

It is what ``conformance.json`` holds, and every other report (HTML, JUnit, Markdown, console)
is rendered from it, so that all of them show the same, redacted, facts. Its format is described
by ``conformance.schema.json`` beside this file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from contracts import __version__
from contracts.clauses import NOT_OFFERED, OFFERED_BY, OPERATIONS, basic_rank
from contracts.options import RunOptions
from contracts.report.answers import answer_dict, answer_key
from contracts.report.baseline import Baseline, BaselineOutcome, apply_baseline
from contracts.report.redact import clean_text, clean_tree, redact_headers
from contracts.selection import EXCLUDED, SELECTED_BY
from contracts.text import plural
from contracts.types import Clause, ClauseResult, Evidence, Exchange, RunResult, Verdict

#: the version of conformance.json's format, which its JSON Schema (beside this file, printed by
#: ``videos-contract schema``) describes: bumped on any change a consumer could notice
SCHEMA_VERSION = 3
SCHEMA_PATH = Path(__file__).with_name("conformance.schema.json")

#: the verdicts in display order
VERDICTS = [v.value for v in Verdict]

#: overall outcomes of a run
CONFORMS = "conforms"  # every verified clause passed, and the run completed
KNOWN_VIOLATIONS = "known_violations"  # it failed only clauses accepted by the baseline
VIOLATIONS = "violations"  # at least one failing clause not accepted by a baseline
INTERRUPTED = "interrupted"  # stopped early, and no (new) violation among what ran
UNVERIFIED = "unverified"  # strict: no (new) violation, but a clause was not verified (exit 1)
OUTCOMES = [CONFORMS, KNOWN_VIOLATIONS, VIOLATIONS, INTERRUPTED, UNVERIFIED]
STRICT = "--strict"  # how the reports name the option (also strict = true in a profile, --contract-strict)

#: reports keep at most this many pieces of evidence per clause (the count is kept)
MAX_EVIDENCE_PER_CLAUSE = 20
#: and cut any body excerpt longer than this (the engine already caps bodies)
MAX_EXCERPT_CHARS = 64 * 1024


def iso8601(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _excerpt(text: str | None) -> str:
    text = clean_text(text or "")
    if len(text) > MAX_EXCERPT_CHARS:
        cut = len(text) - MAX_EXCERPT_CHARS
        text = text[:MAX_EXCERPT_CHARS] + f"\n\u2026 [{cut} more characters cut by the report]"
    return text


def _opt(text: str | None) -> str | None:
    return None if text is None else clean_text(str(text))


def exchange_to_dict(ex: Exchange) -> dict[str, Any]:
    req = ex.request
    resp = ex.response
    return {
        "request": {
            "method": clean_text(req.method),
            "url": clean_text(req.url),
            "headers": redact_headers(req.headers),
            "body_excerpt": _excerpt(req.body_excerpt),
            "body_size": int(req.body_size),
        },
        "response": None
        if resp is None
        else {
            "status": int(resp.status),
            "headers": redact_headers(resp.headers),
            "body_excerpt": _excerpt(resp.body_excerpt),
            "body_size": int(resp.body_size),
            "truncated": bool(resp.truncated),
            "elapsed_ms": round(float(resp.elapsed_ms), 3),
        },
        "transport_error": _opt(ex.transport_error),
        "curl": clean_text(ex.curl or ""),
    }


def evidence_to_dict(ev: Evidence) -> dict[str, Any]:
    return {
        "message": clean_text(ev.message or ""),
        "field": _opt(ev.field),
        "expected": _opt(ev.expected),
        "received": _opt(ev.received),
        "case": _opt(ev.case),
        "exchange": exchange_to_dict(ev.exchange) if ev.exchange is not None else None,
    }


def _clause_to_dict(
    r: ClauseResult, outcome: BaselineOutcome | None, interrupted: str | None
) -> dict[str, Any]:
    note = r.note
    if note is None and interrupted and r.verdict is Verdict.NOT_VERIFIED:
        note = f"not run: the run was interrupted ({interrupted})"
    evidence = list(r.evidence)
    return {
        "id": clean_text(r.clause.id),
        "area": clean_text(r.clause.area),
        "statement": clean_text(r.clause.statement),
        "verdict": Verdict(r.verdict).value,
        "checks": int(r.checks),
        "note": _opt(note),
        "profile_changed": bool(r.profile_changed),
        "baseline": outcome.status_of(r.clause.id)
        if outcome is not None and r.verdict is Verdict.FAILED
        else None,
        "first_failure": dict(r.first_failure) if r.first_failure else None,
        "blocked_by": _opt(r.blocked_by) if r.verdict is Verdict.BLOCKED else None,
        "evidence_total": len(evidence),
        "evidence": [evidence_to_dict(e) for e in evidence[:MAX_EVIDENCE_PER_CLAUSE]],
    }


def _counts(clauses: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICTS}
    for c in clauses:
        counts[c["verdict"]] += 1
    counts["total"] = sum(counts.values())
    return counts


def root_causes(clauses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The root causes of a run, each with the ids of the clauses it blocked (in report order).

    Failed clauses first: those that failed on the same error answer (``answers.answer_key``:
    status and error text) are one root cause, headed by the most basic of them (``clauses.BASIC``,
    then the most blocking, then report order), the others under it in ``same_answer`` with what
    each blocked; then any other clause that blocks some (e.g. not verified because no video
    completed). Most clauses first (a group counts its members and everything they blocked), then
    in report order."""
    by_id = {c["id"]: c for c in clauses}
    order = {c["id"]: i for i, c in enumerate(clauses)}
    blocked: dict[str, list[str]] = {}
    for c in clauses:
        if c["verdict"] == Verdict.BLOCKED.value and c.get("blocked_by"):
            blocked.setdefault(c["blocked_by"], []).append(c["id"])

    failed = [c["id"] for c in clauses if c["verdict"] == Verdict.FAILED.value]
    groups: dict[Any, list[str]] = {}  # the same answer -> the failed clauses answered so
    for cid in failed:
        key = answer_key(by_id[cid])
        groups.setdefault(cid if key is None else key, []).append(cid)
    heads: dict[str, tuple[Any, list[str]]] = {}
    for key, ids in groups.items():
        head = min(ids, key=lambda cid: (basic_rank(cid), -len(blocked.get(cid, [])), order[cid]))
        heads[head] = (key if isinstance(key, tuple) else None, [cid for cid in ids if cid != head])

    def entry(cid: str) -> dict[str, Any]:
        key, same = heads.get(cid, (None, []))
        return {
            "id": cid,
            "verdict": by_id[cid]["verdict"] if cid in by_id else None,
            "statement": by_id[cid]["statement"] if cid in by_id else "",
            "blocked": blocked.get(cid, []),
            "answer": answer_dict(key) if key is not None else None,
            "same_answer": [{"id": m, "statement": by_id[m]["statement"], "blocked": blocked.get(m, [])}
                            for m in same],
        }

    causes = [entry(cid) for cid in heads]
    causes += [entry(cid) for cid in blocked if cid not in failed]
    causes.sort(key=lambda rc: (rc["verdict"] != Verdict.FAILED.value,
                                -len(cause_clauses(rc)) - len(blocked_by_cause(rc)), order.get(rc["id"], len(order))))
    return causes


def cause_clauses(rc: dict[str, Any]) -> list[str]:
    """The ids of the failed clauses a root cause stands for: itself, then those that failed on the same answer."""
    return [rc["id"], *(m["id"] for m in rc["same_answer"])]


def blocked_by_cause(rc: dict[str, Any]) -> list[str]:
    """Every clause a root cause blocked: its own, then those of the clauses under it."""
    return [*rc["blocked"], *(b for m in rc["same_answer"] for b in m["blocked"])]


def is_known_cause(rc: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> bool:
    """Every failure of a root cause is a known violation (accepted by the baseline): the reports
    list it after those that fail the run."""
    return all(by_id.get(cid, {}).get("baseline") == "known" for cid in cause_clauses(rc))


def is_strict(result: RunResult | dict[str, Any]) -> bool:
    """Whether a clause not verified fails this run (--strict, strict = true, --contract-strict)."""
    options = result.options if isinstance(result, RunResult) else result.get("options")
    return bool((options or {}).get("strict"))


def run_outcome(counts: dict[str, int], interrupted: str | None, new_failures: int, strict: bool = False) -> str:
    if new_failures:
        return VIOLATIONS
    if interrupted:
        return INTERRUPTED
    if strict and counts["not_verified"]:
        return UNVERIFIED
    if counts["failed"]:
        return KNOWN_VIOLATIONS
    return CONFORMS


def outcome_text(doc: dict[str, Any]) -> str:
    """A one-line verdict, e.g. ``"3 violations (1 new, 2 known)"``."""
    counts = doc["counts"]
    outcome = doc["outcome"]
    failed = counts["failed"]
    b = doc.get("baseline")
    blocked = f"{counts['blocked']} blocked" if counts.get("blocked") else ""
    if outcome == CONFORMS:
        text = "conforms"
        extra = [blocked] if blocked else []
        if counts["not_verified"]:
            extra.append(f"{counts['not_verified']} not verified")
        if counts["skipped"]:
            extra.append(f"{counts['skipped']} skipped")
        if extra:
            text += " (" + ", ".join(extra) + ")"
        return text
    if outcome == UNVERIFIED:
        text = f"{plural(counts['not_verified'], 'clause')} not verified ({STRICT}: each fails the run)"
        if failed:
            text += f"; {plural(failed, 'known violation')}"
        return text
    if outcome == KNOWN_VIOLATIONS:
        return f"{plural(failed, 'known violation')}, no new violation" + (f"; {blocked}" if blocked else "")
    if outcome == INTERRUPTED:
        text = "interrupted"
        if doc.get("interrupted"):
            text += f": {doc['interrupted']}"
        if failed:
            text += f" ({plural(failed, 'known violation')})"
        return text
    text = plural(failed, "violation")
    if b is not None:
        text += f" ({len(b['new'])} new, {len(b['known'])} known)"
    if blocked:
        text += f"; {blocked}"
    if doc.get("interrupted"):
        text += "; run interrupted"
    return text


def build_report(result: RunResult, *, baseline: Baseline | BaselineOutcome | None = None) -> dict[str, Any]:
    """The conformance report document for ``result`` (redacted, JSON-serialisable).

    ``baseline`` (a loaded :class:`Baseline`, or the outcome of applying one) splits failures
    into new and known; without it every failure is new."""
    if isinstance(baseline, Baseline):
        outcome: BaselineOutcome | None = apply_baseline(result, baseline)
    else:
        outcome = baseline
    interrupted = _opt(result.interrupted)
    clauses = [_clause_to_dict(r, outcome, interrupted) for r in result.results]
    counts = _counts(clauses)

    areas: dict[str, list[dict[str, Any]]] = {}
    for c in clauses:
        areas.setdefault(c["area"], []).append(c)

    new_failures = len(outcome.new) if outcome is not None else counts["failed"]
    duration = max(0.0, float(result.finished_at) - float(result.started_at))
    offered = (result.options or {}).get("operations")
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "videos-contract", "version": __version__},
        "target": clean_text(result.target),
        "target_name": _opt(result.target_name),
        "target_version": _opt(result.target_version),
        "embedded": bool(result.embedded),
        "spec_version": clean_text(str(result.spec_version)),
        "profile": clean_text(str(result.profile)),
        "operations": [op for op in OPERATIONS if offered is None or op in offered],
        "started_at": iso8601(result.started_at),
        "started_at_epoch": float(result.started_at),
        "finished_at": iso8601(result.finished_at),
        "finished_at_epoch": float(result.finished_at),
        "duration_seconds": round(duration, 3),
        "outcome": run_outcome(counts, interrupted, new_failures, is_strict(result)),
        "outcome_text": "",
        "counts": counts,
        "areas": [{"area": a, "counts": _counts(cs)} for a, cs in areas.items()],
        "requests_sent": int(result.requests_sent),
        "videos_created": int(result.videos_created),
        "cost": {key: int(value) for key, value in {**empty_cost(), **(result.cost or {})}.items()},
        "videos_left": [clean_text(str(v)) for v in result.videos_left],
        "interrupted": interrupted,
        "interrupted_kind": result.interrupted_kind,
        # every option and coverage key, also for a result built by hand or by an older engine
        "options": clean_tree({**RunOptions(base_url=result.target).recorded(), **(result.options or {})}),
        "coverage": clean_tree({**EMPTY_COVERAGE, **(result.coverage or {})}),
        "baseline": outcome.to_dict() if outcome is not None else None,
        "root_causes": root_causes(clauses),
        "clauses": clauses,
    }
    if doc["baseline"] is not None:
        doc["baseline"] = clean_tree(doc["baseline"])
    doc["outcome_text"] = outcome_text(doc)
    return doc


def empty_cost() -> dict[str, int]:
    """The cost line of a result that recorded none (built by hand, or an older engine)."""
    return {"jobs_created": 0, "jobs_followed": 0, "generation_seconds": 0, "jobs_deleted_unfinished": 0,
            "jobs_from_invalid_creates": 0, "generated_not_sent": 0}


EMPTY_COVERAGE: dict[str, Any] = {"boundaries": {}, "enums": {}, "generated": {}, "operations": {}}


def not_run_count(doc: dict[str, Any]) -> int:
    """How many clauses an interrupted run never reached (shown as not verified, noted "not run")."""
    return sum(1 for c in doc["clauses"] if c["verdict"] == "not_verified" and (c.get("note") or "").startswith("not run"))


def not_offered_text(doc: dict[str, Any]) -> str | None:
    """The operations the target was declared not to offer, as every report words it (None when
    it offers all): their clauses are skipped, and the reader should see why at the top."""
    offered = (doc.get("options") or {}).get("operations")
    missing = [op for op in OPERATIONS if offered is not None and op not in offered]
    if not missing:
        return None
    skipped = sum(1 for c in doc["clauses"] if c["verdict"] == "skipped" and (c.get("note") or "").startswith(NOT_OFFERED))
    return (f"{NOT_OFFERED}: {', '.join(missing)} ({OFFERED_BY}); "
            f"{plural(skipped, 'clause')} skipped")


MAX_LEFT_LISTED = 10  # ids named on the line; conformance.json's videos_left lists them all


def videos_left_text(doc: dict[str, Any]) -> str | None:
    """The videos the run created and could not delete, as every report words it (None: none):
    a run against a real server must not leave jobs behind unsaid."""
    left = doc.get("videos_left") or []
    if not left:
        return None
    offered = (doc.get("options") or {}).get("operations")
    why = (f"delete is {NOT_OFFERED} ({OFFERED_BY})" if offered is not None and "delete" not in offered
           else "the target did not confirm their delete")
    shown = ", ".join(left[:MAX_LEFT_LISTED])
    if len(left) > MAX_LEFT_LISTED:
        shown += f" and {len(left) - MAX_LEFT_LISTED} more (videos_left in conformance.json)"
    return f"{plural(len(left), 'video')} the run created stay on the target, not deleted ({why}): {shown}"


def excluded_text(doc: dict[str, Any]) -> str | None:
    """The clauses left out by --include/--exclude, as every report words it (None when none was):
    "excluded: 2 clauses (...); 5 more skipped that need them"."""
    left_out = sum(1 for c in doc["clauses"] if c["verdict"] == "skipped" and (c.get("note") or "").startswith(EXCLUDED))
    if not left_out:
        return None
    needing = sum(1 for c in doc["clauses"]
                  if c["verdict"] == "skipped" and f", which is {EXCLUDED} " in (c.get("note") or ""))
    return (f"{EXCLUDED}: {plural(left_out, 'clause')} ({SELECTED_BY})"
            + (f"; {needing} more skipped that need {'it' if left_out == 1 else 'them'}" if needing else ""))


def graded_text(doc: dict[str, Any]) -> str:
    """What was graded: the implementation as named (--target-name/--target-version), else its URL."""
    name = " ".join(part for part in (doc.get("target_name"), doc.get("target_version")) if part)
    text = f"{name} at {doc['target']}" if name else doc["target"]
    return text + (" (embedded reference server)" if doc.get("embedded") else "")


def identity_text(doc: dict[str, Any], sep: str = " | ") -> str:
    """How the grading was done, as every report says it: kit, spec, profile, operations and date."""
    ops = doc.get("operations") or []
    operations = "all operations" if len(ops) == len(OPERATIONS) else "operations " + ",".join(ops)
    date = doc["started_at"][:16].replace("T", " ") + " UTC"
    return sep.join((f"videos-contract {doc['generator']['version']}", f"spec {doc['spec_version']}",
                     f"profile {doc['profile']}", operations, date))


def cost_text(doc: dict[str, Any]) -> str:
    """The cost line, as every report words it: what the run cost the target's GPU."""
    cost = doc.get("cost") or empty_cost()
    return (f"{plural(cost['jobs_created'], 'job')} created, {cost['jobs_followed']} followed to the end, "
            f"{cost['generation_seconds']} s of generation observed, "
            f"{cost['jobs_deleted_unfinished']} deleted before they finished"
            + (f", {cost['jobs_from_invalid_creates']} made by invalid creates wrongly accepted"
               if cost.get("jobs_from_invalid_creates") else "")
            + (f"; {cost['generated_not_sent']} generated valid creates not sent (job budget)"
               if cost.get("generated_not_sent") else ""))


def fill_not_run(result: RunResult, catalogue: Iterable[Clause]) -> RunResult:
    """A copy of ``result`` in which every clause of ``catalogue`` that has no result is
    ``not_verified`` with a note saying it did not run (and why, for an interrupted run)."""
    seen = {r.clause.id for r in result.results}
    reason = f"not run: the run was interrupted ({result.interrupted})" if result.interrupted else "not run"
    missing = [
        ClauseResult(clause=c, verdict=Verdict.NOT_VERIFIED, note=reason)
        for c in catalogue
        if c.id not in seen
    ]
    return dataclasses.replace(result, results=[*result.results, *missing])


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``conformance.json``."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def schema_errors(doc: Any) -> list[str]:
    """Every way ``doc`` violates the schema, as ``"$.path: message"`` lines (empty: valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        load_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for e in errors:
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        out.append(f"{path}: {e.message}")
    return out


def to_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
