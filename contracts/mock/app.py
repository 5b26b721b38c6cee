"""The app factory: ``create_app(config)`` builds the reference server as an ASGI app.

Routes live under ``/v1`` (base URL ``http://HOST:PORT/v1``); the control routes a test drives the
mock with live under ``/_mock/`` (``contracts.mock.control``), never under ``/v1``. Handlers are
thin: parse the body (``bodies``), validate it (``validation``), act on the store (``store``),
render. Every error is an ``APIError`` rendered as OpenAI's envelope by the exception handlers
(``errors``).

What the server accepts comes from the spec, patched by the target profile when one is given
(``MockConfig.profile``). Fault modes (``faults``) act only through the hook points of a
``FaultSet``; with no fault active every hook is a no-op. A request is served by the ``VideosAPI``
of its namespace (``namespaces``: its own store) and of its faults (``behaviour``: the server's,
its namespace's, and those its ``X-Videos-Mock-Fault`` / ``X-Videos-Mock-Persona`` headers ask
for); each is built on first use and kept. ``MockServer.dispatch`` picks it, and records the
request in the journal (``journal``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from contracts.mock.behaviour import FAULT_HEADER, PERSONA_HEADER, Behaviour, Behaviours, requested
from contracts.mock.bodies import BODY_KEY, UploadedFile, parse_body
from contracts.mock.clock import Clock
from contracts.mock.config import MockConfig
from contracts.mock.control import ControlRoutes
from contracts.mock.errors import (
    APIError,
    character_not_found,
    content_not_ready,
    echoed,
    handle_api_error,
    handle_http_exception,
    handle_unexpected,
    method_not_allowed,
    not_found,
    source_not_ready,
)
from contracts.mock.faults import CATALOGUE, FaultContext, FaultSet, View
from contracts.mock.faults.base import OPERATIONS
from contracts.mock.gpu import GpuWorkers
from contracts.mock.journal import Journal
from contracts.mock.media import NotAnImage, NotAVideo, VideoInfo, inspect_image, inspect_video
from contracts.mock.middleware import access, with_request_id
from contracts.mock.namespaces import NAMESPACE_HEADER, Space, Spaces
from contracts.mock.sqlite_store import SQLiteStore
from contracts.mock.store import (
    DEFAULT_POLICY,
    STEPS,
    Character,
    Job,
    JobPolicy,
    MemoryStore,
    Scheduler,
    StoreError,
    UnknownCursor,
    VideoStore,
)
from contracts.mock.validation import CreateParams, SourceParams
from contracts.rules import CONTENT, CREATE, CREATE_CHARACTER, EDIT, EXTEND, LIST, REMIX, STATUS, Rules

Handler = Callable[[Request], Awaitable[Response]]

# Segments under /videos that name an operation (the routes below), not a video.
OPERATION_SEGMENTS = ("edits", "extensions", "characters")


class VideoIdConvertor(StringConvertor):
    """``{video_id:video_id}``: a path segment that is not one of ``OPERATION_SEGMENTS``."""

    regex = f"(?!(?:{'|'.join(OPERATION_SEGMENTS)})$)[^/]+"


register_url_convertor("video_id", VideoIdConvertor())

BASE_PATH = "/v1"  # the API's routes, in one flat table: a Mount's nested router made every request slower
CONTROL_PATH = "/_mock"  # the control routes (contracts.mock.control)
CONTROL_PREFIX = CONTROL_PATH + "/"
NO_FAULTS: frozenset[str] = frozenset()
POLL_AFTER_SHARE = 0.1  # advise polling ten times per job
MIN_POLL_AFTER_MS = 5
API_KEY = "videos_mock.api"  # the scope entry naming the VideosAPI that serves the request
CACHED_APIS = 16  # per namespace: the fault sets it met, built
# What --lenient-ids answers for an unknown id
EXAMPLE_PROMPT = "An example video: the mock has no video of this id (--lenient-ids)"
EXAMPLE_CHARACTER = "Example character"


def create_app(config: MockConfig | None = None) -> MockServer:
    """A new, empty reference server. Raises SpecError if the spec cannot be loaded, ProfileError
    if the profile cannot be used, StoreError if the store file cannot be."""
    return MockServer(config or MockConfig())


def build_rules(config: MockConfig, faults: FaultSet | None = None) -> Rules:
    """The rules the server enforces: explicit ``config.rules``, else the spec patched by the
    profile (its enums and defaults) and then by the faults.

    Under a profile that lists ``models``, other model names are refused with 400 (``Profile.rules``);
    without a profile any non-empty model name is accepted.
    """
    return Behaviours(config).rules(faults or FaultSet())


def open_store(
    path: str | None, job_seconds: float, *, policy: JobPolicy = DEFAULT_POLICY, workers: Scheduler | None = None,
    clock: Clock | None = None,
) -> VideoStore:
    """The store a server keeps its jobs in: in memory without ``path``, else the SQLite file
    at ``path`` (created if missing). Raises StoreError (one line) for a path that cannot be used."""
    clock = clock or Clock()
    if path is None:
        return MemoryStore(job_seconds, policy=policy, workers=workers, monotonic=clock.monotonic, wall=clock.wall)
    if workers is not None:  # the GPU queue is the state of one process, not of a store file
        raise StoreError("--gpu-workers cannot be combined with --store: the GPU queue is kept in memory")
    return SQLiteStore.open(path, job_seconds, policy=policy, clock=clock.wall)


@dataclass(frozen=True)
class Source:
    """What an edit or an extension starts from: a completed video of the store, or an upload."""

    model: str
    size: str
    seconds: str
    video_id: str | None = None
    filename: str | None = None

    def record(self, kind: str) -> dict:
        return {"kind": kind, "video_id": self.video_id, "filename": self.filename}


class MockServer:
    """The whole server: the API's routes (``core``), the control routes, the namespaces, the journal.

    ``state`` keeps what tests and tools look at: ``config``, and the ``rules``, ``faults`` and
    ``store`` of the default namespace as the server started.
    """

    def __init__(self, config: MockConfig):
        self.config = config
        self.behaviours = Behaviours(config)
        self.clock = Clock(manual=config.clock == "manual")
        self.global_faults = frozenset(config.faults)  # PUT /_mock/faults changes them
        self.global_persona: str | None = None
        base = self.behaviours.get(self.global_faults)
        workers = self._gpu_workers()
        store = open_store(config.store, config.job_seconds, policy=base.faults, workers=workers, clock=self.clock)
        store.policy_for = self.behaviours.policy_for
        self.spaces = Spaces(config.namespaces, store, self._new_store)
        self.journal = Journal(config.journal_size) if config.journal else None
        self.core = Starlette(
            routes=routes(),
            middleware=access(config.api_key, config.api_key_header, config.require_headers),
            exception_handlers={APIError: handle_api_error, HTTPException: handle_http_exception,
                                Exception: handle_unexpected},
        )
        self.core.router.redirect_slashes = False
        self.control = ControlRoutes(self)
        if len(store) > 0:  # a store file with videos was set up when it was new (by a worker, or before a restart)
            self.spaces.default.started.update(self.global_faults)
        self.api(self.spaces.default, frozenset())  # built now: start-up hooks run, bad settings fail now
        self.state = State({"config": config, "rules": base.rules, "faults": base.faults, "store": store})

    # ---- dispatch ------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every answer gets an ``x-request-id``; a control route goes to the control routes; an
        API request to the API of its namespace and faults, and into the journal."""
        if scope["type"] != "http":
            await self.core(scope, receive, send)
            return
        status: int | None = None

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = with_request_id(message.get("headers", ()))
            await send(message)

        path = scope["path"]
        if path.startswith(CONTROL_PREFIX) or path == CONTROL_PATH:
            await self.control(scope, receive, answer)
            return
        space: Space | None = None
        asked = NO_FAULTS
        try:
            headers = _mock_headers(scope)
            if not headers or self.spaces.mode == "off" and len(headers) == 1 and AUTHORIZATION in headers:
                space = self.spaces.default  # the usual request: nothing to pick
            else:
                space = self.spaces.get(self.spaces.name_of(headers.get(AUTHORIZATION), headers.get(NAMESPACE)))
                if FAULT in headers or PERSONA in headers:
                    asked = requested(headers.get(FAULT), headers.get(PERSONA))
            api = self.api(space, asked)
            scope[API_KEY] = api
            serve = api.app
        except APIError as error:
            serve = error.response()
        if self.journal is None:
            await serve(scope, receive, answer)
            return
        if scope["method"] == "POST":  # the only API requests with a body
            scope[BODY_KEY] = [None]
        try:
            await serve(scope, receive, answer)
        finally:
            self.journal.record(scope, status, space.label if space else None, tuple(sorted(asked)) if asked else ())

    def api(self, space: Space, asked: frozenset[str]) -> VideosAPI:
        """The API serving ``space`` with its faults and those a request ``asked`` for."""
        names = self.global_faults if space.faults is None else space.faults
        if asked:
            names = names | asked
        api = space.apis.get(names)
        if api is None:
            api = VideosAPI(self, self.behaviours.get(names), space)
            new = names - space.started
            if new:
                FaultSet(CATALOGUE[name] for name in sorted(new)).start(api.fault_context)
                space.started.update(new)
            if len(space.apis) >= CACHED_APIS:
                space.apis.pop(next(iter(space.apis)))
            space.apis[names] = api
        return api

    # ---- what the control routes change --------------------------------------------------
    def set_faults(self, space: Space | None, names: frozenset[str], persona: str | None) -> None:
        """The faults of the whole server (``space`` None) or of one namespace, from now on."""
        faults = self.behaviours.get(names).faults  # built now: a fault set that cannot be built fails here
        if space is None:
            self.global_faults, self.global_persona = names, persona
            for each in self.spaces:
                if each.faults is None:
                    each.store.policy = faults
        else:
            space.faults, space.persona = names, persona
            space.store.policy = faults

    def reset(self, space: Space | None) -> None:
        """Everything back to how the server started (``space`` None), or one namespace emptied."""
        if space is None:
            self.global_faults, self.global_persona = frozenset(self.config.faults), None
            self.clock.reset()
            self.spaces.drop_all_but_default()
            if self.journal is not None:
                self.journal.clear()
            space = self.spaces.default
        elif space is not self.spaces.default:
            self.spaces.drop(space.name)
            if self.journal is not None:
                self.journal.clear(space.label, every_namespace=False)
            return
        elif self.journal is not None:
            self.journal.clear(None, every_namespace=False)
        space.store.clear()
        space.faults, space.persona, space.started, space.apis = None, None, set(), {}
        space.store.policy = self.behaviours.get(self.global_faults).faults
        self.api(space, frozenset())  # start-up hooks again (pre-existing videos)

    def _gpu_workers(self) -> GpuWorkers | None:
        if self.config.gpu_workers is None:
            return None
        return GpuWorkers(self.config.gpu_workers, delete_cancels=self.config.delete_cancels)

    def _new_store(self) -> VideoStore:
        """A new namespace's store: in memory, on the server's clock, with GPU workers of its own."""
        store = open_store(None, self.config.job_seconds, policy=self.behaviours.get(self.global_faults).faults,
                           workers=self._gpu_workers(), clock=self.clock)
        store.policy_for = self.behaviours.policy_for
        return store


