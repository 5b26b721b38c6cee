"""The app factory: ``create_app(config)`` builds the reference server as a Starlette app.

Routes live under ``/v1`` (base URL ``http://HOST:PORT/v1``). Handlers are thin: parse the body
(``bodies``), validate it (``validation``), act on the store (``store``), render. Every error is
an ``APIError`` rendered as OpenAI's envelope by the exception handlers (``errors``).

What the server accepts comes from the spec, patched by the target profile when one is given
(``MockConfig.profile``). Fault modes (``MockConfig.faults``, see ``faults``) act only through the
hook points of a ``FaultSet``; with no fault active every hook is a no-op.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from contracts.mock.bodies import UploadedFile, parse_body
from contracts.mock.config import MockConfig
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
from contracts.mock.faults import FaultContext, FaultSet, View, fault_set
from contracts.mock.gpu import GpuWorkers
from contracts.mock.media import Assets, VideoInfo
from contracts.mock.middleware import RequestId, access
from contracts.mock.sqlite_store import SQLiteStore
from contracts.mock.store import (
    DEFAULT_POLICY,
    Job,
    JobPolicy,
    MemoryStore,
    Scheduler,
    StoreError,
    UnknownCursor,
    VideoStore,
)
from contracts.mock.validation import CreateParams, RequestValidator, SourceParams
from contracts.profile import load_profile
from contracts.rules import CONTENT, CREATE, CREATE_CHARACTER, EDIT, EXTEND, LIST, REMIX, STATUS, Rules
from contracts.spec import load_spec

Handler = Callable[[Request], Awaitable[Response]]

# Segments under /videos that name an operation (the routes below), not a video.
OPERATION_SEGMENTS = ("edits", "extensions", "characters")


class VideoIdConvertor(StringConvertor):
    """``{video_id:video_id}``: a path segment that is not one of ``OPERATION_SEGMENTS``."""

    regex = f"(?!(?:{'|'.join(OPERATION_SEGMENTS)})$)[^/]+"


register_url_convertor("video_id", VideoIdConvertor())

BASE_PATH = "/v1"  # the API's routes, in one flat table: a Mount's nested router made every request slower
POLL_AFTER_SHARE = 0.1  # advise polling ten times per job
MIN_POLL_AFTER_MS = 5


def create_app(config: MockConfig | None = None) -> Starlette:
    """A new, empty reference server. Raises SpecError if the spec cannot be loaded, ProfileError
    if the profile cannot be used."""
    config = config or MockConfig()
    faults = fault_set(config.faults)
    rules = build_rules(config, faults)
    api = VideosAPI(config, rules, faults)
    middleware = [Middleware(RequestId), *access(config.api_key, config.api_key_header, config.require_headers)]
    if faults:
        middleware.insert(0, Middleware(faults.middleware, ctx=api.fault_context))
    app = Starlette(
        routes=api.routes(),
        middleware=middleware,
        exception_handlers={
            APIError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
    app.router.redirect_slashes = False
    app.state.config, app.state.rules, app.state.store = config, rules, api.store
    app.state.faults = faults
    if len(api.store) == 0:  # a store file with videos was set up when it was new (by a worker, or before a restart)
        faults.start(api.fault_context)
    return app


def build_rules(config: MockConfig, faults: FaultSet | None = None) -> Rules:
    """The rules the server enforces: explicit ``config.rules``, else the spec patched by the
    profile (its enums and defaults) and then by the faults.

    Under a profile that lists ``models``, other model names are refused with 400 (``Profile.rules``);
    without a profile any non-empty model name is accepted.
    """
    faults = faults or FaultSet()
    if config.rules is not None:
        return faults.patch_rules(config.rules)
    profile = load_profile(config.profile)
    return faults.patch_rules(profile.rules(faults.patch_spec(profile.apply(load_spec(config.spec_path)))))


def open_store(
    path: str | None, job_seconds: float, *, policy: JobPolicy = DEFAULT_POLICY, workers: Scheduler | None = None
) -> VideoStore:
    """The store a server keeps its jobs in: in memory without ``path``, else the SQLite file
    at ``path`` (created if missing). Raises StoreError (one line) for a path that cannot be used."""
    if path is None:
        return MemoryStore(job_seconds, policy=policy, workers=workers)
    if workers is not None:  # the GPU queue is the state of one process, not of a store file
        raise StoreError("--gpu-workers cannot be combined with --store: the GPU queue is kept in memory")
    return SQLiteStore.open(path, job_seconds, policy=policy)


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


class VideosAPI:
    """The ten operations over one store."""

    def __init__(self, config: MockConfig, rules: Rules, faults: FaultSet | None = None):
        self.config = config
        self.rules = rules
        self.faults = faults or FaultSet()
        workers = None
        if config.gpu_workers is not None:
            workers = GpuWorkers(config.gpu_workers, delete_cancels=config.delete_cancels)
        self.store = open_store(config.store, config.job_seconds, policy=self.faults, workers=workers)
        self.validator = RequestValidator(rules)
        self.assets = Assets.load(rules.variants, rules.variant_media_types)
        self.poll_after_ms = max(MIN_POLL_AFTER_MS, int(config.job_seconds * 1000 * POLL_AFTER_SHARE))
        # all that fault hooks may see and do (never this object)
        self.fault_context = FaultContext(
            rules=rules, key=config.api_key, store=self.store, render=self.render,
            content=lambda job, request: self.asset_response(job, self.variant(request)),
            check_reference_image=self.validator.check_reference_image,
        )

    def routes(self) -> list[Route]:
        op = self._operation
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

    def _operation(self, name: str) -> Handler:
        return self.faults.around(name, getattr(self, name), self.fault_context)

    # ---- operations ----------------------------------------------------------------------
    async def create(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(CREATE), self.config.max_body_bytes)
        self.faults.check_body(body, self.fault_context)
        params = self.faults.adjust_params(self.validator.create(body), self.fault_context)
        if params.upload is not None:
            await run_in_threadpool(self.check_reference_image, params)
        job = self.store.create(
            prompt=params.prompt, model=params.model, size=params.size, seconds=params.seconds, reference=params.reference
        )
        return JSONResponse(self.render(job, "create", just_created=True))

    async def retrieve(self, request: Request) -> Response:
        job = self._job(request)
        return JSONResponse(self.render(job, "retrieve"), headers={"openai-poll-after-ms": str(self.poll_after_ms)})

    async def list(self, request: Request) -> Response:
        query = self.validator.query(LIST, request.query_params)
        try:
            page = self.store.page(limit=query["limit"], order=query["order"], after=query["after"] or None)
        except UnknownCursor:
            raise APIError(
                400, f"Invalid 'after': no video with id '{echoed(query['after'])}' to list after.", param="after", code="invalid_value"
            ) from None
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
        if self.store.delete(video_id) is None:
            raise not_found(video_id)
        return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})

    async def content(self, request: Request) -> Response:
        variant = self.variant(request)
        job = self._job(request)
        status, _ = job.state(self.store.now())
        if status != STATUS.completed:
            raise content_not_ready(job.id, status)
        return self.asset_response(job, variant)

    def variant(self, request: Request) -> str:
        return self.validator.query(CONTENT, request.query_params)["variant"] or self.rules.default_variant

    def asset_response(self, job: Job, variant: str) -> Response:
        asset = self.assets.get(variant)
        return Response(
            asset.data,
            media_type=asset.media_type,
            headers={"Content-Disposition": f'attachment; filename="{job.id}_{variant}.{asset.extension}"'},
        )

    async def remix(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(REMIX), self.config.max_body_bytes)
        prompt = self.validator.remix(body)
        source = self._job(request)
        status, _ = source.state(self.store.now())
        if status != STATUS.completed:
            raise source_not_ready(source.id, status, "remixed")
        job = self.store.create(
            prompt=prompt, model=source.model, size=source.size, seconds=source.seconds, remixed_from_video_id=source.id
        )
        return JSONResponse(self.render(job, "remix", just_created=True))

    async def edit(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(EDIT), self.config.max_body_bytes)
        params = self.validator.edit(body)
        source = self.source(params, "edited")
        job = self.store.create(prompt=params.prompt, model=source.model, size=source.size, seconds=source.seconds,
                                source=source.record("edit"))
        return JSONResponse(self.render(job, "edit", just_created=True))

    async def extend(self, request: Request) -> Response:
        body = await parse_body(request, self.rules.media_types(EXTEND), self.config.max_body_bytes)
        params = self.validator.extend(body)
        source = self.source(params, "extended")
        seconds = stitched_seconds(source.seconds, params.seconds or "0")
        job = self.store.create(prompt=params.prompt, model=source.model, size=source.size, seconds=seconds,
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
            raise character_not_found(character_id)
        return JSONResponse(character.resource())

    # ---- helpers (also the faults' building blocks) --------------------------------------
    def render(self, job: Job, op: str, *, just_created: bool = False) -> dict:
        """The job's Video as the operation ``op`` answers it."""
        return self.faults.render(job.video(self.store.now(), just_created=just_created), View(op, job, self.fault_context))

    def check_reference_image(self, params: CreateParams) -> None:
        check = self.faults.image_check()
        if check is None:
            self.validator.check_reference_image(params)
        else:
            check(params, self.fault_context)

    def check_video(self, upload: UploadedFile) -> VideoInfo:
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
            raise not_found(video_id, param="video")
        status, _ = job.state(self.store.now())
        if status != STATUS.completed:
            raise source_not_ready(job.id, status, action, param="video")
        return Source(job.model, job.size, job.seconds, video_id=job.id)

    def _job(self, request: Request) -> Job:
        video_id = request.path_params["video_id"]
        job = self.store.get(video_id)
        if job is None:
            raise not_found(video_id)
        return job


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
