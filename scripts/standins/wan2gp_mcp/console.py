"""Mirrors the server's console into the running job's ``stream`` events, as WanGP's session does.

The real server streams every console line while a job runs; the MCP library's own request log
("Processing request of type CallToolRequest", printed by rich over two lines) is what a polling client
sees most. ``ConsoleMirror`` is a logging handler on the library's logger that turns each such record into
the two captured ``stderr`` lines of the session's active job (none when no job runs).

Threading: ``emit`` runs in whatever thread logs (the event loop); it only calls ``Session.console``, which
appends under the job's lock.
"""

from __future__ import annotations

import logging
import time

from .jobs import Session

LIBRARY_LOGGER = "mcp.server.lowlevel.server"
_WIDTH = 30  # rich's time column plus the level column


class ConsoleMirror(logging.Handler):
    def __init__(self, session: Session) -> None:
        super().__init__(level=logging.INFO)
        self.session = session
        self._last_stamp = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        head, _, kind = message.rpartition(" ")
        stamp = time.strftime("[%m/%d/%y %H:%M:%S]", time.localtime(record.created))
        shown = stamp if stamp != self._last_stamp else " " * len(stamp)
        self._last_stamp = stamp
        first = f"{shown} {record.levelname:<8} {head:<37} server.py:{record.lineno}"
        self.session.console("stderr", first)
        self.session.console("stderr", f"{'':<{_WIDTH - 1}}{kind:<51}")


def install(session: Session) -> ConsoleMirror:
    """Attach a mirror for ``session`` to the library's request logger (INFO, as the real server logs)."""
    mirror = ConsoleMirror(session)
    logger = logging.getLogger(LIBRARY_LOGGER)
    logger.setLevel(logging.INFO)
    logger.addHandler(mirror)
    return mirror
