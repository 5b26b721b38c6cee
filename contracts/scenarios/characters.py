"""Characters: made from an uploaded video and a name, then retrievable.

Optional for a target like edits (``--operations``): when offered or unsaid, the first request
tells whether ``POST /videos/characters`` exists; a missing route is one finding
(``character.offered``) that blocks the other character clauses.
"""

from __future__ import annotations

import uuid
from typing import Any

from contracts import cases
from contracts.cases import Case, FileField
from contracts.context import RunContext, answered
from contracts.failures import ContractViolation
from contracts.rules import CREATE_CHARACTER, EDIT, EXTEND, GET_CHARACTER
from contracts.scenarios.derived import route_probe, video_file
from contracts.scenarios.state import RunState

NAME_LIMITS = "CharacterName"
NOT_VIDEOS = {
    "a text file named .mp4": ("video", "character.mp4", "video/mp4", b"this is plain text, not a video\n"),
    "a PNG image": ("video", "character.png", "image/png", cases.image_bytes(64, 64)),
}


def character_case(name: str, fields: dict[str, str], files: list[FileField], clause: str | None = None,
                   expect: str | None = None) -> Case:
    return cases.call(f"character: {name}", *CREATE_CHARACTER, form=list(fields.items()), files=list(files),
                      clause=clause, expect=expect)


def get_case(name: str, character_id: str, **kwargs: Any) -> Case:
    method, template = GET_CHARACTER
    return Case(name=name, method=method, path=template.replace("{character_id}", character_id), operation=GET_CHARACTER,
                **kwargs)


def run(ctx: RunContext, state: RunState) -> None:
    if not ctx.offers("characters"):
        return
    missing = "character.missing-fields-rejected"
    probe = character_case("no video", {"name": "Mossy"}, [], missing, "rejected")
    if route_probe(ctx, probe, "character.offered", "characters", siblings=(GET_CHARACTER,)) is None:
        return
    shortest, longest = ctx.spec.string_limits(NAME_LIMITS)
    rejected = [character_case("no name", {}, [video_file()], missing, "rejected")]
    rejected += [character_case(name, fields, [video_file()], "character.name-out-of-range-rejected", "rejected")
                 for name, fields in (("an empty name", {"name": ""}),
                                      (f"a name of {longest + 1} characters", {"name": "n" * (longest + 1)}))]
    rejected += [character_case(label, {"name": "Mossy"}, [upload], "character.not-video-rejected", "rejected")
                 for label, upload in NOT_VIDEOS.items()]
    for case in rejected:
        ctx.send(case)
    created = []
    for name in ("M" * max(1, shortest), "N" * longest):
        case = character_case(f"a name of {len(name)} characters", {"name": name}, [video_file()],
                              "character.name-boundaries-accepted", "accepted")
        response = ctx.send(case)
        if not (response.ok and 200 <= response.status < 300):
            continue  # judged by the engine: not accepted
        with ctx.recorder.clause("character.name-boundaries-accepted", case, response):
            body = ctx.video("character.name-boundaries-accepted", response, f"'{case.name}'")
            if body.get("name") != name:
                raise ContractViolation("character.name-boundaries-accepted", "the character does not carry its name",
                                        field="$.name", received=body.get("name"), expected=name)
            created.append(body)
    retrieve(ctx, created)
    ctx.send(get_case("an unknown character id", "char_" + uuid.uuid4().hex, clause="character.unknown-id-not-found",
                      expect="not-found"))


def retrieve(ctx: RunContext, created: list[dict[str, Any]]) -> None:
    usable = [c for c in created if isinstance(c.get("id"), str) and c["id"]]
    if not usable:
        ctx.recorder.unmet("character.retrievable", "no character was created with an id to retrieve")
        return
    for character in usable:
        case = get_case("retrieve a character just created", character["id"])
        response = ctx.send(case)
        with ctx.recorder.clause("character.retrievable", case, response):
            answered(response, f"'{case.name}'")
            body = ctx.video("character.retrievable", response, "retrieving a character just created")
            for field in ("id", "name"):
                if body.get(field) != character.get(field):
                    raise ContractViolation("character.retrievable", f"the retrieved character has another {field}",
                                            field=f"$.{field}", received=body.get(field), expected=character.get(field))


def auth_probes(ctx: RunContext, clause_id: str, auth: str | None, label: str) -> list[Case]:
    """Requests of the optional operations for the auth clauses: none to one found missing (that
    one is blocked through ctx.missing_routes, like any operation without a route)."""
    probes = [character_case(f"create {label}", {"name": "Mossy"}, [video_file()]),
              get_case(f"retrieve a character {label}", "char_" + uuid.uuid4().hex),
              cases.call(f"edit {label}", *EDIT,
                         json_body={"prompt": "a", "video": {"id": "video_1"}}),
              cases.call(f"extension {label}", *EXTEND,
                         json_body={"prompt": "a", "seconds": ctx.rules.defaults["seconds"], "video": {"id": "video_1"}})]
    for case in probes:
        case.auth, case.clause, case.expect = auth, clause_id, "unauthorized"
    return probes
