"""The one way a run sends a case: ``Sender.send``.

Before a case: the polls that are due (the jobs the run follows), and, once the target showed it
takes one job at a time, a wait until the run's jobs ended. Then the request (the client retries a
429 or a 503 as the openai SDK does, and a kept-alive connection found reset once). Back-pressure is
never a verdict: a 503 while the target may be busy (the run's jobs running, or jobs it deleted
that a server which does not cancel may still generate) is waited out within the budget and the
same case sent again; only the idle target's answer is judged as the case's. Every answer, the ones
waited out included, goes into the record (contracts/history.py) and to the judge (contracts/judge.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from contracts.cases import Case
from contracts.cost import deleted_unfinished
from contracts.failures import RunAborted
from contracts.rules import CREATING, STATUS

if TYPE_CHECKING:
    from contracts.client import Client, Response
    from contracts.history import Job
    from contracts.state import RunState

MAX_CONSECUTIVE_TRANSPORT_ERRORS = 3  # then the target is down or hanging: stop, do not wait out the budget
DEFAULT_JOB_SECONDS = 10.0  # how long a job is taken to run before any was seen to end
BODY_CAP_PARTIAL = 64 * 1024  # a content download: its start is enough


class Sender:
    def __init__(self, state: "RunState", client: "Client") -> None:
        self.state = state
        self.client = client
        self.transport_errors_in_a_row = 0
        self.quiet_since = 0  # the record's length when the target last showed it was idle
        self.idle_refusals: set[tuple] = set()  # kinds of request a 503 answered while the target was idle

    # ---- the one way to send -----------------------------------------------------------------------
    def send(self, case: Case) -> "Response | None":
        """Send ``case`` (after the due polls, unless it goes ``at_once``); None when the create cap
        stopped it (each clause it was planned for notes the dropped case)."""
        state = self.state
        creating = case.operation in CREATING
        # The cap counts creates that may make a job; a case that a conforming target refuses (an
        # unknown id, no key) makes none. A hard cap: an invalid case too once it is reached (a
        # target that wrongly accepts it makes a job).
        if creating and state.creates_left == 0 and case.expect in (None, "accepted", "tolerated", "rejected"):
            for clause_id in case.planned_for:
                state.judge.dropped(clause_id, case.name, f"--max-creates ({state.options.max_creates}) reached")
            return None
        for clause_id in case.planned_for:
            state.judge.case_sent(clause_id)
        if not case.at_once:
            self.poll_due()
            if creating and state.one_job_at_a_time:
                self.wait_until_idle()
        return self._exchange(case)

    def _exchange(self, case: Case) -> "Response":
        """One case until an answer that is not back-pressure: every answer recorded and judged."""
        waited_until = None
        while True:
            answer = self._request(case)
            busy = answer.ok and answer.status == 503 and self._maybe_busy(case, waited_until)
            answer.superseded = busy
            self._record(case, answer)
            if not busy:
                break
            waited_until = waited_until or self.client.clock() + self._busy_horizon()
            self._wait_out(answer)
        accepted_create = case.operation in CREATING and answer.ok and 200 <= answer.status < 300
        if answer.ok and answer.status != 503 and (waited_until is not None or accepted_create):
            self.quiet_since = len(self.state.history)  # the target took it: it is not busy now
        if accepted_create and waited_until is not None:
            self.state.one_job_at_a_time = True  # refused while busy, taken once idle: one job at a time from now
        if answer.ok and answer.status == 503:
            self.idle_refusals.add(_kind(case))
        self._count_transport_error(answer)
        return answer

    def _request(self, case: Case) -> "Response":
        headers, body = case.encode()
        # A kind of request the idle target already refused with 503 is not retried again and again:
        # that 503 is what it answers, not back-pressure.
        answer = self.client.request(case.method, case.path, query=case.query, headers=headers, content=body,
                                     auth=case.auth, body_cap=BODY_CAP_PARTIAL if case.partial_body else None,
                                     retries=0 if _kind(case) in self.idle_refusals else None)
        operation = case.operation[1] if case.operation else case.path
        self.state.coverage.operations[f"{case.method} {operation}"] += 1 + len(answer.retried)
        return answer

    def _record(self, case: Case, answer: "Response") -> None:
        """Into the record and to the judge: the answers the client retried first, then this one."""
        for retried in answer.retried:
            retried.case, retried.superseded = case, True
            self.state.history.add(retried)
            self.state.judge.judge(retried)
        answer.case = case
        self.state.history.add(answer)
        self.state.judge.judge(answer)

    # ---- back-pressure -------------------------------------------------------------------------------
    def _maybe_busy(self, case: Case, waited_until: float | None) -> bool:
        """Whether a 503 may be the target busy with jobs: the run's own still running, or ones it
        deleted unfinished that a server which does not cancel may still generate (for as long as
        that could take). A probe sent at once (its point is a job still running), and a kind of
        request already refused while the target was idle, are not waited for."""
        if case.at_once or _kind(case) in self.idle_refusals or self.client.remaining() <= 1:
            return False
        if waited_until is not None and self.client.clock() >= waited_until:
            return False
        return bool(self.state.history.running() or self._deleted_pending())

    def _deleted_pending(self) -> list["Job"]:
        """Jobs deleted before they ended, since the target last showed it was idle, that may still
        be generated: one job-length each after the latest of their deletes."""
        pending = [job for job in self.state.history.jobs.values()
                   if deleted_unfinished(job) and job.deleted_by.seq > self.quiet_since]
        if not pending:
            return []
        last = max(job.deleted_by.sent_at for job in pending)
        return pending if time.monotonic() < last + len(pending) * self._job_seconds() else []

    def _busy_horizon(self) -> float:
        """How long the target may stay busy: one job-length for each job that may still run."""
        jobs = len(self.state.history.running()) + len(self._deleted_pending())
        return min(self.state.options.job_timeout, max(1, jobs + 1) * self._job_seconds())

    def _job_seconds(self) -> float:
        """The longest a job of this run took from its create answer to the end seen (queue included)."""
        spans = [job.observations[-1].answer.sent_at - job.made_by.sent_at for job in self.state.history.jobs.values()
                 if job.ended]
        return max(spans) if spans else min(DEFAULT_JOB_SECONDS, self.state.options.job_timeout)

    def _wait_out(self, refused: "Response") -> None:
        """Until the run's jobs ended (polled), else a little: the Retry-After asked, or half a job."""
        if self.state.history.running():
            self.wait_until_idle()
            return
        from contracts.client import retry_after_seconds

        pause = retry_after_seconds(refused.headers) or self._job_seconds() / 2
        self.client.sleep(max(0.2, min(pause, self._job_seconds(), max(0.0, self.client.remaining() - 1))))

    def _count_transport_error(self, answer: "Response") -> None:
        if answer.ok:
            self.transport_errors_in_a_row = 0
            return
        self.transport_errors_in_a_row += 1
        if self.transport_errors_in_a_row >= MAX_CONSECUTIVE_TRANSPORT_ERRORS:
            raise RunAborted(f"the target stopped answering: {self.transport_errors_in_a_row} requests in a row "
                             f"failed (last: {answer.transport_error})", kind="target-down")

    # ---- polls ---------------------------------------------------------------------------------------
    def poll_due(self) -> None:
        """Poll the followed jobs whose next poll is due."""
        for track in self.state.schedule.due(time.monotonic()):
            self._poll(track)

    def _poll(self, track) -> None:
        if self.state.deleted(track.video_id):
            track.done = True
            return
        answer = self._exchange(self.state.schedule.poll_case(track))
        self.state.schedule.polled(track, answer)

    def poll_until(self, pending) -> None:
        """Poll ``pending()`` tracks, each when due, until none is left or the job window closes."""
        give_up = time.monotonic() + min(self.state.options.job_timeout, max(0.0, self.client.remaining() - 5))
        while True:
            tracks = pending()
            if not tracks or time.monotonic() >= give_up:
                return
            due = min(tracks, key=lambda t: t.next_poll)
            wait = due.next_poll - time.monotonic()
            if wait > 0:
                time.sleep(min(wait, max(0.0, give_up - time.monotonic())))
                if time.monotonic() >= give_up:
                    return
            self._poll(due)

    def follow(self, ids: tuple[str, ...] | None = None) -> None:
        """Poll the followed jobs (``ids``: only those) until each ends or the window closes."""
        schedule = self.state.schedule
        self.poll_until(lambda: [t for t in schedule.pending() if ids is None or t.video_id in ids])

    def wait_until_idle(self) -> None:
        """Poll until none of the run's jobs runs (a target that takes one job at a time), within the
        job window and the budget; a running job not followed yet is followed from here."""
        history, schedule = self.state.history, self.state.schedule
        for job in history.running():
            if not schedule.following(job.id):
                schedule.follow(job.last.video, "wait")  # polled to know when the target is idle
        running = {job.id for job in history.running()}
        self.poll_until(lambda: [t for t in schedule.pending() if t.video_id in running
                                 and history.jobs[t.video_id].last.status not in STATUS.terminal
                                 and not self.state.deleted(t.video_id)])


def _kind(case: Case) -> tuple:
    """What kind of request a case is, for a 503 seen while idle: its operation, encoding, files."""
    return case.operation, case.encoding, bool(case.files)
