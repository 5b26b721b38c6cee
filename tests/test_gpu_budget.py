"""A default external run against a one-GPU server: few jobs, every clause verified, the cost reported.

The server is the reference mock with one GPU worker (``MockConfig(gpu_workers=1)``), served by
uvicorn on a loopback port in a thread of this process so that its GPU counters can be read; the
suite talks to it over real HTTP, with a user's default options (no --max-creates).
"""

from __future__ import annotations

import json
import socket
import threading

import httpx
import pytest
import uvicorn

from contracts import plan
from contracts.mock import MockConfig, create_app
from contracts.listen import http_protocol as _http_protocol
from contracts.options import RunOptions
from contracts.rules import Rules
from contracts.runner import run
from contracts.spec import load_spec

KEY = "sk-gpu-budget"


class ServedMock:
    def __init__(self, config: MockConfig, wrap=None):
        """``wrap``: an ASGI middleware put in front of the mock (a server that behaves otherwise)."""
        self.app = create_app(config)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        # the mock's own protocol, as `videos-contract mock` serves: each answer in one write (uvicorn's
        # head-then-body writes meet delayed ACKs: 40 ms an answer on loopback)
        self.server = uvicorn.Server(uvicorn.Config(wrap(self.app) if wrap else self.app, log_level="warning", access_log=False, lifespan="off",
                                                    http=_http_protocol()))
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.server.run(sockets=[self.sock])

    def __enter__(self) -> ServedMock:
        self.thread.start()
        while not self.server.started:  # uvicorn sets it once it listens (no wall-clock bound: the thread decides)
            self.thread.join(0.01)
            assert self.thread.is_alive(), "the mock did not start"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join()
        self.sock.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"


# Issue 11's targets, kept by issue 18: at most 12 jobs committed when a delete does not cancel, at
# most 3 run when it does. The default run (all ten operations) commits 12: 2 baseline creates (the
# JSON one answered with the default model, which then needs no create of its own; the multipart one
# carrying the plan's prompt-free pack), 3 packs with an image and a prompt property of their own, 1
# generated create carrying the unknown model, a remix, 3 edits (by id as multipart video[id] and as
# JSON, by file) and 2 extensions (by video[id], by file).
COMMITTED = 12
RAN_WHEN_CANCELLED = 3  # the target: the followed job, and at most 2 more before they are deleted


@pytest.mark.slow
@pytest.mark.parametrize("cancels", [False, True], ids=["no-delete-cancels", "delete-cancels"])
def test_a_default_run_on_one_gpu_commits_few_jobs_and_verifies_every_clause(cancels):
    # 4 s jobs: the spares wait queued behind the followed job for the whole create phase, even under load
    config = MockConfig(api_key=KEY, job_seconds=4.0, gpu_workers=1, delete_cancels=cancels)
    with ServedMock(config) as mock:
        result = run(RunOptions(base_url=mock.base_url, api_key=KEY))
        stats = mock.app.state.store.gpu_stats()
    unverified = {r.clause.id: r.note for r in result.results if r.verdict.value not in ("passed", "skipped")}
    assert unverified == {}
    assert result.options["max_creates"] == plan.default_max_creates(Rules.from_spec(load_spec())) == 25
    assert result.cost["jobs_created"] == stats["jobs_created"] <= COMMITTED
    # followed to the end: the first create, and the edit of an uploaded file (edit.result-completes),
    # which is one of the 12 anyway (sent early instead of deleted at once)
    assert result.cost["jobs_followed"] == 2
    assert result.cost["jobs_deleted_unfinished"] >= stats["jobs_created"] - 5  # all but the kept ones, at once
    if cancels:
        assert stats["jobs_started"] <= RAN_WHEN_CANCELLED
        assert stats["jobs_cancelled"] >= stats["jobs_created"] - RAN_WHEN_CANCELLED
    else:
        assert stats["jobs_committed"] == stats["jobs_created"] <= COMMITTED
    generated = result.coverage["generated"]
    assert generated["positive carrying a planned create"] == plan.GENERATED_MARGIN  # no generated job of its own
    note = next(r.note for r in result.results if r.clause.id == "create.generated-valid-accepted")
    assert note.startswith(f"{plan.GENERATED_MARGIN} of the ")  # the plan's share of the drawn cases, said
    assert result.cost["generated_not_sent"] > 0


def completes_the_first_unfinished_source(app):
    """The race a fast server makes: the kept job the run saw running completes just before its
    first edit arrives (the middleware completes it through the control route, once)."""
    done: list[str] = []

    async def middleware(scope, receive, send):
        if scope["type"] != "http" or done or scope["method"] != "POST" or \
                scope["path"] not in ("/v1/videos/edits", "/v1/videos/extensions"):
            return await app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        source = None
        if body.startswith(b"{"):
            source = (json.loads(body).get("video") or {}).get("id")
        if source:
            done.append(source)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://mock") as control:
                await control.post(f"/_mock/videos/{source}/complete", headers={"Authorization": f"Bearer {KEY}"})
        replayed = [False]

        async def replay():
            if not replayed[0]:
                replayed[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()
        return await app(scope, replay, send)
    return middleware


@pytest.mark.slow
def test_an_unfinished_source_that_completes_before_the_probe_is_replaced_once():
    """The kept spare completed between the retrieve that showed it running and the edit of it: the
    edit is accepted, which says nothing; the run makes one job of its own for the probe, and the
    clause is judged (it was 'not verified' on a loaded machine)."""
    config = MockConfig(api_key=KEY, job_seconds=4.0, gpu_workers=1, delete_cancels=True)
    with ServedMock(config, wrap=completes_the_first_unfinished_source) as mock:
        result = run(RunOptions(base_url=mock.base_url, api_key=KEY))
    verdicts = {r.clause.id: (r.verdict.value, r.note) for r in result.results}
    assert verdicts["edit.unfinished-source-rejected"][0] == "passed", verdicts["edit.unfinished-source-rejected"]
    # the race costs 2 jobs: the edit the completed source made (deleted at once) and the new source
    assert result.cost["jobs_created"] <= COMMITTED + 2
