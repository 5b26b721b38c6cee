"""The control routes: what a test drives the mock with, under ``/_mock/`` (never under ``/v1``).

    GET  /_mock/health                        200 once the mock serves
    POST /_mock/reset                         everything back to the start, or one namespace emptied
    GET  /_mock/requests?method=&path=        the journal (contracts.mock.journal)
    POST /_mock/videos/{video_id}/complete    the job completes now
    POST /_mock/videos/{video_id}/fail        the job fails now: {"code", "message"}
    POST /_mock/videos/{video_id}/progress    the job is in progress at {"progress": 0-100} now
    GET  /_mock/clock, POST /_mock/clock/advance {"seconds"}
    GET  /_mock/faults, PUT /_mock/faults     {"faults": [NAME...], "persona": NAME}, as --fault/--persona

They are described by their own OpenAPI document, ``contracts/mock/control.yaml``, which also
checks their bodies (one source for each limit and default). ``X-Videos-Mock-Namespace`` names the
namespace a route acts on (with ``--namespaces key``: the key); without it a route acts on the
whole server. With ``--api-key`` every control route needs ``Authorization: Bearer`` the
``--admin-key`` (or, without one, the API key). Every refusal is OpenAI's error envelope: 400 for a
bad request, 401, 404 for an unknown route or video, 405 with ``Allow``; never a 500.

A job moves as a real one would: its status only forward (a finished job does not move, but
completing a completed one answers it as it is), ``completed_at`` set when it completes, its
error when it fails. The answer is the Video as ``GET /v1/videos/{id}`` would answer it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from contracts.mock.behaviour import named
from contracts.mock.clock import Clock
from contracts.mock.config import MockConfig
from contracts.mock.journal import Journal
from contracts.mock.bodies import parse_json_object, read_body
from contracts.mock.errors import APIError, echoed, handle_unexpected, method_not_allowed, not_found, unknown_url
from contracts.mock.middleware import BearerAuth
from contracts.mock.namespaces import NAMESPACE_HEADER, Space, Spaces
from contracts.mock.store import Job
from contracts.rules import STATUS
from contracts.spec import _YAML_LOADER, Spec

DOCUMENT = Path(__file__).with_name("control.yaml")
MAX_BODY_BYTES = 64 * 1024
Handler = Callable[[Request], Awaitable[Response]]


class Server(Protocol):
    """What the control routes use of the server (``contracts.mock.app.MockServer``)."""

    config: MockConfig
    clock: Clock
    spaces: Spaces
    journal: Journal | None
    global_faults: frozenset[str]
    global_persona: str | None

    def api(self, space: Space, asked: frozenset[str]) -> Any: ...
    def reset(self, space: Space | None) -> None: ...
    def set_faults(self, space: Space | None, names: frozenset[str], persona: str | None) -> None: ...


@functools.cache
def load_document() -> Spec:
    """The control routes' own OpenAPI document (shipped in the package)."""
    return Spec(yaml.load(DOCUMENT.read_text(encoding="utf-8"), Loader=_YAML_LOADER), DOCUMENT)


