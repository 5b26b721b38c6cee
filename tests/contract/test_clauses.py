"""The shipped clause tests (contracts/suite), collected here for ``pytest tests/contract``."""

from contracts.suite.test_clauses import pytestmark, test_clause  # noqa: F401
