"""``videos-contract proxy --target URL``: serve the proxy until Ctrl-C or SIGTERM, then write the reports.

It binds its socket itself (``--port 0`` picks a free port) and prints one line once it listens,
with the URL clients use (the target's path on the proxy's address); it serves with uvicorn, as
the reference server is served (the one-write protocol: contracts/mock/protocol.py), with no
``Date`` or ``Server`` header of its own. A signal stops it gracefully: requests in flight are
finished (for a few seconds), the exchanges queued are graded, the reports written, the summary
printed. Exit codes: 0, or 1 with ``--fail-on-violation`` when a clause failed; 2 for a bad option
or reports that cannot be written, with one line.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import uvicorn

from contracts.listen import CannotListen, bind, http_protocol, url_host
from contracts.stdout import emit

READY = "videos-contract proxy listening on {url} -> {target}"
GRACEFUL_SECONDS = 3  # requests still in flight when the proxy is told to stop get this long


class ProxyUsageError(Exception):
    """A bad option or setup: one line, exit code 2."""


def check_target(url: str | None) -> str:
    if not url:
        raise ProxyUsageError("--target URL is required: the API root of the server the traffic goes to, "
                              "e.g. --target http://127.0.0.1:8000/v1")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise ProxyUsageError(f"--target must be an http(s) URL such as http://127.0.0.1:8000/v1, got {url!r}")
    return url.rstrip("/")


class Proxy:
    """The proxy assembled: a grader, a forwarder, a uvicorn server on a bound socket. ``serve()`` runs it
    in the calling thread until a signal (the command); ``start()`` in a thread of its own, until
    ``stop()`` (tests, benchmarks). Either way ``stop()``/``finish()`` grade what is queued and give
    the result."""

    def __init__(self, target: str, spec: Any, rules: Any, grading: Any, *, host: str = "127.0.0.1",
                 port: int = 0, apart: dict[str, Any] | None = None) -> None:
        """``apart``: grade in a process of its own, which rebuilds the contract from these option values
        (the command does: the forwarding loop then shares no interpreter lock with the judging); else in
        a thread of this process (tests read its record)."""
        from contracts.proxy.forward import Forwarder, split_target
        from contracts.proxy.grader import Grader, GraderProcess

        try:
            self.sock = bind(host, port)
        except CannotListen as exc:
            raise ProxyUsageError(str(exc)) from None
        self.target = target
        self.grader = GraderProcess(apart, grading) if apart is not None else Grader(spec, rules, grading)
        self.forwarder = Forwarder(target, self.grader.hand)
        # proxy_headers off: X-Forwarded-* are passed on to the target, not believed by the proxy
        config = uvicorn.Config(self.forwarder, log_level="warning", access_log=False, lifespan="on", ws="none",
                                proxy_headers=False,
                                http=http_protocol(), server_header=False, date_header=False,
                                timeout_graceful_shutdown=GRACEFUL_SECONDS)
        self.server = ProxyServer(config)
        self.url = f"http://{url_host(host)}:{self.sock.getsockname()[1]}{split_target(target)[1]}"
        self._thread: threading.Thread | None = None

    def serve(self) -> None:
        """Serve until SIGINT or SIGTERM (the main thread's)."""
        self.grader.start()
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def start(self) -> "Proxy":
        """Serve in a thread of its own; returns once it listens."""
        import time

        self.grader.start()
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                        name="videos-contract-proxy", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def stop(self) -> Any:
        """Stop serving (a thread started by ``start``), grade what is queued; the final result."""
        if self._thread is not None:
            self.server.should_exit = True
            self._thread.join()
            self.sock.close()
        return self.grader.stop()

    def __enter__(self) -> "Proxy":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        if self._thread is not None and self._thread.is_alive():
            self.stop()


def assemble(values: dict[str, Any]) -> Proxy:
    """The proxy the options (``contracts.options.PROXY_OPTIONS``, by dest) describe; ProxyUsageError: one line."""
    from contracts import report
    from contracts.failures import SetupError
    from contracts.options import PROXY_OPTIONS
    from contracts.proxy.grader import Grading
    from contracts.target import Target

    default = {option.dest: option.default for option in PROXY_OPTIONS}  # the one statement of each default
    target_url = check_target(values.get("target"))
    port = values.get("port", default["port"])
    if not 0 <= port <= 65535:
        raise ProxyUsageError(f"--port must be between 0 and 65535, got {port}")
    try:
        target = Target({**values, "base_url": target_url})
        spec, rules = target.contract()
        options = target.options()
    except SetupError as exc:
        raise ProxyUsageError(str(exc)) from None
    report_dir = Path(values.get("report_dir") or default["report_dir"])
    try:
        report.check_report_dir(report_dir)
    except OSError as exc:
        raise ProxyUsageError(f"cannot write reports to {report_dir}: {exc.strerror or exc}") from None
    grading = Grading(options=options, report_dir=report_dir,
                      report_every=values.get("report_every", default["report_every"]) or 0,
                      requires_key=bool(values.get("requires_key")))
    return Proxy(target_url, spec, rules, grading, host=str(values.get("host") or default["host"]), port=port,
                 apart=values)


def run(args: Any) -> int:
    """The command: ``args`` holds the values of ``contracts.options.PROXY_OPTIONS`` by dest."""
    from contracts import report
    from contracts.proxy.grader import exit_code

    values = dict(vars(args))
    proxy = assemble(values)
    print(READY.format(url=proxy.url, target=proxy.target), flush=True)
    live = _live(proxy.url, proxy.grader) if sys.stdout.isatty() else None
    try:
        proxy.serve()
    finally:
        if live is not None:
            live.close()
    try:
        result = proxy.stop()
    except RuntimeError as exc:
        raise ProxyUsageError(str(exc)) from None
    paths = proxy.grader.write(result)
    if paths is None:
        raise ProxyUsageError(proxy.grader.last_error or "cannot write the reports")
    emit(report.render_summary(result, paths=paths, color=sys.stdout.isatty()))
    ungraded = proxy.grader.note()
    if ungraded:
        print(f"videos-contract proxy: {ungraded}", file=sys.stderr)
    return exit_code(result, bool(values.get("fail_on_violation")))


def _live(url: str, grader: Any) -> Any:
    from contracts.report.live import ProxyLive

    return ProxyLive(sys.stdout, url, lambda: grader.stats).start()


class ProxyServer(uvicorn.Server):
    """uvicorn's server, stopping on SIGINT and SIGTERM without re-raising them afterwards (uvicorn
    does, which would end the process before the reports are written)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
