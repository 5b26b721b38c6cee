"""Valid creates: the baseline first, then boundaries, every enum value, image references.

Every case after the baseline is built from it (``Baseline.case``) and tests one clause: it varies
exactly that clause's property from a create the target accepted, so its outcome counts for that
clause alone (the engine judges it: ``Case.clause``/``Case.expect``).
"""

from __future__ import annotations

import base64
from typing import Any

from contracts import baseline as baselines
from contracts import cases, lifecycle
from contracts.cases import Case
from contracts.client import Response
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable
from contracts.scenarios.state import RunState

OMITTED = "(omitted)"  # in RunState.refused: (field, OMITTED) when leaving the field out was refused
FOLLOWED_JOBS = 4  # following a few jobs shows the lifecycle; more only costs requests
SWEEP_PROMPT = "enum sweep: a paper boat on a river"  # shared on purpose: ids derived from prompts collide
UNUSUAL_PROMPTS = {
    "emoji and ZWJ sequences": "A cat 🐱‍👤 surfing a wave 🌊 at dusk, 👩🏽‍🚀 waving",
    "a NUL character": "before\x00after: a lighthouse in fog",
    "right-to-left and combining marks": "مرحبا بالعالم — שלום עולם — cafe\u0301 re\u0301sume\u0301",
}
# The multi-byte characters of the maximum-length prompts: (encoding, character, label). A short
# prompt of the same character is sent first, as an unusual-unicode case: the long one is judged
# only when the character itself is accepted.
MULTIBYTE = (("json", "é", "2-byte"), ("multipart", "🎬", "4-byte"))
MULTIBYTE_CONTROL_LENGTH = 40
ENUMS = (("model", "models"), ("seconds", "seconds"), ("size", "sizes"))
OTHER_ENCODING_SWEEP_CREATES = 40  # the enum values are tried in the second encoding when this many creates are left


def accepted_video(response: Response) -> dict[str, Any] | None:
    """The Video of an accepted create (2xx, a JSON object with an id), else None."""
    if not response.ok or not 200 <= response.status < 300:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("id"), str) else None


def keep(ctx: RunContext, state: RunState, video: dict[str, Any]) -> None:
    """Keep an accepted job for the steps after (lifecycle, list, delete...)."""
    state.jobs.append(video)
    if len(ctx.tracks) < FOLLOWED_JOBS:
        lifecycle.track(ctx, video)  # followed from now on, while the run goes on


def send(ctx: RunContext, state: RunState, case: Case | None, clause_id: str, unmet: str) -> Response | None:
    """Send a case built from the baseline; None when it could not be built or sent (its clause is
    then blocked by the failure that took its encoding away, or not verified)."""
    if case is None:
        ctx.recorder.unmet(clause_id, unmet)
        return None
    try:
        response = ctx.send(case)
    except NotVerifiable as reason:
        ctx.recorder.not_verified(clause_id, str(reason))
        return None
    video = accepted_video(response)
    if video is not None:
        keep(ctx, state, video)
    return response


def data_url(width: int, height: int) -> str:
    return "data:image/png;base64," + base64.b64encode(cases.image_bytes(width, height)).decode()


# ---- the baseline ---------------------------------------------------------------------------
def baseline(ctx: RunContext, state: RunState) -> None:
    """Find the simplest create the target accepts, per encoding; decide the encoding clauses and
    whether optional fields can be omitted from what that learned (a refusal costs no job)."""
    found = baselines.candidates(ctx.rules)
    answers: dict[tuple[str, bool], tuple[Case, Response | None]] = {}
    for candidate in found:
        ctx.coverage.boundary(f"prompt.length ({candidate.encoding})", len(baselines.PROMPT))
        try:
            response = ctx.send(candidate.case)
        except NotVerifiable:
            response = None
        video = accepted_video(response) if response is not None else None
        answers[(candidate.encoding, candidate.full)] = (candidate.case, response)
        if video is not None:
            ctx.baseline.accepted.setdefault(candidate.encoding, dict(candidate.case.params))
            if candidate.full:
                ctx.baseline.explicit_defaults.add(candidate.encoding)
            keep(ctx, state, video)
    for encoding in baselines.ENCODINGS:
        _decide_encoding(ctx, encoding, answers)
    for encoding in baselines.ENCODINGS:
        _decide_omittable(ctx, encoding, answers)


