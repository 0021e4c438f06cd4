"""Wan2GP backend: drive a self-hosted WanGP (Wan2GP) web UI through gradio_client.

Quick use::

    from blender_movie_director.backend.wan2gp import get_client, quick_video

    client = get_client("http://localhost:7860")
    path = quick_video("A cat walking in a garden")          # raises a typed error on failure
    result = client.generate_high_quality("Epic battle scene")
    if result.success:
        print(result.video_path)

Importing this package loads pydantic (the settings schemas) but not gradio_client or httpx; those load
when a server is first contacted.
"""

from __future__ import annotations

import threading

from ..base import GenerationResult
from .client import ServerStatus, Wan2GPClient, default_output_dir
from .enums import (
    PROMPT_TEMPLATES,
    Category,
    ModelInfo,
    Task,
    apply_template,
    get_model,
    recommend_models,
    video_model_ids,
)
from .fallback import generate_with_fallback
from .job import WaitTimeoutError, Wan2GPJob
from .pool import PoolJob, Wan2GPPool
from .progress import JobStatus, Phase, RemoteIds
from .schemas import CONTROL_MODES, GenerationSettings, validate_settings
from .transport import resolve_url

_CLIENTS: dict[str, Wan2GPClient] = {}
_CLIENTS_LOCK = threading.Lock()


def get_client(url: str | None = None, **kwargs: object) -> Wan2GPClient:
    """The shared client for ``url`` (argument, else ``WAN2GP_URL``, else ``http://localhost:7860``).

    One client per URL per process, created on first use; ``kwargs`` (auth, headers, timeout…) apply only
    when it is created. Thread-safe.
    """
    key = resolve_url(url)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = Wan2GPClient(key, **kwargs)  # type: ignore[arg-type]
            _CLIENTS[key] = client
        return client


def reset_clients() -> None:
    """Forget the shared clients (closing their idle sessions); for add-on unregister and tests."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        client.close()


def quick_video(prompt: str, url: str | None = None, **kwargs: object) -> str:
    """Generate a fast ~2 s preview and return the video's path; raises a typed error on failure."""
    result: GenerationResult = get_client(url).generate_quick(prompt, **kwargs)
    return result.raise_for_error()


__all__ = [
    "CONTROL_MODES",
    "PROMPT_TEMPLATES",
    "Category",
    "GenerationResult",
    "GenerationSettings",
    "JobStatus",
    "ModelInfo",
    "Phase",
    "PoolJob",
    "RemoteIds",
    "ServerStatus",
    "Task",
    "WaitTimeoutError",
    "Wan2GPClient",
    "Wan2GPJob",
    "Wan2GPPool",
    "apply_template",
    "default_output_dir",
    "generate_with_fallback",
    "get_client",
    "get_model",
    "quick_video",
    "recommend_models",
    "reset_clients",
    "validate_settings",
    "video_model_ids",
]
