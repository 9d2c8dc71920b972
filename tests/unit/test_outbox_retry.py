"""The outbox's retry policy: full jitter under a capped exponential, its bounds from the settings."""

from __future__ import annotations

from dotline.services import outbox
from dotline.settings import Settings


def test_full_jitter_stays_under_the_capped_exponential() -> None:
    policy = outbox.RetryPolicy(max_attempts=10, base_s=1.0, cap_s=30.0)
    for attempts, ceiling in [(1, 1.0), (2, 2.0), (4, 8.0), (9, 30.0)]:
        delays = [policy.delay_s(attempts) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > ceiling / 2  # spread, not a constant


def test_the_policy_takes_its_attempts_and_cap_from_the_settings() -> None:
    settings = Settings(webhook_max_attempts=4, webhook_retry_cap_s=2.5)

    policy = outbox.RetryPolicy.from_settings(settings)

    assert (policy.max_attempts, policy.cap_s) == (4, 2.5)
    assert max(policy.delay_s(20) for _ in range(200)) <= 2.5