def _accepted(answer: tuple[Case, Response | None]) -> bool:
    return answer[1] is not None and accepted_video(answer[1]) is not None


def _decide_encoding(ctx: RunContext, encoding: str, answers) -> None:
    clause_id = f"create.{encoding}-accepted"
    other = next(e for e in baselines.ENCODINGS if e != encoding)
    mine = [answers.get((encoding, full)) for full in (False, True)]
    mine = [a for a in mine if a is not None]
    if any(_accepted(a) for a in mine):
        ctx.recorder.passed(clause_id)
        return
    if not mine:
        ctx.recorder.not_verified(clause_id, "no baseline create was sent in this encoding")
        return
    for full in (False, True):
        answer, control = answers.get((encoding, full)), answers.get((other, full))
        if answer is None or control is None or not _accepted(control):
            continue
        case, response = answer
        if response is None or not response.ok:
            ctx.recorder.blocked(clause_id, "response.transport", f"'{case.name}' got no answer")
            return
        _fail(ctx, clause_id, case, response, f"'{case.name}' was refused while the same create as {other} "
              "was accepted")
        return
    if ctx.baseline.any:
        return  # refused here only where the other encoding refused too: not this encoding's fault
    if encoding != baselines.ENCODINGS[0]:
        ctx.recorder.blocked(clause_id, f"create.{baselines.ENCODINGS[0]}-accepted", "no create was accepted at all")
        return
    case, response = mine[-1]
    if response is None or not response.ok:
        ctx.recorder.blocked(clause_id, "response.transport", "the baseline creates got no answer")
        return
    _fail(ctx, clause_id, case, response, "no create was accepted in any encoding, with only the prompt or with "
          "model, seconds and size: every clause that needs a video is blocked")


def _decide_omittable(ctx: RunContext, encoding: str, answers) -> None:
    short, full = answers.get((encoding, False)), answers.get((encoding, True))
    if short is None:
        return
    if _accepted(short):
        ctx.recorder.passed("create.optional-fields-omittable")
    elif full is not None and _accepted(full) and short[1] is not None and short[1].ok:
        _fail(ctx, "create.optional-fields-omittable", short[0], short[1],
              f"'{short[0].name}' was refused while the same create with model, seconds and size was accepted")


def _fail(ctx: RunContext, clause_id: str, case: Case, response: Response, message: str) -> None:
    from contracts.checks import error_summary

    ctx.recorder.failed(ContractViolation(clause_id, message, field="status",
                                          received=f"{response.status} {error_summary(response)}".strip(),
                                          expected="200 and a Video"), case, response)


