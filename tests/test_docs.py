"""What the README and docs/ say stays true of the code: every clause id they name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts.clauses import CLAUSES

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
AREAS = sorted({cid.split(".")[0] for cid in CLAUSES})
# Dotted names that start like a clause id and are something else.
NOT_CLAUSES = {
    "video.id": "the form field video[id] written with a dot (docs/mock.md)",
    "errors.echoed": "a function of the mock (contracts/mock/errors.py)",
    "list.limit": "a coverage boundary's name (docs/adding-a-clause.md)",
}
CLAUSE_SHAPED = re.compile(r"(?<![\w./-])((?:" + "|".join(AREAS) + r")\.[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*)"
                           r"(?![\w/(-])")
JSON_ID = re.compile(r'"id":\s*"([a-z][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+)"')  # a clause in a report or baseline example


@pytest.mark.parametrize("doc", DOCS, ids=[str(d.relative_to(ROOT)) for d in DOCS])
def test_every_clause_id_the_docs_name_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    named = set(CLAUSE_SHAPED.findall(text)) | set(JSON_ID.findall(text))
    unknown = sorted(cid for cid in named - set(NOT_CLAUSES) if cid not in CLAUSES)
    assert not unknown, f"{doc.name} names clauses that do not exist: {unknown}"


def test_the_scan_finds_a_made_up_clause() -> None:
    """The test above can fail: a clause-shaped name the catalogue lacks is found, in prose and in a
    baseline example."""
    text = 'fails `create.prompt.too-long` and {"id": "retrieve.seconds.type", "note": "x"}'
    assert set(CLAUSE_SHAPED.findall(text)) | set(JSON_ID.findall(text)) == {"create.prompt.too-long",
                                                                            "retrieve.seconds.type"}
