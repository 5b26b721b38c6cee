"""Back-pressure as the openai SDK meets it: 429 and 503 retried after Retry-After, else with the
SDK's backoff, within the run's budget; a kept-alive connection found reset sent again once. And
back-pressure is never a verdict: a target that refuses creates while a job runs is waited out and
the same create sent again (reported once, under create.queued-while-busy; then one job at a time),
while a 503 that stays when the target is idle is judged as what it is.

Real HTTP over loopback throughout; the clock is injected (``tests/clock.py``), so the waits take
no real time and the tests do not depend on the machine's pace.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from contracts import cases
from contracts.client import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, Client, ClientOptions, retry_delay
from contracts.embedded import EmbeddedServer
from contracts.mock.faults.operations import BUSY_RETRY_AFTER
from contracts.options import RunOptions
from contracts.rules import Rules
from contracts.spec import Spec
from contracts.checks import Judging
from contracts.history import History
from contracts.judge import Judge
from contracts.send import Sender
from contracts.state import RunState
from contracts.types import Verdict
from tests.clock import FakeClock
from tests.loopback import JSONHandler, closed_after, serving

ERROR = b'{"error": {"message": "busy", "type": "server_error", "param": null, "code": null}}'


@pytest.mark.parametrize(("headers", "retries_so_far", "wait"), [
    ({"retry-after": "2"}, 0, 2.0),  # the server says how long
    ({"retry-after": "0.25"}, 1, 0.25),  # fractions too, whatever the retry
    ({"retry-after-ms": "1500", "retry-after": "9"}, 0, 1.5),  # milliseconds first (Azure sends both)
    ({"retry-after": "in 30 s"}, 0, 10.0),  # an HTTP date (made when the test runs), capped
    ({"retry-after": "30"}, 0, 10.0),  # a long wait is cut to the run's cap
    ({}, 0, INITIAL_RETRY_DELAY),  # no header: the SDK's backoff, 0.5 s ...
    ({}, 1, 2 * INITIAL_RETRY_DELAY),  # ... doubling ...
    ({}, 6, MAX_RETRY_DELAY),  # ... up to 8 s
    ({"retry-after": "0"}, 0, INITIAL_RETRY_DELAY),  # zero: the SDK backs off rather than hammer
    ({"retry-after": "soon"}, 0, INITIAL_RETRY_DELAY),  # unusable: backoff
    ({"retry-after": "600"}, 0, INITIAL_RETRY_DELAY),  # beyond two minutes: not honoured, backoff
], ids=["seconds", "fraction", "milliseconds", "http-date", "capped", "backoff-first", "backoff-second",
        "backoff-max", "zero", "unusable", "too-long"])
def test_retry_delay(headers, retries_so_far, wait):
    if headers.get("retry-after") == "in 30 s":
        headers = {"retry-after": email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30))}
    assert retry_delay(headers, retries_so_far, cap=10.0) == pytest.approx(wait, abs=0.01)


class Handler(JSONHandler):
    """/refuse/<status>/<times>[/<retry-after>]: that status the first ``times`` hits of the
    path (``-1``: always), then 200."""

    hits: dict[str, int] = {}

    def do_GET(self):
        hits = Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        _, _, status, times, *retry_after = self.path.split("?")[0].split("/")
        if int(times) < 0 or hits <= int(times):
            self.send_json(int(status), ERROR, {"Retry-After": retry_after[0]} if retry_after else {})
        else:
            self.send_json(200, b"{}")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(Handler) as url:
        yield url


@pytest.fixture
def client(request):
    def make(base_url: str, clock: FakeClock, budget: float = 60.0) -> Client:
        return closed_after(request, Client(RunOptions(base_url=base_url, budget_seconds=budget), ClientOptions(),
                                            clock=clock, sleep=clock.sleep))

    return make


@pytest.mark.parametrize(("path", "statuses", "slept", "final"), [
    ("/refuse/429/1/2", [429], [2.0], 200),  # after Retry-After
    ("/refuse/503/1/3", [503], [3.0], 200),  # a busy server's Retry-After too
    ("/refuse/429/2", [429, 429], [0.5, 1.0], 200),  # no Retry-After: the SDK's backoff
    ("/refuse/503/-1", [503, 503], [0.5, 1.0], 503),  # still refused after the SDK's 2 retries: answered as is
    ("/refuse/500/1", [], [], 500),  # a plain server error is not back-pressure: no retry
], ids=["429-retry-after", "503-retry-after", "429-backoff", "503-gives-up", "500-not-retried"])
def test_back_pressure_is_retried_like_the_sdk(server, client, path, statuses, slept, final):
    clock = FakeClock()
    response = client(server, clock).request("GET", f"{path}?test={id(clock)}")
    assert ([r.status for r in response.retried], clock.slept, response.status) == (statuses, slept, final)


@pytest.mark.parametrize(("path", "budget", "slept"), [
    ("/refuse/429/1/5", 4.0, []),  # a Retry-After beyond the budget is not waited for
    ("/refuse/503/-1", 1.2, [0.5]),  # the second backoff (1 s) no longer fits in what is left (0.7 s)
], ids=["retry-after-beyond-budget", "backoff-spends-budget"])
def test_retries_stay_within_the_budget(server, client, path, budget, slept):
    clock = FakeClock()
    response = client(server, clock, budget).request("GET", f"{path}?test={id(clock)}")
    assert response.status == int(path.split("/")[2]) and clock.slept == slept
    assert len(response.retried) == len(slept)


# ---- a kept-alive connection reset before the answer --------------------------------------------
class DropsAfterErrors(JSONHandler):
    """Answers 400 on /bad, 200 elsewhere; after an error answer it leaves the connection open and
    resets it when the next request arrives on it (a server that drops kept-alive connections)."""

    dropping: set[int] = set()

    def handle_one_request(self):
        if id(self.connection) in DropsAfterErrors.dropping:
            self.raw_requestline = self.rfile.readline(65537)
            DropsAfterErrors.dropping.discard(id(self.connection))
            self.connection.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_LINGER,
                                       __import__("struct").pack("ii", 1, 0))
            self.close_connection = True
            return
        super().handle_one_request()

    def do_GET(self):
        if self.path.startswith("/bad"):
            self.send_json(400, ERROR)
            DropsAfterErrors.dropping.add(id(self.connection))
        else:
            self.send_json(200, b"{}")


def test_a_reset_kept_alive_connection_is_sent_again_on_a_fresh_one(client):
    with serving(DropsAfterErrors) as url:
        made = client(url, FakeClock())
        assert made.request("GET", "/bad").status == 400
        after = made.request("GET", "/good")  # on the reset connection: sent again, not a transport error
        assert (after.ok, after.status, made.resets_retried) == (True, 200, 1)


# ---- a target busy with its jobs: waited out, never a verdict of the case ----------------------------
def _sender(spec: Spec, base_url: str, clock: FakeClock) -> Sender:
    options = RunOptions(base_url=base_url, budget_seconds=600, job_timeout=30)
    rules = Rules.from_spec(spec)
    history = History()
    state = RunState(spec=spec, rules=rules, options=options, history=history,
                     judge=Judge(spec, rules, history, Judging(job_timeout=30)))
    return Sender(state, Client(options, clock=clock, sleep=clock.sleep))


def _create(n: int) -> cases.Case:
    return cases.create(f"create {n}", "json", {"prompt": f"a cat, take {n}"}, clause="create.json-accepted",
                        expect="accepted")


def _end_running_jobs(sender: Sender) -> list[list[str]]:
    """Stands in for the polls that wait for the run's jobs to end: they are deleted instead."""
    waits: list[list[str]] = []

    def wait_until_idle() -> None:
        running = [job.id for job in sender.state.history.running()]
        waits.append(running)
        for video_id in running:
            sender.send(cases.call("end the job", "DELETE", "/videos/{video_id}", video_id, at_once=True))

    sender.wait_until_idle = wait_until_idle
    return waits


