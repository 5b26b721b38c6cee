"""The command line as a user runs it: ``videos-contract ARGS`` in a process of its own (imported by
name: tests/ is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120):
    """``videos-contract ARGS``, without the caller's OPENAI_API_KEY unless ``env`` gives one."""
    full_env = {**{k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}, **(env or {})}
    return subprocess.run([sys.executable, "-m", "contracts.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=full_env)
