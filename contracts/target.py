"""From the option values to what a run needs, the same for the CLI and the pytest plugin: the
profile, the profiled spec and rules, the ``RunOptions``, and, without a base URL, the embedded
reference server serving the same profile (so that a profiled run checks a match).

    target = Target(values).launch()   # values by option dest (contracts.options.OPTIONS)
    spec, rules = target.contract()
    result = run(target.options(), spec=spec, rules=rules)
    target.stop()

Every problem is a ``SetupError`` with one line (exit code 2).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from contracts import headers as request_headers
from contracts import selection
from contracts.embedded import EmbeddedServer, EmbeddedServerError
from contracts.failures import SetupError
from contracts.options import API_KEY_ENV, RunOptions, default
from contracts.profile import Profile, ProfileError, load_profile
from contracts.rules import Rules
from contracts.spec import Spec, SpecError, load_spec

RUN_FIELDS = ("examples", "seed", "job_timeout", "request_timeout", "budget_seconds")


def check_base_url(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SetupError(f"--base-url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {url!r}")
    return url.rstrip("/")


class Target:
    def __init__(self, values: Mapping[str, Any]):
        self.values = dict(values)
        self.base_url = check_base_url(self.values.get("base_url"))
        try:
            self.profile: Profile = load_profile(self.values.get("profile") or default("profile"))
        except ProfileError as exc:
            raise SetupError(str(exc)) from None
        self.api_key_header: str | None = self.values.get("api_key_header") or self.profile.api_key_header
        # the profile's headers, then the command line's (a header given twice: the command line's value)
        self.headers = request_headers.merge(self.profile.headers, self.values.get("headers"))
        # the command line's selection replaces the profile's (as --operations does)
        self.include = tuple(self.values.get("include") or self.profile.include)
        self.exclude = tuple(self.values.get("exclude") or self.profile.exclude)
        try:
            request_headers.check_headers(self.headers, self.api_key_header)
            selection.skips(self.include, self.exclude)
        except ValueError as exc:
            raise SetupError(str(exc)) from None
        self.server: EmbeddedServer | None = None

    @property
    def embedded(self) -> bool:
        return self.base_url is None

    def launch(self) -> Target:
        """Start the embedded server when there is no base URL, without waiting for it: it starts
        up while the caller imports and loads the spec."""
        if self.embedded and self.server is None:
            # The embedded server always gets a key, so that the auth clauses are checked too.
            # The child runs in the package's folder: a profile path relative to the user's is made absolute.
            extra = [] if self.profile.is_default else ["--profile", str(self.profile.source.resolve())]
            if self.api_key_header:  # it takes the key where the run sends it
                extra += ["--api-key-header", self.api_key_header]
            job_seconds = self.values.get("job_seconds", default("job_seconds"))
            self.server = EmbeddedServer(api_key="sk-embedded-" + secrets.token_hex(8), job_seconds=job_seconds,
                                         extra_args=extra).launch()
        return self

    def contract(self) -> tuple[Spec, Rules]:
        """The spec as the profile rewrites it, and the rules read from it."""
        try:
            spec = self.profile.apply(load_spec())
            return spec, self.profile.rules(spec)
        except SpecError as exc:
            raise SetupError(str(exc)) from None

    def options(self) -> RunOptions:
        """The run's options; waits until the embedded server listens."""
        run = {name: self.values[name] for name in RUN_FIELDS if self.values.get(name) is not None}
        run["operations"] = self.values.get("operations") or self.profile.operations
        run["strict"] = bool(self.values.get("strict") or self.profile.strict)
        run.update(headers=dict(self.headers), api_key_header=self.api_key_header, include=self.include,
                   exclude=self.exclude, target_name=self.values.get("target_name") or None,
                   target_version=self.values.get("target_version") or None)
        cap = self.values.get("max_creates")
        if not self.embedded:
            api_key = self.values.get("api_key") or os.environ.get(API_KEY_ENV) or None
            return RunOptions(base_url=self.base_url, api_key=api_key, max_creates=cap, **run)
        self.launch()
        try:
            self.server.wait_ready()
        except EmbeddedServerError as exc:
            raise SetupError(str(exc)) from None
        # No cap on the embedded server unless one is asked for: its videos are thrown away with it.
        return RunOptions(base_url=self.server.base_url, api_key=self.server.api_key, max_creates=cap, embedded=True,
                          **run)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
