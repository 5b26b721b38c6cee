"""contracts/options.py: every run option declared once, and both faces (the command line and the
pytest plugin) built from it, the repeatable ones included."""

from __future__ import annotations

import pytest

from contracts.cli import build_parser
from contracts.options import OPTIONS, values_from_pytest

GIVEN = [("header", "X-Route: videos"), ("header", "X-Tenant: t1"), ("include", "auth.*"),
         ("exclude", "auth.wrong-key-rejected"), ("api-key-header", "api-key"), ("target-name", "acme-video"),
         ("target-version", "2.1.0")]


def test_both_faces_read_the_same_values(pytester: pytest.Pytester):
    cli = vars(build_parser().parse_args(["run", *(a for name, value in GIVEN for a in (f"--{name}", value))]))
    config = pytester.parseconfig(*(a for name, value in GIVEN for a in (f"--contract-{name}", value)))
    plugin = values_from_pytest(config)
    assert {o.dest: plugin[o.dest] for o in OPTIONS} == {o.dest: cli[o.dest] for o in OPTIONS}
    assert plugin["headers"] == [("X-Route", "videos"), ("X-Tenant", "t1")]
    assert (plugin["include"], plugin["exclude"]) == (["auth.*"], ["auth.wrong-key-rejected"])


def test_a_repeatable_option_not_given_is_none_on_both_faces(pytester: pytest.Pytester):
    cli = vars(build_parser().parse_args(["run"]))
    plugin = values_from_pytest(pytester.parseconfig())
    assert [cli[d] for d in ("headers", "include", "exclude")] == [plugin[d] for d in ("headers", "include",
                                                                                        "exclude")] == [None] * 3
