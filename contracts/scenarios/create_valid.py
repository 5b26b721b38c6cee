"""Valid creates: boundaries, every enum value, both encodings, image references."""

from __future__ import annotations

import base64
from typing import Any

from contracts import cases, checks, lifecycle
from contracts.cases import Case
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable
from contracts.scenarios.state import RunState

ECHOED = ("prompt", "model", "size", "seconds")
FOLLOWED_JOBS = 4  # following a few jobs shows the lifecycle; more only costs requests
UNUSUAL_PROMPTS = {
    "emoji and ZWJ sequences": "A cat 🐱‍👤 surfing a wave 🌊 at dusk, 👩🏽‍🚀 waving",
    "a NUL character": "before\x00after: a lighthouse in fog",
    "right-to-left and combining marks": "مرحبا بالعالم — שלום עולם — cafe\u0301 re\u0301sume\u0301",
}


def accept(ctx: RunContext, state: RunState, case: Case, clause_ids: list[str]) -> dict[str, Any] | None:
    """Send a create that must be accepted; evaluate the acceptance clauses and the echo semantics."""
    try:
        response = ctx.send(case)
    except NotVerifiable as reason:
        for cid in clause_ids:
            ctx.recorder.not_verified(cid, str(reason))
        return None
    video = None
    for cid in clause_ids:
        with ctx.recorder.clause(cid, case, response):
            video = ctx.video(cid, response, f"'{case.name}'")
    if video is None:
        return None
    check_created(ctx, case, response, video)
    state.jobs.append(video)
    if len(ctx.tracks) < FOLLOWED_JOBS:
        lifecycle.track(ctx, video)  # followed from now on, while the run goes on
    return video


def check_created(ctx: RunContext, case: Case, response, video: dict[str, Any]) -> None:
    sent = case.params
    with ctx.recorder.clause("create.echoes-request", case, response):
        for name in ECHOED:
            if name in sent and video.get(name, "(missing)") != sent[name]:
                raise ContractViolation("create.echoes-request", f"the create response does not echo {name}",
                                        field=f"$.{name}", received=video.get(name, "(missing)"), expected=sent[name])
    omitted = [name for name in ctx.rules.defaults if name not in sent]
    if omitted:
        with ctx.recorder.clause("create.defaults-applied", case, response):
            for name in omitted:
                default = ctx.rules.defaults[name]
                if video.get(name, "(missing)") != default:
                    raise ContractViolation("create.defaults-applied", f"{name} was omitted but is not the default",
                                            field=f"$.{name}", received=video.get(name, "(missing)"), expected=default)
    with ctx.recorder.clause("create.initial-status", case, response):
        if video.get("status") not in ("queued", "in_progress"):
            raise ContractViolation("create.initial-status", "a new job must start queued or in_progress",
                                    field="$.status", received=video.get("status"), expected="queued or in_progress")
    created = video.get("created_at")
    if isinstance(created, int) and not isinstance(created, bool):
        with ctx.recorder.clause("video.timestamps-unix-seconds", case, response):
            now = checks.server_now(response)
            if abs(created - now) > checks.CLOCK_SKEW:
                raise ContractViolation("video.timestamps-unix-seconds", "a job created just now has a created_at "
                                        f"{int(created - now):+d} s away from the server's clock", field="$.created_at",
                                        received=created, expected=f"about {int(now)} (±{checks.CLOCK_SKEW} s)")
    with ctx.recorder.clause("create.remixed-from-null", case, response):
        if video.get("remixed_from_video_id", "(missing)") is not None:
            raise ContractViolation("create.remixed-from-null", "a plain create has remixed_from_video_id set",
                                    field="$.remixed_from_video_id", received=video.get("remixed_from_video_id", "(missing)"),
                                    expected=None)


def data_url(width: int, height: int) -> str:
    return "data:image/png;base64," + base64.b64encode(cases.image_bytes(width, height)).decode()


def minimal(ctx: RunContext, state: RunState) -> None:
    """The shortest creates, first: the lifecycle follows these jobs from their very start."""
    shortest = "a" * ctx.rules.prompt_min
    for encoding in ("json", "multipart"):
        case = cases.create(f"prompt of {ctx.rules.prompt_min} character", encoding, {"prompt": shortest})
        ctx.coverage.boundary(f"prompt.length ({encoding})", ctx.rules.prompt_min)
        accept(ctx, state, case, ["create.prompt.min-length-accepted", f"create.{encoding}-accepted",
                                  "create.optional-fields-omittable"])


