"""The openai SDK's traffic (every method, sync and async: tests/proxy/sdk_traffic.py) through the proxy
to the reference server: conforming, nothing fails; in each fault mode of the catalogue that the
traffic exercises, exactly that fault's clauses fail among those the traffic exercises (what the
conforming run judged); content downloads through the proxy are the bytes of direct ones.

The fault modes run in worker processes (tests/proxy/matrix.py), each a real ``python -m
contracts.mock --fault NAME`` process with the proxy in front of it, over loopback.
"""

from __future__ import annotations

import hashlib
import os

import httpx
import openai
import pytest

from contracts.embedded import EmbeddedServer
from contracts.mock.faults import FAULTS
from tests.proxy.harness import proxy_for
from tests.proxy.matrix import Outcome, run_many, run_one
from tests.proxy.sdk_traffic import RULES

pytestmark = pytest.mark.slow  # process-heavy: a mock process per fault mode

# Faults whose trigger this traffic never sends, though the clause they break is one it exercises
# (every answer's): the proxy must find nothing under them.
NOT_TRIGGERED = {
    "malformed-json-500": "the openai SDK sends no malformed JSON",
    "null-body-500": "the openai SDK sends no JSON null body",
    "auth-403": "no wrong key is sent (the servers under test take any key)",
    "extension-seconds-optional": "the openai SDK requires seconds to extend a video",
}
# Faults this traffic meets further than a run does, and what it then shows besides the fault's clauses.
SHOWS_MORE = {
    "seconds-12-rejected": {"extend.accepted": "the SDK's tests extend an uploaded video by 12 seconds, which the "
                                               "cap refuses too (a run extends by the default 4)"},
}
# Clauses the traffic must exercise on a conforming server: each method's own (a traffic that
# stopped reaching one would make this test pass by saying less).
MUST_EXERCISE = {
    "create.multipart-accepted", "create.prompt.min-length-accepted", "create.model.every-value-accepted",
    "create.seconds.every-value-accepted", "create.size.every-value-accepted", "create.image-reference-accepted",
    "create.image-url-reference-accepted", "create.optional-fields-omittable", "create.unknown-model-handled",
    "create.unknown-parameter-handled", "create.prompt.unusual-unicode-accepted", "create.prompt.max-length-accepted",
    "create.seconds.invalid-value-rejected", "create.size.invalid-value-rejected", "create.prompt.empty-rejected",
    "create.prompt.over-max-rejected", "create.image-reference.not-image-rejected",
    "create.image-reference.wrong-size-rejected", "lifecycle.retrieve-after-create", "lifecycle.status-forward",
    "lifecycle.progress-monotonic", "lifecycle.reaches-terminal", "lifecycle.retrieve-stable", "content.download",
    "content.not-ready-rejected", "list.limit-honoured", "list.limit-range", "list.order-honoured",
    "list.after-honoured", "delete.returns-deletion", "delete.then-not-found", "remix.sets-source", "edit.offered",
    "edit.by-id-accepted", "edit.by-file-accepted", "edit.result-is-a-job", "edit.result-completes",
    "edit.unfinished-source-rejected", "extend.offered", "extend.accepted", "extend.seconds-stitched",
    "extend.missing-fields-rejected", "character.offered", "character.name-boundaries-accepted",
    "character.name-out-of-range-rejected", "character.not-video-rejected", "character.retrievable",
    "create.queued-while-busy", "video.ids-unique", "response.video.schema", "response.error.envelope",
}


@pytest.fixture(scope="module")
def conforming() -> Outcome:
    outcome = run_one(None)
    assert outcome.error is None, outcome.error
    return outcome


@pytest.fixture(scope="module")
def exercised(conforming: Outcome) -> set[str]:
    return set(conforming.exercised)


def _names(session: pytest.Session) -> list[str]:
    return [item.callspec.params["name"] for item in session.items
            if item.module.__name__ == __name__ and "name" in getattr(getattr(item, "callspec", None), "params", {})]


class _Lazy(dict):
    def __missing__(self, name: str) -> Outcome:
        self[name] = run_one(name)
        return self[name]


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, exercised: set[str]) -> dict[str, Outcome]:
    found = _Lazy()
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        chosen = [n for n in _names(request.session) if set(FAULTS[n].breaks) & exercised]
        if chosen:
            found.update(run_many(chosen))
    return found


def test_conforming_traffic_fails_nothing_and_exercises_every_method(conforming):
    assert not conforming.failed, conforming.messages
    missing = MUST_EXERCISE - set(conforming.exercised)
    assert not missing, f"the traffic no longer exercises {sorted(missing)}"


@pytest.mark.parametrize("name", list(FAULTS), ids=list(FAULTS))
def test_a_fault_fails_exactly_its_clauses(name, outcomes, exercised):
    expected = set(FAULTS[name].breaks) & exercised
    if not expected:
        pytest.skip(f"this traffic exercises none of {sorted(FAULTS[name].breaks)}")
    outcome = outcomes[name]
    assert outcome.error is None, outcome.error
    if name in NOT_TRIGGERED:
        expected = set()
    expected |= set(SHOWS_MORE.get(name, {}))
    failed = set(outcome.failed)
    detail = "\n".join(f"  {c}: {outcome.messages.get(c, '')}" for c in sorted(failed - expected))
    assert failed == expected, (f"'{name}' ({FAULTS[name].summary}): missing {sorted(expected - failed)}, "
                                f"extra {sorted(failed - expected)}\n{detail}")


@pytest.mark.parametrize("variant", [None, "gzip-responses", "chunked-responses"], ids=["plain", "gzip", "chunked"])
def test_content_downloads_through_the_proxy_are_the_bytes_of_direct_ones(variant):
    extra = ["--fault", variant] if variant else []
    with EmbeddedServer(job_seconds=0.2, extra_args=extra) as server:
        with openai.OpenAI(base_url=server.base_url, api_key="sk-any", max_retries=0) as direct_sdk:
            video = direct_sdk.videos.create_and_poll(prompt="a source", poll_interval_ms=20)
        proxy = proxy_for(server.base_url).start()
        try:
            hashes = {}
            for route, base in (("direct", server.base_url), ("proxy", proxy.url)):
                with openai.OpenAI(base_url=base, api_key="sk-any", max_retries=0) as sdk:
                    for name in RULES.variants:
                        with sdk.videos.with_streaming_response.download_content(video.id, variant=name) as response:
                            streamed = hashlib.sha256(b"".join(response.iter_bytes(1024))).hexdigest()
                        plain = hashlib.sha256(sdk.videos.download_content(video.id, variant=name).read()).hexdigest()
                        raw = httpx.get(f"{base}/videos/{video.id}/content", params={"variant": name},
                                        headers={"Accept-Encoding": "gzip"})
                        hashes[(route, name)] = (streamed, plain, hashlib.sha256(raw.content).hexdigest(),
                                                 raw.headers.get("content-encoding"))
        finally:
            proxy.stop()
    for name in RULES.variants:
        assert hashes[("proxy", name)] == hashes[("direct", name)], name
        assert len(set(hashes[("direct", name)][:3])) == 1, name
