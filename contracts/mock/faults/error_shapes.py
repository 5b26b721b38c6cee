"""``error`` hooks: the shape of every error answer (envelope, status, media type)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from contracts.mock.faults.base import ErrorAnswer


def fastapi(validation_422: bool) -> Callable[[ErrorAnswer], None]:
    def hook(answer: ErrorAnswer) -> None:
        error = answer.envelope
        message = str(error.get("message", "error"))
        if validation_422 and answer.status == 400 and error.get("type") == "invalid_request_error":
            answer.status = 422
            answer.body = {"detail": [{"type": "value_error", "loc": ["body", error.get("param") or "body"],
                                       "msg": message, "input": None}]}
        else:
            answer.body = {"detail": message}

    return hook


def message_only(answer: ErrorAnswer) -> None:
    answer.body = {"error": {"message": answer.envelope.get("message", "error")}}


def html_page(answer: ErrorAnswer) -> None:
    title = f"{answer.status} {_REASONS.get(answer.status, 'Error')}"
    answer.body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
                   f"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n").encode()
    answer.media_type = "text/html"


_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Not Allowed", 409: "Conflict",
            413: "Request Entity Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
            500: "Internal Server Error"}


def code_is_status(answer: ErrorAnswer) -> None:
    if answer.envelope:
        answer.envelope["code"] = str(answer.status)


def wrong_key_403(answer: ErrorAnswer) -> None:
    if answer.status == 401 and answer.request.get("authorization"):
        answer.status = 403
        answer.envelope["message"] = "Forbidden: the API key is not valid."


def error_extra_fields(answer: ErrorAnswer) -> None:
    if answer.envelope:
        answer.envelope["request_id"] = "req_" + secrets.token_hex(8)
