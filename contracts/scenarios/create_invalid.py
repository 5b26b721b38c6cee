"""Invalid creates must be rejected with 400; unknown models and parameters are tolerated.

Each case is the accepted baseline with one property made invalid, in the encoding it names when
the target takes that encoding (else in the one it takes): a rejection then says the property was
checked, not that the request was refused for something else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts import cases
from contracts.cases import Case, NotSent
from contracts.scenarios.common import Step, accepted_video, send
from contracts.scenarios.create_valid import Tolerated

if TYPE_CHECKING:
    from contracts.state import RunState

NOT_AN_IMAGE = ("input_reference", "reference.png", "image/png", b"this is plain text, not a PNG image\n")
NO_CREATE = "no create was accepted"


def invalid_cases(state: "RunState") -> list[tuple[str, Case | None, str]]:
    """(clause, case or None when it cannot be built, why not) in the order they are sent."""
    rules, base = state.rules, state.baseline
    over = rules.prompt_max + 1
    bad_seconds = next(v for v in ("10", "5", "7", "99") if v not in rules.seconds)
    bad_size = next(v for v in ("640x480", "100x100", "1920x1080") if v not in rules.sizes)
    size = rules.defaults["size"]  # given explicitly with the image (see create_valid)
    width, height = rules.pixel_size(size)
    wrong = (width // 2 or 1, height // 2 or 1)
    for encoding, length in (("json", 0), ("multipart", 0), ("json", over), ("multipart", over)):
        state.coverage.boundary(f"prompt.length ({encoding})", length)

    def case(name, clause_id, encoding="json", only=False, **kwargs) -> tuple[str, Case | None, str]:
        built = base.case(name, clause_id, "rejected", encoding=encoding, only=only, **kwargs)
        return clause_id, built, f"no {encoding if only else ''} create was accepted".replace("  ", " ")

    return [
        case("no prompt", "create.prompt.missing-rejected", "json", omit=("prompt",)),
        case("no prompt", "create.prompt.missing-rejected", "multipart", omit=("prompt",)),
        case("empty prompt", "create.prompt.empty-rejected", "json", prompt=""),
        case("empty prompt", "create.prompt.empty-rejected", "multipart", prompt=""),
        case(f"prompt of {over} ASCII characters", "create.prompt.over-max-rejected", "json", prompt="a" * over),
        case(f"prompt of {over} 2-byte characters", "create.prompt.over-max-rejected", "multipart", prompt="é" * over),
        case(f"seconds={bad_seconds!r}", "create.seconds.invalid-value-rejected", "json", changes={"seconds": bad_seconds}),
        case(f"seconds={bad_seconds}", "create.seconds.invalid-value-rejected", "multipart",
             changes={"seconds": bad_seconds}),
        case("seconds as a JSON integer", "create.seconds.wrong-type-rejected", "json", only=True,
             changes={"seconds": int(rules.seconds[-1])}),
        case("seconds null", "create.seconds.wrong-type-rejected", "json", only=True, changes={"seconds": None}),
        case(f"size={bad_size}", "create.size.invalid-value-rejected", "json", changes={"size": bad_size}),
        case(f"size={bad_size}", "create.size.invalid-value-rejected", "multipart", changes={"size": bad_size}),
        # Not an image first: a server that does not decode the upload cannot check its size either.
        case("input_reference that is plain text named .png", "create.image-reference.not-image-rejected", "multipart",
             only=True, changes={"size": size}, files=[NOT_AN_IMAGE]),
        case(f"input_reference {wrong[0]}x{wrong[1]} PNG (size {size})", "create.image-reference.wrong-size-rejected",
             "multipart", only=True, changes={"size": size}, files=[cases.image_file(*wrong)]),
    ]


def run(state: "RunState") -> Step:
    sent: set[tuple[str, str, str]] = set()
    for clause_id, case, unmet in invalid_cases(state):
        if case is not None:
            key = (clause_id, case.name, case.encoding)
            if key in sent:
                continue  # the encoding it names is not taken: already sent in the other one
            sent.add(key)
        if clause_id == "create.image-reference.wrong-size-rejected" and \
                state.failed("create.image-reference.not-image-rejected"):
            yield NotSent(clause_id, "the server does not check that the file is an image",
                          blocked_by="create.image-reference.not-image-rejected")
            continue
        yield from send(state, case, clause_id, unmet)
    if state.baseline.accepts("json"):
        for name, body in (("truncated JSON", b'{"prompt": "a cat'), ("JSON array instead of an object", b'["a cat"]')):
            yield from send(state, cases.raw_create(name, body, "application/json", clause="create.json.malformed-rejected",
                                                    expect="rejected"), "create.json.malformed-rejected", NO_CREATE)
    else:
        yield NotSent("create.json.malformed-rejected", "no JSON create was accepted")
    # Tolerated either way: accepted or refused with 400, never a 5xx. Both go in one create (a job
    # if accepted, deleted at once): accepted, both were; any other answer may hide what the other
    # one does (a 400 for the parameter before the model is looked up), so each is then sent alone.
    base = state.baseline
    unknown = (("unknown model name", "create.unknown-model-handled", {"model": "videos-contract-unknown-model"}),
               ("unknown parameter", "create.unknown-parameter-handled", {"videos_contract_unknown": "x"}))
    if state.options.examples > 0 and base.any:
        # A generated valid create carries the unknown model name (create_valid.carry: no job of its
        # own; a generated body may name any model); the unknown parameter, which no valid body
        # has, goes alone.
        name, clause_id, changes = unknown[0]
        state.carried.append(Tolerated(changes, (clause_id,), base.case(name, clause_id, "tolerated", changes=changes)))
        name, clause_id, changes = unknown[1]
        yield from send(state, base.case(name, clause_id, "tolerated", changes=changes), clause_id, NO_CREATE)
        return
    packed = base.case("unknown model name + unknown parameter", None, "tolerated",
                       changes={k: v for _, _, changes in unknown for k, v in changes.items()})
    if packed is not None:
        packed.carries = tuple(clause_id for _, clause_id, _ in unknown)
        answer = yield from send(state, packed, unknown[0][1], NO_CREATE)
        if accepted_video(answer) is not None:
            return  # both carried clauses passed (checks/expectations.py: carried)
    for name, clause_id, changes in unknown:
        yield from send(state, base.case(name, clause_id, "tolerated", changes=changes), clause_id, NO_CREATE)
