"""badge.svg: clauses passed of those judged, coloured by the run's outcome; well-formed, escaped,
and drawn by Chromium as intended (the colours where they belong, each text inside its part)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image
from report_factory import failed, make_run, not_verified, passed, skipped

from contracts.report import apply_baseline, build_report, render_badge, write_reports
from contracts.report.badge import COLOURS, LABEL_COLOUR, NOTHING_JUDGED_COLOUR
from contracts.report.baseline import Baseline, BaselineEntry
from tools.browser import dump_dom, screenshot

SVG = "{http://www.w3.org/2000/svg}"


def known_violation_doc():
    run = make_run([passed("a.b"), failed("a.c")])
    baseline = Baseline(entries={"a.c": BaselineEntry(id="a.c")})
    return build_report(run, baseline=apply_baseline(run, baseline))


CASES = {
    "conforms": (lambda: build_report(make_run([passed("a.b"), passed("a.c"), skipped("a.d")])),
                 "2/2 passed", COLOURS["conforms"]),
    "violations": (lambda: build_report(make_run([passed("a.b"), passed("a.c"), failed("a.d"), not_verified("a.e")])),
                   "2/3 passed", COLOURS["violations"]),
    "known-violations": (known_violation_doc, "1/2 passed", COLOURS["known_violations"]),
    "interrupted": (lambda: build_report(make_run([passed("a.b")], interrupted="the time budget of 2 s is spent")),
                    "1/1 passed", COLOURS["interrupted"]),
    "nothing-judged": (lambda: build_report(make_run([skipped("a.b"), not_verified("a.c")])), "nothing judged",
                       NOTHING_JUDGED_COLOUR),
}


def parts(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {el.get("id"): el for el in root.iter() if el.get("id")}


@pytest.mark.parametrize("case", CASES)
def test_the_badge_says_passed_of_judged_in_the_outcomes_colour(case):
    build, text, colour = CASES[case]
    found = parts(render_badge(build()))
    assert found["message-text"].text == text
    assert found["message"].get("fill") == colour and found["label"].get("fill") == LABEL_COLOUR
    assert found["label-text"].text == "Videos API"
    # the message part starts where the label part ends, and the badge is as wide as both
    label_w = float(found["label"].get("width"))
    assert float(found["message"].get("x")) == label_w


def test_the_title_names_the_implementation_and_the_grading_escaped():
    doc = build_report(make_run([passed("a.b")], target_name='<script>alert("x")</script> & co', target_version="1.0"))
    svg = render_badge(doc)
    assert "<script>" not in svg
    title = ET.fromstring(svg).find(f"{SVG}title").text
    assert title.startswith('Videos API conformance of <script>alert("x")</script> & co 1.0 at http://127.0.0.1:9/v1: '
                            "1/1 passed (conforms); videos-contract ")


def test_the_badge_is_written_beside_the_reports(tmp_path):
    paths = write_reports(make_run(), tmp_path)
    assert paths["badge"] == tmp_path / "badge.svg"
    doc = json.loads(paths["json"].read_text())
    assert parts(paths["badge"].read_text())["message-text"].text == f"{doc['counts']['passed']}/" \
        f"{doc['counts']['passed'] + doc['counts']['failed']} passed"


ZOOM = 4


def _rgb(colour: str) -> tuple[int, int, int]:
    digits = colour.lstrip("#")
    digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))


def _near(pixel, colour: str, tolerance: int = 32) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], _rgb(colour)))


@pytest.mark.browser
@pytest.mark.parametrize("case", ["conforms", "violations"])
def test_chromium_draws_the_badge(chromium, tmp_path, case):
    build, text, colour = CASES[case]
    svg = render_badge(build())
    (tmp_path / "badge.svg").write_text(svg)
    found = parts(svg)
    width, label_w = float(ET.fromstring(svg).get("width")), float(found["label"].get("width"))
    # the file as an <img> (how a README shows it), magnified; and inline, to measure the laid-out text
    page = tmp_path / "page.html"
    page.write_text(
        '<!DOCTYPE html><html><head><style>body{margin:0;background:#fff}img{display:block}</style></head><body>'
        f'<img id="img" src="badge.svg" width="{width * ZOOM:g}" height="{20 * ZOOM}">{svg}'
        "<script>onload = () => { const r = (id) => document.getElementById(id).getBBox();"
        " const out = {natural: document.getElementById('img').naturalWidth};"
        " for (const part of ['label', 'message']) { const t = r(part + '-text'), box = r(part);"
        "   out[part] = t.x >= box.x && t.x + t.width <= box.x + box.width + 0.5 && t.width > 0; }"
        " document.body.dataset.measured = JSON.stringify(out); };</script></body></html>")
    measured = json.loads(re.search(r'data-measured="([^"]*)"', dump_dom(page)).group(1).replace("&quot;", '"'))
    assert measured == {"natural": round(width), "label": True, "message": True}

    shot = Image.open(screenshot(page, tmp_path / "shot.png", width=int(width * ZOOM) + 40, height=200)).convert("RGB")
    top = 3 * ZOOM  # above the text, where each part shows its own colour
    assert _near(shot.getpixel((2 * ZOOM, top)), LABEL_COLOUR), shot.getpixel((2 * ZOOM, top))
    assert _near(shot.getpixel((int((label_w + 2) * ZOOM), top)), colour), shot.getpixel((int((label_w + 2) * ZOOM), top))
    # text drawn in each part: white pixels in the middle row
    middle = [shot.getpixel((x, 10 * ZOOM)) for x in range(0, int(width * ZOOM))]
    label_whites = [p for p in middle[: int(label_w * ZOOM)] if min(p) > 230]
    message_whites = [p for p in middle[int(label_w * ZOOM):] if min(p) > 230]
    assert label_whites and message_whites
