"""One entry point for both backends: ``await ai_video_generate(prompt, provider=..., model=...)``.

Routes to the WaveSpeed services (async httpx, on the caller's event loop) or to a Wan2GP server (the
blocking gradio client, run in a worker thread). Both return the same :class:`GenerationResult`; progress
callbacks always run on the caller's event loop thread. Backends are imported only when used.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from .base import GenerationResult, ProgressCallback
from .errors import BackendError, ValidationError

PROVIDERS = ("wavespeed", "wan2gp")
DEFAULT_MODELS = {"wavespeed": "hunyuan-video-1.5"}

#: Arguments that configure the WaveSpeed connection rather than the generation.
_WAVESPEED_CLIENT_ARGS = ("api_key", "base_url", "options", "client")


def _on_loop(callback: ProgressCallback | None, loop: asyncio.AbstractEventLoop) -> ProgressCallback | None:
    """A progress callback safe to call from a worker thread: it runs on ``loop``."""
    if callback is None:
        return None

    def relay(fraction: float, text: str) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(callback, fraction, text)

    return relay


async def _wavespeed(
    prompt: str, model: str | None, progress_callback: ProgressCallback | None, kwargs: dict[str, Any]
) -> GenerationResult:
    from .wavespeed.services import get_wavespeed_text_to_video_service

    client_args = {k: kwargs.pop(k) for k in _WAVESPEED_CLIENT_ARGS if k in kwargs}
    if "output_dir" in kwargs:
        client_args["output_dir"] = kwargs.pop("output_dir")
    service = get_wavespeed_text_to_video_service(model or DEFAULT_MODELS["wavespeed"], **client_args)
    try:
        return await service.generate_video(prompt, progress_callback=progress_callback, **kwargs)
    finally:
        if "client" not in client_args:  # a shared provider is closed by its owner
            await service.aclose()


async def _wan2gp(
    prompt: str, model: str | None, progress_callback: ProgressCallback | None, kwargs: dict[str, Any]
) -> GenerationResult:
    from .wan2gp import get_client

    client = kwargs.pop("client", None) or get_client(kwargs.pop("url", None))
    kwargs.pop("url", None)
    given = [kwargs.pop(name, None) for name in ("cancel_event", "cancel")]
    cancel = next((c for c in given if c is not None), None) or threading.Event()
    if model is not None:
        kwargs["model"] = model
    if "output_dir" in kwargs and kwargs["output_dir"] is not None:
        kwargs["output_dir"] = Path(kwargs["output_dir"])
    relay = _on_loop(progress_callback, asyncio.get_running_loop())
    try:
        return await asyncio.to_thread(
            client.generate, None, prompt=prompt, progress=relay, cancel_event=cancel, **kwargs
        )
    except asyncio.CancelledError:
        cancel.set()  # the worker thread cannot be interrupted; ask the server to stop the job
        raise


async def ai_video_generate(
    prompt: str,
    provider: str = "wavespeed",
    model: str | None = None,
    progress_callback: ProgressCallback | None = None,
    **kwargs: Any,
) -> GenerationResult:
    """Generate one clip with ``provider`` ("wavespeed" or "wan2gp").

    ``model``: a WaveSpeed short name or full path (default ``hunyuan-video-1.5``), or a Wan2GP model id
    (default: the Wan2GP client's). ``kwargs`` are the backend's own settings (``duration``, ``resolution``,
    ``seed``…) plus, for WaveSpeed, ``api_key``/``base_url``/``output_dir``/``on_submitted``/``cancel``/
    ``timeout``/``max_cost``, and for Wan2GP ``url``/``output_dir``/``cancel_event``/``deadline``.
    Never raises for a failed generation: check ``result.success``.
    """
    name = (provider or "").strip().lower()
    try:
        if name == "wavespeed":
            return await _wavespeed(prompt, model, progress_callback, dict(kwargs))
        if name == "wan2gp":
            return await _wan2gp(prompt, model, progress_callback, dict(kwargs))
        raise ValidationError(
            f"Unknown provider '{provider}'. Use one of: {', '.join(PROVIDERS)}.",
            field="provider",
            allowed=PROVIDERS,
        )
    except BackendError as exc:
        return GenerationResult.failed(exc, backend=name or None, model=model, prompt=prompt)


__all__ = ["PROVIDERS", "ai_video_generate"]
