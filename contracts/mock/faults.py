"""Fault modes: the reference server, made to deviate on purpose, one realistic deviation each.

    videos-contract mock --fault seconds-integer --fault nulls-omitted
    create_app(MockConfig(faults={"seconds-integer"}))

A contract suite is worth the deviations it catches and the false alarms it avoids. Each entry of
``CATALOGUE`` is either a **fault** (a deviation a real server has or could easily have; ``breaks``
names the clauses a correct suite must fail) or a **clean variant** (a legitimate difference the
suite must accept: ``breaks`` is empty). ``tests/test_detection.py`` runs the suite against every
entry; ``benchmarks/detection.py`` prints the table; ``docs/faults.md`` documents them.

A fault is data: a name, a one-line summary, where it comes from, the clauses it breaks, and a few
small hooks. The server's normal code never asks which fault is active; it calls the hook points
of a ``FaultSet`` (which are no-ops when no fault is active):

========== ================================================== ==============================
hook       called                                             used for
========== ================================================== ==============================
spec       on a copy of the spec document, at start           enums, limits, defaults, required
rules      on the Rules built from that spec                  unknown parameters
body       on a create body, before validation                extra refusals, crashes, coercion
params     on validated create params                         length counting, crashes
image      instead of the reference-image check               skipped or wrong checks
new_id     for each new job                                   id formats, reused ids
setup      on each new job                                    duration, failure
state      on each (status, progress) derived from the clock  timelines that misbehave
video      on every Video rendered                            field shapes and values
around     around one operation's handler                     status codes, bodies, hangs
error      on every error answer (4xx/5xx with the envelope)  error shapes, content types
asgi       around the whole app                               auth, rate limits, slowness
startup    once, when the server is built                     videos that exist before the run
========== ================================================== ==============================
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import random
import secrets
import unicodedata
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.mock.bodies import Body, UploadedFile
from contracts.mock.errors import SERVER_ERROR, APIError
from contracts.mock.store import JobPolicy, State, new_video_id

if TYPE_CHECKING:
    from contracts.mock.app import VideosAPI
    from contracts.mock.rules import Rules
    from contracts.mock.store import Job
    from contracts.mock.validation import CreateParams
    from contracts.spec import Spec

Handler = Callable[[Request], Awaitable[Response]]
Around = Callable[["VideosAPI", Request, Handler], Awaitable[Response]]
OPERATIONS = ("create", "retrieve", "list", "delete", "content", "remix")
CREATE_SCHEMAS = ("CreateVideoRequest", "CreateVideoMultipartRequest")
RATE_LIMIT_EVERY = 10  # the rate-limit modes answer every 10th request 429
HANG_LIMIT_SECONDS = 600.0  # a "hanging" request gives up after this long even if nobody disconnects
ENDLESS_CAP_BYTES = 256 * 1024 * 1024  # an "endless" body stops here if the client never hangs up
REPLICATION_LAG_SECONDS = 0.5  # retrieve-lag: a new job is invisible to retrieve this long


class UnknownFault(ValueError):
    """A fault name that is not in the catalogue."""


@dataclass(frozen=True)
class View:
    """Why a Video is being rendered: the operation and the job."""

    op: str  # create, retrieve, list, remix, delete
    job: Job
    api: VideosAPI


@dataclass
class ErrorAnswer:
    """An error answer on its way out; ``error`` hooks may change any part of it."""

    status: int
    body: Any  # the parsed JSON (the envelope), or bytes once a hook rendered something else
    media_type: str
    headers: dict[str, str]
    request: Headers  # the request's headers
    method: str
    path: str

    @property
    def envelope(self) -> dict[str, Any]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error if isinstance(error, dict) else {}


@dataclass(frozen=True)
class Fault:
    """One fault mode (``breaks`` non-empty) or clean variant (``breaks`` empty)."""

    name: str
    summary: str  # one line: what this server does
    source: str  # where the behaviour comes from (a real server, a common bug)
    breaks: tuple[str, ...] = ()  # clause ids a correct suite must fail against it
    spec: Callable[[dict], None] | None = None
    rules: Callable[[Rules], Rules] | None = None
    body: Callable[[Body, VideosAPI], None] | None = None
    params: Callable[[CreateParams, VideosAPI], CreateParams] | None = None
    image: Callable[[CreateParams, VideosAPI], None] | None = None
    new_id: Callable[[str | None], str] | None = None
    setup: Callable[[Job], None] | None = None
    state: Callable[[Job, float, State, bool], State] | None = None
    video: Callable[[dict, View], dict] | None = None
    around: Mapping[str, Around] = field(default_factory=dict)
    error: Callable[[ErrorAnswer], None] | None = None
    asgi: Callable[[ASGIApp, VideosAPI], ASGIApp] | None = None
    startup: Callable[[VideosAPI], None] | None = None

    @property
    def clean(self) -> bool:
        return not self.breaks

    @property
    def kind(self) -> str:
        return "clean" if self.clean else "fault"


# ============================================================================================
# The set of active faults: the hook points the server calls
# ============================================================================================
class FaultSet(JobPolicy):
    """The active faults, in the order given; every hook point is a no-op when there are none."""

    def __init__(self, faults: Iterable[Fault] = ()):
        self.faults = tuple(faults)

    @classmethod
    def named(cls, names: Iterable[str]) -> FaultSet:
        names = sorted(set(names))
        check_names(names)
        return cls(CATALOGUE[name] for name in names)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def _hooks(self, attribute: str) -> list[Any]:
        return [getattr(f, attribute) for f in self.faults if getattr(f, attribute) is not None]

    # ---- start-up ------------------------------------------------------------------------
    def patch_spec(self, spec: Spec) -> Spec:
        hooks = self._hooks("spec")
        if not hooks:
            return spec
        from contracts.spec import Spec

        document = json.loads(json.dumps(spec.document))  # a deep copy of plain data
        for hook in hooks:
            hook(document)
        return Spec(document, spec.path)

    def patch_rules(self, rules: Rules) -> Rules:
        for hook in self._hooks("rules"):
            rules = hook(rules)
        return rules

    def start(self, api: VideosAPI) -> None:
        for hook in self._hooks("startup"):
            hook(api)

    # ---- create --------------------------------------------------------------------------
    def check_body(self, body: Body, api: VideosAPI) -> None:
        for hook in self._hooks("body"):
            hook(body, api)

    def adjust_params(self, params: CreateParams, api: VideosAPI) -> CreateParams:
        for hook in self._hooks("params"):
            params = hook(params, api)
        return params

    def image_check(self) -> Callable[[CreateParams, VideosAPI], None] | None:
        hooks = self._hooks("image")
        return hooks[-1] if hooks else None

    # ---- jobs (JobPolicy) ----------------------------------------------------------------
    def new_id(self, prompt: str | None) -> str:
        hooks = self._hooks("new_id")
        return hooks[-1](prompt) if hooks else new_video_id()

    def setup(self, job: Job) -> None:
        for hook in self._hooks("setup"):
            hook(job)

    def state(self, job: Job, elapsed: float, state: State, just_created: bool) -> State:
        for hook in self._hooks("state"):
            state = hook(job, elapsed, state, just_created)
        return state

    # ---- answers -------------------------------------------------------------------------
    def render(self, video: dict, view: View) -> dict:
        for hook in self._hooks("video"):
            video = hook(video, view)
        return video

    def around(self, op: str, handler: Handler, api: VideosAPI) -> Handler:
        """``handler`` wrapped by every fault's hook for ``op`` (the first fault outermost)."""
        for fault in reversed(self.faults):
            hook = fault.around.get(op)
            if hook is not None:
                handler = _bind(hook, api, handler)
        return handler

    def middleware(self, app: ASGIApp, api: VideosAPI) -> ASGIApp:
        """The app wrapped by the error rewrites, then by every ``asgi`` hook."""
        errors = self._hooks("error")
        if errors:
            app = ErrorRewrite(app, errors)
        for hook in reversed(self._hooks("asgi")):
            app = hook(app, api)
        return app


