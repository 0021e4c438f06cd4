"""What both kinds of Wan2GP server (web UI: :class:`.server.ServerContext`; MCP:
:class:`.mcp.server.McpServer`) keep per address: how many of our jobs run there, and the daemon threads
that end stopped jobs after the fact (:meth:`ServerLoad.start_finisher`).

Threading: any thread; one lock (``_lock``, also the subclass's lock for its own state). A finisher waits on
``_closing`` (set by :meth:`ServerLoad.end_finishers`, which joins each for at most 2 s).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class ServerLoad:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        #: Threads finishing stopped jobs (see the subclasses' finish_later); end_finishers() ends them.
        self._finishers: list[threading.Thread] = []
        self._closing = threading.Event()

    @property
    def active_jobs(self) -> int:
        return self._active

    def job_started(self) -> None:
        with self._lock:
            self._active += 1

    def job_finished(self) -> None:
        with self._lock:
            self._active -= 1

    def start_finisher(self, finish: Callable[[], None], name: str) -> None:
        """Run ``finish`` on a daemon thread that :meth:`end_finishers` waits for."""
        thread = threading.Thread(target=finish, name=name, daemon=True)
        with self._lock:
            self._finishers = [t for t in self._finishers if t.is_alive()]
            self._finishers.append(thread)
        thread.start()

    def end_finishers(self) -> None:
        """Tell every finisher to stop (``_closing``) and wait for each, at most 2 s."""
        with self._lock:
            finishers, self._finishers = self._finishers, []
        self._closing.set()
        for thread in finishers:
            thread.join(timeout=2.0)
        self._closing.clear()


__all__ = ["ServerLoad"]
