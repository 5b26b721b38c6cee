"""The journal: what clients sent to the API, for a test to assert on (``GET /_mock/requests``).

Each API request (never a control route's) is kept as one entry: its method, path, query, the
status it was answered, when, its namespace, the faults it asked for, and its body as far as the
server read it: the fields of a JSON object (the whole object when its body is at most
``JSON_KEPT_BYTES``), the names of a multipart body's fields and what each uploaded file was. Never
a header: the API key stays out. The journal keeps the last ``size`` entries of each namespace
(``--journal-size``), the oldest dropped first; ``--no-journal`` turns it off.

Recording is cheap on purpose (a tuple per request; entries are rendered when asked for). What
costs is keeping them: the more entries kept, the more memory a request touches (1,000 entries cost
about half as much as 10,000): ``benchmarks/mock_load.py`` measures it (docs/performance.md).
"""

from __future__ import annotations

import fnmatch
import heapq
import time
from array import array
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from contracts.mock.bodies import BODY_KEY, UploadedFile

JSON_KEPT_BYTES = 64 * 1024  # a larger JSON body is kept as its field names


class Entry(NamedTuple):
    seq: int
    time: float
    method: str
    path: str
    query: bytes
    status: int
    namespace: str | None
    faults: tuple[str, ...]
    body: tuple[str, dict[str, Any], int] | None

    def render(self) -> dict[str, Any]:
        media_type, fields, size = self.body if self.body is not None else (None, {}, 0)
        rendered: dict[str, Any] = {
            "seq": self.seq,
            "time": round(self.time, 6),
            "method": self.method,
            "path": self.path,
            "query": dict(parse_qsl(self.query.decode("latin-1"), keep_blank_values=True)),
            "status": self.status,
            "namespace": self.namespace,
            "faults": list(self.faults),
            "media_type": media_type,
            "fields": list(fields),
            "json": None,
            "files": {},
        }
        if media_type == "application/json" and size <= JSON_KEPT_BYTES:
            rendered["json"] = fields
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, UploadedFile):
                    rendered["files"][name] = {"filename": item.filename, "content_type": item.content_type,
                                               "bytes": len(item.data)}
        return rendered


class _Ring:
    """A namespace's last ``size`` entries, field by field: numbers in arrays (no object per entry
    to allocate now and free, cold, ``size`` requests later), the rest in lists of references to
    what the request had anyway."""

    __slots__ = ("size", "next", "seqs", "times", "statuses", "methods", "paths", "queries", "faults", "bodies")

    def __init__(self, size: int):
        self.size, self.next = size, 0
        self.seqs, self.times, self.statuses = array("q"), array("d"), array("i")
        self.methods: list[str] = []
        self.paths: list[str] = []
        self.queries: list[bytes] = []
        self.faults: list[tuple[str, ...]] = []
        self.bodies: list[Any] = []

    def add(self, seq: int, when: float, method: str, path: str, query: bytes, status: int, faults: tuple[str, ...],
            body: Any) -> bool:
        """Keep an entry; True when it pushed out the oldest."""
        if len(self.seqs) < self.size:
            self.seqs.append(seq)
            self.times.append(when)
            self.statuses.append(status)
            self.methods.append(method)
            self.paths.append(path)
            self.queries.append(query)
            self.faults.append(faults)
            self.bodies.append(body)
            return False
        at = self.next
        self.next = (at + 1) % self.size
        self.seqs[at], self.times[at], self.statuses[at] = seq, when, status
        self.methods[at], self.paths[at], self.queries[at], self.faults[at], self.bodies[at] = (
            method, path, query, faults, body)
        return True

    def entries(self, namespace: str | None) -> list[Entry]:
        order = list(range(self.next, len(self.seqs))) + list(range(self.next))
        return [Entry(self.seqs[i], self.times[i], self.methods[i], self.paths[i], self.queries[i],
                      self.statuses[i] if self.statuses[i] >= 0 else None, namespace, self.faults[i], self.bodies[i])
                for i in order]


class Journal:
    """The last ``size`` entries of each namespace (a busy neighbour never pushes out another's)."""

    def __init__(self, size: int):
        self.size = size
        self._spaces: dict[str | None, _Ring] = {}
        self._dropped: dict[str | None, int] = {}
        self._seq = 0

    def record(self, scope: dict, status: int | None, namespace: str | None, faults: tuple[str, ...]) -> None:
        """One request answered ``status``; its body as parse_body left it in ``scope[BODY_KEY]``.
        Called on the event loop only (as every handler runs), so without a lock: it costs little."""
        ring = self._spaces.get(namespace)
        if ring is None:
            ring = self._spaces[namespace] = _Ring(self.size)
        slot = scope.get(BODY_KEY)
        self._seq += 1
        if ring.add(self._seq, time.time(), scope["method"], scope["path"], scope["query_string"],
                    -1 if status is None else status, faults, slot[0] if slot else None):
            self._dropped[namespace] = self._dropped.get(namespace, 0) + 1

    def entries(self, *, namespace: str | None = None, every_namespace: bool = True, method: str | None = None,
                path: str | None = None) -> list[dict[str, Any]]:
        """The entries, oldest first, of one namespace (or all), with this method and path (a path
        with ``*`` is a pattern: ``/v1/videos/*``)."""
        names = list(self._spaces) if every_namespace else [namespace] if namespace in self._spaces else []
        kept = list(heapq.merge(*(self._spaces[name].entries(name) for name in names)))  # each in order: seq first
        method = method.upper() if method else None
        pattern = path is not None and "*" in path
        return [entry.render() for entry in kept
                if (method is None or entry.method == method)
                and (path is None or (fnmatch.fnmatchcase(entry.path, path) if pattern else entry.path == path))]

    def dropped(self, namespace: str | None = None, every_namespace: bool = True) -> int:
        """Entries pushed out (the oldest) since the journal, or the namespace's, was last emptied."""
        return sum(self._dropped.values()) if every_namespace else self._dropped.get(namespace, 0)

    def clear(self, namespace: str | None = None, every_namespace: bool = True) -> None:
        if every_namespace:
            self._spaces.clear()
            self._dropped.clear()
        else:
            self._spaces.pop(namespace, None)
            self._dropped.pop(namespace, None)
