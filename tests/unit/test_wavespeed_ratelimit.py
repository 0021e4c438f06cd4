"""The waits between submits refused by WaveSpeed's rate limit (no server needed)."""

from __future__ import annotations

import pytest

from blender_movie_director.backend.wavespeed.provider import ProviderOptions
from blender_movie_director.backend.wavespeed.ratelimit import RateLimitWait


def test_default_waits_back_off_to_a_minute() -> None:
    policy = ProviderOptions().rate_limit_wait
    waits = [policy.delay(n, None) for n in range(1, 12)]
    assert waits[:4] == pytest.approx([5.0, 7.5, 11.25, 16.875])
    assert waits == sorted(waits) and max(waits) == 60.0 and waits[-1] == 60.0


def test_retry_after_is_honoured_but_capped() -> None:
    policy = RateLimitWait()
    assert policy.delay(3, 2.0) == 2.0  # the service's word beats our backoff
    assert policy.delay(1, 0.0) == 0.0
    assert policy.delay(1, -4.0) == 0.0
    assert policy.delay(1, 3600.0) == 60.0
