"""The shared measuring kit: repeated, interleaved samples; median, spread and percentiles; ratios to a peer.

Machines here are shared and noisy, so a figure is never one number: every measurement is repeated, ours
and the peer's run interleaved (ABBA order) in the same process run, and the table shows the median with
its spread (min-max over the samples). Nothing here asserts a time.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass(frozen=True)
class Stats:
    """Summary of repeated samples of one quantity."""

    n: int
    median: float
    low: float  # min
    high: float  # max
    p99: float
    samples: tuple[float, ...] = field(repr=False, default=())

    @classmethod
    def of(cls, samples: Sequence[float]) -> Stats:
        values = [float(s) for s in samples]
        if not values:
            raise ValueError("no samples")
        if any(math.isnan(v) for v in values):
            raise ValueError("a sample is NaN")
        return cls(
            n=len(values),
            median=float(statistics.median(values)),
            low=min(values),
            high=max(values),
            p99=percentile(values, 99.0),
            samples=tuple(values),
        )

    @property
    def spread(self) -> float:
        """Max minus min: how much repeats of the same measurement disagreed."""
        return self.high - self.low

    @property
    def relative_spread(self) -> float:
        """Spread as a fraction of the median (0 when the median is 0)."""
        return self.spread / abs(self.median) if self.median else 0.0

    def scaled(self, factor: float) -> Stats:
        """The same samples in another unit (e.g. seconds to milliseconds)."""
        return Stats.of([s * factor for s in self.samples])


def ratio(ours: Stats, peer: Stats) -> float:
    """Ours relative to the peer (1.0 = the same; below 1 = ours is smaller).

    With the same number of samples the two series were interleaved pairwise, so the median of the
    pairwise ratios is used: each pair shared the machine's mood of the moment. Otherwise medians divide.
    """
    if ours.n == peer.n and ours.n > 0 and all(p != 0 for p in peer.samples):
        return float(statistics.median(o / p for o, p in zip(ours.samples, peer.samples, strict=True)))
    if peer.median == 0:
        return math.inf if ours.median else 1.0
    return ours.median / peer.median


def interleave(
    ours: Callable[[], float], peer: Callable[[], float], repeat: int, *, warmup: int = 0
) -> tuple[list[float], list[float]]:
    """Run both measurements ``repeat`` times in ABBA order (ours, peer, peer, ours, ...).

    Each callable returns its own sample (a duration, a byte rate...). ``warmup`` rounds run first and
    are thrown away (caches, imports, first connections).
    """
    for _ in range(warmup):
        ours()
        peer()
    a: list[float] = []
    b: list[float] = []
    for i in range(repeat):
        if i % 2 == 0:
            a.append(ours())
            b.append(peer())
        else:
            b.append(peer())
            a.append(ours())
    return a, b


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, return value) of one call, on the monotonic high-resolution clock."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


@dataclass
class Row:
    """One line of the results table."""

    fig: str  # "P3"
    what: str
    unit: str  # "ms", "s", "MB/s", "MB", "requests", "x"
    ours: Stats | None = None
    peer: Stats | None = None
    peer_label: str = ""
    ratio: float | None = None
    target: str = ""
    #: True/False once judged; None when there is nothing to judge (informative row, or not measured).
    met: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ours is None:
            return "not measured"
        if self.met is None:
            return "—"
        return "met" if self.met else "MISSED"


def fmt_number(value: float) -> str:
    """A compact, fixed-precision rendering (3 significant digits, no scientific notation)."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, 2 - magnitude)
    return f"{value:.{decimals}f}"


def fmt_stats(stats: Stats | None, unit: str) -> str:
    if stats is None:
        return "—"
    text = f"{fmt_number(stats.median)} {unit}"
    if stats.n > 1:
        text += f" ({fmt_number(stats.low)}-{fmt_number(stats.high)}, n={stats.n})"
    return text


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value) or math.isnan(value):
        return f"{value}x"
    decimals = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{decimals}f}x"


def _ratio_cell(row: Row) -> str:
    """The ratio; when the pairwise ratio and the ratio of the medians disagree by more than 20 % (noise
    larger than the difference being measured), both are shown."""
    text = fmt_ratio(row.ratio)
    if row.ratio is None or row.ours is None or row.peer is None or row.peer.median == 0 or row.ratio <= 0:
        return text
    of_medians = row.ours.median / row.peer.median
    if of_medians > 0 and abs(math.log(row.ratio / of_medians)) > math.log(1.2):
        text += f" (medians: {fmt_ratio(of_medians)})"
    return text


def render_table(rows: Sequence[Row]) -> str:
    """A Markdown table: figure, what, ours, peer, ratio, target, verdict (medians with min-max, n)."""
    header = "| id | What | Ours: median (min-max, n) | Peer / limit | Ratio | Target | Verdict |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    for row in rows:
        peer = fmt_stats(row.peer, row.unit) if row.peer is not None else ""
        if row.peer_label:
            peer = f"{row.peer_label}: {peer}" if peer else row.peer_label
        cells = [
            row.fig,
            row.what + (f" — {row.note}" if row.note else ""),
            fmt_stats(row.ours, row.unit),
            peer or "—",
            _ratio_cell(row),
            row.target or "—",
            row.verdict,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
