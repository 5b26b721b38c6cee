"""Request bodies written beside the report, so that evidence reproduces with plain curl.

A multipart, binary or long request body does not fit a shell argument; its curl command reads it
from a file (``--data-binary @reports/requests/001.bin``) with the request's own Content-Type
(the multipart boundary included). The client leaves ``types.BODY_FILE`` in the command; this
writes each such body of the evidence as ``requests/NNN.bin`` and names the file in its place.
"""

from __future__ import annotations

from pathlib import Path

from contracts.report.io import atomic_write_bytes
from contracts.types import BODY_FILE, RunResult

REQUESTS_DIR = "requests"


def write_request_bodies(result: RunResult, report_dir: Path) -> list[Path]:
    """Write the body of every evidence exchange whose curl reads a file; name it in the curl."""
    written: list[Path] = []
    seen: set[int] = set()
    for clause in result.results:
        for evidence in clause.evidence:
            exchange = evidence.exchange
            if exchange is None or exchange.body is None or id(exchange) in seen or BODY_FILE not in exchange.curl:
                continue
            seen.add(id(exchange))
            path = atomic_write_bytes(report_dir / REQUESTS_DIR / f"{len(written) + 1:03d}.bin", exchange.body)
            exchange.curl = exchange.curl.replace(f"@{BODY_FILE}", f"@{path}")
            written.append(path)
    return written
