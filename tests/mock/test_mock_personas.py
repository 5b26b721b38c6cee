"""Personas: catalogue faults composed into realistic servers. That each is well formed, listed,
started by ``--persona``, and refused by name when unknown; whether the suite grades each one
exactly is tests/test_detection_personas.py's job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from mock_helpers import call

from contracts.clauses import CLAUSES
from contracts.embedded import EmbeddedServer
from contracts.mock import MockConfig, create_app
from contracts.mock.faults import CATALOGUE
from contracts.mock.personas import MAX_FAULTS, MIN_FAULTS, PERSONAS, UnknownPersona, describe, get

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-personas"
REAL_SERVERS = ("sglang", "vllm-omni", "litellm", "new-api", "azure", "one-gpu")  # the servers the notes describe


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "contracts.cli", "mock", *args], capture_output=True, text=True,
                          timeout=30, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


def test_the_servers_of_the_notes_each_have_a_persona():
    assert set(REAL_SERVERS) <= set(PERSONAS)


@pytest.mark.parametrize("name", list(PERSONAS))
def test_persona_is_well_formed(name):
    p = PERSONAS[name]
    assert MIN_FAULTS <= len(p.faults) <= MAX_FAULTS, f"{name}: {len(p.faults)} faults"
    assert len(set(p.faults)) == len(p.faults) and set(p.faults) <= set(CATALOGUE)
    assert p.deviations, f"{name} has no deviation: it would be a clean variant"
    assert p.root_causes and set(p.root_causes) | set(p.blocked) <= set(CLAUSES)
    assert not set(p.root_causes) & set(p.blocked), "a clause is either failed or blocked"
    assert len(set(p.root_causes)) == len(p.root_causes) and len(set(p.blocked)) == len(p.blocked)
    assert p.summary and p.source


def test_list_personas_prints_each_with_its_faults_and_expectations():
    done = _cli("--list-personas")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == describe()
    heads = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ") and line[2] != " "]
    assert heads == list(PERSONAS)
    for p in PERSONAS.values():
        assert f"faults: {', '.join(p.faults)}" in done.stdout
        assert f"must fail: {', '.join(p.root_causes)}" in done.stdout


def test_unknown_persona_exits_2_with_the_list_of_names():
    done = _cli("--port", "0", "--persona", "no-such-server")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"videos-contract mock: error: unknown persona 'no-such-server'; known personas: {', '.join(PERSONAS)}"]
    with pytest.raises(UnknownPersona, match="known personas: sglang, "):
        get("no-such-server")


@pytest.mark.parametrize("name", list(PERSONAS))
def test_persona_serves_a_create(name):
    """Each persona's faults compose into a server that starts and takes a create it is built to take."""
    app = create_app(MockConfig(faults=PERSONAS[name].faults, api_key=KEY, job_seconds=0))
    body = {"prompt": "a cat", "model": "sora-2"}
    multipart_only = "json-refused" in PERSONAS[name].faults
    kwargs = {"files": {k: (None, v) for k, v in body.items()}} if multipart_only else {"json": body}
    answer = call(app, "POST", "/videos", headers={"Authorization": f"Bearer {KEY}"}, **kwargs)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # the Images API's shape names the job in its url only (create-images-shape)
    video_id = body["id"] if "id" in body else body["data"][0]["url"].split("/videos/")[1].split("/")[0]
    again = call(app, "GET", f"/videos/{video_id}", headers={"Authorization": f"Bearer {KEY}"})
    assert again.status_code == 200 and again.json()["id"] == video_id


def test_persona_process_starts_and_composes_with_fault():
    """--persona over a real process: its faults are on (create-201 is not one of them), and --fault adds one."""
    with EmbeddedServer(api_key=KEY, extra_args=["--persona", "azure", "--fault", "no-delete-route",
                                                 "--fault", "create-201"]) as server:
        headers = {"Authorization": f"Bearer {KEY}"}
        refused = httpx.post(f"{server.base_url}/videos", json={"prompt": "a cat", "size": "1024x1792"},
                             headers=headers, timeout=10)
        assert refused.status_code == 400, refused.text  # azure: two sizes only
        created = httpx.post(f"{server.base_url}/videos", json={"prompt": "a cat"}, headers=headers, timeout=10)
        assert created.status_code == 201, created.text  # create-201, added by --fault
        assert "usage" in created.json()  # azure's extra-fields
        gone = httpx.delete(f"{server.base_url}/videos/{created.json()['id']}", timeout=10)  # no key at all
        assert (gone.status_code, gone.headers["allow"]) == (405, "GET, HEAD")  # no route, before auth
