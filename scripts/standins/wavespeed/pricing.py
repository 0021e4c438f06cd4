"""Prices per model, transcribed from the ``price`` notes of model_specs.json.

The real service evaluates a JSONata formula on ``base_price``; we compute the same numbers in Python.
Prices the research did not find are marked INVENTED here and in the docs: tests may rely on them being
stable, not on them matching the real bill.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .specs import DEFAULT_SPECS_PATH

#: The provider's price rules (rate tables per model), read for models without a rule below.
EXTRAS_PATH = DEFAULT_SPECS_PATH.with_name("model_extras.json")

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
        0.40,
        "duration * (generate_audio ? 0.15 : 0.10)",
        lambda i, s: (0.15 if i.get("generate_audio", True) else 0.10) * s,
    ),
    # INVENTED: no price was found for this model.
    "wavespeed-ai/ltx-2-19b/text-to-video": PriceRule(
        0.10, "base_price * duration / 5", lambda i, s: 0.02 * s
    ),
}

_FALLBACK = PriceRule(0.10, "base_price * duration / 5", lambda i, s: 0.02 * s)


@cache
def _extras_rules() -> dict[str, dict[str, Any]]:
    doc = json.loads(EXTRAS_PATH.read_text(encoding="utf-8"))
    return {
        model_id: extra["price_rule"] for model_id, extra in doc["models"].items() if "price_rule" in extra
    }


def _from_extras(raw: dict[str, Any]) -> PriceRule | None:
    """A rule from the shared data: the first rate whose ``when`` matches, per second or per run. None when
    the data has no rate (then the INVENTED fallback prices it)."""
    rates = [(dict(r["when"]), float(r["usd"])) for r in raw.get("rates", [])]
    if not rates:
        return None
    per_second = raw.get("per") == "second"

    def compute(inputs: dict[str, Any], seconds: float) -> float:
        usd = next((u for when, u in rates if all(inputs.get(k) == v for k, v in when.items())), rates[0][1])
        return usd * seconds if per_second else usd

    floor = min(usd for _when, usd in rates) * (5 if per_second else 1)
    return PriceRule(floor, f"{'rate x seconds' if per_second else 'per run'} (model_extras.json)", compute)


def rule_for(model_id: str) -> PriceRule:
    """The hand-written rule, else the shared data's rate table, else the INVENTED fallback."""
    if model_id in RULES:
        return RULES[model_id]
    raw = _extras_rules().get(model_id)
    return (_from_extras(raw) if raw else None) or _FALLBACK


def quote(model_id: str, inputs: dict[str, Any], seconds: float | None) -> float:
    """USD for one run. ``inputs`` carry the schema defaults; an empty dict quotes the floor price."""
    rule = rule_for(model_id)
    if not inputs:
        return rule.base_price
    if seconds is None:
        seconds = RETAKE_FALLBACK_SECONDS
    return round(rule.compute(inputs, float(seconds)), 4)
