"""summary.md: a short Markdown summary for a CI job page (e.g. ``$GITHUB_STEP_SUMMARY``).

Text from the target is untrusted: it is escaped so that it can neither break the tables nor be
rendered as HTML or links.
"""

from __future__ import annotations

import re
from typing import Any

from contracts.report.answers import answer_text
from contracts.report.document import (
    STRICT, blocked_by_cause, cause_clauses, cost_text, excluded_text, identity_text, is_known_cause,
    not_offered_text, not_run_count, videos_left_text,
)
from contracts.report.redact import one_line, printable
from contracts.text import duration

MAX_FAILURE_ROWS = 50
MAX_BLOCKED_LISTED = 8  # ids per cell of a root cause; the HTML and JSON reports list them all

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#])")

_ICON = {
    "conforms": "\u2705",  # check mark
    "known_violations": "\u2611\ufe0f",  # ballot box with check
    "violations": "\u274c",  # cross
    "interrupted": "\u26a0\ufe0f",  # warning
    "unverified": "\u274c",  # cross: --strict, a clause not verified fails the run
}


def md_text(value: Any, limit: int = 160) -> str:
    """Untrusted text for a Markdown table cell: one line, Markdown and HTML neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(printable(str(value)), limit))


def md_code(value: Any, limit: int = 160, *, table: bool = True) -> str:
    """A code span that survives any content (backticks; pipes when in a table)."""
    text = one_line(printable(str(value)), limit)
    if table:
        text = text.replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _ids(ids: list[str]) -> str:
    """Clause ids in a table cell, the first few (the HTML and JSON reports list them all)."""
    shown = ", ".join(md_code(i) for i in ids[:MAX_BLOCKED_LISTED])
    return shown + (f" and {len(ids) - MAX_BLOCKED_LISTED} more" if len(ids) > MAX_BLOCKED_LISTED else "")


def _graded(doc: dict[str, Any]) -> str:
    """"Target NAME VERSION at `URL`": the URL in a code span, so that it is never a link."""
    name = " ".join(part for part in (doc.get("target_name"), doc.get("target_version")) if part)
    return (f"Target {md_text(name, 200) + ' at ' if name else ''}{md_code(doc['target'], 200, table=False)}"
            f"{' (embedded reference server)' if doc.get('embedded') else ''}")


def render_markdown(doc: dict[str, Any]) -> str:
    """The Markdown summary for a report document."""
    c = doc["counts"]
    outcome = doc["outcome"]
    b = doc.get("baseline")
    lines = [
        f"### {_ICON.get(outcome, '')} Videos API conformance: {md_text(doc['outcome_text'], 300)}",
        "",
        f"{_graded(doc)}"
        f" \u00b7 {duration(doc['duration_seconds'], coarse=True)} \u00b7 {doc['requests_sent']} requests"
        f" \u00b7 {doc['videos_created']} videos created",
        "",
        md_text(identity_text(doc, " \u00b7 "), 300),
        "",
        f"GPU cost: {md_text(cost_text(doc), 300)}",
        "",
    ]
    if videos_left_text(doc):
        lines[-1:-1] = ["", f"> **{md_text(videos_left_text(doc), 600)}**"]
    for line in (not_offered_text(doc), excluded_text(doc)):
        if line:
            lines[-1:-1] = ["", md_text(line.capitalize(), 300)]
    # the Blocked column only when something was blocked: most runs have nothing to say there
    verdicts = ["passed", "failed", "not_verified", "skipped"] + (["blocked"] if c.get("blocked") else [])
    lines += [
        "| " + " | ".join(v.replace("_", " ").capitalize() for v in verdicts) + " | Total |",
        "|" + "---:|" * (len(verdicts) + 1),
        "| " + " | ".join(str(c[v]) for v in verdicts) + f" | {c['total']} |",
    ]
    if doc.get("interrupted"):
        not_run = not_run_count(doc)
        extra = f" {not_run} clauses did not run (not verified)." if not_run else ""
        lines += ["", f"> **The run was interrupted:** {md_text(doc['interrupted'], 300)}.{extra}"]

    if outcome == "unverified":  # what fails the run comes first
        nv = [cl for cl in doc["clauses"] if cl["verdict"] == "not_verified"]
        lines += ["", f"#### Not verified ({STRICT}: each fails the run)", "", "| Clause | Reason |", "|---|---|"]
        lines += [f"| {md_code(cl['id'])} | {md_text(cl.get('note') or '')} |" for cl in nv[:MAX_FAILURE_ROWS]]
        if len(nv) > MAX_FAILURE_ROWS:
            lines += ["", f"\u2026 and {len(nv) - MAX_FAILURE_ROWS} more: see conformance.html."]

    by_id = {cl["id"]: cl for cl in doc["clauses"]}
    causes = list(doc.get("root_causes") or [])
    if causes:
        with_baseline = b is not None
        lines += ["", "#### Root causes", ""]
        any_same = any(rc["same_answer"] for rc in causes)
        any_blocked = any(blocked_by_cause(rc) for rc in causes)
        head = ("| Clause | Field | Reason |" + (" Same answer, also failed |" if any_same else "")
                + (" Blocked |" if any_blocked else ""))
        rule = "|---|---|---|" + ("---|" if any_same else "") + ("---|" if any_blocked else "")
        if with_baseline:
            head, rule = head + " Baseline |", rule + "---|"
        lines += [head, rule]
        # new violations first: they are the ones that fail the run
        causes.sort(key=lambda rc: is_known_cause(rc, by_id))
        for rc in causes[:MAX_FAILURE_ROWS]:
            cl = by_id.get(rc["id"], {})
            ev = (cl.get("evidence") or [None])[0] if rc["verdict"] == "failed" else None
            reason = ev["message"] if ev else (cl.get("note") or rc["statement"] or "")
            if rc["verdict"] != "failed":
                reason = f"{(rc['verdict'] or 'absent').replace('_', ' ')}: {reason}"
            field = md_code(ev["field"]) if ev and ev.get("field") else ""
            row = f"| {md_code(rc['id'])} | {field} | {md_text(reason)} |"
            if any_same:
                same = [m["id"] for m in rc["same_answer"]]
                row += f" {md_text(answer_text(rc['answer'], 80)) + ': ' + _ids(same) if same else ''} |"
            if any_blocked:
                row += f" {_ids(blocked_by_cause(rc))} |"
            if with_baseline:
                statuses = {by_id.get(cid, {}).get("baseline") for cid in cause_clauses(rc)}
                row += " **new** |" if "new" in statuses else " known |" if "known" in statuses else "  |"
            lines.append(row)
        if len(causes) > MAX_FAILURE_ROWS:
            lines.append("")
            lines.append(f"\u2026 and {len(causes) - MAX_FAILURE_ROWS} more: see conformance.html.")
    if b is not None:
        listed = (("fixed", "now pass and can be removed"), ("missing", "match no clause of this run"))
        notes = [f"{len(b[key])} baseline entries {what}: " + ", ".join(md_code(i, table=False) for i in b[key][:20])
                 for key, what in listed if b[key]]
        if b["unconfirmed"]:
            notes.append(f"{len(b['unconfirmed'])} baseline entries were not verified this run.")
        if notes:
            lines += [""] + [f"- {n}" for n in notes]
    lines += ["", "Full report: `conformance.html` (evidence, curl commands) and `conformance.json`."]
    return "\n".join(lines) + "\n"
