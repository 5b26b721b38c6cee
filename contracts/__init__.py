"""videos-contract: the conformance kit for the Videos API.

The public face is the names in ``__all__`` (imported on first use, so that ``import contracts``
stays cheap), and four modules meant to be imported as they are: ``contracts.mock`` (the reference
server), ``contracts.report`` (writing and comparing reports), ``contracts.pytest_plugin`` and
``contracts.suite`` (the pytest face). Every other module is internal: its names may change between
versions (the engine's layers, in the order data flows: spec, rules, clauses, cases, client,
history, checks, judge, state, send, scenarios, runner; and intent and proxy, which grade live traffic
with the same history, checks and judge).

The kit's version is said here and nowhere else: the package metadata reads it at build time
(``[tool.hatch.version]`` in pyproject.toml), and ``videos-contract --version`` and every report
read it from here.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> the internal module that defines it
_PUBLIC = {
    "run": "contracts.runner",
    "RunOptions": "contracts.options",
    "RunResult": "contracts.types",
    "ClauseResult": "contracts.types",
    "Evidence": "contracts.types",
    "Exchange": "contracts.types",
    "Verdict": "contracts.types",
    "Clause": "contracts.types",
    "CLAUSES": "contracts.clauses",
    "Spec": "contracts.spec",
    "load_spec": "contracts.spec",
    "Rules": "contracts.rules",
    "Case": "contracts.cases",
    "History": "contracts.history",
    "Judge": "contracts.judge",
    "EmbeddedServer": "contracts.embedded",
    "ContractViolation": "contracts.failures",
    "SetupError": "contracts.failures",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'contracts' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
