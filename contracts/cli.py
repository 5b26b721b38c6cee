"""``videos-contract``: run the contract suite, serve the reference server, compare reports.

Exit codes: 0 the target conforms, 1 it violates the contract (or the run was cut short by its
time budget), 2 a usage or setup error (bad option, unreachable target, unreadable spec or
baseline), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contracts import options as run_options
from contracts.failures import SetupError
from contracts.stdout import drop_stdout, emit

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """A bad option: one line on stderr and exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="videos-contract",
        description="Conformance kit for the Videos API (POST /videos and its job lifecycle).",
        epilog="Exit codes: 0 conforms, 1 violations, 2 usage or setup error, 130 Ctrl-C.",
    )
    parser.add_argument("--version", action=VersionAction, help="print the kit's version (and the spec's) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run the contract suite against a server (default: the embedded one)",
                         description="Run the contract suite. Without --base-url it starts the embedded "
                                     "reference server on a free loopback port and checks that.")
    groups = {name: run.add_argument_group(name) for name in ("target", "clauses", "limits", "generation", "reports",
                                                                "embedded server")}
    embedded_only = [o for o in run_options.OPTIONS if o.group == "embedded server"]
    run_options.add_to_parser(groups, [o for o in run_options.OPTIONS if o not in embedded_only])
    output = groups["reports"]
    output.add_argument("--baseline", metavar="FILE", help="accept the violations listed in FILE: only new ones fail")
    output.add_argument("--write-baseline", metavar="FILE", help="write the run's violations to FILE as a baseline")
    output.add_argument("--quiet", action="store_true", help="no progress (neither the live view on a terminal nor the line log)")
    output.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                        help="colour in the summary (default auto)")
    run_options.add_to_parser(groups, embedded_only)

    mock = sub.add_parser("mock", help="serve the reference server (a faithful mock of the Videos API)",
                          description="Serve the reference server until Ctrl-C. It prints one line "
                                      "with its base URL once it listens.")
    from contracts.mock.cli import add_arguments as add_mock_arguments

    add_mock_arguments(mock)

    proxy = sub.add_parser("proxy", help="grade the traffic a client sends through it to a server (no request of its own)",
                           description="Forward every request to --target unchanged and judge each exchange with the "
                                       "checks of 'run'; reports are refreshed every --report-every seconds and "
                                       "written when it stops (Ctrl-C, SIGTERM). Point clients at the URL it prints.",
                           epilog="Exit codes: 0 (1 with --fail-on-violation when a clause failed), 2 usage or setup "
                                  "error.")
    proxy_groups = {name: proxy.add_argument_group(name) for name in ("proxy", "target", "clauses", "limits", "reports")}
    run_options.add_to_parser(proxy_groups, run_options.PROXY_OPTIONS)

    diff = sub.add_parser("diff", help="compare two conformance.json reports (exit 1 if something regressed)")
    diff.add_argument("before", metavar="A.json")
    diff.add_argument("after", metavar="B.json")

    sub.add_parser("clauses", help="list the clauses the suite checks")
    sub.add_parser("schema", help="print the JSON Schema of conformance.json",
                   description="Print the JSON Schema (draft 2020-12) that every conformance.json conforms to; "
                               "its schema_version is the report's.")
    return parser


