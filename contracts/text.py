"""Text for one line of a report, a message or a table cell: the one shortening helper."""

from __future__ import annotations


def one_line(value: object, limit: int = 160) -> str:
    """``value`` (a string as it is, anything else as its repr) with every run of whitespace, line
    breaks included, made one space, and cut at ``limit`` characters with an ellipsis."""
    if value is None or value == "":
        return ""
    flat = " ".join((value if isinstance(value, str) else repr(value)).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "\u2026"
    return flat
