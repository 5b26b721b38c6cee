"""conformance.html: one self-contained page that a person would rather read than a log.

Everything is inline (CSS, JS; no fonts, images or fetches), and a Content-Security-Policy with
the hashes of the page's own style and script forbids anything else: even if a hostile response
body got past the escaping, it could neither run nor load anything. Every piece of data goes
through :func:`_e` (HTML-escaped, control characters made visible).

The page works without JavaScript (everything is shown); with it, a toolbar filters clauses
("failures only", free text), and the URL hash drives the filter: ``#failures``, ``#q=seconds``,
``#failures&q=seconds``; ``#clause-<id>`` opens and scrolls to one clause.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contracts.report.answers import answer_text
from contracts.report.document import (
    STRICT, blocked_by_cause, cost_text, excluded_text, graded_text, identity_text, not_offered_text, not_run_count,
    videos_left_text,
)
from contracts.report.redact import printable
from contracts.text import duration, plural

MIDDLE_DOT = " \u00b7 "

_VERDICT_LABEL = {
    "passed": "Pass",
    "failed": "Fail",
    "not_verified": "Not verified",
    "skipped": "Skipped",
    "blocked": "Blocked",
}
_VERDICT_PLURAL = {
    "passed": "passed",
    "failed": "failed",
    "not_verified": "not verified",
    "skipped": "skipped",
    "blocked": "blocked",
}
_OUTCOME_TITLE = {
    "conforms": "Conforms",
    "known_violations": "Known violations only",
    "violations": "Violations",
    "interrupted": "Interrupted",
}


def _e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(printable("" if value is None else str(value)), quote=True)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB"):
        n /= 1024  # type: ignore[assignment]
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n:.1f} TB"


# The page's style and script live beside this module as plain files (easier to edit and lint);
# they are inlined into the page, which stays one self-contained file.
_ASSETS = Path(__file__).parent / "assets"
CSS = "\n" + (_ASSETS / "report.css").read_text(encoding="utf-8")


JS = "\n" + (_ASSETS / "report.js").read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _headers_block(headers: Mapping[str, str]) -> str:
    if not headers:
        return '<div class="dim">no headers recorded</div>'
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in headers.items())
    return (
        f'<details class="hdrs"><summary>{plural(len(headers), "header")}</summary>'
        f'<table class="h">{rows}</table></details>'
    )


def _pretty(excerpt: str) -> str:
    """A JSON body indented for reading (the JSON report keeps the body as received)."""
    stripped = excerpt.lstrip()
    if stripped[:1] not in ("{", "[") or len(excerpt) > 256 * 1024:
        return excerpt
    try:
        data = json.loads(excerpt)
    except ValueError:
        return excerpt
    return json.dumps(data, indent=2, ensure_ascii=False)


def _body_block(excerpt: str, size: int, truncated: bool = False) -> str:
    if not excerpt and not size:
        return '<div class="dim">empty body</div>'
    info = _size(size) if size else ""
    if truncated:
        info += " (cut at the client's cap)" if info else "cut at the client's cap"
    if excerpt and size and len(excerpt.encode("utf-8", "replace")) < size and not truncated:
        info += " \u2014 excerpt shown"
    head = f'<div class="dim">body {_e(info)}</div>' if info else ""
    return head + (f"<pre>{_e(_pretty(excerpt))}</pre>" if excerpt else "")


def _exchange_block(ex: dict[str, Any]) -> str:
    req = ex["request"]
    resp = ex["response"]
    parts = ['<div class="http"><section><h4>Request</h4>']
    parts.append(f'<div class="line"><span class="method">{_e(req["method"])}</span> {_e(req["url"])}</div>')
    parts.append(_headers_block(req["headers"]))
    parts.append(_body_block(req["body_excerpt"], req["body_size"]))
    parts.append("</section><section><h4>Response</h4>")
    if resp is None:
        err = ex.get("transport_error") or "no response recorded"
        parts.append(f'<div class="line terr">{_e(err)}</div>')
    else:
        status = int(resp["status"])
        cls = f"s{status // 100}" if 100 <= status < 600 else "sx"
        timing = f' <span class="dim">{resp["elapsed_ms"]:.0f} ms</span>' if resp["elapsed_ms"] else ""
        parts.append(f'<div class="line"><span class="status {cls}">{status}</span>{timing}</div>')
        parts.append(_headers_block(resp["headers"]))
        parts.append(_body_block(resp["body_excerpt"], resp["body_size"], resp["truncated"]))
        if ex.get("transport_error"):
            parts.append(f'<div class="line terr">{_e(ex["transport_error"])}</div>')
    parts.append("</section></div>")
    if ex.get("curl"):
        parts.append(
            '<div class="curl"><div class="head"><h4>Reproduce</h4>'
            '<button type="button" class="copy" title="Copy the curl command">Copy</button></div>'
            f'<pre class="cmd">{_e(ex["curl"])}</pre></div>'
        )
    return "".join(parts)


def _evidence_block(ev: dict[str, Any], index: int, total: int) -> str:
    n = f'<span class="n">#{index}</span>' if total > 1 else ""
    out = [f'<div class="evidence"><p class="msg">{n}{_e(ev["message"])}</p>']
    facts = []
    if ev.get("field"):
        facts.append(f"<dt>Field</dt><dd><code>{_e(ev['field'])}</code></dd>")
    if ev.get("case"):
        facts.append(f"<dt>Case</dt><dd>{_e(ev['case'])}</dd>")
    if ev.get("expected") is not None:
        facts.append(f'<dt>Expected</dt><dd class="exp"><code>{_e(ev["expected"])}</code></dd>')
    if ev.get("received") is not None:
        facts.append(f'<dt>Received</dt><dd class="rec"><code>{_e(ev["received"])}</code></dd>')
    if facts:
        out.append(f'<dl class="facts">{"".join(facts)}</dl>')
    if ev.get("exchange"):
        out.append(_exchange_block(ev["exchange"]))
    out.append("</div>")
    return "".join(out)


def _clause_block(c: dict[str, Any], open_: bool, same_as: str | None = None) -> str:
    """One clause: its row (verdict, id, statement, reason) and, open or not, its evidence;
    ``same_as``: the root cause it failed with, on the same answer."""
    verdict = c["verdict"]
    tags = ""
    if c.get("baseline") == "known":
        tags += '<span class="tag known" title="accepted by the baseline">known violation</span>'
    elif c.get("baseline") == "new":
        tags += '<span class="tag new" title="not in the baseline">new</span>'
    if c.get("profile_changed"):
        tags += '<span class="tag" title="the target profile changed this expectation">profile</span>'
    what = [f'<span class="cid">{_e(c["id"])}</span>{tags}']
    what.append(f'<span class="statement">{_e(c["statement"])}</span>')
    evidence = c.get("evidence") or []
    if verdict == "failed" and evidence:
        what.append(f'<span class="reason">{_e(evidence[0]["message"])}</span>')
    if verdict == "blocked" and c.get("blocked_by"):
        what.append(
            f'<span class="note">blocked by <a class="by" href="#clause-{_e(c["blocked_by"])}">'
            f'<code>{_e(c["blocked_by"])}</code></a></span>'
        )
    if same_as:
        what.append(
            f'<span class="note">one root cause with <a class="by" href="#clause-{_e(same_as)}">'
            f'<code>{_e(same_as)}</code></a>: the same answer</span>'
        )
    if c.get("note"):
        what.append(f'<span class="note">{_e(c["note"])}</span>')
    side = plural(c["checks"], "check") if c["checks"] or verdict in ("passed", "failed") else ""
    row = (
        f'<span class="badge b-{_e(verdict)}">{_e(_VERDICT_LABEL.get(verdict, verdict))}</span>'
        f'<span class="what">{"".join(what)}</span><span class="side">{_e(side)}</span>'
    )
    known = " known" if c.get("baseline") == "known" else ""
    attrs = (
        f'class="clause v-{_e(verdict)}{known}" id="clause-{_e(c["id"])}" data-verdict="{_e(verdict)}"'
        f' data-id="{_e(c["id"])}"'
    )
    if not evidence:
        return f'<div {attrs}><div class="row">{row}</div></div>'
    blocks = [_evidence_block(ev, i + 1, len(evidence)) for i, ev in enumerate(evidence)]
    more = ""
    if c.get("evidence_total", len(evidence)) > len(evidence):
        hidden = c["evidence_total"] - len(evidence)
        more = f'<div class="more">{plural(hidden, "more piece")} of evidence not kept in the report</div>'
    return (
        f'<details {attrs}{" open" if open_ else ""}><summary class="row">{row}</summary>'
        f'<div class="detail">{"".join(blocks)}{more}</div></details>'
    )


def _area_counts(counts: dict[str, int]) -> str:
    parts = []
    for v in _VERDICT_PLURAL:
        if counts.get(v):
            cls = ' class="nf"' if v == "failed" else ""
            parts.append(f"<span{cls}>{counts[v]} {_VERDICT_PLURAL[v]}</span>")
    return " \u00b7 ".join(parts)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _scalar(v: Any) -> str:
    if v is None:
        return '<span class="dim">null</span>'
    if isinstance(v, bool):
        return "true" if v else "false"
    return _e(v)


def _render_value(value: Any, depth: int = 0) -> str:
    """Generic rendering of coverage data: mapping -> table (a small mapping of scalars inside a
    table -> a horizontal table: keys over values), list of scalars -> chips, scalar -> text."""
    if depth > 8:
        return f"<code>{_e(json.dumps(value, ensure_ascii=False))}</code>"
    if isinstance(value, Mapping):
        if not value:
            return '<span class="dim">(empty)</span>'
        if (
            depth > 0
            and sum(len(str(k)) + 3 for k in value) <= 48
            and all(_is_scalar(v) for v in value.values())
        ):
            keys = "".join(f"<th>{_e(k)}</th>" for k in value)
            vals = "".join(f"<td>{_scalar(v)}</td>" for v in value.values())
            return f'<table class="kv kvh"><tr>{keys}</tr><tr>{vals}</tr></table>'
        nest = ' class="nest"'
        rows = "".join(
            f"<tr><th>{_e(k)}</th><td{'' if _is_scalar(v) else nest}>{_render_value(v, depth + 1)}</td></tr>"
            for k, v in value.items()
        )
        return f'<table class="kv">{rows}</table>'
    if isinstance(value, (list, tuple)):
        if not value:
            return '<span class="dim">(none)</span>'
        if all(_is_scalar(v) for v in value):
            return "".join(f'<span class="chip">{_scalar(v)}</span>' for v in value)
        return "".join(f"<div>{_render_value(v, depth + 1)}</div>" for v in value)
    return _scalar(value)


def _coverage_block(coverage: Mapping[str, Any]) -> str:
    out = ['<section class="panel coverage" id="coverage"><h2>Coverage</h2>']
    if not coverage:
        out.append('<p class="dim">No coverage data was recorded for this run.</p>')
    else:
        out.append('<div class="cov-grid">')
        for key, value in coverage.items():
            out.append(f"<div><h3>{_e(key)}</h3>{_render_value(value)}</div>")
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def _blocked_list(ids: list[str]) -> str:
    if not ids:
        return ""
    links = "".join(f'<li><a href="#clause-{_e(i)}"><code>{_e(i)}</code></a></li>' for i in ids)
    return f'<details class="blocked"><summary>blocked {plural(len(ids), "clause")}</summary><ul>{links}</ul></details>'


def _known_tag(c: dict[str, Any]) -> str:
    if c.get("baseline") != "known":
        return ""
    return '<span class="tag known" title="accepted by the baseline">known violation</span>'


def _same_answer_block(rc: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> str:
    """The clauses that failed on the root cause's answer: one root cause, each with its reason and what it blocked."""
    if not rc["same_answer"]:
        return ""
    items = []
    for m in rc["same_answer"]:
        c = by_id.get(m["id"], {})
        reason = ((c.get("evidence") or [{}])[0].get("message")) or m["statement"]
        items.append(f'<li data-id="{_e(m["id"])}"><a href="#clause-{_e(m["id"])}"><code>{_e(m["id"])}</code></a>'
                     f'{_known_tag(c)}<div class="reason">{_e(reason)}</div>{_blocked_list(m["blocked"])}</li>')
    n = len(rc["same_answer"])
    return (f'<div class="same"><div class="answer">the same answer, <code>{_e(answer_text(rc["answer"], 300))}</code>, '
            f'failed {plural(n, "more clause")}:</div><ul>{"".join(items)}</ul></div>')


