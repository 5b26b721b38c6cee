"""The ``videos_mock`` fixture (``contracts.mock.testing``): a namespace per test on one mock for the
whole session, shared by pytest-xdist workers; the README's example runs as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from contracts.mock.testing import VideosMockError

pytestmark = [pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]
ROOT = Path(__file__).resolve().parents[2]
WARNINGS = ("-W", "ignore::DeprecationWarning")  # the SDK marks the Videos API deprecated

TWO_TESTS = '''
import json, os, pathlib

def made_and_listed(videos_mock, name, count):
    with videos_mock.openai() as client:
        made = {client.videos.create(prompt=f"{name} {i}").id for i in range(count)}
        listed = {v.id for v in client.videos.list()}
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = pathlib.Path(os.environ["VIDEOS_MOCK_OUT"]) / f"{worker}-{name}.json"
    out.write_text(json.dumps({"root": videos_mock.root_url, "worker": worker, "made": sorted(made),
                               "listed": sorted(listed), "key": videos_mock.api_key}))
    assert listed == made

def test_first(videos_mock):
    made_and_listed(videos_mock, "first", 3)

def test_second(videos_mock):
    made_and_listed(videos_mock, "second", 2)
'''


def results(folder: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


@pytest.mark.slow  # a pytest run in a subprocess, with its own mock
def test_two_xdist_workers_share_one_mock_and_each_lists_only_its_own_videos(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOS_MOCK_OUT", str(tmp_path))
    pytester.makepyfile(test_two=TWO_TESTS)
    run = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-p", "no:cacheprovider", *WARNINGS)
    run.assert_outcomes(passed=4)  # each worker runs both tests, at the same time, on one server
    found = results(tmp_path)
    assert {r["worker"] for r in found} == {"gw0", "gw1"}
    assert len({r["root"] for r in found}) == 1  # one mock for the run
    assert all(r["listed"] == r["made"] for r in found)
    assert len({video for r in found for video in r["made"]}) == 3 + 3 + 2 + 2  # nobody saw another's
    with pytest.raises(httpx.TransportError):  # stopped when the run ended
        httpx.get(found[0]["root"] + "/_mock/health", timeout=2)


@pytest.mark.slow  # a pytest run in a subprocess, with its own mock
def test_without_xdist_the_session_has_one_mock_and_each_test_a_new_namespace(pytester, tmp_path, monkeypatch):
    monkeypatch.setenv("VIDEOS_MOCK_OUT", str(tmp_path))
    pytester.makepyfile(test_two=TWO_TESTS)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", *WARNINGS).assert_outcomes(passed=2)
    first, second = sorted(results(tmp_path), key=lambda r: r["made"] != 3)
    assert first["root"] == second["root"] and first["key"] != second["key"]


def test_a_refused_control_call_raises_with_the_servers_message(videos_mock):
    with pytest.raises(VideosMockError, match=r"POST /_mock/videos/video_nope/complete: 404 No video found"):
        videos_mock.complete("video_nope")
    with pytest.raises(VideosMockError, match="Unknown fault 'no-such-fault'"):
        videos_mock.set_faults("no-such-fault")


def test_the_fixture_drops_its_namespace_when_the_test_ends(videos_mock):
    from contracts.mock.testing import VideosMock

    other = VideosMock(videos_mock.root_url)  # as another test would have it
    with other.openai() as client:
        client.videos.create(prompt="soon gone")
    assert len(other.requests()) == 1
    other.reset()  # what the fixture does after each test
    assert other.requests() == [] and videos_mock.health()["namespaces"] == "key"
    other.close()


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- videos_mock example -->\s*```python\n(.*?)```", text, re.S)
    assert found, "README.md has no videos_mock example"
    return found.group(1)


@pytest.mark.slow  # a pytest run in a subprocess, with its own mock
def test_the_readme_example_runs_as_written(pytester):
    example = readme_example()
    assert len(example.strip().splitlines()) <= 10
    pytester.makepyfile(test_readme=example)
    pytester.runpytest_subprocess("-p", "no:cacheprovider", *WARNINGS).assert_outcomes(passed=1)
