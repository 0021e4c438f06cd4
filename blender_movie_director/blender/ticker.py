"""The extension's one persistent ``bpy.app.timers`` function.

It is registered when the extension is enabled but stays a no-op until something can have work for the
drain (a job engine, a connection check): those call :func:`start`, which
runs the work the composition root installed (:func:`install`; registration loads the drain and its
consumers there). A session that never generates never loads them. This module imports nothing of the
extension's own, so anything may call it. Main thread only.
"""

from __future__ import annotations

from collections.abc import Callable

ACTIVE_INTERVAL = 0.1
IDLE_INTERVAL = 0.5

_run: Callable[[], float] | None = None
_work: Callable[[], Callable[[], float]] | None = None  # installed by registration: returns the tick
_busy: set[str] = set()  # "save", "render": Sequencer edits wait while any is set


def timer() -> float:
    """The registered timer: the drain's tick once started, else a slow tick that does nothing."""
    run = _run
    return run() if run is not None else IDLE_INTERVAL


def install(work: Callable[[], Callable[[], float]] | None) -> None:
    """What :func:`start` runs: a callable that loads the drain and returns its tick (None: disabled)."""
    global _work
    _work = work


def start() -> None:
    """From now on each tick drains job events (idempotent; main thread).

    Before registration installed the work (the extension is not enabled) there is no timer to drive it
    and nothing happens.
    """
    global _run
    if _run is None and _work is not None:
        _run = _work()


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
