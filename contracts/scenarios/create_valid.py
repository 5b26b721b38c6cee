"""Valid creates: the baseline first, then boundaries, every enum value, image references.

Every case after the baseline is built from it (``Baseline.case``). The valid properties go out
packed, several to a create (``contracts.plan``): an accepted create passes each clause it
carries; a refused one is split, and each property is sent alone, varying exactly that property
from a create the target accepted, so that its outcome counts for that clause alone (the engine
judges it: ``Case.clause``/``Case.expect``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable

from contracts import baseline as baselines
from contracts import cases, lifecycle, plan
from contracts.cases import Case
from contracts.client import Response
from contracts.context import RunContext
from contracts.failures import ContractViolation, NotVerifiable
from contracts.rules import DELETE
from contracts.scenarios.state import RunState

OMITTED = "(omitted)"  # in RunState.refused: (field, OMITTED) when leaving the field out was refused
# Only the jobs that must finish, finish: one job is followed to its end (the run's first accepted
# create, so that it is not queued behind the others): lifecycle, content, remix and the auth
# probes use it. A few more stay alive for the list pages and the delete step; every other
# accepted create is deleted as soon as its checks are done (many servers then take it off the GPU).
FOLLOWED_JOBS = 1
SPARE_JOBS = 3  # the list needs three alive after the delete step (limit=2 with has_more)
DISCARD = "delete at once (its checks are done)"


def accepted_video(response: Response | None) -> dict[str, Any] | None:
    """The Video of an accepted create (2xx, a JSON object with an id), else None (None when not sent)."""
    if response is None or not response.ok or not 200 <= response.status < 300:
        return None
    body = response.json_object()
    return body if body is not None and isinstance(body.get("id"), str) else None


def keep(ctx: RunContext, state: RunState, video: dict[str, Any]) -> None:
    """Keep an accepted job alive for the steps after (lifecycle, list, delete...)."""
    state.jobs.append(video)
    if len(ctx.tracks) < FOLLOWED_JOBS:
        lifecycle.track(ctx, video)  # followed from now on, while the run goes on


def alive(ctx: RunContext, state: RunState) -> list[dict[str, Any]]:
    """The run's kept jobs that are not deleted."""
    return [v for v in state.jobs if v["id"] not in ctx.deleted]


def keep_or_discard(ctx: RunContext, state: RunState, video: dict[str, Any]) -> None:
    """An accepted job whose checks are done: kept while the run needs a few alive, else deleted."""
    if any(v["id"] == video["id"] for v in state.jobs):
        return  # the id of a job the run keeps (video.ids-unique's): never deleted as a spare
    kept = alive(ctx, state)
    seconds = {v.get("created_at") for v in kept}
    # Also kept: the first video of a later second, for list order (ties in a second are unordered).
    if len(kept) < FOLLOWED_JOBS + SPARE_JOBS or (len(seconds) == 1 and video.get("created_at") not in seconds):
        keep(ctx, state, video)
    else:
        discard(ctx, video["id"])


def discard(ctx: RunContext, video_id: str) -> None:
    """Delete a job of the run at once (a real server may then take it off its GPU)."""
    if video_id in ctx.deleted:
        return
    response = ctx.send(cases.call(DISCARD, *DELETE, video_id))
    if response.ok and 200 <= response.status < 300:
        ctx.deleted.add(video_id)


def send(ctx: RunContext, state: RunState, case: Case | None, clause_id: str, unmet: str) -> Response | None:
    """Send a case built from the baseline; None when it could not be built or sent (its clause is
    then blocked by the failure that took its encoding away, or not verified). A job it made is
    kept for later steps or deleted at once; an invalid case wrongly accepted is always deleted."""
    if case is None:
        ctx.recorder.unmet(clause_id, unmet)
        return None
    response = ctx.attempt(clause_id, case)
    if response is None:
        return None
    video = accepted_video(response)
    if video is not None and case.expect == "rejected":
        discard(ctx, video["id"])
    elif video is not None:
        keep_or_discard(ctx, state, video)
    return response


# ---- the baseline ---------------------------------------------------------------------------
def baseline(ctx: RunContext, state: RunState,
             then: Callable[[RunContext, RunState], None] | None = None) -> None:
    """Find the simplest create the target accepts, per encoding; decide the encoding clauses and
    whether optional fields can be omitted from what that learned (a refusal costs no job).
    ``then`` runs right after the first accepted create (the followed job): a job sent there is
    queued right behind it on a one-GPU server."""
    found = baselines.candidates(ctx.rules)
    answers: dict[tuple[str, bool], tuple[Case, Response | None]] = {}
    for candidate in found:
        if candidate.full and candidate.encoding in ctx.baseline.accepted:
            continue  # only the prompt was accepted: giving the optional fields too would cost a job for nothing
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
            elif video.get("model") == ctx.rules.defaults["model"]:
                state.default_model_served.add(candidate.encoding)
            keep_or_discard(ctx, state, video)
            if then is not None and ctx.tracks:
                then(ctx, state)
                then = None
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

    _planned(ctx, state)


