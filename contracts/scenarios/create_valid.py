"""Valid creates: the baseline first, then boundaries, every enum value, image references.

Every case after the baseline is built from it (``Baseline.case``). The valid properties go out
packed, several to a create (``contracts.plan``): an accepted create passes each clause it carries
(``Case.carries``); a refused one is split, and each property is sent alone, varying exactly that
property from a create the target accepted, so that its outcome counts for that clause alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from contracts import baseline as baselines
from contracts import cases, plan
from contracts.cases import Case, NotSent
from contracts.scenarios.common import Step, accepted_video, keep_or_discard, send, taken

if TYPE_CHECKING:
    from contracts.state import RunState

OMITTED = "(omitted)"  # in RunState.refused: (field, OMITTED) when leaving the field out was refused
BASELINE = "baseline"  # Case.purpose of the baseline creates (judged together: checks/expectations.py)


# ---- the baseline ---------------------------------------------------------------------------
def baseline(state: "RunState", then: Callable[["RunState"], Step] | None = None) -> Step:
    """Find the simplest create the target accepts, per encoding (a refusal costs no job); the
    encoding clauses and whether optional fields can be omitted are judged from these answers.
    ``then`` runs right after the first accepted create (the followed job): a job sent there is
    queued right behind it on a one-GPU server."""
    for candidate in baselines.candidates(state.rules):
        if candidate.full and candidate.encoding in state.baseline.accepted:
            continue  # only the prompt was accepted: giving the optional fields too would cost a job for nothing
        state.coverage.boundary(f"prompt.length ({candidate.encoding})", len(baselines.PROMPT))
        candidate.case.purpose = BASELINE
        video = yield from _carrying_a_model(state, candidate)
        if video is None:
            video = accepted_video((yield candidate.case))
        if video is None:
            continue
        # the simplest params this encoding takes (a model named besides is not part of them)
        state.baseline.accepted.setdefault(candidate.encoding, dict(candidate.case.params))
        if candidate.full:
            state.baseline.explicit_defaults.add(candidate.encoding)
        elif video.get("model") == state.rules.defaults["model"]:
            state.default_model_served.add(candidate.encoding)
        yield from keep_or_discard(state, video)
        if then is not None and state.schedule.followed("create"):
            yield from then(state)
            then = None


def _carrying_a_model(state: "RunState", candidate: baselines.Candidate) -> Step:
    """Once JSON took a create with only the prompt, the multipart baseline also carries the plan's
    first pack that sets only model, seconds or size (a value the plan would spend a job on): one
    job less. Refused, it says nothing yet: the plain baseline is sent (a refusal costs no job) and
    the pack is planned as any other. Returns the Video of an accepted one."""
    base = state.baseline
    if candidate.encoding != "multipart" or candidate.full or base.accepted.get("json") != {"prompt": baselines.PROMPT}:
        return None
    carrying = plan.carried_by(candidate.case, plan.properties(state.rules, skip_values=_served(state)))
    if carrying is None:
        return None
    case, packed = carrying
    video = accepted_video((yield case))
    if video is not None:
        state.baseline_carried.extend(packed.properties)
        for prop in packed.properties:
            _cover(state, prop, "multipart")
    return video


def _served(state: "RunState") -> dict[str, set[Any]]:
    """The enum values the plan need not send again: the defaults a create with them given was
    accepted with, the default model a prompt-only create was answered with, what a baseline carried."""
    rules, base = state.rules, state.baseline
    preferred = base.encoding("json")
    skip = {name: {rules.defaults[name]} for name, _ in plan.ENUMS} if preferred in base.explicit_defaults else {}
    if state.default_model_served and rules.defaults["model"] in rules.models and len(rules.models) > 1:
        # served, not named: the other models' creates judge create.model.every-value-accepted; the
        # only model is named once (packed with another value, at no job of its own), or the clause
        # would never be exercised
        skip.setdefault("model", set()).add(rules.defaults["model"])
    for prop in state.baseline_carried:
        for name, value in prop.changes.items():
            skip.setdefault(name, set()).add(value)
    return skip


# ---- the valid cases, each built on the baseline ----------------------------------------------
def run(state: "RunState") -> Step:
    base = state.baseline
    # Each optional field omitted in turn, where only the prompt was refused: which one is required?
    for encoding in baselines.ENCODINGS:
        params = base.accepted.get(encoding)
        if params is None or set(params) == {"prompt"}:
            continue
        for name in ("model", "seconds", "size"):
            answer = yield from send(state, base.case(f"{name} omitted", "create.optional-fields-omittable", "accepted",
                                                      encoding=encoding, only=True, omit=(name,)),
                                     "create.optional-fields-omittable", "no create was accepted")
            if answer is not None and accepted_video(answer) is None:
                state.refused.add((name, OMITTED))
    yield from _planned(state)


# ---- the plan: packed creates, split when refused -------------------------------------------
def _planned(state: "RunState") -> Step:
    """Send the plan's packed creates (contracts/plan.py); settle each refused one by splitting it,
    so that the responsible property's clause fails alone."""
    rules, base = state.rules, state.baseline
    preferred = base.encoding("json")
    if state.default_model_served and rules.defaults["model"] in rules.models and len(rules.models) > 1:
        # A create without model was accepted and answered with the default model: that value is
        # served, so it costs no create of its own (one job less on a GPU server).
        for encoding in sorted(state.default_model_served):
            state.coverage.enum("model", rules.defaults["model"], encoding)
    props = plan.properties(rules, skip_values=_served(state))
    if preferred is None:
        for prop in props:
            for clause_id in prop.clauses:
                yield NotSent(clause_id, "no create was accepted")
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
        if state.options.examples > 0 and plan.carriable(packed):
            state.carried.append(packed)  # a generated valid create carries it (``carry``): no job of its own
            continue
        if (yield from _send_packed(state, packed, outcome)) is False:
            refused.append((packed.properties, packed.encoding))
    for group, encoding in refused:
        yield from _settle(state, group, encoding, outcome, props)
    for prop in alone:
        outcome[id(prop)] = yield from _send_alone(state, prop, outcome, props)


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