def _bind(hook: Around, api: VideosAPI, inner: Handler) -> Handler:
    async def handler(request: Request) -> Response:
        return await hook(api, request, inner)

    return handler


def check_names(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(CATALOGUE))
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r}; `videos-contract mock --list-faults` lists them")


class ErrorRewrite:
    """Buffers every 4xx/5xx JSON answer, lets the ``error`` hooks change it, then sends it."""

    def __init__(self, app: ASGIApp, hooks: list[Callable[[ErrorAnswer], None]]):
        self.app = app
        self.hooks = hooks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                if message["status"] >= 400 and headers.get("content-type", "").startswith("application/json"):
                    start = message
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send(scope, start, b"".join(chunks), send)
                return
            await send(message)

        await self.app(scope, receive, capture)

    async def _send(self, scope: Scope, start: Message, raw: bytes, send: Send) -> None:
        headers = {k: v for k, v in Headers(raw=start["headers"]).items() if k not in ("content-length", "content-type")}
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        answer = ErrorAnswer(start["status"], body, "application/json", headers, Headers(scope=scope),
                             scope["method"], scope["path"])
        for hook in self.hooks:
            hook(answer)
        data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
        out = MutableHeaders(headers=answer.headers)
        out["content-type"] = answer.media_type
        out["content-length"] = str(len(data))
        await send({"type": "http.response.start", "status": answer.status, "headers": out.raw})
        await send({"type": "http.response.body", "body": data})


# ============================================================================================
# Small building blocks for the catalogue
# ============================================================================================
def crash(detail: str) -> APIError:
    """What a server's unhandled exception looks like from outside: a 500 envelope."""
    return APIError(500, f"The server had an error while processing your request ({detail}).", type=SERVER_ERROR,
                    code="internal_error")


def invalid(message: str, param: str | None, code: str = "invalid_value") -> APIError:
    return APIError(400, message, param=param, code=code)


def _create_properties(document: dict) -> Iterable[dict]:
    for name in CREATE_SCHEMAS:
        yield document["components"]["schemas"][name]["properties"]


def set_enum(component: str, values: list[str]) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        document["components"]["schemas"][component]["enum"] = list(values)

    return edit


