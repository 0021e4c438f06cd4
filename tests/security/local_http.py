"""The part the attack tests' servers share (:mod:`.attacker`, :mod:`.hostile`): a threaded ``http.server`` on
a free port of 127.0.0.1 in a daemon thread of the test's process, a quiet HTTP/1.1 handler base, close and
``with``.

Threading: the server's threads answer; ``close()`` (or leaving ``with``) stops them from the test's thread.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, nothing logged to stderr (the servers keep their own log of what they heard)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *_args: Any) -> None:
        pass


class LocalServer:
    """Base of a test server: :meth:`_start` starts it; then ``port``, ``url``, :meth:`close`, ``with``."""

    def _start(
        self, handler: type[BaseHTTPRequestHandler], thread_name: str, host: str = "127.0.0.1"
    ) -> None:
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=thread_name,
            daemon=True,
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
