"""A newcomer's machine for the tests that follow the README and docs/ as written: a fresh clone of
the kit (its tracked files only), a `python3` that is the one running the tests, and venvs that
already hold the kit's dependencies (taken from the test run's own environment, so that the
documented `pip install` needs no network for them) but not the kit itself, which each route
installs as the docs say.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def tracked_files() -> list[str]:
    """The files of the checkout a `git clone` gives (skips the test where this is no git checkout)."""
    try:
        done = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, timeout=60, check=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no fresh clone to make")
    return [name for name in done.stdout.decode().split("\0") if name]


def fresh_clone(dest: Path) -> Path:
    """The tracked files of this checkout, as they are now (uncommitted edits included), at ``dest``."""
    for name in tracked_files():
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def runtime_distributions() -> dict[str, metadata.Distribution]:
    """The kit's dependencies and theirs, as `pip install .` brings them: not the test extras."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, metadata.Distribution] = {}
    todo = list(metadata.requires("videos-contract") or [])
    while todo:
        requirement = Requirement(todo.pop())
        name = canonicalize_name(requirement.name)
        if name in found or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        found[name] = metadata.distribution(requirement.name)
        todo += found[name].requires or []
    return found


def dependencies_dir(dest: Path) -> Path:
    """A folder that shows the kit's runtime dependencies, and nothing else of the test environment
    (symbolic links to their top-level packages, modules and metadata)."""
    dest.mkdir(parents=True, exist_ok=True)
    for dist in runtime_distributions().values():
        for top in {Path(str(f)).parts[0] for f in dist.files or () if not str(f).startswith("..")}:
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (dest / top).exists() and not top.endswith(".pth"):
                (dest / top).symlink_to(source)
    return dest


def python_on_path(bin_dir: Path) -> Path:
    """A folder holding `python3` (the interpreter running the tests), to put first on PATH."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / "python3"
    if not link.exists():
        link.symlink_to(getattr(sys, "_base_executable", sys.executable))
    return bin_dir


def seeded_venv(path: Path, dependencies: Path) -> Path:
    """A venv (with pip) whose interpreter already sees the kit's dependencies, not the kit, with the
    dependencies' commands (`pytest`...) in its bin/ as pip would have put them there."""
    venv.create(path, with_pip=True)
    site_packages = next((path / "lib").glob("python*/site-packages"))
    (site_packages / "_deps_of_a_newcomers_machine.pth").write_text(f"{dependencies}\n")
    runtime = {dist.metadata["Name"] for dist in runtime_distributions().values()}
    for entry in metadata.entry_points(group="console_scripts"):
        script = path / "bin" / entry.name
        if entry.dist is None or entry.dist.metadata["Name"] not in runtime or script.exists():
            continue
        module, _, attr = entry.value.partition(":")
        script.write_text(f"#!{path / 'bin' / 'python'}\nimport sys\nfrom {module} import {attr.split('.')[0]}\n"
                          f"sys.exit({attr}())\n")
        script.chmod(0o755)
    return path


def newcomer_env(*first_on_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a newcomer's shell: no key, no spec override, no PYTHONPATH into this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "OPENAI_API_KEY", "VIDEOS_CONTRACT_SPEC", "VIRTUAL_ENV", "PYTEST_ADDOPTS")}
    env["PATH"] = os.pathsep.join([*map(str, first_on_path), env.get("PATH", "")])
    env.update(extra)
    return env
