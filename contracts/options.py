"""Every run option, declared once: name, type, default, help.

The CLI (``videos-contract run --NAME``) and the pytest plugin (``pytest --contract-NAME``) are both
built from ``OPTIONS``, and ``RunOptions`` takes its defaults from it, so that a default or a help
text cannot differ between the two faces. ``--base-url`` is also accepted by the plugin as it is
(pytest-base-url's option of the same meaning, shared when that plugin is installed).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts import headers as request_headers
from contracts.clauses import OPERATIONS, parse_operations
from contracts.selection import check_glob

API_KEY_ENV = "OPENAI_API_KEY"
PLUGIN_PREFIX = "--contract-"
PLUGIN_DEST = "contract_"


def bounded(kind: type, flag: str, minimum: float = 0) -> Callable[[str], Any]:
    """An argparse type: ``kind`` (int or float), at least ``minimum``; a one-line error otherwise."""

    def parse(text: str):
        try:
            value = kind(text)
            if not math.isfinite(value):  # nan passes every "at least", and a wait of nan seconds never comes
                raise ValueError(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} takes a {'whole ' if kind is int else ''}number, got {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{flag} must be at least {minimum}, got {text!r}")
        return value

    return parse


def parsed(parse: Callable[[str, str], Any], flag: str) -> Callable[[str], Any]:
    """An argparse type from ``parse(text, flag)``; its ValueError becomes the one-line error."""

    def convert(text: str):
        try:
            return parse(text, flag)
        except ValueError as exc:
            # argparse names the option itself ("argument --operations: ..."): not twice
            message = str(exc)
            if message.startswith(flag):
                message = message[len(flag):].lstrip(": ")
            raise argparse.ArgumentTypeError(message) from None

    return convert


class HelpOnDemand(str):
    """A help text whose facts are computed only when help is shown: argparse (pytest's too) formats
    every help text with ``%``, which calls ``make`` here. For a number the engine computes (the plan's
    default job budget), which costs more than building the parser every command does."""

    def __new__(cls, summary: str, make: Callable[[], str]) -> HelpOnDemand:
        text = super().__new__(cls, summary)
        text.make = make
        return text

    def __mod__(self, params: Any) -> str:
        return self.make()


def max_creates_help() -> str:
    """--max-creates' help, with the default the run applies (contracts.plan, its one source)."""
    from contracts import plan
    from contracts.rules import Rules

    return (f"at most N jobs created on an external target (default: what full coverage needs + "
            f"{plan.GENERATED_MARGIN} generated + {plan.DEVIATION_MARGIN} for a deviating target: "
            f"{plan.default_max_creates(Rules.from_spec())} for the documented contract, {plan.DERIVED_JOBS} of them "
            "edits and extensions; the embedded server has no cap)")


@dataclass(frozen=True)
class Option:
    name: str  # the CLI flag without dashes (the plugin's is --contract-NAME)
    dest: str  # the RunOptions field it sets, or the setting it names (profile, report_dir, job_seconds)
    group: str  # where --help lists it
    help: str
    default: Any = None
    kind: type | None = None  # int or float (checked against ``minimum``); None: a string
    minimum: float = 0
    metavar: str | None = None
    parse: Callable[[str, str], Any] | None = None  # reads (text, flag) into its value (ValueError: one line)
    switch: bool = False  # a flag without a value (True when given; None when not, so that a profile may set it)
    repeatable: bool = False  # given several times: a list of the values (None when never given)

    @property
    def flag(self) -> str:
        return "--" + self.name

    @property
    def plugin_flag(self) -> str:
        return PLUGIN_PREFIX + self.name

    def arguments(self, flag: str) -> dict[str, Any]:
        """The keyword arguments of ``add_argument`` (argparse) / ``addoption`` (pytest)."""
        out: dict[str, Any] = {"dest": self.dest, "default": self.default, "help": self.help}
        if self.switch:
            out["action"] = "store_true"
        elif self.kind is not None:
            out["type"] = bounded(self.kind, flag, self.minimum)
        elif self.parse is not None:
            out["type"] = parsed(self.parse, flag)
        if self.metavar:
            out["metavar"] = self.metavar
        if self.repeatable:
            out["action"] = "append"
        return out


EMBEDDED_JOB_SECONDS = 0.3  # the embedded server's jobs: long enough to watch them move

OPTIONS: tuple[Option, ...] = (
    Option("base-url", "base_url", "target", metavar="URL",
           help="the API root of the server to check, e.g. http://127.0.0.1:8000/v1 (requests go to URL/videos); "
                "default: the embedded reference server"),
    Option("api-key", "api_key", "target", metavar="KEY",
           help=f"the target's API key (default: ${API_KEY_ENV}); never written to any output"),
    Option("profile", "profile", "target", default="openai", metavar="openai|FILE.toml",
           help="what the target serves: 'openai' (the documented contract, default) or a profile file naming its "
                "models, sizes, seconds and defaults (see profiles/)"),
    Option("operations", "operations", "target", metavar="LIST", parse=parse_operations,
           help=f"the operations the target offers, comma-separated, from {','.join(OPERATIONS)} (default: all, or "
                "the profile's 'operations'); the clauses of the others are reported skipped, not offered"),
    Option("api-key-header", "api_key_header", "target", metavar="NAME", parse=request_headers.check_name,
           help="send the key as 'NAME: KEY' instead of 'Authorization: Bearer KEY' (Azure OpenAI: api-key); the "
                "auth clauses leave that header out and send a wrong key in it"),
    Option("header", "headers", "target", metavar="'NAME: VALUE'", parse=request_headers.parse_header,
           repeatable=True,
           help="send this header with every request (repeatable; added to the profile's [headers]); values of "
                "headers whose names look secret (key, token, secret, authorization) are redacted like the key"),
    Option("max-creates", "max_creates", "target", kind=int, minimum=1, metavar="N",
           help=HelpOnDemand("at most N jobs created on an external target", lambda: max_creates_help())),
    Option("include", "include", "clauses", metavar="GLOB", parse=check_glob, repeatable=True,
           help="judge only the clauses whose ids match GLOB, e.g. 'list.*', and those they need (repeatable; "
                "default: all, or the profile's 'include')"),
    Option("exclude", "exclude", "clauses", metavar="GLOB", parse=check_glob, repeatable=True,
           help="leave out the clauses whose ids match GLOB, reported skipped: excluded, and those that need them "
                "(repeatable; default: none, or the profile's 'exclude')"),
    Option("budget", "budget_seconds", "limits", default=180.0, kind=float, minimum=1, metavar="SECONDS",
           help="total time budget of the run (default 180)"),
    Option("request-timeout", "request_timeout", "limits", default=15.0, kind=float, minimum=0.1, metavar="SECONDS",
           help="per-request timeout (default 15)"),
    Option("job-timeout", "job_timeout", "limits", default=120.0, kind=float, minimum=0.1, metavar="SECONDS",
           help="how long to follow one job before calling it unfinished (default 120)"),
    Option("examples", "examples", "generation", default=20, kind=int, metavar="N",
           help="generated cases per mode (positive, negative); 0 disables generation (default 20)"),
    Option("seed", "seed", "generation", default=0, kind=int, metavar="SEED", help="generation seed (default 0)"),
    Option("strict", "strict", "reports", switch=True,
           help="a clause not verified fails the run (exit 1), the reasons listed first: for a gate that must know "
                "every clause was checked (a capped --max-creates, jobs that outlast --job-timeout); also "
                "'strict = true' in a profile"),
    Option("report-dir", "report_dir", "reports", default="reports", metavar="DIR",
           help="where reports go (default reports/)"),
    Option("target-name", "target_name", "reports", metavar="NAME",
           help="the name of the implementation graded, recorded in every report (e.g. 'my-video-server')"),
    Option("target-version", "target_version", "reports", metavar="VERSION",
           help="its version, recorded in every report beside the kit's and the spec's"),
    Option("job-seconds", "job_seconds", "embedded server", default=EMBEDDED_JOB_SECONDS, kind=float, metavar="S",
           help=f"job duration of the embedded server (default {EMBEDDED_JOB_SECONDS})"),
)
BY_DEST: Mapping[str, Option] = {option.dest: option for option in OPTIONS}

# ``videos-contract proxy``: its own options, and those of ``run`` it shares (the same Option, so the
# same default and help)
PROXY_OWN: tuple[Option, ...] = (
    Option("target", "target", "proxy", metavar="URL",
           help="the API root of the server the traffic goes to, e.g. http://127.0.0.1:8000/v1 (required); clients "
                "point at the proxy's URL with the same path"),
    Option("host", "host", "proxy", default="127.0.0.1", metavar="HOST", help="interface to listen on (default 127.0.0.1)"),
    Option("port", "port", "proxy", default=8080, kind=int, metavar="PORT",
           help="port to listen on; 0 picks a free one (default 8080)"),
    Option("requires-key", "requires_key", "target", switch=True,
           help="the target refuses requests without a key: a request the traffic sends without one is then judged "
                "(auth.missing-key-rejected)"),
    Option("report-every", "report_every", "reports", default=10.0, kind=float, metavar="SECONDS",
           help="refresh the reports every SECONDS while traffic goes through (0: only when the proxy stops; "
                "default 10); they are written again when it stops (Ctrl-C, SIGTERM)"),
    Option("fail-on-violation", "fail_on_violation", "reports", switch=True,
           help="exit 1 when a clause failed, for CI jobs that run a client suite through the proxy (default: exit 0)"),
)
PROXY_SHARED = ("profile", "operations", "include", "exclude", "job_timeout", "report_dir", "target_name",
                "target_version")
PROXY_OPTIONS: tuple[Option, ...] = PROXY_OWN + tuple(BY_DEST[dest] for dest in PROXY_SHARED)


def default(dest: str) -> Any:
    return BY_DEST[dest].default


def add_to_parser(groups: Mapping[str, Any], options: Iterable[Option] = OPTIONS) -> None:
    """Add the options to argparse groups (by group name), as ``--NAME``."""
    for option in options:
        groups[option.group].add_argument(option.flag, **option.arguments(option.flag))


def add_to_pytest(group: Any, options: Iterable[Option] = OPTIONS) -> None:
    """Add the options to a pytest option group, as ``--contract-NAME`` (dest ``contract_DEST``:
    pytest's option namespace is shared by every plugin), and ``--base-url`` as it is."""
    for option in options:
        group.addoption(option.plugin_flag, **{**option.arguments(option.plugin_flag), "dest": PLUGIN_DEST + option.dest})
    try:
        group.addoption("--base-url", metavar="URL", default=None, help="the same as --contract-base-url")
    except ValueError:
        pass  # pytest-base-url already defines --base-url (same meaning, same dest): share it


def values_from_pytest(config: Any) -> dict[str, Any]:
    """The option values of a pytest run, by dest (as ``argparse`` gives them to the CLI)."""
    values = {option.dest: config.getoption(PLUGIN_DEST + option.dest) for option in OPTIONS}
    values["base_url"] = values["base_url"] or config.getoption("base_url", None)
    return values


@dataclass
class RunOptions:
    """What one run is told (the values of ``OPTIONS`` that reach the engine)."""

    base_url: str
    api_key: str | None = None
    # the create cap; None: the plan's default on an external target (contracts.plan.default_max_creates,
    # applied by the runner), no cap on the embedded server
    max_creates: int | None = None
    examples: int = default("examples")  # generated cases per mode
    seed: int = default("seed")
    job_timeout: float = default("job_timeout")  # how long to poll one job before calling it unfinished
    request_timeout: float = default("request_timeout")
    budget_seconds: float = default("budget_seconds")
    poll_interval_cap: float = 5.0
    embedded: bool = False
    operations: frozenset[str] | None = None  # the operations the target offers; None: all (clauses.OPERATIONS)
    strict: bool = False  # a clause not verified fails the run (the reports decide the outcome; contracts.report)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (--header, the profile's)
    api_key_header: str | None = None  # the key goes as 'NAME: KEY'; None: 'Authorization: Bearer KEY'
    include: tuple[str, ...] = ()  # clause-id globs: only these are judged (empty: all)
    exclude: tuple[str, ...] = ()  # clause-id globs left out
    target_name: str | None = None  # what the reports say was graded
    target_version: str | None = None

    def request_headers(self, key: str | None | bool = True) -> dict[str, str]:
        """The headers of every request: the user's, then the key's (``key=True``: the run's key;
        None or False: none, as the auth clauses send it; a string: that key)."""
        given = self.api_key if key is True else (key or None)
        return {**self.headers, **request_headers.key_headers(given, self.api_key_header)}

    def recorded(self) -> dict[str, Any]:
        """The options a report records, to reproduce the run: a secret header's value is named by
        the environment variable its curl commands read (``$X_GATEWAY_TOKEN``), never kept."""
        return {"examples": self.examples, "seed": self.seed, "budget_seconds": self.budget_seconds,
                "operations": sorted(self.operations) if self.operations is not None else None,
                "max_creates": self.max_creates, "request_timeout": self.request_timeout,
                "job_timeout": self.job_timeout, "include": list(self.include), "exclude": list(self.exclude),
                "headers": {name: request_headers.env_reference(name) if request_headers.is_secret_header(name) else value
                            for name, value in self.headers.items()},
                "api_key_header": self.api_key_header, "strict": self.strict}
