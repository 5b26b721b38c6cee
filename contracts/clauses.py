"""The catalogue of checked behaviours: one stable id and one statement per clause.

Tests, the console, every report and baselines use these ids; renaming one breaks users'
baselines, so add new clauses rather than renaming old ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.rules import (
    CONTENT, CREATE, CREATE_CHARACTER, DELETE, EDIT, EXTEND, GET_CHARACTER, LIST, REMIX, RETRIEVE,
)
from contracts.types import Clause

# ---- prerequisites ----------------------------------------------------------------------------
# Each clause declares, after its statement, what it needs before it can be judged, most specific
# first. When the engine cannot judge a clause because what it needs is missing (no accepted
# create, no completed video, no DELETE route...), the first of these that failed is its root
# cause: the clause is reported ``blocked`` by it, never failed and never passed (``Recorder.unmet``).
BASELINE = ("create.json-accepted", "create.multipart-accepted", "create.optional-fields-omittable")  # a create
VIDEO = ("lifecycle.retrieve-after-create", *BASELINE)  # a job that can be followed
COMPLETED = ("lifecycle.reaches-terminal", "lifecycle.retrieve-stable", "lifecycle.status-forward", *VIDEO)
# What a job made by an edit or extension shares with every job: a finding on it that the followed
# create showed too (the same lifecycle clause failed) is that clause's, said once.
EVERY_JOB = ("lifecycle.status-forward", "lifecycle.progress-monotonic", "lifecycle.retrieve-stable",
             "lifecycle.reaches-terminal", "content.download")

_CATALOGUE: list[tuple[str, str, str] | tuple[str, str, str, tuple[str, ...]]] = [
    # area, id, statement[, prerequisites: the clauses it needs, most specific first]
    # ---- valid requests are accepted --------------------------------------------------------
    ("create.valid", "create.prompt.min-length-accepted",
     "A prompt of 1 character is accepted (200 and a Video), as JSON and as multipart.", BASELINE),
    ("create.valid", "create.prompt.max-length-accepted",
     "A prompt of exactly the maximum length (32000 characters) is accepted.", BASELINE),
    # judged only when the ASCII prompt of the maximum length and a short prompt of the same characters were
    # accepted: otherwise the length or the characters are the cause
    ("create.valid", "create.prompt.multibyte-max-length-accepted",
     "A prompt of the maximum length in multi-byte characters is accepted: length counts characters, not bytes.",
     ("create.prompt.max-length-accepted", "create.prompt.unusual-unicode-accepted", *BASELINE)),
    ("create.valid", "create.prompt.unusual-unicode-accepted",
     "Prompts with emoji, NUL, combining marks and right-to-left text are accepted.", BASELINE),
    ("create.valid", "create.model.every-value-accepted",
     "Every documented model name is accepted.", BASELINE),
    ("create.valid", "create.seconds.every-value-accepted",
     "Every documented seconds value is accepted.", BASELINE),
    ("create.valid", "create.size.every-value-accepted",
     "Every documented size is accepted.", BASELINE),
    ("create.valid", "create.optional-fields-omittable",
     "A create that gives only the prompt, or omits any one optional field, is accepted.",
     ("create.json-accepted", "create.multipart-accepted")),
    ("create.valid", "create.json-accepted",
     "A create sent as application/json is accepted."),
    # nothing accepted at all: said once, by json
    ("create.valid", "create.multipart-accepted",
     "A create sent as multipart/form-data without a file is accepted (what the openai SDK sends).",
     ("create.json-accepted",)),
    ("create.valid", "create.image-reference-accepted",
     "A multipart create with an input_reference image whose pixel size equals size is accepted.",
     ("create.multipart-accepted", *BASELINE)),
    ("create.valid", "create.image-url-reference-accepted",
     "An input_reference given by image_url (JSON object or multipart bracket field) is accepted.", BASELINE),
    ("create.valid", "create.generated-valid-accepted",
     "Generated schema-valid creates (schemathesis, positive mode) are accepted.", BASELINE),
    # ---- invalid requests are rejected with 400 ---------------------------------------------
    ("create.invalid", "create.prompt.missing-rejected",
     "A create without prompt is rejected with 400.", BASELINE),
    ("create.invalid", "create.prompt.empty-rejected",
     "A create with an empty prompt is rejected with 400.", BASELINE),
    ("create.invalid", "create.prompt.over-max-rejected",
     "A prompt one character over the maximum (also in multi-byte characters) is rejected with 400.", BASELINE),
    ("create.invalid", "create.seconds.invalid-value-rejected",
     "A seconds value outside the enum (e.g. \"10\") is rejected with 400.", BASELINE),
    ("create.invalid", "create.seconds.wrong-type-rejected",
     "A seconds value of the wrong JSON type (an integer, null) is rejected with 400.",
     ("create.json-accepted", *BASELINE)),
    ("create.invalid", "create.size.invalid-value-rejected",
     "A size outside the enum is rejected with 400.", BASELINE),
    # a server that does not even decode the upload cannot check its pixel size: one root cause
    ("create.invalid", "create.image-reference.wrong-size-rejected",
     "An input_reference image whose pixel size differs from size is rejected with 400.",
     ("create.image-reference.not-image-rejected", "create.multipart-accepted", *BASELINE)),
    ("create.invalid", "create.image-reference.not-image-rejected",
     "An input_reference file that is not an image is rejected with 400.", ("create.multipart-accepted", *BASELINE)),
    ("create.invalid", "create.json.malformed-rejected",
     "A malformed JSON body, or JSON that is not an object, is rejected with 400.", ("create.json-accepted",)),
    ("create.invalid", "create.generated-invalid-rejected",
     "Generated schema-invalid JSON creates (schemathesis, negative mode) are rejected with 400.",
     ("create.json-accepted", *BASELINE)),
    # ---- tolerated either way, never a 5xx --------------------------------------------------
    ("create.tolerated", "create.unknown-model-handled",
     "An unknown model name is either accepted or rejected with 400, never a 5xx.", BASELINE),
    ("create.tolerated", "create.unknown-parameter-handled",
     "An unknown parameter is either ignored or rejected with 400, never a 5xx.", BASELINE),
    # ---- every response matches the spec ----------------------------------------------------
    ("response", "response.transport",
     "Every request gets a complete HTTP response within the per-request timeout."),
    ("response", "response.not-server-error",
     "No request, valid or invalid, is answered with a 5xx."),
    ("response", "response.status-documented",
     "Every status code is one the spec documents for the operation."),
    ("response", "response.content-type",
     "Every response declares the documented Content-Type (application/json for bodies)."),
    ("response", "response.video.schema",
     "Every Video body matches the spec: all 13 fields present, nullable ones null, exact types.", BASELINE),
    ("response", "response.list.schema",
     "Every list body matches the spec (object, data, first_id, last_id, has_more).", BASELINE),
    # no deletion body without a delete
    ("response", "response.deleted.schema",
     "Every deletion body matches the spec ({id, object: video.deleted, deleted: true}).",
     ("delete.returns-deletion", *BASELINE)),
    ("response", "response.error.envelope",
     "Every 4xx/5xx body is the error envelope {error: {message, type, param, code}}, not {detail}."),
    ("response", "response.rate-limit.retry-after",
     "A 429 carries a Retry-After header in seconds."),
    # ---- semantics of the Video -------------------------------------------------------------
    ("semantics", "create.echoes-request",
     "The create response echoes prompt, model, size and seconds as sent.", BASELINE),
    ("semantics", "create.defaults-applied",
     "Omitted model, seconds and size come back as the documented defaults.", BASELINE),
    ("semantics", "create.initial-status",
     "A created job starts queued or in_progress, not completed or failed.", BASELINE),
    ("semantics", "create.remixed-from-null",
     "remixed_from_video_id is null for a plain create.", BASELINE),
    ("semantics", "create.queued-while-busy",
     "A create sent while other jobs run is accepted and queued, not refused with 503 (what queued is for).",
     BASELINE),
    ("semantics", "video.ids-unique",
     "Every create returns a new id.", BASELINE),
    ("semantics", "video.timestamps-unix-seconds",
     "created_at, completed_at and expires_at are Unix seconds near the server's clock (not ms).", BASELINE),
    ("semantics", "video.timestamps-ordered",
     "completed_at is set once completed and not before created_at; expires_at not before created_at.", BASELINE),
    ("semantics", "video.progress-consistent",
     "progress is 100 when completed; a queued job has progress 0.", BASELINE),
    ("semantics", "video.error-consistent",
     "error is null unless the job failed; a failed job has error {code, message} strings.", BASELINE),
    # ---- lifecycle --------------------------------------------------------------------------
    ("lifecycle", "lifecycle.retrieve-after-create",
     "A created video can be retrieved at once (200, same id).", BASELINE),
    ("lifecycle", "lifecycle.status-forward",
     "Polling shows a status that only moves forward: queued -> in_progress -> completed or failed.", VIDEO),
    ("lifecycle", "lifecycle.progress-monotonic",
     "Polling shows progress that never decreases.", ("lifecycle.status-forward", *VIDEO)),
    ("lifecycle", "lifecycle.reaches-terminal",
     "A job reaches completed or failed within the run's time budget.", ("lifecycle.retrieve-stable", *VIDEO)),
    ("lifecycle", "lifecycle.retrieve-stable",
     "A video stays retrievable with 200 until deleted, failed jobs included (status failed).", VIDEO),
    ("content", "content.download",
     "A completed video's content downloads for each variant with its type: video/mp4, image/webp, image/jpeg.",
     COMPLETED),
    ("content", "content.not-ready-rejected",
     "Content of a video that is not completed is refused at once with 404 (the live API's \"Video is not ready "
     "yet\") and the envelope; not 409, which the openai SDK retries.", VIDEO),
    ("list", "list.limit-honoured",
     "GET /videos returns at most limit items and sets has_more.", BASELINE),
    ("list", "list.order-honoured",
     "GET /videos honours order=asc and order=desc (by creation).", BASELINE),
    ("list", "list.limit-range",
     "GET /videos takes limit from 0 to 100 (0: an empty page); -1 is refused with 400, and 101 is refused with "
     "400 or served as at most 100 items."),
    ("list", "list.after-honoured",
     "GET /videos?after=ID continues after that id without repeats; first_id/last_id match data.", BASELINE),
    ("delete", "delete.returns-deletion",
     "DELETE returns the deletion object for the video's id.", BASELINE),
    # the answer to a deleted id is the answer to any missing id: judged only where that one is right
    ("delete", "delete.then-not-found",
     "After DELETE, the video is 404 with the envelope.",
     ("delete.returns-deletion", "errors.unknown-id-not-found", *BASELINE)),
    ("errors", "errors.unknown-id-not-found",
     "Unknown ids get 404 with the envelope (retrieve, delete, content, remix)."),
    ("remix", "remix.sets-source",
     "A remix of a completed video is a new Video with remixed_from_video_id set to the source id.", COMPLETED),
    ("auth", "auth.missing-key-rejected",
     "Without an API key, a request is refused with 401 and the envelope."),
    ("auth", "auth.wrong-key-rejected",
     "With a wrong API key, a request is refused with 401 and the envelope."),
    # ---- edits and extensions (contracts/scenarios/derived.py) -------------------------------
    ("edits", "edit.offered",
     "POST /videos/edits exists: it is not answered 404 or 405 as an unknown route (or is declared not offered)."),
    ("edits", "edit.by-id-accepted",
     "An edit of a completed video by id is accepted, as multipart video[id] (what the openai SDK sends) and as "
     "JSON {\"video\": {\"id\"}}.", ("edit.offered", *COMPLETED)),
    ("edits", "edit.by-file-accepted",
     "An edit of an uploaded MP4 file (multipart video) is accepted.", ("edit.offered",)),
    ("edits", "edit.missing-fields-rejected",
     "An edit without video or without prompt is rejected with 400.", ("edit.offered",)),
    ("edits", "edit.result-is-a-job",
     "An edit answers a new job (a new id, queued or in_progress) that can be retrieved like any other.",
     ("edit.by-file-accepted", "edit.offered", "lifecycle.retrieve-after-create")),
    # one edit (of an uploaded file) is followed like the followed create; a finding that create
    # showed too (its lifecycle clause failed) is blocked by that clause: one defect of every job
    ("edits", "edit.result-completes",
     "An edit's job moves like any other to its end: status only forward, progress never decreasing, "
     "retrievable throughout, completed or failed within the run's time budget, its content an MP4 once completed.",
     ("edit.result-is-a-job", "edit.by-file-accepted", "edit.offered", *EVERY_JOB)),
    ("edits", "edit.unknown-source-not-found",
     "An edit or extension of an unknown video id is refused with 404 and the envelope.",
     ("edit.offered", "extend.offered")),
    ("edits", "edit.unfinished-source-rejected",
     "An edit or extension of a video that has not completed is refused at once with 400 (not 409, which the "
     "openai SDK retries).", ("edit.offered", "extend.offered", *VIDEO)),
    ("extensions", "extend.offered",
     "POST /videos/extensions exists: it is not answered 404 or 405 as an unknown route (or is declared not offered)."),
    ("extensions", "extend.accepted",
     "An extension of a completed video by id (multipart video[id], what the openai SDK sends; JSON when that is "
     "refused) or of an uploaded MP4 file (multipart) is accepted: a new job.", ("extend.offered", "lifecycle.retrieve-after-create")),
    ("extensions", "extend.seconds-stitched",
     "An extension's Video reports the stitched total in seconds: the source's seconds plus the extension's.",
     ("extend.accepted", "extend.offered", *COMPLETED)),
    ("extensions", "extend.missing-fields-rejected",
     "An extension without seconds, video or prompt, or with seconds outside the enum, is rejected with 400.",
     ("extend.offered",)),
    ("characters", "character.offered",
     "POST /videos/characters exists: it is not answered 404 or 405 as an unknown route (or is declared not offered)."),
    ("characters", "character.name-boundaries-accepted",
     "A character named with 1 or with 80 characters (from an MP4 upload) is accepted and answered as a character.",
     ("character.offered",)),
    ("characters", "character.name-out-of-range-rejected",
     "A character name that is empty or 81 characters long is rejected with 400.", ("character.offered",)),
    ("characters", "character.not-video-rejected",
     "A character upload that is not a video (text, an image) is rejected with 400.", ("character.offered",)),
    ("characters", "character.missing-fields-rejected",
     "A character without video or without name is rejected with 400.", ("character.offered",)),
    ("characters", "character.retrievable",
     "A created character can be retrieved (GET /videos/characters/{id}: 200, same id and name).",
     ("character.name-boundaries-accepted", "character.offered")),
    ("characters", "character.unknown-id-not-found",
     "An unknown character id is answered 404 with the envelope.", ("character.offered",)),
    ("response", "response.character.schema",
     "Every character body matches the spec (id, name, created_at in Unix seconds).",
     ("character.name-boundaries-accepted", "character.offered")),
]

# ---- one answer, one root cause ---------------------------------------------------------------
# The clauses that judge every answer, most basic first: no complete answer, no route behind the
# operation, a 5xx, an undocumented status, a wrong Content-Type, a body off its schema. On one
# exchange, the first of these that failed blocks the findings of every clause after it (and of
# every clause not listed): one answer is one root cause, however many clauses judged it
# (``contracts.judge``). Two kinds: the first say the answer cannot be judged at all; the last
# (``BODY_BASIC``) say only its body cannot, so a finding about its status stands beside them (an
# invalid create accepted is that, whatever the body it was answered with).
BASIC: tuple[str, ...] = (
    "response.transport", "edit.offered", "extend.offered", "character.offered", "response.not-server-error",
    "response.status-documented", "response.content-type", "response.video.schema", "response.list.schema",
    "response.deleted.schema", "response.error.envelope", "response.character.schema",
)
BODY_BASIC = frozenset(BASIC[BASIC.index("response.content-type"):])


def basic_rank(clause_id: str) -> int:
    """Where ``clause_id`` stands in ``BASIC`` (every other clause after all of them)."""
    return BASIC.index(clause_id) if clause_id in BASIC else len(BASIC)


# What a target profile can replace (contracts/profile.py) -> the clauses whose expectations follow it.
PROFILE_TOUCHES: dict[str, tuple[str, ...]] = {
    "models": ("create.model.every-value-accepted", "create.unknown-model-handled"),
    "seconds": ("create.seconds.every-value-accepted", "create.seconds.invalid-value-rejected"),
    "sizes": ("create.size.every-value-accepted", "create.size.invalid-value-rejected",
              "create.image-reference-accepted", "response.video.schema"),
    "defaults": ("create.defaults-applied",),
}

# The prerequisites each clause declares in the catalogue (see BASELINE above).
REQUIRES: dict[str, tuple[str, ...]] = {cid: needs[0] for _, cid, _, *needs in _CATALOGUE if needs}

# ---- operations ---------------------------------------------------------------------------------
# The operations a target may leave out (``--operations`` or a profile's ``operations``), and the
# clauses only they exercise: those are reported skipped ("not offered") when the operation is
# not offered. A clause under several operations is skipped only when none of them is offered.
# create and retrieve are the core every other check stands on: they cannot be left out.
CORE_OPERATIONS = ("create", "retrieve")
OPERATION_CLAUSES: dict[str, tuple[str, ...]] = {
    "list": ("list.limit-honoured", "list.limit-range", "list.order-honoured", "list.after-honoured"),
    "delete": ("delete.returns-deletion", "delete.then-not-found"),
    "content": ("content.download", "content.not-ready-rejected"),
    "remix": ("remix.sets-source",),
    "edits": ("edit.offered", "edit.by-id-accepted", "edit.by-file-accepted", "edit.missing-fields-rejected",
              "edit.result-is-a-job", "edit.result-completes", "edit.unknown-source-not-found", "edit.unfinished-source-rejected"),
    "extensions": ("extend.offered", "extend.accepted", "extend.seconds-stitched", "extend.missing-fields-rejected",
                   "edit.unknown-source-not-found", "edit.unfinished-source-rejected"),
    "characters": ("character.offered", "character.name-boundaries-accepted", "character.name-out-of-range-rejected",
                   "character.not-video-rejected", "character.missing-fields-rejected", "character.retrievable",
                   "character.unknown-id-not-found", "response.character.schema"),
}
OPERATIONS: tuple[str, ...] = (*CORE_OPERATIONS, *OPERATION_CLAUSES)
# (METHOD, spec path) -> the operation it belongs to, for requests sent on behalf of other clauses
# (unknown ids, auth probes): none is sent to an operation the target does not offer.
ROUTES: dict[tuple[str, str], str] = {
    CREATE: "create", LIST: "list", RETRIEVE: "retrieve", DELETE: "delete", CONTENT: "content", REMIX: "remix",
    EDIT: "edits", EXTEND: "extensions", CREATE_CHARACTER: "characters", GET_CHARACTER: "characters",
}


def parse_operations(value: str | list[str] | tuple[str, ...], where: str = "--operations") -> frozenset[str]:
    """The offered operations from "create,retrieve,list" (or a list); ValueError with one line."""
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [str(n).strip() for n in value]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown:
        raise ValueError(f"{where}: unknown operation {unknown[0]!r}; the operations are {', '.join(OPERATIONS)}")
    lacking = [n for n in CORE_OPERATIONS if n not in names]
    if lacking:
        raise ValueError(f"{where} must include {' and '.join(CORE_OPERATIONS)} (every other check stands on them); "
                         f"missing: {', '.join(lacking)}")
    return frozenset(names)


NOT_OFFERED = "not offered"  # how a skipped clause's note starts when its operation is not offered
OFFERED_BY = "--operations or the profile's operations"  # where a user says which operations a target offers


def not_offered_note(operations: str) -> str:
    """The note of a clause skipped because the target does not offer ``operations``."""
    return f"{NOT_OFFERED}: the target does not offer {operations} ({OFFERED_BY})"


def not_offered(offered: frozenset[str] | None) -> dict[str, str]:
    """Clause id -> the operation(s) whose absence skips it, for a target offering ``offered``
    (None: every operation)."""
    if offered is None:
        return {}
    owners: dict[str, list[str]] = {}
    for operation, clause_ids in OPERATION_CLAUSES.items():
        for cid in clause_ids:
            owners.setdefault(cid, []).append(operation)
    return {cid: " and ".join(ops) for cid, ops in owners.items() if not set(ops) & offered}


CLAUSES: dict[str, Clause] = {cid: Clause(id=cid, area=area, statement=text) for area, cid, text, *_ in _CATALOGUE}
AREAS: list[str] = list(dict.fromkeys(area for area, *_ in _CATALOGUE))


assert set(REQUIRES) <= set(CLAUSES) and {c for r in REQUIRES.values() for c in r} <= set(CLAUSES)


def requires(clause_id: str) -> tuple[str, ...]:
    """The clause's prerequisites, transitively, nearest first (see REQUIRES)."""
    seen: list[str] = []
    queue = list(REQUIRES.get(clause_id, ()))
    while queue:
        cid = queue.pop(0)
        if cid != clause_id and cid not in seen:
            seen.append(cid)
            queue.extend(REQUIRES.get(cid, ()))
    return tuple(seen)

assert {c for ids in OPERATION_CLAUSES.values() for c in ids} <= set(CLAUSES), "OPERATION_CLAUSES names unknown clauses"
assert set(BASIC) <= set(CLAUSES), "BASIC names unknown clauses"


def get(clause_id: str) -> Clause:
    try:
        return CLAUSES[clause_id]
    except KeyError:
        raise KeyError(f"unknown clause id {clause_id!r}") from None


def changed_by_profile(changed: Iterable[str]) -> frozenset[str]:
    """Clauses whose expectations a target profile altered (``Rules.changed``), for the reports."""
    return frozenset(cid for key in changed for cid in PROFILE_TOUCHES[key])
