"""Text for one line of a report, a message or a table cell: the one shortening helper, counts and durations."""

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


def plural(n: int, word: str, plural: str | None = None) -> str:
    """``"1 clause"``, ``"3 clauses"`` (``plural`` when adding an s is wrong)."""
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def duration(seconds: float, *, coarse: bool = False) -> str:
    """``"250 ms"``, ``"4.2 s"``, ``"3 min 07 s"``, ``"2 h 05 min"``; ``coarse``: seconds and minutes only."""
    if seconds < 1 and not coarse:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60 or coarse:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
