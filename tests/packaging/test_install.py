"""A non-editable install (a built wheel, outside the checkout) runs the suite: the spec, the mock's
assets and the suite itself ship inside the package."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # process-heavy: left out of the fast tier (pytest -m "not slow")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("install")
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)],
                   check=True, timeout=300, capture_output=True)
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    wheel = next(wheels.glob("videos_contract-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    # Dependencies come from the test run's own environment (no network needed): a .pth file.
    target_site = next((env_dir / "lib").glob("python*/site-packages"))
    (target_site / "_deps_from_test_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return env_dir


def test_development_tools_stay_out_of_the_wheel(installed):
    site_packages = next((installed / "lib").glob("python*/site-packages"))
    shipped = {p.relative_to(site_packages).as_posix() for p in (site_packages / "contracts").rglob("*.py")}
    assert "contracts/mock/app.py" in shipped
    assert not {p for p in shipped if p.rsplit("/", 1)[-1] in ("browser.py", "demo.py", "screenshot.py", "make_assets.py")}
    assert not (site_packages / "tools").exists()


def test_the_installed_package_does_not_come_from_the_checkout(installed):
    out = subprocess.run([str(installed / "bin" / "python"), "-c", "import contracts, sys; print(contracts.__file__)"],
                         cwd="/", capture_output=True, text=True, timeout=60, check=True)
    assert str(installed) in out.stdout, out.stdout


def test_the_installed_command_runs_the_suite(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_API_KEY", "VIDEOS_CONTRACT_SPEC")}
    done = subprocess.run([str(installed / "bin" / "videos-contract"), "run", "--quiet", "--examples", "3",
                           "--report-dir", str(tmp_path / "reports")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "reports" / "conformance.json").read_text())
    assert report["counts"]["failed"] == 0 and report["counts"]["passed"] > 40


def test_the_installed_suite_runs_under_pytest(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OPENAI_API_KEY", "PYTEST_ADDOPTS")}
    done = subprocess.run([str(installed / "bin" / "python"), "-m", "pytest", "--pyargs", "contracts.suite", "-q",
                           "-p", "no:cacheprovider", "--contract-examples", "3",
                           "--contract-report-dir", str(tmp_path / "reports")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "videos-contract" in done.stdout and (tmp_path / "reports" / "junit.xml").exists()


def test_the_control_routes_document_ships_and_loads(installed):
    code = ("from contracts.mock.control import DOCUMENT, load_document; "
            "print(DOCUMENT); print(sorted(load_document().document['paths']))")
    out = subprocess.run([str(installed / "bin" / "python"), "-c", code], cwd="/", capture_output=True, text=True,
                         timeout=60, check=True)
    where, paths = out.stdout.splitlines()
    assert where.startswith(str(installed)) and where.endswith("contracts/mock/control.yaml")
    assert "'/_mock/health'" in paths and "'/_mock/faults'" in paths
