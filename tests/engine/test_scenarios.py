"""The engine's boundaries, pinned: scenarios plan and send cases and never judge; checks see no
run; one way to send; the package's public names."""

from __future__ import annotations

import ast
from pathlib import Path

import contracts
from contracts.checks import REGISTRY

ENGINE = Path(contracts.__file__).parent
SCENARIOS = sorted((ENGINE / "scenarios").glob("*.py"))
# What records or decides a verdict: a scenario names none of it.
JUDGING_MODULES = {"contracts.judge", "contracts.checks", "contracts.failures"}
JUDGING_NAMES = {"ContractViolation", "Blocked", "NotVerifiable", "Skipped", "Judge", "judge"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | \
        {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def test_scenarios_never_record_a_verdict():
    """A scenario yields cases and the facts of what it did not send; it imports nothing that
    judges, raises no finding and touches no judge (it may read ``state.failed`` to route around)."""
    for path in SCENARIOS:
        assert {m for m in _imports(path) if m.split(".")[0:2] and any(m.startswith(j) for j in JUDGING_MODULES)} \
            == set(), path.name
        assert _names(path) & JUDGING_NAMES == set(), path.name


def test_checks_see_no_run():
    """A check judges from its CheckContext (spec, rules, the record, the case) alone."""
    run_modules = ("contracts.runner", "contracts.send", "contracts.state", "contracts.lifecycle",
                   "contracts.scenarios")  # (the answer's type, contracts.client.Response, is read)
    for path in sorted((ENGINE / "checks").glob("*.py")):
        imported = {m for m in _imports(path) if m.startswith(run_modules)}
        assert imported == set(), f"{path.name} imports {sorted(imported)}"


def test_one_way_to_send():
    """Only the sender asks the client for a request (the runner's preflight aside)."""
    senders = []
    for path in ENGINE.rglob("*.py"):
        if "mock" in path.parts or path.name in ("send.py", "client.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "request" and isinstance(node.value, ast.Attribute) \
                    and node.value.attr == "client":
                senders.append(f"{path.relative_to(ENGINE)}:{node.lineno}")
    assert senders == []


def test_every_answer_check_names_its_clause_or_the_cases():
    assert all(clause_id is None or clause_id in contracts_clauses() for clause_id, _ in REGISTRY)


def contracts_clauses() -> set[str]:
    from contracts.clauses import CLAUSES

    return set(CLAUSES)


def test_the_public_names_are_all_there_and_cheap_to_import():
    import subprocess
    import sys

    for name in contracts.__all__:
        assert getattr(contracts, name) is not None, name
    # `import contracts` loads none of the engine (the pytest plugin imports it in every session)
    done = subprocess.run([sys.executable, "-c", "import sys, contracts; print(sorted(m for m in sys.modules "
                           "if m.startswith('contracts.')))"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
