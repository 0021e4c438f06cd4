"""Observe the real network calls of this process with a Python audit hook (PEP 578).

An audit hook is not a mock: CPython raises ``socket.connect``, ``socket.getaddrinfo`` and ``socket.__new__``
from inside the socket module for every call, whichever library makes it, in every thread. The hook is
added once per process (audit hooks cannot be removed) and records only while a :func:`watch` block is
open, so it costs a list check otherwise.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.__new__", "socket.bind", "socket.sendto")
_INET = (socket.AF_INET, socket.AF_INET6)


@dataclass
class NetLog:
    """What happened on the network while a :func:`watch` block was open."""

    connects: list[tuple[str, int, str]] = field(default_factory=list)  # host, port, thread name
    lookups: list[str] = field(default_factory=list)
    sockets: int = 0  # internet sockets created (not Unix sockets or socketpairs)
    other: list[str] = field(default_factory=list)

    @property
    def silent(self) -> bool:
        return not (self.connects or self.lookups or self.sockets or self.other)

    def ports(self, exclude_threads: tuple[str, ...] = ("test-",)) -> set[int]:
        """Ports connected to, leaving out threads of the test's own servers (named ``test-...``)."""
        return {port for _host, port, thread in self.connects if not thread.startswith(exclude_threads)}

    def __str__(self) -> str:
        return (
            f"connects={self.connects} lookups={self.lookups} inet sockets={self.sockets} other={self.other}"
        )


_lock = threading.Lock()
_logs: list[NetLog] = []
_installed = False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _logs or event not in _EVENTS:
        return
    with _lock:
        logs = list(_logs)
    for log in logs:
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2:
                thread = threading.current_thread().name
                log.connects.append((str(address[0]), int(address[1]), thread))
            else:
                log.other.append(f"connect {address!r}")
        elif event == "socket.getaddrinfo":
            log.lookups.append(str(args[0]))
        elif event == "socket.__new__":
            if len(args) > 1 and args[1] in _INET:
                log.sockets += 1
        else:
            log.other.append(event)


def install() -> None:
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextmanager
def watch() -> Iterator[NetLog]:
    """Record the network calls made (by any thread) until the block ends."""
    install()
    log = NetLog()
    with _lock:
        _logs.append(log)
    try:
        yield log
    finally:
        with _lock:
            _logs.remove(log)