def run(ctx: RunContext, state: RunState) -> None:
    rules, cov = ctx.rules, ctx.coverage
    both = ctx.creates_left is None or ctx.creates_left >= 60  # every value in both encodings when affordable

    # Every enum value, cycling the three enums together to spend few jobs.
    sweep = max(len(rules.models), len(rules.seconds), len(rules.sizes))
    encodings = ("json", "multipart")
    for i in range(sweep * (2 if both else 1)):
        encoding = encodings[i % 2] if not both else encodings[i // sweep]
        params = {"prompt": f"enum sweep {i}: a paper boat on a river",
                  "model": rules.models[i % len(rules.models)],
                  "seconds": rules.seconds[i % len(rules.seconds)],
                  "size": rules.sizes[i % len(rules.sizes)]}
        for name in ("model", "seconds", "size"):
            cov.enum(name, params[name], encoding)
        case = cases.create(f"model={params['model']} seconds={params['seconds']} size={params['size']}", encoding, params)
        accept(ctx, state, case, ["create.model.every-value-accepted", "create.seconds.every-value-accepted",
                                  "create.size.every-value-accepted", f"create.{encoding}-accepted"])

    # The longest prompts, ASCII and multi-byte (the limit counts characters, not bytes).
    longest = ("videos-contract boundary " * (rules.prompt_max // 20 + 1))[: rules.prompt_max]
    cov.boundary("prompt.length (json)", rules.prompt_max)
    accept(ctx, state, cases.create(f"prompt of {rules.prompt_max} ASCII characters", "json", {"prompt": longest}),
           ["create.prompt.max-length-accepted"])
    multibyte = [("json", "é", "2-byte"), ("multipart", "🎬", "4-byte")]
    affordable = ctx.creates_left is None or ctx.creates_left > 20
    for encoding, char, label in multibyte if affordable else multibyte[:1]:
        cov.boundary(f"prompt.length multi-byte ({encoding})", rules.prompt_max)
        accept(ctx, state, cases.create(f"prompt of {rules.prompt_max} {label} characters", encoding,
                                        {"prompt": char * rules.prompt_max}),
               ["create.prompt.multibyte-max-length-accepted"])

    for (label, prompt), encoding in zip(UNUSUAL_PROMPTS.items(), ("json", "json", "multipart")):
        accept(ctx, state, cases.create(f"prompt with {label}", encoding, {"prompt": prompt}),
               ["create.prompt.unusual-unicode-accepted"])

    # Image references: an uploaded image of the requested size, and image_url in both encodings.
    size = rules.sizes[1 % len(rules.sizes)]
    width, height = rules.pixel_size(size)
    case = cases.create(f"input_reference PNG {width}x{height} with size={size}", "multipart",
                        {"prompt": "animate this reference", "size": size}, files=[cases.image_file(width, height)])
    accept(ctx, state, case, ["create.image-reference-accepted", "create.multipart-accepted"])
    default_w, default_h = rules.pixel_size(rules.defaults["size"])
    url = data_url(default_w, default_h)
    accept(ctx, state, cases.create("input_reference {image_url: data URL}", "json",
                                    {"prompt": "animate this reference", "input_reference": {"image_url": url}}),
           ["create.image-url-reference-accepted", "create.json-accepted"])
    bracket = cases.create("input_reference[image_url] bracket field", "multipart",
                           {"prompt": "animate this reference", "input_reference[image_url]": url})
    bracket.params = {"prompt": "animate this reference"}
    accept(ctx, state, bracket, ["create.image-url-reference-accepted", "create.multipart-accepted"])

    # Each optional field omitted in turn (the others set to non-default values), defaults filled in.
    non_default = {name: next((v for v in values if v != rules.defaults[name]), rules.defaults[name])
                   for name, values in (("model", rules.models), ("seconds", rules.seconds), ("size", rules.sizes))}
    for i, omitted in enumerate(non_default):
        params = {"prompt": f"without {omitted}", **{k: v for k, v in non_default.items() if k != omitted}}
        accept(ctx, state, cases.create(f"{omitted} omitted", encodings[i % 2], params),
               ["create.optional-fields-omittable", "create.defaults-applied"])
