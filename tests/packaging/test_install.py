"""The package as released: ``python -m build`` makes an sdist and a wheel (the wheel built from the
sdist) that ``twine check`` accepts, with the spec, the report's JSON Schema and the report and mock
assets inside; installed into a clean venv, outside the checkout, it runs the suite, serves the
reference server and says its version."""

from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from contracts import __version__

pytestmark = pytest.mark.slow  # process-heavy: left out of the fast tier (pytest -m "not slow")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel, built offline: the build backend from this environment (no build isolation)."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def wheel(dist) -> Path:
    return next(dist.glob("videos_contract-*.whl"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory, wheel) -> Path:
    env_dir = tmp_path_factory.mktemp("install") / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], check=True,
                   timeout=300, capture_output=True)
    # Dependencies come from the test run's own environment (no network needed): a .pth file.
    target_site = next((env_dir / "lib").glob("python*/site-packages"))
    (target_site / "_deps_from_test_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return env_dir


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "OPENAI_API_KEY", "VIDEOS_CONTRACT_SPEC", "PYTEST_ADDOPTS")}


def test_the_build_makes_an_sdist_and_a_wheel_that_twine_accepts(dist):
    built = sorted(p.name for p in dist.iterdir())
    assert built == [f"videos_contract-{__version__}-py3-none-any.whl", f"videos_contract-{__version__}.tar.gz"]
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.count("PASSED") == 2, done.stdout + done.stderr


def test_the_wheel_carries_the_spec_the_schema_and_the_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "contracts/_spec/openapi.yaml",
        "contracts/report/conformance.schema.json",
        "contracts/report/assets/report.css",
        "contracts/report/assets/report.js",
        "contracts/mock/assets/video.mp4",  # the source the kit uploads (the mock makes its media itself)
        "contracts/mock/control.yaml",
        "contracts/suite/test_clauses.py",
    } <= names
    assert not {n for n in names if n.startswith(("tools/", "tests/", "benchmarks/"))}
    metadata = zipfile.ZipFile(wheel).read(f"videos_contract-{__version__}.dist-info/METADATA").decode()
    assert re.search(r"^License-File: LICENSE$", metadata, re.M) and "Description-Content-Type: text/markdown" in metadata


def test_the_version_is_said_in_one_place(wheel):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "contracts/__init__.py"
    assert wheel.name.startswith(f"videos_contract-{__version__}-")


def test_development_tools_stay_out_of_the_installed_package(installed):
    site_packages = next((installed / "lib").glob("python*/site-packages"))
    shipped = {p.relative_to(site_packages).as_posix() for p in (site_packages / "contracts").rglob("*.py")}
    assert "contracts/mock/app.py" in shipped
    assert not {p for p in shipped if p.rsplit("/", 1)[-1] in ("browser.py", "demo.py", "screenshot.py", "make_assets.py")}
    assert not (site_packages / "tools").exists()


def test_the_installed_package_does_not_come_from_the_checkout(installed):
    out = subprocess.run([str(installed / "bin" / "python"), "-c", "import contracts, sys; print(contracts.__file__)"],
                         cwd="/", capture_output=True, text=True, timeout=60, check=True)
    assert str(installed) in out.stdout, out.stdout


def test_the_installed_command_says_its_version_and_prints_the_schema(installed, tmp_path):
    command = str(installed / "bin" / "videos-contract")
    version = subprocess.run([command, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                             env=clean_env())
    assert version.stdout.startswith(f"videos-contract {__version__} (spec 1.0.0, report schema "), version.stderr
    schema = subprocess.run([command, "schema"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env=clean_env())
    assert json.loads(schema.stdout) == json.loads((ROOT / "contracts" / "report" / "conformance.schema.json").read_text())


def test_the_installed_command_runs_the_suite(installed, tmp_path):
    done = subprocess.run([str(installed / "bin" / "videos-contract"), "run", "--quiet", "--examples", "3",
                           "--report-dir", str(tmp_path / "reports")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240, env=clean_env())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "reports" / "conformance.json").read_text())
    assert report["counts"]["failed"] == 0 and report["counts"]["passed"] > 40
    assert report["generator"]["version"] == __version__ and (tmp_path / "reports" / "badge.svg").exists()


def test_the_installed_command_serves_the_reference_server(installed, tmp_path):
    server = subprocess.Popen([str(installed / "bin" / "videos-contract"), "mock", "--port", "0", "--api-key", "sk-w"],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        line = server.stdout.readline()
        url = re.search(r"listening on (\S+)", line)
        assert url, line + server.stderr.read()
        with httpx.Client(base_url=url.group(1), headers={"Authorization": "Bearer sk-w"}, timeout=10) as http:
            created = http.post("/videos", json={"prompt": "a paper boat"})
            assert created.status_code == 200 and created.json()["object"] == "video"
            assert http.get(f"/videos/{created.json()['id']}").status_code == 200
    finally:
        server.terminate()
        server.communicate(timeout=15)


def test_the_installed_suite_runs_under_pytest(installed, tmp_path):
    done = subprocess.run([str(installed / "bin" / "python"), "-m", "pytest", "--pyargs", "contracts.suite", "-q",
                           "-p", "no:cacheprovider", "--contract-examples", "3",
                           "--contract-report-dir", str(tmp_path / "reports")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240, env=clean_env())
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
