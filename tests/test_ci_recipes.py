"""The CI recipes in docs/ci stay true: valid YAML, and every videos-contract command in them
parses with the real command line."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from contracts.cli import build_parser

RECIPES = sorted((Path(__file__).resolve().parents[1] / "docs" / "ci").glob("*.yml"))


def commands(node) -> list[str]:
    if isinstance(node, dict):
        return [c for value in node.values() for c in commands(value)]
    if isinstance(node, list):
        return [c for value in node for c in commands(value)]
    if isinstance(node, str):
        return [line.strip() for line in node.splitlines() if re.match(r"\s*videos-contract ", line)]
    return []


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_recipe_commands_parse(recipe: Path) -> None:
    found = commands(yaml.safe_load(recipe.read_text()))
    assert any(" run " in f" {c} " for c in found), "the recipe runs no conformance check"
    for command in found:
        argv = shlex.split(command.split(">")[0].rstrip("&").strip())[1:]
        build_parser().parse_args(argv)  # exits 2 on an option the CLI does not have


def test_there_are_recipes_for_github_and_gitlab() -> None:
    assert {r.name for r in RECIPES} >= {"github-actions.yml", "gitlab-ci.yml"}
