"""WaveSpeed cloud provider (bpy-free).

Model data, validation and cost estimates (``models``, ``validation``, ``pricing``) need no network
library; the client, provider and services import httpx, so everything here is loaded on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "all_models": "models",
    "resolve_model": "models",
    "ModelSpec": "models",
    "prepare_request": "validation",
    "estimate_cost": "pricing",
    "CostEstimate": "pricing",
    "WaveSpeedClient": "client",
    "Timeouts": "client",
    "RetryPolicy": "client",
    "PollSchedule": "polling",
    "WaveSpeedProvider": "provider",
    "ProviderOptions": "provider",
    "SubmittedTask": "provider",
    "WaveSpeedVideoService": "services",
    "HunyuanVideoService": "services",
    "LTX2ProService": "services",
    "LTX2FastService": "services",
    "LTX2RetakeService": "services",
    "get_wavespeed_text_to_video_service": "services",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
