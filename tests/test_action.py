"""action.yml, the composite GitHub Action, run step by step as a runner runs it: each ``run`` in
``bash --noprofile --norc -eo pipefail``, with the runner's environment files ($GITHUB_OUTPUT,
$GITHUB_STEP_SUMMARY, $GITHUB_ENV, $GITHUB_PATH), $GITHUB_ACTION_PATH and $RUNNER_TEMP, and the
``${{ }}`` expressions it uses evaluated (any other expression fails the test: the harness must
understand every one). The target is the reference server as a real ``videos-contract mock``
process, conforming and with a fault.

One difference from a runner, so that no test needs the network: the kit's dependencies come from
this test environment (PYTHONPATH) instead of PyPI, and its build backend too (pip without build
isolation); the kit itself is installed from the action's checkout into the venv the action makes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import site
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-action-test-" + "a" * 30
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionRun:
    code: int
    outputs: dict[str, str]
    summary: str
    log: str
    steps_run: list[str] = field(default_factory=list)


class Runner:
    """Runs a composite action's steps as the GitHub runner does."""

    def __init__(self, action_path: Path, workspace: Path, temp: Path):
        self.action_path, self.workspace, self.temp = action_path, workspace, temp
        self.action = yaml.safe_load((action_path / "action.yml").read_text())
        self.masks: list[str] = []
        assert self.action["runs"]["using"] == "composite"

    def run(self, inputs: dict[str, str], env: dict[str, str]) -> ActionRun:
        declared = self.action["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"inputs the action does not declare: {unknown}"
        missing = [name for name, spec in declared.items() if spec.get("required") and not inputs.get(name)]
        assert not missing, f"required inputs not given: {missing}"
        values = {name: inputs.get(name, str(spec.get("default", ""))) for name, spec in declared.items()}
        steps: dict[str, dict[str, str]] = {}
        job_env, path_prefix, summary, log, ran = dict(env), [], "", "", []
        code = 0
        for index, step in enumerate(self.action["runs"]["steps"]):
            assert set(step) <= {"name", "id", "shell", "env", "run"}, f"the harness runs no {set(step)}"
            assert step["shell"] == "bash"
            context = {"inputs": values, "steps": steps}
            files = {name: self.temp / f"{name.lower()}-{index}" for name in
                     ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")}
            for path in files.values():
                path.write_text("")
            script = self.temp / f"step-{index}.sh"
            script.write_text(self.evaluate(step["run"], context))
            step_env = {**job_env, **{k: self.evaluate(str(v), context) for k, v in (step.get("env") or {}).items()},
                        **{k: str(v) for k, v in files.items()}, "GITHUB_ACTION_PATH": str(self.action_path),
                        "RUNNER_TEMP": str(self.temp), "GITHUB_WORKSPACE": str(self.workspace), "CI": "true",
                        "GITHUB_ACTIONS": "true"}
            step_env["PATH"] = os.pathsep.join([*path_prefix, job_env["PATH"]])
            done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=self.workspace,
                                  env=step_env, capture_output=True, text=True, timeout=600)
            ran.append(step.get("name", step.get("id", str(index))))
            log += self.workflow_commands(done.stdout + done.stderr)
            if step.get("id"):
                steps[step["id"]] = {"outputs": parse_file_commands(files["GITHUB_OUTPUT"].read_text())}
            summary += files["GITHUB_STEP_SUMMARY"].read_text()
            job_env.update(parse_file_commands(files["GITHUB_ENV"].read_text()))
            path_prefix = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line] + path_prefix
            if done.returncode != 0:
                code = done.returncode
                break
        context = {"inputs": values, "steps": steps}
        outputs = {name: self.evaluate(spec["value"], context) for name, spec in self.action["outputs"].items()}
        return ActionRun(code, outputs, summary, log, ran)

    def workflow_commands(self, output: str) -> str:
        """The log as the runner shows it: ``::add-mask::VALUE`` lines are taken in, not shown, and
        their values are masked as *** from then on (also in later steps)."""
        lines = []
        for line in output.splitlines(keepends=True):
            if line.startswith("::add-mask::"):
                self.masks.append(line[len("::add-mask::"):].strip())
            else:
                lines.append(line)
        text = "".join(lines)
        for mask in self.masks:
            text = text.replace(mask, "***")
        return text

    def evaluate(self, text: str, context: dict) -> str:
        """``${{ inputs.x }}``, ``${{ steps.id.outputs.x }}``, ``${{ github.action_path }}``,
        ``${{ runner.temp }}``; nothing else."""
        def value(match: re.Match) -> str:
            expression = match.group(1)
            parts = expression.split(".")
            if parts[0] == "inputs" and len(parts) == 2:
                return context["inputs"][parts[1]]
            if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
                return context["steps"].get(parts[1], {}).get("outputs", {}).get(parts[3], "")
            if expression == "github.action_path":
                return str(self.action_path)
            if expression == "runner.temp":
                return str(self.temp)
            raise AssertionError(f"the harness does not evaluate ${{{{ {expression} }}}}")

        return EXPRESSION.sub(value, text)


