"""Prices per model, transcribed from the ``price`` notes of model_specs.json.

The real service evaluates a JSONata formula on ``base_price``; we compute the same numbers in Python.
Prices the research did not find are marked INVENTED here and in the docs: tests may rely on them being
stable, not on them matching the real bill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Seconds billed for a retake whose source length is unknown (INVENTED: the real minimum is unknown).
RETAKE_FALLBACK_SECONDS = 5.0

_480P = {"832*480", "480*832", "480p"}


@dataclass(frozen=True)
class PriceRule:
    base_price: float  # catalog base price: the quote with no inputs (the floor)
    formula: str  # shown in the catalog; informative only
    compute: Callable[[dict[str, Any], float], float]  # (inputs with defaults, seconds) -> USD


def _tiered(low: float, high: float, key: str) -> Callable[[dict[str, Any], float], float]:
    return lambda inputs, seconds: (low if str(inputs.get(key)) in _480P else high) * seconds


def _wan(inputs: dict[str, Any], seconds: float) -> float:
    tier = str(inputs.get("size") or inputs.get("resolution") or "")
    return (0.15 if "1080" in tier or "1920" in tier else 0.10) * seconds


def _seedance(inputs: dict[str, Any], seconds: float) -> float:
    per_5s = {"480p": 0.06, "720p": 0.13, "1080p": 0.30}  # 1080p INVENTED (not listed)
    price = per_5s.get(str(inputs.get("resolution")), 0.13) * seconds / 5
    return price * (2 if inputs.get("generate_audio", True) else 1)


RULES: dict[str, PriceRule] = {
    "wavespeed-ai/hunyuan-video-1.5/text-to-video": PriceRule(
        0.10, "duration * (size in 480p ? 0.02 : 0.04)", _tiered(0.02, 0.04, "size")
    ),
    # Not on the stored pages; assumed equal to t2v (unverified).
    "wavespeed-ai/hunyuan-video-1.5/image-to-video": PriceRule(
        0.10, "duration * (resolution = 480p ? 0.02 : 0.04)", _tiered(0.02, 0.04, "resolution")
    ),
    "lightricks/ltx-2-pro/text-to-video": PriceRule(0.06, "base_price * duration", lambda i, s: 0.06 * s),
    "lightricks/ltx-2-pro/image-to-video": PriceRule(0.06, "base_price * duration", lambda i, s: 0.06 * s),
    "lightricks/ltx-2-fast/text-to-video": PriceRule(0.04, "base_price * duration", lambda i, s: 0.04 * s),
    "lightricks/ltx-2-fast/image-to-video": PriceRule(0.04, "base_price * duration", lambda i, s: 0.04 * s),
    "lightricks/ltx-2-retake": PriceRule(0.10, "base_price * output seconds", lambda i, s: 0.10 * s),
    "alibaba/wan-2.6/text-to-video": PriceRule(0.50, "duration * (1080p ? 0.15 : 0.10)", _wan),
    "alibaba/wan-2.6/image-to-video": PriceRule(0.50, "duration * (1080p ? 0.15 : 0.10)", _wan),
    "kwaivgi/kling-v2.5-turbo-pro/text-to-video": PriceRule(
        0.35, "base_price * duration / 5", lambda i, s: 0.35 * s / 5
    ),
    "bytedance/seedance-v1.5-pro/text-to-video": PriceRule(
        0.06, "per 5 s by resolution, x2 with audio", _seedance
    ),
    "google/veo3.1-fast/text-to-video": PriceRule(
        0.80, "generate_audio ? 1.20 : 0.80", lambda i, s: 1.20 if i.get("generate_audio", True) else 0.80
    ),
    # INVENTED: no price was found for this model.
    "wavespeed-ai/ltx-2-19b/text-to-video": PriceRule(
        0.10, "base_price * duration / 5", lambda i, s: 0.02 * s
    ),
}

_FALLBACK = PriceRule(0.10, "base_price * duration / 5", lambda i, s: 0.02 * s)


def rule_for(model_id: str) -> PriceRule:
    return RULES.get(model_id, _FALLBACK)


def quote(model_id: str, inputs: dict[str, Any], seconds: float | None) -> float:
    """USD for one run. ``inputs`` carry the schema defaults; an empty dict quotes the floor price."""
    rule = rule_for(model_id)
    if not inputs:
        return rule.base_price
    if seconds is None:
        seconds = RETAKE_FALLBACK_SECONDS
    return round(rule.compute(inputs, float(seconds)), 4)
