"""What a published result says was graded and how: the implementation's name and version
(--target-name, --target-version), the kit's version, the spec's, the profile, the operations and
the date, in every report; and the clauses left out by --include/--exclude, at the top of each."""

from __future__ import annotations

import pytest
from report_factory import make_run, passed, skipped

from contracts import __version__, selection
from contracts.report import (
    build_report, render_badge, render_html, render_junit, render_markdown, render_summary, schema_errors,
)

RENDERERS = {"console": render_summary, "markdown": render_markdown, "html": render_html, "junit": render_junit,
             "badge": render_badge}
OFFERED = ["create", "retrieve", "list", "delete", "content"]


def named(**kw):
    return build_report(make_run(target_name="acme-video", target_version="2.1.0",
                                 options={"operations": OFFERED}, **kw))


def plain_text(text: str) -> str:
    return text.replace("&#x27;", "'").replace("&#39;", "'").replace("\\", "")


def test_conformance_json_says_what_was_graded_and_how():
    doc = named()
    assert (doc["target_name"], doc["target_version"]) == ("acme-video", "2.1.0")
    assert doc["generator"] == {"name": "videos-contract", "version": __version__}
    assert (doc["spec_version"], doc["profile"], doc["started_at"]) == ("1.0.0", "openai", "2025-11-25T20:00:00.000Z")
    assert doc["operations"] == OFFERED
    assert schema_errors(doc) == []


def test_an_unnamed_target_is_null_and_graded_on_every_operation():
    doc = build_report(make_run())
    assert (doc["target_name"], doc["target_version"]) == (None, None)
    assert doc["operations"] == ["create", "retrieve", "list", "delete", "content", "remix", "edits", "extensions",
                                 "characters"]


@pytest.mark.parametrize("face", RENDERERS)
def test_every_report_names_the_implementation_kit_spec_profile_operations_and_date(face):
    text = plain_text(RENDERERS[face](named()))
    for fact in ("acme-video", "2.1.0", f"videos-contract {__version__}", "1.0.0", "openai", "2025-11-25"):
        assert fact in text, (face, fact)
    assert "create" in text and ("create, retrieve, list, delete, content" in text or "create,retrieve,list,delete,content"
                                 in text), face


def test_the_console_heads_with_the_implementation_then_how_it_was_graded():
    lines = render_summary(named()).splitlines()
    assert lines[:2] == [
        "Videos API conformance: acme-video 2.1.0 at http://127.0.0.1:9/v1",
        f"videos-contract {__version__} | spec 1.0.0 | profile openai | operations create,retrieve,list,delete,content"
        " | 2025-11-25 20:00 UTC",
    ]


EXCLUDE = selection.skips(exclude=["delete.returns-deletion"])
LINE = f"excluded: 1 clause ({selection.SELECTED_BY}); 2 more skipped that need it"


@pytest.mark.parametrize("face", ["console", "markdown", "html", "junit"])
def test_every_report_says_what_was_left_out(face):
    results = [passed("create.json-accepted"), *(skipped(cid, note) for cid, note in EXCLUDE.items())]
    text = plain_text(RENDERERS[face](build_report(make_run(results))))
    assert (LINE.capitalize() if face == "markdown" else LINE) in text


@pytest.mark.parametrize("face", ["console", "markdown", "html", "junit"])
def test_nothing_left_out_says_nothing(face):
    assert "excluded:" not in RENDERERS[face](build_report(make_run())).lower()
