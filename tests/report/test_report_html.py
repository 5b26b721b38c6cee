"""conformance.html: self-contained, escaped, and usable in a real headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from html.parser import HTMLParser

import pytest
from report_factory import LONG, HOSTILE_BODY, exchange, failed, make_long_facts_run, make_run, passed

from tools import browser as browser_mod
from contracts.report import build_report, render_html, write_reports
from tools.browser import BrowserError, dump_dom, screenshot
from contracts.report.html import CSS, JS

FAILING = "create.prompt.max-length-accepted"


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text of the document."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag=None, **attrs):
        return [
            a
            for t, a in self.tags
            if (tag is None or t == tag) and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def clauses(self) -> dict[str, dict[str, str | None]]:
        return {a["data-id"]: a for t, a in self.tags if "clause" in (a.get("class") or "").split()}


# ---------------------------------------------------------------------------- static checks


def test_page_is_self_contained(run):
    page = render_html(build_report(run))
    dom = Elements(page)
    assert {t for t, _ in dom.tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "small",
        "main",
        "dl",
        "dt",
        "dd",
        "nav",
        "label",
        "input",
        "button",
        "span",
        "section",
        "details",
        "summary",
        "p",
        "code",
        "pre",
        "table",
        "tr",
        "th",
        "td",
        "ul",
        "li",
        "a",
        "footer",
        "script",
        "b",
    }
    assert len(dom.find("script")) == 1
    for tag, attrs in dom.tags:
        assert "src" not in attrs and "style" not in attrs, tag
        assert not any(k.startswith("on") for k in attrs), tag
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs
    assert "@import" not in CSS and "url(" not in CSS
    assert "fetch(" not in JS and "XMLHttpRequest" not in JS


def test_content_security_policy_allows_only_the_page_own_style_and_script(run):
    page = render_html(build_report(run))
    (meta,) = Elements(page).find("meta", http_equiv="Content-Security-Policy")
    csp = meta["content"]
    assert "default-src 'none'" in csp
    for source in (CSS, JS):
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp


def test_hostile_content_is_escaped_everywhere():
    evil = '<script>alert("x")</script>'
    run = make_run(
        [failed(f"evil.{evil}", HOSTILE_BODY, field=evil, expected=evil, received=evil, case=evil)],
        target=f"http://h/{evil}",
        profile=evil,
        coverage={evil: {evil: [evil]}},
    )
    page = render_html(build_report(run))
    dom = Elements(page)
    assert len(dom.find("script")) == 1 and not dom.find("img")
    assert page.count("<script>") == 1
    text = "".join(dom.text)
    assert '<script>document.title="pwned"</script>' in text  # shown as text
    assert "\\x00\\x1b[31m" in text  # control characters made visible


def test_areas_verdicts_and_evidence_in_markup(run):
    dom = Elements(render_html(build_report(run)))
    clauses = dom.clauses()
    assert {i: a["data-verdict"] for i, a in clauses.items()} == {
        "create.prompt.required": "passed",
        FAILING: "failed",
        "retrieve.status.lifecycle": "passed",
        "content.download.mp4": "not_verified",
        "auth.missing-key": "skipped",
    }
    assert [a["data-area"] for a in dom.find("section") if "data-area" in a] == [
        "create",
        "retrieve",
        "content",
        "auth",
    ]
    assert "open" in clauses[FAILING]  # the only failure is expanded
    assert dom.find("header", data_outcome="violations")
    text = "".join(dom.text)
    for expected in ("1 violation", "openai", "1.0.0", "12.2 s", "Coverage", "prompt.length", "32001"):
        assert expected in text


# ---------------------------------------------------------------------------- Chromium


def test_missing_chromium_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(browser_mod.CHROMIUM_ENV, raising=False)
    assert browser_mod.find_chromium() is None
    with pytest.raises(BrowserError, match=r"apt-get install -y chromium"):
        dump_dom(tmp_path / "x.html")


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    run = make_run()
    run.results.append(passed("create.seconds.enum"))
    return write_reports(run, tmp_path_factory.mktemp("html"))["html"]


@pytest.mark.browser
def test_browser_shows_the_failing_clause_with_its_evidence(chromium, report_page):
    dom_text = dump_dom(report_page)
    dom = Elements(dom_text)
    assert "js" in (dom.find("html")[0].get("class") or "")  # the script ran
    clauses = dom.clauses()
    assert all("hidden" not in a for a in clauses.values())
    fail = clauses[FAILING]
    assert fail["data-verdict"] == "failed" and "open" in fail
    text = "".join(dom.text)
    for expected in (
        "a 32000-character prompt was rejected",
        "Expected",
        "Received",
        "$.prompt",
        "POST",
        "http://127.0.0.1:9/v1/videos",
        "Authorization",
        "Bearer [REDACTED]",
        "curl -sS -X POST",
        '<script>document.title="pwned"</script>',
        "6 clauses",
    ):
        assert expected in text, expected
    # the hostile body did not run: the title is intact, no attribute was set, no image exists
    assert re.search(r"<title>Videos API conformance: 1 violation", dom_text)
    assert "data-pwned" not in dom.find("body")[0] and not dom.find("img")


@pytest.mark.browser
@pytest.mark.parametrize(
    "fragment, visible",
    [
        ("failures", {FAILING}),
        ("q=lifecycle", {"retrieve.status.lifecycle"}),
        ("failures&q=no-such-thing", set()),
        (
            "",
            {
                FAILING,
                "create.prompt.required",
                "retrieve.status.lifecycle",
                "content.download.mp4",
                "auth.missing-key",
                "create.seconds.enum",
            },
        ),
    ],
)
def test_browser_filter_from_url_hash(chromium, report_page, fragment, visible):
    dom = Elements(dump_dom(report_page, fragment=fragment))
    shown = {i for i, a in dom.clauses().items() if "hidden" not in a}
    assert shown == visible
    body = dom.find("body")[0]
    assert body["data-filter"] == ("failures" if "failures" in fragment else "all")
    areas = {a["data-area"]: "hidden" not in a for a in dom.find("section") if "data-area" in a}
    assert {k for k, v in areas.items() if v} == {i.split(".")[0] for i in visible}
    (no_match,) = dom.find("p", id="no-match")
    assert ("hidden" in no_match) == bool(visible)


@pytest.mark.browser
def test_browser_clause_anchor_opens_it(chromium, tmp_path):
    run = make_run([failed(f"a.f{i}") for i in range(5)])
    page = write_reports(run, tmp_path)["html"]
    closed = Elements(dump_dom(page)).clauses()
    assert "open" in closed["a.f0"] and "open" not in closed["a.f3"]  # many failures: first open
    opened = Elements(dump_dom(page, fragment="clause-a.f3")).clauses()
    assert "open" in opened["a.f3"]


# Measures the page as laid out, once loaded with every <details> open: the document's scrollWidth
# and clientWidth, and the boxes and texts whose right edge passes the window's (a text cut off by a
# box that hides what overflows, too). Added to a copy of the page, with its hash in the CSP.
MEASURE = """addEventListener("load", function () {
  var root = document.documentElement, edge = root.clientWidth + 1, past = [];
  function name(e) { return e.tagName.toLowerCase() + "." + e.className; }
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  document.querySelectorAll("body *").forEach(function (e) {
    var box = e.getBoundingClientRect();
    if (box.width && box.right > edge) past.push(name(e));
  });
  var texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), range = document.createRange();
  while (texts.nextNode()) {
    range.selectNodeContents(texts.currentNode);
    var box = range.getBoundingClientRect();
    if (box.width && box.right > edge) past.push("text in " + name(texts.currentNode.parentElement));
  }
  root.setAttribute("data-scroll-width", root.scrollWidth);
  root.setAttribute("data-client-width", root.clientWidth);
  root.setAttribute("data-past-the-edge", past.slice(0, 8).join(" "));
});"""


def _measured(page: str, path, width: int) -> dict[str, str | None]:
    csp_hash = "'sha256-" + base64.b64encode(hashlib.sha256(MEASURE.encode()).digest()).decode() + "'"
    page = page.replace("script-src ", f"script-src {csp_hash} ", 1).replace("</body>", f"<script>{MEASURE}</script></body>")
    path.write_text(page, encoding="utf-8")
    return Elements(dump_dom(path, width=width)).find("html")[0]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1300, 800])
def test_browser_page_keeps_to_its_width_whatever_the_facts(chromium, tmp_path, width):
    run, baseline = make_long_facts_run()
    page = render_html(build_report(run, baseline=baseline))
    html = _measured(page, tmp_path / "long.html", width)
    assert html["data-client-width"] == str(width)
    assert (html["data-scroll-width"], html["data-past-the-edge"]) == (str(width), "")
    assert LONG in page and "GPU cost" in page and "Left on the target" in page


@pytest.mark.browser
def test_browser_measure_sees_a_page_wider_than_its_window(chromium, tmp_path):
    """The measure itself: a fact that cannot wrap is seen to push the page past the window."""
    page = render_html(build_report(make_run())).replace("</style>", ".meta dd{white-space:nowrap}</style>")
    page = page.replace("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1/" + LONG * 4)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    page = re.sub(r"style-src '[^']*'", "style-src 'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest())
                  .decode() + "'", page)
    html = _measured(page, tmp_path / "wide.html", 800)
    assert int(html["data-scroll-width"]) > 800 and "text in dd." in html["data-past-the-edge"]


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
def test_browser_screenshot(chromium, report_page, tmp_path):
    png = screenshot(report_page, tmp_path / "report.png", width=1200, height=900)
    assert png.stat().st_size > 20_000
    assert _png_size(png) == (1200, 900)
    from PIL import Image

    with Image.open(png) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # a rendered page, not a blank one
    banner = Image.open(png).convert("RGB").getpixel((5, 5))
    assert banner[0] > 150 and banner[1] < 80  # the red violations banner


@pytest.mark.browser
def test_screenshot_script(chromium, tmp_path):
    from tools import screenshot as script

    out = tmp_path / "img" / "readme.png"
    assert script.main(["--out", str(out), "--width", "1000", "--height", "700"]) == 0
    assert _png_size(out) == (1000, 700)


def test_json_bodies_are_indented_for_reading():
    run = make_run([failed("a.b", exchange=exchange(body='{"error":{"message":"bad"}}'))])
    page = render_html(build_report(run))
    assert "{\n  &quot;error&quot;: {\n    &quot;message&quot;: &quot;bad&quot;\n  }\n}" in page
