"""WaveSpeed cloud provider (bpy-free).

Model data, validation and cost estimates (``models``, ``validation``, ``pricing``) need no network
library; the client, provider and services import httpx, so everything here is loaded on first use.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "all_models": "models",
    "resolve_model": "models",
    "ModelSpec": "models",
    "prepare_request": "validation",
    "estimate_cost": "pricing",
    "CostEstimate": "pricing",
    "WaveSpeedClient": "client",
    "Timeouts": "client",
    "RetryPolicy": "..retry",
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


__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
