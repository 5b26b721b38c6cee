"""Back-pressure as the openai SDK meets it: 429 and 503 retried after Retry-After, else with the
SDK's backoff, within the run's budget; and a target that refuses creates while a job runs,
reported once, after which the run sends one job at a time.

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
from contracts.context import RunContext
from contracts.embedded import EmbeddedServer
from contracts.mock.faults.operations import BUSY_RETRY_AFTER
from contracts.options import RunOptions
from contracts.rules import Rules
from contracts.spec import Spec
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


# ---- a target that refuses creates while its one job runs --------------------------------------
def _context(spec: Spec, server: EmbeddedServer, clock: FakeClock) -> RunContext:
    options = RunOptions(base_url=server.base_url, budget_seconds=600)
    return RunContext(spec=spec, rules=Rules.from_spec(spec), client=Client(options, clock=clock, sleep=clock.sleep),
                      options=options)


def _create(n: int) -> cases.Case:
    return cases.call(f"create {n}", "POST", "/videos", json_body={"prompt": f"a cat, take {n}"})


@pytest.mark.slow
def test_a_target_busy_with_one_job_is_reported_once_and_given_one_job_at_a_time(spec):
    clock = FakeClock()
    # Jobs never end by themselves: a create sent while one exists is refused for certain.
    with EmbeddedServer(job_seconds=3600, extra_args=["--fault", "busy-503"]) as server:
        ctx = _context(spec, server, clock)
        idle_waits: list[list[str]] = []

        def wait_until_idle() -> None:  # stands in for the runner's polling: the running job ends
            idle_waits.append(ctx.running())
            for video_id in ctx.running():
                ctx.transmit(cases.call("end the job", "DELETE", "/videos/{video_id}", video_id))
                ctx.deleted.add(video_id)

        ctx.wait_until_idle = wait_until_idle
        first = ctx.transmit(_create(1))
        assert (first.status, ctx.one_job_at_a_time) == (200, False)
        second = ctx.transmit(_create(2))  # refused while the first runs: retried, then sent once idle
        assert second.status == 200 and ctx.one_job_at_a_time
        assert clock.slept == [float(BUSY_RETRY_AFTER)] * 2  # the SDK's retries, after Retry-After
        assert idle_waits == [[ctx.created[0]]]
        third = ctx.transmit(_create(3))  # from now on: after the previous job ended, never refused
        assert third.status == 200 and not third.retried
        assert idle_waits == [[ctx.created[0]], [ctx.created[1]]]
        ctx.client.close()
    results = {r.clause.id: r for r in ctx.recorder.results()}
    busy = results["create.queued-while-busy"]
    assert (busy.verdict, len(busy.evidence)) == (Verdict.FAILED, 1)  # one root cause, said once
    assert "one job at a time" in busy.evidence[0].message
    assert results["response.not-server-error"].verdict is not Verdict.FAILED  # the 503s are that clause's alone
    assert len(ctx.created) == 3


@pytest.mark.slow
def test_a_target_that_queues_creates_passes(spec):
    clock = FakeClock()
    with EmbeddedServer(job_seconds=3600) as server:
        ctx = _context(spec, server, clock)
        ctx.wait_until_idle = lambda: pytest.fail("a target that queues is never waited for")
        assert [ctx.transmit(_create(n)).status for n in (1, 2)] == [200, 200]
        ctx.client.close()
    assert ctx.recorder.verdict_of("create.queued-while-busy") is Verdict.PASSED
    assert not ctx.one_job_at_a_time and clock.slept == []
