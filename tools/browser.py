"""Headless Chromium, to look at conformance.html as a person would (tests, README screenshot).

The browser runs with no network access of its own (no first-run, sync, component updates or
background networking), a throwaway profile, and a hard timeout: on expiry the whole process
group is killed, so a wedged browser can never hang a test run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_ENV = "VIDEOS_CONTRACT_CHROMIUM"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_HINT = (
    "Headless Chromium is needed to test the HTML report: install it with "
    "`apt-get update && apt-get install -y chromium` (Debian/Ubuntu), or point "
    f"{CHROMIUM_ENV} at a Chromium/Chrome binary"
)
DEFAULT_TIMEOUT = 60.0


class BrowserError(Exception):
    """Chromium is missing, failed, or timed out."""


def find_chromium() -> str | None:
    """The path of a Chromium binary (``$VIDEOS_CONTRACT_CHROMIUM`` first), or None."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _flags(profile_dir: str) -> list[str]:
    flags = [
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--mute-audio",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile_dir}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return flags


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(pid, signal.SIGKILL)


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    binary = find_chromium()
    if binary is None:
        raise BrowserError(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="vc-chromium-") as profile:
        cmd = [binary, *_flags(profile), *args]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed as a whole on timeout
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.communicate()
            raise BrowserError(f"Chromium did not finish within {timeout:.0f}s: {' '.join(cmd)}") from None
        finally:
            # Helpers (zygote, GPU) may outlive the browser process: clean the group up.
            _kill_group(proc.pid)
            if proc.poll() is None:  # pragma: no cover - belt and braces
                proc.wait()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _url(html_path: Path, fragment: str | None) -> str:
    url = Path(html_path).resolve().as_uri()
    if fragment:
        url += "#" + fragment.lstrip("#")
    return url


def dump_dom(
    html_path: Path | str, *, fragment: str | None = None, width: int | None = None, timeout: float = DEFAULT_TIMEOUT
) -> str:
    """The DOM of the page after its scripts ran, serialised as HTML (laid out in a window ``width``
    pixels wide when given: what the page's scripts measure)."""
    size = [f"--window-size={width},900"] if width else []
    proc = _run([*size, "--virtual-time-budget=2000", "--dump-dom", _url(Path(html_path), fragment)], timeout)
    dom = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 or "<html" not in dom:
        tail = proc.stderr.decode("utf-8", "replace")[-2000:]
        raise BrowserError(f"Chromium --dump-dom failed (exit {proc.returncode}):\n{tail}")
    return dom


def screenshot(
    html_path: Path | str,
    png_path: Path | str,
    *,
    width: int = 1280,
    height: int = 1600,
    fragment: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """A PNG of the page as a ``width`` x ``height`` window shows it."""
    png_path = Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    if png_path.exists():
        png_path.unlink()
    proc = _run(
        [
            f"--window-size={width},{height}",
            "--virtual-time-budget=2000",
            f"--screenshot={png_path}",
            _url(Path(html_path), fragment),
        ],
        timeout,
    )
    if proc.returncode != 0 or not png_path.exists() or png_path.stat().st_size == 0:
        tail = proc.stderr.decode("utf-8", "replace")[-2000:]
        raise BrowserError(f"Chromium --screenshot failed (exit {proc.returncode}):\n{tail}")
    return png_path
