"""The plan of the valid creates (contracts/plan.py) and honest coverage (Recorder.dropped)."""

from __future__ import annotations

import pytest

from contracts import plan
from contracts.rules import Rules
from contracts.spec import load_spec

VALID_CLAUSES = {
    "create.prompt.min-length-accepted", "create.prompt.max-length-accepted",
    "create.prompt.multibyte-max-length-accepted", "create.prompt.unusual-unicode-accepted",
    "create.model.every-value-accepted", "create.seconds.every-value-accepted", "create.size.every-value-accepted",
    "create.image-reference-accepted", "create.image-url-reference-accepted",
}


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules.from_spec(load_spec())


def test_the_documented_contract_packs_into_the_fewest_creates_possible(rules):
    packs = plan.pack(plan.properties(rules))
    # at least one create per value of the longest enum, and three images and three prompts apart
    assert len(packs) == max(len(rules.models), len(rules.seconds), len(rules.sizes), 3) == 5
    assert {c for p in packs for c in p.clauses} == VALID_CLAUSES


def test_every_enum_value_is_in_some_pack(rules):
    packs = plan.pack(plan.properties(rules))
    for name, key in plan.ENUMS:
        assert sorted(p.changes[name] for p in packs if name in p.changes) == sorted(getattr(rules, key))


def test_a_pack_holds_one_prompt_one_image_one_encoding_and_one_value_per_field(rules):
    for packed in plan.pack(plan.properties(rules)):
        assert sum(p.prompt is not None for p in packed.properties) <= 1
        assert sum(p.has_image for p in packed.properties) <= 1
        assert len({p.encoding for p in packed.properties} - {None}) <= 1
        for name in ("model", "seconds", "size"):
            assert len({p.changes[name] for p in packed.properties if name in p.changes}) <= 1


def test_an_image_sent_alone_takes_the_default_size(rules):
    images = [p for p in plan.properties(rules) if p.has_image]
    for image in images:
        alone = image.alone or image
        assert alone.changes["size"] == rules.defaults["size"]


def test_the_mixed_long_prompt_splits_into_ascii_2_byte_and_4_byte(rules):
    mixed = next(p for p in plan.properties(rules) if p.clause == plan.MAX_LENGTH)
    assert len(mixed.prompt) == rules.prompt_max
    assert [len(p.prompt) for p in mixed.parts] == [rules.prompt_max] * 3
    assert [p.clause for p in mixed.parts] == [plan.MAX_LENGTH, plan.MULTIBYTE_MAX, plan.MULTIBYTE_MAX]
    assert len(mixed.prompt.encode("utf-16-le")) // 2 > rules.prompt_max  # a UTF-16 count refuses it


def test_default_max_creates_is_the_plan_plus_its_margins(rules):
    assert plan.jobs_needed(rules) == 2 + 5 + 3 + plan.DERIVED_JOBS
    assert plan.default_max_creates(rules) == 10 + plan.DERIVED_JOBS + plan.GENERATED_MARGIN + plan.DEVIATION_MARGIN == 25