@pytest.mark.slow
def test_a_target_busy_with_one_job_is_waited_out_and_given_one_job_at_a_time(spec):
    clock = FakeClock()
    # Jobs never end by themselves: a create sent while one exists is refused for certain.
    with EmbeddedServer(job_seconds=3600, extra_args=["--fault", "busy-503"]) as server:
        sender = _sender(spec, server.base_url, clock)
        waits = _end_running_jobs(sender)
        assert sender.send(_create(1)).status == 200 and not sender.state.one_job_at_a_time
        second = sender.send(_create(2))  # refused while the first runs: waited out, then sent again
        assert second.status == 200 and sender.state.one_job_at_a_time
        assert clock.slept == [float(BUSY_RETRY_AFTER)] * 2  # the SDK's retries, after Retry-After
        third = sender.send(_create(3))  # from now on: after the previous job ended, never refused
        assert third.status == 200 and not third.retried
        assert [len(w) for w in waits] == [1, 1]
        sender.client.close()
    results = {r.clause.id: r for r in sender.state.judge.finish()}
    busy = results["create.queued-while-busy"]
    assert (busy.verdict, len(busy.evidence)) == (Verdict.FAILED, 1)  # one root cause, said once
    assert busy.evidence[0].exchange.response.status == 503  # shown by the refusal itself
    # the 503s were back-pressure, waited out: no verdict of the create, no server error
    assert results["create.json-accepted"].verdict is Verdict.PASSED
    assert results["response.not-server-error"].verdict is not Verdict.FAILED
    assert len(sender.state.history.jobs) == 3


@pytest.mark.slow
def test_a_target_that_queues_creates_passes(spec):
    clock = FakeClock()
    with EmbeddedServer(job_seconds=3600) as server:
        sender = _sender(spec, server.base_url, clock)
        sender.wait_until_idle = lambda: pytest.fail("a target that queues is never waited for")
        assert [sender.send(_create(n)).status for n in (1, 2)] == [200, 200]
        sender.client.close()
    assert sender.state.judge.verdict_of("create.queued-while-busy") is Verdict.PASSED
    assert not sender.state.one_job_at_a_time and clock.slept == []


class AlwaysBusy(JSONHandler):
    """POST /videos: 503 'busy' always, whether anything runs or not (a broken upload path)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_json(503, ERROR)


def test_a_503_from_an_idle_target_is_judged_at_once_as_what_it_is(spec):
    clock = FakeClock()
    with serving(AlwaysBusy) as url:
        sender = _sender(spec, url, clock)
        answer = sender.send(_create(1))
        sender.client.close()
    assert answer.status == 503 and not answer.superseded
    assert clock.slept == [0.5, 1.0]  # the SDK's two retries, nothing more: nothing of the run's was running
    results = {r.clause.id: r for r in sender.state.judge.finish()}
    assert results["response.not-server-error"].verdict is Verdict.FAILED
    assert (results["create.json-accepted"].verdict, results["create.json-accepted"].blocked_by) == (
        Verdict.BLOCKED, "response.not-server-error")
    assert results["create.queued-while-busy"].verdict is not Verdict.FAILED
