"""Generated creates: schemathesis draws them from the spec (in the background since the run
began), contracts/generation.py makes them cases, and this step sends what the job budget leaves,
each generated valid create carrying what the plan left to carry, every answer judged like any other.
"""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING, Any

from contracts import draws, plan
from contracts.generation import MODES, generated_cases
from contracts.baseline import PROMPT as BASELINE_PROMPT
from contracts.cases import NotSent, Planned
from contracts.scenarios.common import Step, accepted_video, discard, keep_or_discard
from contracts.scenarios.create_valid import OMITTED, carry

if TYPE_CHECKING:
    from contracts.state import RunState

LIST_RESERVE = 1  # a create kept for the list step (videos in two different seconds)


def prefetch(state: "RunState") -> None:
    """Start drawing both modes in a background thread: the CPU-bound generation then overlaps
    the waiting of the lifecycle steps. ``run`` picks the draws up (same seed, same cases)."""
    if state.options.examples <= 0:
        return
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="videos-contract-draw")
    state.drawn = {mode: executor.submit(draws.draw, state.spec, mode, state.options.examples, state.options.seed)
                   for mode in ("negative", "positive")}
    executor.shutdown(wait=False)


def _drawn(state: "RunState", mode: str) -> list[tuple[str, Any]]:
    if mode not in state.drawn:
        prefetch(state)  # the runner started the drawing; a step run alone starts it here
    return state.drawn[mode].result()


def known_cause(state: "RunState", case) -> str | None:
    """A clause that already failed and would explain a refusal of this generated case: the case
    is then routed around (blocked by it), so that one root cause is reported once.

    A generated case varies many properties at once; these are the ones single-property cases
    have already tried (the encoding, an omitted field, a value, the prompt's length and
    characters, an unknown model or parameter, a body that is not an object)."""
    failed = state.failed
    if not state.baseline.accepts(case.encoding):
        return state.failed_prerequisite(case.clause) or f"create.{case.encoding}-accepted"
    body = case.json_body if case.clause == "create.generated-invalid-rejected" else case.params
    if not isinstance(body, dict):
        return "create.json.malformed-rejected" if failed("create.json.malformed-rejected") else None
    if any(k not in state.rules.create_fields for k in body) and failed("create.unknown-parameter-handled"):
        return "create.unknown-parameter-handled"
    if case.clause == "create.generated-invalid-rejected":
        return _invalid_cause(state, body)
    for name, key in (("model", "models"), ("seconds", "seconds"), ("size", "sizes")):
        if name not in body and (name, OMITTED) in state.refused:
            return "create.optional-fields-omittable"
        if (name, body.get(name)) in state.refused:
            return f"create.{name}.every-value-accepted"
    if body.get("model", state.rules.defaults["model"]) not in state.rules.models and failed("create.unknown-model-handled"):
        return "create.unknown-model-handled"
    prompt = body.get("prompt")
    if isinstance(prompt, str):
        if len(prompt) < len(BASELINE_PROMPT) and failed("create.prompt.min-length-accepted"):
            return "create.prompt.min-length-accepted"
        if len(prompt) > state.rules.prompt_max // 2 and failed("create.prompt.max-length-accepted"):
            return "create.prompt.max-length-accepted"
        if not (prompt.isascii() and prompt.isprintable()) and failed("create.prompt.unusual-unicode-accepted"):
            return "create.prompt.unusual-unicode-accepted"
    return None


def _invalid_cause(state: "RunState", body: dict) -> str | None:
    """A failed single-property invalid clause whose property this invalid body also breaks."""
    rules, failed = state.rules, state.failed
    prompt, seconds, size = body.get("prompt", ...), body.get("seconds", ...), body.get("size", ...)
    broken = {
        "create.prompt.missing-rejected": prompt is ...,
        "create.prompt.empty-rejected": prompt == "",
        "create.prompt.over-max-rejected": isinstance(prompt, str) and len(prompt) > rules.prompt_max,
        "create.seconds.invalid-value-rejected": isinstance(seconds, str) and seconds not in rules.seconds,
        "create.seconds.wrong-type-rejected": seconds is not ... and not isinstance(seconds, str),
        "create.size.invalid-value-rejected": size is not ... and size not in rules.sizes,
    }
    return next((clause_id for clause_id, hit in broken.items() if hit and failed(clause_id)), None)


def run(state: "RunState") -> Step:
    count = state.options.examples
    if count <= 0:
        return  # skipped: generation disabled (contracts/runner.py: not_applicable)
    # Negative first: a conforming server creates no job for them, so they cost nothing under a cap.
    for mode, clause_id in MODES:
        planned = []
        for case in generated_cases(state.spec, state.rules, mode, _drawn(state, mode)):
            if case is None:
                state.coverage.generated[f"{mode} dropped"] += 1
                continue
            cause = known_cause(state, case)
            if cause:
                state.coverage.generated[f"{mode} routed around"] += 1
                yield NotSent(clause_id, f"'{case.name}' would meet a known failure", blocked_by=cause)
                continue
            planned.append(case)
        if mode == "positive" and state.creates_left is not None:
            # Each accepted one is a GPU job: the plan takes what the job budget leaves (at least
            # one, so that a budget that leaves none says so), keeping one for the list step; under
            # the default budget, its margin for generated cases.
            budget = max(1, state.creates_left - LIST_RESERVE)
            if state.options.max_creates == state.plan_creates:
                budget = min(budget, plan.GENERATED_MARGIN)
            if len(planned) > budget:
                beyond = len(planned) - budget
                state.coverage.generated["positive beyond the job budget"] += beyond
                state.generated_not_sent += beyond
                # The plan sends what the budget leaves (all of which must run for the clause to
                # pass) and says so beside the verdict; the rest are drawn, never planned.
                yield Planned(clause_id, f"{budget} of the {len(planned)} generated valid creates drawn are "
                              f"planned: the job budget (--max-creates {state.options.max_creates}) leaves "
                              f"{budget}; a higher --max-creates sends more")
                planned = planned[:budget]
        if mode == "positive":
            # The first ones carry the plan's prompt-free packs (no job of their own); one refused
            # comes back to be sent alone, after the pack it carried was settled.
            carried = len(planned)
            planned = yield from carry(state, planned)
            state.coverage.generated["positive carrying a planned create"] += carried - len(planned)
        for case in planned:
            cause = known_cause(state, case) if mode == "positive" else None
            if cause:  # found since it was planned (by a pack a generated create carried)
                state.coverage.generated[f"{mode} routed around"] += 1
                yield NotSent(clause_id, f"'{case.name}' would meet a known failure", blocked_by=cause)
                continue
            state.coverage.generated[f"{mode} {case.encoding}"] += 1
            answer = yield case
            if answer is None:
                break
            video = accepted_video(answer)
            if video is None:
                continue
            if mode == "positive":
                yield from keep_or_discard(state, video)
            else:
                yield from discard(state, video["id"])  # an invalid case wrongly accepted: its job is deleted at once
