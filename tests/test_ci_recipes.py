"""The CI recipes in docs/ci stay true: valid YAML, and every videos-contract command in them
parses with the real command line."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from contracts.cli import build_parser
from tests import fresh
from tests.ci_runner import GitHubJob, run_gitlab_job

ROOT = Path(__file__).resolve().parents[1]

RECIPES = sorted((ROOT / "docs" / "ci").glob("*.yml"))


def commands(node) -> list[str]:
    if isinstance(node, dict):
        return [c for value in node.values() for c in commands(value)]
    if isinstance(node, list):
        return [c for value in node for c in commands(value)]
    if isinstance(node, str):
        return [line.strip() for line in node.splitlines() if re.match(r"\s*videos-contract ", line)]
    return []


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_recipe_commands_parse(recipe: Path) -> None:
    found = commands(yaml.safe_load(recipe.read_text()))
    assert any(" run " in f" {c} " for c in found), "the recipe runs no conformance check"
    for command in found:
        argv = shlex.split(command.split(">")[0].rstrip("&").strip())[1:]
        build_parser().parse_args(argv)  # exits 2 on an option the CLI does not have


def test_every_script_line_is_a_string() -> None:
    """A plain YAML line holding ': ' (a header in a curl command) is a mapping, which GitLab refuses."""
    gitlab = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
    for job in gitlab.values():
        assert all(isinstance(line, str) for line in job["script"]), job["script"]
    github = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    for job in github["jobs"].values():
        assert all(isinstance(step["run"], str) for step in job["steps"] if "run" in step)


def test_there_are_recipes_for_github_and_gitlab() -> None:
    assert {r.name for r in RECIPES} >= {"github-actions.yml", "gitlab-ci.yml"}


# ---- the recipes run as is, step by step, in a runner's harness (tests/ci_runner.py) ------------
RECIPE_PORT = "4010"  # the port the recipes' server listens on (here replaced by a free one)
INSTALL = "Install videos-contract"
START = "Start the server under test"
CHECK = "Check conformance"
SUMMARY = "Job summary"
UPLOAD = "Upload reports"
NO_BASELINE_HINT = ("No baseline given: to accept this violation and fail only on new ones, run once with "
                    "--write-baseline conformance-baseline.json, commit it, then run with --baseline "
                    "conformance-baseline.json")


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def recipe(name: str, *, server_args: str = "") -> dict:
    """The recipe as written, on a free port; ``server_args`` stand in for the user's own server."""
    text = (ROOT / "docs" / "ci" / name).read_text().replace(RECIPE_PORT, free_port())
    if server_args:
        text = text.replace('--api-key "$OPENAI_API_KEY" >', f'--api-key "$OPENAI_API_KEY" {server_args} >')
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory) -> Path:
    """A runner's Python (its bin folder) into which the GitHub recipe's own install step installed the
    kit, vendored at tools/videos-contract of a new repository. The jobs below share it."""
    work = tmp_path_factory.mktemp("runner")
    deps = fresh.dependencies_dir(work / "deps")
    python = fresh.seeded_venv(work / "python", deps)
    repo = work / "install"
    fresh.fresh_clone(repo / "tools" / "videos-contract")
    job = GitHubJob(recipe("github-actions.yml")["jobs"]["conformance"], repo, python / "bin", fresh.newcomer_env())
    install = {"steps": [s for s in job.job["steps"] if s.get("uses", "").startswith("actions/setup-python")
                         or s.get("name") == INSTALL]}
    done = GitHubJob(install, repo, python / "bin", fresh.newcomer_env()).run()
    assert done.ok, [(s.name, s.code, s.stderr[-2000:]) for s in done.steps]
    return python / "bin"


def new_repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30)
    return repo


def github(tmp_path: Path, runner_python: Path, repo: Path | None = None, **server):
    repo = repo or new_repository(tmp_path)
    job = GitHubJob(recipe("github-actions.yml", **server)["jobs"]["conformance"], repo, runner_python,
                    fresh.newcomer_env())
    return repo, job.run(skip=(INSTALL,))  # installed once, by the same step, in runner_python


