"""How one reference server instance behaves: key, job duration, limits, profile and faults."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from contracts.rules import Rules

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024  # 32 MiB: room for a 1792x1024 reference image
DEFAULT_JOB_SECONDS = 1.0


@dataclass(frozen=True)
class MockConfig:
    """Settings of one server. ``rules=None`` means: the spec's own enums and defaults."""

    api_key: str | None = None  # when set, every request needs ``Authorization: Bearer <key>``
    api_key_header: str | None = None  # with api_key: the key is sent as ``<this header>: <key>`` instead
    require_headers: tuple[str, ...] = ()  # every request needs these headers (a gateway routing by them)
    job_seconds: float = DEFAULT_JOB_SECONDS  # queued -> in_progress -> completed over this long
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES  # larger request bodies are answered 413
    # named misbehaviours and clean variants (contracts.mock.faults.CATALOGUE; --list-faults)
    faults: frozenset[str] = field(default_factory=frozenset)
    rules: Rules | None = None  # explicit rules; None = built from the spec (and the profile)
    spec_path: str | None = None  # which spec to load when rules is None (None = the default)
    # a target profile (TOML path, or "openai" for the documented contract) when rules is None
    profile: str | None = None
    # A GPU server: at most this many jobs run at a time, the others wait queued (None: all at once)
    gpu_workers: int | None = None
    # with gpu_workers: does a delete take a queued job off the queue? (a started job always runs on)
    delete_cancels: bool = False
    # an SQLite file that keeps the jobs across restarts and worker processes (None = in memory)
    store: str | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.job_seconds, (int, float)) and math.isfinite(self.job_seconds)) or self.job_seconds < 0:
            raise ValueError(f"job_seconds must be a finite number >= 0, got {self.job_seconds!r}")
        if not isinstance(self.max_body_bytes, int) or self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be a positive integer, got {self.max_body_bytes!r}")
        if self.gpu_workers is not None and (
            isinstance(self.gpu_workers, bool) or not isinstance(self.gpu_workers, int) or self.gpu_workers < 1
        ):
            raise ValueError(f"gpu_workers must be a whole number >= 1 or None, got {self.gpu_workers!r}")
        if self.delete_cancels and self.gpu_workers is None:
            raise ValueError("delete_cancels needs gpu_workers: without GPU workers no job waits in a queue")
        if self.api_key is not None and not self.api_key:
            raise ValueError("api_key must be a non-empty string or None")
        if self.api_key_header is not None and self.api_key is None:
            raise ValueError("api_key_header needs api_key: without a key no header carries one")
        object.__setattr__(self, "require_headers", tuple(self.require_headers))
        if isinstance(self.faults, str):
            raise TypeError("faults must be a collection of fault names, not one string")
        object.__setattr__(self, "faults", frozenset(self.faults))
        from contracts.mock.faults import check_names

        check_names(self.faults)  # ValueError naming the unknown fault
        if self.profile is not None:
            object.__setattr__(self, "profile", str(self.profile))
        if self.store is not None:
            object.__setattr__(self, "store", str(self.store))
