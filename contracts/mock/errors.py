"""OpenAI's error envelope: ``APIError`` and the exception handlers that render it.

Every error the server answers, its own or Starlette's (404 route, 405 method) or an unexpected
exception (500), has the shape ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


@dataclass(eq=False)
class APIError(Exception):
    """An error answer. Raise it anywhere in a handler; the app renders the envelope."""

    status: int
    message: str
    type: str = INVALID_REQUEST
    param: str | None = None
    code: str | None = None
    headers: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)
        self.headers = dict(self.headers or {})

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)

    def __repr__(self) -> str:
        return f"APIError({self.status}, {self.message!r}, param={self.param!r}, code={self.code!r})"


ECHO_LIMIT = 100  # characters of a client's value an error message repeats: any real id fits


def echoed(value: object) -> str:
    """A client's value (an id, a path, a header) as an error message repeats it: on one line (line
    breaks escaped) and cut at ``ECHO_LIMIT`` characters, so a 10,000-character id is not sent back
    whole. Spaces are kept: they may be what is wrong with it."""
    text = (value if isinstance(value, str) else repr(value)).replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT] + "..."


# ---- common errors -------------------------------------------------------------------------
def not_found(video_id: str, param: str = "video_id") -> APIError:
    return APIError(404, f"No video found with id '{echoed(video_id)}'.", param=param, code="video_not_found")


def character_not_found(character_id: str) -> APIError:
    return APIError(
        404, f"No character found with id '{echoed(character_id)}'.", param="character_id", code="character_not_found"
    )


def content_not_ready(video_id: str, status: str) -> APIError:
    """Content of an unfinished video: 404, as the live API answered ("Video is not ready yet").
    Not 409: the openai SDK retries 409 by itself, so a client would wait and then quietly get
    the video instead of seeing NotFoundError at once."""
    return APIError(
        404,
        f"Video is not ready yet: '{video_id}' is {status.replace('_', ' ')}; its content can be downloaded once it "
        "has completed.",
        param="video_id",
        code="video_not_ready",
    )


def source_not_ready(video_id: str, status: str, action: str, param: str = "video_id") -> APIError:
    """A remix, edit or extension of a video that has not completed: 400, refused at once."""
    return APIError(
        400,
        f"Video '{video_id}' is {status.replace('_', ' ')}: only a completed video can be {action}.",
        param=param,
        code="video_not_ready",
    )


def unknown_url(method: str, path: str) -> APIError:
    return APIError(404, f"Invalid URL ({method} {echoed(path)}).", code="unknown_url")


def method_not_allowed(method: str, path: str, allowed: list[str]) -> APIError:
    return APIError(
        405,
        f"Method not allowed ({method} {echoed(path)}). Allowed: {', '.join(allowed)}.",
        code="method_not_allowed",
        headers={"Allow": ", ".join(allowed)},
    )


# ---- handlers ------------------------------------------------------------------------------
async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return exc.response()


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown route, wrong method...) in the envelope."""
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        error = unknown_url(request.method, request.url.path)
        error.headers.update(headers)
    elif exc.status_code == 405:  # the same answer as the routes' own (app.Methods)
        allowed = sorted(m.strip() for m in headers.get("Allow", "").split(",") if m.strip())
        error = method_not_allowed(request.method, request.url.path, allowed)
    else:
        error = APIError(exc.status_code, str(exc.detail), headers=headers)
    return error.response()


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """The catch-all: an unexpected exception is a 500 envelope, never a bare traceback page."""
    # Starlette re-raises the exception after this response is sent, so uvicorn logs it.
    return APIError(
        500,
        "The server had an error while processing your request. Sorry about that!",
        type=SERVER_ERROR,
        code="internal_error",
    ).response()
