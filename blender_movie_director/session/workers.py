"""The worker-thread board of a session module that asks servers things off the main thread (Test
Connection: :mod:`.connection`; what the Wan2GP servers offer: :mod:`.wan2gp_offer`).

A :class:`Board` holds the module's short-lived daemon threads and its "an answer came in" flag behind one
lock (``lock``, which the module also uses for its own table of answers). Workers post with :meth:`post`;
the drain's timer asks :meth:`take_changed` and redraws once; unregister calls :meth:`join`. Never touches
``bpy``; any thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any


class Board:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []  # mutated in place: modules may hold the same list
        self._changed = False

    def running(self) -> bool:
        with self.lock:
            return any(t.is_alive() for t in self.threads)

    def take_changed(self) -> bool:
        """True once after an answer came in."""
        with self.lock:
            changed, self._changed = self._changed, False
        return changed

    def post(self, table: MutableMapping[Any, Any], key: Any, value: Any) -> None:
        """``table[key] = value`` under the lock, and mark the board changed."""
        with self.lock:
            table[key] = value
            self._changed = True

    def start(self, target: Callable[..., None], args: tuple[Any, ...], name: str) -> None:
        """Run ``target(*args)`` on a new daemon thread that :meth:`running` and :meth:`join` count."""
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self.lock:
            self.threads[:] = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float) -> bool:
        """Wait for the running workers, ``timeout`` s in all; True if none is left."""
        end = time.monotonic() + timeout
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
        with self.lock:
            self.threads[:] = [t for t in self.threads if t.is_alive()]
            return not self.threads


__all__ = ["Board"]