def carry(state: "RunState", generated: list[Case]) -> Step:
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
        answer = yield carrier
        if answer is None:
            left.append(case)  # the cap: each carried clause noted the dropped case; what is left
            break  # is sent as planned below, so that its clauses note the cap too
        video = accepted_video(answer)
        if not taken(answer):
            refused.append(item)
            left.append(case)
            continue
        if video is not None:
            yield from keep_or_discard(state, video)
        for prop in item.properties if isinstance(item, plan.Pack) else ():
            outcome[id(prop)] = True
            _cover(state, prop, case.encoding)
    for item in refused + state.carried:
        yield from _send_carried(state, item)
    state.carried.clear()
    return left


def _send_carried(state: "RunState", item: plan.Pack | Tolerated) -> Step:
    """What no generated create carried (or a refused carrier left unknown), sent as planned."""
    if isinstance(item, Tolerated):
        yield from send(state, item.alone, item.alone.clause, "no create was accepted")
        return
    outcome, props = state.plan
    if (yield from _send_packed(state, item, outcome)) is False:
        yield from _settle(state, item.properties, item.encoding, outcome, props)


def _send_packed(state: "RunState", packed: plan.Pack, outcome: dict[int, bool]) -> Step:
    """Send one packed create: True accepted (each clause it carries passes), False refused, None not sent."""
    if len(packed.properties) == 1 and not packed.properties[0].parts:
        return False  # nothing packed with it: sent alone, judged there
    answer = yield from _send_carrying(state, _packed_case(state, packed))
    if not taken(answer):
        return None if answer is None else False  # None: the cap (each carried clause noted the dropped case)
    for prop in packed.properties:
        outcome[id(prop)] = True
        for part in prop.parts:
            outcome[id(part)] = True
        _cover(state, prop, packed.encoding)
    return True


