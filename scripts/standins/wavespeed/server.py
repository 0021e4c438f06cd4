"""The threading HTTP server that owns the App."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any

from .app import App
from .handler import Handler

_QUIET = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, port: int, verbose: bool = False) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.verbose = verbose
        self.app: App  # attached by the caller once the port is known

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], _QUIET):
            return  # clients hanging up mid-answer are part of the job here
        super().handle_error(request, client_address)
