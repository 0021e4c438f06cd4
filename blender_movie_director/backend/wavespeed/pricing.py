"""Cost estimates from each model's price rule (data in ``model_extras.json``), made before any request.

The live quote (``POST /api/v3/model/price``) is the authority when online; this estimate is what the
UI can show offline and what guards a budget before submitting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .models import ModelSpec, resolve_model
from .validation import PreparedRequest, prepare_request


@dataclass(frozen=True)
class CostEstimate:
    model_id: str
    usd: float | None  # None: no documented price for these settings
    per: str  # "second" | "generation"
    rate_usd: float | None
    billed_seconds: float | None
    confidence: str  # confirmed | likely | unverified
    note: str = ""

    def __str__(self) -> str:
        if self.usd is None:
            return f"price unknown ({self.note or 'no documented price for these settings'})"
        if self.per == "second":
            basis = f"{self.billed_seconds:g} s x ${self.rate_usd:.3f}/s"
        else:
            basis = "per generation"
        return f"${self.usd:.2f} ({basis}, {self.confidence})"


def _matches(when: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    return all(params.get(k) == v for k, v in when.items())


def _input_video_seconds(prepared: PreparedRequest) -> float | None:
    path = prepared.uploads.get("video")
    if path is None:
        return None
    from ..media import probe_video  # pure Python; only MP4/MOV can be measured

    try:
        return probe_video(Path(path)).duration
    except Exception:
        return None


def estimate_prepared(prepared: PreparedRequest, *, input_seconds: float | None = None) -> CostEstimate:
    spec: ModelSpec = prepared.spec
    rule = spec.price_rule
    params = prepared.effective()
    rate = next((usd for when, usd in rule.rates if _matches(when, params)), None)
    seconds: float | None = None
    if rule.per == "second":
        if rule.seconds == "input_video":
            seconds = input_seconds if input_seconds is not None else _input_video_seconds(prepared)
        else:
            raw = params.get(rule.seconds or "duration")
            seconds = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
        if seconds is not None and rule.min_seconds is not None:
            seconds = max(seconds, float(rule.min_seconds))
    if rate is None:
        return CostEstimate(
            spec.model_id,
            None,
            rule.per,
            None,
            seconds,
            rule.confidence,
            rule.note or "no documented price for these settings",
        )
    if rule.per == "second":
        if seconds is None:
            return CostEstimate(
                spec.model_id,
                None,
                rule.per,
                rate,
                None,
                rule.confidence,
                "the billed length is unknown (input video could not be measured)",
            )
        usd = round(rate * seconds, 4)
    else:
        usd = rate
    return CostEstimate(spec.model_id, usd, rule.per, rate, seconds, rule.confidence, rule.note)


def estimate_cost(
    model: str | ModelSpec, *, input_seconds: float | None = None, **params: Any
) -> CostEstimate:
    """Validate ``params`` for ``model`` and estimate the charge in USD, without any request.

    Raises :class:`ValidationError` for settings the model would not accept (a wrong setting has no price).
    """
    spec = model if isinstance(model, ModelSpec) else resolve_model(model, task=_task_hint(params))
    return estimate_prepared(prepare_request(spec, params), input_seconds=input_seconds)


def per_second_range(spec: ModelSpec) -> tuple[float, float] | None:
    """The model's price per output second from the price list, lowest and highest over its rate table
    (resolution, sound...): None when no price is documented. A per-run price is spread over the run's
    seconds (an extend step, else the default duration)."""
    rates = [usd for _when, usd in spec.price_rule.rates]
    if not rates:
        return None
    if spec.price_rule.per != "second":
        seconds = spec.extra.get("extend_seconds") or spec.defaults().get("duration")
        if not isinstance(seconds, int | float) or seconds <= 0:
            return None
        rates = [usd / seconds for usd in rates]
    return min(rates), max(rates)


def per_second_text(spec: ModelSpec) -> str:
    """``"$0.157-0.235/s"``, ``"$0.100/s"`` or ``"price unknown"`` for pickers and tables."""
    span = per_second_range(spec)
    if span is None:
        return "price unknown"
    low, high = span
    return f"${low:.3f}/s" if abs(high - low) < 1e-9 else f"${low:.3f}-{high:.3f}/s"


def _task_hint(params: Mapping[str, Any]) -> str | None:
    if params.get("video") is not None:
        return "video-edit"
    if params.get("image") is not None:
        return "image-to-video"
    return None


__all__ = ["CostEstimate", "estimate_cost", "estimate_prepared", "per_second_range", "per_second_text"]