def parse_file_commands(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIMITER`` blocks, as the runner reads $GITHUB_OUTPUT/$GITHUB_ENV."""
    out: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if line:
            name, _, value = line.partition("=")
            out[name] = value
        i += 1
    return out


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> Runner:
    temp = tmp_path_factory.mktemp("runner-temp")
    workspace = tmp_path_factory.mktemp("workspace")
    return Runner(ROOT, workspace, temp)


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "VIRTUAL_ENV", "PYTHONPATH")}
    # the kit's dependencies and build backend from this environment, not from PyPI (see the docstring)
    env.update(PYTHONPATH=os.pathsep.join(site.getsitepackages()), PIP_NO_DEPS="1", PIP_NO_BUILD_ISOLATION="0",
               PIP_NO_INDEX="1")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not p.startswith(str(ROOT / ".venv")))
    return env


def mock(*args: str) -> tuple[subprocess.Popen, str]:
    """``videos-contract mock`` on a free port, and its base URL."""
    process = subprocess.Popen([sys.executable, "-m", "contracts.cli", "mock", "--port", "0", "--api-key", KEY,
                                "--job-seconds", "0.2", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, cwd=ROOT, start_new_session=True)
    line = process.stdout.readline()
    found = re.search(r"listening on (\S+)", line)
    assert found, f"the mock did not start: {line!r}"
    return process, found.group(1)


@pytest.fixture
def server(request):
    process, url = mock(*request.param)
    yield url
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    process.stdout.close()


@pytest.mark.slow  # a venv, an install and a conformance run
@pytest.mark.parametrize(("server", "verdict", "code"), [
    ((), "conforms", 0),
    (("--fault", "seconds-integer"), "violations", 1),
], indirect=["server"], ids=["conforming", "fault-seconds-integer"])
def test_the_action_grades_the_target(runner, environment, server, verdict, code, tmp_path):
    report_dir = f"reports-{verdict}"
    run = runner.run({"base-url": server, "api-key": KEY, "max-creates": "40",
                      "args": "--examples 3 --target-name 'reference server' --target-version 0.1",
                      "report-dir": report_dir}, environment)
    assert run.code == code, run.log[-4000:]
    assert run.steps_run == ["Install videos-contract", "Check conformance"]
    doc = json.loads((Path(run.outputs["report-dir"]) / "conformance.json").read_text())
    assert Path(run.outputs["report-dir"]) == runner.workspace / report_dir
    assert run.outputs == {"verdict": verdict, "passed": str(doc["counts"]["passed"]),
                           "failed": str(doc["counts"]["failed"]), "report-dir": str(runner.workspace / report_dir)}
    assert (doc["target_name"], doc["target_version"], doc["options"]["max_creates"]) == ("reference server", "0.1", 40)
    assert run.summary == (runner.workspace / report_dir / "summary.md").read_text()
    assert f"Verdict: {'FAIL' if code else 'PASS'}" in run.log and KEY not in run.log + run.summary
    assert KEY in runner.masks  # the key is masked in the job's log by the runner, were the kit to print it
    if code:
        assert [c["id"] for c in doc["clauses"] if c["verdict"] == "failed"] == ["response.video.schema"]


@pytest.mark.slow  # a venv, an install and a conformance run
def test_the_kit_the_action_runs_is_its_own_checkout_installed(runner, environment):
    python = runner.temp / "videos-contract-venv" / "bin" / "python"
    if not python.exists():
        runner.run({"base-url": "http://127.0.0.1:9/v1"}, environment)
    done = subprocess.run([str(python), "-c", "import contracts; print(contracts.__file__)"], env=environment,
                          capture_output=True, text=True, cwd="/", check=True)
    assert done.stdout.startswith(str(runner.temp / "videos-contract-venv")), done.stdout


@pytest.mark.slow  # a venv, an install and a conformance run
def test_a_target_that_cannot_be_reached_is_verdict_error_exit_2(runner, environment):
    run = runner.run({"base-url": "http://127.0.0.1:9/v1", "report-dir": "reports-unreachable"}, environment)
    assert run.code == 2 and "cannot reach the target" in run.log
    assert run.outputs["verdict"] == "error" and run.summary == ""


def test_the_file_commands_are_read_as_the_runner_reads_them():
    text = "verdict=conforms\nnote<<EOF_1\nline one\nline=two\nEOF_1\nempty=\n"
    assert parse_file_commands(text) == {"verdict": "conforms", "note": "line one\nline=two", "empty": ""}


def test_the_readme_shows_a_six_line_workflow_using_the_action():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## In CI"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    assert len(block.splitlines()) == 6, block
    workflow = yaml.safe_load(block)
    (step,) = workflow["jobs"]["conformance"]["steps"]
    inputs = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    assert step["uses"].split("@")[0].endswith("/videos-contract")
    assert set(step["with"]) <= set(inputs)
    assert {name for name, spec in inputs.items() if spec.get("required")} <= set(step["with"])
