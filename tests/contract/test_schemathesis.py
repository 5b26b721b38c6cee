"""The shipped schemathesis tests (contracts/suite), collected here for ``pytest tests/contract``."""

import pytest

from contracts.suite.test_schemathesis import contract_judging, contract_schema, pytestmark, test_operation  # noqa: F401

pytestmark = [pytestmark, pytest.mark.slow]  # a whole conformance run: left out of the fast tier
