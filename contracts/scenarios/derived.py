"""Edits and extensions: new jobs made from a completed video (by id) or from an uploaded file.

Both operations are optional for a target (most self-hosted servers have neither): one not
offered (``--operations``, a profile's ``operations``) has its clauses skipped by the runner. When
it is offered, or nothing was said, the first request to its route tells whether the route exists:
a 404 or 405 to a request the operation would refuse with 400 is the operation missing, reported
once (``edit.offered`` / ``extend.offered``) with every other clause of it blocked by that.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts import cases
from contracts.cases import Case, FileField, Follow, NotSent, Planned
from contracts.rules import CONTENT, EDIT, EXTEND, RETRIEVE
from contracts.scenarios.common import Step, accepted_video, discard, video_file

if TYPE_CHECKING:
    from contracts.state import RunState


@dataclass(frozen=True)
class Derived:
    """One of the two operations that make a job from a source video."""

    operation: str  # the --operations name
    route: tuple[str, str]
    offered: str  # the root-cause clause: the route exists
    accepted: str  # valid requests accepted
    by_file: str  # the source as an uploaded file accepted
    missing: str  # missing fields rejected
    needs: tuple[str, ...]  # required fields besides the source

    def fields(self, state: "RunState") -> dict[str, str]:
        """The required fields besides the source, as a valid request sends them (the target's
        default seconds: a profile may serve only some durations)."""
        # Each request its own prompt: a server that derives ids from the prompt (content-addressed
        # ids) is then judged by video.ids-unique alone, not by every later edit whose id collides.
        values = {"prompt": f"{PROMPTS[self.operation]} (take {next(_TAKES)})",
                  "seconds": state.rules.defaults["seconds"]}
        return {name: values[name] for name in self.needs}

    def body(self, state: "RunState", source: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
        return {**self.fields(state), **fields, **({"video": source} if source is not None else {})}


_TAKES = itertools.count(1)
PROMPTS = {"edits": "the same scene, in snow", "extensions": "the camera keeps moving forward"}
EDITS = Derived("edits", EDIT, "edit.offered", "edit.by-id-accepted", "edit.by-file-accepted",
                "edit.missing-fields-rejected", ("prompt",))
EXTENSIONS = Derived("extensions", EXTEND, "extend.offered", "extend.accepted", "extend.accepted",
                     "extend.missing-fields-rejected", ("prompt", "seconds"))
DERIVED = (EDITS, EXTENSIONS)
UNKNOWN_SOURCE = "edit.unknown-source-not-found"
UNFINISHED_SOURCE = "edit.unfinished-source-rejected"
COMPLETES = "edit.result-completes"


def missing(state: "RunState", op: Derived) -> bool:
    """Whether the operation is not offered, or its route was found missing earlier in the run."""
    return not state.offers(op.operation) or op.route in state.history.routes_missing


def _json(op: Derived, name: str, body: dict[str, Any], clause: str | None = None, expect: str | None = None) -> Case:
    return cases.call(f"{op.operation}: {name}", *op.route, json_body=body, clause=clause, expect=expect)


def _form(op: Derived, name: str, fields: dict[str, str], files: list[FileField] | None = None,
          clause: str | None = None, expect: str | None = None) -> Case:
    return cases.call(f"{op.operation} multipart: {name}", *op.route, form=list(fields.items()),
                      files=list(files or []), clause=clause, expect=expect)


def _made_job(answer: Any) -> str | None:
    """The id a 2xx answer names (a job the request made), else None."""
    video = accepted_video(answer)
    return video["id"] if video is not None else None


def _send(state: "RunState", case: Case) -> Step:
    """Send a case; an invalid request wrongly accepted made a job: it is deleted at once."""
    answer = yield case
    made = _made_job(answer) if case.expect != "accepted" else None
    if made is not None:
        yield from discard(state, made)
    return answer


# ============================================================================================
# Early step: do the routes exist; is an unfinished source refused?
# ============================================================================================
def routes(state: "RunState") -> Step:
    """The offered operations whose route exists: each probed once, with a request that lacks its
    source (400 expected)."""
    if state.derived_present is None:
        present = []
        for op in DERIVED:
            if not state.offers(op.operation):
                continue
            yield from _send(state, _json(op, "no video", op.body(state, None), op.missing, "rejected"))
            if op.route not in state.history.routes_missing:
                present.append(op)
        state.derived_present = present
    return state.derived_present


def early(state: "RunState") -> Step:
    """Right after the run's first accepted create (the baseline step calls it): the edit of an
    uploaded file, followed to its end (``early_edit``). Sent before any other job, it is queued
    right behind the followed create on a one-GPU server, so it ends one job-length after it."""
    if EDITS.operation in state.derived_sent or not _budget_allows(state):
        return
    if EDITS in (yield from routes(state)):
        yield from early_edit(state)


def _budget_allows(state: "RunState") -> bool:
    """Whether --max-creates leaves room for the plan's every job (its default does): under a lower
    cap the edit is not sent ahead of the baseline and the plan, it is sent in its place, not followed."""
    left = state.creates_left
    return left is None or left >= state.plan_creates - len(state.history.jobs)


def routes_and_unfinished(state: "RunState") -> Step:
    """Probe the routes (if the baseline step did not), then ask for an edit and an extension of a
    job created a moment ago, before it can have completed."""
    present = yield from routes(state)
    if not present:
        return
    yield from _unfinished(state, present)
    yield from early(state)  # no create was accepted in the baseline: the edit of a file needs none


def _unfinished(state: "RunState", present: list[Derived]) -> Step:
    """Ask for an edit and an extension of a job that has not completed (refused at once expected)."""
    kept = yield from _unfinished_kept(state)
    if kept is not None:
        # a kept job the run needs anyway: no job spent, unless it completed between the retrieve
        # that showed it running and the probes (a fast server): then one job of its own, once
        if not (yield from _unfinished_probes(state, present, kept)):
            return
    create = state.baseline.case("a source that has not completed yet", None, "accepted") if state.baseline.any else None
    if create is None:
        yield NotSent(UNFINISHED_SOURCE, "no create was accepted, so there is no unfinished source")
        return
    create.expect, create.at_once = None, True  # it serves this clause; its acceptance is judged elsewhere
    answer = yield create
    job = accepted_video(answer)
    if answer is None:
        yield NotSent(UNFINISHED_SOURCE, f"--max-creates ({state.options.max_creates}) reached: no job to be an "
                      "unfinished source")
        return
    if job is None:
        yield NotSent(UNFINISHED_SOURCE, "the create for an unfinished source was not accepted")
        return
    if job.get("status") in state.rules.statuses.terminal:
        yield NotSent(UNFINISHED_SOURCE, "the new job was already finished when it was answered")
    else:
        yield from _unfinished_probes(state, present, job)
    yield from discard(state, job["id"])  # it served its purpose: spare the GPU


def _unfinished_kept(state: "RunState") -> Step:
    """The youngest job the run keeps anyway (a spare, not the followed one), if it has not
    finished yet: on a GPU server it waits queued behind the followed job, so it can be the
    unfinished source without a job of its own. Asked for now (one retrieve, no job)."""
    followed = {track.video_id for track in state.schedule.tracks}
    spares = [v for v in reversed(state.kept) if v["id"] not in followed and not state.deleted(v["id"])]
    if not spares or spares[0].get("status") in state.rules.statuses.terminal:
        return None
    answer = yield cases.call("retrieve a kept job (an unfinished source?)", *RETRIEVE, spares[0]["id"],
                              at_once=True, purpose="probe")
    status = (answer.json_object() or {}).get("status") if answer is not None and answer.ok and answer.status == 200 \
        else None
    return spares[0] if isinstance(status, str) and status not in state.rules.statuses.terminal else None


def _unfinished_probes(state: "RunState", present: list[Derived], job: dict[str, Any]) -> Step:
    """An edit and an extension of ``job`` now, while it runs (judged at the end of the run by what
    the record shows of the source then: checks/jobs.py); one that made a job is retrieved again, to
    tell a source that completed meanwhile from a refusal that never came. True if it had: the
    probes showed nothing."""
    for op in present:
        case = _json(op, "a source that has not completed", op.body(state, {"id": job["id"]}), UNFINISHED_SOURCE)
        case.at_once = True  # now, while the source runs: no wait behind the run's jobs
        answer = yield case
        made = _made_job(answer)
        if made is not None and made != job["id"]:
            yield from discard(state, made)  # a job that should not exist: deleted at once
        if made is not None:
            again = yield cases.call("retrieve the unfinished source", *RETRIEVE, job["id"], purpose="probe")
            seen = again.named if again is not None else None
            if seen is not None and seen.get("status") == state.rules.statuses.completed:
                return True  # the next probe of it would make a job for nothing
    return False


# ============================================================================================
# Main step: valid and invalid requests, the results as jobs
# ============================================================================================
def run(state: "RunState") -> Step:
    results: list[tuple[Derived, Case, dict[str, Any]]] = []
    for op in DERIVED:
        if missing(state, op):
            continue
        source = state.completed_id
        # Invalid: every required field left out in turn, seconds out of the enum (400). With an
        # unknown source a server may answer 404 first, so the JSON ones need a completed source.
        invalid = [_form(op, "no video", op.body(state, None), clause=op.missing, expect="rejected")]
        if source is not None:
            known = {"id": source}
            invalid += [_json(op, f"no {name}", {k: v for k, v in op.body(state, known).items() if k != name},
                              op.missing, "rejected") for name in op.needs]
            if "seconds" in op.needs:
                bad = next(v for v in ("10", "5", "7", "99") if v not in state.rules.seconds)
                as_integer = int(state.rules.defaults["seconds"])
                invalid += [_json(op, f"seconds={bad!r}", op.body(state, known, seconds=bad), op.missing, "rejected"),
                            _json(op, "seconds as a JSON integer", op.body(state, known, seconds=as_integer),
                                  op.missing, "rejected")]
        for case in invalid:
            yield from _send(state, case)
        yield from _send(state, _json(op, "an unknown source id", op.body(state, {"id": "video_" + uuid.uuid4().hex}),
                                      UNKNOWN_SOURCE, "not-found"))
        # Valid: a completed video by id as multipart video[id] (what the openai SDK sends) and as
        # JSON {"video": {"id"}} (an extension's only when video[id] is refused: one job less, said
        # beside its verdict), and an uploaded file (multipart).
        if source is None:
            yield NotSent(op.accepted, "no video completed, so there is no source to name by id")
        else:
            sdk = yield from _valid(state, op, _form(op, "a completed video by video[id]",
                                                     {**op.fields(state), "video[id]": source}, clause=op.accepted,
                                                     expect="accepted"), results)
            if op is EDITS or sdk is False:
                yield from _valid(state, op, _json(op, "a completed video by id", op.body(state, {"id": source}),
                                                   op.accepted, "accepted"), results)
            else:
                yield Planned(op.accepted, "by id as multipart video[id] (what the openai SDK sends); JSON "
                              "{\"video\": {\"id\"}} is sent when that is refused (one job less)")
        if op.operation not in state.derived_sent:  # sent early (``early_edit``): its job is followed
            yield from _valid(state, op, _by_file(state, op), results)
    yield from _results_retrievable(state, results)
    yield from complete(state)


def _by_file(state: "RunState", op: Derived) -> Case:
    return _form(op, "an uploaded MP4 as the source", op.fields(state), [video_file()], op.by_file, "accepted")


def _valid(state: "RunState", op: Derived, case: Case, results: list[tuple[Derived, Case, dict[str, Any]]]) -> Step:
    """Send a valid request: True accepted (its job joins ``results``), False refused, None not sent."""
    answer = yield from _send(state, case)
    if answer is None or not answer.ok:
        return None
    video = accepted_video(answer)  # a new job, not its source: checks/jobs.py
    if video is None:
        return False
    results.append((op, case, video))
    return True


def _results_retrievable(state: "RunState", results: list[tuple[Derived, Case, dict[str, Any]]]) -> Step:
    """Each new job is retrieved at once (judged: it is retrievable like any other), then deleted:
    a GPU server is spared generating them (the edit followed to its end is ``early_edit``'s)."""
    for op, case, video in results:
        yield cases.call(f"retrieve the {op.operation} result", *RETRIEVE, video["id"], purpose="probe")
        yield from discard(state, video["id"])


# ============================================================================================
# One edit followed to its end, like the followed create
# ============================================================================================
def early_edit(state: "RunState") -> Step:
    """Send the edit of an uploaded file now (it needs no completed source) and follow its job from
    here on, polled between the run's requests alongside the followed create: on a server that runs
    jobs side by side it ends while the run goes on; on a one-GPU server it waits queued behind the
    jobs sent before it. It is the by-file edit the main step would send anyway: no job of its own."""
    results: list[tuple[Derived, Case, dict[str, Any]]] = []
    state.derived_sent[EDITS.operation] = yield from _valid(state, EDITS, _by_file(state, EDITS), results)
    for _, _, video in results:
        answer = yield cases.call("retrieve the edit result", *RETRIEVE, video["id"], purpose="poll")
        body = answer.json_object() if answer is not None and answer.ok and answer.status == 200 else None
        if body is None or body.get("id") != video["id"]:
            yield from discard(state, video["id"])  # not a job that can be followed (edit.result-is-a-job said why)
            continue
        state.schedule.follow(body, kind="edit", retrieved=True)


def complete(state: "RunState") -> Step:
    """Finish following the edit's job (judged like the followed create: checks/jobs.py), and
    download its content once it completed. When the followed create did not end within its window,
    the edit is not given a window of its own (the same defect of every job: one finding)."""
    if missing(state, EDITS):
        return
    edits = state.schedule.followed("edit")
    if not edits:
        if EDITS.operation not in state.derived_sent:
            yield NotSent(COMPLETES, f"--max-creates ({state.options.max_creates}) is below the plan's "
                          f"{state.plan_creates}: no edit was followed to its end")
        else:
            yield NotSent(COMPLETES, "no edit was accepted and retrievable, so there is no edit job to follow")
        return
    track = edits[0]
    jobs = state.history.jobs
    creates_ended = all(jobs[t.video_id].ended for t in state.schedule.followed("create") if t.video_id in jobs)
    if creates_ended:
        yield Follow((track.video_id,))
    job = jobs.get(track.video_id)
    if job is None or not job.ended:
        if job is not None:
            yield from discard(state, job.id)  # still running: spare the GPU
        return
    if job.completed and state.offers("content"):
        yield cases.call("content of the completed edit", *CONTENT, job.id, partial_body=True)
