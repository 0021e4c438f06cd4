"""The benchmark harness's statistics and table (no timing is asserted anywhere)."""

from __future__ import annotations

import math

import pytest

from bench.harness import Row, Stats, fmt_number, fmt_ratio, interleave, percentile, ratio, render_table


def test_percentile_interpolates_like_numpy() -> None:
    samples = [4.0, 1.0, 3.0, 2.0]
    assert percentile(samples, 0) == 1.0
    assert percentile(samples, 100) == 4.0
    assert percentile(samples, 50) == 2.5
    assert percentile(samples, 99) == pytest.approx(3.97)
    assert percentile([7.0], 99) == 7.0


@pytest.mark.parametrize("p", [-1, 100.5])
def test_percentile_refuses_out_of_range(p: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0, 2.0], p)


def test_stats_summarise_median_spread_and_tail() -> None:
    stats = Stats.of([10.0, 12.0, 11.0, 30.0, 9.0])
    assert (stats.n, stats.median, stats.low, stats.high) == (5, 11.0, 9.0, 30.0)
    assert stats.spread == 21.0
    assert stats.relative_spread == pytest.approx(21.0 / 11.0)
    assert stats.p99 == pytest.approx(percentile([9, 10, 11, 12, 30], 99))
    assert Stats.of([1.0, 2.0]).median == 1.5


def test_stats_refuse_nothing_and_nan() -> None:
    with pytest.raises(ValueError):
        Stats.of([])
    with pytest.raises(ValueError):
        Stats.of([1.0, math.nan])


def test_scaled_changes_the_unit_of_every_sample() -> None:
    stats = Stats.of([0.001, 0.003, 0.002]).scaled(1000)
    assert stats.samples == pytest.approx((1.0, 3.0, 2.0))
    assert stats.median == pytest.approx(2.0)


def test_ratio_pairs_interleaved_samples() -> None:
    # Pairwise ratios are 2, 2, 2 although the machine slowed down between pairs.
    ours = Stats.of([2.0, 20.0, 4.0])
    peer = Stats.of([1.0, 10.0, 2.0])
    assert ratio(ours, peer) == pytest.approx(2.0)
    # Median of medians when the counts differ.
    assert ratio(Stats.of([3.0]), Stats.of([1.0, 2.0])) == pytest.approx(2.0)
    assert ratio(Stats.of([0.0]), Stats.of([0.0])) == 1.0
    assert math.isinf(ratio(Stats.of([1.0]), Stats.of([0.0, 0.0])))


def test_interleave_alternates_order_and_drops_warmup() -> None:
    calls: list[str] = []

    def ours() -> float:
        calls.append("a")
        return 1.0

    def peer() -> float:
        calls.append("b")
        return 2.0

    a, b = interleave(ours, peer, 4, warmup=1)
    assert (a, b) == ([1.0] * 4, [2.0] * 4)
    assert "".join(calls) == "ab" + "ab" + "ba" + "ab" + "ba"


def test_fmt_number_keeps_three_significant_digits() -> None:
    assert fmt_number(1234.5) == "1234"
    assert fmt_number(12.345) == "12.3"
    assert fmt_number(0.01234) == "0.0123"
    assert fmt_number(0) == "0"


def test_fmt_ratio_keeps_large_ratios_short() -> None:
    assert (fmt_ratio(0.934), fmt_ratio(12.34), fmt_ratio(634.6), fmt_ratio(None)) == (
        "0.93x",
        "12.3x",
        "635x",
        "—",
    )


def test_table_shows_both_ratios_when_noise_makes_them_disagree() -> None:
    ours, peer = Stats.of([6.0, 6.0, 6.0]), Stats.of([4.0, 4.0, 7.0])
    row = Row("P8", "cached", "ms", ours, peer, "raw", ratio(ours, peer))
    assert "| 1.50x |" in render_table([row])  # pairwise 1.5, medians 1.5: one figure
    noisy = Stats.of([2.0, 9.0, 12.0])
    row = Row("P8", "cached", "ms", Stats.of([3.0, 10.0, 11.0]), noisy, "raw", 1.2)
    assert "| 1.20x |" in render_table([row])  # medians 1.11x: within 20 %
    row = Row("P8", "cached", "ms", Stats.of([3.0, 6.0, 11.0]), noisy, "raw", 1.5)
    assert "| 1.50x (medians: 0.67x) |" in render_table([row])


def test_table_shows_each_row_with_its_verdict() -> None:
    rows = [
        Row("P3", "job", "ms", Stats.of([10.0, 12.0]), Stats.of([9.0, 10.0]), "raw", 1.15, "≤ 1.15x", True),
        Row("P4", "wall", "s", Stats.of([5.0]), None, "", None, "≤ 0.3x", False, note="why"),
        Row("P1", "drain", "ms", note="failed: no bpy"),
        Row("P8", "reuse", "ms", Stats.of([1.0])),
    ]
    lines = render_table(rows).splitlines()
    assert lines[0].startswith("| id | What |")
    assert len(lines) == 2 + len(rows)
    expected = (
        "| P3 | job | 11.0 ms (10.0-12.0, n=2) | raw: 9.50 ms (9.00-10.0, n=2) | 1.15x | ≤ 1.15x | met |"
    )
    assert expected in lines
    assert lines[3].endswith("| MISSED |") and "wall — why" in lines[3]
    assert lines[4].endswith("| not measured |")
    assert lines[5].endswith("| — |")