# The request headers dispatch reads (ASGI servers give header names in lower case)
FAULT, PERSONA, NAMESPACE = FAULT_HEADER.encode(), PERSONA_HEADER.encode(), NAMESPACE_HEADER.encode()
AUTHORIZATION = b"authorization"
_READ = frozenset({FAULT, PERSONA, NAMESPACE, AUTHORIZATION})


def _mock_headers(scope: Scope) -> dict[bytes, str]:
    """The headers that pick a request's namespace and faults (a repeated fault header joined by commas)."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _READ:
            text = value.decode("latin-1")
            found[name] = f"{found[name]},{text}" if name == FAULT and name in found else found.get(name, text)
    return found


def routes() -> list[Route]:
    op = _operation
    return [
        Route(BASE_PATH + "/videos", Methods({"GET": op("list"), "POST": op("create")})),
        # The most used route early: its {video_id} is never "edits", "extensions" or "characters".
        Route(BASE_PATH + "/videos/{video_id:video_id}", Methods({"GET": op("retrieve"), "DELETE": op("delete")})),
        Route(BASE_PATH + "/videos/edits", Methods({"POST": op("edit")})),
        Route(BASE_PATH + "/videos/extensions", Methods({"POST": op("extend")})),
        Route(BASE_PATH + "/videos/characters", Methods({"POST": op("create_character")})),
        # Before /videos/{video_id}/...: "characters/content" is a character id, not a video's content.
        Route(BASE_PATH + "/videos/characters/{character_id}", Methods({"GET": op("get_character")})),
        Route(BASE_PATH + "/videos/{video_id}/content", Methods({"GET": op("content")})),
        Route(BASE_PATH + "/videos/{video_id}/remix", Methods({"POST": op("remix")})),
    ]


def _operation(name: str) -> Handler:
    """The route's handler: operation ``name`` of the VideosAPI serving the request (a plain function
    handing back that handler's coroutine: one coroutine less per request)."""

    def handler(request: Request) -> Awaitable[Response]:
        return request.scope[API_KEY].handlers[name](request)

    return handler


