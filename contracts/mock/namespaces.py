"""Namespaces: each API key (``--namespaces key``) or each ``X-Videos-Mock-Namespace`` header value
(``--namespaces header``) sees only its own videos and characters.

A namespace is a ``Space``: its own store (jobs, characters, clock offset, GPU queue), its own
faults when ``PUT /_mock/faults`` set some for it, and the built APIs of the fault sets it met.
The default space (name ``""``) is the whole server without namespaces, and the namespace of a
request that names none. Spaces are made on first use and dropped by a reset; a key is never
shown: the journal and the control routes name a key's namespace by a fingerprint.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from contracts.mock.errors import APIError
from contracts.mock.store import VideoStore

NAMESPACE_HEADER = "x-videos-mock-namespace"
MAX_NAMESPACES = 10_000  # a client that makes a new key per request cannot fill the memory
DEFAULT = ""


class Space:
    """One namespace's state."""

    def __init__(self, name: str, label: str | None, store: VideoStore):
        self.name = name
        self.label = label  # how answers name it (None: the default space)
        self.store = store
        self.faults: frozenset[str] | None = None  # set by PUT /_mock/faults (None: the server's)
        self.persona: str | None = None
        self.started: set[str] = set()  # faults whose start-up hooks ran on this store
        self.apis: dict[frozenset[str], Any] = {}  # fault names -> the API that serves them here


def label(mode: str, name: str) -> str | None:
    """How a namespace is named in answers: a header's value as given, a key by its fingerprint."""
    if name == DEFAULT:
        return None
    if mode == "key":
        return "key-sha256:" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return name


def bearer(authorization: str | None) -> str:
    """The key of an ``Authorization: Bearer KEY`` header (the whole value if it has no scheme)."""
    if not authorization:
        return DEFAULT
    scheme, _, key = authorization.strip().partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else authorization.strip()


class Spaces:
    """Every namespace of a server, made on first use."""

    def __init__(self, mode: str, default_store: VideoStore, make_store: Callable[[], VideoStore]):
        self.mode = mode
        self._make_store = make_store
        self._spaces = {DEFAULT: Space(DEFAULT, None, default_store)}
        self._lock = threading.Lock()

    @property
    def default(self) -> Space:
        return self._spaces[DEFAULT]

    def name_of(self, authorization: str | None, header: str | None) -> str:
        """The namespace an API request belongs to."""
        if self.mode == "key":
            return bearer(authorization)
        if self.mode == "header":
            return header or DEFAULT
        return DEFAULT

    def get(self, name: str) -> Space:
        """The namespace ``name``, made if new (400 past ``MAX_NAMESPACES``)."""
        space = self._spaces.get(name)
        if space is not None:
            return space
        with self._lock:
            space = self._spaces.get(name)
            if space is None:
                if len(self._spaces) > MAX_NAMESPACES:
                    raise APIError(400, f"The mock holds {MAX_NAMESPACES} namespaces already: reset some "
                                   "(POST /_mock/reset) before starting others.", code="too_many_namespaces")
                space = self._spaces[name] = Space(name, label(self.mode, name), self._make_store())
        return space

    def find(self, name: str) -> Space | None:
        """The namespace ``name`` if it exists (a control route never makes one)."""
        return self._spaces.get(name)

    def drop(self, name: str) -> None:
        if name != DEFAULT:
            with self._lock:
                self._spaces.pop(name, None)

    def drop_all_but_default(self) -> None:
        with self._lock:
            self._spaces = {DEFAULT: self._spaces[DEFAULT]}

    def __iter__(self) -> Iterator[Space]:
        return iter(list(self._spaces.values()))
