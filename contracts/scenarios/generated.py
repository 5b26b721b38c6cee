"""Generated creates: schemathesis draws them from the spec, the suite classifies and sends them.

Schemathesis generates (positive and negative mode) from spec/openapi.yaml; we do not trust the
mode's label but re-validate each body against the spec's request schema, drop what would be a
false alarm (random bytes as an image file, negative multipart: see the shared notes), and send
the rest through the suite's own client, so every generated request gets every response check.
"""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

from contracts import cases, draws
from contracts.context import RunContext
from contracts.failures import NotVerifiable
from contracts.scenarios.create_valid import check_created
from contracts.scenarios.state import RunState



def prefetch(ctx: RunContext, state: RunState) -> None:
    """Start drawing both modes in a background thread: the CPU-bound generation then overlaps
    the waiting of the lifecycle steps. ``run`` picks the draws up (same seed, same cases)."""
    if ctx.options.examples <= 0:
        return
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="videos-contract-draw")
    state.drawn = {mode: executor.submit(draws.draw, ctx.spec, mode, ctx.options.examples, ctx.options.seed)
                   for mode in ("negative", "positive")}
    executor.shutdown(wait=False)


def _drawn(ctx: RunContext, state: RunState, mode: str) -> list[tuple[str, Any]]:
    future = state.drawn.get(mode)
    if future is None:
        return draws.draw(ctx.spec, mode, ctx.options.examples, ctx.options.seed)
    return future.result()


def _encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    return True


def positive_case(ctx: RunContext, media_type: str, body: Any, index: int):
    if not isinstance(body, dict) or not _encodable(body):
        return None
    params = {k: v for k, v in body.items() if k in ctx.rules.create_fields and k not in draws.IMAGE_FIELDS}
    if "prompt" not in params or not ctx.spec.validator("CreateVideoRequest").is_valid(params):
        return None
    if media_type == "multipart/form-data":
        if not all(isinstance(v, str) for v in params.values()):
            return None
        return cases.create(f"generated valid #{index}", "multipart", params)
    return cases.create(f"generated valid #{index}", "json", params)


def negative_case(ctx: RunContext, body: Any, index: int):
    if not _encodable(body) or ctx.spec.validator("CreateVideoRequest").is_valid(body):
        return None  # not actually invalid: a negative label is not proof
    case = cases.create(f"generated invalid #{index}", "json", {})
    case.json_body, case.params = body, {}
    return case


def run(ctx: RunContext, state: RunState) -> None:
    count = ctx.options.examples
    if count <= 0:
        for cid in ("create.generated-valid-accepted", "create.generated-invalid-rejected"):
            ctx.recorder.skipped(cid, "generation disabled (--examples 0)")
        return
    # Negative first: a conforming server creates no job for them, so they cost nothing under a cap.
    for mode, clause_id in (("negative", "create.generated-invalid-rejected"),
                            ("positive", "create.generated-valid-accepted")):
        for index, (media_type, body) in enumerate(_drawn(ctx, state, mode)):
            if mode == "positive":
                case = positive_case(ctx, media_type, body, index)
            else:
                case = negative_case(ctx, body, index) if media_type == "application/json" else None
            if case is None:
                ctx.coverage.generated[f"{mode} dropped"] += 1
                continue
            ctx.coverage.generated[f"{mode} {case.encoding}"] += 1
            try:
                response = ctx.send(case)
            except NotVerifiable as reason:
                ctx.recorder.not_verified(clause_id, str(reason))
                break
            video = None
            with ctx.recorder.clause(clause_id, case, response):
                if mode == "negative":
                    ctx.expect_rejected(clause_id, response, what=f"'{case.name}' {json.dumps(body)[:120]}")
                    continue
                unknown_model = case.params.get("model", ctx.rules.defaults["model"]) not in ctx.rules.models
                if unknown_model:  # an unknown model may be refused: that is tolerated
                    ctx.expect_rejected(clause_id, response, statuses=(200, 400), what=f"'{case.name}'")
                    continue
                video = ctx.video(clause_id, response, f"'{case.name}'")
            if video is not None:
                state.jobs.append(video)
                check_created(ctx, case, response, video)