def drop_enum_value(component: str, value: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        schema = document["components"]["schemas"][component]
        schema["enum"] = [v for v in schema["enum"] if v != value]

    return edit


def set_component(component: str, schema: dict) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        document["components"]["schemas"][component] = dict(schema)

    return edit


def set_prompt_limit(keyword: str, value: int) -> Callable[[dict], None]:
    return lambda document: document["components"]["schemas"]["Prompt"].__setitem__(keyword, value)


def set_default(name: str, value: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for properties in _create_properties(document):
            properties[name]["default"] = value

    return edit


def require(name: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for schema in CREATE_SCHEMAS:
            required = document["components"]["schemas"][schema]["required"]
            if name not in required:
                required.append(name)

    return edit


def unrequire(name: str) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for schema in CREATE_SCHEMAS:
            target = document["components"]["schemas"][schema]
            target["required"] = [r for r in target["required"] if r != name]

    return edit


def model_closed(document: dict) -> None:
    """The model field takes only the documented names (no 'any string' branch)."""
    for properties in _create_properties(document):
        properties["model"] = {"$ref": "#/components/schemas/VideoModel", "default": properties["model"]["default"]}


def fields_unchecked(*names: str) -> Callable[[dict], None]:
    """The fields take any JSON value (no type, no enum): a gateway that forwards them."""

    def edit(document: dict) -> None:
        for properties in _create_properties(document):
            for name in names:
                properties[name] = {"default": properties[name].get("default")}

    return edit


def json_reference_unchecked(document: dict) -> None:
    """The JSON create's input_reference takes any value (a gateway forwards it as it came)."""
    document["components"]["schemas"]["CreateVideoRequest"]["properties"]["input_reference"] = {}


def tolerate_unknown_parameters(rules: Rules) -> Rules:
    return rules.override(profile=rules.profile, reject_unknown_parameters=False)


def all_of(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(document: dict) -> None:
        for one in edits:
            one(document)

    return edit


def set_fields(**values: Any) -> Callable[[dict, View], dict]:
    return lambda video, view: {**video, **values}


def map_field(name: str, convert: Callable[[Any], Any], when: Callable[[dict], bool] = lambda v: True):
    def hook(video: dict, view: View) -> dict:
        if name in video and when(video):
            return {**video, name: convert(video[name])}
        return video

    return hook


def fail_jobs(code: Any = "generation_failed", message: str = "The video could not be generated.", every: int = 1):
    def setup(job: Job) -> None:
        if job.seq % every == 0:
            job.error = {"code": code, "message": message}

    return setup


def on_not_found(answer: Callable[[str], APIError]) -> Around:
    """Around hook: an unknown id gets ``answer(video_id)`` instead of the 404."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        try:
            return await call_next(request)
        except APIError as exc:
            if exc.code == "video_not_found":
                raise answer(request.path_params.get("video_id", "")) from None
            raise

    return hook


def transform_json(change: Callable[[Any], Any]) -> Around:
    """Around hook: a 200 JSON answer's body passed through ``change``."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        response = await call_next(request)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        body = change(json.loads(response.body))
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}
        return JSONResponse(body, status_code=response.status_code, headers=headers)

    return hook


def drop_query(*names: str) -> Around:
    """Around hook: the request is handled as if these query parameters were not given."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in names]
        scope = dict(request.scope, query_string=urlencode(kept).encode())
        return await call_next(Request(scope, request.receive))

    return hook


def refuse_media_type(media_type: str, status: int = 415) -> Around:
    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        given = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given == media_type:
            raise APIError(status, f"Unsupported Content-Type: '{given}'. This server takes "
                           f"{'multipart/form-data' if media_type == 'application/json' else 'application/json'} only.",
                           param="Content-Type", code="unsupported_media_type")
        return await call_next(request)

    return hook


async def _until_disconnected(request: Request) -> None:
    async def wait() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(wait(), HANG_LIMIT_SECONDS)
    except TimeoutError:
        pass


async def hang(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    """Never answer (until the client gives up)."""
    await _until_disconnected(request)
    return Response(status_code=504)  # nobody is listening any more


async def endless_list(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    """Start the list body, then keep streaming Video objects and never close the array."""
    first = await call_next(request)
    if first.status_code != 200:
        return first
    page = json.loads(first.body)
    item = json.dumps(page["data"][0] if page["data"] else {"object": "video"}).encode() + b", "
    chunk = item * max(1, 32768 // len(item))  # about 32 KiB per write

    async def stream():
        yield b'{"object": "list", "data": ['
        sent = 0
        while sent < ENDLESS_CAP_BYTES:  # Starlette stops the stream when the client disconnects
            yield chunk
            sent += len(chunk)
            await asyncio.sleep(0)

    return StreamingResponse(stream(), media_type="application/json")


def asgi_wrapper(middleware: Callable[[ASGIApp, VideosAPI, Scope, Receive, Send], Awaitable[None]]):
    """An ``asgi`` hook from ``async def middleware(app, api, scope, receive, send)``."""

    def hook(app: ASGIApp, api: VideosAPI) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            await middleware(app, api, scope, receive, send)

        return wrapped

    return hook


def rate_limit(retry_after: str | None) -> Callable[[ASGIApp, VideosAPI], ASGIApp]:
    counter = {"n": 0}  # per app instance is enough: one server per process

    async def middleware(app, api, scope, receive, send) -> None:
        counter["n"] += 1
        if counter["n"] % RATE_LIMIT_EVERY:
            await app(scope, receive, send)
            return
        error = APIError(429, "Rate limit reached for requests. Please try again later.", type="requests",
                         code="rate_limit_exceeded", headers={"Retry-After": retry_after} if retry_after else None)
        await error.response()(scope, receive, send)

    def hook(app: ASGIApp, api: VideosAPI) -> ASGIApp:
        counter["n"] = 0
        return asgi_wrapper(middleware)(app, api)

    return hook


def with_authorization(present_only: bool) -> Callable[[ASGIApp, VideosAPI], ASGIApp]:
    """auth-ignored / auth-presence-only: the request reaches the app as if the key were right."""

    async def middleware(app, api, scope, receive, send) -> None:
        key = api.config.api_key
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        given = len(headers) != len(scope["headers"])
        if key and (given or not present_only):
            scope = dict(scope, headers=[*headers, (b"authorization", f"Bearer {key}".encode())])
        await app(scope, receive, send)

    return asgi_wrapper(middleware)


def _content_without_key(app: ASGIApp, api: VideosAPI) -> ASGIApp:
    inner = with_authorization(present_only=False)(app, api)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        content = scope["type"] == "http" and scope["path"].endswith("/content")
        await (inner if content else app)(scope, receive, send)

    return wrapped


async def _slow(app, api, scope, receive, send) -> None:
    await asyncio.sleep(random.uniform(0.1, 0.3))
    await app(scope, receive, send)


async def _chunked(app, api, scope, receive, send) -> None:
    async def chunking(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message, headers=[(k, v) for k, v in message["headers"] if k.lower() != b"content-length"])
            await send(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        pieces = [body[i:i + 1024] for i in range(0, len(body), 1024)] or [b""]
        for index, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": more or index < len(pieces) - 1})

    await app(scope, receive, chunking)


def _gzip(app: ASGIApp, api: VideosAPI) -> ASGIApp:
    return GZipMiddleware(app, minimum_size=0)


# ---- prompt checks -------------------------------------------------------------------------
def _prompt_limit(api: VideosAPI) -> int:
    return int(api.rules.spec.schema("Prompt")["maxLength"])


def length_in(unit: str, counter: Callable[[str], int]) -> Callable[[CreateParams, VideosAPI], CreateParams]:
    def hook(params: CreateParams, api: VideosAPI) -> CreateParams:
        limit = _prompt_limit(api)
        if params.prompt is not None and counter(params.prompt) > limit:
            raise invalid(f"Invalid 'prompt': string too long. Expected a string with maximum length {limit}, but got "
                          f"a string with length {counter(params.prompt)} ({unit}) instead.", "prompt",
                          "string_above_max_length")
        return params

    return hook


def crash_on_prompt(test: Callable[[str], bool], detail: str) -> Callable[[CreateParams, VideosAPI], CreateParams]:
    def hook(params: CreateParams, api: VideosAPI) -> CreateParams:
        if params.prompt is not None and test(params.prompt):
            raise crash(detail)
        return params

    return hook


def _short_prompt(params: CreateParams, api: VideosAPI) -> CreateParams:
    if params.prompt is not None and len(params.prompt.strip()) < 3:
        raise invalid("Invalid 'prompt': the prompt is too short to generate a video (at least 3 characters).",
                      "prompt", "prompt_too_short")
    return params


def _unknown_model_crash(params: CreateParams, api: VideosAPI) -> CreateParams:
    known = api.rules.choices.get("model") or api.rules.documented_models
    if params.model not in known:
        raise crash(f"KeyError: {params.model!r}")
    return params


def _unknown_parameter_crash(body: Body, api: VideosAPI) -> None:
    name = api.rules.request_schema(("post", "/videos"), body.media_type)
    known = api.rules.spec.properties(name) if name else {}
    extra = [k for k in body.fields if k not in known]
    if extra:
        raise crash(f"TypeError: generate() got an unexpected keyword argument {extra[0]!r}")


def _forwarded(params: CreateParams, api: VideosAPI) -> CreateParams:
    """prompt-only-validation: whatever came is passed on; null becomes the default, the rest a string."""
    values = {}
    for name in ("model", "seconds", "size"):
        value = getattr(params, name)
        values[name] = api.rules.defaults[name] if value is None else value if isinstance(value, str) else json.dumps(value)
    return dataclasses.replace(params, **values)


# ---- body checks ---------------------------------------------------------------------------
def _file_required(body: Body, api: VideosAPI) -> None:
    if body.media_type == "multipart/form-data" and not any(isinstance(v, UploadedFile) for v in body.fields.values()):
        raise invalid("Missing required parameter: 'input_reference' (a file).", "input_reference",
                      "missing_required_parameter")


def _data_url_refused(body: Body, api: VideosAPI) -> None:
    for name, value in body.fields.items():
        url = value.get("image_url") if isinstance(value, dict) and name == "input_reference" else (
            value if name == "input_reference[image_url]" else None)
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            raise invalid("Invalid 'input_reference.image_url': the image could not be downloaded (only http and "
                          "https URLs are supported).", "input_reference", "invalid_image_url")


def _seconds_coerced(body: Body, api: VideosAPI) -> None:
    if "seconds" in body.fields:
        value = body.fields["seconds"]
        if value is None:
            del body.fields["seconds"]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            body.fields["seconds"] = str(int(value))


def _form_values_json_decoded(body: Body, api: VideosAPI) -> None:
    if body.media_type != "multipart/form-data":
        return
    for name, value in list(body.fields.items()):
        if isinstance(value, str):
            try:
                body.fields[name] = json.loads(value)
            except ValueError:
                pass


async def _malformed_json_crash(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    try:
        return await call_next(request)
    except APIError as exc:
        if exc.code == "invalid_json" or (exc.code == "invalid_type" and exc.param is None):
            raise crash("JSONDecodeError" if exc.code == "invalid_json" else "AttributeError: 'list' object has no "
                        "attribute 'get'") from None
        raise


# ---- reference images ----------------------------------------------------------------------
def _image_transposed(params: CreateParams, api: VideosAPI) -> None:
    width, _, height = params.size.partition("x")
    api.validator.check_reference_image(dataclasses.replace(params, size=f"{height}x{width}"))


def _image_any_size(params: CreateParams, api: VideosAPI) -> None:
    from contracts.mock.media import NotAnImage, decode_image

    try:
        decode_image(params.upload.data)
    except NotAnImage:
        raise invalid("Invalid 'input_reference': the uploaded file is not an image.", "input_reference",
                      "invalid_image") from None


def _image_unchecked(params: CreateParams, api: VideosAPI) -> None:
    return None


# ---- ids and timelines ---------------------------------------------------------------------
def _id_from_prompt(prompt: str | None) -> str:
    return "video_" + hashlib.sha256((prompt or "").encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _random_duration(job: Job) -> None:
    job.job_seconds *= random.uniform(0.3, 3.0)


def _never_finishes(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return ("in_progress", 99) if state[0] == "completed" else state


def _instant(job: Job) -> None:
    job.job_seconds = 0.0


def _completed_at_create(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return job.faithful_state(elapsed) if just_created else state


def _in_progress_at_create(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return ("in_progress", 0) if state[0] == "queued" else state


def _requeued(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    share = elapsed / job.job_seconds if job.job_seconds else 1.0
    return ("queued", 0) if state[0] == "in_progress" and 0.5 <= share < 0.7 else state


def _progress_per_stage(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    status, progress = state
    if status != "in_progress":
        return state
    return status, (progress * 2) % 100 or 1  # two denoising stages, each reported 0-100


def _progress_99(job: Job, elapsed: float, state: State, just_created: bool) -> State:
    return ("completed", 99) if state[0] == "completed" else state


# ---- Video shapes --------------------------------------------------------------------------
def _seconds_integer(video: dict, view: View) -> dict:
    seconds = video.get("seconds")
    return {**video, "seconds": int(seconds)} if isinstance(seconds, str) and seconds.isdigit() else video


def _without(*names: str) -> Callable[[dict, View], dict]:
    return lambda video, view: {k: v for k, v in video.items() if k not in names}


def _nulls_omitted(video: dict, view: View) -> dict:
    return {k: v for k, v in video.items() if v is not None}


def _status_renamed(old: str, new: str) -> Callable[[dict, View], dict]:
    return map_field("status", lambda s: new if s == old else s)


def _timestamps(convert: Callable[[int], Any]) -> Callable[[dict, View], dict]:
    def hook(video: dict, view: View) -> dict:
        out = dict(video)
        for name in ("created_at", "completed_at", "expires_at"):
            if isinstance(out.get(name), int):
                out[name] = convert(out[name])
        return out

    return hook


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _error_on_success(video: dict, view: View) -> dict:
    return video if video.get("status") == "failed" else {**video, "error": {"code": "", "message": ""}}


def _extra_fields(video: dict, view: View) -> dict:
    return {**video, "file_path": f"/srv/outputs/{video.get('id')}.mp4", "quality": "standard",
            "usage": {"duration_seconds": 4, "output_tokens": 0}, "metadata": {}}


def _model_served(video: dict, view: View) -> dict:
    return {**video, "model": view.api.rules.defaults["model"]}


def _actual_duration(video: dict, view: View) -> dict:
    if video.get("status") == "completed" and isinstance(video.get("seconds"), str) and video["seconds"].isdigit():
        return {**video, "seconds": f"{int(video['seconds']) + 0.04:.2f}"}
    return video


# ---- operations ----------------------------------------------------------------------------
async def _delete_returns_video(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    job = api.store.get(request.path_params["video_id"])
    response = await call_next(request)
    if response.status_code != 200 or job is None:
        return response
    return JSONResponse({**api.render(job, "delete"), "status": "deleted"})


async def _delete_204(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    return Response(status_code=204) if response.status_code == 200 else response


async def _delete_soft(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    video_id = request.path_params["video_id"]
    if api.store.get(video_id) is None:
        return await call_next(request)
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})  # ...but kept


async def _retrieve_lag(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    job = api.store.get(request.path_params["video_id"])
    if job is not None and api.store.now() - job.created_mono < REPLICATION_LAG_SECONDS:
        raise APIError(404, f"No video found with id '{job.id}'.", param="video_id", code="video_not_found")
    return await call_next(request)


def _failed_job_answer(status: int) -> Around:
    """Around retrieve: a failed job is answered ``status`` instead of 200 + status failed."""

    async def hook(api: VideosAPI, request: Request, call_next: Handler) -> Response:
        job = api.store.get(request.path_params["video_id"])
        if job is not None and job.state(api.store.now())[0] == "failed":
            reason = job.error.get("message") if job.error else "unknown error"
            if status >= 500:
                raise crash(f"video generation failed: {reason}")
            raise APIError(status, f"Video '{job.id}' failed: {reason}", param="video_id", code="video_failed")
        return await call_next(request)

    return hook


async def _content_early(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    job = api.store.get(request.path_params["video_id"])
    if job is None or job.is_completed(api.store.now()):
        return await call_next(request)
    return api.asset_response(job, api.variant(request))


async def _content_octet_stream(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    if response.status_code == 200:
        response.headers["content-type"] = "application/octet-stream"
    return response


async def _not_ready_404(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    try:
        return await call_next(request)
    except APIError as exc:
        if exc.code == "video_not_ready":
            raise APIError(404, f"Video content not found for '{request.path_params.get('video_id')}'.",
                           param="video_id", code="content_not_found") from None
        raise


async def _no_poll_header(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    del response.headers["openai-poll-after-ms"]
    return response


def _list_change(change: Callable[[dict], None]) -> Around:
    def apply(body: Any) -> Any:
        change(body)
        return body

    return transform_json(apply)


def _extra_list_fields(body: dict) -> None:
    body["total"] = len(body.get("data", []))


def _extra_deleted_fields(body: Any) -> Any:
    return {**body, "deleted_at": int(datetime.now(UTC).timestamp())}


async def _variant_ignored(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "variant"]
    scope = dict(request.scope, query_string=urlencode(kept).encode())
    return await call_next(Request(scope, request.receive))


async def _created_201(api: VideosAPI, request: Request, call_next: Handler) -> Response:
    response = await call_next(request)
    if response.status_code == 200:
        response.status_code = 201
    return response


def _nfc(video: dict, view: View) -> dict:
    prompt = video.get("prompt")
    return {**video, "prompt": unicodedata.normalize("NFC", prompt)} if isinstance(prompt, str) else video


def _seed_videos(api: VideosAPI) -> None:
    """preexisting-videos: 150 finished videos from the last 30 days (other users' work)."""
    store, models = api.store, ["sora-2", "sora-2-pro", "some-other-model"]
    for index in range(150):
        job = store.create(prompt=f"an older video #{index}", model=models[index % 3],
                           size=api.rules.defaults["size"], seconds=api.rules.defaults["seconds"])
        age = (150 - index) * 17280.0  # oldest first, 30 days back to 0.2 days back
        job.created_wall -= age
        job.created_mono -= age
        if index % 7 == 0:
            job.error = {"code": "moderation_blocked", "message": "The prompt was blocked by moderation."}


def _neighbours(app: ASGIApp, api: VideosAPI) -> ASGIApp:
    """concurrent-clients: another client creates a video every 50 ms and deletes some, while the run goes."""
    started = {"task": None}

    async def neighbour() -> None:
        created: list[str] = []
        for index in range(1200):  # at most a minute
            job = api.store.create(prompt=f"someone else's video {index}", model="sora-2",
                                   size=api.rules.defaults["size"], seconds=api.rules.defaults["seconds"])
            created.append(job.id)
            if index % 3 == 2:
                api.store.delete(created.pop(0))
            await asyncio.sleep(0.05)

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if started["task"] is None and scope["type"] == "http":
            started["task"] = asyncio.get_running_loop().create_task(neighbour())
        await app(scope, receive, send)

    return wrapped


async def _no_date(app, api, scope, receive, send) -> None:
    async def without_date(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message, headers=[(k, v) for k, v in message["headers"] if k.lower() != b"date"])
        await send(message)

    await app(scope, receive, without_date)


# ---- errors --------------------------------------------------------------------------------
def _fastapi(validation_422: bool) -> Callable[[ErrorAnswer], None]:
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


def _message_only(answer: ErrorAnswer) -> None:
    answer.body = {"error": {"message": answer.envelope.get("message", "error")}}


def _html_page(answer: ErrorAnswer) -> None:
    title = f"{answer.status} {_REASONS.get(answer.status, 'Error')}"
    answer.body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
                   f"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n").encode()
    answer.media_type = "text/html"


_REASONS = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Not Allowed", 409: "Conflict",
            413: "Request Entity Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests",
            500: "Internal Server Error"}


def _code_is_status(answer: ErrorAnswer) -> None:
    if answer.envelope:
        answer.envelope["code"] = str(answer.status)


def _wrong_key_403(answer: ErrorAnswer) -> None:
    if answer.status == 401 and answer.request.get("authorization"):
        answer.status = 403
        answer.envelope["message"] = "Forbidden: the API key is not valid."


def _error_extra_fields(answer: ErrorAnswer) -> None:
    if answer.envelope:
        answer.envelope["request_id"] = "req_" + secrets.token_hex(8)


# ============================================================================================
# The catalogue
# ============================================================================================
_ENTRIES = [
    # ---- create: valid requests refused ---------------------------------------------------
    Fault("json-refused", "JSON creates are refused (415): the server takes multipart only", "vLLM-Omni",
          ("create.json-accepted",), around={"create": refuse_media_type("application/json")}),
    Fault("multipart-refused", "multipart creates are refused (415): the server takes JSON only",
          "servers written for openai SDKs before 2.27, which sent JSON", ("create.multipart-accepted",),
          around={"create": refuse_media_type("multipart/form-data")}),
    Fault("multipart-file-required", "a multipart create without an input_reference file is refused (400)",
          "older SGLang (input_reference: UploadFile = File(...))", ("create.multipart-accepted",), body=_file_required),
    Fault("short-prompt-rejected", "prompts under 3 characters are refused (400)",
          "a server-side 'prompt too short' guard", ("create.prompt.min-length-accepted",), params=_short_prompt),
    Fault("prompt-limit-31999", "a prompt of exactly 32000 characters is refused (off by one: len >= max)",
          "off-by-one length check", ("create.prompt.max-length-accepted",), spec=set_prompt_limit("maxLength", 31999)),
    Fault("prompt-length-in-bytes", "the prompt limit counts UTF-8 bytes, not characters",
          "Go's len(string) (gateways written in Go, e.g. new-api)", ("create.prompt.multibyte-max-length-accepted",),
          params=length_in("UTF-8 bytes", lambda p: len(p.encode("utf-8", "surrogatepass")))),
    Fault("prompt-length-utf16", "the prompt limit counts UTF-16 code units (an emoji counts 2)",
          "JavaScript/Java String.length (Node and Java gateways)", ("create.prompt.multibyte-max-length-accepted",),
          params=length_in("UTF-16 code units", lambda p: len(p.encode("utf-16-le", "surrogatepass")) // 2)),
    Fault("nul-prompt-500", "a prompt containing NUL crashes the server (500)",
          "PostgreSQL text columns reject 0x00", ("create.prompt.unusual-unicode-accepted", "response.not-server-error"),
          params=crash_on_prompt(lambda p: "\x00" in p, "ValueError: A string literal cannot contain NUL (0x00) characters")),
    Fault("emoji-prompt-500", "a prompt with characters beyond U+FFFF (emoji) crashes the server (500)",
          "MySQL utf8 (3-byte) columns", ("create.prompt.unusual-unicode-accepted", "response.not-server-error"),
          params=crash_on_prompt(lambda p: any(ord(c) > 0xFFFF for c in p),
                                 "Incorrect string value: '\\xF0\\x9F...' for column 'prompt'")),
    Fault("latin1-log-500", "a prompt with characters beyond Latin-1 (Arabic, Hebrew, emoji) crashes the server (500)",
          "a prompt written to a log stream with a Latin-1/ASCII encoding (UnicodeEncodeError)",
          ("create.prompt.unusual-unicode-accepted", "response.not-server-error"),
          params=crash_on_prompt(lambda p: any(ord(c) > 0xFF for c in p), "UnicodeEncodeError: 'latin-1' codec")),
    Fault("model-list-stale", "the newest documented model snapshot (sora-2-2025-12-08) is refused (400)",
          "a gateway whose model list predates the snapshot", ("create.model.every-value-accepted",),
          spec=all_of(drop_enum_value("VideoModel", "sora-2-2025-12-08"), model_closed)),
    Fault("seconds-12-rejected", "seconds='12' is refused (400): clips are capped at 8 s",
          "servers that cap the clip length to fit GPU memory", ("create.seconds.every-value-accepted",),
          spec=set_enum("VideoSeconds", ["4", "8"])),
    Fault("sizes-two-only", "only 720x1280 and 1280x720 are accepted (checked as the full OpenAI contract)",
          "Azure OpenAI Sora 2 (two sizes)", ("create.size.every-value-accepted",),
          spec=set_enum("VideoSize", ["720x1280", "1280x720"])),
    Fault("seconds-required", "seconds has no default: a create without it is refused (400)",
          "a request model with `seconds: str` required", ("create.optional-fields-omittable",), spec=require("seconds")),
    Fault("image-size-transposed", "the reference image is compared as height x width: a correct image is refused",
          "a width/height mix-up in the image check", ("create.image-reference-accepted",), image=_image_transposed),
    Fault("image-url-refused", "input_reference.image_url given as a data URL is refused (400): http(s) only",
          "servers that download image_url with an HTTP client", ("create.image-url-reference-accepted",),
          body=_data_url_refused),
    Fault("form-values-json-decoded", "multipart values are JSON-decoded first ('0' becomes 0, '4' becomes 4) "
          "and then fail the type checks", "servers that json.loads() every form field to accept JSON-in-form",
          ("create.generated-valid-accepted", "create.multipart-accepted"), body=_form_values_json_decoded),
    # ---- create: invalid requests accepted ------------------------------------------------
    Fault("prompt-missing-accepted", "a create without prompt is accepted (prompt null)",
          "a request model with `prompt: str | None = None`", ("create.prompt.missing-rejected",),
          spec=unrequire("prompt")),
    Fault("empty-prompt-accepted", "an empty prompt is accepted", "no minimum length on the prompt",
          ("create.prompt.empty-rejected",), spec=set_prompt_limit("minLength", 0)),
    Fault("prompt-limit-32001", "a prompt of 32001 characters is accepted (off by one: len > max + 1)",
          "off-by-one length check", ("create.prompt.over-max-rejected",), spec=set_prompt_limit("maxLength", 32001)),
    Fault("seconds-pattern", "seconds is checked by a digits pattern, not the enum: '10' is accepted",
          "vLLM-Omni", ("create.seconds.invalid-value-rejected",),
          spec=set_component("VideoSeconds", {"type": "string", "pattern": "^[0-9]+$"})),
    Fault("seconds-int-accepted", "seconds as a JSON integer is accepted (converted), null becomes the default",
          "lax type coercion (pydantic v1, str(seconds))", ("create.seconds.wrong-type-rejected",),
          body=_seconds_coerced),
    Fault("size-any-string", "size is any string: '640x480' is accepted and echoed",
          "SGLang diffusion", ("create.size.invalid-value-rejected", "response.video.schema"),
          spec=set_component("VideoSize", {"type": "string"})),
    Fault("image-size-unchecked", "a reference image of the wrong pixel size is accepted",
          "no pixel-size check (OpenAI answered 400 'Inpaint image must match...')",
          ("create.image-reference.wrong-size-rejected",), image=_image_any_size),
    Fault("image-content-unchecked", "an input_reference that is not an image is accepted",
          "the upload is stored without being decoded", ("create.image-reference.not-image-rejected",),
          image=_image_unchecked),
    Fault("malformed-json-500", "a malformed JSON body (or a JSON array) crashes the server (500)",
          "json.loads() / body.get() without a guard",
          ("create.json.malformed-rejected", "response.not-server-error"), around={"create": _malformed_json_crash}),
    Fault("prompt-only-validation", "only the prompt is validated; model, seconds, size, input_reference and "
          "unknown parameters are passed on as given", "proxies that forward parameters to the backend "
          "(LiteLLM-style: most fields optional)",
          ("create.generated-invalid-rejected", "create.seconds.invalid-value-rejected",
           "create.size.invalid-value-rejected"),
          spec=all_of(fields_unchecked("model", "seconds", "size"), json_reference_unchecked),
          rules=tolerate_unknown_parameters, params=_forwarded),
    Fault("unknown-model-500", "an unknown model name crashes the server (500)",
          "a model registry looked up with dict[...]", ("create.unknown-model-handled", "response.not-server-error"),
          params=_unknown_model_crash),
    Fault("unknown-parameter-500", "an unknown parameter crashes the server (500)",
          "parameters passed on as **kwargs to the pipeline",
          ("create.unknown-parameter-handled", "response.not-server-error"),
          rules=tolerate_unknown_parameters, body=_unknown_parameter_crash),
    # ---- the Video's shape ----------------------------------------------------------------
    Fault("seconds-integer", "the Video's seconds is an integer (4), not a string", "SGLang diffusion",
          ("response.video.schema",), video=_seconds_integer),
    Fault("size-null", "the Video's size is null", "vLLM-Omni", ("response.video.schema",), video=set_fields(size=None)),
    Fault("prompt-field-missing", "the Video has no prompt field", "SGLang diffusion", ("response.video.schema",),
          video=_without("prompt")),
    Fault("nulls-omitted", "nullable fields are left out instead of null", "new-api gateway",
          ("response.video.schema",), video=_nulls_omitted),
    Fault("status-unknown", "a queued job reports status 'unknown'", "new-api gateway (extra status)",
          ("response.video.schema",), video=_status_renamed("queued", "unknown")),
    Fault("status-processing", "a running job reports status 'processing'", "LiteLLM proxy (status a free string)",
          ("response.video.schema",), video=_status_renamed("in_progress", "processing")),
    Fault("progress-fraction", "progress is a fraction 0.0-1.0, not an integer percentage",
          "servers reporting the pipeline's own progress value", ("response.video.schema",),
          video=map_field("progress", lambda p: p / 100)),
    Fault("timestamps-iso", "timestamps are ISO 8601 strings", "Go's time.Time JSON encoding",
          ("response.video.schema",), video=_timestamps(_iso)),
    Fault("timestamps-ms", "timestamps are Unix milliseconds", "JavaScript Date.now()",
          ("video.timestamps-unix-seconds",), video=_timestamps(lambda s: s * 1000)),
    Fault("completed-at-missing", "completed_at stays null when the job completes",
          "a field never filled in", ("video.timestamps-ordered",),
          video=map_field("completed_at", lambda v: None, lambda v: v.get("status") == "completed")),
    Fault("progress-99-at-completion", "a completed job reports progress 99", "progress counted in steps done "
          "before the last one", ("video.progress-consistent",), state=_progress_99),
    Fault("error-on-success", "every job carries error {code: '', message: ''} instead of null",
          "Go zero-value structs", ("video.error-consistent",), video=_error_on_success),
    Fault("error-code-int", "jobs fail with error.code an integer (500)", "vLLM-Omni",
          ("video.error-consistent", "response.video.schema"),
          setup=fail_jobs(500, "CUDA out of memory while decoding the video")),
    Fault("failed-without-error", "jobs fail with error null", "a worker crash that loses the reason",
          ("video.error-consistent",), setup=fail_jobs(),
          video=map_field("error", lambda e: None, lambda v: v.get("status") == "failed")),
    Fault("remixed-from-empty-string", "remixed_from_video_id is '' instead of null", "Go zero-value strings",
          ("create.remixed-from-null",), video=map_field("remixed_from_video_id", lambda v: "" if v is None else v)),
    # ---- semantics ------------------------------------------------------------------------
    Fault("model-not-echoed", "the Video names the served (default) model whatever was asked",
          "single-model servers reporting their own model", ("create.echoes-request",), video=_model_served),
    Fault("prompt-not-echoed", "the Video's prompt is null (not stored)", "servers that do not keep prompts",
          ("create.echoes-request",), video=set_fields(prompt=None)),
    Fault("wrong-default-seconds", "an omitted seconds becomes '8', not '4'", "a server default that differs",
          ("create.defaults-applied",), spec=set_default("seconds", "8")),
    Fault("wrong-default-size", "an omitted size becomes 1280x720, not 720x1280", "landscape-first servers",
          ("create.defaults-applied",), spec=set_default("size", "1280x720")),
    Fault("wrong-default-model", "an omitted model becomes sora-2-pro, not sora-2", "a gateway's default route",
          ("create.defaults-applied",), spec=set_default("model", "sora-2-pro")),
    Fault("initial-completed", "create answers with the job already completed (synchronous generation)",
          "servers that generate before answering", ("create.initial-status",), setup=_instant,
          state=_completed_at_create),
    Fault("prompt-nfc-normalized", "the prompt is stored and echoed NFC-normalized ('cafe\u0301' comes back 'café')",
          "servers that normalize text before storing it", ("create.echoes-request",), video=_nfc),
    Fault("timestamps-local-time", "timestamps are local time (UTC+2) read as UTC: two hours ahead of the clock",
          "naive datetimes converted with the wrong time zone", ("video.timestamps-unix-seconds",),
          video=_timestamps(lambda s: s + 7200)),
    Fault("create-201", "create and remix answer 201 Created", "REST habits", ("response.status-documented",),
          around={"create": _created_201, "remix": _created_201}),
    Fault("ids-reused", "the id is a hash of the prompt: the same prompt gets the same id",
          "content-addressed ids / a response cache", ("video.ids-unique",), new_id=_id_from_prompt),
    # ---- lifecycle ------------------------------------------------------------------------
    Fault("retrieve-lag", f"a new job is 404 for its first {REPLICATION_LAG_SECONDS:g} s",
          "write-behind stores, per-worker job tables", ("lifecycle.retrieve-after-create",),
          around={"retrieve": _retrieve_lag}),
    Fault("requeued", "a running job goes back to queued for a while", "a worker restart that requeues jobs",
          ("lifecycle.status-forward",), state=_requeued),
    Fault("progress-per-stage", "progress restarts at 0 for the second stage of the pipeline",
          "two-stage pipelines (e.g. Wan 2.2's two experts) reporting per-stage progress",
          ("lifecycle.progress-monotonic",), state=_progress_per_stage),
    Fault("jobs-never-finish", "jobs stay in_progress at 99% forever", "a worker that died after the last step",
          ("lifecycle.reaches-terminal",), state=_never_finishes),
    Fault("failed-job-500", "jobs fail, and retrieving a failed job answers 500 instead of 200 + failed",
          "vLLM-Omni", ("lifecycle.retrieve-stable",), setup=fail_jobs(),
          around={"retrieve": _failed_job_answer(500)}),
    Fault("failed-job-404", "jobs fail, and retrieving a failed job answers 404 instead of 200 + failed",
          "vLLM-Omni (failed jobs dropped from the job table)", ("lifecycle.retrieve-stable",), setup=fail_jobs(),
          around={"retrieve": _failed_job_answer(404)}),
    # ---- content --------------------------------------------------------------------------
    Fault("content-octet-stream", "content is served as application/octet-stream",
          "a static file server without a type map", ("content.download",),
          around={"content": _content_octet_stream}),
    Fault("content-variant-ignored", "variant is ignored: thumbnail and spritesheet are the MP4",
          "SGLang diffusion (one file per job)", ("content.download",), around={"content": _variant_ignored}),
    Fault("content-before-completion", "content is served (200) before the job completes",
          "a placeholder file served early", ("content.not-ready-rejected",), around={"content": _content_early}),
    # ---- list -----------------------------------------------------------------------------
    Fault("list-ignores-limit", "GET /videos ignores limit (always 20)", "pagination not implemented",
          ("list.limit-honoured",), around={"list": drop_query("limit")}),
    Fault("list-ignores-order", "GET /videos ignores order (always newest first)", "order not implemented",
          ("list.order-honoured",), around={"list": drop_query("order")}),
    Fault("list-ignores-after", "GET /videos ignores after (every page starts at the top)", "cursor not implemented",
          ("list.after-honoured",), around={"list": drop_query("after")}),
    Fault("list-has-more-false", "GET /videos always says has_more false", "has_more hard-coded",
          ("list.limit-honoured",), around={"list": _list_change(lambda b: b.__setitem__("has_more", False))}),
    Fault("list-cursor-fields-missing", "the list has no first_id / last_id", "list shaped by hand",
          ("response.list.schema",),
          around={"list": _list_change(lambda b: [b.pop(k, None) for k in ("first_id", "last_id")])}),
    # ---- delete ---------------------------------------------------------------------------
    Fault("delete-returns-video", "DELETE answers the whole Video with status 'deleted'", "SGLang diffusion",
          ("response.deleted.schema", "delete.returns-deletion"), around={"delete": _delete_returns_video}),
    Fault("delete-204", "DELETE answers 204 No Content", "REST habits", ("delete.returns-deletion",),
          around={"delete": _delete_204}),
    Fault("delete-soft", "DELETE answers the deletion but the video stays retrievable (200)",
          "soft deletes", ("delete.then-not-found",), around={"delete": _delete_soft}),
    # ---- errors ---------------------------------------------------------------------------
    Fault("unknown-id-500", "an unknown id crashes the server (500)", "store lookups without a guard",
          ("errors.unknown-id-not-found", "response.not-server-error"),
          around={op: on_not_found(lambda i: crash(f"KeyError: {i!r}")) for op in ("retrieve", "delete", "content", "remix")}),
    Fault("unknown-id-400", "an unknown id is answered 400 'invalid id'", "id validation before lookup",
          ("errors.unknown-id-not-found",),
          around={op: on_not_found(lambda i: invalid(f"Invalid video id: '{i}'.", "video_id"))
                  for op in ("retrieve", "delete", "content", "remix")}),
    Fault("fastapi-detail", "errors are FastAPI's {\"detail\": \"...\"} (statuses unchanged)",
          "SGLang diffusion, FastAPI servers", ("response.error.envelope",), error=_fastapi(False)),
    Fault("fastapi-422", "validation errors are 422 {\"detail\": [...]}, other errors {\"detail\": \"...\"}",
          "FastAPI's default validation handler", ("response.status-documented", "response.error.envelope"),
          error=_fastapi(True)),
    Fault("error-message-only", "errors are {\"error\": {\"message\": ...}} without type, param, code",
          "SGLang diffusion", ("response.error.envelope",), error=_message_only),
    Fault("html-errors", "error answers are HTML pages (text/html)", "a reverse proxy replacing error bodies "
          "(nginx proxy_intercept_errors)", ("response.content-type", "response.error.envelope"), error=_html_page),
    Fault("auth-403", "a wrong API key is answered 403, not 401", "gateways that use 403 for bad keys",
          ("auth.wrong-key-rejected",), error=_wrong_key_403),
    # ---- transport ------------------------------------------------------------------------
    Fault("hang-remix", "POST /videos/{id}/remix never answers", "a remix endpoint waiting on a lock forever",
          ("response.transport", "remix.sets-source"), around={"remix": hang}),
    Fault("endless-list", "GET /videos streams a body that never ends", "a list generator that never stops",
          ("response.transport", "list.limit-honoured"), around={"list": endless_list}),
    Fault("rate-limit-no-retry-after", f"every {RATE_LIMIT_EVERY}th request is answered 429 without Retry-After",
          "rate limiters that send no Retry-After", ("response.rate-limit.retry-after",), asgi=rate_limit(None)),
    # ---- auth and remix -------------------------------------------------------------------
    Fault("auth-ignored", "the API key is not checked: no key and a wrong key are accepted",
          "self-hosted servers started without --api-key", ("auth.missing-key-rejected", "auth.wrong-key-rejected"),
          asgi=with_authorization(present_only=False)),
    Fault("auth-presence-only", "any API key is accepted; only a missing one is refused",
          "proxies that check the header's presence", ("auth.wrong-key-rejected",),
          asgi=with_authorization(present_only=True)),
    Fault("auth-skipped-on-content", "GET /videos/{id}/content needs no API key (served like a static file)",
          "downloads routed around the auth middleware", ("auth.missing-key-rejected",),
          asgi=_content_without_key),
    Fault("remix-no-source", "a remix does not name its source (remixed_from_video_id null)",
          "remix implemented as a plain create", ("remix.sets-source",),
          video=set_fields(remixed_from_video_id=None)),
    # ==== clean variants: a correct suite passes these =====================================
    Fault("extra-fields", "extra fields everywhere: file_path, usage, quality, metadata in Videos; total in lists; "
          "deleted_at in deletions; request_id in errors", "SGLang (file_path), Azure (usage), OpenAI's additions",
          video=_extra_fields, error=_error_extra_fields,
          around={"list": _list_change(_extra_list_fields), "delete": transform_json(_extra_deleted_fields)}),
    Fault("id-video-gen-hex", "ids are video_gen_<hex>", "vLLM-Omni",
          new_id=lambda prompt: "video_gen_" + secrets.token_hex(12)),
    Fault("id-uuid", "ids are bare UUIDs", "gateways using UUID primary keys",
          new_id=lambda prompt: str(uuid.uuid4())),
    Fault("random-durations", "each job takes 0.3 to 3 times --job-seconds", "real generation times vary",
          setup=_random_duration),
    Fault("all-jobs-fail", "every job fails properly: 200, status failed, error {code, message}",
          "a server out of GPU memory", setup=fail_jobs(message="The GPU ran out of memory.")),
    Fault("some-jobs-fail", "every third job fails properly", "flaky generation", setup=fail_jobs(every=3)),
    Fault("slow-responses", "every answer takes 100-300 ms", "a busy server", asgi=asgi_wrapper(_slow)),
    Fault("rate-limited", f"every {RATE_LIMIT_EVERY}th request is answered 429 with Retry-After: 1",
          "OpenAI, gateways", asgi=rate_limit("1")),
    Fault("in-progress-at-create", "jobs start in_progress (progress 0), never queued",
          "servers without a queue", state=_in_progress_at_create),
    Fault("no-poll-after-header", "no openai-poll-after-ms header on retrieve", "every server but OpenAI",
          around={"retrieve": _no_poll_header}),
    Fault("unknown-model-rejected", "unknown model names are refused with 400", "OpenAI", spec=model_closed),
    Fault("unknown-parameters-ignored", "unknown parameters are ignored instead of refused", "most self-hosted servers",
          rules=tolerate_unknown_parameters),
    Fault("error-code-is-status", "error.code is the HTTP status as a string ('404')", "LiteLLM proxy",
          error=_code_is_status),
    Fault("not-ready-404", "content of an unfinished job is 404, not 409", "servers that only know the file is missing",
          around={"content": _not_ready_404}),
    Fault("expires-null", "expires_at stays null (assets never expire)", "self-hosted servers",
          video=set_fields(expires_at=None)),
    Fault("seconds-actual-duration", "a completed video reports its actual duration ('4.04')",
          "servers reporting the encoded clip's length", video=_actual_duration),
    Fault("gzip-responses", "every answer is gzip-compressed", "nginx gzip on", asgi=_gzip),
    Fault("preexisting-videos", "150 older videos (some failed, other models) exist before the run",
          "a shared server in use", startup=_seed_videos),
    Fault("concurrent-clients", "another client creates (and deletes) a video every 50 ms during the run",
          "a shared server in use", asgi=_neighbours),
    Fault("no-date-header", "answers carry no Date header", "minimal HTTP servers", asgi=asgi_wrapper(_no_date)),
    Fault("chunked-responses", "every answer is sent in 1 KiB chunks without Content-Length",
          "streaming servers and proxies", asgi=asgi_wrapper(_chunked)),
]

CATALOGUE: Mapping[str, Fault] = MappingProxyType({fault.name: fault for fault in _ENTRIES})
FAULTS: Mapping[str, Fault] = MappingProxyType({n: f for n, f in CATALOGUE.items() if not f.clean})
VARIANTS: Mapping[str, Fault] = MappingProxyType({n: f for n, f in CATALOGUE.items() if f.clean})
assert len(CATALOGUE) == len(_ENTRIES), "duplicate fault names"
assert all(set(f.around) <= set(OPERATIONS) for f in _ENTRIES), "around hooks name unknown operations"


def describe() -> str:
    """The catalogue as ``--list-faults`` prints it: one line each, clean variants marked."""
    width = max(len(name) for name in CATALOGUE)
    lines = [f"Faults ({len(FAULTS)}): deviations the suite must catch"]
    lines += [f"  {f.name.ljust(width)}  {f.summary} [{f.source}]" for f in FAULTS.values()]
    lines += ["", f"Clean variants ({len(VARIANTS)}): differences the suite must accept"]
    lines += [f"  {f.name.ljust(width)}  (clean) {f.summary} [{f.source}]" for f in VARIANTS.values()]
    return "\n".join(lines)
