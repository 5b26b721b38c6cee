"""badge.svg: the run's result as a badge for a README, in the usual two-part shape.

The left part says what it is ("Videos API"), the right part how many clauses passed of those
judged (passed and failed; skipped, not verified and blocked ones were not judged), coloured by
the run's outcome. Text is laid out for Verdana 11px (widths below, as badge services measure
them) and pinned with ``textLength``, so that another font still fits its box. Rendered from the
report document like every other report; the target's name only appears escaped, in the title.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from contracts.report.document import graded_text, identity_text

LABEL = "Videos API"
HEIGHT = 20
PADDING = 6  # each side of a text
LABEL_COLOUR = "#555"
#: the right part's colour by outcome (contracts.report.document.OUTCOMES)
COLOURS = {
    "conforms": "#4c1",  # green
    "known_violations": "#dfb317",  # yellow: fails only what the team accepted
    "violations": "#e05d44",  # red
    "interrupted": "#9f9f9f",  # grey: stopped early, no new violation among what ran
    "unverified": "#fe7d37",  # orange: a strict run that left clauses not verified
}
NOTHING_JUDGED_COLOUR = "#9f9f9f"

# Advance widths of Verdana at 11px, in pixels (digits, letters, the punctuation a badge uses).
_WIDTHS = {
    **dict.fromkeys("0123456789", 7.0),
    **dict.fromkeys("abcdeghknopqsuvxyz", 6.6), **dict.fromkeys("fjrt", 4.3), **dict.fromkeys("il", 3.1),
    "m": 10.7, "w": 8.9,
    **dict.fromkeys("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 7.6), "I": 4.6, "M": 8.9, "W": 11.0,
    " ": 3.9, "/": 5.0, "-": 4.7, ".": 3.9, "(": 5.0, ")": 5.0,
}
_DEFAULT_WIDTH = 7.6


def text_width(text: str) -> float:
    return round(sum(_WIDTHS.get(ch, _DEFAULT_WIDTH) for ch in text), 1)


def message(doc: dict[str, Any]) -> str:
    """The right part's text: clauses passed of those judged."""
    counts = doc["counts"]
    judged = counts["passed"] + counts["failed"]
    return f"{counts['passed']}/{judged} passed" if judged else "nothing judged"


def colour(doc: dict[str, Any]) -> str:
    counts = doc["counts"]
    if not counts["passed"] + counts["failed"]:
        return NOTHING_JUDGED_COLOUR
    return COLOURS[doc["outcome"]]


def render_badge(doc: dict[str, Any]) -> str:
    """The SVG of the badge for a report document."""
    right = message(doc)
    label_w, right_w = text_width(LABEL), text_width(right)
    left_box, right_box = label_w + 2 * PADDING, right_w + 2 * PADDING
    width = left_box + right_box
    title = (f"Videos API conformance of {graded_text(doc)}: {right} ({doc['outcome_text']}); "
             f"{identity_text(doc, ', ')}")
    fill = colour(doc)

    def text(part: str, x: float, length: float, content: str) -> str:
        # a shadow 1px below, then the text: readable on the light and the dark parts
        fit = f'textLength="{length:g}" lengthAdjust="spacingAndGlyphs"'
        return (f'<text x="{x:g}" y="15" fill="#010101" fill-opacity=".3" {fit}>{escape(content)}</text>'
                f'<text id="{part}-text" x="{x:g}" y="14" fill="#fff" {fit}>{escape(content)}</text>')

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{HEIGHT}" '
        f'viewBox="0 0 {width:g} {HEIGHT}" role="img" '
        f'aria-label={quoteattr(f"{LABEL}: {right}")} data-outcome={quoteattr(doc["outcome"])}>'
        f"<title>{escape(title)}</title>"
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{width:g}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>'
        '<g clip-path="url(#r)">'
        f'<rect id="label" width="{left_box:g}" height="{HEIGHT}" fill="{LABEL_COLOUR}"/>'
        f'<rect id="message" x="{left_box:g}" width="{right_box:g}" height="{HEIGHT}" fill="{fill}"/>'
        f'<rect width="{width:g}" height="{HEIGHT}" fill="url(#s)"/></g>'
        '<g font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11" text-rendering="geometricPrecision">'
        f'{text("label", PADDING, label_w, LABEL)}{text("message", left_box + PADDING, right_w, right)}</g></svg>\n'
    )
