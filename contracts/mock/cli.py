"""``videos-contract mock`` / ``python -m contracts.mock``: serve the reference server.

``add_arguments(parser)`` adds the options; ``run(args)`` binds the socket itself (so
``--port 0`` picks a free port), prints one ready line to stdout once bound, then serves with
uvicorn until interrupted. Bad values end with a one-line error on stderr and exit code 2.

``--profile FILE.toml`` serves a target profile (its models, sizes, seconds and defaults);
``--fault NAME`` (repeatable) turns on a fault mode or clean variant; ``--list-faults`` lists them.
``--persona NAME`` turns on a persona's faults (a realistic server deviating in several ways at
once, composable with ``--fault``); ``--list-personas`` lists them.
``--gpu-workers N`` behaves like a GPU server: N jobs run at a time, each ``--job-seconds`` long,
the others wait ``queued``; ``--delete-cancels`` makes a delete take a queued job off the queue.
``--store PATH`` keeps the jobs in an SQLite file (across restarts); ``--workers N`` serves one
store from N uvicorn worker processes, which build their app from the settings the parent
checked (``worker_app``, reading ``WORKER_CONFIG_ENV``).
For tests (docs/mock.md): the control routes under ``/_mock/`` (``--admin-key`` guards them with
``--api-key``; ``--no-journal``, ``--journal-size``), ``--clock manual`` and ``--advance-per-poll N``
(time the test commands), ``--namespaces key|header`` (each key, or each header value, its own
videos), ``--lenient-ids`` (unknown ids answer example objects, as spec-driven mocks do).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import sys

from contracts.listen import CannotListen, bind, http_protocol, url_host

READY = "videos-contract mock listening on {url}"
LENIENT = ("videos-contract mock: --lenient-ids: unknown video and character ids answer example objects and "
           "placeholder uploads are accepted, so a client's handling of 404 for an unknown id and of 400 for a file "
           "that is not an image or a video is not exercised")
WORKER_CONFIG_ENV = "VIDEOS_CONTRACT_MOCK_WORKER_CONFIG"  # the checked MockConfig, as JSON, for workers
MAX_WORKERS = 64


class UsageError(Exception):
    """A bad option value: reported on one line, exit code 2."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from contracts.mock.config import DEFAULT_JOB_SECONDS, DEFAULT_JOURNAL_SIZE, DEFAULT_MAX_BODY_BYTES
    from contracts.mock.store import STEPS

    # Values stay text here and are checked in run(), so a bad one gets one clear line.
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", default="4010", help="port to listen on; 0 picks a free port (default: 4010)")
    parser.add_argument("--api-key", default=None, help="require 'Authorization: Bearer KEY' on every request")
    parser.add_argument("--api-key-header", default=None, metavar="NAME",
                        help="with --api-key: require the key as 'NAME: KEY' instead (Azure OpenAI: api-key)")
    parser.add_argument("--require-header", action="append", default=[], metavar="NAME",
                        help="answer 400 to any request without header NAME (repeatable), as a gateway that routes "
                        "by headers of its own")
    parser.add_argument("--job-seconds", default=str(DEFAULT_JOB_SECONDS),
                        help=f"how long a job takes from queued to completed (default: {DEFAULT_JOB_SECONDS})")
    parser.add_argument("--max-body-bytes", default=str(DEFAULT_MAX_BODY_BYTES),
                        help=f"larger request bodies are answered 413 (default: {DEFAULT_MAX_BODY_BYTES})")
    parser.add_argument("--profile", default=None, metavar="openai|FILE.toml",
                        help="serve a target profile: its models, sizes, seconds and defaults (default: the documented "
                        "contract)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="misbehave on purpose (repeatable): a fault mode or clean variant from --list-faults")
    parser.add_argument("--list-faults", action="store_true", help="list the fault modes and clean variants, then exit")
    parser.add_argument("--persona", default=None, metavar="NAME",
                        help="behave like a real server that deviates in several ways at once (from --list-personas); "
                        "combines with --fault")
    parser.add_argument("--list-personas", action="store_true", help="list the personas, then exit")
    parser.add_argument("--gpu-workers", default=None, metavar="N",
                        help="behave like a GPU server: N workers run one job each, for --job-seconds; other jobs wait "
                        "queued (default: every job runs at once)")
    cancels = parser.add_mutually_exclusive_group()
    cancels.add_argument("--delete-cancels", dest="delete_cancels", action="store_const", const=True, default=None,
                         help="with --gpu-workers: a delete takes a queued job off the queue (a started job runs on "
                         "either way)")
    cancels.add_argument("--no-delete-cancels", dest="delete_cancels", action="store_const", const=False,
                         help="with --gpu-workers: a deleted queued job still runs when its turn comes (the default)")
    parser.add_argument("--store", default=None, metavar="PATH",
                        help="keep videos in this SQLite file (created if missing): they survive restarts and are "
                        "shared by --workers (default: in memory)")
    parser.add_argument("--workers", default="1", metavar="N",
                        help="serve with N worker processes on one --store (default: 1)")
    tests = parser.add_argument_group("for tests", "the control routes under /_mock/ and what they command "
                                      "(docs/mock.md)")
    tests.add_argument("--admin-key", default=None, metavar="KEY",
                       help="with --api-key: the key of the control routes (default: the --api-key)")
    tests.add_argument("--clock", default="wall", metavar="wall|manual",
                       help="manual: jobs move only when the control routes move them or the clock (default: wall)")
    tests.add_argument("--advance-per-poll", default="0", metavar="N",
                       help=f"each retrieve of an unfinished job moves it N of its {STEPS} steps (default: 0)")
    tests.add_argument("--no-journal", dest="journal", action="store_false",
                       help="keep no journal of requests (GET /_mock/requests)")
    tests.add_argument("--journal-size", default=str(DEFAULT_JOURNAL_SIZE), metavar="N",
                       help=f"requests the journal keeps per namespace, the oldest dropped first (default: "
                       f"{DEFAULT_JOURNAL_SIZE})")
    tests.add_argument("--namespaces", default="off", metavar="off|key|header",
                       help="key: each API key sees only its own videos and characters; header: the "
                       "X-Videos-Mock-Namespace header decides (default: off)")
    tests.add_argument("--lenient-ids", action="store_true",
                       help="unknown video and character ids answer example objects and placeholder uploads are "
                       "accepted, as SDK test suites written for a stateless mock expect (default: faithful)")


def run(args: argparse.Namespace) -> int:
    listing = None
    if getattr(args, "list_faults", False):
        from contracts.mock.faults import describe as listing
    elif getattr(args, "list_personas", False):
        from contracts.mock.personas import describe as listing
    if listing is not None:
        try:
            print(listing(), flush=True)
        except BrokenPipeError:  # e.g. piped into head
            sys.stdout = None  # type: ignore[assignment]  # nothing more can be written
        return 0
    try:
        return _serve(args)
    except UsageError as exc:
        print(f"videos-contract mock: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from contracts.mock.app import create_app
    from contracts.mock.config import DEFAULT_MAX_BODY_BYTES, MockConfig
    from contracts.profile import ProfileError
    from contracts.spec import SpecError

    port = _integer("--port", args.port, 0, 65535)
    job_seconds = _number("--job-seconds", args.job_seconds)
    max_body = _integer("--max-body-bytes", getattr(args, "max_body_bytes", DEFAULT_MAX_BODY_BYTES), 1, 2**40)
    workers = _integer("--workers", getattr(args, "workers", 1), 1, MAX_WORKERS)
    store = getattr(args, "store", None)
    if args.api_key is not None and not str(args.api_key).strip():
        raise UsageError("--api-key must not be empty")
    key_header, required = _access_headers(args)
    gpu_workers = getattr(args, "gpu_workers", None)
    if gpu_workers is not None:
        gpu_workers = _integer("--gpu-workers", gpu_workers, 1, 4096)
    faults = list(getattr(args, "fault", None) or ())
    if getattr(args, "persona", None) is not None:
        from contracts.mock.personas import UnknownPersona, get

        try:
            faults += get(str(args.persona)).faults
        except UnknownPersona as exc:
            raise UsageError(str(exc)) from None
    delete_cancels = getattr(args, "delete_cancels", None)
    if delete_cancels is not None and gpu_workers is None:
        flag = "--delete-cancels" if delete_cancels else "--no-delete-cancels"
        raise UsageError(f"{flag} needs --gpu-workers N: without GPU workers no job waits in a queue")
    if workers > 1 and store is None:
        raise UsageError(f"--workers {workers} needs --store PATH: worker processes share their videos through it")
    from contracts.mock.config import CLOCKS, DEFAULT_JOURNAL_SIZE, MAX_ADVANCE_PER_POLL, NAMESPACES

    admin_key = getattr(args, "admin_key", None)
    if admin_key is not None and not str(admin_key).strip():
        raise UsageError("--admin-key must not be empty")
    clock = _choice("--clock", getattr(args, "clock", "wall"), CLOCKS)
    namespaces = _choice("--namespaces", getattr(args, "namespaces", "off"), NAMESPACES)
    advance_per_poll = _integer("--advance-per-poll", getattr(args, "advance_per_poll", 0), 0, MAX_ADVANCE_PER_POLL)
    journal_size = _integer("--journal-size", getattr(args, "journal_size", DEFAULT_JOURNAL_SIZE), 1, 10_000_000)
    lenient = bool(getattr(args, "lenient_ids", False))
    try:
        config = MockConfig(
            api_key=args.api_key,
            api_key_header=key_header,
            require_headers=required,
            job_seconds=job_seconds,
            max_body_bytes=max_body,
            profile=getattr(args, "profile", None),
            faults=frozenset(faults),
            gpu_workers=gpu_workers,
            delete_cancels=bool(delete_cancels),
            store=store,
            admin_key=admin_key,
            clock=clock,
            advance_per_poll=advance_per_poll,
            journal=bool(getattr(args, "journal", True)),
            journal_size=journal_size,
            namespaces=namespaces,
            lenient_ids=lenient,
        )
        app = create_app(config)  # also opens (creates, checks) the store, before any worker starts
    except (SpecError, ProfileError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    _tune_gc()
    try:
        sock = bind(str(args.host), port)
    except CannotListen as exc:
        raise UsageError(str(exc)) from None
    bound_port = sock.getsockname()[1]
    url = f"http://{url_host(str(args.host))}:{bound_port}/v1"
    # no WebSocket: the API has none, and whether uvicorn offered it would hang on what is installed
    settings = {"log_level": "warning", "access_log": False, "lifespan": "off", "timeout_graceful_shutdown": 3,
                "http": http_protocol(), "ws": "none"}
    if lenient:
        print(LENIENT, flush=True)
    try:
        if workers == 1:
            server = uvicorn.Server(uvicorn.Config(app, **settings))
            print(READY.format(url=url), flush=True)  # the socket is listening: connections queue until served
            server.run(sockets=[sock])
        else:
            from uvicorn.supervisors import Multiprocess

            app.state.store.close()  # each worker opens its own connection
            os.environ[WORKER_CONFIG_ENV] = json.dumps(_config_data(config))
            supervisor = Multiprocess(
                uvicorn.Config(f"{__name__}:worker_app", factory=True, workers=workers, **settings), sockets=[sock]
            )
            print(READY.format(url=url), flush=True)
            supervisor.run()
    finally:
        app.state.store.close()
        sock.close()
    return 0


def _access_headers(args: argparse.Namespace) -> tuple[str | None, tuple[str, ...]]:
    """--api-key-header and --require-header, checked: header names, and a key for the key's header."""
    from contracts.headers import check_name

    try:
        key_header = getattr(args, "api_key_header", None)
        if key_header is not None:
            key_header = check_name(str(key_header), "--api-key-header")
            if args.api_key is None:
                raise ValueError("--api-key-header needs --api-key: without a key no header carries one")
        return key_header, tuple(check_name(str(name), "--require-header")
                                 for name in getattr(args, "require_header", None) or ())
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _config_data(config) -> dict:
    data = {field.name: getattr(config, field.name) for field in dataclasses.fields(config) if field.name != "rules"}
    data["faults"] = sorted(data["faults"])
    return data


def worker_app():
    """The app of one worker process (``--workers``): built from the settings the parent checked."""
    from contracts.mock.app import create_app
    from contracts.mock.config import MockConfig

    data = json.loads(os.environ[WORKER_CONFIG_ENV])
    app = create_app(MockConfig(**{**data, "faults": frozenset(data["faults"])}))
    _tune_gc()
    return app


def _tune_gc() -> None:
    """Keep full garbage collections short in a server whose in-memory store keeps growing.

    A full collection walks every tracked object, so with ~120k jobs in memory (a load test)
    it paused the server 22-90 ms, past the 20 ms p99 target. What survives start-up and each
    full collection is long-lived (modules, the spec, stored jobs): it is frozen (``gc.freeze``),
    and the next full collection walks only what came after. Frozen objects are still freed by
    reference counting (a deleted job is); only a reference cycle among them that becomes
    garbage later is never collected: the store makes none (a Job holds no cycle), so what can
    stay is the few cycles of requests in flight at a full collection, which happens rarely.
    """
    gc.collect()  # start-up's garbage first, then the rest is long-lived
    gc.freeze()
    if _freeze_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_full_collection)


def _freeze_after_full_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()  # the survivors: the younger generations were just collected with this one


def _integer(option: str, value: object, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise UsageError(f"{option} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise UsageError(f"{option} must be between {low} and {high}, got {number}")
    return number


def _choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    text = str(value).strip()
    if text not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
    return text


def _number(option: str, value: object) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise UsageError(f"{option} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise UsageError(f"{option} must be a finite number >= 0, got {value!r}")
    return number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.mock", description="Serve the Videos API reference server.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
