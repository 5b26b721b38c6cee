"""The fault machinery: what a fault is (``Fault``), what its hooks may see and do
(``FaultContext``), and the hook points the server calls (``FaultSet``).

Hooks never see the server itself: they get a ``FaultContext`` (the rules with their limits and
defaults, the API key, the clock, the jobs through a narrow view, the renderer). The hooks
themselves live in one module per hook kind: ``spec_edits`` (spec, rules), ``creates`` (body,
params, image), ``jobs`` (new_id, setup, state, startup), ``videos`` (video), ``operations``
(around), ``error_shapes`` (error), ``transport`` (asgi).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Scope, Send

from contracts.mock.bodies import Body, UploadedFile
from contracts.mock.media import VideoInfo
from contracts.mock.errors import SERVER_ERROR, APIError
from contracts.mock.middleware import Outgoing
from contracts.mock.store import Job, JobPolicy, State, VideoStore, new_video_id
from contracts.spec import Spec

if TYPE_CHECKING:
    from contracts.mock.validation import CreateParams
    from contracts.rules import Rules


Handler = Callable[[Request], Awaitable[Response]]
Around = Callable[["FaultContext", Request, Handler], Awaitable[Response]]
OPERATIONS = ("create", "retrieve", "list", "delete", "content", "remix", "edit", "extend", "create_character",
              "get_character")
RATE_LIMIT_EVERY = 10  # the rate-limit modes answer every 10th request 429
HANG_LIMIT_SECONDS = 600.0  # a "hanging" request gives up after this long even if nobody disconnects
ENDLESS_CAP_BYTES = 256 * 1024 * 1024  # an "endless" body stops here if the client never hangs up
REPLICATION_LAG_SECONDS = 0.5  # retrieve-lag: a new job is invisible to retrieve this long


class UnknownFault(ValueError):
    """A fault name that is not in the catalogue."""


class FaultContext:
    """What a fault's hooks may see and do, and nothing more: the server's rules (limits,
    defaults), its API key, its clock, its jobs (look up, add, delete), and its renderers."""

    def __init__(
        self,
        *,
        rules: Rules,
        key: str | None,
        store: VideoStore,
        render: Callable[[Job, str], dict],
        content: Callable[[Job, Request], Response],
        check_reference_image: Callable[[CreateParams], None],
    ):
        self.rules = rules
        self.key = key
        self._store = store
        self._render = render
        self._content = content
        self._check_reference_image = check_reference_image

    # ---- the clock and the jobs ----------------------------------------------------------
    def now(self) -> float:
        """The server's monotonic clock (job states derive from it)."""
        return self._store.now()

    def job(self, video_id: str) -> Job | None:
        return self._store.get(video_id)

    def status(self, job: Job) -> str:
        return job.state(self.now())[0]

    def age(self, job: Job) -> float:
        """Seconds since the job was created."""
        return self.now() - job.created_mono

    def add_job(self, *, prompt: str, model: str, age: float = 0.0, error: dict[str, Any] | None = None) -> Job:
        """A new job of the default size and duration, created ``age`` seconds ago (someone else's)."""
        defaults = self.rules.defaults
        return self._store.create(prompt=prompt, model=model, size=defaults["size"], seconds=defaults["seconds"],
                                  age=age, error=error)

    def delete_job(self, video_id: str) -> None:
        self._store.delete(video_id)

    def jobs(self) -> list[Job]:
        """Every job, in creation order."""
        return self._store.page(limit=2**31, order="asc").jobs

    # ---- answers -------------------------------------------------------------------------
    def render(self, job: Job, op: str) -> dict:
        """The job's Video as the operation ``op`` answers it (other faults' video hooks included)."""
        return self._render(job, op)

    def content(self, job: Job, request: Request) -> Response:
        """The job's content for the variant the request asks for, whatever the job's status."""
        return self._content(job, request)

    def check_reference_image(self, params: CreateParams) -> None:
        """The faithful server's check of an uploaded reference image (400 when it is wrong)."""
        self._check_reference_image(params)


@dataclass(frozen=True)
class View:
    """Why a Video is being rendered: the operation and the job."""

    op: str  # create, retrieve, list, remix, delete
    job: Job
    ctx: FaultContext


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


def crash(detail: str) -> APIError:
    """What a server's unhandled exception looks like from outside: a 500 envelope."""
    return APIError(500, f"The server had an error while processing your request ({detail}).", type=SERVER_ERROR,
                    code="internal_error")


