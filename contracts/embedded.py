"""Run the reference server in a child process, for tests and for ``--embedded`` runs.

    with EmbeddedServer(api_key="sk-test", job_seconds=0.3) as server:
        client = OpenAI(base_url=server.base_url, api_key="sk-test")

The child is ``python -m contracts.mock --port 0 ...``; the base URL comes from its ready line.
Starting never hangs (a timeout, or the child's death, raises EmbeddedServerError with the tail
of its stderr) and stopping never hangs (terminate, then kill).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

READY_LINE = re.compile(r"listening on (http://\S+)\s*$")
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the folder that holds `contracts/`


class EmbeddedServerError(RuntimeError):
    """The reference server did not start (or is not running)."""


@dataclass(kw_only=True, eq=False)
class EmbeddedServer:
    api_key: str | None = None
    job_seconds: float | None = None
    extra_args: Sequence[str] = ()
    host: str = "127.0.0.1"
    startup_timeout: float = 15.0
    stop_timeout: float = 5.0
    env: dict[str, str] | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _stderr: IO[bytes] | None = field(default=None, init=False, repr=False)
    _lines: queue.Queue[str | None] = field(default_factory=queue.Queue, init=False, repr=False)
    _reader: threading.Thread | None = field(default=None, init=False, repr=False)
    _base_url: str | None = field(default=None, init=False, repr=False)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self.extra_args = list(self.extra_args)

    # ---- public ------------------------------------------------------------------------------
    @property
    def command(self) -> list[str]:
        command = [sys.executable, "-m", "contracts.mock", "--host", self.host, "--port", "0"]
        if self.api_key is not None:
            command += ["--api-key", self.api_key]
        if self.job_seconds is not None:
            command += ["--job-seconds", repr(float(self.job_seconds))]
        return command + self.extra_args

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise EmbeddedServerError("the embedded server is not running")
        return self._base_url

    @property
    def pid(self) -> int:
        if self._process is None:
            raise EmbeddedServerError("the embedded server is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedServer:
        """Start the child and wait for its ready line."""
        return self.launch().wait_ready()

    def launch(self) -> EmbeddedServer:
        """Start the child without waiting (overlap its start-up with other work; then wait_ready)."""
        if self._process is not None:
            raise EmbeddedServerError("the embedded server is already started")
        env = dict(os.environ if self.env is None else self.env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._stderr = tempfile.TemporaryFile()  # a file, not a pipe: the child can never block on it
        try:
            self._process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                cwd=str(_PACKAGE_ROOT),
            )
        except OSError as exc:
            self._close_stderr()
            raise EmbeddedServerError(f"cannot start the embedded server: {exc}") from None
        self._reader = threading.Thread(target=self._read_stdout, name="embedded-server-stdout", daemon=True)
        self._reader.start()
        return self

    def wait_ready(self) -> EmbeddedServer:
        """Wait for the child's ready line (EmbeddedServerError if it dies or times out)."""
        if self._base_url is not None:
            return self
        if self._process is None:
            raise EmbeddedServerError("the embedded server is not started")
        try:
            self._base_url = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int | None:
        """Terminate the child (kill it if it lingers); its exit code, or None if never started.
        Safe from several threads: a second caller waits until the child is gone."""
        with self._stop_lock:
            return self._stop()

    def _stop(self) -> int | None:
        process, self._process, self._base_url = self._process, None, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=self.stop_timeout)
        if self._reader is not None:
            self._reader.join(timeout=1.0)  # the child is gone, so its stdout is at EOF
        if process.stdout is not None:
            process.stdout.close()
        self._close_stderr()
        return process.returncode

    def stderr_tail(self, lines: int = 20) -> str:
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read()[-16384:].decode("utf-8", "replace")
        return "\n".join(text.strip().splitlines()[-lines:])

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedServer(base_url={self._base_url!r}, running={self.running})"

    # ---- internals ---------------------------------------------------------------------------
    def _read_stdout(self) -> None:
        """Hand lines to the waiting thread, then keep draining so the child never blocks."""
        process = self._process
        assert process is not None and process.stdout is not None
        try:
            for raw in process.stdout:
                self._lines.put(raw.decode("utf-8", "replace"))
        except (OSError, ValueError):
            pass
        self._lines.put(None)  # end of output: the child exited or closed stdout

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EmbeddedServerError(self._failure(f"did not report ready within {self.startup_timeout:g} s"))
            try:
                line = self._lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                assert self._process is not None
                try:
                    code = self._process.wait(timeout=2.0)
                except subprocess.TimeoutExpired:
                    code = None
                raise EmbeddedServerError(self._failure(f"exited (code {code}) before it was ready"))
            found = READY_LINE.search(line)
            if found:
                return found.group(1)

    def _failure(self, what: str) -> str:
        tail = self.stderr_tail()
        return f"the embedded reference server {what}" + (f"; its stderr ends with:\n{tail}" if tail else " (no stderr)")

    def _close_stderr(self) -> None:
        if self._stderr is not None and not self._stderr.closed:
            self._stderr.close()
