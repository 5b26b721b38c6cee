"""junit.xml: one testcase per clause, for CI systems that display JUnit results.

``classname`` is the clause's area and ``name`` its id, one ``<testsuite>`` per area. A failed
clause is a ``<failure>`` (message: the first evidence's message; text: all evidence as plain
text, with the curl command). Skipped, not verified and blocked clauses are ``<skipped>`` (a blocked one with ``type="blocked"``
and its root cause in the message; a root cause's failure text lists what it blocked, and the clauses
that failed on the same answer, each of which names it in its message). With a baseline,
a *known* violation is ``<skipped type="known-violation">`` (it does not fail the gate, and
marking it failed would turn CI red for an accepted deviation); a *new* one stays a failure.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from contracts.failures import render_evidence
from contracts.report.answers import answer_text
from contracts.report.document import STRICT, cause_clauses, cost_text, excluded_text, is_strict, not_offered_text
from contracts.report.redact import one_line, printable


_SKIPPED = ("skipped", "not_verified", "blocked")  # JUnit has no other way to say "not judged"


def _x(value: Any) -> str:
    """Text safe for XML 1.0 (control characters shown as escapes)."""
    return printable("" if value is None else str(value))


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()) if text else ""


def _message(kind: str, head: str, message: dict[str, Any]) -> list[str]:
    """A request or response: its head line, headers, then its body."""
    lines = [f"  {kind}: {head}", *(f"    {k}: {v}" for k, v in message["headers"].items())]
    if message["body_excerpt"]:
        lines += [f"  {kind} body:", _indent(message["body_excerpt"])]
    return lines


def evidence_text(ev: dict[str, Any], clause_id: str, index: int | None = None) -> str:
    """One piece of evidence as plain text: message, facts, request, response, curl."""
    head = f"[{index}] " if index is not None else ""
    lines = [head + render_evidence(clause_id, ev["message"], field=ev.get("field"), received=ev.get("received"),
                                    expected=ev.get("expected"), case=ev.get("case"))]
    ex = ev.get("exchange")
    if ex:
        req = ex["request"]
        lines += _message("request", f"{req['method']} {req['url']}", req)
        resp = ex.get("response")
        if resp is None:
            lines.append(f"  response: none ({ex.get('transport_error') or 'no response'})")
        else:
            cut = " (truncated)" if resp["truncated"] else ""
            lines += _message("response", f"{resp['status']} after {resp['elapsed_ms']:.0f} ms{cut}", resp)
        if ex.get("curl"):
            lines.append("  reproduce:")
            lines.append(_indent(ex["curl"]))
    return "\n".join(lines)


def clause_failure_text(c: dict[str, Any], blocked: list[str] | None = None,
                        cause: dict[str, Any] | None = None) -> str:
    """A failed clause as plain text: what it blocked, its root cause's group (``cause``: the root
    cause it heads or stands under, when clauses failed on the same answer), then its evidence."""
    parts = [f"{c['id']}: {c['statement']}"]
    if blocked:
        parts.append(f"root cause: it blocked {len(blocked)} clause{'' if len(blocked) == 1 else 's'}: " + ", ".join(blocked))
    if cause and cause["same_answer"]:
        answer = answer_text(cause["answer"])
        if cause["id"] == c["id"]:
            others = [m["id"] for m in cause["same_answer"]]
            parts.append(f"one root cause: the same answer, {answer}, failed {len(others)} more "
                         f"clause{'' if len(others) == 1 else 's'}: " + ", ".join(others))
        else:
            parts.append(f"one root cause with {cause['id']}: it failed on the same answer, {answer}")
    ev = c.get("evidence") or []
    for i, e in enumerate(ev, 1):
        parts.append(evidence_text(e, c["id"], i if len(ev) > 1 else None))
    if c.get("evidence_total", len(ev)) > len(ev):
        parts.append(f"... {c['evidence_total'] - len(ev)} more pieces of evidence not kept")
    return "\n\n".join(parts)


def _reason(c: dict[str, Any], cause: dict[str, Any] | None = None) -> str:
    ev = c.get("evidence") or []
    reason = one_line(ev[0]["message"] if ev else c.get("note") or "clause failed", 300)
    if cause is not None and cause["id"] != c["id"]:
        reason += f" (one root cause with {cause['id']}: the same answer)"
    return reason


def render_junit(doc: dict[str, Any]) -> str:
    """The JUnit XML for a report document."""
    counts = doc["counts"]
    b = doc.get("baseline")
    known = set(b["known"]) if b else set()
    known_in_run = sum(1 for c in doc["clauses"] if c["verdict"] == "failed" and c["id"] in known)
    strict = is_strict(doc)  # a clause not verified is a failure: it fails the run
    unverified = counts["not_verified"] if strict else 0

    suites = ET.Element(
        "testsuites",
        {
            "name": "videos-contract",
            "tests": str(counts["total"]),
            "failures": str(counts["failed"] - known_in_run + unverified),
            "errors": "0",
            "skipped": str(counts["skipped"] + counts["not_verified"] - unverified + counts.get("blocked", 0)
                           + known_in_run),
            "time": f"{doc['duration_seconds']:.3f}",
        },
    )
    props = {
        "target": doc["target"],
        "target_name": doc.get("target_name") or "",
        "target_version": doc.get("target_version") or "",
        "kit": f"videos-contract {doc['generator']['version']}",
        "profile": doc["profile"],
        "spec_version": doc["spec_version"],
        "operations": ",".join(doc["operations"]),
        "started_at": doc["started_at"],
        "outcome": doc["outcome"],
        "outcome_text": doc["outcome_text"],
        "requests_sent": doc["requests_sent"],
        "videos_created": doc["videos_created"],
        "gpu_cost": cost_text(doc),
    }
    if not_offered_text(doc):
        props["not_offered"] = not_offered_text(doc)
    if excluded_text(doc):
        props["excluded"] = excluded_text(doc)
    if doc.get("interrupted"):
        props["interrupted"] = doc["interrupted"]

    blocks = {rc["id"]: rc["blocked"] for rc in doc.get("root_causes") or []}
    blocks.update({m["id"]: m["blocked"] for rc in doc.get("root_causes") or [] for m in rc["same_answer"]})
    cause_of = {cid: rc for rc in doc.get("root_causes") or [] for cid in cause_clauses(rc)}
    by_area: dict[str, list[dict[str, Any]]] = {}
    for c in doc["clauses"]:
        by_area.setdefault(c["area"], []).append(c)
    for area, clauses in by_area.items():
        failures = sum(1 for c in clauses if (c["verdict"] == "failed" and c["id"] not in known)
                       or (strict and c["verdict"] == "not_verified"))
        skipped = len([c for c in clauses if (c["verdict"] in _SKIPPED and not (strict and c["verdict"] == "not_verified"))
                       or c["id"] in known])
        suite = ET.SubElement(
            suites,
            "testsuite",
            {
                "name": _x(area),
                "tests": str(len(clauses)),
                "failures": str(failures),
                "errors": "0",
                "skipped": str(skipped),
                "time": "0",
                "timestamp": doc["started_at"].rstrip("Z"),
            },
        )
        pe = ET.SubElement(suite, "properties")
        for k, v in props.items():
            ET.SubElement(pe, "property", {"name": k, "value": _x(v)})
        for c in clauses:
            tc = ET.SubElement(suite, "testcase", {"classname": _x(area), "name": _x(c["id"]), "time": "0"})
            verdict = c["verdict"]
            if verdict == "failed" and c["id"] in known:
                el = ET.SubElement(
                    tc,
                    "skipped",
                    {
                        "type": "known-violation",
                        "message": _x("known violation (accepted by the baseline): "
                                      + _reason(c, cause_of.get(c["id"]))),
                    },
                )
                el.text = _x(clause_failure_text(c, blocks.get(c["id"]), cause_of.get(c["id"])))
            elif verdict == "failed":
                ev = c.get("evidence") or []
                el = ET.SubElement(
                    tc,
                    "failure",
                    {
                        "message": _x(_reason(c, cause_of.get(c["id"]))),
                        "type": _x((ev[0].get("field") if ev else None) or "violation"),
                    },
                )
                el.text = _x(clause_failure_text(c, blocks.get(c["id"]), cause_of.get(c["id"])))
            elif verdict == "blocked":
                msg = c.get("note") or f"blocked: {c.get('blocked_by')} failed"
                ET.SubElement(tc, "skipped", {"type": "blocked", "message": _x(one_line(msg, 500))})
            elif verdict == "not_verified" and strict:
                msg = f"not verified ({STRICT}: it fails the run): {c.get('note') or ''}".rstrip(": ")
                ET.SubElement(tc, "failure", {"message": _x(one_line(msg, 500)), "type": "not-verified"}).text = _x(msg)
            elif verdict in ("skipped", "not_verified"):
                label = "not verified" if verdict == "not_verified" else "skipped"
                msg = f"{label}: {c['note']}" if c.get("note") else label
                ET.SubElement(tc, "skipped", {"message": _x(one_line(msg, 500))})
            out = f"{c['statement']}\nchecks: {c['checks']}"
            if c.get("profile_changed"):
                out += "\nthe target profile changed this expectation"
            ET.SubElement(tc, "system-out").text = _x(out)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
