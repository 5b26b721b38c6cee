"""Clause selection: ``--include`` and ``--exclude`` with clause-id globs (``fnmatch``: ``*``, ``?``,
``[...]``), repeatable, also a profile's ``include`` / ``exclude`` and the pytest plugin's
``--contract-include`` / ``--contract-exclude``.

With includes, only the clauses they match are judged, and those they need (``clauses.requires``,
through their prerequisites: a list clause cannot be judged without an accepted create); excludes
then take clauses away. A clause left out is reported *skipped: excluded*; a clause that needs one
cannot be judged without it and is skipped as a clause of an operation not offered is, saying
which excluded clause it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from contracts.clauses import CLAUSES, not_offered, not_offered_note, requires

EXCLUDED = "excluded"  # how a skipped clause's note starts when it was left out
SELECTED_BY = "--include/--exclude or the profile's include/exclude"  # where a user selects clauses


def check_glob(text: str, flag: str = "--include") -> str:
    """A glob that matches at least one clause id, or ValueError with one line."""
    glob = text.strip()
    if not glob:
        raise ValueError(f"{flag} takes a clause-id glob such as 'auth.*', got an empty one")
    if not any(fnmatchcase(cid, glob) for cid in CLAUSES):
        raise ValueError(f"{flag} {glob!r} matches no clause (videos-contract clauses lists them)")
    return glob


def excluded(include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
    """The clause ids left out, in catalogue order: with includes, those neither matched nor needed
    by a matched one; and those an exclude matches."""
    def matches(cid: str, globs: Iterable[str]) -> bool:
        return any(fnmatchcase(cid, glob) for glob in globs)

    kept = set(CLAUSES)
    if include:
        chosen = [cid for cid in CLAUSES if matches(cid, include)]
        kept = {*chosen, *(need for cid in chosen for need in requires(cid))}
    return [cid for cid in CLAUSES if cid not in kept or matches(cid, exclude)]


def skips(include: Sequence[str] = (), exclude: Sequence[str] = ()) -> dict[str, str]:
    """Clause id -> the note of its skip: each excluded clause, then each clause that needs one.
    ValueError (one line) when nothing is left to judge."""
    left_out = excluded(include, exclude)
    if len(left_out) == len(CLAUSES):
        raise ValueError(f"{SELECTED_BY} leave no clause to judge")
    out = {cid: excluded_note() for cid in left_out}
    for cid in CLAUSES:
        if cid not in out:
            need = next((req for req in requires(cid) if req in out and out[req] == excluded_note()), None)
            if need is not None:
                out[cid] = needs_excluded_note(need)
    return out


def not_judged(include: Sequence[str], exclude: Sequence[str], operations: frozenset[str] | None) -> dict[str, str]:
    """Clause id -> why it is never judged (skipped): left out by --include/--exclude, or of an operation
    not offered (``--operations``; that note wins for a clause that is both). A run's and a proxy's."""
    skipped = skips(include, exclude)
    skipped.update({cid: not_offered_note(ops) for cid, ops in not_offered(operations).items()})
    return skipped


def excluded_note() -> str:
    return f"{EXCLUDED} ({SELECTED_BY})"


def needs_excluded_note(clause_id: str) -> str:
    """The note of a clause not judged because it needs ``clause_id``, which is excluded."""
    return f"not judged: it needs {clause_id}, which is {EXCLUDED} ({SELECTED_BY})"
