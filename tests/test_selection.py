"""contracts/selection.py: --include/--exclude globs, and the clauses that need an excluded one."""

from __future__ import annotations

import pytest

from contracts import clauses, selection
from contracts.clauses import CLAUSES

EXCLUDED = selection.excluded_note()


def test_an_excluded_clause_and_every_clause_that_needs_it_are_skipped():
    skips = selection.skips(exclude=["delete.returns-deletion"])
    assert skips["delete.returns-deletion"] == EXCLUDED
    needing = {cid for cid in CLAUSES if "delete.returns-deletion" in clauses.requires(cid)}
    assert needing == {"delete.then-not-found", "response.deleted.schema"}
    assert {cid: skips[cid] for cid in needing} == dict.fromkeys(needing, selection.needs_excluded_note(
        "delete.returns-deletion"))
    assert set(skips) == {"delete.returns-deletion", *needing}


def test_a_clause_two_steps_away_names_the_excluded_one():
    # lifecycle.progress-monotonic needs lifecycle.status-forward, which needs lifecycle.retrieve-after-create
    skips = selection.skips(exclude=["lifecycle.retrieve-after-create"])
    assert skips["lifecycle.progress-monotonic"] == selection.needs_excluded_note("lifecycle.retrieve-after-create")


def test_includes_keep_what_the_included_clauses_need():
    left_out = selection.excluded(include=["list.limit-honoured"])
    judged = set(CLAUSES) - set(left_out)
    assert judged == {"list.limit-honoured", *clauses.requires("list.limit-honoured")}
    assert "create.json-accepted" in judged


def test_excludes_win_over_includes():
    judged = set(CLAUSES) - set(selection.excluded(include=["auth.*"], exclude=["auth.wrong-key-rejected"]))
    assert judged == {"auth.missing-key-rejected"}


def test_nothing_selected_is_nothing_skipped():
    assert selection.skips() == {}


@pytest.mark.parametrize(("glob", "message"), [
    ("teleport.*", "--include 'teleport.*' matches no clause (videos-contract clauses lists them)"),
    ("  ", "--include takes a clause-id glob such as 'auth.*', got an empty one"),
], ids=["matches-nothing", "empty"])
def test_a_glob_that_selects_nothing_is_one_line(glob, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
                       .replace(".", r"\.") + "$"):
        selection.check_glob(glob)


def test_leaving_out_every_clause_is_refused():
    with pytest.raises(ValueError, match="leave no clause to judge"):
        selection.skips(exclude=["*"])
