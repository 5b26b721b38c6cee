"""The journal: what clients sent to the API, for a test to assert on (``GET /_mock/requests``).

Each API request (never a control route's) is kept as one entry: its method, path, query, the
status it was answered, when, its namespace, the faults it asked for, and its body as far as the
server read it: the fields of a JSON object (the whole object when its body is at most
``JSON_KEPT_BYTES``), the names of a multipart body's fields and what each uploaded file was. Never
a header: the API key stays out. The journal keeps the last ``size`` entries (``--journal-size``),
the oldest dropped first; ``--no-journal`` turns it off.

Recording is cheap on purpose (a tuple per request; entries are rendered when asked for):
``benchmarks/mock_load.py`` measures its cost (docs/performance.md).
"""

from __future__ import annotations

import fnmatch
import time
from collections import deque
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


class Journal:
    def __init__(self, size: int):
        self.size = size
        self._entries: deque[tuple] = deque(maxlen=size)
        self._seq = 0
        self.dropped = 0  # entries pushed out since the last clear

    def record(self, scope: dict, status: int | None, namespace: str | None, faults: tuple[str, ...]) -> None:
        """One request answered ``status``; its body as parse_body left it in ``scope[BODY_KEY]``.
        Called on the event loop only (as every handler runs), so without a lock: it costs little."""
        slot = scope.get(BODY_KEY)
        self._seq += 1
        if len(self._entries) == self.size:
            self.dropped += 1
        self._entries.append((self._seq, time.time(), scope["method"], scope["path"], scope["query_string"],
                              status, namespace, faults, slot[0] if slot else None))  # an Entry, made when asked for

    def entries(self, *, namespace: str | None = None, every_namespace: bool = True, method: str | None = None,
                path: str | None = None) -> list[dict[str, Any]]:
        """The entries, oldest first, of one namespace (or all), with this method and path (a path
        with ``*`` is a pattern: ``/v1/videos/*``)."""
        kept = [Entry(*entry) for entry in self._entries]
        method = method.upper() if method else None
        pattern = path is not None and "*" in path
        return [entry.render() for entry in kept
                if (every_namespace or entry.namespace == namespace)
                and (method is None or entry.method == method)
                and (path is None or (fnmatch.fnmatchcase(entry.path, path) if pattern else entry.path == path))]

    def clear(self, namespace: str | None = None, every_namespace: bool = True) -> None:
        if every_namespace:
            self._entries.clear()
            self.dropped = 0
        else:
            self._entries = deque((e for e in self._entries if Entry(*e).namespace != namespace), maxlen=self.size)