# ---- the valid cases, each built on the baseline ----------------------------------------------
def run(ctx: RunContext, state: RunState) -> None:
    rules, cov, base = ctx.rules, ctx.coverage, ctx.baseline

    # Each optional field omitted in turn, where only the prompt was refused: which one is required?
    for encoding in baselines.ENCODINGS:
        params = base.accepted.get(encoding)
        if params is None or set(params) == {"prompt"}:
            continue
        for name in ("model", "seconds", "size"):
            response = send(ctx, state, base.case(f"{name} omitted", "create.optional-fields-omittable", "accepted",
                                                  encoding=encoding, only=True, omit=(name,)),
                            "create.optional-fields-omittable", "no create was accepted")
            if response is not None and accepted_video(response) is None:
                state.refused.add((name, OMITTED))

    shortest = "a" * rules.prompt_min
    cov.boundary("prompt.length (json)", rules.prompt_min)
    send(ctx, state, base.case(f"prompt of {rules.prompt_min} character", "create.prompt.min-length-accepted",
                               "accepted", prompt=shortest), "create.prompt.min-length-accepted", "no create was accepted")

    # Every enum value, each in a case of its own (one property varied from the baseline).
    encoding = base.encoding("json")
    swept: list[tuple[str, str]] = []
    for name, key in ENUMS:
        values = list(getattr(rules, key))
        clause_id = f"create.{name}.every-value-accepted"
        # The default is shown accepted by the baseline when it was sent explicitly there.
        if encoding in base.explicit_defaults and len(values) > 1:
            values = [v for v in values if v != rules.defaults[name]]
        for value in values:
            case = base.case(f"{name}={value}", clause_id, "accepted", changes={name: value}, prompt=SWEEP_PROMPT)
            response = send(ctx, state, case, clause_id, "no create was accepted")
            if case is not None:
                cov.enum(name, value, case.encoding)
            if response is not None and accepted_video(response) is None:
                state.refused.add((name, value))
            elif response is not None:
                swept.append((name, value))
    # The same values in the other encoding, for that encoding's clause only: each was just
    # accepted in the first one (the control), so a refusal here is the encoding's.
    other = next((e for e in baselines.ENCODINGS if e != encoding and base.accepts(e)), None)
    if other and (ctx.creates_left is None or ctx.creates_left >= OTHER_ENCODING_SWEEP_CREATES):
        for name, value in swept:
            case = base.case(f"{name}={value}", f"create.{other}-accepted", "accepted", encoding=other, only=True,
                             changes={name: value})
            send(ctx, state, case, f"create.{other}-accepted", f"no {other} create was accepted")
            cov.enum(name, value, other)

    # The longest prompts, ASCII and multi-byte (the limit counts characters, not bytes).
    longest = ("videos-contract boundary " * (rules.prompt_max // 20 + 1))[: rules.prompt_max]
    cov.boundary("prompt.length (json)", rules.prompt_max)
    send(ctx, state, base.case(f"prompt of {rules.prompt_max} ASCII characters", "create.prompt.max-length-accepted",
                               "accepted", prompt=longest), "create.prompt.max-length-accepted", "no create was accepted")

    controls: dict[str, bool] = {}
    for (label, prompt), encoding in zip(UNUSUAL_PROMPTS.items(), ("json", "json", "multipart")):
        send(ctx, state, base.case(f"prompt with {label}", "create.prompt.unusual-unicode-accepted", "accepted",
                                   encoding=encoding, prompt=prompt),
             "create.prompt.unusual-unicode-accepted", "no create was accepted")
    for encoding, char, label in MULTIBYTE:
        case = base.case(f"prompt of {MULTIBYTE_CONTROL_LENGTH} {label} characters",
                         "create.prompt.unusual-unicode-accepted", "accepted", encoding=encoding,
                         prompt=char * MULTIBYTE_CONTROL_LENGTH)
        response = send(ctx, state, case, "create.prompt.unusual-unicode-accepted", "no create was accepted")
        controls[char] = response is not None and accepted_video(response) is not None

    multibyte = "create.prompt.multibyte-max-length-accepted"
    for encoding, char, label in MULTIBYTE:
        if ctx.recorder.has_failed("create.prompt.max-length-accepted"):
            ctx.recorder.blocked(multibyte, "create.prompt.max-length-accepted")
            continue
        if not controls.get(char):
            ctx.recorder.unmet(multibyte, f"a short prompt of {label} characters was not accepted")
            continue
        case = base.case(f"prompt of {rules.prompt_max} {label} characters", multibyte, "accepted", encoding=encoding,
                         prompt=char * rules.prompt_max)
        if case is not None:
            cov.boundary(f"prompt.length multi-byte ({case.encoding})", rules.prompt_max)
        send(ctx, state, case, multibyte, "no create was accepted")

    # Image references: an uploaded image of the default size, and image_url in both encodings.
    # The size is given: an image must match the size the server uses, which a server with another
    # default would not (that is create.defaults-applied's).
    size = rules.defaults["size"]
    width, height = rules.pixel_size(size)
    send(ctx, state, base.case(f"input_reference PNG {width}x{height} (size {size})", "create.image-reference-accepted",
                               "accepted", encoding="multipart", only=True, changes={"size": size},
                               files=[cases.image_file(width, height)]),
         "create.image-reference-accepted", "no multipart create was accepted")
    url = data_url(width, height)
    image_url = "create.image-url-reference-accepted"
    send(ctx, state, base.case("input_reference {image_url: data URL}", image_url, "accepted", encoding="json", only=True,
                               changes={"input_reference": {"image_url": url}, "size": size}),
         image_url, "no JSON create was accepted")
    bracket = base.case("input_reference[image_url] bracket field", image_url, "accepted", encoding="multipart",
                        only=True, changes={"input_reference[image_url]": url, "size": size})
    if bracket is not None:
        bracket.params.pop("input_reference[image_url]")
    send(ctx, state, bracket, image_url, "no multipart create was accepted")
