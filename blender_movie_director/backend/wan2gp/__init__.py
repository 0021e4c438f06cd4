"""Wan2GP backend: drive a self-hosted WanGP (Wan2GP) web UI through gradio_client.

Importing this package loads pydantic (the settings schemas) but not gradio_client; the client module
loads that on first use.
"""

from __future__ import annotations

from .enums import Category, ModelInfo, Task, get_model, recommend_models, video_model_ids
from .schemas import GenerationSettings, validate_settings

__all__ = [
    "Category",
    "GenerationSettings",
    "ModelInfo",
    "Task",
    "get_model",
    "recommend_models",
    "validate_settings",
    "video_model_ids",
]
