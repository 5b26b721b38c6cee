"""``python -m contracts.mock``: the ready line, clean exits on bad values, and EmbeddedServer."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from contracts.embedded import EmbeddedServer, EmbeddedServerError
from contracts.mock.cli import add_arguments

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"^videos-contract mock listening on http://127\.0\.0\.1:(\d+)/v1$")


def run_mock(*args: str, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "contracts.mock", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
    )


def test_add_arguments_defaults():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([])
    assert (args.host, int(args.port), args.api_key, float(args.job_seconds)) == ("127.0.0.1", 4010, None, 1.0)


def test_ready_line_then_serves_then_stops_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "contracts.mock", "--port", "0", "--job-seconds", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        line = process.stdout.readline().rstrip("\n")
        match = READY.match(line)
        assert match, line
        base_url = f"http://127.0.0.1:{match[1]}/v1"
        video = httpx.post(f"{base_url}/videos", json={"prompt": "p"}).json()
        assert video["status"] == "queued"  # job_seconds 0: created queued...
        assert httpx.get(f"{base_url}/videos/{video['id']}").json()["status"] == "completed"  # ...completed at once
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=10)
    # uvicorn shuts down gracefully, then re-raises the captured SIGTERM (conventional exit).
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert stdout == "", "exactly one ready line"
    assert "Traceback" not in stderr


BAD_VALUES = {  # the one line names the option
    "negative-job-seconds": ["--job-seconds", "-1"], "nan-job-seconds": ["--job-seconds", "nan"],
    "text-job-seconds": ["--job-seconds", "soon"], "port-too-big": ["--port", "70000"], "port-text": ["--port", "http"],
    "zero-body": ["--max-body-bytes", "0"], "empty-key": ["--api-key", ""], "bad-host": ["--host", "no-such-host.invalid"],
}
# The options for a client's tests: checked in process (each refused before anything is bound)
BAD_TEST_OPTIONS = {
    "unknown-clock": ["--clock", "fast"], "negative-advance-per-poll": ["--advance-per-poll", "-1"],
    "text-advance-per-poll": ["--advance-per-poll", "some"], "zero-journal-size": ["--journal-size", "0"],
    "unknown-namespaces": ["--namespaces", "all"], "empty-admin-key": ["--admin-key", " "],
    "key-namespaces-with-an-api-key": ["--namespaces", "key", "--api-key", "sk-one"],
    "header-namespaces-with-a-store": ["--namespaces", "header", "--store", "/nonexistent/videos.db"],
    "manual-clock-with-a-store": ["--clock", "manual", "--store", "/nonexistent/videos.db"],
    "advance-per-poll-with-gpu-workers": ["--advance-per-poll", "2", "--gpu-workers", "1"],
}


@pytest.mark.parametrize("args", list(BAD_VALUES.values()), ids=list(BAD_VALUES))
def test_bad_values_exit_2_with_one_line(args):
    mentions = args[0]
    result = run_mock("--port", "0", *args) if "--port" not in args else run_mock(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and mentions in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", list(BAD_TEST_OPTIONS.values()), ids=list(BAD_TEST_OPTIONS))
def test_bad_test_options_exit_2_with_one_line(args, capsys):
    from contracts.mock.cli import main

    assert main(["--port", "0", *args]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1 and args[0] in lines[0], err


def test_port_in_use_exits_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_mock("--port", str(busy.getsockname()[1]))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot listen" in lines[0], result.stderr


def test_embedded_server_exposes_url_and_pid_and_stops():
    with EmbeddedServer(job_seconds=0.1) as server:
        assert server.running and server.pid > 0
        assert re.match(r"^http://127\.0\.0\.1:\d+/v1$", server.base_url)
        assert httpx.get(f"{server.base_url}/videos").status_code == 200
        pid = server.pid
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(EmbeddedServerError):
        server.base_url  # noqa: B018


def test_embedded_server_passes_the_key():
    with EmbeddedServer(api_key="sk-k", job_seconds=0.1) as server:
        assert httpx.get(f"{server.base_url}/videos").status_code == 401
        assert httpx.get(f"{server.base_url}/videos", headers={"authorization": "Bearer sk-k"}).status_code == 200


class ScriptServer(EmbeddedServer):
    """A child that runs ``code`` instead of the mock."""

    def __init__(self, code: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.code = code

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-c", self.code]


SILENT = "import sys, time; print('booting', flush=True); sys.stderr.write('stuck\\n'); time.sleep(60)"
STUBBORN = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('videos-contract mock listening on http://127.0.0.1:1/v1', flush=True); time.sleep(60)")


@pytest.mark.parametrize("make, error", [
    (lambda: EmbeddedServer(extra_args=["--job-seconds", "-5"]), "(?s)exited.*--job-seconds"),
    (lambda: ScriptServer(SILENT, startup_timeout=0.5, stop_timeout=2), "(?s)did not report ready.*stuck"),
], ids=["child-dies", "never-ready-is-killed"])
def test_embedded_server_reports_a_child_that_does_not_start(make, error):
    server = make()
    with pytest.raises(EmbeddedServerError, match=error):
        server.start()
    assert not server.running


def test_embedded_server_kills_a_child_that_ignores_terminate():
    server = ScriptServer(STUBBORN, stop_timeout=0.5).start()  # it ignores SIGTERM: stop() must kill it
    pid = server.pid
    code = server.stop()
    assert code is not None and code != 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


GC_PROBE = """
import gc
from contracts.mock.cli import _tune_gc
_tune_gc()
frozen = gc.get_freeze_count()
kept = [[i] for i in range(10_000)]  # long-lived, like stored jobs
gc.collect()
print(frozen, gc.get_freeze_count() - frozen, len(gc.get_objects(generation=2)))
"""


def test_the_server_freezes_what_survives_a_full_collection():
    """So that the next full collection walks only what came after (short pauses with 100k+ jobs)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", GC_PROBE], capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=env, check=True)
    at_start, after, left = map(int, result.stdout.split())
    assert at_start > 1000, "what start-up made is frozen"
    assert after >= 10_000, "the survivors of a full collection are frozen"
    assert left == 0, "nothing is left for the next full collection to walk"