# ---- the plan: packed creates, split when refused -------------------------------------------
def _planned(ctx: RunContext, state: RunState) -> None:
    """Send the plan's packed creates (contracts/plan.py); settle each refused one by splitting it,
    so that the responsible property's clause fails alone."""
    rules, base = ctx.rules, ctx.baseline
    preferred = base.encoding("json")
    skip = {name: {rules.defaults[name]} for name, _ in plan.ENUMS} if preferred in base.explicit_defaults else {}
    if state.default_model_served and rules.defaults["model"] in rules.models:
        # A create without model was accepted and answered with the default model: that value is
        # served, so it costs no create of its own (one job less on a GPU server).
        skip.setdefault("model", set()).add(rules.defaults["model"])
        for encoding in sorted(state.default_model_served):
            ctx.coverage.enum("model", rules.defaults["model"], encoding)
    props = plan.properties(rules, skip_values=skip)
    if preferred is None:
        for prop in props:
            for clause_id in prop.clauses:
                ctx.recorder.unmet(clause_id, "no create was accepted")
        return
    packable = [p for p in props if p.encoding is None or base.accepts(p.encoding)]
    alone = [p for p in props if p not in packable]  # their encoding is refused: sent alone, unmet there
    accepted_encodings = [e for e in baselines.ENCODINGS if base.accepts(e)]
    outcome: dict[int, bool] = {}  # id(property) -> accepted
    state.plan = (outcome, props)
    refused: list[tuple[list[plan.Property], str]] = []
    for index, packed in enumerate(plan.pack(packable)):
        # Packs free to choose alternate between the encodings the target takes.
        packed.encoding = packed.encoding or accepted_encodings[index % len(accepted_encodings)]
        if ctx.options.examples > 0 and _carriable(packed):
            state.carried.append(packed)  # a generated valid create carries it (``carry``): no job of its own
            continue
        if _send_packed(ctx, state, packed, outcome) is False:
            refused.append((packed.properties, packed.encoding))
    for group, encoding in refused:
        _settle(ctx, state, group, encoding, outcome, props)
    for prop in alone:
        outcome[id(prop)] = _send_alone(ctx, state, prop, outcome, props)


def _carriable(packed: plan.Pack) -> bool:
    """A pack that sets only fields a generated valid create also has (model, seconds, size): no
    prompt of its own, no image, no encoding it needs. A generated create can carry it."""
    return packed.prompt is None and not packed.image and not any(p.encoding or p.parts for p in packed.properties)


@dataclass
class Tolerated:
    """A tolerated property (an unknown model name) a generated valid create carries; ``alone`` is
    the case that judges it by itself when the carrier is refused (then nothing is known of it)."""

    changes: dict[str, Any]
    clauses: tuple[str, ...]
    alone: Case

    @property
    def name(self) -> str:
        return self.alone.name.split(": ", 1)[-1]


def carry(ctx: RunContext, state: RunState, generated: list[Case]) -> list[Case]:
    """The generated valid creates carry the plan's prompt-free packs (and the unknown model name),
    one each: the generated body with the pack's fields set (its prompt, encoding and omitted
    fields stay). Accepted: every clause carried passes, and the generated case too. Refused: it
    costs no job; the pack is settled as any refused pack (split, each property alone), and the
    generated case goes back to be sent alone. What is left over (fewer generated creates) is sent
    as planned. Returns the generated cases still to send."""
    outcome, _ = state.plan
    left: list[Case] = []
    refused: list[plan.Pack | Tolerated] = []
    for case in generated:
        if not state.carried:
            left.append(case)
            continue
        item = state.carried.pop(0)
        params = {**case.params, **item.changes}
        carrier = cases.create(f"{case.name.split(': ', 1)[-1]} + {item.name}", case.encoding, params)
        carrier.carries = (*item.clauses, *case.planned_for)
        try:
            response = ctx.send(carrier)
        except NotVerifiable:
            left.append(case)  # the cap: each carried clause noted the dropped case; what is left
            break  # is sent as planned below, so that its clauses note the cap too
        video = accepted_video(response)
        if video is None:
            refused.append(item)
            left.append(case)
            continue
        keep_or_discard(ctx, state, video)
        for clause_id in carrier.carries:
            ctx.recorder.passed(clause_id)
        for prop in item.properties if isinstance(item, plan.Pack) else ():
            outcome[id(prop)] = True
            _cover(ctx, prop, case.encoding)
    for item in refused + state.carried:
        _send_carried(ctx, state, item)
    state.carried.clear()
    return left


