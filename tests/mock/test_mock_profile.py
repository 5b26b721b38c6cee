"""The reference server serves a target profile: its values, its defaults, its model names.

In-process for the rules, over real HTTP (``--profile``) for the CLI, and end to end: the suite
run with the same profile passes, the suite run with the default profile fails on enum clauses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mock_helpers import multipart

from contracts.embedded import EmbeddedServer
from contracts.mock import MockConfig, create_app
from contracts.mock.app import build_rules
from contracts.profile import ProfileError, load_profile

ROOT = Path(__file__).resolve().parents[2]
WAN22 = ROOT / "profiles" / "wan22.toml"
AZURE = ROOT / "profiles" / "azure-sora2.toml"


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_rules_follow_the_profile():
    profile = load_profile(str(WAN22))
    rules = build_rules(MockConfig(profile=str(WAN22)))
    assert rules.profile == "wan22"
    assert rules.choices["size"] == profile.sizes
    assert rules.choices["seconds"] == profile.seconds
    assert rules.choices["model"] == profile.models  # other names are refused under a profile
    assert rules.defaults == profile.defaults


def test_default_profile_is_the_spec():
    assert build_rules(MockConfig(profile="openai")).choices == build_rules(MockConfig()).choices


def test_a_profile_without_models_keeps_any_model(tmp_path):
    path = tmp_path / "sizes.toml"
    path.write_text('name = "sizes"\nsizes = ["1280x720"]\n[defaults]\nsize = "1280x720"\n')
    rules = build_rules(MockConfig(profile=str(path)))
    assert rules.choices["model"] is None
    assert rules.choices["size"] == ("1280x720",)


def test_bad_profile_raises_profile_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nseconds = [5]\n')
    with pytest.raises(ProfileError):
        create_app(MockConfig(profile=str(path)))


@pytest.fixture(scope="module")
def wan_server():
    with EmbeddedServer(job_seconds=0.1, extra_args=["--profile", str(WAN22)]) as server:
        yield server


def test_profile_server_accepts_its_values_and_fills_its_defaults(wan_server):
    with httpx.Client(base_url=wan_server.base_url, timeout=10) as http:
        video = http.post("/videos", json={"prompt": "a river"}).json()
        assert (video["model"], video["size"], video["seconds"]) == ("Wan-AI/Wan2.2-T2V-A14B", "1280x720", "5")
        body, content_type = multipart([("prompt", "a river"), ("size", "832x480")])
        video = http.post("/videos", content=body, headers={"content-type": content_type}).json()
        assert video.get("size") == "832x480", video
        for field, value in (("seconds", "4"), ("size", "720x1280"), ("model", "sora-2")):
            response = http.post("/videos", json={"prompt": "a river", field: value})
            assert response.status_code == 400, (field, response.text)
            assert response.json()["error"]["param"] == field


@pytest.mark.parametrize("content", ['name = "x"\nsizes = ["big"]\n', "not toml ["], ids=["bad-size", "bad-toml"])
def test_bad_profile_is_one_line_and_exit_2(tmp_path, content):
    path = tmp_path / "p.toml"
    path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "contracts.mock", "--port", "0", "--profile", str(path)],
                          capture_output=True, text=True, timeout=30, cwd=ROOT, env=env(), check=False)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("videos-contract mock: error:") and str(path) in done.stderr


def cli_run(*args: str, report_dir: Path) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "contracts.cli", "run", "--quiet", "--examples", "3",
                           "--report-dir", str(report_dir), *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env=env(), check=False)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads((report_dir / "conformance.json").read_text())


def failed(report: dict) -> set[str]:
    return {c["id"] for c in report["clauses"] if c["verdict"] == "failed"}


@pytest.mark.slow
@pytest.mark.parametrize("profile", [WAN22, AZURE], ids=["wan22", "azure-sora2"])
def test_suite_with_the_same_profile_passes(tmp_path, profile):
    """Fully green under --strict: wan22 serves one model, which the run names once (issue 22)."""
    code, report = cli_run("--profile", str(profile), "--strict", report_dir=tmp_path)
    assert (code, failed(report)) == (0, set())
    assert [c["id"] for c in report["clauses"] if c["verdict"] == "not_verified"] == []
    assert report["profile"] == load_profile(str(profile)).name


@pytest.mark.slow
def test_suite_with_the_default_profile_fails_on_enums(tmp_path):
    with EmbeddedServer(api_key="sk-p", job_seconds=0.1, extra_args=["--profile", str(WAN22)]) as server:
        code, report = cli_run("--base-url", server.base_url, "--api-key", "sk-p", "--max-creates", "200",
                               report_dir=tmp_path)
    assert code == 1
    assert {"create.seconds.every-value-accepted", "create.size.every-value-accepted",
            "create.model.every-value-accepted", "create.defaults-applied"} <= failed(report)


@pytest.mark.slow
def test_a_one_model_server_that_requires_the_model_still_has_it_judged(tmp_path):
    """The prompt-only baseline is refused: the baseline with model, seconds and size named carries
    their every-value clauses, so the only model is judged, not left 'not exercised'."""
    with EmbeddedServer(api_key="sk-p", job_seconds=0.1,
                        extra_args=["--profile", str(WAN22), "--fault", "model-required"]) as server:
        code, report = cli_run("--base-url", server.base_url, "--api-key", "sk-p", "--profile", str(WAN22),
                               report_dir=tmp_path)
    verdicts = {c["id"]: c["verdict"] for c in report["clauses"]}
    assert code == 1 and failed(report) == {"create.optional-fields-omittable"}
    assert verdicts["create.model.every-value-accepted"] == "passed"
