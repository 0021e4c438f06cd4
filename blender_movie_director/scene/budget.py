"""The project's spending cap, read and set: the limit (``Scene.movie_director.budget``) and what the
scene's takes cost so far (each take keeps its cost, quoted or reckoned from the price list).

No job logic here (the check before a job is queued is ``session/budget.py``). Main thread only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import shots


class BudgetValueError(ValueError):
    """A budget that cannot be one (0 or less, not a number); the message says so."""


@dataclass(frozen=True)
class Spend:
    """What the scene's takes cost: ``usd`` (known costs), whether any was ``estimated`` (from the price
    list, not a quote), and how many takes have no known cost (``unknown``)."""

    usd: float
    estimated: bool
    unknown: int

    def text(self) -> str:
        known = f"{'≈' if self.estimated else ''}${self.usd:.2f}"
        return f"{known} (+{self.unknown} take(s) of unknown cost)" if self.unknown else known


def limit(scene: Any) -> float | None:
    """The budget in USD, or None when the scene has none."""
    budget = scene.movie_director.budget
    return float(budget.limit_usd) if budget.use_limit else None


def set_limit(scene: Any, usd: float | None) -> None:
    """Set the budget (USD, more than 0), or remove it with None. Raises :class:`BudgetValueError`."""
    budget = scene.movie_director.budget
    if usd is None:
        budget.use_limit = False
        return
    if isinstance(usd, bool) or not isinstance(usd, int | float) or not math.isfinite(usd):
        raise BudgetValueError(f"A budget is an amount in dollars, not {usd!r}.")
    if usd <= 0:
        raise BudgetValueError(
            f"A budget of ${usd:.2f} would refuse every job; give more than $0 (or None for no budget)."
        )
    budget.limit_usd = float(usd)
    budget.use_limit = True


def spent(scene: Any) -> Spend:
    """The cost of every take of the scene's shots (takes whose cost is unknown are counted apart)."""
    usd = 0.0
    estimated = False
    unknown = 0
    for obj in shots.scene_shots(scene):
        for take in obj.movie_director.takes:
            if take.cost < 0:
                # Wan2GP runs on the user's own server: nothing billed, whatever its metadata says.
                unknown += not take.backend.lower().startswith("wan2gp")
                continue
            usd += take.cost
            estimated = estimated or (take.cost_estimated and take.cost > 0)
    return Spend(round(usd, 4), estimated, unknown)


def summary(scene: Any) -> str:
    """One line for the panels: ``Project: ≈$1.20 of $5.00`` (or the spend alone without a budget)."""
    cap = limit(scene)
    spend = spent(scene).text()
    return f"Project: {spend} of ${cap:.2f}" if cap is not None else f"Project: {spend}"