class VideosAPI:
    """The ten operations over one namespace's store, with one set of faults."""

    def __init__(self, server: MockServer, behaviour: Behaviour, space: Space):
        self.server = server
        self.config = server.config
        self.names = behaviour.names
        self.faults = behaviour.faults
        self.rules = behaviour.rules
        self.validator = behaviour.validator
        self.media = behaviour.media
        self.space = space
        self.store = space.store
        self.lenient = self.config.lenient_ids
        self.fault_names = tuple(sorted(self.names))  # what each job made here keeps
        self.poll_step = self.config.advance_per_poll / STEPS  # of a job's duration, per retrieve
        if server.clock.manual:  # waiting does not move a manual clock: poll again at once
            self.poll_after_ms = MIN_POLL_AFTER_MS
        else:
            self.poll_after_ms = max(MIN_POLL_AFTER_MS, int(self.config.job_seconds * 1000 * POLL_AFTER_SHARE))
        # all that fault hooks may see and do (never this object)
        self.fault_context = FaultContext(
            rules=self.rules, key=self.config.api_key, store=self.store, render=self.render,
            content=lambda job, request: self.asset_response(job, self.variant(request)),
            check_reference_image=self.validator.check_reference_image,
        )
        self.handlers = {op: self.faults.around(op, getattr(self, op), self.fault_context) for op in OPERATIONS}
        self.app = self.faults.middleware(server.core, self.fault_context) if self.faults else server.core

    # ---- operations ----------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(CREATE), self.config.max_body_bytes)
        self.faults.check_body(body, self.fault_context)
        params = self.faults.adjust_params(self.validator.create(body), self.fault_context)
        if params.upload is not None:
            await run_in_threadpool(self.check_reference_image, params)
        job = self.new_job(prompt=params.prompt, model=params.model, size=params.size, seconds=params.seconds,
                           reference=params.reference)
        return JSONResponse(self.render(job, "create", just_created=True))

    async def retrieve(self, request: Request) -> Response:
        job = self.polled(self._job(request))
        return JSONResponse(self.render(job, "retrieve"), headers={"openai-poll-after-ms": str(self.poll_after_ms)})

    async def list(self, request: Request) -> Response:
        query = self.validator.query(LIST, request.query_params)
        try:
            page = self.store.page(limit=query["limit"], order=query["order"], after=query["after"] or None)
        except UnknownCursor:
            if not self.lenient:
                raise APIError(400, f"Invalid 'after': no video with id '{echoed(query['after'])}' to list after.",
                               param="after", code="invalid_value") from None
            page = self.store.page(limit=query["limit"], order=query["order"])  # an unknown cursor: from the start
        data = [self.render(job, "list") for job in page.jobs]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": page.has_more,
            }
        )

    async def delete(self, request: Request) -> Response:
        video_id = request.path_params["video_id"]
        if self.store.delete(video_id) is None and not self.lenient:
            raise not_found(video_id)
        return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})

    async def content(self, request: Request) -> Response:
        variant = self.variant(request)
        job = self._job(request)
        status, _ = self.state(job)
        if status != STATUS.completed:
            raise content_not_ready(job.id, status)
        return self.asset_response(job, variant)

    def variant(self, request: Request) -> str:
        return self.validator.query(CONTENT, request.query_params)["variant"] or self.rules.default_variant

    def asset_response(self, job: Job, variant: str) -> Response:
        asset = self.media.get(variant, job.size, job.seconds)
        return Response(
            asset.data,
            media_type=asset.media_type,
            headers={"Content-Disposition": f'attachment; filename="{job.id}_{variant}.{asset.extension}"'},
        )

    async def remix(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(REMIX), self.config.max_body_bytes)
        prompt = self.validator.remix(body)
        source = self._job(request)
        status, _ = self.state(source)
        if status != STATUS.completed:
            raise source_not_ready(source.id, status, "remixed")
        job = self.new_job(prompt=prompt, model=source.model, size=source.size, seconds=source.seconds,
                           remixed_from_video_id=source.id)
        return JSONResponse(self.render(job, "remix", just_created=True))

    async def edit(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(EDIT), self.config.max_body_bytes)
        params = self.validator.edit(body)
        source = self.source(params, "edited")
        job = self.new_job(prompt=params.prompt, model=source.model, size=source.size, seconds=source.seconds,
                           source=source.record("edit"))
        return JSONResponse(self.render(job, "edit", just_created=True))

    async def extend(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(EXTEND), self.config.max_body_bytes)
        params = self.validator.extend(body)
        source = self.source(params, "extended")
        seconds = stitched_seconds(source.seconds, params.seconds or "0")
        job = self.new_job(prompt=params.prompt, model=source.model, size=source.size, seconds=seconds,
                           source={**source.record("extension"), "seconds": params.seconds})
        return JSONResponse(self.render(job, "extend", just_created=True))

    async def create_character(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(CREATE_CHARACTER), self.config.max_body_bytes)
        params = self.validator.character(body)
        info = self.check_video(params.upload)
        upload = params.upload
        character = self.store.create_character(
            params.name,
            {"filename": upload.filename, "media_type": info.media_type, "bytes": len(upload.data), "seconds": info.seconds},
            media=upload.data,
        )
        return JSONResponse(character.resource())

    async def get_character(self, request: Request) -> Response:
        character_id = request.path_params["character_id"]
        character = self.store.get_character(character_id)
        if character is None:
            if not self.lenient:
                raise character_not_found(character_id)
            character = Character(character_id, EXAMPLE_CHARACTER, self.store.wall_now(), {})
        return JSONResponse(character.resource())

    # ---- helpers (also the faults' building blocks) --------------------------------------
    def new_job(self, **fields) -> Job:
        """A job of this request: it keeps the faults it was created with (the server's, its
        namespace's, its request's), whatever faults the server has later."""
        return self.store.create(**fields, policy=self.faults, faults=self.fault_names)

    def faults_of(self, job: Job) -> FaultSet:
        """The faults a job is answered with: this request's, and those it was created with."""
        if not job.faults or self.names.issuperset(job.faults):
            return self.faults
        return self.server.behaviours.get(self.names | set(job.faults)).faults

    def state(self, job: Job) -> tuple[str, int]:
        return job.state(self.store.now(), policy=self.faults_of(job))

    def render(self, job: Job, op: str, *, just_created: bool = False) -> dict:
        """The job's Video as the operation ``op`` answers it."""
        faults = self.faults_of(job)
        video = job.video(self.store.now(), just_created=just_created, policy=faults)
        return faults.render(video, View(op, job, self.fault_context))

    def polled(self, job: Job) -> Job:
        """With ``--advance-per-poll N``: an unfinished job moved N steps ahead by this retrieve."""
        step = self.poll_step * job.job_seconds
        if not step or job.seq == 0 or self.state(job)[0] in STATUS.terminal:  # seq 0: an example (--lenient-ids)
            return job
        return self.store.move(job.id, lambda moved: setattr(moved, "shift", moved.shift + step)) or job

    def check_reference_image(self, params: CreateParams) -> None:
        if self.lenient and _placeholder(params.upload.data, inspect_image, NotAnImage):
            return
        check = self.faults.image_check()
        if check is None:
            self.validator.check_reference_image(params)
        else:
            check(params, self.fault_context)

    def check_video(self, upload: UploadedFile) -> VideoInfo:
        if self.lenient and _placeholder(upload.data, inspect_video, NotAVideo):
            return VideoInfo("video/mp4", None)
        check = self.faults.upload_check()
        return self.validator.check_video(upload) if check is None else check(upload, self.fault_context)

    def source(self, params: SourceParams, action: str) -> Source:
        """The source of an edit or extension: a completed video by id (404 unknown, 400 not
        completed), or an uploaded video file (400 when it is not a video)."""
        if params.upload is not None:
            info = self.check_video(params.upload)
            seconds = str(max(1, round(info.seconds))) if info.seconds else self.rules.defaults["seconds"]
            return Source(self.rules.defaults["model"], self.rules.defaults["size"], seconds,
                          filename=params.upload.filename)
        video_id = params.video_id or ""
        job = self.store.get(video_id)
        if job is None:
            if not self.lenient:
                raise not_found(video_id, param="video")
            job = self.example(video_id)
        status, _ = self.state(job)
        if status != STATUS.completed:
            raise source_not_ready(job.id, status, action, param="video")
        return Source(job.model, job.size, job.seconds, video_id=job.id)

    def _job(self, request: Request) -> Job:
        video_id = request.path_params["video_id"]
        job = self.store.get(video_id)
        if job is None:
            if not self.lenient:
                raise not_found(video_id)
            job = self.example(video_id)
        return job

    def example(self, video_id: str) -> Job:
        """What ``--lenient-ids`` answers for an id the store does not know: a completed video of the
        default model, size and duration (not kept: a list does not show it)."""
        defaults, took = self.rules.defaults, self.store.job_seconds
        return Job(id=video_id, seq=0, prompt=EXAMPLE_PROMPT, model=defaults["model"], size=defaults["size"],
                   seconds=defaults["seconds"], created_wall=self.store.wall_now() - took,
                   created_mono=self.store.now() - took, job_seconds=took, policy=self.faults)


def _placeholder(data: bytes, inspect: Callable[[bytes], object], refusal: type[Exception]) -> bool:
    """Whether an upload is a placeholder (not an image or video at all), which --lenient-ids accepts."""
    try:
        inspect(data)
    except refusal:
        return True
    return False


def stitched_seconds(source: str, extension: str) -> str:
    """An extension's Video reports the stitched total: the source's seconds plus the new ones."""
    try:
        total = float(source) + float(extension)
    except ValueError:
        return extension
    return str(int(total)) if total.is_integer() else f"{total:g}"


class Methods:
    """An ASGI endpoint dispatching on the method; others get 405 with a stable ``Allow``."""

    def __init__(self, handlers: dict[str, Handler]):
        self.handlers = handlers
        self.allowed = sorted(set(handlers) | ({"HEAD"} if "GET" in handlers else set()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        method = request.method
        handler = self.handlers.get("GET" if method == "HEAD" else method)
        if handler is None:
            raise method_not_allowed(method, request.url.path, self.allowed)
        response = await handler(request)
        await response(scope, receive, send)
