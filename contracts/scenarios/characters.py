"""Characters: made from an uploaded video and a name, then retrievable.

Optional for a target like edits (``--operations``): when offered or unsaid, the first request
tells whether ``POST /videos/characters`` exists; a missing route is one finding
(``character.offered``) that blocks the other character clauses.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from contracts import cases
from contracts.cases import Case, FileField, NotSent
from contracts.rules import CREATE_CHARACTER, EDIT, EXTEND, GET_CHARACTER
from contracts.scenarios.common import Step, video_file

if TYPE_CHECKING:
    from contracts.state import RunState

NAME_LIMITS = "CharacterName"
NOT_VIDEOS = {
    "a text file named .mp4": ("video", "character.mp4", "video/mp4", b"this is plain text, not a video\n"),
    "a PNG image": ("video", "character.png", "image/png", cases.image_bytes(64, 64)),
}
MISSING = "character.missing-fields-rejected"


def character_case(name: str, fields: dict[str, str], files: list[FileField], clause: str | None = None,
                   expect: str | None = None) -> Case:
    return cases.call(f"character: {name}", *CREATE_CHARACTER, form=list(fields.items()), files=list(files),
                      clause=clause, expect=expect)


def get_case(name: str, character_id: str, **kwargs: Any) -> Case:
    method, template = GET_CHARACTER
    return Case(name=name, method=method, path=template.replace("{character_id}", character_id), operation=GET_CHARACTER,
                **kwargs)


def run(state: "RunState") -> Step:
    if not state.offers("characters"):
        return
    # The first request tells whether the route exists (character.offered judges its answer).
    yield character_case("no video", {"name": "Mossy"}, [], MISSING, "rejected")
    if CREATE_CHARACTER in state.history.routes_missing:
        return
    shortest, longest = state.spec.string_limits(NAME_LIMITS)
    rejected = [character_case("no name", {}, [video_file()], MISSING, "rejected")]
    rejected += [character_case(name, fields, [video_file()], "character.name-out-of-range-rejected", "rejected")
                 for name, fields in (("an empty name", {"name": ""}),
                                      (f"a name of {longest + 1} characters", {"name": "n" * (longest + 1)}))]
    rejected += [character_case(label, {"name": "Mossy"}, [upload], "character.not-video-rejected", "rejected")
                 for label, upload in NOT_VIDEOS.items()]
    for case in rejected:
        yield case
    made = []
    for name in ("M" * max(1, shortest), "N" * longest):
        answer = yield character_case(f"a name of {len(name)} characters", {"name": name}, [video_file()],
                                      "character.name-boundaries-accepted", "accepted")
        body = answer.json_object() if answer is not None and answer.ok and 200 <= answer.status < 300 else None
        if body is not None and isinstance(body.get("id"), str) and body["id"]:
            made.append(body["id"])
    if not made:
        yield NotSent("character.retrievable", "no character was created with an id to retrieve")
    for character_id in made:
        yield get_case("retrieve a character just created", character_id)  # judged by character.retrievable
    yield get_case("an unknown character id", "char_" + uuid.uuid4().hex, clause="character.unknown-id-not-found",
                   expect="not-found")


def auth_probes(state: "RunState", clause_id: str, auth: str | None, label: str) -> list[Case]:
    """Requests of the optional operations for the auth clauses (none is sent to one found missing)."""
    probes = [character_case(f"create {label}", {"name": "Mossy"}, [video_file()]),
              get_case(f"retrieve a character {label}", "char_" + uuid.uuid4().hex),
              cases.call(f"edit {label}", *EDIT, json_body={"prompt": "a", "video": {"id": "video_1"}}),
              cases.call(f"extension {label}", *EXTEND,
                         json_body={"prompt": "a", "seconds": state.rules.defaults["seconds"], "video": {"id": "video_1"}})]
    for case in probes:
        case.auth, case.clause, case.expect = auth, clause_id, "unauthorized"
    return probes
