"""A target behind a gateway: it routes by two headers of its own (one of them secret-looking) and
takes its key in an ``api-key`` header, as Azure OpenAI does. Graded with --header and
--api-key-header, it is graded exactly as the same server without them; the secret values appear
in no output, and a report's curl command, run as it is, reaches the target."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from cli_helpers import cli

from contracts.embedded import EmbeddedServer

pytestmark = pytest.mark.slow  # whole conformance runs against server processes

KEY = "sk-gateway-test-" + "k" * 30
TOKEN = "gw-t0ken-" + "q" * 20  # the value of the secret-looking routing header
GATEWAY = ["--api-key-header", "api-key", "--require-header", "X-Route", "--require-header", "X-Gateway-Token"]
ACCESS = ["--api-key-header", "api-key", "--header", "X-Route: videos", "--header", f"X-Gateway-Token: {TOKEN}"]
FAULT = ["--fault", "seconds-integer"]  # a violation, so that the reports carry evidence and curl commands


def grade(server: EmbeddedServer, tmp_path, name: str, *args: str):
    out = tmp_path / name
    done = cli("run", "--quiet", "--examples", "3", "--base-url", server.base_url, "--report-dir", str(out), *args,
               env={"OPENAI_API_KEY": KEY})
    report = json.loads((out / "conformance.json").read_text()) if (out / "conformance.json").exists() else None
    return done, report, out


def verdicts(report: dict) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in report["clauses"]}


@pytest.fixture(scope="module")
def plain():
    with EmbeddedServer(api_key=KEY, job_seconds=0.2, extra_args=FAULT) as server:
        yield server


@pytest.fixture(scope="module")
def gateway():
    with EmbeddedServer(api_key=KEY, job_seconds=0.2, extra_args=[*GATEWAY, *FAULT]) as server:
        yield server


def test_a_gateway_target_is_graded_exactly_as_a_plain_one(plain, gateway, tmp_path):
    plain_done, plain_report, _ = grade(plain, tmp_path, "plain")
    done, report, out = grade(gateway, tmp_path, "gateway", *ACCESS)
    assert (plain_done.returncode, done.returncode) == (1, 1), done.stdout[-3000:] + done.stderr[-2000:]
    assert verdicts(report) == verdicts(plain_report)
    assert [c["id"] for c in report["clauses"] if c["verdict"] == "failed"] == ["response.video.schema"]
    # the auth clauses were judged through the api-key header: without it, and with a wrong key in it
    assert {verdicts(report)[cid] for cid in ("auth.missing-key-rejected", "auth.wrong-key-rejected")} == {"passed"}
    assert report["options"]["headers"] == {"X-Route": "videos", "X-Gateway-Token": "$X_GATEWAY_TOKEN"}
    assert report["options"]["api_key_header"] == "api-key"

    outputs = [done.stdout, done.stderr] + [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    assert not [text for text in outputs if KEY in text or TOKEN in text]

    evidence = next(c for c in report["clauses"] if c["id"] == "response.video.schema")["evidence"][0]
    sent = evidence["exchange"]["request"]["headers"]
    assert {name.lower(): value for name, value in sent.items()}.items() >= {
        "x-route": "videos", "x-gateway-token": "[REDACTED]", "api-key": "[REDACTED]"}.items()
    assert "authorization" not in {name.lower() for name in sent}
    curl = evidence["exchange"]["curl"]
    assert "-H 'X-Route: videos'" in curl and '-H "X-Gateway-Token: $X_GATEWAY_TOKEN"' in curl
    assert '-H "api-key: $OPENAI_API_KEY"' in curl
    # the curl command reproduces the request: run as it is, with the secrets in the environment
    body = json.loads(subprocess.run(
        ["bash", "-c", curl.replace(" -i ", " ")], capture_output=True, text=True, timeout=30, check=True,
        env={**os.environ, "OPENAI_API_KEY": KEY, "X_GATEWAY_TOKEN": TOKEN}).stdout)
    assert body["object"] == "video" and body["seconds"] == 4  # the fault's integer seconds: the same answer


def test_without_the_routing_headers_every_request_is_refused(gateway, tmp_path):
    done, report, _ = grade(gateway, tmp_path, "no-headers", "--api-key-header", "api-key")
    assert done.returncode == 1
    accepted = next(c for c in report["clauses"] if c["id"] == "create.json-accepted")
    assert accepted["verdict"] == "failed"
    assert "Missing required header" in accepted["evidence"][0]["exchange"]["response"]["body_excerpt"]


def test_the_key_as_bearer_is_refused_at_once(gateway, tmp_path):
    done, _, _ = grade(gateway, tmp_path, "bearer", "--header", "X-Route: videos", "--header", f"X-Gateway-Token: {TOKEN}")
    assert done.returncode == 2 and "refused the API key (401)" in done.stderr, done.stderr
    assert TOKEN not in done.stderr + done.stdout and KEY not in done.stderr + done.stdout

