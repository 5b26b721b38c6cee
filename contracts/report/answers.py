"""The answer a failed clause was judged on, as the reports compare answers: status and error text.

Several clauses that fail on the same error answer (twelve requests a gateway could not route,
all answered 500 "upstream connect error"; every refusal behind a proxy that replaces error bodies
by one "400 Bad Request" page) are one root cause to a reader, whatever clause each request was
sent for: the report document groups them under one root cause (``document.root_causes``).

Two answers are the same when their status and their error text are: the error's message for a
JSON error body (``{"error": {"message"}}``, FastAPI's ``{"detail": "..."}``, ``{"message"}``), the
title of an HTML page, else the whole body, whitespace runs made one space. The message rather than
the body, so that a request id or a timestamp in the envelope does not tell alike answers apart.
Only error answers (4xx, 5xx) and requests that got no answer at all are compared: clauses that
fail on a success fail on what it says, each for its own reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from contracts.text import one_line

#: an answer's error text as the reports show it (the grouping compares it whole)
MAX_ERROR_CHARS = 300

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _message_of(body: Any) -> str | None:
    """The error message of a JSON error body, in the shapes servers use; None for another body."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    for text in (error, body.get("detail"), body.get("message")):
        if isinstance(text, str):
            return text
    return None


def error_text(response: Mapping[str, Any]) -> str:
    """The error text of an answer (a report document's response): see the module's docstring."""
    body = response.get("body_excerpt") or ""
    content_type = next((str(v) for k, v in (response.get("headers") or {}).items()
                         if k.lower() == "content-type"), "")
    text: str | None = None
    if body.lstrip()[:1] in ("{", "["):
        try:
            text = _message_of(json.loads(body))
        except ValueError:
            text = None
    elif "html" in content_type.lower():
        title = _TITLE.search(body)
        text = title.group(1) if title else None
    return " ".join((body if text is None else text).split())


def answer_key(clause: Mapping[str, Any]) -> tuple[int | None, str] | None:
    """What a failed clause's first evidence was answered, as ``(status, error text)``; ``(None,
    transport error)`` when no answer came. None when there is nothing to compare: not failed, no
    exchange recorded, or an answer that is not an error."""
    if clause.get("verdict") != "failed" or not clause.get("evidence"):
        return None
    exchange = clause["evidence"][0].get("exchange")
    if not exchange:
        return None
    response = exchange.get("response")
    if response is None:
        return None, " ".join((exchange.get("transport_error") or "no answer").split())
    if int(response["status"]) < 400:
        return None
    return int(response["status"]), error_text(response)


def answer_dict(key: tuple[int | None, str]) -> dict[str, Any]:
    """``answer`` of a root cause in the report document: ``{"status", "error"}`` (status null: no answer)."""
    status, error = key
    return {"status": status, "error": one_line(error, MAX_ERROR_CHARS)}


def answer_text(answer: Mapping[str, Any], limit: int = 120) -> str:
    """An answer in a few words, as every report says it: ``500 "upstream connect error..."``,
    ``405 with an empty body``, ``no answer (connection refused)``."""
    error = one_line(answer.get("error") or "", limit)
    if answer.get("status") is None:
        return f"no answer ({error})"
    return f'{answer["status"]} "{error}"' if error else f"{answer['status']} with an empty body"
