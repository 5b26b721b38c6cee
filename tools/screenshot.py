"""Render a report and take a screenshot of it in headless Chromium.

    python -m tools.screenshot                     # docs/img/report-failing.png
    python -m tools.screenshot --report reports/conformance.json --out shot.png

Without ``--report`` the page is the made-up demo run of :mod:`tools.demo` (two
violations, the first one expanded), which is what the README shows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from tools.browser import BrowserError, screenshot
from contracts.report.document import build_report
from contracts.report.html import render_html

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "img" / "report-failing.png"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.screenshot", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--report", type=Path, help="a conformance.json to render (default: the demo run)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"PNG to write (default: {DEFAULT_OUT})"
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--fragment", default=None, help="URL fragment, e.g. 'failures'")
    args = parser.parse_args(argv)

    if args.report:
        doc = json.loads(args.report.read_text(encoding="utf-8"))
    else:
        from tools.demo import demo_run

        doc = build_report(demo_run())
    with tempfile.TemporaryDirectory(prefix="vc-shot-") as tmp:
        page = Path(tmp) / "conformance.html"
        page.write_text(render_html(doc), encoding="utf-8")
        try:
            out = screenshot(page, args.out, width=args.width, height=args.height, fragment=args.fragment)
        except BrowserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
