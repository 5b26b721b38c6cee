"""Schemathesis' own pytest integration and checks, against the same target.

The clause tests decide the contract; this adds schemathesis' view: generated requests for every
operation, judged by its built-in checks against spec/openapi.yaml. Creating operations run only
against the embedded server: on an external one, jobs are bounded by --max-creates and the
contract run already sent its generated creates.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contracts.rules import CREATE_CHARACTER
from contracts.rules import CREATING as RULES_CREATING
from contracts.spec import default_spec_path

pytestmark = pytest.mark.contract
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
# Operations that create something on the server: jobs, and characters.
CREATING = RULES_CREATING | {CREATE_CHARACTER}


@pytest.fixture(scope="session")
def contract_schema(contract_options):
    schema = schemathesis.openapi.from_path(str(default_spec_path()))
    schema.config.update(base_url=contract_options.base_url, headers=contract_options.request_headers())
    return schema


schema = schemathesis.pytest.from_fixture("contract_schema")


@schema.parametrize()
@settings(max_examples=8, database=None, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_operation(case, contract_options):
    if (case.operation.method.upper(), case.operation.path) in CREATING and not contract_options.embedded:
        pytest.skip("creates are bounded by --max-creates on an external target")
    if case.media_type == "multipart/form-data" and isinstance(case.body, dict) and "input_reference" in case.body:
        # schemathesis' built-in file samples are not images of the requested size (shared notes):
        # the explicit image cases of the contract run cover input_reference.
        case.body.pop("input_reference")
    case.call_and_validate(checks=CHECKS, timeout=15)
