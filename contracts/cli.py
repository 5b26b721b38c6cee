"""``videos-contract``: run the contract suite, serve the reference server, compare reports.

Exit codes: 0 the target conforms, 1 it violates the contract (or the run was cut short by its
time budget), 2 a usage or setup error (bad option, unreachable target, unreadable spec or
baseline), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlparse

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
API_KEY_ENV = "OPENAI_API_KEY"
DEFAULT_MAX_CREATES = 25
EMBEDDED_JOB_SECONDS = 0.3  # the embedded server's jobs: long enough to watch them move


class UsageError(Exception):
    """A bad option: one line on stderr and exit code 2."""


def _positive(kind, name: str, minimum: float = 0):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} takes a {'whole ' if kind is int else ''}number, got {text!r}")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be at least {minimum}, got {text!r}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videos-contract",
        description="Conformance kit for the Videos API (POST /videos and its job lifecycle).",
        epilog="Exit codes: 0 conforms, 1 violations, 2 usage or setup error, 130 Ctrl-C.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run the contract suite against a server (default: the embedded one)",
                         description="Run the contract suite. Without --base-url it starts the embedded "
                                     "reference server on a free loopback port and checks that.")
    target = run.add_argument_group("target")
    target.add_argument("--base-url", metavar="URL",
                        help="the API root of the server to check, e.g. http://127.0.0.1:8000/v1 "
                             "(requests go to URL/videos); default: the embedded reference server")
    target.add_argument("--api-key", metavar="KEY",
                        help=f"the target's API key (default: ${API_KEY_ENV}); never written to any output")
    target.add_argument("--profile", default="openai", metavar="openai|FILE.toml",
                        help="what the target serves: 'openai' (the documented contract, default) or a profile "
                             "file naming its models, sizes, seconds and defaults (see profiles/)")
    target.add_argument("--max-creates", type=_positive(int, "--max-creates", 1), metavar="N",
                        help=f"at most N jobs created on an external target (default {DEFAULT_MAX_CREATES}; "
                             "the embedded server has no cap)")
    limits = run.add_argument_group("limits")
    limits.add_argument("--budget", type=_positive(float, "--budget", 1), default=180.0, metavar="SECONDS",
                        help="total time budget of the run (default 180)")
    limits.add_argument("--request-timeout", type=_positive(float, "--request-timeout", 0.1), default=15.0,
                        metavar="SECONDS", help="per-request timeout (default 15)")
    limits.add_argument("--job-timeout", type=_positive(float, "--job-timeout", 0.1), default=120.0,
                        metavar="SECONDS", help="how long to follow one job before calling it unfinished (default 120)")
    generation = run.add_argument_group("generation")
    generation.add_argument("--examples", type=_positive(int, "--examples"), default=20, metavar="N",
                            help="generated cases per mode (positive, negative); 0 disables generation (default 20)")
    generation.add_argument("--seed", type=_positive(int, "--seed"), default=0, help="generation seed (default 0)")
    output = run.add_argument_group("reports")
    output.add_argument("--report-dir", default="reports", metavar="DIR", help="where reports go (default reports/)")
    output.add_argument("--baseline", metavar="FILE", help="accept the violations listed in FILE: only new ones fail")
    output.add_argument("--write-baseline", metavar="FILE", help="write the run's violations to FILE as a baseline")
    output.add_argument("--quiet", action="store_true", help="no progress (neither the live view on a terminal nor the line log)")
    output.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                        help="colour in the summary (default auto)")
    embedded = run.add_argument_group("embedded server")
    embedded.add_argument("--job-seconds", type=_positive(float, "--job-seconds"), default=EMBEDDED_JOB_SECONDS,
                          metavar="S", help=f"job duration of the embedded server (default {EMBEDDED_JOB_SECONDS})")

    mock = sub.add_parser("mock", help="serve the reference server (a faithful mock of the Videos API)",
                          description="Serve the reference server until Ctrl-C. It prints one line "
                                      "with its base URL once it listens.")
    from contracts.mock.cli import add_arguments as add_mock_arguments

    add_mock_arguments(mock)

    diff = sub.add_parser("diff", help="compare two conformance.json reports (exit 1 if something regressed)")
    diff.add_argument("before", metavar="A.json")
    diff.add_argument("after", metavar="B.json")

    sub.add_parser("clauses", help="list the clauses the suite checks")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "mock":
            from contracts.mock.cli import run as run_mock

            return run_mock(args)
        if args.command == "diff":
            return cmd_diff(args)
        return cmd_clauses()
    except UsageError as exc:
        print(f"videos-contract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("videos-contract: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _check_base_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"--base-url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {url!r}")
    return url.rstrip("/")


def cmd_run(args: argparse.Namespace) -> int:
    from contracts.embedded import EmbeddedServer, EmbeddedServerError
    from contracts.profile import ProfileError, load_profile

    base_url = _check_base_url(args.base_url) if args.base_url else None
    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    server = None
    if not base_url:
        # Launched first: the server starts up while this process imports and loads the spec.
        # The embedded server always gets a key, so that the auth clauses are checked too.
        embedded_key = "sk-embedded-" + secrets.token_hex(8)
        extra = [] if profile.is_default else ["--profile", str(profile.source)]
        server = EmbeddedServer(api_key=embedded_key, job_seconds=args.job_seconds, extra_args=extra).launch()
    try:
        return _run_against(args, base_url, profile, server)
    except EmbeddedServerError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if server is not None:
            server.stop()


def _run_against(args: argparse.Namespace, base_url: str | None, profile, server) -> int:
    import threading

    from contracts import report
    from contracts.context import RunOptions
    from contracts.runner import SetupError, run
    from contracts.spec import SpecError, load_spec

    try:
        base_spec = load_spec()
        spec = profile.apply(base_spec)
        rules = profile.rules(spec)
    except SpecError as exc:
        raise UsageError(str(exc)) from None
    try:
        baseline = report.load_baseline(args.baseline) if args.baseline else None
    except report.BaselineError as exc:
        raise UsageError(str(exc)) from None

    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    # A live view when stdout is a terminal; the plain line log on stderr for CI and pipes.
    progress = None if args.quiet else report.make_progress(sys.stderr, live=sys.stdout)
    watch = progress.watch if progress is not None else None
    options = RunOptions(base_url=base_url or "", api_key=api_key, examples=args.examples, seed=args.seed,
                         job_timeout=args.job_timeout, request_timeout=args.request_timeout,
                         budget_seconds=args.budget, max_creates=args.max_creates or DEFAULT_MAX_CREATES)
    try:
        if server is None:
            result = run(options, spec=spec, rules=rules, progress=progress, watch=watch)
        else:
            # The embedded server serves the same profile, so that a profiled run checks a match.
            options.base_url = server.wait_ready().base_url
            options.api_key, options.max_creates, options.embedded = server.api_key, args.max_creates, True
            result = run(options, spec=spec, rules=rules, progress=progress, target_label=options.base_url,
                         watch=watch)
            # Its graceful shutdown takes a moment: let it happen while the reports are written.
            threading.Thread(target=server.stop, name="embedded-server-stop", daemon=True).start()
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    finally:
        if progress is not None:
            progress.close()

    outcome = report.apply_baseline(result, baseline) if baseline else None
    try:
        paths = report.write_reports(result, Path(args.report_dir), baseline=outcome)
        if args.write_baseline:
            report.write_baseline(result, args.write_baseline)
    except OSError as exc:
        raise UsageError(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}") from None
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(report.render_summary(result, baseline=outcome, paths=paths, color=color))
    if result.interrupted_kind == "ctrl-c":
        return EXIT_INTERRUPTED
    if result.interrupted:
        return EXIT_VIOLATIONS
    return report.exit_code(result, outcome)


def cmd_diff(args: argparse.Namespace) -> int:
    from contracts import report

    try:
        diff = report.diff_reports(args.before, args.after)
    except report.DiffError as exc:
        raise UsageError(str(exc)) from None
    print(report.render_diff(diff))
    return diff.exit_code


def cmd_clauses() -> int:
    from contracts.clauses import CLAUSES

    width = max(len(cid) for cid in CLAUSES)
    for clause in CLAUSES.values():
        print(f"{clause.id.ljust(width)}  {clause.statement}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
