"""The WaveSpeed poll schedule as a pure function, and when a job asks for a live price quote."""

from __future__ import annotations

import itertools

import pytest

from blender_movie_director.backend.wavespeed.polling import PollSchedule
from blender_movie_director.backend.wavespeed.provider import ProviderOptions, WaveSpeedProvider


def _poll_times(schedule: PollSchedule, typical: float | None, count: int) -> list[float]:
    return list(itertools.accumulate(itertools.islice(schedule.intervals(typical), count)))


def test_polls_every_second_through_the_typical_time_then_backs_off():
    intervals = list(itertools.islice(PollSchedule().intervals(5.0), 10))
    assert intervals[:5] == [1.0] * 5
    assert intervals[5:] == [1.5, 2.25, 3.375, 4.0, 4.0]


def test_a_short_task_is_noticed_within_a_second():
    """The P4 case: a 3 s task on a model that typically takes 109 s is seen at the poll at 3 s."""
    times = _poll_times(PollSchedule(), 109.0, 200)
    first_after = next(t for t in times if t >= 3.0)
    assert first_after - 3.0 < 1.0
    assert all(b - a == 1.0 for a, b in itertools.pairwise(t for t in times if t <= 109.0))


def test_unknown_typical_time_polls_steadily_for_the_default_then_backs_off():
    schedule = PollSchedule()
    intervals = list(itertools.islice(schedule.intervals(None), 14))
    assert intervals[:10] == [1.0] * 10 and intervals[10] == 1.5 and intervals[-1] == 4.0


def test_long_jobs_settle_at_the_cap():
    times = _poll_times(PollSchedule(), 60.0, 200)
    after = [b - a for a, b in itertools.pairwise(t for t in times if t > 70.0)]
    assert after and set(after) == {4.0}


def test_fast_schedules_for_tests_keep_their_shape():
    schedule = PollSchedule(first=0.05, factor=1.5, cap=0.3, default_steady=0.1)
    assert list(itertools.islice(schedule.intervals(None), 5)) == pytest.approx(
        [0.05, 0.05, 0.075, 0.1125, 0.16875]
    )


def test_zero_typical_time_backs_off_at_once():
    assert list(itertools.islice(PollSchedule().intervals(0.0), 3)) == [1.5, 2.25, 3.375]


@pytest.mark.parametrize(
    ("choice", "max_cost", "expected"),
    [(None, None, False), (None, 1.0, True), (True, None, True), (False, 1.0, False), (False, None, False)],
)
def test_a_live_quote_is_asked_only_for_a_budget_unless_told(choice, max_cost, expected):
    provider = WaveSpeedProvider(
        api_key="k", base_url="http://127.0.0.1:9", options=ProviderOptions(quote_price=choice)
    )
    assert provider.wants_quote(max_cost) is expected
