"""``videos-contract proxy`` as a user runs it: one-line errors with exit 2; reports refreshed while
traffic goes through and written on SIGTERM or Ctrl-C; exit 1 with --fail-on-violation when a clause
failed, 0 without it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest

from contracts.cli import main
from contracts.embedded import EmbeddedServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("args", "message"), [
    ([], "--target URL is required"),
    (["--target", "ftp://127.0.0.1/v1"], "--target must be an http(s) URL"),
    (["--target", "http://127.0.0.1:9/v1", "--port", "70000"], "--port must be between 0 and 65535"),
    (["--target", "http://127.0.0.1:9/v1", "--profile", "no-such-profile.toml"], "no-such-profile.toml"),
    (["--target", "http://127.0.0.1:9/v1", "--operations", "list"], "must include create and retrieve"),
    (["--target", "http://127.0.0.1:9/v1", "--report-every", "-1"], "--report-every must be at least 0"),
    (["--target", "http://127.0.0.1:9/v1", "--report-every", "nan"], "--report-every takes a number, got 'nan'"),
    (["--target", "http://127.0.0.1:9/v1", "--job-timeout", "inf"], "--job-timeout takes a number, got 'inf'"),
], ids=["no-target", "not-http", "bad-port", "missing-profile", "bad-operations", "negative-report-every",
        "nan-report-every", "infinite-job-timeout"])
def test_a_bad_option_is_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) if {"--operations", "--report-every", "--job-timeout"} & set(args) else _nothing():
        code = main(["proxy", *args])
        assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1], err
    assert "Traceback" not in "\n".join(err)


def test_an_unwritable_report_dir_is_one_line_and_exit_2_before_serving(tmp_path, capsys):
    """Found at the start, not after an hour of traffic graded for nothing."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = main(["proxy", "--target", "http://127.0.0.1:9/v1", "--port", "0", "--report-dir", str(blocker / "reports")])
    captured = capsys.readouterr()
    assert code == 2 and "listening" not in captured.out
    assert captured.err.strip() == f"videos-contract: error: cannot write reports to {blocker / 'reports'}: Not a directory"


def test_a_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code = main(["proxy", "--target", "http://127.0.0.1:9/v1", "--port", str(busy.getsockname()[1])])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot listen on 127.0.0.1" in err[0], err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---- as a process: signals, reports, exit codes ----------------------------------------------------
def _start(*args: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "contracts.cli", "proxy", "--port", "0", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on http://" in line, line + proc.stderr.read()
    return proc, line.split("listening on ", 1)[1].split()[0]


def _traffic(url: str) -> None:
    with openai.OpenAI(base_url=url, api_key="sk-cli-test-0123456789", max_retries=0, timeout=10) as sdk:
        video = sdk.videos.create_and_poll(prompt="a lighthouse", poll_interval_ms=20)
        sdk.videos.download_content(video.id).read()
        sdk.videos.list(limit=2)


@pytest.mark.slow
def test_reports_refreshed_while_traffic_goes_and_written_on_sigterm(tmp_path):
    reports = tmp_path / "reports"
    with EmbeddedServer(job_seconds=0.2, extra_args=["--fault", "seconds-integer"]) as server:
        target = server.base_url
        proc, url = _start("--target", target, "--report-dir", str(reports), "--report-every", "0.3",
                           "--fail-on-violation")
        try:
            _traffic(url)
            deadline = time.monotonic() + 10
            while not (reports / "conformance.json").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert (reports / "conformance.json").exists(), "no report while traffic goes through"
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, out + err
    doc = json.loads((reports / "conformance.json").read_text())
    assert [c["id"] for c in doc["clauses"] if c["verdict"] == "failed"] == ["response.video.schema"]
    assert doc["requests_sent"] >= 4 and doc["target"] == target
    not_exercised = [c for c in doc["clauses"] if c["note"] == "not exercised by the traffic"]
    assert not_exercised and all(c["verdict"] == "not_verified" for c in not_exercised)
    assert "Videos API conformance" in out and "FAIL" in out
    for name in ("conformance.html", "junit.xml", "summary.md", "badge.svg"):
        assert (reports / name).exists(), name


@pytest.mark.slow
def test_ctrl_c_writes_the_reports_and_a_violation_alone_exits_0(tmp_path):
    reports = tmp_path / "reports"
    with EmbeddedServer(job_seconds=0.2, extra_args=["--fault", "seconds-integer"]) as server:
        proc, url = _start("--target", server.base_url, "--report-dir", str(reports), "--report-every", "0")
        try:
            _traffic(url)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, out + err
    assert json.loads((reports / "conformance.json").read_text())["counts"]["failed"] == 1
    assert "Traceback" not in err, err