class ControlRoutes:
    """The ``/_mock/`` routes of one server, as an ASGI app (behind the admin key, when there is one)."""

    def __init__(self, server: Server):
        self.server = server
        admin = server.config.admin_key or server.config.api_key
        self.app = BearerAuth(self._route, api_key=admin)
        video = "/_mock/videos/(?P<video_id>[^/]+)"
        # (path pattern, {method: handler}); the same paths as the document's (tests/mock/test_mock_control.py)
        self.table: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (re.compile(pattern + "$"), handlers) for pattern, handlers in [
                ("/_mock/health", {"GET": self.health}),
                ("/_mock/reset", {"POST": self.reset}),
                ("/_mock/requests", {"GET": self.requests}),
                (video + "/complete", {"POST": self.complete}),
                (video + "/fail", {"POST": self.fail}),
                (video + "/progress", {"POST": self.progress}),
                ("/_mock/clock", {"GET": self.clock}),
                ("/_mock/clock/advance", {"POST": self.advance}),
                ("/_mock/faults", {"GET": self.faults, "PUT": self.set_faults}),
            ]
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    @property
    def doc(self) -> Spec:
        return load_document()  # read on first use: most servers never answer a control route

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except APIError as error:
            response = error.response()
        except Exception as exc:  # noqa: BLE001 - never a traceback page: the envelope, as the API's catch-all
            response = await handle_unexpected(request, exc)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        path, method = request.url.path, request.method
        for pattern, handlers in self.table:
            found = pattern.match(path)
            if found is None:
                continue
            handler = handlers.get("GET" if method == "HEAD" else method)
            if handler is None:
                allowed = sorted(set(handlers) | ({"HEAD"} if "GET" in handlers else set()))
                raise method_not_allowed(method, path, allowed)
            request.scope["path_params"] = found.groupdict()
            return await handler(request)
        raise unknown_url(method, path)

    # ---- routes --------------------------------------------------------------------------
    async def health(self, request: Request) -> Response:
        self._query(request)
        config = self.server.config
        return JSONResponse({"object": "mock.health", "status": "ok", "clock": self.server.clock.mode,
                             "namespaces": config.namespaces, "lenient_ids": config.lenient_ids,
                             "journal": self.server.journal is not None})

    async def reset(self, request: Request) -> Response:
        await self._body(request, "ResetRequest")
        space = self._space(request)
        self.server.reset(space)
        return JSONResponse({"object": "mock.reset", "namespace": space.label if space else None,
                             "everything": space is None})

    async def requests(self, request: Request) -> Response:
        query = self._query(request, ("method", "path"))
        journal = self.server.journal
        if journal is None:
            raise APIError(400, "The journal is off (--no-journal): no request was kept.", code="journal_off")
        space = self._space(request)
        which = {"namespace": space.label if space else None, "every_namespace": space is None}
        entries = journal.entries(**which, method=query.get("method"), path=query.get("path"))
        return JSONResponse({"object": "list", "data": entries, "dropped": journal.dropped(**which)})

    async def complete(self, request: Request) -> Response:
        await self._body(request, "CompleteRequest")

        def move(job: Job, status: str, progress: int, wall: float) -> None:
            if status != STATUS.completed:
                job.floor, job.ended_wall = (STATUS.completed, 100), wall

        return await self._move(request, move, refuse=(STATUS.failed,))

    async def fail(self, request: Request) -> Response:
        body = await self._body(request, "FailRequest")
        defaults = self.doc.properties("FailRequest")
        error = {name: body.get(name, defaults[name]["default"]) for name in ("code", "message")}

        def move(job: Job, status: str, progress: int, wall: float) -> None:
            job.floor, job.error = (STATUS.failed, progress), error

        return await self._move(request, move, refuse=STATUS.terminal)

    async def progress(self, request: Request) -> Response:
        value = (await self._body(request, "ProgressRequest"))["progress"]

        def move(job: Job, status: str, progress: int, wall: float) -> None:
            if progress > value:
                raise APIError(400, f"Invalid 'progress': a job's progress only moves forward; it is at "
                               f"{progress} already.", param="progress", code="invalid_value")
            if value >= 100:
                job.floor, job.ended_wall = (STATUS.completed, 100), wall
            else:
                job.floor = (STATUS.in_progress, value)

        return await self._move(request, move, refuse=STATUS.terminal)

    async def clock(self, request: Request) -> Response:
        self._query(request)
        return self._clock_answer(self._space(request))

    async def advance(self, request: Request) -> Response:
        seconds = float((await self._body(request, "AdvanceRequest"))["seconds"])
        space = self._space(request)
        if space is None:
            self.server.clock.advance(seconds)
        else:
            space.store.advance(seconds)
        return self._clock_answer(space)

    async def faults(self, request: Request) -> Response:
        self._query(request)
        return self._faults_answer(self._space(request))

    async def set_faults(self, request: Request) -> Response:
        body = await self._body(request, "FaultsRequest")
        persona = body.get("persona")
        names = named(body.get("faults", []), persona)
        space = self._space(request)
        self.server.set_faults(space, names, persona)
        return self._faults_answer(space)

    # ---- helpers -------------------------------------------------------------------------
    async def _move(self, request: Request, move: Callable[[Job, str, int, float], None],
                    refuse: tuple[str, ...]) -> Response:
        """Move the job named in the path (404 unknown; 400 when its status is in ``refuse``), then
        answer it as a retrieve would."""
        video_id = request.path_params["video_id"]
        space, job = self._find(request, video_id)
        api = self.server.api(space, frozenset())
        status, progress = api.state(job)
        if status in refuse:
            raise APIError(400, f"Video '{echoed(video_id)}' has {status}: a finished job does not move.",
                           param="video_id", code="video_finished")
        wall = space.store.wall_now()
        moved = space.store.move(job.id, lambda stored: move(stored, status, progress, wall))
        if moved is None:  # deleted meanwhile
            raise not_found(video_id)
        return JSONResponse(api.render(moved, "retrieve"))

    def _find(self, request: Request, video_id: str) -> tuple[Space, Job]:
        """The job ``video_id`` in the request's namespace, or in any namespace without one."""
        named_space = self._space(request)
        for space in [named_space] if named_space is not None else list(self.server.spaces):
            job = space.store.get(video_id)
            if job is not None:
                return space, job
        raise not_found(video_id)

    def _space(self, request: Request) -> Space | None:
        """The namespace ``X-Videos-Mock-Namespace`` names (None: the whole server), made if new."""
        name = request.headers.get(NAMESPACE_HEADER)
        if name is None:
            return None
        spaces = self.server.spaces
        if spaces.mode == "off":
            raise APIError(400, "X-Videos-Mock-Namespace names a namespace, but the mock runs without namespaces "
                           "(--namespaces key or header).", param=NAMESPACE_HEADER, code="namespaces_off")
        return spaces.get(name)

    def _clock_answer(self, space: Space | None) -> Response:
        store = (space or self.server.spaces.default).store
        return JSONResponse({"object": "mock.clock", "mode": self.server.clock.mode,
                             "namespace": space.label if space else None, "now": round(store.now(), 6),
                             "wall": round(store.wall_now(), 6)})

    def _faults_answer(self, space: Space | None) -> Response:
        own = space is not None and space.faults is not None
        names = space.faults if own else self.server.global_faults
        persona = space.persona if own else self.server.global_persona
        return JSONResponse({"object": "mock.faults", "namespace": space.label if space else None,
                             "faults": sorted(names), "persona": persona})

    def _query(self, request: Request, known: tuple[str, ...] = ()) -> dict[str, str]:
        """The query parameters, each known and given once (400 otherwise)."""
        found: dict[str, str] = {}
        for name, value in request.query_params.multi_items():
            if name not in known:
                raise APIError(400, f"Unknown parameter: '{echoed(name)}'.", param=name, code="unknown_parameter")
            if name in found:
                raise APIError(400, f"Invalid '{echoed(name)}': give it once.", param=name, code="invalid_value")
            found[name] = value
        return found

    async def _body(self, request: Request, schema: str) -> dict[str, Any]:
        """The JSON object of the body (an empty body is ``{}``), checked against the document's schema."""
        self._query(request)
        raw = await read_body(request, MAX_BODY_BYTES)
        body = parse_json_object(raw) if raw.strip() else {}
        violations = self.doc.validator(schema).errors(body)
        if violations:
            raise _refusal(self.doc.schema(schema), body, violations[0])
        return body


def _refusal(schema: dict[str, Any], body: dict[str, Any], violation) -> APIError:
    """A schema violation as OpenAI's 400: the field in ``param``, and a code saying what is wrong."""
    if violation.keyword == "additionalProperties":
        name = next((k for k in body if k not in schema.get("properties", {})), "")
        return APIError(400, f"Unknown parameter: '{echoed(name)}'.", param=name, code="unknown_parameter")
    if violation.keyword == "required":
        name = next((k for k in schema.get("required", []) if k not in body), "")
        return APIError(400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    parts = violation.path.removeprefix("$").lstrip(".").split(".")
    param = parts[0].split("[")[0] or None
    return APIError(400, f"Invalid {f'{param!r}' if param else 'the request body'}: {echoed(violation.message)}.",
                    param=param, code="invalid_type" if violation.keyword == "type" else "invalid_value")
