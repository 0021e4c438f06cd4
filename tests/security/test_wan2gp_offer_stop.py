"""Issue 16: the worker that asks the Wan2GP servers what they offer (session/wan2gp_offer.py) stops within
a second when the extension is disabled, even while a server sits on its answer (a real HTTP server on
127.0.0.1 that never replies)."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.security.local_http import LocalServer, QuietHandler


class _Silent(LocalServer):
    """Reads each request, then never answers until closed."""

    def __init__(self) -> None:
        self.heard = threading.Event()
        self.release = threading.Event()
        heard, release = self.heard, self.release

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                heard.set()
                release.wait(30)

        self._start(Handler, "test-silent-wan2gp")

    def close(self) -> None:
        self.release.set()
        super().close()


def test_join_ends_a_fetch_stuck_on_a_silent_server() -> None:
    from blender_movie_director.session import wan2gp_offer

    wan2gp_offer.clear()
    with _Silent() as server:
        key: Any = ((server.url + "/mcp",), "mcp")
        thread = threading.Thread(target=wan2gp_offer._fetch, args=(key, None, ("t2v_1.3B",), 30.0))
        with wan2gp_offer._lock:
            wan2gp_offer._board.threads.append(thread)
        wan2gp_offer._stop.clear()
        thread.start()
        assert server.heard.wait(10), "the worker never asked the server"
        started = time.monotonic()
        assert wan2gp_offer.join(timeout=5.0)
        assert time.monotonic() - started < 1.0
        offer = wan2gp_offer._offers[key]
        assert offer.state == "failed" and offer.error  # said on the panel, not lost
    wan2gp_offer.clear()
