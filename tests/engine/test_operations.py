"""Optional operations: declared not offered (skipped), or found missing (one root cause that
blocks the operation's clauses), against real reference servers over loopback."""

from __future__ import annotations

import secrets

import pytest

from contracts import clauses
from contracts.options import RunOptions
from contracts.embedded import EmbeddedServer
from contracts.profile import ProfileError, parse_profile
from contracts.runner import run
from contracts.types import RunResult, Verdict

OPTIONAL = ("list", "delete", "content", "remix", "edits", "extensions", "characters")


@pytest.mark.parametrize(("text", "expected"), [
    ("create,retrieve", {"create", "retrieve"}),
    (" create , retrieve ,edits,", {"create", "retrieve", "edits"}),
    (",".join(clauses.OPERATIONS), set(clauses.OPERATIONS)),
])
def test_parse_operations(text, expected):
    assert clauses.parse_operations(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("create,retrieve,teleport", "--operations: unknown operation 'teleport'; the operations are create, retrieve, list"),
    ("create,edits", "--operations must include create and retrieve (every other check stands on them); missing: "
                     "retrieve"),
    ("", "--operations must include create and retrieve"),
])
def test_bad_operations_read_as_one_line(text, message):
    with pytest.raises(ValueError) as caught:
        clauses.parse_operations(text)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_profile_names_its_operations():
    profile = parse_profile({"name": "wan", "operations": ["create", "retrieve", "list", "delete", "content"]})
    assert profile.operations == {"create", "retrieve", "list", "delete", "content"}
    assert parse_profile({"name": "all"}).operations is None
    with pytest.raises(ProfileError, match="'operations': unknown operation 'edit'"):
        parse_profile({"name": "typo", "operations": ["create", "retrieve", "edit"]})


def test_every_optional_clause_belongs_to_an_operation_and_is_skipped_without_it():
    skipped = clauses.not_offered(frozenset(clauses.CORE_OPERATIONS))
    assert set(skipped) == {c for ids in clauses.OPERATION_CLAUSES.values() for c in ids}
    # A clause shared by edits and extensions stays while one of them is offered.
    assert "edit.unknown-source-not-found" not in clauses.not_offered(frozenset({"create", "retrieve", "extensions"}))
    assert clauses.not_offered(None) == {}


def run_against(fault: str | None, operations: frozenset[str] | None) -> RunResult:
    key = "sk-ops-" + secrets.token_hex(4)
    extra = ["--fault", fault] if fault else []
    with EmbeddedServer(api_key=key, job_seconds=0.2, extra_args=extra) as server:
        return run(RunOptions(base_url=server.base_url, api_key=key, max_creates=None, examples=3, job_timeout=5,
                              budget_seconds=60, embedded=True, operations=operations))


def by_id(result: RunResult) -> dict:
    return {r.clause.id: r for r in result.results}


@pytest.mark.slow  # a whole run against a server per row
@pytest.mark.parametrize(("fault", "root"), [("no-edits-route", "edit.offered"),
                                             ("no-extensions-route", "extend.offered"),
                                             ("no-characters-route", "character.offered")])
def test_a_missing_route_is_reported_once_and_blocks_its_clauses(fault, root):
    results = by_id(run_against(fault, None))
    failed = [cid for cid, r in results.items() if r.verdict is Verdict.FAILED]
    assert failed == [root], f"a missing route must be one finding, not {failed}"
    assert "is missing" in results[root].evidence[0].message
    operation = next(op for op, ids in clauses.OPERATION_CLAUSES.items() if root in ids)
    own = [cid for cid in clauses.OPERATION_CLAUSES[operation] if cid != root and
           not any(cid in clauses.OPERATION_CLAUSES[o] for o in clauses.OPERATION_CLAUSES if o != operation)]
    for cid in own:
        assert results[cid].verdict is Verdict.BLOCKED and results[cid].blocked_by == root, (cid, results[cid].verdict)


@pytest.mark.slow  # a whole run against a server
def test_operations_not_offered_are_skipped_not_failed():
    offered = frozenset({"create", "retrieve", "list", "delete", "content", "remix"})
    result = run_against("no-characters-route", offered)
    results = by_id(result)
    assert not result.failed, [r.clause.id for r in result.failed]
    for cid in clauses.not_offered(offered):
        assert results[cid].verdict is Verdict.SKIPPED, cid
        assert results[cid].note.startswith("not offered: the target does not offer"), results[cid].note
    assert result.options["operations"] == sorted(offered)
    assert not any("/videos/characters" in op or "/videos/edits" in op for op in result.coverage["operations"])


def test_core_only_skips_every_optional_operation():
    result = run_against(None, frozenset(clauses.CORE_OPERATIONS))
    results = by_id(result)
    assert not result.failed
    for operation in OPTIONAL:
        for cid in clauses.OPERATION_CLAUSES[operation]:
            assert results[cid].verdict is Verdict.SKIPPED, cid
    assert results["create.json-accepted"].verdict is Verdict.PASSED
