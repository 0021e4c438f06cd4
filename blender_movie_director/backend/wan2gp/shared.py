"""The shared clients: one per server URL per process, and the one-call ``quick_video``."""

from __future__ import annotations

import threading

from ..base import GenerationResult
from .client import Wan2GPClient
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
