"""Wan2GP backend: drive a self-hosted WanGP (Wan2GP) web UI through gradio_client.

Quick use::

    from blender_movie_director.backend.wan2gp import get_client, quick_video

    client = get_client("http://localhost:7860")
    path = quick_video("A cat walking in a garden")          # raises a typed error on failure
    result = client.generate_high_quality("Epic battle scene")
    if result.success:
        print(result.video_path)

Two transports reach WanGP: its web UI (Gradio, the default) and its MCP server (``wgp.py --mcp``, an
address ending in ``/mcp`` or ``transport="mcp"``); see :mod:`.mcp` and ``Wan2GPClient.transport``.

Importing this package loads nothing heavy: the model catalog (``catalog``) is plain data, pydantic loads with
the settings schemas and gradio_client/httpx when a server is first contacted. Names load on first access.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "ServerStatus": "client",
    "Wan2GPClient": "client",
    "default_output_dir": "client",
    "PROMPT_TEMPLATES": "templates",
    "Category": "catalog",
    "ModelInfo": "catalog",
    "Task": "catalog",
    "apply_template": "templates",
    "Wan2GPConfigTemplates": "templates",
    "get_model": "catalog",
    "recommend_models": "catalog",
    "video_model_ids": "catalog",
    "WaitTimeoutError": "job",
    "Wan2GPJob": "job",
    "PoolJob": "pool",
    "Wan2GPPool": "pool",
    "JobStatus": "progress",
    "Phase": "progress",
    "RemoteIds": "progress",
    "CONTROL_MODES": "catalog",
    "GenerationSettings": "schemas",
    "validate_settings": "schemas",
    "resolve_url": "transport",
    "get_client": "shared",
    "reset_clients": "shared",
    "quick_video": "shared",
    "GenerationResult": "..base",
    "TRANSPORTS": "client",
    "ModelRecord": "mcp.models",
    "LoraRecord": "mcp.models",
    "McpJob": "mcp.job",
    "FinishJob": "mcp.finish",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
