"""Isolation: with ``--namespaces key`` each API key sees only its own videos and characters; with
``--namespaces header`` the ``X-Videos-Mock-Namespace`` header decides. Through the openai SDK over
loopback, two clients at once on one server."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources

import httpx
import openai
import pytest
from mock_helpers import NAMESPACE, Namespaced

from contracts.embedded import EmbeddedServer

pytestmark = [pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]
CLIP = ("clip.mp4", (resources.files("contracts.mock") / "assets" / "video.mp4").read_bytes(), "video/mp4")


@pytest.fixture(scope="module")
def keyed() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(job_seconds=0, extra_args=["--namespaces", "key"]) as server:
        yield server


def sdk(server: EmbeddedServer, key: str, **options) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0, timeout=10,
                         http_client=openai.DefaultHttpxClient(verify=False), **options)  # loopback: no CA loading


def test_each_key_sees_only_its_own_videos_and_characters(keyed):
    with sdk(keyed, "sk-alice") as alice, sdk(keyed, "sk-bob") as bob:
        mine = {alice.videos.create(prompt=f"alice {i}").id for i in range(3)}
        theirs = bob.videos.create(prompt="bob")
        character = bob.videos.create_character(name="Bob's", video=CLIP)
        assert {v.id for v in alice.videos.list()} == mine
        assert [v.id for v in bob.videos.list()] == [theirs.id]
        for call in (lambda: alice.videos.retrieve(theirs.id), lambda: alice.videos.delete(theirs.id),
                     lambda: alice.videos.download_content(theirs.id),
                     lambda: alice.videos.remix(theirs.id, prompt="mine now"),
                     lambda: alice.videos.get_character(character.id)):
            with pytest.raises(openai.NotFoundError):
                call()
        assert bob.videos.retrieve(theirs.id).status == "completed"  # untouched
        assert bob.videos.get_character(character.id).name == "Bob's"


def test_a_request_without_a_key_has_a_namespace_of_its_own(keyed):
    video = httpx.post(f"{keyed.base_url}/videos", json={"prompt": "no key"}).json()
    assert [v["id"] for v in httpx.get(f"{keyed.base_url}/videos").json()["data"]] == [video["id"]]
    with sdk(keyed, "sk-carol") as carol:
        assert video["id"] not in {v.id for v in carol.videos.list()}


def test_the_journal_names_a_key_by_its_fingerprint(keyed):
    with sdk(keyed, "sk-dave-secret") as dave:
        dave.videos.list()
    root = keyed.base_url.removesuffix("/v1")
    mine = httpx.get(f"{root}/_mock/requests", headers={NAMESPACE: "sk-dave-secret"}).json()["data"]
    assert len(mine) == 1 and mine[0]["namespace"].startswith("key-sha256:")
    assert "sk-dave-secret" not in httpx.get(f"{root}/_mock/requests").text


def test_with_header_namespaces_the_header_decides(manual_mock_server):
    one, two = Namespaced(manual_mock_server.base_url), Namespaced(manual_mock_server.base_url)
    try:
        first, second = one.sdk.videos.create(prompt="one"), two.sdk.videos.create(prompt="two")
        assert [v.id for v in one.sdk.videos.list()] == [first.id]
        assert [v.id for v in two.sdk.videos.list()] == [second.id]
        with pytest.raises(openai.NotFoundError):
            one.sdk.videos.retrieve(second.id)
    finally:
        one.close()
        two.close()


@pytest.mark.slow  # a server of its own
def test_each_namespace_has_its_own_gpu_queue():
    with EmbeddedServer(job_seconds=30, extra_args=["--namespaces", "header", "--gpu-workers", "1"]) as server:
        started = []
        for name in ("a", "b"):
            headers = {NAMESPACE: name}
            video = httpx.post(f"{server.base_url}/videos", json={"prompt": name}, headers=headers).json()
            root = server.base_url.removesuffix("/v1")
            httpx.post(f"{root}/_mock/clock/advance", json={"seconds": 1}, headers=headers)
            started.append(httpx.get(f"{server.base_url}/videos/{video['id']}", headers=headers).json()["status"])
        assert started == ["in_progress", "in_progress"]  # b did not wait for a's worker
