"""What the commands write to stdout: a reader that left early (``videos-contract clauses | head``) is
not an error."""

from __future__ import annotations

import os
import sys


def emit(text: str) -> None:
    """Write ``text`` to stdout. A reader that left early is not an error: the rest of the text is
    dropped, and the command still ends with its own exit code."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        drop_stdout()


def drop_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
