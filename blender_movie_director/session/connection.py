"""The preferences' "Test Connection": ask each backend whether it answers, off the main thread.

One short-lived worker thread per backend does the network calls with short timeouts; results land in a
small locked table the preferences draw from. The threads never touch ``bpy``; ``join()`` (called on
unregister) waits for them, so none outlives the extension.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..backend.errors import BackendError
from .workers import Board


@dataclass(frozen=True)
class BackendState:
    backend: str  # "WAN2GP" | "WAVESPEED"
    ok: bool | None  # None while the check runs
    text: str
    checked_at: float = 0.0


_board = Board()
_results: dict[str, BackendState] = {}


def results() -> dict[str, BackendState]:
    with _board.lock:
        return dict(_results)


def running() -> bool:
    return _board.running()


def take_changed() -> bool:
    """True once after results changed (the drain timer then redraws the preferences)."""
    return _board.take_changed()


def _set(state: BackendState) -> None:
    _board.post(_results, state.backend, state)


def _run(backend: str, check: Callable[[], tuple[bool, str]]) -> None:
    try:
        ok, text = check()
    except BackendError as exc:
        ok, text = False, exc.user_message
    except Exception as exc:  # report anything to the user rather than lose it in a thread
        ok, text = False, f"{type(exc).__name__}: {exc}"
    _set(BackendState(backend, ok, text, time.time()))


def check_wan2gp(urls: tuple[str, ...], username: str, password: str, timeout: float) -> tuple[bool, str]:
    from ..backend.wan2gp import Wan2GPClient

    lines, all_ok = [], True
    for url in urls:
        client = Wan2GPClient(
            url,
            auth=(username, password) if username else None,
            connect_timeout=timeout,  # the read timeout stays the default: it must outlast the heartbeat
        )
        try:
            status = client.get_server_status()
        finally:
            client.close()
        if status.reachable and not status.error:
            version = f"Wan2GP {status.wan2gp_version}" if status.wan2gp_version else "Wan2GP"
            lines.append(f"{url}: {version} ready ({status.latency_ms or 0:.0f} ms)")
        else:
            all_ok = False
            lines.append(f"{url}: {status.error or 'not reachable'}")
    return all_ok, "; ".join(lines)


def check_wavespeed(api_key: str, base_url: str, timeout: float) -> tuple[bool, str]:
    if not api_key:
        return False, "No API key (set one here or in WAVESPEED_API_KEY)"
    import asyncio  # here, not at the top: importing it costs ~40 ms of every Blender start

    from ..backend.wavespeed.client import WaveSpeedClient
    from ..backend.wavespeed.control import Control

    async def balance() -> float:
        client = WaveSpeedClient(api_key, base_url)
        try:
            return await client.get_balance(Control(timeout=timeout))
        finally:
            await client.aclose()

    value = asyncio.run(balance())
    return True, f"{base_url}: key accepted, balance ${value:.2f}"


def start(
    *,
    wan2gp_urls: tuple[str, ...],
    username: str,
    password: str,
    wavespeed_key: str,
    wavespeed_url: str,
    timeout: float = 10.0,
) -> None:
    """Start one check per backend (a check already running is not started twice)."""
    if running():
        return
    from ..blender import ticker

    ticker.start()  # the drain's tick redraws the preferences when a result comes in
    checks: dict[str, Callable[[], tuple[bool, str]]] = {
        "WAN2GP": lambda: check_wan2gp(wan2gp_urls, username, password, timeout),
        "WAVESPEED": lambda: check_wavespeed(wavespeed_key, wavespeed_url, timeout),
    }
    for backend, check in checks.items():
        _set(BackendState(backend, None, "Checking..."))
        _board.start(_run, (backend, check), f"movie-director-check-{backend.lower()}")


def join(timeout: float = 15.0) -> bool:
    """Wait for running checks; True if none is left."""
    return _board.join(timeout)


def clear() -> None:
    with _board.lock:
        _results.clear()
