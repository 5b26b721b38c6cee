"""The shipped clause tests (contracts/suite), collected here for ``pytest tests/contract``."""

import pytest

from contracts.suite.test_clauses import pytestmark, test_clause  # noqa: F401

pytestmark = [pytestmark, pytest.mark.slow]  # a whole conformance run: left out of the fast tier
