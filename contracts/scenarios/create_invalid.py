"""Invalid creates must be rejected with 400; unknown models and parameters are tolerated."""

from __future__ import annotations

from contracts import cases
from contracts.cases import Case
from contracts.context import RunContext
from contracts.scenarios.state import RunState

NOT_AN_IMAGE = ("input_reference", "reference.png", "image/png", b"this is plain text, not a PNG image\n")


def invalid_cases(ctx: RunContext) -> list[tuple[str, Case]]:
    rules = ctx.rules
    over = rules.prompt_max + 1
    bad_seconds = next(v for v in ("10", "5", "7", "99") if v not in rules.seconds)
    bad_size = next(v for v in ("640x480", "100x100", "1920x1080") if v not in rules.sizes)
    default_size = rules.defaults["size"]
    width, height = rules.pixel_size(default_size)
    wrong = (width // 2 or 1, height // 2 or 1)
    for encoding, length in (("json", 0), ("multipart", 0), ("json", over), ("multipart", over)):
        ctx.coverage.boundary(f"prompt.length ({encoding})", length)
    return [
        ("create.prompt.missing-rejected", cases.create("no prompt", "json", {"model": rules.defaults["model"]})),
        ("create.prompt.missing-rejected", cases.create("no prompt", "multipart", {"seconds": rules.defaults["seconds"]})),
        ("create.prompt.empty-rejected", cases.create("empty prompt", "json", {"prompt": ""})),
        ("create.prompt.empty-rejected", cases.create("empty prompt", "multipart", {"prompt": ""})),
        ("create.prompt.over-max-rejected", cases.create(f"prompt of {over} ASCII characters", "json", {"prompt": "a" * over})),
        ("create.prompt.over-max-rejected", cases.create(f"prompt of {over} 2-byte characters", "multipart", {"prompt": "é" * over})),
        ("create.seconds.invalid-value-rejected", cases.create(f"seconds={bad_seconds!r}", "json", {"prompt": "a", "seconds": bad_seconds})),
        ("create.seconds.invalid-value-rejected", cases.create(f"seconds={bad_seconds}", "multipart", {"prompt": "a", "seconds": bad_seconds})),
        ("create.seconds.wrong-type-rejected", cases.create("seconds as a JSON integer", "json", {"prompt": "a", "seconds": int(rules.seconds[-1])})),
        ("create.seconds.wrong-type-rejected", cases.create("seconds null", "json", {"prompt": "a", "seconds": None})),
        ("create.size.invalid-value-rejected", cases.create(f"size={bad_size}", "json", {"prompt": "a", "size": bad_size})),
        ("create.size.invalid-value-rejected", cases.create(f"size={bad_size}", "multipart", {"prompt": "a", "size": bad_size})),
        ("create.image-reference.wrong-size-rejected",
         cases.create(f"input_reference {wrong[0]}x{wrong[1]} PNG with size={default_size}", "multipart",
                      {"prompt": "a", "size": default_size}, files=[cases.image_file(*wrong)])),
        ("create.image-reference.not-image-rejected",
         cases.create("input_reference that is plain text named .png", "multipart", {"prompt": "a"}, files=[NOT_AN_IMAGE])),
        ("create.json.malformed-rejected", cases.raw_create("truncated JSON", b'{"prompt": "a cat', "application/json")),
        ("create.json.malformed-rejected", cases.raw_create("JSON array instead of an object", b'["a cat"]', "application/json")),
    ]


def run(ctx: RunContext, state: RunState) -> None:
    for clause_id, case in invalid_cases(ctx):
        ctx.send_expecting(clause_id, case, statuses=(400,))
    # Tolerated either way: accepted or refused with 400, never a 5xx.
    ctx.send_expecting("create.unknown-model-handled", statuses=(200, 400), case=cases.create(
        "unknown model name", "json", {"prompt": "a", "model": "videos-contract-unknown-model"}))
    ctx.send_expecting("create.unknown-parameter-handled", statuses=(200, 400), case=cases.create(
        "unknown parameter", "json", {"prompt": "a", "videos_contract_unknown": "x"}))