class VersionAction(argparse.Action):
    """``--version``: the kit's version and the spec's, read only when asked (not on every parse)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from contracts import __version__
        from contracts.report import SCHEMA_VERSION
        from contracts.spec import SpecError, load_spec

        try:
            spec = f"spec {load_spec().version}"
        except SpecError as exc:
            spec = f"spec unreadable: {str(exc).splitlines()[0]}"
        sys.stdout.write(f"videos-contract {__version__} ({spec}, report schema {SCHEMA_VERSION})\n")
        parser.exit()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "mock":
            from contracts.mock.cli import run as run_mock

            return run_mock(args)
        if args.command == "proxy":
            return cmd_proxy(args)
        if args.command == "diff":
            return cmd_diff(args)
        if args.command == "schema":
            return cmd_schema()
        return cmd_clauses()
    except UsageError as exc:
        print(f"videos-contract: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("videos-contract: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of stdout left (`| head`) outside emit(): nothing more to say
        drop_stdout()
        return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from contracts.draws import keep_hypothesis_storage_out_of_the_cwd
    from contracts.target import Target

    keep_hypothesis_storage_out_of_the_cwd()

    from contracts import report

    try:
        report.check_report_dir(args.report_dir)
    except OSError as exc:
        raise UsageError(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}") from None
    try:
        # Launched first: the embedded server starts up while this process imports and loads the spec.
        target = Target(vars(args)).launch()
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    try:
        return _run_against(args, target)
    except SetupError as exc:
        raise UsageError(str(exc)) from None
    finally:
        target.stop()


def _run_against(args: argparse.Namespace, target) -> int:
    import threading

    from contracts import report
    from contracts.runner import run

    spec, rules = target.contract()
    try:
        baseline = report.load_baseline(args.baseline) if args.baseline else None
    except report.BaselineError as exc:
        raise UsageError(str(exc)) from None

    # A live view when stdout is a terminal; the plain line log on stderr for CI and pipes.
    progress = None if args.quiet else report.make_progress(sys.stderr, live=sys.stdout)
    watch = progress.watch if progress is not None else None
    try:
        options = target.options()
        result = run(options, spec=spec, rules=rules, progress=progress, watch=watch)
        if target.server is not None:
            # Its graceful shutdown takes a moment: let it happen while the reports are written.
            threading.Thread(target=target.server.stop, name="embedded-server-stop", daemon=True).start()
    finally:
        if progress is not None:
            progress.close()

    outcome = report.apply_baseline(result, baseline) if baseline else None
    try:
        paths = report.write_reports(result, Path(args.report_dir), baseline=outcome)
    except OSError as exc:
        raise UsageError(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}") from None
    except report.ReportInvalid as exc:
        raise UsageError(str(exc)) from None
    written = None
    if args.write_baseline:
        try:
            written = report.write_baseline(result, args.write_baseline)
        except OSError as exc:
            raise UsageError(f"cannot write the baseline {args.write_baseline}: {exc.strerror or exc}") from None
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    emit(report.render_summary(result, baseline=outcome, paths=paths, color=color) + baseline_line(args, result, written))
    if result.interrupted_kind == "ctrl-c":
        return EXIT_INTERRUPTED
    if result.interrupted:
        return EXIT_VIOLATIONS
    if written is not None:
        # The violations just written are accepted from now on: the run did what it was asked.
        return report.exit_code(result, report.apply_baseline(result, written))
    return report.exit_code(result, outcome)


BASELINE_FILE = "conformance-baseline.json"  # the name the docs and the CI recipes use


def baseline_line(args: argparse.Namespace, result, written) -> str:
    """Where the baseline went; or, for a run with violations and no baseline, how to write one."""
    failed = len(result.failed)
    if written is not None:
        return (f"Baseline written to {written.path}: {failed} violation{'' if failed == 1 else 's'} accepted; "
                f"commit it and run with --baseline {written.path}, so that only new violations fail\n")
    if args.baseline or not failed or result.interrupted:
        return ""
    these = "this violation" if failed == 1 else f"these {failed} violations"
    return (f"No baseline given: to accept {these} and fail only on new ones, run once with --write-baseline "
            f"{BASELINE_FILE}, commit it, then run with --baseline {BASELINE_FILE}\n")


def cmd_proxy(args: argparse.Namespace) -> int:
    from contracts.proxy.serve import ProxyUsageError, run as serve

    try:
        return serve(args)
    except ProxyUsageError as exc:
        raise UsageError(str(exc)) from None


def cmd_diff(args: argparse.Namespace) -> int:
    from contracts import report

    try:
        diff = report.diff_reports(args.before, args.after)
    except report.DiffError as exc:
        raise UsageError(str(exc)) from None
    emit(report.render_diff(diff) + "\n")
    return diff.exit_code


def cmd_clauses() -> int:
    from contracts.clauses import CLAUSES

    width = max(len(cid) for cid in CLAUSES)
    emit("".join(f"{clause.id.ljust(width)}  {clause.statement}\n" for clause in CLAUSES.values()))
    return EXIT_OK


def cmd_schema() -> int:
    from contracts.report import SCHEMA_PATH

    sys.stdout.write(SCHEMA_PATH.read_text(encoding="utf-8"))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