def invalid(message: str, param: str | None, code: str = "invalid_value") -> APIError:
    return APIError(400, message, param=param, code=code)


@dataclass(frozen=True)
class Fault:
    """One fault mode (``breaks`` non-empty) or clean variant (``breaks`` empty)."""

    name: str
    summary: str  # one line: what this server does
    source: str  # where the behaviour comes from (a real server, a common bug)
    breaks: tuple[str, ...] = ()  # clause ids a correct suite must fail against it
    spec: Callable[[dict], None] | None = None
    rules: Callable[[Rules], Rules] | None = None
    body: Callable[[Body, FaultContext], None] | None = None
    params: Callable[[CreateParams, FaultContext], CreateParams] | None = None
    image: Callable[[CreateParams, FaultContext], None] | None = None
    upload: Callable[[UploadedFile, FaultContext], VideoInfo] | None = None
    new_id: Callable[[str | None], str] | None = None
    setup: Callable[[Job], None] | None = None
    state: Callable[[Job, float, State, bool], State] | None = None
    video: Callable[[dict, View], dict] | None = None
    around: Mapping[str, Around] = field(default_factory=dict)
    error: Callable[[ErrorAnswer], None] | None = None
    asgi: Callable[[ASGIApp, FaultContext], ASGIApp] | None = None
    startup: Callable[[FaultContext], None] | None = None

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
        self._found: dict[str, list[Any]] = {}  # hooks by kind: looked up on every request

    def __bool__(self) -> bool:
        return bool(self.faults)

    def _hooks(self, attribute: str) -> list[Any]:
        if attribute not in self._found:
            self._found[attribute] = [getattr(f, attribute) for f in self.faults if getattr(f, attribute) is not None]
        return self._found[attribute]

    # ---- start-up ------------------------------------------------------------------------
    def patch_spec(self, spec: Spec) -> Spec:
        hooks = self._hooks("spec")
        if not hooks:
            return spec
        document = json.loads(json.dumps(spec.document))  # a deep copy of plain data
        for hook in hooks:
            hook(document)
        return Spec(document, spec.path)

    def patch_rules(self, rules: Rules) -> Rules:
        return self._through("rules", rules)

    def _through(self, kind: str, value: Any, *context: Any) -> Any:
        """``value`` passed through every hook of ``kind`` in turn (each gets ``context`` too)."""
        for hook in self._hooks(kind):
            value = hook(value, *context)
        return value

    def start(self, ctx: FaultContext) -> None:
        for hook in self._hooks("startup"):
            hook(ctx)

    # ---- create --------------------------------------------------------------------------
    def check_body(self, body: Body, ctx: FaultContext) -> None:
        for hook in self._hooks("body"):
            hook(body, ctx)

    def adjust_params(self, params: CreateParams, ctx: FaultContext) -> CreateParams:
        return self._through("params", params, ctx)

    def image_check(self) -> Callable[[CreateParams, FaultContext], None] | None:
        hooks = self._hooks("image")
        return hooks[-1] if hooks else None

    def upload_check(self) -> Callable[[UploadedFile, FaultContext], VideoInfo] | None:
        hooks = self._hooks("upload")
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
        return self._through("video", video, view)

    def around(self, op: str, handler: Handler, ctx: FaultContext) -> Handler:
        """``handler`` wrapped by every fault's hook for ``op`` (the first fault outermost)."""
        for fault in reversed(self.faults):
            hook = fault.around.get(op)
            if hook is not None:
                handler = _bind(hook, ctx, handler)
        return handler

    def middleware(self, app: ASGIApp, ctx: FaultContext) -> ASGIApp:
        """The app wrapped by the error rewrites, then by every ``asgi`` hook."""
        errors = self._hooks("error")
        if errors:
            app = ErrorRewrite(app, errors)
        for hook in reversed(self._hooks("asgi")):
            app = hook(app, ctx)
        return app


def _bind(hook: Around, ctx: FaultContext, inner: Handler) -> Handler:
    async def handler(request: Request) -> Response:
        return await hook(ctx, request, inner)

    return handler


class ErrorRewrite(Outgoing):
    """Buffers every 4xx/5xx JSON answer, lets the ``error`` hooks change it, then sends it."""

    def __init__(self, app: ASGIApp, hooks: list[Callable[[ErrorAnswer], None]]):
        super().__init__(app)
        self.hooks = hooks

    def outgoing(self, scope: Scope, send: Send) -> Send:
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

        return capture

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
