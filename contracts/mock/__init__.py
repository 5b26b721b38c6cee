"""The reference server ("mock"): a faithful, stateful implementation of the Videos API contract.

    from contracts.mock import MockConfig, create_app
    app = create_app(MockConfig(api_key="sk-test", job_seconds=0.5))  # an ASGI app, routes under /v1

Everything the server checks (enums, limits, defaults, known parameters) is read from the spec
through one ``Rules`` object; a target profile (``MockConfig(profile="profiles/wan22.toml")``)
patches the spec's enums and defaults first. ``MockConfig(faults={"seconds-integer"})`` makes the
server deviate on purpose (``contracts.mock.faults``; docs/faults.md). For a client's own tests it
has control routes under ``/_mock/`` (``contracts.mock.control``), a manual clock, namespaces,
faults per request, and the ``videos_mock`` pytest fixture (``contracts.mock.testing``; docs/mock.md).
"""

from contracts.mock.app import create_app
from contracts.mock.config import DEFAULT_MAX_BODY_BYTES, MockConfig
from contracts.mock.errors import APIError
from contracts.rules import Rules

__all__ = ["APIError", "DEFAULT_MAX_BODY_BYTES", "MockConfig", "Rules", "create_app"]