def _root_causes_block(doc: dict[str, Any]) -> str:
    """What to fix first: each root cause with its reason, the clauses that failed on the same
    answer, and the clauses they blocked."""
    by_id = {c["id"]: c for c in doc["clauses"]}
    items = []
    for rc in doc["root_causes"]:
        c = by_id.get(rc["id"], {})
        verdict = rc["verdict"] or "absent"
        evidence = c.get("evidence") or []
        reason = evidence[0]["message"] if verdict == "failed" and evidence else (c.get("note") or rc["statement"])
        items.append(
            f'<li class="cause" data-id="{_e(rc["id"])}" data-blocks="{len(blocked_by_cause(rc))}"'
            f' data-same="{len(rc["same_answer"])}">'
            f'<span class="badge b-{_e(verdict)}">{_e(_VERDICT_LABEL.get(verdict, verdict))}</span>'
            f'<div><a href="#clause-{_e(rc["id"])}"><code>{_e(rc["id"])}</code></a>{_known_tag(c)}'
            f'<div class="{"reason" if verdict == "failed" else "why"}">{_e(reason)}</div>{_blocked_list(rc["blocked"])}'
            f'{_same_answer_block(rc, by_id)}</div></li>'
        )
    n_same = sum(len(rc["same_answer"]) for rc in doc["root_causes"])
    n_blocked = sum(len(blocked_by_cause(rc)) for rc in doc["root_causes"])
    extra = f", {plural(n_same, 'more clause')} failed on the same answer" if n_same else ""
    extra += f", blocking {plural(n_blocked, 'more clause')}" if n_blocked else ""
    return (
        f'<section class="panel causes" id="root-causes"><h2>{plural(len(items), "root cause")}{_e(extra)}'
        f'<small>fix these first: the clauses they blocked could not be judged</small></h2>'
        f'<ul>{"".join(items)}</ul></section>'
    )


