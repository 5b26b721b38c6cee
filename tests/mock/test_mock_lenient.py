"""``--lenient-ids``: an SDK's generated test suite, written for a stateless mock (placeholder ids such
as ``video_123`` and ``char_123``, 17-byte placeholder uploads), runs unmodified, as against Steady;
the default mode stays faithful and refuses what it should.

The table is shaped like openai-python's ``tests/api_resources/test_videos.py`` (and openai-node's
``videos.test.ts``): every method, minimal and with all its parameters, plain, through
``with_raw_response`` and ``with_streaming_response``, with a loose and a strict client."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from contracts.embedded import EmbeddedServer
from contracts.mock.cli import LENIENT

pytestmark = [pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]
ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = b"raw file contents"  # what generated suites upload


def LOOPBACK() -> openai.DefaultHttpxClient:  # noqa: N802 - a client factory, named for what it is for
    """The SDK's own HTTP client, without loading CA certificates (18 ms a client) for plain HTTP."""
    return openai.DefaultHttpxClient(verify=False)

# (method, arguments, what the faithful mode answers: None for success, else the SDK's error)
GENERATED = [
    ("create", {"prompt": "x"}, None),
    ("create", {"prompt": "x", "input_reference": PLACEHOLDER, "model": "string", "seconds": "4", "size": "720x1280"},
     openai.BadRequestError),
    ("retrieve", {"video_id": "video_123"}, openai.NotFoundError),
    ("list", {}, None),
    ("list", {"after": "after", "limit": 0, "order": "asc"}, openai.BadRequestError),
    ("delete", {"video_id": "video_123"}, openai.NotFoundError),
    ("download_content", {"video_id": "video_123"}, openai.NotFoundError),
    ("download_content", {"video_id": "video_123", "variant": "video"}, openai.NotFoundError),
    ("remix", {"video_id": "video_123", "prompt": "x"}, openai.NotFoundError),
    ("edit", {"prompt": "x", "video": PLACEHOLDER}, openai.BadRequestError),
    ("extend", {"prompt": "x", "seconds": "4", "video": PLACEHOLDER}, openai.BadRequestError),
    ("create_character", {"name": "x", "video": PLACEHOLDER}, openai.BadRequestError),
    ("get_character", {"character_id": "char_123"}, openai.NotFoundError),
]
IDS = [f"{m}-{'all-params' if len(a) > 2 or 'after' in a or 'variant' in a or 'input_reference' in a else 'minimal'}"
       for m, a, _ in GENERATED]


@pytest.fixture(scope="module")
def lenient() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(extra_args=["--lenient-ids"]) as server:
        yield server


def call(client: openai.OpenAI, face: str, method: str, kwargs: dict[str, Any]) -> Any:
    """One call as the generated suites make it: plainly, raw (parsed), or streamed (read whole)."""
    if face == "plain":
        return getattr(client.videos, method)(**kwargs)
    if face == "raw":
        return getattr(client.videos.with_raw_response, method)(**kwargs).parse()
    with getattr(client.videos.with_streaming_response, method)(**kwargs) as response:
        return response.parse() if method != "download_content" else response.read()


# A loose client accepts what a strict one does: plain calls with both, the other faces strict only.
@pytest.mark.parametrize(("face", "strict"), [("plain", True), pytest.param("plain", False, marks=pytest.mark.slow),
                                             pytest.param("raw", True, marks=pytest.mark.slow),
                                             pytest.param("streamed", True, marks=pytest.mark.slow)],
                         ids=["plain-strict", "plain-loose", "raw-strict", "streamed-strict"])
@pytest.mark.parametrize(("method", "kwargs", "faithful"), GENERATED, ids=IDS)
def test_a_generated_suite_passes_against_lenient_ids(lenient, method, kwargs, faithful, face, strict):
    with openai.OpenAI(base_url=lenient.base_url, api_key="My API Key", max_retries=0, timeout=10,
                       _strict_response_validation=strict, http_client=LOOPBACK()) as client:
        result = call(client, face, method, kwargs)
    if method in ("retrieve", "delete", "get_character"):
        assert getattr(result, "id") == kwargs.get("video_id", kwargs.get("character_id"))
    if method == "retrieve":
        assert (result.status, result.progress) == ("completed", 100)  # an example: a completed video
    if method == "download_content":
        data = result if isinstance(result, bytes) else result.read()
        assert data[4:8] == b"ftyp"


@pytest.mark.parametrize(("method", "kwargs", "faithful"), GENERATED, ids=IDS)
def test_the_faithful_mode_refuses_what_it_should(mock_server, method, kwargs, faithful):
    with openai.OpenAI(base_url=mock_server.base_url, api_key="My API Key", max_retries=0, timeout=10,
                       http_client=LOOPBACK()) as client:
        if faithful is None:
            call(client, "plain", method, kwargs)
        else:
            with pytest.raises(faithful):
                call(client, "plain", method, kwargs)


def test_lenient_answers_keep_the_contract(lenient, assert_schema):
    import httpx

    video = httpx.get(f"{lenient.base_url}/videos/video_123").json()
    assert_schema("Video", video)
    remixed = httpx.post(f"{lenient.base_url}/videos/video_123/remix", json={"prompt": "x"}).json()
    assert remixed["remixed_from_video_id"] == "video_123" and remixed["status"] == "queued"
    assert remixed["id"] in {v["id"] for v in httpx.get(f"{lenient.base_url}/videos").json()["data"]}
    assert "video_123" not in {v["id"] for v in httpx.get(f"{lenient.base_url}/videos").json()["data"]}  # not kept
    # still checked: what is not a placeholder (a real image of the wrong size), and the API's own rules
    from mock_helpers import image_bytes

    wrong = httpx.post(f"{lenient.base_url}/videos", data={"prompt": "x", "size": "720x1280"},
                       files={"input_reference": ("r.png", image_bytes((64, 64)), "image/png")})
    assert wrong.status_code == 400 and "must match" in wrong.json()["error"]["message"]
    assert httpx.post(f"{lenient.base_url}/videos", json={"prompt": ""}).status_code == 400


def test_the_startup_says_what_lenient_mode_gives_up():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "contracts.mock", "--port", "0", "--lenient-ids"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        first, second = process.stdout.readline().rstrip("\n"), process.stdout.readline().rstrip("\n")
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert first == LENIENT and "404" in first and "400" in first
    assert re.match(r"^videos-contract mock listening on http://127\.0\.0\.1:\d+/v1$", second)
