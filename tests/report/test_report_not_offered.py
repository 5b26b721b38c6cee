"""Operations declared not offered (--operations, a profile's operations): every renderer says
which at the top, with how many clauses that skipped; a run that offers all says nothing."""

from __future__ import annotations

import pytest
from report_factory import make_run, passed, skipped

from contracts import clauses
from contracts.report import build_report, render_html, render_junit, render_markdown, render_summary

OFFERED = ["content", "create", "delete", "list", "remix", "retrieve"]
SKIPPED = [skipped(cid, clauses.not_offered_note(ops)) for cid, ops in clauses.not_offered(frozenset(OFFERED)).items()]
LINE = ("not offered: edits, extensions, characters (--operations or the profile's operations); "
        f"{len(SKIPPED)} clauses skipped")
RENDERERS = {"console": render_summary, "markdown": render_markdown, "html": render_html, "junit": render_junit}


def doc_with(operations):
    results = [passed("create.json-accepted"), *(SKIPPED if operations else [])]
    return build_report(make_run(results, options={"operations": operations}))


@pytest.mark.parametrize("face", RENDERERS)
def test_every_report_names_the_operations_not_offered(face):
    text = RENDERERS[face](doc_with(OFFERED))
    assert (LINE.capitalize() if face == "markdown" else LINE) in text.replace("&#x27;", "'").replace("&#39;", "'")


@pytest.mark.parametrize("face", RENDERERS)
def test_a_target_offering_every_operation_reads_as_before(face):
    assert "not offered:" not in RENDERERS[face](doc_with(None)).lower()
