"""The extension's one persistent ``bpy.app.timers`` function.

It is registered when the extension is enabled but stays a no-op until something can have work for the
drain (a job engine, a connection check, a thumbnail a panel asked for): those call :func:`start`, which
loads :mod:`.drain` and the director tools' job handling. A session that never generates never loads them.
"""

from __future__ import annotations

from collections.abc import Callable

ACTIVE_INTERVAL = 0.1
IDLE_INTERVAL = 0.5

_run: Callable[[], float] | None = None
_busy: set[str] = set()  # "save", "render": Sequencer edits wait while any is set


def timer() -> float:
    """The registered timer: the drain's tick once started, else a slow tick that does nothing."""
    run = _run
    return run() if run is not None else IDLE_INTERVAL


def start() -> None:
    """From now on each tick drains job events (idempotent; main thread)."""
    global _run
    if _run is None:
        from . import director_jobs, drain

        director_jobs.register()
        _run = drain.timer


def started() -> bool:
    return _run is not None


def stop() -> None:
    """Back to the do-nothing tick (unregister); the drain's own state is reset by its owner."""
    global _run
    _run = None


# --- save/render guard (set by the file and render handlers, read by the drain) -----
def set_busy(reason: str, busy: bool) -> None:
    if busy:
        _busy.add(reason)
    else:
        _busy.discard(reason)


def is_busy() -> bool:
    return bool(_busy)


def clear_busy() -> None:
    _busy.clear()
