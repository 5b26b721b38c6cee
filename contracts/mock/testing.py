"""The ``videos_mock`` pytest fixture's parts: one mock for a whole test session, a namespace per test.

    def test_polling(videos_mock):
        client = videos_mock.openai()                  # the openai SDK, on this test's namespace
        video = client.videos.create(prompt="a cat")
        videos_mock.complete(video.id)                 # the job completes now
        assert client.videos.retrieve(video.id).status == "completed"

``SessionMock`` starts the reference server once, on first use, with ``SESSION_ARGS`` (``--namespaces
key --clock manual --advance-per-poll 3``) and the ``videos_mock_args`` ini option after them. Under
pytest-xdist the workers share it: the controller hands each worker a folder (``FOLDER_INPUT``), the
first worker to need the mock starts it there under a lock, the others read its address, and the
controller stops it when the run ends. Each test gets a new API key, which is its namespace: it
sees only its own videos, and its namespace is emptied when it ends. ``VideosMock`` is what a test
holds: the base URL, the key, and the control routes as methods.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from contracts.embedded import READY_LINE, EmbeddedServer, EmbeddedServerError

SESSION_ARGS = ("--namespaces", "key", "--clock", "manual", "--advance-per-poll", "3")
FOLDER_INPUT = "videos_mock_folder"  # the workerinput entry: where the workers share the mock
STATE_FILE = "server.json"
STARTUP_TIMEOUT = 30.0


class VideosMockError(RuntimeError):
    """A control route refused (its error envelope's message), or the mock did not start."""


class VideosMock:
    """One test's namespace on the session's mock."""

    def __init__(self, root_url: str, api_key: str | None = None, *, timeout: float = 10.0):
        self.root_url = root_url.rstrip("/")
        self.base_url = self.root_url + "/v1"  # for OpenAI(base_url=...)
        self.api_key = api_key or f"sk-videos-mock-{uuid.uuid4().hex}"  # the namespace of this test
        # verify=False: the mock speaks plain HTTP on loopback, and loading the CA certificates
        # httpx would load for TLS costs 18 ms per client, per test
        self._control = httpx.Client(base_url=self.root_url + "/_mock", timeout=timeout, verify=False,
                                     headers={"X-Videos-Mock-Namespace": self.api_key})

    def openai(self, **options: Any):
        """The openai SDK's client on this namespace (no retries unless asked: every answer is seen)."""
        import openai

        if "http_client" not in options:
            options["http_client"] = openai.DefaultHttpxClient(verify=False)
        return openai.OpenAI(**{"base_url": self.base_url, "api_key": self.api_key, "max_retries": 0, **options})

    def http(self, **options: Any) -> httpx.Client:
        """A plain httpx client on the API (base URL ``.../v1``), with this namespace's key."""
        return httpx.Client(**{"base_url": self.base_url, "timeout": 10.0, "verify": False,
                               "headers": {"Authorization": f"Bearer {self.api_key}"}, **options})

    # ---- the control routes ------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def reset(self) -> None:
        """This namespace emptied: its videos, characters, faults, clock and journal entries."""
        self._call("POST", "/reset")

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """What this test sent to the API, oldest first (``path`` may hold ``*``)."""
        query = {k: v for k, v in (("method", method), ("path", path)) if v is not None}
        return self._call("GET", "/requests", params=query)["data"]

    def complete(self, video_id: str) -> dict[str, Any]:
        return self._call("POST", f"/videos/{video_id}/complete")

    def fail(self, video_id: str, code: str | None = None, message: str | None = None) -> dict[str, Any]:
        body = {k: v for k, v in (("code", code), ("message", message)) if v is not None}
        return self._call("POST", f"/videos/{video_id}/fail", json=body)

    def progress(self, video_id: str, value: int) -> dict[str, Any]:
        return self._call("POST", f"/videos/{video_id}/progress", json={"progress": value})

    def advance(self, seconds: float) -> dict[str, Any]:
        """This namespace's clock moved forward (its jobs move as if the time had passed)."""
        return self._call("POST", "/clock/advance", json={"seconds": seconds})

    def set_faults(self, *faults: str, persona: str | None = None) -> dict[str, Any]:
        """This namespace's requests served with these faults (``--list-faults``) from now on."""
        return self._call("PUT", "/faults", json={"faults": list(faults), "persona": persona})

    def close(self) -> None:
        self._control.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._control.request(method, path, **kwargs)
        if response.status_code != 200:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise VideosMockError(f"{method} /_mock{path}: {response.status_code} {message}")
        return response.json()


class SessionMock:
    """The session's mock: started on first use; shared by the workers of one xdist run."""

    def __init__(self, args: list[str], folder: Path | None = None):
        self.args = [*SESSION_ARGS, *args]
        self.folder = folder  # None: this process is the whole session
        self._server: EmbeddedServer | None = None
        self._root: str | None = None

    def root_url(self) -> str:
        if self._root is None:
            self._root = self._start() if self.folder is None else self._shared()
        return self._root

    def stop(self) -> None:
        """Stop the mock this process started alone (a shared one is the controller's to stop)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _start(self) -> str:
        self._server = EmbeddedServer(extra_args=self.args, startup_timeout=STARTUP_TIMEOUT)
        try:
            self._server.start()
        except EmbeddedServerError as exc:
            raise VideosMockError(str(exc).splitlines()[0]) from None
        return self._server.base_url.removesuffix("/v1")

    def _shared(self) -> str:
        assert self.folder is not None
        try:
            import fcntl
        except ImportError:  # no file locks (Windows): a mock per worker, isolated all the same
            return self._start()
        state = self.folder / STATE_FILE
        with (self.folder / "lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if state.exists():
                known = json.loads(state.read_text())
                if _alive(known["pid"]):
                    return known["root_url"]  # another worker started it (a mock that died is started again)
            root, pid = start_detached(self.args, self.folder / "server.log")
            state.write_text(json.dumps({"root_url": root, "pid": pid}))
            return root


# Started through a short-lived launcher, so that the mock is nobody's child in the test processes
# (no Popen left running when a worker ends) and the controller can stop it by its pid.
_LAUNCHER = ("import subprocess, sys\n"
             "with open(sys.argv[1], 'wb') as log:\n"
             "    child = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=log, stderr=log,\n"
             "                             start_new_session=True)\n"
             "print(child.pid)\n")


def start_detached(args: list[str], log: Path) -> tuple[str, int]:
    """A mock that outlives the process starting it (its output in ``log``): (root URL, pid)."""
    command = EmbeddedServer(extra_args=args).command
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]),
                                                     os.environ.get("PYTHONPATH", "")) if p)}
    launched = subprocess.run([sys.executable, "-c", _LAUNCHER, str(log), *command], capture_output=True, text=True,
                              env=env, timeout=STARTUP_TIMEOUT, stdin=subprocess.DEVNULL)
    if launched.returncode != 0 or not launched.stdout.strip().isdigit():
        raise VideosMockError(f"cannot start the session's mock: {(launched.stderr or launched.stdout).strip()[-200:]}")
    pid = int(launched.stdout)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = next((m for m in map(READY_LINE.search, text.splitlines()) if m), None)
        if found:
            return found.group(1).removesuffix("/v1"), pid
        if not _alive(pid):
            tail = text.strip().splitlines()[-1:] or ["no output"]
            raise VideosMockError(f"the session's mock exited before it was ready: {tail[0]}")
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    raise VideosMockError(f"the session's mock did not report ready within {STARTUP_TIMEOUT:g} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_shared(folder: Path) -> None:
    """Stop the mock a worker started in ``folder`` (the controller, when the run ends)."""
    state = folder / STATE_FILE
    if not state.exists():
        return
    pid = json.loads(state.read_text())["pid"]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):  # up to 5 s, then kill
            if not _alive(pid):
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