@pytest.mark.slow
def test_github_recipe_runs_as_is_on_a_new_repository(tmp_path, runner_python):
    repo, job = github(tmp_path, runner_python)
    assert job.ok, [(s.name, s.code, s.stdout[-1500:], s.stderr[-1500:]) for s in job.steps]
    check = job.step(CHECK)
    assert "Verdict: PASS - conforms" in check.stdout and "No baseline given" not in check.stdout
    assert job.summary.startswith("### \u2705 Videos API conformance: conforms")
    assert (job.artifacts["conformance-reports"] / "conformance.json").is_file()


@pytest.mark.slow
def test_github_recipe_from_first_violations_to_a_committed_baseline(tmp_path, runner_python):
    """A server with a violation, a new repository: the check fails (exit 1) and says how to write
    the baseline, the summary and the reports are still published; with the baseline written as it
    says and committed, the next run passes."""
    repo, first = github(tmp_path, runner_python, server_args="--fault seconds-integer")
    check = first.step(CHECK)
    assert check.code == 1 and NO_BASELINE_HINT in check.stdout, check.stdout[-2000:] + check.stderr[-2000:]
    assert first.step(SUMMARY).ok and first.step(UPLOAD).ok
    assert "1 violation" in first.summary and "conformance-reports" in first.artifacts

    # The developer follows the hint once (against the same kind of server), and commits the file.
    hint = recipe("github-actions.yml", server_args="--fault seconds-integer")
    start = next(s for s in hint["jobs"]["conformance"]["steps"] if s.get("name") == START)
    write = {**hint["jobs"]["conformance"], "steps": [
        {"uses": "actions/setup-python@v5"}, start,
        {"name": "write", "run": 'videos-contract run --base-url "$BASE_URL" --report-dir reports '
                                 "--write-baseline conformance-baseline.json"}]}
    written = GitHubJob(write, repo, runner_python, fresh.newcomer_env()).run()
    assert written.ok and (repo / "conformance-baseline.json").is_file(), written.step("write").stdout[-2000:]

    _, gated = github(tmp_path, runner_python, repo=repo, server_args="--fault seconds-integer")
    assert gated.ok, [(s.name, s.code, s.stdout[-1500:]) for s in gated.steps]
    assert "Baseline conformance-baseline.json: 0 new, 1 known of 1 accepted" in gated.step(CHECK).stdout


@pytest.mark.slow
def test_github_recipe_with_a_server_that_never_starts(tmp_path, runner_python):
    """A setup error (exit 2, one line) fails the check; the guarded summary step and the upload do not
    fail on the reports that were never written."""
    workflow = recipe("github-actions.yml")["jobs"]["conformance"]
    next(s for s in workflow["steps"] if s.get("name") == START)["run"] = "echo 'the server crashed at start'"
    job = GitHubJob(workflow, new_repository(tmp_path), runner_python, fresh.newcomer_env()).run(skip=(INSTALL,))
    assert job.step(CHECK).code == 2 and "cannot reach the target" in job.step(CHECK).stderr
    assert job.step(SUMMARY).code == 0 and job.step(UPLOAD).code == 0
    assert "Traceback" not in job.step(CHECK).stderr + job.step(SUMMARY).stderr


@pytest.mark.slow
@pytest.mark.parametrize(("server_args", "code"), [("", 0), ("--fault seconds-integer", 1)],
                         ids=["as-is", "one-violation"])
def test_gitlab_recipe_runs_as_is(tmp_path, runner_python, server_args, code):
    """As is: the kit vendored in a new repository, every line as written. With a violation: the same
    job on the same runner (its install line left out: the kit is installed)."""
    job = recipe("gitlab-ci.yml", server_args=server_args)["videos-api-conformance"]
    repo = new_repository(tmp_path)
    if server_args:
        job["script"] = [line for line in job["script"] if not line.startswith("pip install")]
    else:
        fresh.fresh_clone(repo / "tools" / "videos-contract")
    done = run_gitlab_job(job, repo, runner_python, fresh.newcomer_env())
    script = done.steps[0]
    assert script.code == code, script.stdout[-2000:] + script.stderr[-2000:]
    assert (NO_BASELINE_HINT in script.stdout) is (code == 1)
    assert {"reports/", "reports:junit"} <= set(done.artifacts)
