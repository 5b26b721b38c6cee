"""Personas: catalogue faults composed into a realistic server that deviates in several ways at once.

    videos-contract mock --persona sglang --api-key sk-x
    videos-contract mock --list-personas
    create_app(MockConfig(faults=PERSONAS["sglang"].faults))

Real servers rarely deviate once (``contract-notes.md``, "How real servers deviate"): one root cause
then fails many clauses unless the suite attributes each failure to its own clause. A persona is the
proof: it names its faults (single-fault entries of the catalogue, deviations and clean variants),
the clauses that must fail (its root causes: exactly these, no more), and the clauses those root
causes block (a prerequisite failed, so they are neither passed nor failed). Every other clause
must pass or be skipped. ``tests/test_detection.py`` runs every persona;
``benchmarks/detection.py --personas`` prints the table of docs/faults.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from contracts.mock.faults import CATALOGUE

MIN_FAULTS, MAX_FAULTS = 4, 12  # fewer is a single fault; more is no longer one server's story


class UnknownPersona(ValueError):
    """A persona name that is not in ``PERSONAS``."""


@dataclass(frozen=True)
class Persona:
    name: str
    summary: str  # one line: what kind of server this is
    source: str  # where its deviations come from
    faults: tuple[str, ...]  # catalogue entries (faults and clean variants) it composes
    root_causes: tuple[str, ...]  # clause ids that must fail: exactly these
    blocked: tuple[str, ...] = ()  # clause ids a root cause blocks: verdict blocked, not failed

    @property
    def deviations(self) -> tuple[str, ...]:
        """The faults that are deviations (not clean variants)."""
        return tuple(name for name in self.faults if not CATALOGUE[name].clean)

    @property
    def breaks(self) -> tuple[str, ...]:
        """What the single-fault catalogue says its deviations break, in catalogue order."""
        return tuple(dict.fromkeys(cid for name in self.deviations for cid in CATALOGUE[name].breaks))


_ENTRIES = [
    Persona(
        "sglang", "SGLang diffusion serving a video model: integer seconds, free-form size, no prompt in the "
        "Video, DELETE answers the Video, FastAPI error bodies, one file per job", "SGLang diffusion (contract-notes)",
        ("seconds-integer", "size-any-string", "prompt-field-missing", "delete-returns-video", "fastapi-detail",
         "content-variant-ignored", "extra-fields", "unknown-parameters-ignored", "no-poll-after-header"),
        root_causes=("create.size.invalid-value-rejected", "response.video.schema", "response.deleted.schema",
                     "response.error.envelope", "content.download"),
        # the Video answered to a DELETE: one root cause (its schema), not a second failure
        blocked=("delete.returns-deletion",),
    ),
    Persona(
        "vllm-omni", "vLLM-Omni: multipart only, seconds and size checked by pattern, video_gen_ ids, size null, "
        "FastAPI 422 validation errors", "vLLM-Omni (contract-notes)",
        ("json-refused", "seconds-pattern", "id-video-gen-hex", "size-null", "fastapi-422",
         "unknown-parameters-ignored"),
        # seconds checked by pattern on extensions too (they share VideoSeconds)
        root_causes=("create.json-accepted", "create.seconds.invalid-value-rejected", "extend.missing-fields-rejected",
                     "response.status-documented", "response.video.schema", "response.error.envelope"),
        # cases that exist only in JSON (a JSON integer, malformed JSON, generated JSON bodies)
        blocked=("create.json.malformed-rejected", "create.seconds.wrong-type-rejected",
                 "create.generated-invalid-rejected"),
    ),
    Persona(
        "litellm", "LiteLLM proxy: requires model to route, forwards every other field unchecked, status a free "
        "string, rewritten ids, error code the HTTP status", "LiteLLM proxy (contract-notes)",
        ("model-required", "prompt-only-validation", "status-processing", "id-uuid", "error-code-is-status",
         "rate-limited"),
        # (the generated invalid creates that would show prompt-only-validation are routed around:
        # the single-property invalid clauses already name it)
        root_causes=("create.optional-fields-omittable",
                     "create.seconds.invalid-value-rejected", "create.seconds.wrong-type-rejected",
                     "create.size.invalid-value-rejected", "response.video.schema"),
    ),
    Persona(
        "new-api", "new-api gateway (Go): nullable fields omitted, an extra status 'unknown', the prompt limit in "
        "bytes, 403 for a wrong key", "new-api gateway (contract-notes); Go's len(string)",
        ("nulls-omitted", "status-unknown", "prompt-length-in-bytes", "auth-403", "id-uuid", "rate-limited"),
        root_causes=("create.prompt.multibyte-max-length-accepted", "response.video.schema",
                     "response.status-documented"),
        # a created job's status 'unknown', its remixed_from_video_id left out: nothing to judge; a
        # wrong key answered 403 (an undocumented status where 401 is wanted): one root cause
        blocked=("create.initial-status", "create.remixed-from-null", "auth.wrong-key-rejected"),
    ),
    Persona(
        "azure", "Azure OpenAI Sora 2: OpenAI's shape plus usage, two sizes only, deployments refuse unknown "
        "models, 429 with Retry-After", "Azure OpenAI (contract-notes)",
        ("sizes-two-only", "extra-fields", "unknown-model-rejected", "rate-limited"),
        root_causes=("create.size.every-value-accepted",),
    ),
    Persona(
        "one-gpu", "a Wan 2.2 server on one GPU: 503 'try again later' while a job runs, no DELETE route, "
        "content served without checking the key, lists sorted stably by created_at seconds",
        "one-GPU self-hosted servers (contract-notes, 'Behaviour seen')",
        ("busy-503", "no-delete-route", "auth-skipped-on-content", "list-stable-by-seconds",
         "in-progress-at-create", "no-poll-after-header", "expires-null", "unknown-parameters-ignored"),
        root_causes=("create.queued-while-busy", "delete.returns-deletion", "auth.missing-key-rejected",
                     "auth.wrong-key-rejected"),
        blocked=("delete.then-not-found", "response.deleted.schema"),
    ),
    Persona(
        "fastapi-wan", "a hand-written FastAPI wrapper around a video model: JSON only, model required, no remix "
        "route, 422 validation errors, integer seconds", "FastAPI servers in general (contract-notes)",
        ("multipart-refused", "model-required", "no-remix-route", "fastapi-422", "seconds-integer", "id-uuid",
         "expires-null"),
        root_causes=("create.multipart-accepted", "create.optional-fields-omittable", "remix.sets-source",
                     "response.status-documented", "response.error.envelope", "response.video.schema"),
        # cases that exist only in multipart (uploaded images)
        blocked=("create.image-reference-accepted", "create.image-reference.not-image-rejected",
                 "create.image-reference.wrong-size-rejected"),
    ),
]

_ENTRIES += [
    Persona(
        "one-gpu-busy", "a one-GPU server that answers 503 'try again later' to any create while a job runs, before "
        "it looks at the request, and whose delete does not stop the GPU: a deleted job keeps it busy to its end",
        "one-GPU self-hosted servers (issue 18: SGLang-style single-worker deployments)",
        ("busy-503-deleted-run", "no-poll-after-header", "expires-null", "in-progress-at-create",
         "unknown-parameters-ignored"),
        root_causes=("create.queued-while-busy",),
    ),
    Persona(
        "upload-broken", "a server whose upload service and video store are down: every request with a file and "
        "every download answers 503, idle or not", "a deployment whose storage sidecar failed",
        ("uploads-503", "content-503", "extra-fields", "id-uuid", "no-poll-after-header"),
        root_causes=("response.not-server-error",),
        # whatever needs an upload or a download: one root cause, the 503 of an idle server
        blocked=("character.name-boundaries-accepted", "character.name-out-of-range-rejected",
                 "character.not-video-rejected", "character.retrievable", "content.download",
                 "content.not-ready-rejected", "create.image-reference-accepted",
                 "create.image-reference.not-image-rejected", "create.image-reference.wrong-size-rejected",
                 "edit.by-file-accepted", "edit.result-completes", "response.character.schema"),
    ),
    Persona(
        "drops-connections", "a FastAPI server behind a proxy that drops a kept-alive connection after each error "
        "answer (the SDK sends the next request again, on a fresh connection)", "uvicorn behind nginx with short "
        "keep-alive on errors", ("reset-after-error", "fastapi-detail", "extra-fields", "unknown-parameters-ignored"),
        root_causes=("response.error.envelope",),
    ),
    Persona(
        "delete-video", "a server whose DELETE answers the deleted Video instead of the deletion object, with "
        "uuid ids and no expiry", "SGLang diffusion's DELETE", ("delete-returns-video", "extra-fields", "id-uuid",
                                                                 "expires-null"),
        root_causes=("response.deleted.schema",),
        blocked=("delete.returns-deletion",),
    ),
    Persona(
        "gateway-default-upstream", "a gateway that routes creates, retrieves and edits by id, and sends what it "
        "cannot route (uploads, characters, unknown ids) to an unreachable default upstream: the same 500 for all",
        "Envoy-style gateways with a catch-all route",
        ("gateway-default-upstream", "extra-fields", "error-code-is-status", "no-poll-after-header"),
        root_causes=("response.not-server-error",),
        # one 500 for every request it cannot route: uploads, characters, unknown ids
        blocked=("character.missing-fields-rejected", "character.name-boundaries-accepted",
                 "character.name-out-of-range-rejected", "character.not-video-rejected", "character.retrievable",
                 "character.unknown-id-not-found", "create.image-reference-accepted",
                 "create.image-reference.not-image-rejected", "create.image-reference.wrong-size-rejected",
                 "delete.then-not-found", "edit.by-file-accepted", "edit.result-completes",
                 "errors.unknown-id-not-found", "response.character.schema"),
    ),
    Persona(
        "images-api", "a server that answers POST /videos at once in the Images API's shape {created, data: [{url}]} "
        "(the video generated synchronously), every other operation as documented", "NVIDIA Dynamo's /v1/videos",
        ("create-images-shape", "extra-fields", "no-poll-after-header", "expires-null"),
        root_causes=("response.video.schema",),
        # no Video, no job to follow: every clause of a create and of its job is blocked by that
        blocked=("content.download", "content.not-ready-rejected", "create.generated-invalid-rejected",
                 "create.generated-valid-accepted", "create.image-reference-accepted",
                 "create.image-reference.not-image-rejected", "create.image-reference.wrong-size-rejected",
                 "create.image-url-reference-accepted", "create.json-accepted", "create.json.malformed-rejected",
                 "create.model.every-value-accepted", "create.multipart-accepted",
                 "create.optional-fields-omittable", "create.prompt.empty-rejected",
                 "create.prompt.max-length-accepted", "create.prompt.min-length-accepted",
                 "create.prompt.missing-rejected", "create.prompt.multibyte-max-length-accepted",
                 "create.prompt.over-max-rejected", "create.prompt.unusual-unicode-accepted",
                 "create.queued-while-busy", "create.remixed-from-null", "create.seconds.every-value-accepted",
                 "create.seconds.invalid-value-rejected", "create.seconds.wrong-type-rejected",
                 "create.size.every-value-accepted", "create.size.invalid-value-rejected",
                 "create.unknown-model-handled", "create.unknown-parameter-handled", "delete.returns-deletion",
                 "delete.then-not-found", "edit.by-id-accepted", "edit.unfinished-source-rejected",
                 "extend.seconds-stitched", "lifecycle.reaches-terminal", "lifecycle.retrieve-after-create",
                 "lifecycle.retrieve-stable", "list.after-honoured", "list.limit-honoured", "list.order-honoured",
                 "remix.sets-source"),
    ),
]

PERSONAS: Mapping[str, Persona] = MappingProxyType({p.name: p for p in _ENTRIES})
assert len(PERSONAS) == len(_ENTRIES), "duplicate persona names"


def get(name: str) -> Persona:
    """The persona called ``name``; :class:`UnknownPersona` names the known ones."""
    try:
        return PERSONAS[name]
    except KeyError:
        raise UnknownPersona(f"unknown persona {name!r}; known personas: {', '.join(PERSONAS)}") from None


def describe() -> str:
    """The personas as ``--list-personas`` prints them: name, summary, faults, expected verdicts."""
    width = max(len(name) for name in PERSONAS)
    lines = [f"Personas ({len(PERSONAS)}): catalogue faults composed into realistic servers"]
    for p in PERSONAS.values():
        pad = " " * (width + 4)
        lines.append(f"  {p.name.ljust(width)}  {p.summary} [{p.source}]")
        lines.append(f"{pad}faults: {', '.join(p.faults)}")
        lines.append(f"{pad}must fail: {', '.join(p.root_causes)}")
        if p.blocked:
            lines.append(f"{pad}blocked: {', '.join(p.blocked)}")
    return "\n".join(lines)
