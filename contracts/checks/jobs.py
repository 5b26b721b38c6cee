"""Jobs across the record: a new job is retrievable at once and stays so, its status only moves
forward and its progress never falls, it ends; its content is refused until it completed and then
downloads; ids are new; a create is queued while others run; a delete is final; a remix, edit or
extension names its source and is a new job.

A job's kind (what made it: contracts/history.py) decides whose finding a lifecycle defect is: a
job made by an edit is judged under ``edit.result-completes`` (explained by the lifecycle clause the
same defect fails on every other job), one made by an extension answers ``extend.accepted`` when it
is not retrievable at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.checks import NOT_APPLICABLE, CheckContext, at_end, check, for_clause, on_answer, on_created
from contracts.checks.expectations import RETRIED_BY_THE_SDK, wanted
from contracts.checks.responses import error_summary
from contracts.failures import Blocked, ContractViolation, NotVerifiable
from contracts.history import Job, path_id, source_of
from contracts.rules import CONTENT, CREATING, DELETE, EDIT, EXTEND, REMIX, RETRIEVE

if TYPE_CHECKING:
    from contracts.client import Response

RETRIEVE_AFTER_CREATE = "lifecycle.retrieve-after-create"
STATUS_FORWARD = "lifecycle.status-forward"
PROGRESS = "lifecycle.progress-monotonic"
STABLE = "lifecycle.retrieve-stable"
REACHES_TERMINAL = "lifecycle.reaches-terminal"
COMPLETES = "edit.result-completes"
STITCHED = "extend.seconds-stitched"
UNFINISHED_SOURCE = "edit.unfinished-source-rejected"
NOT_READY = "content.not-ready-rejected"
STUCK_POLLS = 3  # polls without any change before an unfinished job can count as stuck
STITCH_TOLERANCE = 1.0  # seconds
# The clause that says a new job of each kind is retrievable at once.
RETRIEVABLE_AT_ONCE = {"create": RETRIEVE_AFTER_CREATE, "remix": RETRIEVE_AFTER_CREATE,
                       "edit": "edit.result-is-a-job", "extension": "extend.accepted"}


def _finding(job: Job, clause_id: str, message: str, **fields: Any) -> ContractViolation:
    """A lifecycle defect of ``job``: its own clause's for a plain job; for an edit's job, a finding
    of edit.result-completes that the same defect of every job explains."""
    if job.kind == "edit":
        return ContractViolation(COMPLETES, f"the edit's job: {message}", explained_by=clause_id, **fields)
    return ContractViolation(clause_id, message, **fields)


def _retrieved(ctx: CheckContext, answer: "Response") -> Job | None:
    """The job a retrieve asks for (None for any other answer, an auth probe's, or an id the record
    never made)."""
    if ctx.case.operation != RETRIEVE or answer.superseded or ctx.case.auth is not True:
        return None
    return ctx.history.named(path_id(ctx.case.path), answer)


def _first_retrieve(job: Job, answer: "Response") -> bool:
    earlier = [r for r in job.retrieves if r.seq < answer.seq and r.ok and r.status != 429]
    return not earlier


def _perhaps_deleted_before(job: Job, answer: "Response") -> bool:
    """Perhaps deleted when ``answer`` was made: a retrieve that overlapped the delete proves nothing."""
    return job.deleted_by is not None and (job.deleted_by.seq < answer.seq or job.maybe_deleted(answer))


# ---- retrievable at once, and then to the end ---------------------------------------------------
@check(RETRIEVE_AFTER_CREATE)
def retrievable_at_once(ctx: CheckContext, answer: "Response") -> Any:
    """The first retrieve of a new job answers it (200, the same id). In live traffic, an answer other than
    200 is judged at the end (``_later``): a delete sent at the same time may be recorded after it."""
    if ctx.judging.live and answer.ok and answer.status != 200:
        return NOT_APPLICABLE
    return _at_once(ctx, answer)


def _at_once(ctx: CheckContext, answer: "Response") -> Any:
    job = _retrieved(ctx, answer)
    if job is None or _perhaps_deleted_before(job, answer) or not _first_retrieve(job, answer):
        return NOT_APPLICABLE
    if answer.ok and answer.status == 429:
        return NOT_APPLICABLE
    clause_id = RETRIEVABLE_AT_ONCE[job.kind]
    explained = None if clause_id == RETRIEVE_AFTER_CREATE else RETRIEVE_AFTER_CREATE
    if not answer.ok:
        return [(clause_id, Blocked("response.transport", f"retrieving {job.id} right after it was made: no answer"))]
    body = answer.json_object()
    if answer.status != 200:
        return [(clause_id, ContractViolation(
            clause_id, f"the {job.kind} {job.id} was answered {answer.status} when retrieved right after it was made",
            field="status", received=f"{answer.status} {error_summary(answer)}".strip(), expected="200 and the Video",
            explained_by=explained))]
    if body is not None and body.get("id") != job.id:  # not a JSON object: the schema clause's
        return [(clause_id, ContractViolation(clause_id, f"retrieving the {job.kind} {job.id} answered another video",
                                              field="$.id", received=body.get("id"), expected=job.id,
                                              explained_by=explained))]
    return [(clause_id, None)]


@check(STABLE)
def stays_retrievable(ctx: CheckContext, answer: "Response") -> Any:
    """A job retrieved once stays retrievable with 200 until it is deleted (failed jobs included). In
    live traffic, an answer other than 200 is judged at the end (``stayed_retrievable``): a delete sent
    at the same time by another client may be recorded after it."""
    if ctx.judging.live and answer.ok and answer.status != 200:
        return NOT_APPLICABLE
    return _stays(ctx, answer)


@at_end(RETRIEVE_AFTER_CREATE)
def retrievable_at_once_later(ctx: CheckContext):
    """Live traffic: the first retrieves answered other than 200, once the deletes sent meanwhile are known."""
    yield from _later(ctx, _at_once)


@at_end(STABLE)
def stayed_retrievable(ctx: CheckContext):
    """Live traffic: the retrieves answered other than 200, once the deletes sent meanwhile are known."""
    yield from _later(ctx, _stays)


def _later(ctx: CheckContext, judge: Any):
    if not ctx.judging.live:
        return
    for answer in ctx.history.of(RETRIEVE):
        if answer.ok and answer.status != 200 and not answer.superseded:
            outcome = judge(ctx.on(answer.case), answer)
            if outcome is not NOT_APPLICABLE:
                for clause_id, found in outcome:
                    yield clause_id, found, answer


def _stays(ctx: CheckContext, answer: "Response") -> Any:
    job = _retrieved(ctx, answer)
    if job is None or _perhaps_deleted_before(job, answer) or _first_retrieve(job, answer) or not answer.ok:
        return NOT_APPLICABLE
    if answer.status == 429 or not any(r.seq < answer.seq and r.ok and r.status == 200 for r in job.retrieves):
        return NOT_APPLICABLE  # never retrievable yet: retrievable_at_once said so
    if answer.status == 200:
        return NOT_APPLICABLE if job.kind == "edit" else [(STABLE, None)]
    finding = _finding(job, STABLE, f"{job.id} was retrievable, then answered {answer.status}", field="status",
                       received=f"{answer.status} {error_summary(answer)}".strip(), expected="200 and the Video")
    return [(finding.clause_id, finding)]


def _observed(ctx: CheckContext, answer: "Response") -> tuple[Job, Any, Any] | None:
    """(job, this observation, the one before) for a 200 retrieve of a job seen before; None once
    its id was answered to another create too (two jobs' states under one id: video.ids-unique)."""
    job = _retrieved(ctx, answer)
    if job is None or not answer.ok or answer.status != 200 or job.replaces is not None:
        return None
    now = next((o for o in reversed(job.observations) if o.answer is answer), None)
    # a list page may lag behind the job; an answer that came while this request was out may show the
    # job before or after this one did (a proxy's clients send requests at once)
    before = job.seen_before(answer.seq, listed=False, sent=answer.sent_at)
    if now is None or before is None:
        return None
    return job, now, before


def _went_back(ctx: CheckContext, previous: Any, status: Any) -> bool:
    statuses = ctx.rules.statuses
    rank, before = statuses.rank(status), statuses.rank(previous)
    return rank is not None and before is not None and (
        rank < before or (previous in statuses.terminal and status != previous))


@check(STATUS_FORWARD)
def status_forward(ctx: CheckContext, answer: "Response") -> Any:
    seen = _observed(ctx, answer)
    if seen is None:
        return NOT_APPLICABLE
    job, now, before = seen
    if _went_back(ctx, before.status, now.status):
        finding = _finding(job, STATUS_FORWARD, f"status went back from {before.status} to {now.status}",
                           field="$.status", received=now.status, expected=f"{before.status} or later")
        return [(finding.clause_id, finding)]
    return NOT_APPLICABLE if job.kind == "edit" else [(STATUS_FORWARD, None)]


@check(PROGRESS)
def progress_monotonic(ctx: CheckContext, answer: "Response") -> Any:
    seen = _observed(ctx, answer)
    if seen is None:
        return NOT_APPLICABLE
    job, now, before = seen
    if _went_back(ctx, before.status, now.status):
        # A job sent back to an earlier status restarts its progress: one root cause, said once.
        return NOT_APPLICABLE if job.kind == "edit" else [(PROGRESS, Blocked(STATUS_FORWARD))]
    if before.progress is not None and now.progress is not None and now.progress < before.progress:
        finding = _finding(job, PROGRESS, f"progress fell from {before.progress} to {now.progress}",
                           field="$.progress", received=now.progress, expected=f">= {before.progress}")
        return [(finding.clause_id, finding)]
    return NOT_APPLICABLE if job.kind == "edit" else [(PROGRESS, None)]


# ---- the end of a job -----------------------------------------------------------------------------
def _followed(job: Job) -> bool:
    """A job polled (the kit's followed jobs; in a proxy, any job a client polled)."""
    return any(r.case is not None and r.case.purpose == "poll" for r in job.retrieves)


def _stuck(ctx: CheckContext, job: Job) -> ContractViolation | None:
    """In progress at a progress above 0 that has not moved for STUCK_POLLS polls and half the window
    (a worker that died after its last step)."""
    last, tail = job.last, job.steady
    still = last.answer.sent_at - job.steady_from.answer.sent_at if job.steady_from is not None else 0.0
    window = ctx.judging.job_timeout
    if last.status == ctx.rules.statuses.in_progress and (last.progress or 0) > 0 and tail > STUCK_POLLS \
            and still >= window / 2:
        completed, failed = ctx.rules.statuses.terminal
        return _finding(job, REACHES_TERMINAL, f"{job.id} stayed {last.status} at {last.progress}% for {still:.1f} s "
                        f"({tail - 1} polls) and never ended: stuck (raise --job-timeout if your jobs really pause "
                        "that long)", field="$.progress", received=last.progress,
                        expected=f"progress, or {completed}/{failed}")
    return None


def _unfinished(ctx: CheckContext, job: Job) -> ContractViolation | NotVerifiable:
    """What a followed job still running at the end says: stuck (a violation), or slow (not
    verified: a slow GPU queue is no violation), except on the reference server, which is never slow."""
    stuck = _stuck(ctx, job)
    if stuck is not None:
        return stuck
    last = job.last
    span = last.answer.sent_at - job.observations[0].answer.sent_at
    if ctx.judging.embedded:
        completed, failed = ctx.rules.statuses.terminal
        return _finding(job, REACHES_TERMINAL, f"{job.id} was still {last.status} after {span:.1f} s",
                        field="$.status", received=last.status, expected=f"{completed} or {failed}")
    whose = "the edit's job " if job.kind == "edit" else ""
    return NotVerifiable(f"{whose}{job.id} was still {last.status} after {span:.0f} s (raise --job-timeout for "
                         "slow servers)")


@at_end(REACHES_TERMINAL)
def jobs_end(ctx: CheckContext):
    """Every job followed ends (completed or failed). A plain job's end is lifecycle.reaches-terminal's,
    an edit's job's edit.result-completes': when the followed create did not end either, the edit's
    job was not given a window of its own, and its finding is the create's (one defect of every job)."""
    followed = [job for job in ctx.history.jobs.values()
                if _followed(job) and any(r.ok and r.status == 200 for r in job.retrieves)]
    plain = {job.id: (None if job.ended else _unfinished(ctx, job)) for job in followed if job.kind != "edit"}
    for job in followed:
        clause_id = COMPLETES if job.kind == "edit" else REACHES_TERMINAL
        if job.ended:
            yield clause_id, None, job.last.answer
            continue
        if ctx.judging.live:
            # Live traffic: a client that stopped polling a job still running says nothing of the
            # server, unless its polls showed the job stuck.
            stuck = _stuck(ctx, job)
            if stuck is not None:
                yield stuck.clause_id, stuck, job.last.answer
            continue
        found = plain.get(job.id) if job.kind != "edit" else None
        if job.kind == "edit":
            unended = [f for f in plain.values() if f is not None]
            if any(isinstance(f, ContractViolation) for f in unended):
                found = ContractViolation(COMPLETES, "the edit's job: still running, like the followed create",
                                          field="$.status", received=job.last.status, explained_by=REACHES_TERMINAL)
            elif unended:
                found = NotVerifiable(f"the edit's job {job.id} was still {job.last.status}, like the followed create")
            else:
                found = _unfinished(ctx, job)
        yield clause_id, found, job.last.answer


# ---- content --------------------------------------------------------------------------------------
MAGIC = {
    "video/mp4": lambda b: b[4:8] == b"ftyp",
    "image/webp": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP",
    "image/jpeg": lambda b: b[:3] == b"\xff\xd8\xff",
}


@for_clause("content.download")
def content_is_the_variant(ctx: CheckContext, answer: "Response") -> Any:
    if ctx.case.operation != CONTENT:
        return NOT_APPLICABLE
    variant = (ctx.case.query or {}).get("variant", ctx.rules.default_variant)
    media_type = ctx.rules.variant_media_types.get(variant)
    if media_type is None:
        return NOT_APPLICABLE
    if answer.media_type != media_type:
        raise ContractViolation("content.download", f"variant={variant} has the wrong Content-Type",
                                field="Content-Type", received=answer.media_type or "(none)", expected=media_type)
    if media_type in MAGIC and not MAGIC[media_type](answer.body):
        raise ContractViolation("content.download", f"variant={variant} bytes are not {media_type}",
                                field="body", received=answer.body[:16].hex(), expected=f"a {media_type} file")


@check(COMPLETES)
@on_answer
def edit_content(ctx: CheckContext, answer: "Response") -> Any:
    """The content of a completed edit's job downloads as an MP4."""
    job = ctx.history.jobs.get(path_id(ctx.case.path)) if ctx.case.operation == CONTENT else None
    if job is None or job.kind != "edit" or not job.completed or answer.status == 429:
        return NOT_APPLICABLE
    expected = ctx.rules.variant_media_types.get("video", "video/mp4")
    variant = (ctx.case.query or {}).get("variant", ctx.rules.default_variant)
    if variant != "video":
        return NOT_APPLICABLE
    if answer.status != 200 or answer.media_type != expected:
        raise ContractViolation(COMPLETES, f"the content of a completed edit was answered {answer.status} "
                                f"{answer.media_type or '(no type)'}",
                                field="status" if answer.status != 200 else "Content-Type",
                                received=f"{answer.status} {answer.media_type}".strip(), expected=f"200 {expected}",
                                explained_by="content.download", wanted="accepted")
    return None


@at_end(NOT_READY)
def content_refused_until_completed(ctx: CheckContext):
    """Content asked of a job the record showed unfinished is refused at once with 404 (the live
    API's "Video is not ready yet"), not 409 (which the SDK retries) and not served."""
    for answer in ctx.history.of(CONTENT):
        job = ctx.history.jobs.get(path_id(answer.case.path))
        if job is None or job.kind == "edit" or not job.unfinished_at(answer.seq) or answer.superseded:
            continue
        if (answer.case.query or {}).get("variant", ctx.rules.default_variant) not in ctx.rules.variants:
            continue  # a variant outside the enum: refused as invalid, whatever the job (live traffic may ask)
        if not answer.ok:
            yield NOT_READY, Blocked("response.transport", f"'{answer.case.name}': no answer"), answer
            continue
        if answer.status == 404:
            yield NOT_READY, None, answer
            continue
        if answer.status == 200:
            after = [o for o in job.observations if o.answer.seq > answer.seq]
            if not after and ctx.judging.live:  # a run always looks again; traffic may not
                yield NOT_READY, NotVerifiable("content of a job seen unfinished was served, and the record does not "
                                               "show the job again: it may have completed meanwhile"), answer
                continue
            if after and after[0].status == ctx.rules.statuses.completed and not _completed_after(after[0], answer):
                yield NOT_READY, NotVerifiable("the job completed while its content was being asked for"), answer
                continue
        if answer.status == 429:
            continue
        retried = " (the openai SDK retries 409: an early download waits instead of failing)" \
            if answer.status == 409 else ""
        yield NOT_READY, ContractViolation(NOT_READY, f"content of an unfinished job was not refused with 404{retried}",
                                           field="status", received=f"{answer.status} {error_summary(answer)}".strip(),
                                           expected="404 with the error envelope", wanted="not-found"), answer


def _completed_after(observation: Any, answer: "Response") -> bool:
    """Whether the job's own completed_at (Unix seconds) is later than the second the server answered
    ``answer`` in (its Date): it served content of a job that had not completed, by its own account. Both
    count whole seconds and a server may cache its Date for a second (uvicorn does): a second apart is
    not enough to tell."""
    from contracts.checks.responses import server_now

    completed_at = observation.video.get("completed_at")
    return isinstance(completed_at, int) and not isinstance(completed_at, bool) and answer.headers.get("date") \
        is not None and completed_at > int(server_now(answer)) + 1


# ---- ids, busy servers --------------------------------------------------------------------------
@check("video.ids-unique")
@on_created
def ids_unique(ctx: CheckContext, answer: "Response", video: dict) -> Any:
    job = ctx.history.jobs.get(video.get("id")) if isinstance(video.get("id"), str) else None
    if job is None:
        return NOT_APPLICABLE
    if job.made_by is not answer or job.replaces is not None:
        raise ContractViolation("video.ids-unique", "a create returned the id of an earlier job", field="$.id",
                                received=video["id"], expected="a new id")
    return None


@check("create.queued-while-busy")
@on_created
def queued_while_busy(ctx: CheckContext, answer: "Response", video: dict) -> Any:
    """A create accepted while other jobs run passes; one refused with 503 while they ran and then
    accepted once they ended was refused for being busy: that is what queued is for."""
    refused = [a for a in ctx.history.before(answer) if a.case is ctx.case and a.ok and a.status == 503]
    if refused:
        busy = ctx.history.running(before=refused[0].seq)
        raise ContractViolation("create.queued-while-busy", f"a create sent while {len(busy) or 'other'} job(s) "
                                "were running was refused with 503 instead of being queued, and accepted once they "
                                "had ended", field="status", received=f"503 {error_summary(refused[0])}".strip(),
                                expected="200 and a Video with status queued", shown_by=refused[0])
    others = [job for job in ctx.history.running(before=answer.seq)]
    return None if others else NOT_APPLICABLE


@check("create.queued-while-busy")
def refused_while_busy(ctx: CheckContext, answer: "Response") -> Any:
    """Live traffic: a create refused with 503 as back-pressure (busy, with Retry-After: never a 5xx
    finding, contracts/proxy/grader.py) was refused instead of queued, whether or not its client sent
    it again (a run always does, and is judged on the answer it then gets)."""
    if not ctx.judging.live or not answer.superseded or not answer.ok or answer.status != 503 \
            or ctx.case.operation not in CREATING:
        return NOT_APPLICABLE
    raise ContractViolation("create.queued-while-busy", "a create was refused with 503 and Retry-After (busy) "
                            "instead of being queued", field="status",
                            received=f"503 {error_summary(answer)}".strip(), expected="200 and a Video with status queued")


# ---- delete, remix, edits, extensions ------------------------------------------------------------
@for_clause("delete.returns-deletion")
def deletion_confirms_the_video(ctx: CheckContext, answer: "Response") -> Any:
    if ctx.case.operation != DELETE:
        return NOT_APPLICABLE
    target = path_id(ctx.case.path)
    try:
        body = answer.json()
    except ValueError as exc:
        raise ContractViolation("delete.returns-deletion", f"deleting a video: {exc}", field="body",
                                expected="the deletion object") from None
    if not isinstance(body, dict) or body.get("id") != target or body.get("deleted") is not True:
        found = {k: body[k] for k in ("id", "object", "deleted") if k in body} if isinstance(body, dict) else body
        raise ContractViolation("delete.returns-deletion", "the deletion object does not confirm this video",
                                field="$.id" if not isinstance(body, dict) or body.get("id") != target else "$.deleted",
                                received=found, expected={"id": target, "object": "video.deleted", "deleted": True})


@check("delete.then-not-found")
def deleted_is_gone(ctx: CheckContext, answer: "Response") -> Any:
    """A video retrieved after its delete was accepted is 404 (the answer to any missing id: when
    that one is wrong too, this is the same defect)."""
    job = _retrieved(ctx, answer)
    if job is None or not job.deleted_before(answer):
        return NOT_APPLICABLE
    if not answer.ok:
        raise Blocked("response.transport", f"retrieving the deleted {job.id}: no answer")
    if answer.status == 404 or answer.status == 429:
        return None if answer.status == 404 else NOT_APPLICABLE
    if 200 <= answer.status < 300:
        raise ContractViolation("delete.then-not-found", "a deleted video is still retrievable", field="status",
                                received=answer.status, expected=404)
    raise ContractViolation("delete.then-not-found", f"retrieving a deleted video was answered {answer.status}",
                            field="status", received=answer.status, expected=404,
                            explained_by="errors.unknown-id-not-found")


@check("remix.sets-source")
@on_created
def remix_names_its_source(ctx: CheckContext, answer: "Response", video: dict) -> Any:
    if ctx.case.operation != REMIX:
        return NOT_APPLICABLE
    source = path_id(ctx.case.path)
    if video.get("remixed_from_video_id") != source:
        raise ContractViolation("remix.sets-source", "the remix does not name its source",
                                field="$.remixed_from_video_id", received=video.get("remixed_from_video_id"),
                                expected=source)
    if video.get("id") == source:
        raise ContractViolation("remix.sets-source", "the remix reuses the source's id", field="$.id",
                                received=video.get("id"), expected="a new id")


RESULT_CLAUSE = {EDIT: "edit.result-is-a-job", EXTEND: "extend.accepted"}


@check(None)
def derived_is_a_new_job(ctx: CheckContext, answer: "Response") -> Any:
    """An edit or extension by id answers a new job, not its source video."""
    clause_id = RESULT_CLAUSE.get(ctx.case.operation)
    if clause_id is None or not answer.ok or not 200 <= answer.status < 300:
        return NOT_APPLICABLE
    video, source = answer.json_object(), source_of(ctx.case)
    if video is None or source is None:
        return NOT_APPLICABLE
    kind = "edit" if ctx.case.operation == EDIT else "extension"
    if video.get("id") == source:
        return [(clause_id, ContractViolation(clause_id, f"the {kind} answered its source video, not a new job",
                                              field="$.id", received=video.get("id"), expected="a new id"))]
    return [(clause_id, None)] if clause_id == "edit.result-is-a-job" else NOT_APPLICABLE


@check(STITCHED)
@on_created
def extension_stitched(ctx: CheckContext, answer: "Response", video: dict) -> Any:
    """An extension of a video by id reports the stitched total: the source's seconds plus its own."""
    source = ctx.history.jobs.get(source_of(ctx.case) or "") if ctx.case.operation == EXTEND else None
    if source is None:
        return NOT_APPLICABLE
    seen = source.seen_before(answer.seq)
    source_seconds = seen.video.get("seconds") if seen is not None else None
    own = ctx.case.json_body.get("seconds") if ctx.case.encoding == "json" and isinstance(ctx.case.json_body, dict) \
        else dict(ctx.case.form or []).get("seconds")
    try:
        expected = float(source_seconds) + float(own)
    except (TypeError, ValueError):
        raise NotVerifiable(f"the source's seconds ({source_seconds!r}) is not a number") from None
    got = video.get("seconds")
    try:
        # Within a second: servers that report a clip's measured length ("4.04") stitch measured lengths.
        ok = abs(float(got) - expected) < STITCH_TOLERANCE
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ContractViolation(STITCHED, f"an extension of a {source_seconds}-second video reports seconds "
                                f"{got!r}, not the stitched total", field="$.seconds", received=got,
                                expected=f"{expected:g}")
    return None


@at_end(UNFINISHED_SOURCE)
def unfinished_source_refused(ctx: CheckContext):
    """An edit or extension of a video the record showed unfinished is refused at once: 400 or 404
    (the contract is silent: both stop an SDK client at once); not 408, 409 or 429, which the SDK
    retries silently, and never a new job (unless the source completed meanwhile)."""
    for answer in ctx.history:
        case = answer.case
        if case is None or case.operation not in (EDIT, EXTEND) or answer.superseded:
            continue
        source = ctx.history.jobs.get(source_of(case) or "")
        if source is None or not source.unfinished_at(answer.seq):
            continue
        if not answer.ok:
            yield UNFINISHED_SOURCE, Blocked("response.transport", f"'{case.name}': no answer"), answer
            continue
        if wanted("refused-at-once", answer.status):
            yield UNFINISHED_SOURCE, None, answer
            continue
        if 200 <= answer.status < 300:
            after = [o for o in source.observations if o.answer.seq > answer.seq]
            if not after and ctx.judging.live:  # a run always looks again; traffic may not
                yield UNFINISHED_SOURCE, NotVerifiable("a source seen unfinished was taken, and the record does not show "
                                                       "it again: it may have completed meanwhile"), answer
                continue
            if after and after[0].status == ctx.rules.statuses.completed:
                yield UNFINISHED_SOURCE, NotVerifiable("the source completed before the request reached the server"), answer
                continue
        retried = " (the openai SDK retries it: a client waits, then gets the same refusal)" \
            if answer.status in RETRIED_BY_THE_SDK else ""
        operation = "edit" if case.operation == EDIT else "extension"
        yield UNFINISHED_SOURCE, ContractViolation(
            UNFINISHED_SOURCE, f"an {operation} of an unfinished video was answered {answer.status}{retried}",
            field="status", received=f"{answer.status} {error_summary(answer)}".strip(),
            expected="400 or 404 (refused at once)", wanted="refused-at-once",
            explained_by="edit.offered" if case.operation == EDIT else "extend.offered"), answer  # no route: that

