"""Generated draws: reproducible for a seed, cached on disk without changing a single case."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from contracts import draws
from contracts.spec import load_spec


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(draws.CACHE_ENV, str(tmp_path))
    return tmp_path


@pytest.mark.slow  # schemathesis draws both modes for real (seconds)
@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_the_cache_returns_exactly_what_was_drawn(cache, mode):
    spec = load_spec()
    first = draws.draw(spec, mode, 10, seed=3)
    assert len(list(cache.glob("draws-*.json"))) == 1
    again = draws.draw(spec, mode, 10, seed=3)
    assert again == first
    assert len(first) == 10


@pytest.mark.slow  # schemathesis draws twice without the cache (seconds)
def test_without_cache_the_same_seed_draws_the_same_cases(monkeypatch):
    monkeypatch.setenv(draws.CACHE_ENV, "0")
    spec = load_spec()
    assert draws.draw(spec, "negative", 8, seed=1) == draws.draw(spec, "negative", 8, seed=1)


@pytest.mark.slow  # schemathesis draws for two seeds and two specs (seconds)
def test_another_seed_or_spec_uses_another_entry(cache):
    spec = load_spec()
    draws.draw(spec, "positive", 5, seed=1)
    draws.draw(spec, "positive", 5, seed=2)
    assert len(list(cache.glob("draws-*.json"))) == 2


def test_a_corrupt_cache_entry_is_drawn_again(cache):
    spec = load_spec()
    first = draws.draw(spec, "positive", 5, seed=4)
    entry = next(cache.glob("draws-*.json"))
    entry.write_text("{not json")
    assert draws.draw(spec, "positive", 5, seed=4) == first
    assert json.loads(entry.read_text())  # and rewritten


def test_files_are_dropped_and_bodies_are_plain_json():
    assert draws._keepable({"prompt": "a", "input_reference": b"\x89PNG"}) == {"prompt": "a"}
    assert draws._keepable({"prompt": "a", "input_reference[image_url]": "x"}) == {
        "prompt": "a", "input_reference[image_url]": "x"}
    assert draws._keepable(object()) is None


DRAW_IN_A_FRESH_PROCESS = """
import hashlib, json, sys
if sys.argv[1] == "many":  # the modules a pytest session or a detection worker has loaded
    import contracts.cli, contracts.detection, contracts.mock, contracts.pytest_plugin, contracts.runner  # noqa: F401
from contracts import draws
from contracts.spec import load_spec
drawn = draws.draw(load_spec(), "negative", 20, seed=0)
print(hashlib.sha1(json.dumps(drawn, sort_keys=True).encode()).hexdigest())
"""


@pytest.mark.slow  # two fresh processes that import schemathesis and draw (seconds)
def test_a_seed_draws_the_same_cases_whatever_modules_are_loaded(tmp_path):
    """Hypothesis mixes constants of loaded 'local' modules (the kit's own, installed editable) into
    its draws: the CLI and a pytest session drew different cases for one seed. Drawn without them,
    the cases are the same."""
    env = {**os.environ, draws.CACHE_ENV: "0", "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path)}
    digests = {subprocess.run([sys.executable, "-c", DRAW_IN_A_FRESH_PROCESS, which], capture_output=True,
                              text=True, check=True, env=env, cwd=tmp_path).stdout.strip()
               for which in ("few", "many")}
    assert len(digests) == 1, digests
