"""The benchmark suite still runs against the current code (a short run of its quick figures).

Nothing here looks at a time: the suite exits non-zero when a figure could not be measured, and that is what
is checked. The full suite is ``scripts/bench.sh`` (docs/performance.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.standin, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _measure(figures: set[str], rows_for: set[str] | None = None) -> None:
    """Run ``figures`` once through the suite; each must have been measured (``rows_for``: the ids of the
    rows they give, when a figure gives more than one)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--only", ",".join(sorted(figures)), "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| P")]
    assert {row.split("|")[1].strip() for row in rows} == (rows_for or figures)
    assert not any("not measured" in row for row in rows)


@pytest.mark.blender
def test_quick_figures_are_measured() -> None:
    _measure({"P2", "P3", "P8"})


@pytest.mark.blender
def test_security_figures_are_measured() -> None:
    # P9 thumbnails, P10 a 40k-record job store, P11 hostile answers (issue 14): their code paths change with
    # the product's trust rules (P9 broke once when thumbnails became output-folder-only), so they run here.
    _measure({"P9", "P10", "P11"})


def test_mcp_figures_are_measured() -> None:
    # P13 one job over WanGP's MCP server, P14 its connect + discovery (issue 16). No Blender involved, so
    # not marked blender: it runs once, not once per Blender version.
    _measure({"P13"}, rows_for={"P13", "P14"})
