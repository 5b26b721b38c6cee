"""Reports of a conformance run: conformance.json, conformance.html, junit.xml, summary.md, badge.svg.

    paths = write_reports(result, Path("reports"), baseline=load_baseline("baseline.json"))
    print(render_summary(result, baseline=..., paths=paths))

Everything is rendered from one redacted document (:func:`build_report`), whose format is
described by ``conformance.schema.json``. See docs/reports.md.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from contracts.report.badge import render_badge
from contracts.report.baseline import (
    Baseline,
    BaselineEntry,
    BaselineError,
    BaselineOutcome,
    apply_baseline,
    load_baseline,
    write_baseline,
)
from contracts.report.bodies import write_request_bodies
from contracts.report.console import ProgressReporter, make_progress, render_summary
from contracts.report.diff import DiffError, ReportDiff, diff_reports, render_diff
from contracts.report.document import (
    CONFORMS,
    SCHEMA_VERSION,
    INTERRUPTED,
    KNOWN_VIOLATIONS,
    OUTCOMES,
    SCHEMA_PATH,
    UNVERIFIED,
    VIOLATIONS,
    build_report,
    fill_not_run,
    is_strict,
    load_schema,
    schema_errors,
    to_json,
)
from contracts.report.html import render_html
from contracts.report.io import atomic_write_text
from contracts.report.junit import render_junit
from contracts.report.markdown import render_markdown
from contracts.types import RunResult

DEFAULT_REPORT_DIR = Path("reports")

#: file names inside the report directory, by the keys ``write_reports`` returns
REPORT_FILES = {
    "html": "conformance.html",
    "json": "conformance.json",
    "junit": "junit.xml",
    "summary": "summary.md",
    "badge": "badge.svg",
}

#: set to 1, every conformance.json is checked against its schema before any report is written (the
#: kit's own tests set it for every run they make, in process and in the processes they start)
CHECK_ENV = "VIDEOS_CONTRACT_CHECK_REPORTS"


class ReportInvalid(Exception):
    """A report document that does not match its own schema (a defect of the kit): one line."""


def write_reports(
    result: RunResult,
    report_dir: Path | str = DEFAULT_REPORT_DIR,
    *,
    baseline: Baseline | BaselineOutcome | None = None,
) -> dict[str, Path]:
    """Write every report of ``result`` into ``report_dir`` (created if needed), each file
    atomically, and return their paths by kind: ``html``, ``json``, ``junit``, ``summary``, ``badge``.

    With ``baseline``, failures are split into new and known in every report. With
    ``VIDEOS_CONTRACT_CHECK_REPORTS=1``, a document that does not match the schema raises
    :class:`ReportInvalid` before anything is written."""
    report_dir = Path(report_dir)
    write_request_bodies(result, report_dir)  # first: the curl commands then name the files
    doc = build_report(result, baseline=baseline)
    if os.environ.get(CHECK_ENV) == "1":
        errors = schema_errors(doc)
        if errors:
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise ReportInvalid(f"conformance.json would not match its schema: {errors[0]}{more}")
    rendered = {
        "html": render_html(doc),
        "json": to_json(doc),
        "junit": render_junit(doc),
        "summary": render_markdown(doc),
        "badge": render_badge(doc),
    }
    paths: dict[str, Path] = {}
    for kind, text in rendered.items():
        paths[kind] = atomic_write_text(report_dir / REPORT_FILES[kind], text)
    return paths


def check_report_dir(report_dir: Path | str) -> None:
    """Make ``report_dir`` and write a file in it, or raise OSError: said before a run spends a job or a
    proxy grades an hour of traffic, not when the reports are due."""
    report_dir = Path(report_dir)
    made = [path for path in (report_dir, *report_dir.parents) if not path.exists()]  # deepest first
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=report_dir, prefix=".writable-"):
            pass
    finally:
        for path in made:  # made for the check only: a run that ends in a setup error leaves no folder
            with contextlib.suppress(OSError):
                path.rmdir()


def exit_code(result: RunResult, baseline: Baseline | BaselineOutcome | None = None) -> int:
    """1 when the run found a violation not accepted by ``baseline``, else 0.

    (An interrupted run without new violations returns 0 here: the CLI decides how to report an
    interruption, e.g. with its own exit code.)"""
    if isinstance(baseline, Baseline):
        baseline = apply_baseline(result, baseline)
    code = (1 if result.failed else 0) if baseline is None else baseline.exit_code
    if is_strict(result) and result.counts()["not_verified"]:
        return 1  # --strict: a clause not verified fails the run
    return code


__all__ = [
    "Baseline",
    "BaselineEntry",
    "BaselineError",
    "BaselineOutcome",
    "CHECK_ENV",
    "CONFORMS",
    "DEFAULT_REPORT_DIR",
    "DiffError",
    "INTERRUPTED",
    "KNOWN_VIOLATIONS",
    "OUTCOMES",
    "REPORT_FILES",
    "ReportInvalid",
    "ProgressReporter",
    "ReportDiff",
    "SCHEMA_PATH",
    "UNVERIFIED",
    "SCHEMA_VERSION",
    "VIOLATIONS",
    "apply_baseline",
    "build_report",
    "diff_reports",
    "exit_code",
    "fill_not_run",
    "load_baseline",
    "load_schema",
    "make_progress",
    "render_badge",
    "render_diff",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_summary",
    "schema_errors",
    "to_json",
    "write_baseline",
    "write_reports",
]