def _settle(state: "RunState", group: list[plan.Property], encoding: str, outcome: dict[int, bool],
            props: list[plan.Property]) -> Step:
    """A refused pack: its prompt alone, and the rest packed again (then halved while refused),
    down to single properties: few jobs, and the refusal pinned on one property's clause."""
    other = next((e for e in baselines.ENCODINGS if e != encoding and state.baseline.accepts(e)), None)
    if other and state.failed(f"create.{encoding}-accepted") and all(p.encoding is None for p in group):
        # This encoding is already known to refuse what the other takes: route around it, packed.
        encoding = other
        if len(group) > 1 and (yield from _send_packed(state, plan.Pack.of(group, encoding), outcome)) is not False:
            return
    if len(group) == 1:
        prop = group[0]
        if prop.parts and (yield from _probe_whole(state, prop, encoding)):
            for part in prop.parts:
                outcome[id(part)] = True  # a compound accepted whole: every part was
            return
        for part in prop.parts or (prop,):
            outcome[id(part)] = yield from _send_alone(state, part, outcome, props, encoding)
        outcome[id(prop)] = all(outcome.get(id(part), False) for part in prop.parts or (prop,))
        return
    prompt = [p for p in group if p.prompt is not None]
    halves = [prompt[:1], [p for p in group if p not in prompt[:1]]] if prompt else \
        [group[: len(group) // 2], group[len(group) // 2:]]
    for half in halves:
        if not half:
            continue
        if len(half) == 1 or (yield from _send_packed(state, plan.Pack.of(half, encoding), outcome)) is False:
            yield from _settle(state, half, encoding, outcome, props)


def _packed_case(state: "RunState", packed: plan.Pack) -> Case:
    base = state.baseline
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


def _cover(state: "RunState", prop: plan.Property, encoding: str) -> None:
    for name in ("model", "seconds", "size"):
        if name in prop.changes and prop.clause == f"create.{name}.every-value-accepted":
            state.coverage.enum(name, prop.changes[name], encoding)
    if prop.prompt is not None and prop.clause in ("create.prompt.min-length-accepted", plan.MAX_LENGTH):
        state.coverage.boundary(f"prompt.length ({encoding})", len(prop.prompt))
    if prop.clause == plan.MULTIBYTE_MAX or (prop.parts and plan.MULTIBYTE_MAX in prop.clauses):
        state.coverage.boundary(f"prompt.length multi-byte ({encoding})", state.rules.prompt_max)


def _send_alone(state: "RunState", prop: plan.Property, outcome: dict[int, bool], props: list[plan.Property],
                encoding: str | None = None) -> Step:
    """One property in a create of its own, built on the baseline; True if accepted."""
    prop = prop.alone or prop
    if prop.clause == plan.MULTIBYTE_MAX:
        # The long multi-byte prompt is judged only when 32000 ASCII characters and a short prompt of
        # the same characters are accepted: otherwise one of those clauses is the root cause.
        if state.failed(plan.MAX_LENGTH):
            yield NotSent(prop.clause, "the ASCII prompt of the maximum length was refused", blocked_by=plan.MAX_LENGTH)
            return False
        char = prop.prompt[0] if prop.prompt else ""
        controls = [p for whole in props for p in whole.parts if p.clause == plan.UNUSUAL and p.prompt
                    and p.prompt[0] == char and set(p.prompt) == {char}]
        if controls and not outcome.get(id(controls[0]), outcome.get(id(_whole(props, controls[0])), False)):
            yield NotSent(prop.clause, f"a short prompt of {prop.name.split()[-2]} characters was not accepted",
                          blocked_by=plan.UNUSUAL)
            return False
    base = state.baseline
    first = prop.encoding or (encoding if encoding and base.accepts(encoding) else base.encoding("json"))
    other = next((e for e in baselines.ENCODINGS if e != first and base.accepts(e)), None)
    if prop.encoding is None and first is not None and other is not None:
        # Free to go in either encoding: tried in the refused pack's first. A refusal there that
        # the other encoding does not repeat is that encoding's (create.<encoding>-accepted).
        probe = _alone_case(state, prop, None, first)
        probe.carries = (prop.clause,)
        answer = yield from _send_carrying(state, probe)
        if taken(answer):
            _cover(state, prop, first)
            return True
        if answer is None or not answer.ok:
            return False  # the cap noted it, or no answer (the carried clause is blocked by response.transport)
        return (yield from _judged_alone(state, prop, other, contrast=answer.seq))
    return (yield from _judged_alone(state, prop, first))


def _probe_whole(state: "RunState", prop: plan.Property, encoding: str) -> Step:
    """A compound property alone, judged by no clause: True (each clause it carries passes) if accepted."""
    case = _alone_case(state, prop, None, encoding)
    if case is None:
        return False
    case.carries = prop.clauses
    if accepted_video((yield from _send_carrying(state, case))) is None:
        return False
    _cover(state, prop, case.encoding)
    return True


def _send_carrying(state: "RunState", case: Case) -> Step:
    """Send a create that carries clauses (``Case.carries``: each passes when it is accepted); its job
    is kept or discarded. Returns the answer (None when the cap stopped it)."""
    answer = yield case
    video = accepted_video(answer)
    if video is not None:
        yield from keep_or_discard(state, video)
    return answer


def _alone_case(state: "RunState", prop: plan.Property, clause: str | None, encoding: str | None) -> Case | None:
    case = state.baseline.case(prop.name, clause, "accepted", encoding=encoding or prop.encoding or "json",
                               only=bool(prop.encoding) or encoding is not None, changes=prop.changes,
                               files=prop.files, prompt=prop.prompt)
    if case is not None:
        for name in prop.unechoed:
            case.params.pop(name, None)
    return case


def _judged_alone(state: "RunState", prop: plan.Property, encoding: str | None, contrast: int | None = None) -> Step:
    """The property alone, judged by its own clause (Case.clause): True if accepted. ``contrast``: the
    refused answer in the other encoding (an acceptance here says that encoding refused it)."""
    case = _alone_case(state, prop, prop.clause, encoding)
    if case is not None:
        case.contrast = contrast
    unmet = f"no {prop.encoding + ' ' if prop.encoding else ''}create was accepted"
    answer = yield from send(state, case, prop.clause, unmet)
    accepted = answer is not None and accepted_video(answer) is not None
    if case is not None and answer is not None:
        _cover(state, prop, case.encoding)
        for name, _ in plan.ENUMS:
            if prop.clause == f"create.{name}.every-value-accepted" and not accepted:
                state.refused.add((name, prop.changes[name]))
    return accepted


def _whole(props: list[plan.Property], part: plan.Property) -> plan.Property | None:
    return next((p for p in props if part in p.parts), None)