def _baseline_block(b: dict[str, Any]) -> str:
    groups = [
        ("new", "New violations, failing the run"),
        ("known", "Known violations, accepted"),
        ("fixed", "Fixed: remove from the baseline"),
        ("unconfirmed", "Accepted, not verified this run"),
        ("missing", "Accepted, not in this run"),
    ]
    cols = []
    for key, title in groups:
        ids = b.get(key) or []
        if not ids and key not in ("new", "known"):
            continue
        items = (
            "".join(f'<li><a href="#clause-{_e(i)}"><code>{_e(i)}</code></a></li>' for i in ids)
            or '<li class="dim">none</li>'
        )
        cols.append(f"<div><h3><b>{len(ids)}</b> {_e(title)}</h3><ul>{items}</ul></div>")
    where = f" from <code>{_e(b['path'])}</code>" if b.get("path") else ""
    return (
        f'<section class="panel baseline" id="baseline"><h2>Baseline{where}: '
        f"{plural(b.get('accepted', 0), 'accepted violation')}</h2>"
        f'<div class="groups">{"".join(cols)}</div></section>'
    )


def render_html(doc: dict[str, Any]) -> str:
    """The HTML report for a report document (see :func:`contracts.report.build_report`)."""
    counts, outcome, b = doc["counts"], doc["outcome"], doc.get("baseline")
    failed = counts["failed"]
    if outcome == "conforms":
        headline = "Conforms"
        sub_extra = ""
    elif outcome == "violations":
        headline = plural(failed, "violation")
        sub_extra = f"{len(b['new'])} new, {len(b['known'])} known" if b else ""
    elif outcome == "known_violations":
        headline = "No new violation"
        sub_extra = f"{plural(failed, 'known violation')} accepted by the baseline"
    elif outcome == "unverified":
        headline = f"{plural(counts['not_verified'], 'clause')} not verified"
        sub_extra = f"{STRICT}: each fails the run"
    else:
        headline = "Interrupted"
        sub_extra = plural(failed, "known violation") if failed else ""
    if doc.get("interrupted") and outcome != "interrupted":
        sub_extra = (sub_extra + "; " if sub_extra else "") + "run interrupted"
    small = f" <small>({_e(sub_extra)})</small>" if sub_extra else ""

    tally = "".join(
        f"<div><b>{counts[v]}</b><span>{_VERDICT_PLURAL[v]}</span></div>"
        for v in _VERDICT_PLURAL
        if v != "blocked" or counts.get(v)
    )
    target = graded_text(doc)
    banner = (
        f'<header class="banner o-{_e(outcome)}" id="verdict" data-outcome="{_e(outcome)}">'
        f'<div class="wrap"><div><div class="kicker">Videos API conformance</div>'
        f"<h1>{_e(headline)}{small}</h1>"
        f'<div class="sub">{_e(target)}</div>'
        f'<div class="sub" id="graded-by">{_e(identity_text(doc, MIDDLE_DOT))}</div></div>'
        f'<div class="tally">{tally}</div></div></header>'
    )

    facts = [  # short facts, side by side
        ("Target", doc["target"]),
        ("Profile", doc["profile"]),
        ("Spec version", doc["spec_version"]),
        ("Started", doc["started_at"][:19].replace("T", " ") + " UTC"),
        ("Duration", duration(doc["duration_seconds"])),
        ("Requests sent", str(doc["requests_sent"])),
        ("Videos created", str(doc["videos_created"])),
    ]
    sentences = [  # each on a line of its own
        ("GPU cost", cost_text(doc)),
        ("Operations", not_offered_text(doc)),
        ("Left on the target", videos_left_text(doc)),
        ("Clauses", excluded_text(doc)),
    ]
    meta = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    meta += "".join(f'<div class="wide"><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>' for k, v in sentences if v)
    parts = [f'<dl class="panel meta">{meta}</dl>']

    if doc.get("interrupted"):
        not_run = not_run_count(doc)
        extra = (
            f" {plural(not_run, 'clause')} did not run and {'is' if not_run == 1 else 'are'} shown as not verified."
            if not_run
            else " Clauses that did not run are shown as not verified."
        )
        parts.append(
            '<div class="notice warn" id="interrupted"><h2>The run was interrupted</h2>'
            f"<p>Reason: {_e(doc['interrupted'])}.{_e(extra)}</p></div>"
        )
    if doc.get("root_causes"):
        parts.append(_root_causes_block(doc))
    if b is not None:
        parts.append(_baseline_block(b))

    parts.append(
        '<nav class="toolbar" aria-label="Filter clauses">'
        '<label><input type="checkbox" id="f-failures"> Failures only</label>'
        '<input type="search" id="f-text" placeholder="Filter by id, statement, evidence\u2026" '
        'aria-label="Filter text">'
        '<button type="button" id="expand">Expand all</button>'
        '<button type="button" id="collapse">Collapse all</button>'
        '<span id="f-count"></span></nav>'
    )

    by_area: dict[str, list[dict[str, Any]]] = {}
    for c in doc["clauses"]:
        by_area.setdefault(c["area"], []).append(c)
    area_counts = {a["area"]: a["counts"] for a in doc.get("areas", [])}
    failing = [c for c in doc["clauses"] if c["verdict"] == "failed"]
    open_ids = {c["id"] for c in failing[: 3 if len(failing) <= 3 else 1]}
    same_as = {m["id"]: rc["id"] for rc in doc.get("root_causes") or [] for m in rc["same_answer"]}
    for area, clauses in by_area.items():
        ac = area_counts.get(area) or {v: sum(1 for c in clauses if c["verdict"] == v) for v in _VERDICT_PLURAL}
        body = "".join(_clause_block(c, c["id"] in open_ids, same_as.get(c["id"])) for c in clauses)
        parts.append(
            f'<section class="area" data-area="{_e(area)}"><h2><span>{_e(area)}</span>'
            f'<span class="counts">{_area_counts(ac)}</span></h2>{body}</section>'
        )
    if not doc["clauses"]:
        parts.append('<p class="panel" id="no-clauses">No clause was checked.</p>')
    parts.append('<p id="no-match" hidden>No clause matches the filter.</p>')
    parts.append(_coverage_block(doc.get("coverage") or {}))

    gen = doc.get("generator", {})
    footer = (
        f"<footer>Generated by {_e(gen.get('name', 'videos-contract'))} {_e(gen.get('version', ''))}"
        f" \u00b7 report schema {_e(doc.get('schema_version'))}"
        f" \u00b7 finished {_e(doc['finished_at'])}"
        " \u00b7 the same data is in conformance.json</footer>"
    )
    title = f"Videos API conformance: {doc['outcome_text']} \u2014 {doc['target']}"
    csp = (
        "default-src 'none'; "
        f"style-src {_csp_hash(CSS)}; script-src {_csp_hash(JS)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>"
        f'<body data-outcome="{_e(outcome)}" data-filter="all">'
        f'{banner}<main class="wrap">{"".join(parts)}</main>{footer}'
        f"<script>{JS}</script></body></html>\n"
    )
