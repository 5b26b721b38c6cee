"""``body``, ``params`` and ``image`` hooks: how a create request is checked (prompt length
counting, refusals, crashes, coercions, reference images)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from contracts.mock.bodies import Body, UploadedFile
from contracts.mock.errors import APIError
from contracts.mock.faults.base import FaultContext, crash, invalid
from contracts.mock.media import NotAnImage, VideoInfo, decode_image
from contracts.mock.validation import CreateParams
from contracts.rules import CREATE


def _prompt_limit(ctx: FaultContext) -> int:
    return int(ctx.rules.spec.schema("Prompt")["maxLength"])


def length_in(unit: str, counter: Callable[[str], int]) -> Callable[[CreateParams, FaultContext], CreateParams]:
    def hook(params: CreateParams, ctx: FaultContext) -> CreateParams:
        limit = _prompt_limit(ctx)
        if params.prompt is not None and counter(params.prompt) > limit:
            raise invalid(f"Invalid 'prompt': string too long. Expected a string with maximum length {limit}, but got "
                          f"a string with length {counter(params.prompt)} ({unit}) instead.", "prompt",
                          "string_above_max_length")
        return params

    return hook


def crash_on_prompt(test: Callable[[str], bool], detail: str) -> Callable[[CreateParams, FaultContext], CreateParams]:
    def hook(params: CreateParams, ctx: FaultContext) -> CreateParams:
        if params.prompt is not None and test(params.prompt):
            raise crash(detail)
        return params

    return hook


def short_prompt(params: CreateParams, ctx: FaultContext) -> CreateParams:
    if params.prompt is not None and len(params.prompt.strip()) < 3:
        raise invalid("Invalid 'prompt': the prompt is too short to generate a video (at least 3 characters).",
                      "prompt", "prompt_too_short")
    return params


def _unknown_model(params: CreateParams, ctx: FaultContext) -> bool:
    return params.model not in (ctx.rules.choices.get("model") or ctx.rules.models)


def _unknown_fields(body: Body, ctx: FaultContext) -> list[str]:
    """The body's fields outside the documented ones, in the order sent."""
    name = ctx.rules.request_schema(CREATE, body.media_type)
    known = ctx.rules.spec.properties(name) if name else {}
    return [k for k in body.fields if k not in known]


def unknown_model_crash(params: CreateParams, ctx: FaultContext) -> CreateParams:
    if _unknown_model(params, ctx):
        raise crash(f"KeyError: {params.model!r}")
    return params


def unknown_parameter_crash(body: Body, ctx: FaultContext) -> None:
    extra = _unknown_fields(body, ctx)
    if extra:
        raise crash(f"TypeError: generate() got an unexpected keyword argument {extra[0]!r}")


def forwarded(params: CreateParams, ctx: FaultContext) -> CreateParams:
    """prompt-only-validation: whatever came is passed on; null becomes the default, the rest a string."""
    values = {}
    for name in ("model", "seconds", "size"):
        value = getattr(params, name)
        values[name] = ctx.rules.defaults[name] if value is None else value if isinstance(value, str) else json.dumps(value)
    return dataclasses.replace(params, **values)


def file_required(body: Body, ctx: FaultContext) -> None:
    if body.media_type == "multipart/form-data" and not any(isinstance(v, UploadedFile) for v in body.fields.values()):
        raise invalid("Missing required parameter: 'input_reference' (a file).", "input_reference",
                      "missing_required_parameter")


def data_url_refused(body: Body, ctx: FaultContext) -> None:
    for name, value in body.fields.items():
        url = value.get("image_url") if isinstance(value, dict) and name == "input_reference" else (
            value if name == "input_reference[image_url]" else None)
        if isinstance(url, str) and not url.startswith(("http://", "https://")):
            raise invalid("Invalid 'input_reference.image_url': the image could not be downloaded (only http and "
                          "https URLs are supported).", "input_reference", "invalid_image_url")


def seconds_coerced(body: Body, ctx: FaultContext) -> None:
    if "seconds" in body.fields:
        value = body.fields["seconds"]
        if value is None:
            del body.fields["seconds"]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            body.fields["seconds"] = str(int(value))


def form_values_json_decoded(body: Body, ctx: FaultContext) -> None:
    if body.media_type != "multipart/form-data":
        return
    for name, value in list(body.fields.items()):
        if isinstance(value, str):
            try:
                body.fields[name] = json.loads(value)
            except ValueError:
                pass


def image_transposed(params: CreateParams, ctx: FaultContext) -> None:
    width, _, height = params.size.partition("x")
    ctx.check_reference_image(dataclasses.replace(params, size=f"{height}x{width}"))


def image_any_size(params: CreateParams, ctx: FaultContext) -> None:
    try:
        decode_image(params.upload.data)
    except NotAnImage:
        raise invalid("Invalid 'input_reference': the uploaded file is not an image.", "input_reference",
                      "invalid_image") from None


def image_unchecked(params: CreateParams, ctx: FaultContext) -> None:
    return None


# ---- uploaded videos (edits, extensions, characters) -----------------------------------------
def upload_unchecked(upload: UploadedFile, ctx: FaultContext) -> VideoInfo:
    """``upload`` hook: the file is stored as a video whatever it holds (its duration unknown)."""
    return VideoInfo("video/mp4", None)


def refuse_prompt(test: Callable[[str], bool], message: str) -> Callable[[CreateParams, FaultContext], CreateParams]:
    """``params`` hook: a prompt ``test`` picks is refused with 400 and ``message``."""
    def hook(params: CreateParams, ctx: FaultContext) -> CreateParams:
        if params.prompt is not None and test(params.prompt):
            raise invalid(message, "prompt")
        return params

    return hook


def unknown_model_unauthorized(params: CreateParams, ctx: FaultContext) -> CreateParams:
    """``params`` hook: a model outside the documented list is answered 401, as a key scoped to models is."""
    if _unknown_model(params, ctx):
        raise APIError(401, f"This key is not allowed to access model={params.model!r}.", type="authentication_error",
                       param="model", code="model_not_allowed")
    return params


def unknown_parameter_unauthorized(body: Body, ctx: FaultContext) -> None:
    """``body`` hook: a body field outside the documented ones is answered 401 (a gateway's allow-list)."""
    extra = _unknown_fields(body, ctx)
    if extra:
        raise APIError(401, f"This key may not send the parameter {extra[0]!r}.", type="authentication_error",
                       param=extra[0], code="parameter_not_allowed")


def size_ignored(params: CreateParams, ctx: FaultContext) -> CreateParams:
    """``params`` hook: a size outside the documented list is replaced by the default size."""
    from contracts.spec import load_spec

    if params.size not in load_spec().enum("VideoSize"):  # the documented sizes (this fault opened the enum)
        return dataclasses.replace(params, size=ctx.rules.defaults["size"])
    return params


def validated_for_served_models(params: CreateParams, ctx: FaultContext) -> CreateParams:
    """``params`` hook: the prompt's minimum length is checked only for the documented models (this
    fault let every prompt length through the schema); any other model is forwarded as it came."""
    from contracts.spec import load_spec

    minimum = int(load_spec().schema("Prompt").get("minLength", 1))
    if params.model in load_spec().enum("VideoModel") and params.prompt is not None and len(params.prompt) < minimum:
        raise invalid(f"Invalid 'prompt': string too short. Expected a string with minimum length {minimum}, but got "
                      f"a string with length {len(params.prompt)} instead.", "prompt", "string_below_min_length")
    return params