def _send_carried(ctx: RunContext, state: RunState, item: plan.Pack | Tolerated) -> None:
    """What no generated create carried (or a refused carrier left unknown), sent as planned."""
    if isinstance(item, Tolerated):
        send(ctx, state, item.alone, item.alone.clause, "no create was accepted")
        return
    outcome, props = state.plan
    if _send_packed(ctx, state, item, outcome) is False:
        _settle(ctx, state, item.properties, item.encoding, outcome, props)


def _send_packed(ctx: RunContext, state: RunState, packed: plan.Pack, outcome: dict[int, bool]) -> bool | None:
    """Send one packed create: True accepted (each clause it carries passes), False refused, None not sent."""
    if len(packed.properties) == 1 and not packed.properties[0].parts:
        return False  # nothing packed with it: sent alone, judged there
    response = _send_carrying(ctx, state, _packed_case(ctx, packed), packed.clauses)
    if accepted_video(response) is None:
        return None if response is None else False  # None: the cap (each carried clause noted the dropped case)
    for prop in packed.properties:
        outcome[id(prop)] = True
        for part in prop.parts:
            outcome[id(part)] = True
        _cover(ctx, prop, packed.encoding)
    return True


def _settle(ctx: RunContext, state: RunState, group: list[plan.Property], encoding: str,
            outcome: dict[int, bool], props: list[plan.Property]) -> None:
    """A refused pack: its prompt alone, and the rest packed again (then halved while refused),
    down to single properties: few jobs, and the refusal pinned on one property's clause."""
    other = next((e for e in baselines.ENCODINGS if e != encoding and ctx.baseline.accepts(e)), None)
    if other and ctx.recorder.has_failed(f"create.{encoding}-accepted") and all(p.encoding is None for p in group):
        # This encoding is already known to refuse what the other takes: route around it, packed.
        encoding = other
        packed = plan.Pack()
        for prop in group:
            packed.add(prop)
        packed.encoding = encoding
        if len(group) > 1 and _send_packed(ctx, state, packed, outcome) is not False:
            return
    if len(group) == 1:
        prop = group[0]
        if prop.parts and _probe_whole(ctx, state, prop, encoding):
            for part in prop.parts:
                outcome[id(part)] = True  # a compound accepted whole: every part was
            return
        for part in prop.parts or (prop,):
            outcome[id(part)] = _send_alone(ctx, state, part, outcome, props, encoding)
        outcome[id(prop)] = all(outcome.get(id(part), False) for part in prop.parts or (prop,))
        return
    prompt = [p for p in group if p.prompt is not None]
    halves = [prompt[:1], [p for p in group if p not in prompt[:1]]] if prompt else \
        [group[: len(group) // 2], group[len(group) // 2:]]
    for half in halves:
        if not half:
            continue
        packed = plan.Pack()
        for prop in half:
            packed.add(prop)
        packed.encoding = packed.encoding or encoding
        if len(half) == 1 or _send_packed(ctx, state, packed, outcome) is False:
            _settle(ctx, state, half, encoding, outcome, props)


def _packed_case(ctx: RunContext, packed: plan.Pack) -> Case:
    base = ctx.baseline
    params = base.params(packed.encoding)
    params["prompt"] = packed.prompt.prompt if packed.prompt is not None else base.numbered_prompt()
    params.update(packed.changes)
    files = [f for prop in packed.properties for f in prop.files]
    case = cases.create(packed.name, packed.encoding, params, files=files, expect="accepted")
    case.carries = packed.clauses
    for prop in packed.properties:
        for name in prop.unechoed:
            case.params.pop(name, None)
    return case


def _cover(ctx: RunContext, prop: plan.Property, encoding: str) -> None:
    for name in ("model", "seconds", "size"):
        if name in prop.changes and prop.clause == f"create.{name}.every-value-accepted":
            ctx.coverage.enum(name, prop.changes[name], encoding)
    if prop.prompt is not None and prop.clause in ("create.prompt.min-length-accepted", plan.MAX_LENGTH):
        ctx.coverage.boundary(f"prompt.length ({encoding})", len(prop.prompt))
    if prop.clause == plan.MULTIBYTE_MAX or (prop.parts and plan.MULTIBYTE_MAX in prop.clauses):
        ctx.coverage.boundary(f"prompt.length multi-byte ({encoding})", ctx.rules.prompt_max)


def _send_alone(ctx: RunContext, state: RunState, prop: plan.Property, outcome: dict[int, bool],
                props: list[plan.Property], encoding: str | None = None) -> bool:
    """One property in a create of its own, built on the baseline; True if accepted."""
    prop = prop.alone or prop
    if prop.clause == plan.MULTIBYTE_MAX:
        # The long multi-byte prompt is judged only when 32000 ASCII characters and a short prompt of
        # the same characters are accepted: otherwise one of those clauses is the root cause.
        if ctx.recorder.has_failed(plan.MAX_LENGTH):
            ctx.recorder.blocked(prop.clause, plan.MAX_LENGTH)
            return False
        char = prop.prompt[0] if prop.prompt else ""
        controls = [p for whole in props for p in whole.parts if p.clause == plan.UNUSUAL and p.prompt
                    and p.prompt[0] == char and set(p.prompt) == {char}]
        if controls and not outcome.get(id(controls[0]), outcome.get(id(_whole(props, controls[0])), False)):
            ctx.recorder.unmet(prop.clause, f"a short prompt of {prop.name.split()[-2]} characters was not accepted")
            return False
    base = ctx.baseline
    first = prop.encoding or (encoding if encoding and base.accepts(encoding) else base.encoding("json"))
    other = next((e for e in baselines.ENCODINGS if e != first and base.accepts(e)), None)
    if prop.encoding is None and first is not None and other is not None:
        # Free to go in either encoding: tried in the refused pack's first. A refusal there that
        # the other encoding does not repeat is that encoding's (create.<encoding>-accepted).
        probe = _alone_case(ctx, prop, None, first)
        probe.carries = (prop.clause,)
        response = _send_carrying(ctx, state, probe, probe.carries)
        if accepted_video(response) is not None:
            _cover(ctx, prop, first)
            return True
        if response is None:
            return False
        if not response.ok:
            ctx.recorder.blocked(prop.clause, "response.transport", f"'{probe.name}' got no answer")
            return False
        accepted = _judged_alone(ctx, state, prop, other)
        if accepted:
            _fail(ctx, f"create.{first}-accepted", probe, response,
                  f"'{probe.name}' was refused as {first} while the same create as {other} was accepted")
        return accepted
    return _judged_alone(ctx, state, prop, first)


def _probe_whole(ctx: RunContext, state: RunState, prop: plan.Property, encoding: str) -> bool:
    """A compound property alone, judged by no clause: True (each clause it carries passes) if accepted."""
    case = _alone_case(ctx, prop, None, encoding)
    if case is None:
        return False
    case.carries = prop.clauses
    if accepted_video(_send_carrying(ctx, state, case, prop.clauses)) is None:
        return False
    _cover(ctx, prop, case.encoding)
    return True


def _send_carrying(ctx: RunContext, state: RunState, case: Case, clauses: Iterable[str]) -> Response | None:
    """Send a create that carries ``clauses``; None when the cap stopped it. Accepted, its job is kept
    or discarded and each clause it carries passes."""
    try:
        response = ctx.send(case)
    except NotVerifiable:
        return None
    video = accepted_video(response)
    if video is not None:
        keep_or_discard(ctx, state, video)
        for clause_id in clauses:
            ctx.recorder.passed(clause_id)
    return response


def _alone_case(ctx: RunContext, prop: plan.Property, clause: str | None, encoding: str | None) -> Case | None:
    case = ctx.baseline.case(prop.name, clause, "accepted", encoding=encoding or prop.encoding or "json",
                             only=bool(prop.encoding) or encoding is not None, changes=prop.changes,
                             files=prop.files, prompt=prop.prompt)
    if case is not None:
        for name in prop.unechoed:
            case.params.pop(name, None)
    return case


def _judged_alone(ctx: RunContext, state: RunState, prop: plan.Property, encoding: str | None) -> bool:
    """The property alone, judged by its own clause (Case.clause): True if accepted."""
    case = _alone_case(ctx, prop, prop.clause, encoding)
    unmet = f"no {prop.encoding + ' ' if prop.encoding else ''}create was accepted"
    response = send(ctx, state, case, prop.clause, unmet)
    accepted = response is not None and accepted_video(response) is not None
    if case is not None and response is not None:
        _cover(ctx, prop, case.encoding)
        for name, _ in plan.ENUMS:
            if prop.clause == f"create.{name}.every-value-accepted" and not accepted:
                state.refused.add((name, prop.changes[name]))
    return accepted


def _whole(props: list[plan.Property], part: plan.Property) -> plan.Property | None:
    return next((p for p in props if part in p.parts), None)
