"""Run a CI recipe's steps as the CI system's runner would, as far as the recipes in docs/ci use it.

GitHub Actions (:class:`GitHubJob`): every ``run:`` step in ``bash -e`` with the job's ``env`` (an
expression ``${{ secrets.NAME || 'default' }}`` gives its default: a new repository has no secrets),
fresh environment files per step (``GITHUB_ENV``, ``GITHUB_PATH``, ``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY``; what a step writes to the first two reaches the next steps, the step summaries
make the job summary), ``if:`` with ``always()``/``success()``/``failure()``; the actions a recipe
``uses`` are played by the runner: ``actions/checkout`` (the workspace is the checkout),
``actions/setup-python`` (a Python first on PATH), ``actions/upload-artifact`` (its path must exist
unless ``if-no-files-found: ignore``).

GitLab CI (:func:`run_gitlab_job`): the ``script`` lines in one bash with ``set -eo pipefail``, as the
runner runs them, then the ``artifacts`` paths.

Each step runs in a session of its own; what a step leaves running (the server under test) lives
until the job ends, then that session is ended, as a runner ends the job's container.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SECRET_OR_DEFAULT = re.compile(r"^\$\{\{\s*secrets\.\w+\s*\|\|\s*'([^']*)'\s*\}\}$")
STEP_TIMEOUT = 300


@dataclass
class Step:
    name: str
    code: int
    stdout: str = ""
    stderr: str = ""
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.skipped or self.code == 0


@dataclass
class Job:
    steps: list[Step] = field(default_factory=list)
    summary: str = ""  # the job summary (every step's GITHUB_STEP_SUMMARY)
    outputs: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


class Sessions:
    """The process sessions the job's steps started: ended when the job ends."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def run(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.ids.append(process.pid)  # its session and process group id
        try:
            stdout, stderr = process.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            stderr += f"\n[ci runner] step timed out after {STEP_TIMEOUT} s"
        return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)

    def end(self) -> None:
        for group in self.ids:
            try:
                os.killpg(group, signal.SIGTERM)
            except ProcessLookupError:
                pass


def expand(value: Any) -> str:
    text = str(value)
    if "${{" not in text:
        return text
    found = SECRET_OR_DEFAULT.match(text.strip())
    if not found:
        pytest.fail(f"the CI runner harness cannot evaluate {text!r}: extend tests/ci_runner.py")
    return found.group(1)


class GitHubJob:
    def __init__(self, job: dict[str, Any], workspace: Path, python_bin: Path, base_env: dict[str, str]):
        self.job = job
        self.workspace = workspace
        self.python_bin = python_bin  # what actions/setup-python puts first on PATH
        self.env = {**base_env, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
                    "RUNNER_TEMP": str(workspace.parent / "runner-temp")}
        self.env.update({name: expand(value) for name, value in (job.get("env") or {}).items()})
        self.files = workspace.parent / "runner-files"
        self.files.mkdir(exist_ok=True)
        (workspace.parent / "runner-temp").mkdir(exist_ok=True)

    def run(self, *, skip: tuple[str, ...] = ()) -> Job:
        result, sessions = Job(), Sessions()
        try:
            for index, step in enumerate(self.job["steps"]):
                name = step.get("name") or step.get("uses") or f"step {index + 1}"
                if name in skip or not self._should_run(step, result):
                    result.steps.append(Step(name, 0, skipped=True))
                    continue
                if "uses" in step:
                    result.steps.append(self._action(name, step, result))
                else:
                    result.steps.append(self._run_step(index, name, step, result, sessions))
        finally:
            sessions.end()
        return result

    @staticmethod
    def _should_run(step: dict[str, Any], result: Job) -> bool:
        condition = str(step.get("if", "success()")).strip()
        failed = not result.ok
        return {"always()": True, "success()": not failed, "failure()": failed}[condition]

    def _action(self, name: str, step: dict[str, Any], result: Job) -> Step:
        action, options = step["uses"].split("@")[0], step.get("with") or {}
        if action == "actions/checkout":
            return Step(name, 0, "the workspace is the checkout")
        if action == "actions/setup-python":
            self.env["PATH"] = f"{self.python_bin}{os.pathsep}{self.env['PATH']}"
            return Step(name, 0, f"python {options.get('python-version')} from {self.python_bin}")
        if action == "actions/upload-artifact":
            path = self.workspace / expand(options["path"])
            if path.exists():
                result.artifacts[expand(options["name"])] = path
                return Step(name, 0, f"uploaded {path}")
            ignore = options.get("if-no-files-found") == "ignore"
            return Step(name, 0 if ignore else 1, stderr=f"No files were found with the provided path: {path}")
        pytest.fail(f"the CI runner harness does not play {action}: extend tests/ci_runner.py")

    def _run_step(self, index: int, name: str, step: dict[str, Any], result: Job, sessions: Sessions) -> Step:
        files = {key: self.files / f"{index}-{key.lower()}" for key in
                 ("GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_STATE")}
        for path in files.values():
            path.write_text("")
        script = self.files / f"{index}-step.sh"
        script.write_text(step["run"])
        env = {**self.env, **{name: expand(value) for name, value in (step.get("env") or {}).items()},
               **{key: str(path) for key, path in files.items()}}
        done = sessions.run(["bash", "-e", str(script)], cwd=self.workspace, env=env)
        self.env.update(read_env_file(files["GITHUB_ENV"].read_text()))
        for line in files["GITHUB_PATH"].read_text().splitlines():
            if line.strip():
                self.env["PATH"] = f"{line.strip()}{os.pathsep}{self.env['PATH']}"
        result.outputs.update(read_env_file(files["GITHUB_OUTPUT"].read_text()))
        result.summary += files["GITHUB_STEP_SUMMARY"].read_text()
        return Step(name, done.returncode, done.stdout, done.stderr)


def read_env_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines and ``NAME<<DELIMITER`` blocks, as GitHub reads GITHUB_ENV and GITHUB_OUTPUT."""
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for more in lines:
                if more == delimiter:
                    break
                block.append(more)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def run_gitlab_job(job: dict[str, Any], workspace: Path, python_bin: Path, base_env: dict[str, str]) -> Job:
    """The job's script in one bash (the image's Python first on PATH), then its artifacts."""
    env = {**base_env, "CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": str(workspace),
           "PATH": f"{python_bin}{os.pathsep}{base_env['PATH']}"}
    env.update({name: expand(value) for name, value in (job.get("variables") or {}).items()})
    script = workspace.parent / "gitlab-script.sh"
    script.write_text("set -eo pipefail\n" + "\n".join(job["script"]) + "\n")
    result, sessions = Job(), Sessions()
    try:
        done = sessions.run(["bash", str(script)], cwd=workspace, env=env)
    finally:
        sessions.end()
    result.steps.append(Step("script", done.returncode, done.stdout, done.stderr))
    artifacts = job.get("artifacts") or {}
    if done.returncode == 0 or artifacts.get("when") in ("always", "on_failure"):
        for path in artifacts.get("paths") or []:
            if (workspace / path).exists():
                result.artifacts[path] = workspace / path
        for kind, path in (artifacts.get("reports") or {}).items():
            if (workspace / path).exists():
                result.artifacts[f"reports:{kind}"] = workspace / path
    return result
