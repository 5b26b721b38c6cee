"""Every route the README and docs/ show, run exactly as written from a fresh clone, as a newcomer
would: the install, a run against the embedded server and against a server, the mock, baselines,
diff, profiles, --operations, and the pytest route from the checkout and from the installed kit.

Each command is first found in the docs (a docs change that breaks it breaks this test), then run
in a shell with the clone's venv active; only the server's address is put in for the docs'
`http://127.0.0.1:8000/v1`, `URL` and port 4010. The CI recipes run in tests/test_ci_recipes.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import fresh

pytestmark = pytest.mark.slow  # installs the kit into a venv and runs it a dozen times

DOCS = {path.name: " ".join(path.read_text(encoding="utf-8").split())
        for path in (fresh.ROOT / "README.md", fresh.ROOT / "docs" / "reports.md")}
DOCUMENTED_URL = "http://127.0.0.1:8000/v1"


def documented(command: str, where: str = "README.md") -> str:
    """``command``, after checking that the docs show it as it is."""
    assert " ".join(command.split()) in DOCS[where], f"{where} no longer shows: {command}"
    return command


class Newcomer:
    """A fresh clone with the README's install done, and a shell to type documented commands in."""

    def __init__(self, home: Path):
        self.home = home
        self.clone = fresh.fresh_clone(home / "videos-contract")
        self.python = fresh.python_on_path(home / "bin")
        deps = fresh.dependencies_dir(home / "deps")
        fresh.seeded_venv(self.clone / ".venv", deps)  # the README's venv, seeded with the dependencies
        self.active = fresh.newcomer_env(self.clone / ".venv" / "bin", self.python)  # `. .venv/bin/activate`
        self.servers: list[subprocess.Popen] = []

    def shell(self, command: str, *, cwd: Path | None = None, active: bool = True,
              timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``command`` in bash, in the clone (or ``cwd``), with the venv active (or not yet made)."""
        env = self.active if active else fresh.newcomer_env(self.python)
        return subprocess.run(["bash", "-c", command], cwd=cwd or self.clone, env=env, capture_output=True,
                              text=True, timeout=timeout)

    def serve(self, command: str) -> str:
        """Start a documented `videos-contract mock` command; its base URL once it listens."""
        log = self.home / f"server-{len(self.servers)}.log"  # a file: a chatty server never blocks on it
        with log.open("w") as stderr:
            server = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=self.clone, env=self.active,
                                      stdout=subprocess.PIPE, stderr=stderr, text=True)
        self.servers.append(server)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                return found.group(1)
            if not line and server.poll() is not None:
                break
        pytest.fail(f"{command} did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        for server in self.servers:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
            server.stdout.close()


def free_port() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory) -> Iterator[Newcomer]:
    user = Newcomer(tmp_path_factory.mktemp("newcomer"))
    yield user
    user.stop()


@pytest.fixture(scope="module")
def installed(newcomer: Newcomer) -> Newcomer:
    """The README's first command, as written, in a fresh shell: install, then the embedded run."""
    command = documented("python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/videos-contract run")
    done = newcomer.shell(command, active=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "(embedded reference server)" in done.stdout and "Verdict: PASS - conforms" in done.stdout
    return newcomer


@pytest.fixture(scope="module")
def server(installed: Newcomer) -> str:
    """`videos-contract mock --host 127.0.0.1 --port 4010` as the README shows it (on a free port)."""
    documented("videos-contract mock --host 127.0.0.1 --port 4010 [--api-key KEY]")
    return installed.serve(f"videos-contract mock --host 127.0.0.1 --port {free_port()}")


def report(newcomer: Newcomer, folder: str = "reports") -> dict:
    return json.loads((newcomer.clone / folder / "conformance.json").read_text())


def test_the_installed_kit_is_the_clones(installed):
    done = installed.shell("python -c 'import contracts; print(contracts.__file__)'", cwd=installed.home)
    assert str(installed.clone / ".venv") in done.stdout, done.stdout + done.stderr


def test_check_your_server(installed, server):
    command = documented(f"videos-contract run --base-url {DOCUMENTED_URL}")
    done = installed.shell(command.replace(DOCUMENTED_URL, server))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Verdict: PASS - conforms" in done.stdout
    # The cap the run applied is the one the README states.
    stated = re.search(r"(\d+) for the documented contract, \d+ of them edits and extensions", DOCS["README.md"])
    assert report(installed)["options"]["max_creates"] == int(stated.group(1))
    shutil.copy(installed.clone / "reports" / "conformance.json", installed.home / "A.json")


def test_pytest_from_the_checkout(installed, server):
    """After the README's plain install (no test extras): no 'Unknown config option: timeout'."""
    command = documented(f"pytest tests/contract --contract-base-url {DOCUMENTED_URL}")
    done = installed.shell(command.replace(DOCUMENTED_URL, server))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Verdict: PASS - conforms" in done.stdout and " passed" in done.stdout.splitlines()[-1]


def test_pytest_from_the_installed_kit(installed, server):
    command = documented(f"pytest --pyargs contracts.suite --contract-base-url {DOCUMENTED_URL}")
    elsewhere = installed.home / "a-project"
    elsewhere.mkdir(exist_ok=True)
    done = installed.shell(command.replace(DOCUMENTED_URL, server), cwd=elsewhere)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Verdict: PASS - conforms" in done.stdout


def test_a_baseline_then_a_gate_then_diff(installed, server):
    write = documented("videos-contract run --base-url URL --write-baseline ci/baseline.json", "reports.md")
    gate = documented("videos-contract run --base-url URL --baseline ci/baseline.json", "reports.md")
    written = installed.shell(write.replace("URL", server))
    assert written.returncode == 0 and "Baseline written to ci/baseline.json" in written.stdout, written.stdout[-2000:]
    assert (installed.clone / "ci" / "baseline.json").is_file()
    gated = installed.shell(gate.replace("URL", server))
    assert gated.returncode == 0, gated.stdout[-2000:] + gated.stderr[-2000:]
    shutil.copy(installed.clone / "reports" / "conformance.json", installed.home / "B.json")
    if not (installed.home / "A.json").exists():
        shutil.copy(installed.home / "B.json", installed.home / "A.json")
    diff = documented("videos-contract diff A.json B.json")
    done = installed.shell(diff, cwd=installed.home)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("against", ["server", "embedded"])
def test_a_profile(installed, against):
    """`--profile profiles/wan22.toml`, a path relative to the checkout, against a server serving the
    profile and against the embedded one."""
    command = documented("videos-contract run --profile profiles/wan22.toml --base-url ...")
    if against == "server":
        documented("videos-contract mock --host 127.0.0.1 --port 4010 [--api-key KEY] [--job-seconds 1.0] "
                   "[--profile FILE.toml]")
        url = installed.serve(f"videos-contract mock --host 127.0.0.1 --port {free_port()} "
                              "--profile profiles/wan22.toml")
        command = command.replace("...", url)
    else:
        command = command.replace(" --base-url ...", "")
    done = installed.shell(command)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert report(installed)["profile"] == "wan22"


def test_operations_a_server_leaves_out(installed, server):
    line = documented("not offered: edits, extensions, characters (--operations or the profile's operations); "
                      "20 clauses skipped")
    documented("| `--operations LIST` |")
    done = installed.shell(f"videos-contract run --base-url {server} --operations create,retrieve,list,delete,"
                           "content,remix")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert line in done.stdout.splitlines()


@pytest.mark.parametrize("command", ["videos-contract clauses", "videos-contract mock --list-faults",
                                     "videos-contract mock --list-personas", "videos-contract clauses | head -3"])
def test_listings(installed, command):
    documented(command.split(" | ")[0].replace("--list-personas", "--persona sglang"))
    done = installed.shell(f"set -o pipefail; {command}")
    assert done.returncode == 0 and done.stdout.strip() and "Traceback" not in done.stderr, done.stderr[-2000:]


def test_a_base_url_without_v1(installed, server):
    done = installed.shell(f"videos-contract run --base-url {server.removesuffix('/v1')}")
    assert done.returncode == 2 and f"did you mean {server}?" in done.stderr, done.stderr


def test_grade_the_traffic_you_already_have(installed, server):
    """The README's proxy lines: the proxy in the background, traffic through it, ``kill %1``; reports."""
    start = documented(f"videos-contract proxy --target {DOCUMENTED_URL} --port 8080 &")
    stop = documented("kill %1")
    port = free_port()
    client = ("python -c 'import httpx, time\n"
              "for _ in range(100):\n"
              "    try:\n"
              f"        print(httpx.post(\"http://127.0.0.1:{port}/v1/videos\", json={{\"prompt\": \"a boat\"}}).status_code); break\n"
              "    except httpx.TransportError: time.sleep(0.1)'")
    script = f"{start.replace(DOCUMENTED_URL, server).replace('8080', port)}\n{client}\n{stop}\nwait"
    done = installed.shell(script)
    assert done.returncode == 0 and done.stdout.startswith("videos-contract proxy listening on"), done.stdout + done.stderr
    assert "200" in done.stdout.splitlines() and "Videos API conformance" in done.stdout, done.stdout
    assert report(installed)["requests_sent"] == 1
