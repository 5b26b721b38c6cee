"""The job lifecycle: content not ready, following jobs, content, remix, unknown ids, delete.

One completed video is kept (``RunState.completed_id``): content and remix use it, the delete step
deletes another one, and the auth probes run against it at the end.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from contracts import cases
from contracts.cases import Follow, NotSent
from contracts.rules import CONTENT, DELETE, REMIX, RETRIEVE
from contracts.scenarios.common import Step, accepted_video

if TYPE_CHECKING:
    from contracts.state import RunState

LIFECYCLE = ("lifecycle.retrieve-after-create", "lifecycle.status-forward", "lifecycle.progress-monotonic",
             "lifecycle.reaches-terminal", "lifecycle.retrieve-stable")


def content_not_ready(state: "RunState") -> Step:
    """Right after the first creates: the content of a job still running is asked for (refused
    with 404 is the contract: checks/jobs.py); if it is served, the job is retrieved again, to tell a
    job that completed meanwhile from content served too early."""
    clause_id = "content.not-ready-rejected"
    # The youngest job, created a moment ago: the likeliest to be still running. A status outside
    # the enum (the schema clause's finding) is no finished job either.
    young = [v for v in reversed(state.kept) if v.get("status") not in state.rules.statuses.terminal]
    if not young:
        yield NotSent(clause_id, "every job was finished at its create answer" if state.kept
                      else "no create was accepted, so there is no job to ask early")
        return
    video_id = young[0]["id"]
    answer = yield cases.call("content of a job not completed", *CONTENT, video_id, partial_body=True, at_once=True)
    if answer is not None and answer.ok and answer.status == 200:
        yield cases.call("retrieve after early content", *RETRIEVE, video_id, purpose="probe")


def follow_jobs(state: "RunState") -> Step:
    """Poll the followed jobs (polled during the run so far) until each ends or the window closes."""
    if not state.schedule.tracks:
        for clause_id in LIFECYCLE:
            yield NotSent(clause_id, "no create was accepted, so there is no job to follow")
        return
    yield Follow()
    for track in state.schedule.followed("create"):
        job = state.history.jobs.get(track.video_id)
        if job is not None and job.completed and state.completed_id is None:
            state.completed_id = job.id


def no_completed_reason(state: "RunState") -> str:
    followed = [state.history.jobs[t.video_id] for t in state.schedule.followed("create")
                if t.video_id in state.history.jobs]
    if followed and all(job.last.status == state.rules.statuses.failed for job in followed):
        return f"every followed job failed ({len(followed)}), so there is no completed video"
    return "no followed job completed within the time budget"


def content(state: "RunState") -> Step:
    if state.completed_id is None:
        yield NotSent("content.download", no_completed_reason(state))
        return
    for variant in state.rules.variant_media_types:
        # its status and its bytes are judged by the checks of content.download
        yield cases.call(f"content variant={variant}", *CONTENT, state.completed_id, query={"variant": variant},
                         partial_body=True, clause="content.download", expect="accepted")
        state.coverage.enum("variant", variant, "query")


def remix(state: "RunState") -> Step:
    if state.completed_id is None:
        yield NotSent("remix.sets-source", no_completed_reason(state))
        return
    answer = yield cases.call("remix a completed video", *REMIX, state.completed_id,
                              json_body={"prompt": "the same scene, at night"}, clause="remix.sets-source",
                              expect="accepted")
    video = accepted_video(answer)  # judged by the checks of remix.sets-source
    if video is not None:
        state.kept.append(video)


def _unknown_id_calls(missing: str) -> list[cases.Case]:
    calls = [
        cases.call("retrieve an unknown id", *RETRIEVE, missing),
        cases.call("delete an unknown id", *DELETE, missing),
        cases.call("content of an unknown id", *CONTENT, missing),
        cases.call("remix an unknown id", *REMIX, missing, json_body={"prompt": "a"}),
    ]
    for case in calls:
        case.clause, case.expect = "errors.unknown-id-not-found", "not-found"
    return calls


def unknown_id(state: "RunState") -> Step:
    """Retrieve an unknown id, before the delete: a deleted id is then judged like any missing one."""
    yield from _send_unknown(state, _unknown_id_calls("video_" + uuid.uuid4().hex)[:1])


def unknown_ids(state: "RunState") -> Step:
    """Delete, content and remix of an unknown id, after their own steps: an operation found to have
    no route (404/405 to a request that must succeed) is not probed again, its clause said it."""
    yield from _send_unknown(state, _unknown_id_calls("video_" + uuid.uuid4().hex)[1:])


def _send_unknown(state: "RunState", calls: list[cases.Case]) -> Step:
    for case in calls:
        if state.offers_case(case) and case.operation not in state.history.routes_missing:
            yield case


def delete(state: "RunState") -> Step:
    """Delete a finished video other than the one kept for the auth probes, then retrieve it."""
    finished = [v["id"] for v in state.kept if v["id"] != state.completed_id and not state.deleted(v["id"])
                and state.history.jobs.get(v["id"]) is not None and state.history.jobs[v["id"]].ended]
    others = [v["id"] for v in state.kept if v["id"] != state.completed_id and not state.deleted(v["id"])]
    candidates = finished or others
    if not candidates:
        for clause_id in ("delete.returns-deletion", "delete.then-not-found"):
            yield NotSent(clause_id, "no video of this run could be spared for deletion")
        return
    target = candidates[0]  # the oldest spare: the newest (the remix) keeps the list spanning two seconds
    answer = yield cases.call("delete a video", *DELETE, target, clause="delete.returns-deletion", expect="accepted")
    if answer is None or not answer.ok or not 200 <= answer.status < 300:
        yield NotSent("delete.then-not-found", "the delete was not accepted")
        return
    yield cases.call("retrieve a deleted video", *RETRIEVE, target, purpose="probe")  # delete.then-not-found
