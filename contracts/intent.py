"""What a request the kit did not send exists to test, as far as the request itself tells.

``videos-contract proxy`` judges a client's exchanges with the checks of ``run``. Most checks judge
what an answer shows by itself, whatever the request: its status, Content-Type and schema, the
Videos it holds, a job's polls, list pages, a delete then a retrieve. A few judge the answer a
request should get (a ``Case``'s ``clause`` and ``expect``: contracts/checks/expectations.py), which a
run's plan states when it makes the case. For live traffic this module reads that intent from the
request (its method and path, matched against the spec's templates; its query; its JSON body or
multipart fields; its uploads, from their first bytes; whether it carries a key) and from the record
of what came before (is the video it names completed, unfinished, deleted?), and only where they
tell it:

- a schema-valid create is to be accepted (an unknown model or parameter: tolerated), for the
  clauses of what it shows: a prompt at a length boundary or with unusual characters, each
  documented ``model``, ``seconds`` and ``size``, an image reference of the right pixel size, its
  encoding (without a file), the optional fields it omits. A refusal is the clause of the parameter
  its error names (``Case.by_param``);
- an invalid create is to be refused with 400: for the specific clause when one property is wrong
  (missing, empty or too long prompt, a seconds or size outside the enum, seconds of the wrong JSON
  type, a reference file that is no image or of another pixel size, malformed JSON), else for
  ``create.generated-invalid-rejected``;
- a retrieve follows a job (purpose "poll"); content of a completed video downloads, of an
  unfinished one is refused; a delete of a video alive confirms it; a remix, an edit or an extension
  of a completed video is accepted, one missing its fields refused;
- a character named at a boundary is accepted, one out of range, without a field or not a video
  refused;
- a request without credentials is to be refused with 401, only when the user says the target
  needs a key (``requires_key``).

What live traffic cannot show (an unknown id: the proxy cannot tell a made-up id from one created
before it started; a wrong key; the order of videos it never saw created) is left unexercised:
docs/proxy.md lists it. Requests a client sends again with the same ``Idempotency-Key`` (clients that
send one) share one case, as a run's resent case does.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contracts.cases import Case, FileField
from contracts.rules import (
    CONTENT, CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, JSON, LIST, MULTIPART, REMIX, RETRIEVE,
    Rules,
)

if TYPE_CHECKING:
    from contracts.history import History, Job
    from contracts.spec import Spec

# The operations, most literal template first: /videos/edits before /videos/{video_id}.
OPERATIONS = (CREATE, LIST, EDIT, EXTEND, CREATE_CHARACTER, GET_CHARACTER, CONTENT, REMIX, RETRIEVE, DELETE)
UPLOAD_HEAD = 64 * 1024  # the bytes of an upload read to tell what it is (an image's header, a video's box)
KEPT_HEAD = 16  # what a case keeps of an upload (a record keeps many cases)
RETRY_KEYS = 1024  # requests the SDK may still retry, remembered by their Idempotency-Key
ORDINARY = "ordinary"

# Clauses of a create's properties, by what the request shows.
MIN_LENGTH, MAX_LENGTH = "create.prompt.min-length-accepted", "create.prompt.max-length-accepted"
MULTIBYTE_MAX, UNUSUAL = "create.prompt.multibyte-max-length-accepted", "create.prompt.unusual-unicode-accepted"
IMAGE, IMAGE_URL = "create.image-reference-accepted", "create.image-url-reference-accepted"
UNKNOWN_MODEL, UNKNOWN_PARAMETER = "create.unknown-model-handled", "create.unknown-parameter-handled"
OMITTABLE = "create.optional-fields-omittable"
GENERATED_INVALID = "create.generated-invalid-rejected"
# An invalid create's one wrong property -> its clause, by the error the reference server's validation
# gives it (contracts/mock/validation.py: the one reading of the spec's request schemas).
INVALID = {
    ("prompt", "missing_required_parameter"): "create.prompt.missing-rejected",
    ("prompt", "empty_string"): "create.prompt.empty-rejected",
    ("prompt", "string_above_max_length"): "create.prompt.over-max-rejected",
    ("seconds", "invalid_value"): "create.seconds.invalid-value-rejected",
    ("seconds", "invalid_type"): "create.seconds.wrong-type-rejected",
    ("size", "invalid_value"): "create.size.invalid-value-rejected",
    ("input_reference", "not-an-image"): "create.image-reference.not-image-rejected",
    ("input_reference", "wrong-size"): "create.image-reference.wrong-size-rejected",
}
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8")  # and RIFF....WEBP


@dataclass
class Upload:
    """A file part of a multipart request, as far as the proxy read it."""

    name: str
    filename: str
    content_type: str | None
    size: int
    head: bytes  # its first bytes (at most UPLOAD_HEAD)


@dataclass
class TrafficRequest:
    """What the proxy saw of one request (its body only as far as it kept it)."""

    method: str
    path: str  # under the API root, e.g. "/videos/video_1/content"
    query: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None
    body: bytes | None = None  # the whole body, when it was small enough to keep
    body_size: int = 0
    form: list[tuple[str, str]] | None = None  # a multipart body's text fields
    uploads: list[Upload] = field(default_factory=list)
    unreadable: str | None = None  # why the body could not be read as its type says (a broken multipart)
    credentials: bool = True  # it carries a key (Authorization, or a header named like one)
    retry_key: str | None = None  # its Idempotency-Key: the openai SDK's retries of one request share it


def operation_of(method: str, path: str) -> tuple[str, str] | None:
    """The spec operation a method and a path (under the API root) are, or None."""
    parts = path.split("?", 1)[0].rstrip("/").split("/")
    for operation in OPERATIONS:
        if operation[0] != method:
            continue
        template = operation[1].split("/")
        if len(template) == len(parts) and all(t == p or (t.startswith("{") and p) for t, p in zip(template, parts)):
            return operation
    return None


@dataclass
class _Property:
    """One thing a valid create shows: the parameter that shows it, its clause and the answer it wants."""

    param: str
    clause: str
    expect: str
    label: str


class Intent:
    """Reads each request's intent (``case``) for one contract; ``requires_key``: the user says the
    target refuses requests without a key."""

    def __init__(self, spec: "Spec", rules: Rules, *, requires_key: bool = False) -> None:
        from contracts.mock.validation import RequestValidator

        self.spec, self.rules, self.requires_key = spec, rules, requires_key
        self.validator = RequestValidator(rules)
        self.name_limits = spec.string_limits("CharacterName")
        self._retries: OrderedDict[str, Case] = OrderedDict()

    def case(self, request: TrafficRequest, history: "History") -> Case:
        """The case ``request`` is, with the intent it shows (the same case for the SDK's retries of it)."""
        key = f"{request.method} {request.path} {request.retry_key}" if request.retry_key else None
        if key is not None and key in self._retries:
            self._retries.move_to_end(key)
            return self._retries[key]
        case = self._read(request, history)
        if key is not None:
            self._retries[key] = case
            if len(self._retries) > RETRY_KEYS:
                self._retries.popitem(last=False)
        return case

    def _read(self, request: TrafficRequest, history: "History") -> Case:
        operation = operation_of(request.method, request.path)
        case = Case(name=f"{request.method} {request.path}", method=request.method, path=request.path,
                    operation=operation, query=dict(request.query) or None, auth=True)
        self._body(case, request)
        if operation is None:
            return case
        if self.requires_key and not request.credentials:
            case.name, case.auth = f"{case.name} without a key", None
            case.clause, case.expect = "auth.missing-key-rejected", "unauthorized"
            return case
        read = {CREATE: self._create, RETRIEVE: self._retrieve, CONTENT: self._content, DELETE: self._delete,
                REMIX: self._remix, EDIT: self._derived, EXTEND: self._derived, CREATE_CHARACTER: self._character,
                GET_CHARACTER: lambda c, r, h: None, LIST: lambda c, r, h: None}[operation]
        read(case, request, history)
        return case

    # ---- the body as the case holds it ----------------------------------------------------------
    def _body(self, case: Case, request: TrafficRequest) -> None:
        if request.media_type == MULTIPART and request.unreadable is None:
            case.form = list(request.form or [])
            case.files = [_kept(upload) for upload in request.uploads]
            case.params = dict(case.form)
        elif request.media_type == JSON and request.body is not None:
            case.raw, case.content_type = request.body, JSON
            try:
                body = json.loads(request.body)
            except (ValueError, UnicodeDecodeError):
                return
            case.raw, case.content_type, case.json_body = None, None, body
            case.params = dict(body) if isinstance(body, dict) else {}
        # other bodies: not kept (the exchange keeps an excerpt)

    # ---- creates --------------------------------------------------------------------------------------
    def _create(self, case: Case, request: TrafficRequest, history: "History") -> None:
        encoding = case.encoding
        if request.media_type == JSON and request.body is not None and encoding != "json":
            case.name = "create json: malformed JSON (or not an object)"
            case.clause, case.expect = "create.json.malformed-rejected", "rejected"
            return
        if encoding == "json" and not isinstance(case.json_body, dict):
            case.name = "create json: JSON that is not an object"
            case.clause, case.expect = "create.json.malformed-rejected", "rejected"
            return
        if encoding not in ("json", "multipart"):
            return  # another media type, or a body too large to read: judged by what the answer shows alone
        fields = dict(case.json_body) if encoding == "json" else dict(case.form or [])
        uploads = {upload.name: upload for upload in request.uploads}
        problems, shown = self._create_properties(encoding, fields, uploads)
        if problems:
            case.name = f"create {encoding}: " + ", ".join(label for _, label in problems)
            case.clause = problems[0][0] if len(problems) == 1 else GENERATED_INVALID
            case.expect = "rejected"
            return
        wanting = [p for p in shown if p.expect == "accepted"] or shown
        if not wanting:
            return
        primary = wanting[0]
        case.name = f"create {encoding}: " + ", ".join(dict.fromkeys(p.label for p in shown))
        case.clause, case.expect = primary.clause, primary.expect
        case.carries = tuple(dict.fromkeys(p.clause for p in shown if p.clause != primary.clause))
        case.by_param = {p.param: (p.clause, p.expect) for p in reversed(shown)}  # the first property of a parameter wins
        if self._ordinary(fields, uploads):
            case.purpose = "baseline"

    def _create_properties(self, encoding: str, fields: dict[str, Any],
                           uploads: dict[str, Upload]) -> tuple[list[tuple[str, str]], list[_Property]]:
        """(the invalid properties: (clause, label)), (what a valid create shows, most specific first)."""
        from contracts.mock.errors import APIError

        rules = self.rules
        schema_name = rules.request_schema(CREATE, JSON if encoding == "json" else MULTIPART)
        properties = self.spec.schema(schema_name).get("properties", {})
        problems: list[tuple[str, str]] = []
        shown: list[_Property] = []
        if "prompt" not in fields:
            problems.append((INVALID[("prompt", "missing_required_parameter")], "no prompt"))
        for name, value in fields.items():
            if name not in properties:
                shown.append(_Property(name, UNKNOWN_PARAMETER, "tolerated", f"unknown parameter {name!r}"))
                continue
            if name == "model" and isinstance(value, str) and value and value not in rules.models:
                shown.append(_Property(name, UNKNOWN_MODEL, "tolerated", f"unknown model {_short(value)!r}"))
                continue
            try:
                self.validator.check_value(f"{schema_name}.{name}", properties[name], value, name,
                                           rules.choices.get(name))
            except APIError as error:
                clause = INVALID.get((name, error.code or ""), GENERATED_INVALID)
                problems.append((clause, f"{name} {_short(value)!r} ({error.code})"))
        for name, upload in uploads.items():
            if name not in properties:
                shown.append(_Property(name, UNKNOWN_PARAMETER, "tolerated", f"unknown file part {name!r}"))
            elif name.split("[", 1)[0] != "input_reference":
                problems.append((GENERATED_INVALID, f"{name} sent as a file"))
        references = [n for n in (*fields, *uploads) if n.split("[", 1)[0] == "input_reference"]
        if len(references) > 1:
            problems.append((GENERATED_INVALID, "two input_reference forms"))
        size = fields.get("size") if isinstance(fields.get("size"), str) else rules.defaults.get("size")
        upload = uploads.get("input_reference")
        if upload is not None:
            problem, label = _image_problem(upload, size, rules)
            if problem is not None:
                problems.append((INVALID[("input_reference", problem)], label))
            elif label:
                shown.append(_Property("input_reference", IMAGE, "accepted", label))
        url = _image_url(fields)
        if url is not None and _url_fits(url, size, rules):
            shown.insert(0, _Property("input_reference", IMAGE_URL, "accepted", "input_reference image_url"))
        if problems:
            return problems, []
        shown[:0] = self._prompt(fields.get("prompt"))
        for name, key in (("model", "models"), ("seconds", "seconds"), ("size", "sizes")):
            value = fields.get(name)
            if value in getattr(rules, key):
                shown.append(_Property(name, f"create.{name}.every-value-accepted", "accepted", f"{name}={value}"))
        if not uploads:
            shown.append(_Property("Content-Type", f"create.{encoding}-accepted", "accepted", encoding))
        omitted = [name for name in rules.defaults if name not in fields]
        for name in omitted:
            shown.append(_Property(name, OMITTABLE, "accepted", f"{name} omitted"))
        # the image first: its clause is the likeliest to be refused alone
        shown.sort(key=lambda p: p.clause not in (IMAGE, IMAGE_URL))
        return [], shown

    def _prompt(self, prompt: Any) -> list[_Property]:
        if not isinstance(prompt, str):
            return []
        rules, length = self.rules, len(prompt)
        found = []
        if _unusual(prompt):
            found.append(_Property("prompt", UNUSUAL, "accepted", "prompt with unusual characters"))
        if length == rules.prompt_max:
            found.insert(0, _Property("prompt", MAX_LENGTH if prompt.isascii() else MULTIBYTE_MAX, "accepted",
                                      f"prompt of {length} {'ASCII' if prompt.isascii() else 'multi-byte'} characters"))
        elif length == rules.prompt_min:
            found.append(_Property("prompt", MIN_LENGTH, "accepted", f"prompt of {length} character"))
        return found

    def _ordinary(self, fields: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        """A create of the kit's baseline shapes: an ordinary prompt, and none or all of model, seconds
        and size with documented values (judged with the others of its kind: create.json-accepted...)."""
        rules = self.rules
        prompt = fields.get("prompt")
        given = set(fields) - {"prompt"}
        if uploads or not isinstance(prompt, str) or _unusual(prompt) \
                or not rules.prompt_min < len(prompt) < rules.prompt_max:
            return False
        if given not in (set(), {"model", "seconds", "size"}):
            return False
        return all(fields[name] in getattr(rules, key) for name, key in (("model", "models"), ("seconds", "seconds"),
                                                                           ("size", "sizes")) if name in fields)

    # ---- jobs -----------------------------------------------------------------------------------------
    def _retrieve(self, case: Case, request: TrafficRequest, history: "History") -> None:
        case.purpose = "poll"  # a job followed: judged on its polls (contracts/checks/jobs.py)

    def _content(self, case: Case, request: TrafficRequest, history: "History") -> None:
        case.partial_body = True  # its first bytes are what the checks read
        job = _job(history, case.path)
        variant = (case.query or {}).get("variant", self.rules.default_variant)
        if job is not None and job.completed and job.deleted_by is None and variant in self.rules.variants:
            case.name = f"content variant={variant} of a completed video"
            case.clause, case.expect = "content.download", "accepted"
        # of an unfinished job: content.not-ready-rejected judges it from the record (at the end)

    def _delete(self, case: Case, request: TrafficRequest, history: "History") -> None:
        job = _job(history, case.path)
        if job is not None and job.deleted_by is None:
            case.name = "delete a video"
            case.clause, case.expect = "delete.returns-deletion", "accepted"

    def _remix(self, case: Case, request: TrafficRequest, history: "History") -> None:
        job = _job(history, case.path)
        body = case.json_body if case.encoding == "json" else case.params
        valid = isinstance(body, dict) and isinstance(body.get("prompt"), str) and \
            self.rules.prompt_min <= len(body["prompt"]) <= self.rules.prompt_max
        if job is not None and job.completed and job.deleted_by is None and valid:
            case.name = "remix a completed video"
            case.clause, case.expect = "remix.sets-source", "accepted"

    def _derived(self, case: Case, request: TrafficRequest, history: "History") -> None:
        edit = case.operation == EDIT
        operation = "edit" if edit else "extension"
        missing_clause = "edit.missing-fields-rejected" if edit else "extend.missing-fields-rejected"
        accepted_clause = "edit.by-id-accepted" if edit else "extend.accepted"
        fields = case.json_body if case.encoding == "json" else case.params
        if not isinstance(fields, dict):
            return
        uploads = [u for u in request.uploads if u.name == "video"]
        by_id = fields.get("video") if case.encoding == "json" else fields.get("video[id]")
        if isinstance(by_id, dict):
            by_id = by_id.get("id")
        missing = [name for name in ("prompt", *(() if edit else ("seconds",))) if name not in fields]
        if by_id is None and not uploads:
            missing.append("video")
        wrong_seconds = not edit and "seconds" in fields and fields["seconds"] not in self.rules.seconds
        if missing or wrong_seconds:
            what = f"no {' and no '.join(missing)}" if missing else f"seconds={_short(fields['seconds'])!r}"
            case.name = f"{operation}: {what}"
            case.clause, case.expect = missing_clause, "rejected"
            return
        prompt = fields.get("prompt")
        if not isinstance(prompt, str) or not self.rules.prompt_min <= len(prompt) <= self.rules.prompt_max:
            return
        if uploads and by_id is None:
            if len(uploads) == 1 and _is_video(uploads[0].head):
                case.name = f"{operation} of an uploaded video"
                case.clause = "edit.by-file-accepted" if edit else "extend.accepted"
                case.expect = "accepted"
            return
        if isinstance(by_id, str) and not uploads:
            job = history.jobs.get(by_id)
            if job is not None and job.completed and job.deleted_by is None:
                case.name = f"{operation} of a completed video by id ({case.encoding})"
                case.clause, case.expect = accepted_clause, "accepted"
            # of an unfinished one: edit.unfinished-source-rejected judges it from the record (at the end)

    def _character(self, case: Case, request: TrafficRequest, history: "History") -> None:
        if case.encoding != "multipart":
            return
        fields, uploads = case.params, [u for u in request.uploads if u.name == "video"]
        shortest, longest = self.name_limits
        name = fields.get("name")
        if name is None or not uploads:
            case.name = "character: no " + ("name" if name is None else "video")
            case.clause, case.expect = "character.missing-fields-rejected", "rejected"
            return
        if len(uploads) != 1:
            return
        video = _is_video(uploads[0].head)
        in_range = shortest <= len(name) <= longest
        if video and not in_range:
            case.name = f"character: a name of {len(name)} characters"
            case.clause, case.expect = "character.name-out-of-range-rejected", "rejected"
        elif in_range and not video:
            case.name = "character: an upload that is not a video"
            case.clause, case.expect = "character.not-video-rejected", "rejected"
        elif video and len(name) in (shortest, longest):
            case.name = f"character: a name of {len(name)} characters"
            case.clause, case.expect = "character.name-boundaries-accepted", "accepted"


# ---- helpers --------------------------------------------------------------------------------------------
def _job(history: "History", path: str) -> "Job | None":
    from contracts.history import path_id

    return history.jobs.get(path_id(path))


def _kept(upload: Upload) -> FileField:
    return upload.name, upload.filename, upload.content_type or "application/octet-stream", upload.head[:KEPT_HEAD]


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _unusual(prompt: str) -> bool:
    """Emoji and other characters beyond U+FFFF, NUL, the zero-width joiner, combining marks or
    right-to-left text (the unusual prompts of create.prompt.unusual-unicode-accepted)."""
    return any(ord(c) > 0xFFFF or c in "\x00\u200d" or unicodedata.combining(c)
               or unicodedata.bidirectional(c) in ("R", "AL") for c in prompt)


def _is_image(head: bytes) -> bool:
    return head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _is_video(head: bytes) -> bool:
    """An MP4 or QuickTime file (an ``ftyp`` box first) or a WebM/Matroska one (EBML), by its first bytes."""
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


def _image_problem(upload: Upload, size: Any, rules: Rules) -> tuple[str | None, str]:
    """("not-an-image" | "wrong-size" | None, a label): what an uploaded reference is, from its first bytes.
    An image whose header lies beyond them, or of a format the spec does not take, tells nothing."""
    from contracts.mock.media import NotAnImage, inspect_image

    try:
        info = inspect_image(upload.head)
    except NotAnImage:
        if _is_image(upload.head) or upload.size > len(upload.head):
            return None, ""  # an image whose header was not read, or a large file: cannot tell
        return "not-an-image", "input_reference that is not an image"
    if rules.reference_media_types and info.media_type not in rules.reference_media_types:
        return None, ""
    label = f"input_reference {info.width}x{info.height}"
    try:
        wanted = rules.pixel_size(size) if isinstance(size, str) else None
    except ValueError:
        wanted = None
    if wanted is None:
        return None, ""
    if (info.width, info.height) != wanted:
        return "wrong-size", f"{label} (size {size})"
    return None, label


def _image_url(fields: dict[str, Any]) -> str | None:
    reference = fields.get("input_reference")
    if isinstance(reference, dict) and isinstance(reference.get("image_url"), str):
        return reference["image_url"]
    value = fields.get("input_reference[image_url]")
    return value if isinstance(value, str) else None


def _url_fits(url: str, size: Any, rules: Rules) -> bool:
    """An image_url the proxy can judge: a data URL of an image of the requested pixel size (an http
    URL is fetched by the server: whether it can is not the contract's)."""
    from contracts.mock.media import NotAnImage, inspect_image

    if not url.startswith("data:image/") or ";base64," not in url:
        return False
    try:
        info = inspect_image(base64.b64decode(url.split(",", 1)[1], validate=False))
        wanted = rules.pixel_size(size) if isinstance(size, str) else None
    except (NotAnImage, binascii.Error, ValueError):
        return False
    return wanted is not None and (info.width, info.height) == wanted


__all__ = ["Intent", "TrafficRequest", "Upload", "operation_of"]
