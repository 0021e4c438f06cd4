"""What a request will cost, in USD, from the price list shipped with the extension: no network, ever.

Used before a job is queued (the budget check runs on Blender's main thread, so it must never ask the
service for a live quote). Wan2GP is the user's own server: 0. A WaveSpeed request is validated like the
provider validates it and priced by its model's price rule (``backend/wavespeed/pricing.py``). Pure
Python, no bpy; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BackendError
from .request import Backend, GenerationRequest


@dataclass(frozen=True)
class Price:
    """``usd`` None: no documented price for this request (``why`` says so)."""

    usd: float | None
    estimated: bool = True
    why: str = ""


def request_price(request: GenerationRequest) -> Price:
    """The request's charge from the price list (Wan2GP: 0, self-hosted)."""
    if request.backend == Backend.WAN2GP:
        return Price(0.0, estimated=False)
    from ..wavespeed.pricing import estimate_prepared
    from ..wavespeed.roles import resolve_for_roles
    from ..wavespeed.validation import prepare_request
    from .runners import WaveSpeedRunner

    try:
        spec = resolve_for_roles(request.model, request.inputs)
        prepared = prepare_request(spec, WaveSpeedRunner.params_for(request, spec))
        estimate = estimate_prepared(prepared)
    except (BackendError, ValueError) as exc:  # a setting the model refuses has no price
        message = exc.user_message if isinstance(exc, BackendError) else str(exc)
        return Price(None, why=f"the price of {request.model} cannot be reckoned: {message}")
    if estimate.usd is None:
        return Price(
            None, why=f"{spec.display_name} has no documented price for these settings: {estimate.note}"
        )
    return Price(float(estimate.usd))


__all__ = ["Price", "request_price"]
