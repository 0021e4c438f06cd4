"""The spending cap, checked where every job enters (``engine.submit``) and once for a whole batch.

A job is refused before anything is sent when its price (from the price list: ``backend/jobs/cost.py``,
never a live quote, so no network on the main thread) would take the project's spend past its budget.
The spend is what the scene's takes cost (``scene/budget.py``) plus the jobs queued or running for it.
With a budget set, a job of unknown price is refused too. Main thread only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

import bpy

from ..backend.jobs.cost import Price, request_price
from ..backend.jobs.request import GenerationRequest
from ..scene import budget as scene_budget

#: job id -> (scene name, its estimated price): the jobs queued or running, counted against the budget
#: until the drain has handled their end (then the take's own cost counts, or nothing when it failed).
_pending: dict[str, tuple[str, float]] = {}


class BudgetError(ValueError):
    """The job (or batch) would pass the budget, or its price is unknown while a budget is set."""


@dataclass(frozen=True)
class Estimate:
    """A batch's price: the known total, and the labels of the jobs whose price is unknown (with why)."""

    usd: float
    count: int
    unknown: tuple[str, ...] = ()

    def text(self) -> str:
        words = f"{self.count} job(s), ≈${self.usd:.2f}"
        return f"{words} + {len(self.unknown)} of unknown price" if self.unknown else words


def estimate(requests: Iterable[GenerationRequest]) -> Estimate:
    """The total price of ``requests`` from the price list."""
    total = 0.0
    count = 0
    unknown: list[str] = []
    for request in requests:
        count += 1
        price = request_price(request)
        if price.usd is None:
            unknown.append(f"{request.label or request.model}: {price.why}")
        else:
            total += price.usd
    return Estimate(round(total, 4), count, tuple(unknown))


def pending(scene_name: str, active: Collection[str]) -> float:
    """What the scene's queued and running jobs will cost (those still in ``active``)."""
    for job_id in [j for j in _pending if j not in active]:
        del _pending[job_id]
    return sum(usd for name, usd in _pending.values() if name == scene_name)


def remaining(scene: bpy.types.Scene, active: Collection[str]) -> float | None:
    """What is left of the scene's budget (None: no budget), after its takes and its running jobs."""
    cap = scene_budget.limit(scene)
    if cap is None:
        return None
    return cap - scene_budget.spent(scene).usd - pending(scene.name, active)


def _scene(request: GenerationRequest) -> bpy.types.Scene | None:
    return bpy.data.scenes.get(request.shot.scene) if request.shot.scene else None


def check_batch(
    scene: bpy.types.Scene,
    batch: Estimate,
    active: Collection[str],
    *,
    max_cost: float | None = None,
    what: str = "This batch",
) -> None:
    """Refuse ``batch`` (raise :class:`BudgetError`, with the numbers) if it would pass the scene's budget
    or ``max_cost``, or if a price is unknown while either is set."""
    if max_cost is not None and max_cost <= 0:
        raise BudgetError(f"A cost limit of ${max_cost:.2f} would refuse every job; give more than $0.")
    left = remaining(scene, active)
    if left is None and max_cost is None:
        return
    if batch.unknown:
        raise BudgetError(
            f"{what} was not submitted: a budget is set and the price of {len(batch.unknown)} job(s) is "
            f"unknown ({batch.unknown[0]}). Remove the budget to run it anyway."
        )
    if max_cost is not None and batch.usd > max_cost + 1e-9:
        raise BudgetError(
            f"{what} would cost ≈${batch.usd:.2f}, above the limit of ${max_cost:.2f}; nothing was submitted."
        )
    if left is not None and batch.usd > left + 1e-9:
        cap = scene_budget.limit(scene) or 0.0
        raise BudgetError(
            f"{what} would cost ≈${batch.usd:.2f}; the project has ${max(0.0, left):.2f} of its "
            f"${cap:.2f} budget left. Nothing was submitted (raise the budget in the Takes panel)."
        )


def admit(request: GenerationRequest, active: Collection[str]) -> float | None:
    """Refuse ``request`` if it would pass its scene's budget (raises :class:`BudgetError`); else its price
    (None when no budget applies and the price was not needed)."""
    scene = _scene(request)
    if scene is None or scene_budget.limit(scene) is None:
        return None
    price: Price = request_price(request)
    single = Estimate(price.usd or 0.0, 1, () if price.usd is not None else (price.why,))
    what = f"This {'shot' if request.shot.shot else 'job'}"
    check_batch(scene, single, active, what=what)
    return price.usd


def track(job_id: str, request: GenerationRequest, usd: float | None) -> None:
    """Count the queued job against its scene's budget until its end is handled."""
    if usd is not None and usd > 0:
        _pending[job_id] = (request.shot.scene, usd)
