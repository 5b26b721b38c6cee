"""The shipped schemathesis tests (contracts/suite), collected here for ``pytest tests/contract``."""

from contracts.suite.test_schemathesis import contract_schema, pytestmark, test_operation  # noqa: F401
