"""A broken clause, as an exception with structured fields and a human message.

Modelled on schemathesis' failures: an ``AssertionError`` subclass, so that a check is a plain
function that raises, and pytest shows it naturally.
"""

from __future__ import annotations

import json

from contracts.text import one_line

EVIDENCE_CHARS = 200  # a received or documented value is shown up to this long
REPRODUCE_CHARS = 400  # a reproduce command longer than this is cut (the HTML report and JUnit keep it whole)


def reproduce_line(curl: str | None) -> str | None:
    """A reproduce command on one line, cut at ``REPRODUCE_CHARS`` (it says where the whole one is)."""
    if not curl:
        return None
    flat = " ".join(curl.split())
    if len(flat) > REPRODUCE_CHARS:
        flat = flat[:REPRODUCE_CHARS] + " ... (full command in conformance.html)"
    return flat


def shown(value: object) -> str:
    """A received or documented value as every report shows it: text as it is (a description such
    as "400 Invalid prompt"), any other value as JSON (``null``, ``true``, double quotes), never as
    a Python repr."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def render_evidence(clause_id: str, message: str, *, field: str | None = None, received: object = None,
                    expected: object = None, case: str | None = None, reproduce: str | None = None) -> str:
    """One piece of evidence as text, the one way every face shows a failure: the exception, the
    pytest face, JUnit (which adds the whole exchange below it) and the console's root causes."""
    where = f" {field}:" if field else ""
    lines = [f"[{clause_id}]{where} {message}"]
    if case:
        lines.append(f"  case: {case}")
    if received is not None:
        lines.append(f"  Received: {received}")
    if expected is not None:
        lines.append(f"  Documented: {expected}")
    if reproduce:
        lines.append(f"  Reproduce: {reproduce}")
    return "\n".join(lines)


class ContractViolation(AssertionError):
    """The target broke ``clause_id``: ``message`` says how, ``field`` where."""

    def __init__(
        self,
        clause_id: str,
        message: str,
        *,
        field: str | None = None,
        expected: object = None,
        received: object = None,
        explained_by: str | None = None,
        shown_by: object = None,
        wanted: str | None = None,
    ):
        self.clause_id = clause_id
        self.message = message
        self.field = field
        self.expected = None if expected is None else one_line(shown(expected), EVIDENCE_CHARS)
        self.received = None if received is None else one_line(shown(received), EVIDENCE_CHARS)
        # A prerequisite of the clause (contracts/clauses.py) whose failure would explain this one:
        # if it fails too, this finding is blocked by it (one defect, said once: contracts/judge.py).
        self.explained_by = explained_by
        # The answer that shows the violation, when it is not the one judged (an earlier refusal).
        self.shown_by = shown_by
        # A finding about the status: the answer that was wanted (contracts/checks/expectations.py
        # WANTED), so that an undocumented status of the wanted class is one root cause, not two.
        self.wanted = wanted
        super().__init__(str(self))

    def __str__(self) -> str:
        return render_evidence(self.clause_id, self.message, field=self.field, received=self.received,
                               expected=self.expected)


class Blocked(Exception):
    """A clause cannot be judged here because the clause ``by`` failed (its root cause): no answer
    came (response.transport), the operation has no route, the job never completed..."""

    def __init__(self, by: str, note: str | None = None):
        super().__init__(note or f"blocked: {by} failed")
        self.by = by
        self.note = note


class Skipped(Exception):
    """A clause does not apply to this run (e.g. no request was answered 429)."""


class NotVerifiable(Exception):
    """A clause could not be checked in this run (e.g. every job failed, so there is no content)."""


class CaseDropped(NotVerifiable):
    """A case planned for a clause was not sent (the create cap was reached): the clause it was
    planned for cannot pass, since part of it was never tried (``Recorder.dropped``)."""

    def __init__(self, case_name: str, reason: str):
        super().__init__(f"{reason}: '{case_name}' was not sent")
        self.case_name = case_name
        self.reason = reason


class RunAborted(Exception):
    """The run must stop: the time budget is spent ("budget"), or the target stopped answering."""

    def __init__(self, message: str, kind: str = "budget"):
        super().__init__(message)
        self.kind = kind


class SetupError(Exception):
    """The run cannot start (unreachable target, bad options, unusable profile or spec): exit code 2."""
