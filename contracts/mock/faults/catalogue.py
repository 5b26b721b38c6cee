"""The catalogue: every fault mode and clean variant, as data."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from contracts.mock.errors import APIError, echoed
from contracts.mock.faults import creates, error_shapes, jobs, operations, spec_edits, transport, videos
from contracts.mock.faults.base import (
    OPERATIONS,
    RATE_LIMIT_EVERY,
    REPLICATION_LAG_SECONDS,
    Fault,
    FaultSet,
    UnknownFault,
    crash,
    invalid,
)

# ============================================================================================
# The catalogue
# ============================================================================================
_ENTRIES = [
    # ---- create: valid requests refused ---------------------------------------------------
    Fault("json-refused", "JSON creates are refused (415): the server takes multipart only", "vLLM-Omni",
          ("create.json-accepted",), around={"create": operations.refuse_media_type("application/json")}),
    Fault("multipart-refused", "multipart creates are refused (415): the server takes JSON only",
          "servers written for openai SDKs before 2.27, which sent JSON", ("create.multipart-accepted",),
          around={"create": operations.refuse_media_type("multipart/form-data")}),
    Fault("multipart-file-required", "a multipart create without an input_reference file is refused (400)",
          "older SGLang (input_reference: UploadFile = File(...))", ("create.multipart-accepted",), body=creates.file_required),
    Fault("short-prompt-rejected", "prompts under 3 characters are refused (400)",
          "a server-side 'prompt too short' guard", ("create.prompt.min-length-accepted",), params=creates.short_prompt),
    Fault("prompt-limit-31999", "a prompt of exactly 32000 characters is refused (off by one: len >= max)",
          "off-by-one length check", ("create.prompt.max-length-accepted",), spec=spec_edits.set_prompt_limit("maxLength", 31999)),
    Fault("prompt-length-in-bytes", "the prompt limit counts UTF-8 bytes, not characters",
          "Go's len(string) (gateways written in Go, e.g. new-api)", ("create.prompt.multibyte-max-length-accepted",),
          params=creates.length_in("UTF-8 bytes", lambda p: len(p.encode("utf-8", "surrogatepass")))),
    Fault("prompt-length-utf16", "the prompt limit counts UTF-16 code units (an emoji counts 2)",
          "JavaScript/Java String.length (Node and Java gateways)", ("create.prompt.multibyte-max-length-accepted",),
          params=creates.length_in("UTF-16 code units", lambda p: len(p.encode("utf-16-le", "surrogatepass")) // 2)),
    Fault("nul-prompt-500", "a prompt containing NUL crashes the server (500)",
          "PostgreSQL text columns reject 0x00", ("response.not-server-error",),
          params=creates.crash_on_prompt(lambda p: "\x00" in p, "ValueError: A string literal cannot contain NUL (0x00) characters")),
    Fault("emoji-prompt-500", "a prompt with characters beyond U+FFFF (emoji) crashes the server (500)",
          "MySQL utf8 (3-byte) columns", ("response.not-server-error",),
          params=creates.crash_on_prompt(lambda p: any(ord(c) > 0xFFFF for c in p),
                                 "Incorrect string value: '\\xF0\\x9F...' for column 'prompt'")),
    Fault("latin1-log-500", "a prompt with characters beyond Latin-1 (Arabic, Hebrew, emoji) crashes the server (500)",
          "a prompt written to a log stream with a Latin-1/ASCII encoding (UnicodeEncodeError)",
          ("response.not-server-error",),
          params=creates.crash_on_prompt(lambda p: any(ord(c) > 0xFF for c in p), "UnicodeEncodeError: 'latin-1' codec")),
    Fault("nul-prompt-rejected", "a prompt containing NUL is refused (400)",
          "servers that validate prompts for PostgreSQL text columns, which reject 0x00",
          ("create.prompt.unusual-unicode-accepted",),
          params=creates.refuse_prompt(lambda p: "\x00" in p, "Invalid 'prompt': it must not contain NUL characters.")),
    Fault("model-list-stale", "the newest documented model snapshot (sora-2-2025-12-08) is refused (400)",
          "a gateway whose model list predates the snapshot", ("create.model.every-value-accepted",),
          spec=spec_edits.all_of(spec_edits.drop_enum_value("VideoModel", "sora-2-2025-12-08"), spec_edits.model_closed)),
    Fault("seconds-12-rejected", "seconds='12' is refused (400): clips are capped at 8 s",
          "servers that cap the clip length to fit GPU memory", ("create.seconds.every-value-accepted",),
          spec=spec_edits.set_enum("VideoSeconds", ["4", "8"])),
    Fault("sizes-two-only", "only 720x1280 and 1280x720 are accepted (checked as the full OpenAI contract)",
          "Azure OpenAI Sora 2 (two sizes)", ("create.size.every-value-accepted",),
          spec=spec_edits.set_enum("VideoSize", ["720x1280", "1280x720"])),
    Fault("model-required", "model has no default: a create without it is refused (400)",
          "gateways that route by model (LiteLLM), request models with `model: str` required",
          ("create.optional-fields-omittable",), spec=spec_edits.require("model")),
    Fault("seconds-required", "seconds has no default: a create without it is refused (400)",
          "a request model with `seconds: str` required", ("create.optional-fields-omittable",), spec=spec_edits.require("seconds")),
    Fault("image-size-transposed", "the reference image is compared as height x width: a correct image is refused",
          "a width/height mix-up in the image check", ("create.image-reference-accepted",), image=creates.image_transposed),
    Fault("image-url-refused", "input_reference.image_url given as a data URL is refused (400): http(s) only",
          "servers that download image_url with an HTTP client", ("create.image-url-reference-accepted",),
          body=creates.data_url_refused),
    Fault("form-values-json-decoded", "multipart values are JSON-decoded first ('0' becomes 0, '4' becomes 4) "
          "and then fail the type checks", "servers that json.loads() every form field to accept JSON-in-form",
          ("create.generated-valid-accepted", "create.multipart-accepted"), body=creates.form_values_json_decoded),
    # ---- create: invalid requests accepted ------------------------------------------------
    Fault("prompt-missing-accepted", "a create without prompt is accepted (prompt null)",
          "a request model with `prompt: str | None = None`", ("create.prompt.missing-rejected",),
          spec=spec_edits.unrequire("prompt")),
    Fault("empty-prompt-accepted", "an empty prompt is accepted", "no minimum length on the prompt",
          ("create.prompt.empty-rejected",), spec=spec_edits.set_prompt_limit("minLength", 0)),
    Fault("prompt-limit-32001", "a prompt of 32001 characters is accepted (off by one: len > max + 1)",
          "off-by-one length check", ("create.prompt.over-max-rejected",), spec=spec_edits.set_prompt_limit("maxLength", 32001)),
    Fault("seconds-pattern", "seconds is checked by a digits pattern, not the enum: '10' is accepted",
          "vLLM-Omni", ("create.seconds.invalid-value-rejected", "extend.missing-fields-rejected"),  # extensions share VideoSeconds
          spec=spec_edits.set_component("VideoSeconds", {"type": "string", "pattern": "^[0-9]+$"})),
    Fault("seconds-int-accepted", "seconds as a JSON integer is accepted (converted), null becomes the default",
          "lax type coercion (pydantic v1, str(seconds))", ("create.seconds.wrong-type-rejected",),
          body=creates.seconds_coerced),
    Fault("size-any-string", "size is any string: '640x480' is accepted and echoed",
          "SGLang diffusion", ("create.size.invalid-value-rejected", "response.video.schema"),
          spec=spec_edits.set_component("VideoSize", {"type": "string"})),
    Fault("size-ignored", "a size outside the enum is accepted and the video rendered at the default size",
          "a pipeline that falls back to its default resolution", ("create.size.invalid-value-rejected",),
          spec=spec_edits.set_component("VideoSize", {"type": "string"}), params=creates.size_ignored),
    Fault("image-size-unchecked", "a reference image of the wrong pixel size is accepted",
          "no pixel-size check (OpenAI answered 400 'Inpaint image must match...')",
          ("create.image-reference.wrong-size-rejected",), image=creates.image_any_size),
    Fault("image-content-unchecked", "an input_reference that is not an image is accepted",
          "the upload is stored without being decoded", ("create.image-reference.not-image-rejected",),
          image=creates.image_unchecked),
    Fault("malformed-json-500", "a malformed JSON body (or a JSON array) crashes the server (500)",
          "json.loads() / body.get() without a guard",
          ("response.not-server-error",), around={"create": operations.malformed_json_crash}),
    Fault("json-array-prompt", "a JSON array body is read as [prompt, ...]: ['a cat'] is accepted",
          "a lenient body reader (body[0] when the body is a list)", ("create.json.malformed-rejected",),
          around={"create": operations.json_array_as_prompt}),
    Fault("prompt-only-validation", "only the prompt is validated; model, seconds, size, input_reference and "
          "unknown parameters are passed on as given", "proxies that forward parameters to the backend "
          "(LiteLLM-style: most fields optional)",
          ("create.seconds.invalid-value-rejected", "create.seconds.wrong-type-rejected",
           "create.size.invalid-value-rejected", "response.video.schema"),
          spec=spec_edits.all_of(spec_edits.fields_unchecked("model", "seconds", "size"), spec_edits.json_reference_unchecked),
          rules=spec_edits.tolerate_unknown_parameters, params=creates.forwarded),
    Fault("null-body-500", "a JSON body of null crashes the server (500)", "body[\"prompt\"] on a JSON null",
          ("response.not-server-error",), around={"create": operations.null_body_crash}),
    Fault("unknown-model-unvalidated", "a model outside the documented list is forwarded unvalidated: an empty "
          "prompt is accepted for it", "routers that validate only for the models they serve and forward the rest",
          ("create.generated-invalid-rejected",), spec=spec_edits.set_prompt_limit("minLength", 0),
          params=creates.validated_for_served_models),
    Fault("unknown-model-401", "an unknown model name is answered 401 'not allowed to access model'",
          "LiteLLM-style keys scoped to a model list", ("create.unknown-model-handled",),
          params=creates.unknown_model_unauthorized),
    Fault("unknown-parameter-401", "an unknown parameter is answered 401 'may not send the parameter'",
          "an API gateway's allow-list of body fields, answered as unauthorized", ("create.unknown-parameter-handled",),
          rules=spec_edits.tolerate_unknown_parameters, body=creates.unknown_parameter_unauthorized),
    Fault("unknown-model-500", "an unknown model name crashes the server (500)",
          "a model registry looked up with dict[...]", ("response.not-server-error",),
          params=creates.unknown_model_crash),
    Fault("unknown-parameter-500", "an unknown parameter crashes the server (500)",
          "parameters passed on as **kwargs to the pipeline",
          ("response.not-server-error",),
          rules=spec_edits.tolerate_unknown_parameters, body=creates.unknown_parameter_crash),
    # ---- the Video's shape ----------------------------------------------------------------
    Fault("seconds-integer", "the Video's seconds is an integer (4), not a string", "SGLang diffusion",
          ("response.video.schema",), video=videos.seconds_integer),
    Fault("size-null", "the Video's size is null", "vLLM-Omni", ("response.video.schema",), video=videos.set_fields(size=None)),
    Fault("prompt-field-missing", "the Video has no prompt field", "SGLang diffusion", ("response.video.schema",),
          video=videos.without("prompt")),
    Fault("nulls-omitted", "nullable fields are left out instead of null", "new-api gateway",
          ("response.video.schema",), video=videos.nulls_omitted),
    Fault("status-unknown", "a queued job reports status 'unknown'", "new-api gateway (extra status)",
          ("response.video.schema",), video=videos.status_renamed("queued", "unknown")),
    Fault("status-processing", "a running job reports status 'processing'", "LiteLLM proxy (status a free string)",
          ("response.video.schema",), video=videos.status_renamed("in_progress", "processing")),
    Fault("progress-fraction", "progress is a fraction 0.0-1.0, not an integer percentage",
          "servers reporting the pipeline's own progress value", ("response.video.schema",),
          video=videos.map_field("progress", lambda p: p / 100)),
    Fault("timestamps-iso", "timestamps are ISO 8601 strings", "Go's time.Time JSON encoding",
          ("response.video.schema",), video=videos.timestamps(videos.iso)),
    Fault("timestamps-ms", "timestamps are Unix milliseconds", "JavaScript Date.now()",
          ("video.timestamps-unix-seconds",), video=videos.timestamps(lambda s: s * 1000)),
    Fault("completed-at-missing", "completed_at stays null when the job completes",
          "a field never filled in", ("video.timestamps-ordered",),
          video=videos.map_field("completed_at", lambda v: None, lambda v: v.get("status") == "completed")),
    Fault("progress-99-at-completion", "a completed job reports progress 99", "progress counted in steps done "
          "before the last one", ("video.progress-consistent",), state=jobs.progress_99),
    Fault("error-on-success", "every job carries error {code: '', message: ''} instead of null",
          "Go zero-value structs", ("video.error-consistent",), video=videos.error_on_success),
    Fault("error-code-int", "jobs fail with error.code an integer (500)", "vLLM-Omni",
          ("response.video.schema",),
          setup=jobs.fail_jobs(500, "CUDA out of memory while decoding the video")),
    Fault("failed-without-error", "jobs fail with error null", "a worker crash that loses the reason",
          ("video.error-consistent",), setup=jobs.fail_jobs(),
          video=videos.map_field("error", lambda e: None, lambda v: v.get("status") == "failed")),
    Fault("remixed-from-empty-string", "remixed_from_video_id is '' instead of null", "Go zero-value strings",
          ("create.remixed-from-null",), video=videos.map_field("remixed_from_video_id", lambda v: "" if v is None else v)),
    # ---- semantics ------------------------------------------------------------------------
    Fault("model-not-echoed", "the Video names the served (default) model whatever was asked",
          "single-model servers reporting their own model", ("create.echoes-request",), video=videos.model_served),
    Fault("prompt-not-echoed", "the Video's prompt is null (not stored)", "servers that do not keep prompts",
          ("create.echoes-request",), video=videos.set_fields(prompt=None)),
    Fault("wrong-default-seconds", "an omitted seconds becomes '8', not '4'", "a server default that differs",
          ("create.defaults-applied",), spec=spec_edits.set_default("seconds", "8")),
    Fault("wrong-default-size", "an omitted size becomes 1280x720, not 720x1280", "landscape-first servers",
          ("create.defaults-applied",), spec=spec_edits.set_default("size", "1280x720")),
    Fault("wrong-default-model", "an omitted model becomes sora-2-pro, not sora-2", "a gateway's default route",
          ("create.defaults-applied",), spec=spec_edits.set_default("model", "sora-2-pro")),
    Fault("initial-completed", "create answers with the job already completed (synchronous generation)",
          "servers that generate before answering", ("create.initial-status",), setup=jobs.instant,
          state=jobs.completed_at_create),
    Fault("prompt-nfc-normalized", "the prompt is stored and echoed NFC-normalized ('cafe\u0301' comes back 'café')",
          "servers that normalize text before storing it", ("create.echoes-request",), video=videos.nfc),
    Fault("timestamps-local-time", "timestamps are local time (UTC+2) read as UTC: two hours ahead of the clock",
          "naive datetimes converted with the wrong time zone", ("video.timestamps-unix-seconds",),
          video=videos.timestamps(lambda s: s + 7200)),
    Fault("create-201", "create and remix answer 201 Created", "REST habits", ("response.status-documented",),
          around={"create": operations.created_201, "remix": operations.created_201}),
    Fault("ids-reused", "the id is a hash of the prompt: the same prompt gets the same id",
          "content-addressed ids / a response cache", ("video.ids-unique",), new_id=jobs.id_from_prompt),
    Fault("busy-503", "a create is refused with 503 and Retry-After while another job is queued or running",
          "one-GPU servers without a queue", ("create.queued-while-busy",), around={"create": operations.busy_503}),
    Fault("busy-503-deleted-run", "a create is refused with 503 while a job runs, before the request is checked, and "
          "a deleted job keeps the GPU busy until its end", "one-GPU servers without a queue whose delete only "
          "forgets the job", ("create.queued-while-busy",),
          around={"create": operations.busy_503_deleted_too, "delete": operations.deleted_still_generating}),
    Fault("uploads-503", "every request with an uploaded file is refused with 503, idle or not",
          "an upload service behind the server that is down", ("response.not-server-error",),
          around={op: operations.uploads_503 for op in ("create", "edit", "extend", "create_character")}),
    Fault("content-503", "every content download is refused with 503, idle or not", "a video store that is down",
          ("response.not-server-error",), around={"content": operations.content_503}),
    Fault("gateway-default-upstream", "a gateway sends what it cannot route (uploads, characters, unknown ids) to an "
          "unreachable default upstream: 500 text/plain 'upstream connect error'", "Envoy-style gateways with a "
          "catch-all route", ("response.not-server-error",),
          around={**{op: operations.unroutable_uploads for op in ("create", "edit", "extend")},
                  **{op: operations.unroutable for op in ("create_character", "get_character")},
                  **{op: operations.unroutable_unknown_ids for op in ("retrieve", "delete", "content", "remix")}}),
    Fault("create-images-shape", "a create is answered in the Images API's shape {created, data: [{url}]}, not as a "
          "Video", "NVIDIA Dynamo's /v1/videos", ("response.video.schema",),
          around={"create": operations.images_api_shape}),
    # ---- lifecycle ------------------------------------------------------------------------
    Fault("retrieve-lag", f"a new job is 404 for its first {REPLICATION_LAG_SECONDS:g} s",
          "write-behind stores, per-worker job tables", ("lifecycle.retrieve-after-create",),
          around={"retrieve": operations.retrieve_lag}),
    Fault("requeued", "a running job goes back to queued for a while", "a worker restart that requeues jobs",
          ("lifecycle.status-forward",), state=jobs.requeued),
    Fault("progress-per-stage", "progress restarts at 0 for the second stage of the pipeline",
          "two-stage pipelines (e.g. Wan 2.2's two experts) reporting per-stage progress",
          ("lifecycle.progress-monotonic",), state=jobs.progress_per_stage),
    Fault("jobs-never-finish", "jobs stay in_progress at 99% forever", "a worker that died after the last step",
          ("lifecycle.reaches-terminal",), state=jobs.never_finishes),
    Fault("failed-job-500", "jobs fail, and retrieving a failed job answers 500 instead of 200 + failed",
          "vLLM-Omni", ("response.not-server-error",), setup=jobs.fail_jobs(),
          around={"retrieve": operations.failed_job_answer(500)}),
    Fault("failed-job-404", "jobs fail, and retrieving a failed job answers 404 instead of 200 + failed",
          "vLLM-Omni (failed jobs dropped from the job table)", ("lifecycle.retrieve-stable",), setup=jobs.fail_jobs(),
          around={"retrieve": operations.failed_job_answer(404)}),
    # ---- content --------------------------------------------------------------------------
    Fault("content-octet-stream", "content is served as application/octet-stream",
          "a static file server without a type map", ("response.content-type",),
          around={"content": operations.content_octet_stream}),
    Fault("content-variant-ignored", "variant is ignored: thumbnail and spritesheet are the MP4",
          "SGLang diffusion (one file per job)", ("content.download",), around={"content": operations.drop_query("variant")}),
    Fault("not-ready-409", "content of an unfinished job is 409 Conflict, not 404: the openai SDK retries it "
          "and an early download waits, then quietly succeeds", "the mock's own earlier answer; REST habits",
          ("response.status-documented",), around={"content": operations.not_ready_409}),
    Fault("content-before-completion", "content is served (200) before the job completes",
          "a placeholder file served early", ("content.not-ready-rejected",), around={"content": operations.content_early}),
    # ---- list -----------------------------------------------------------------------------
    Fault("list-ignores-limit", "GET /videos ignores limit (always 20)", "pagination not implemented",
          ("list.limit-honoured", "list.limit-range"), around={"list": operations.drop_query("limit")}),
    Fault("list-limit-min-1", "GET /videos refuses limit=0 with 400: the smallest page it serves is 1",
          "a request model with `limit: int = Query(20, ge=1)`", ("list.limit-range",),
          around={"list": operations.limit_at_least_one}),
    Fault("list-ignores-order", "GET /videos ignores order (always newest first)", "order not implemented",
          ("list.order-honoured",), around={"list": operations.drop_query("order")}),
    Fault("list-ignores-after", "GET /videos ignores after (every page starts at the top)", "cursor not implemented",
          ("list.after-honoured",), around={"list": operations.drop_query("after")}),
    Fault("list-has-more-false", "GET /videos always says has_more false", "has_more hard-coded",
          ("list.limit-honoured",), around={"list": operations.list_change(lambda b: b.__setitem__("has_more", False))}),
    Fault("list-cursor-fields-missing", "the list has no first_id / last_id", "list shaped by hand",
          ("response.list.schema",),
          around={"list": operations.list_change(lambda b: [b.pop(k, None) for k in ("first_id", "last_id")])}),
    # ---- delete ---------------------------------------------------------------------------
    Fault("delete-returns-video", "DELETE answers the whole Video with status 'deleted'", "SGLang diffusion",
          ("response.deleted.schema",), around={"delete": operations.delete_returns_video}),
    Fault("delete-204", "DELETE answers 204 No Content", "REST habits",
          ("response.status-documented",),
          around={"delete": operations.delete_204}),
    Fault("no-delete-route", "there is no DELETE route: DELETE /videos/{id} is 405 (before any key check)",
          "servers that leave deletion out (contract-notes: no DELETE route)", ("delete.returns-deletion",),
          asgi=transport.route_missing("DELETE", transport.VIDEO_PATH, allow=("GET", "HEAD"))),
    Fault("delete-soft", "DELETE answers the deletion but the video stays retrievable (200)",
          "soft deletes", ("delete.then-not-found",), around={"delete": operations.delete_soft}),
    # ---- errors ---------------------------------------------------------------------------
    Fault("unknown-id-500", "an unknown id crashes the server (500)", "store lookups without a guard",
          ("response.not-server-error",),
          around={op: operations.on_not_found(lambda i: crash(f"KeyError: {i!r}")) for op in ("retrieve", "delete", "content", "remix")}),
    Fault("unknown-id-400", "an unknown id is answered 400 'invalid id'", "id validation before lookup",
          ("errors.unknown-id-not-found", "response.status-documented"),
          around={op: operations.on_not_found(lambda i: invalid(f"Invalid video id: '{echoed(i)}'.", "video_id"))
                  for op in ("retrieve", "delete", "content", "remix")}),
    Fault("fastapi-detail", "errors are FastAPI's {\"detail\": \"...\"} (statuses unchanged)",
          "SGLang diffusion, FastAPI servers", ("response.error.envelope",), error=error_shapes.fastapi(False)),
    Fault("fastapi-422", "validation errors are 422 {\"detail\": [...]}, other errors {\"detail\": \"...\"}",
          "FastAPI's default validation handler", ("response.status-documented", "response.error.envelope"),
          error=error_shapes.fastapi(True)),
    Fault("error-message-only", "errors are {\"error\": {\"message\": ...}} without type, param, code",
          "SGLang diffusion", ("response.error.envelope",), error=error_shapes.message_only),
    Fault("html-errors", "error answers are HTML pages (text/html)", "a reverse proxy replacing error bodies "
          "(nginx proxy_intercept_errors)", ("response.content-type",), error=error_shapes.html_page),
    Fault("auth-403", "a wrong API key is answered 403, not 401", "gateways that use 403 for bad keys",
          ("response.status-documented",), error=error_shapes.wrong_key_403),
    # ---- transport ------------------------------------------------------------------------
    Fault("hang-remix", "POST /videos/{id}/remix never answers", "a remix endpoint waiting on a lock forever",
          ("response.transport",), around={"remix": operations.hang}),
    Fault("endless-list", "GET /videos streams a body that never ends", "a list generator that never stops",
          ("response.transport",), around={"list": operations.endless_list}),
    Fault("rate-limit-no-retry-after", f"every {RATE_LIMIT_EVERY}th request is answered 429 without Retry-After",
          "rate limiters that send no Retry-After", ("response.rate-limit.retry-after",), asgi=transport.rate_limit(None)),
    # ---- auth and remix -------------------------------------------------------------------
    Fault("auth-ignored", "the API key is not checked: no key and a wrong key are accepted",
          "self-hosted servers started without --api-key", ("auth.missing-key-rejected", "auth.wrong-key-rejected"),
          asgi=transport.with_authorization(present_only=False)),
    Fault("auth-presence-only", "any API key is accepted; only a missing one is refused",
          "proxies that check the header's presence", ("auth.wrong-key-rejected",),
          asgi=transport.with_authorization(present_only=True)),
    Fault("auth-skipped-on-content", "GET /videos/{id}/content needs no API key (served like a static file)",
          "downloads routed around the auth middleware", ("auth.missing-key-rejected", "auth.wrong-key-rejected"),
          asgi=transport.content_without_key),
    Fault("no-remix-route", "there is no remix route: POST /videos/{id}/remix is 404 (before any key check)",
          "servers that leave remix out (contract-notes: no remix route)", ("remix.sets-source",),
          asgi=transport.route_missing("POST", transport.VIDEO_PATH + "/remix")),
    Fault("remix-no-source", "a remix does not name its source (remixed_from_video_id null)",
          "remix implemented as a plain create", ("remix.sets-source",),
          video=videos.set_fields(remixed_from_video_id=None)),
    # ---- edits and extensions --------------------------------------------------------------
    Fault("no-edits-route", "there is no edits route: POST /videos/edits is 405, taken by /videos/{video_id} "
          "(before any key check)", "most self-hosted servers (SGLang, vLLM-Omni): no edits",
          ("edit.offered",), asgi=transport.route_missing("POST", "/videos/edits", allow=("DELETE", "GET", "HEAD"))),
    Fault("no-extensions-route", "there is no extensions route: POST /videos/extensions is 404",
          "most self-hosted servers: no extensions", ("extend.offered",),
          asgi=transport.route_missing("POST", "/videos/extensions")),
    Fault("edit-multipart-refused", "edits take JSON only: the multipart body the openai SDK sends is refused (415)",
          "an edit endpoint written from the JSON example", ("edit.by-id-accepted", "edit.by-file-accepted"),
          around={"edit": operations.refuse_media_type("multipart/form-data")}),
    Fault("source-file-refused", "edits and extensions take a source by id only: an uploaded video is refused (400)",
          "servers that edit their own generations only", ("edit.by-file-accepted", "extend.accepted"),
          around={"edit": operations.source_file_refused, "extend": operations.source_file_refused}),
    Fault("edit-prompt-optional", "an edit without prompt is accepted (prompt null)",
          "a request model with `prompt: str | None = None`", ("edit.missing-fields-rejected",),
          spec=spec_edits.unrequire_in(("EditVideoRequest", "EditVideoMultipartRequest"), "prompt")),
    Fault("edit-returns-source", "an edit by id answers the source video itself, not a new job",
          "an edit endpoint that returns the video it looked up",
          # the source is an earlier job, and completed: not a new id, not a new job's status
          ("edit.result-is-a-job", "video.ids-unique", "create.initial-status"),
          around={"edit": operations.source_returned}),
    Fault("derived-not-retrievable", "edits and extensions answer a new job that GET /videos/{id} does not know (404)",
          "derived jobs kept in a table of their own that the retrieve route never reads",
          ("edit.result-is-a-job", "extend.accepted"), around={"retrieve": operations.derived_not_retrievable}),
    Fault("derived-jobs-never-finish", "the jobs of edits and extensions stay in_progress at 99% forever; "
          "plain creates finish", "a second pipeline (source decoding, then generation) whose last step never "
          "reports back", ("edit.result-completes",), state=jobs.derived_never_finish),
    Fault("unknown-source-500", "an edit or extension of an unknown video id crashes the server (500)",
          "a source lookup with dict[...]", ("response.not-server-error",),
          around={op: operations.on_error_code("video_not_found", lambda e: crash(f"KeyError: {e.message}"))
                  for op in ("edit", "extend")}),
    Fault("unknown-source-400", "an edit or extension of an unknown video id is answered 400 'invalid video', not 404",
          "id validation before lookup", ("edit.unknown-source-not-found",),
          around={op: operations.on_error_code("video_not_found", lambda e: invalid(
              "Invalid 'video.id': no such video.", "video", "invalid_value")) for op in ("edit", "extend")}),
    Fault("unfinished-source-429", "an edit or extension of an unfinished video is 429 'try again later', which the "
          "openai SDK retries silently", "a source not ready treated as back-pressure", ("edit.unfinished-source-rejected",),
          around={op: operations.on_error_code("video_not_ready", lambda e: APIError(
              429, "The source video is still being generated; try again later.", param=e.param, code=e.code,
              headers={"Retry-After": "1"})) for op in ("edit", "extend")}),
    Fault("unfinished-source-409", "an edit or extension of an unfinished video is 409 Conflict, which the openai SDK "
          "retries", "REST habits (409 for a resource in the wrong state)",
          ("response.status-documented",),
          around={op: operations.on_error_code("video_not_ready", lambda e: APIError(409, e.message, param=e.param,
                                                                                     code=e.code))
                  for op in ("edit", "extend")}),
    Fault("extension-seconds-segment", "an extension reports the new segment's seconds, not the stitched total",
          "seconds copied from the request", ("extend.seconds-stitched",), video=videos.extension_segment),
    Fault("extension-seconds-number", "an extension reports its stitched total as a JSON number (12), not a string",
          "seconds added up as integers and never turned back into a string", ("response.video.schema",),
          video=videos.extension_seconds_number),
    Fault("extension-seconds-optional", "an extension without seconds is accepted (it adds nothing)",
          "a request model with a default for seconds", ("extend.missing-fields-rejected",),
          spec=spec_edits.unrequire_in(("ExtendVideoRequest", "ExtendVideoMultipartRequest"), "seconds")),
    # ---- characters ------------------------------------------------------------------------
    Fault("no-characters-route", "there are no character routes: POST /videos/characters is 405, "
          "GET /videos/characters/{id} 404", "most self-hosted servers: no characters", ("character.offered",),
          asgi=transport.chain(transport.route_missing("POST", "/videos/characters", allow=("DELETE", "GET", "HEAD")),
                               transport.route_missing("GET", "/videos/characters/[^/]+"))),
    Fault("character-name-limit-79", "a character name of exactly 80 characters is refused (off by one)",
          "off-by-one length check", ("character.name-boundaries-accepted",),
          spec=spec_edits.set_component("CharacterName", {"type": "string", "minLength": 1, "maxLength": 79})),
    Fault("character-name-unchecked", "character names of any length are accepted, the empty one too",
          "no length check on the name", ("character.name-out-of-range-rejected",),
          spec=spec_edits.set_component("CharacterName", {"type": "string"})),
    Fault("character-name-optional", "a character without name is accepted (name null)",
          "a request model with `name: str | None = None`", ("character.missing-fields-rejected",),
          spec=spec_edits.unrequire_in(("CreateCharacterRequest",), "name")),
    Fault("upload-unchecked", "uploaded videos are stored without being inspected: text and images are accepted",
          "the upload saved to disk as it came", ("character.not-video-rejected",), upload=creates.upload_unchecked),
    Fault("character-not-stored", "characters are answered but not kept: retrieving one is 404",
          "a per-worker dictionary, or a create that never commits", ("character.retrievable",),
          around={"get_character": operations.character_not_stored}),
    Fault("character-unknown-500", "an unknown character id crashes the server (500)", "a lookup with dict[...]",
          ("response.not-server-error",),
          around={"get_character": operations.on_error_code("character_not_found",
                                                            lambda e: crash(f"KeyError: {e.message}"))}),
    Fault("character-unknown-placeholder", "an unknown character id is answered 200 with a placeholder character",
          "a cache that creates an entry on every read", ("character.unknown-id-not-found",),
          around={"get_character": operations.on_error_code_answer("character_not_found", operations.placeholder_character)}),
    Fault("character-created-at-iso", "a character's created_at is an ISO 8601 string", "Go's time.Time JSON encoding",
          ("response.character.schema",),
          around={op: operations.transform_json(lambda body: {**body, "created_at": videos.iso(body["created_at"])})
                  for op in ("create_character", "get_character")}),
    Fault("characters-without-auth", "the character routes need no API key", "routes added outside the auth "
          "middleware", ("auth.missing-key-rejected", "auth.wrong-key-rejected"),
          asgi=transport.without_key_under("/videos/characters")),
    Fault("edits-without-auth", "the edits and extensions routes need no API key", "routes added outside the auth "
          "middleware", ("auth.missing-key-rejected", "auth.wrong-key-rejected"),
          asgi=transport.chain(transport.without_key_under("/videos/edits"),
                               transport.without_key_under("/videos/extensions"))),
    # ==== clean variants: a correct suite passes these =====================================
    Fault("extra-fields", "extra fields everywhere: file_path, usage, quality, metadata in Videos; total in lists; "
          "deleted_at in deletions; request_id in errors", "SGLang (file_path), Azure (usage), OpenAI's additions",
          video=videos.extra_fields, error=error_shapes.error_extra_fields,
          around={"list": operations.list_change(operations.extra_list_fields), "delete": operations.transform_json(operations.extra_deleted_fields)}),
    Fault("id-video-gen-hex", "ids are video_gen_<hex>", "vLLM-Omni",
          new_id=lambda prompt: "video_gen_" + secrets.token_hex(12)),
    Fault("id-uuid", "ids are bare UUIDs", "gateways using UUID primary keys",
          new_id=lambda prompt: str(uuid.uuid4())),
    Fault("random-durations", "each job takes 0.3 to 3 times --job-seconds", "real generation times vary",
          setup=jobs.random_duration),
    Fault("all-jobs-fail", "every job fails properly: 200, status failed, error {code, message}",
          "a server out of GPU memory", setup=jobs.fail_jobs(message="The GPU ran out of memory.")),
    Fault("some-jobs-fail", "every third job fails properly", "flaky generation", setup=jobs.fail_jobs(every=3)),
    Fault("reset-after-error", "after an error answer, the next request on that kept-alive connection is reset before "
          "any answer (the openai SDK sends it again on a fresh connection)", "servers that drop a connection "
          "after an error", (), asgi=transport.reset_after_error),
    Fault("slow-responses", "every answer takes 100-300 ms", "a busy server", asgi=transport.asgi_wrapper(transport.slow)),
    Fault("rate-limited", f"every {RATE_LIMIT_EVERY}th request is answered 429 with Retry-After: 1",
          "OpenAI, gateways", asgi=transport.rate_limit("1")),
    Fault("in-progress-at-create", "jobs start in_progress (progress 0), never queued",
          "servers without a queue", state=jobs.in_progress_at_create),
    Fault("no-poll-after-header", "no openai-poll-after-ms header on retrieve", "every server but OpenAI",
          around={"retrieve": operations.no_poll_header}),
    Fault("unknown-model-rejected", "unknown model names are refused with 400", "OpenAI", spec=spec_edits.model_closed),
    Fault("unknown-parameters-ignored", "unknown parameters are ignored instead of refused", "most self-hosted servers",
          rules=spec_edits.tolerate_unknown_parameters),
    Fault("error-code-is-status", "error.code is the HTTP status as a string ('404')", "LiteLLM proxy",
          error=error_shapes.code_is_status),
    Fault("expires-null", "expires_at stays null (assets never expire)", "self-hosted servers",
          video=videos.set_fields(expires_at=None)),
    Fault("seconds-actual-duration", "a completed video reports its actual duration ('4.04')",
          "servers reporting the encoded clip's length", video=videos.actual_duration),
    Fault("gzip-responses", "every answer is gzip-compressed", "nginx gzip on", asgi=transport.gzip),
    Fault("preexisting-videos", "150 older videos (some failed, other models) exist before the run",
          "a shared server in use", startup=jobs.seed_videos),
    Fault("concurrent-clients", "another client creates (and deletes) a video every 50 ms during the run",
          "a shared server in use", asgi=transport.neighbours),
    Fault("list-stable-by-seconds", "the list is sorted by created_at in whole seconds with a stable sort: videos "
          "of the same second keep creation order in both directions", "most self-hosted servers (ORDER BY "
          "created_at on a seconds column)", around={"list": operations.list_stable_by_seconds}),
    Fault("no-date-header", "answers carry no Date header", "minimal HTTP servers", asgi=transport.asgi_wrapper(transport.no_date)),
    Fault("chunked-responses", "every answer is sent in 1 KiB chunks without Content-Length",
          "streaming servers and proxies", asgi=transport.asgi_wrapper(transport.chunked)),
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


def check_names(names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(CATALOGUE))
    if unknown:
        raise UnknownFault(f"unknown fault {unknown[0]!r}; `videos-contract mock --list-faults` lists them")


def fault_set(names: Iterable[str]) -> FaultSet:
    """The catalogue's faults of these names, in name order (ValueError for an unknown name)."""
    names = sorted(set(names))
    check_names(names)
    return FaultSet(CATALOGUE[name] for name in names)
