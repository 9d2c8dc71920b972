"""Growth rule variants: cohorts by a hash of the person's id, shares honoured, rules applied."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from dotline.growth_rules import GrowthConfig, cohort_bucket, packaged_config


def with_variants(variants: list[dict[str, object]]) -> GrowthConfig:
    raw = packaged_config().model_dump()
    return GrowthConfig.model_validate({**raw, "variants": variants})


def test_cohorts_take_their_share_and_a_person_never_moves() -> None:
    config = with_variants(
        [{"name": "bold", "share_percent": 30, "rules": {"memory_created": {"self_act": 1.0}}}]
    )
    people = [uuid.UUID(int=n * 7919 + 17, version=4) for n in range(10_000)]

    picks = [config.variant_for(p) for p in people]

    share = sum(pick is not None for pick in picks) / len(people)
    assert abs(share - 0.30) <= 0.02
    assert all(config.variant_for(p) == pick for p, pick in zip(people, picks, strict=True))
    bold = next(p for p, pick in zip(people, picks, strict=True) if pick is not None)
    assert config.deltas("memory_created", variant=config.variant_for(bold)) == {"self_act": 1.0}
    assert config.deltas("journal_reflection", variant=config.variant_for(bold)) == (
        packaged_config().deltas("journal_reflection")
    )
    assert 0 <= cohort_bucket(bold) < 30


@pytest.mark.parametrize(
    "variants",
    [
        [{"name": "a", "share_percent": 60}, {"name": "b", "share_percent": 50}],
        [{"name": "a", "share_percent": 10}, {"name": "a", "share_percent": 10}],
        [{"name": "control", "share_percent": 10}],
    ],
)
def test_variants_that_do_not_fit_are_refused(variants: list[dict[str, object]]) -> None:
    with pytest.raises(ValidationError):
        with_variants(variants)
