"""A real hostile HTTP server on 127.0.0.1 for the transfer attacks: huge, endless, slow and redirecting
answers, each on its own route, every request logged.

Routes (the path before ``?``; anything after the route's name is ignored, so it can play WaveSpeed's
``/api/v3/...`` or Gradio's ``/gradio_api/file=...`` by prefix, see :meth:`Hostile.route`):

* ``huge-json``: HTTP 200 (or ``status``), ``Content-Length`` of ``size`` bytes (none with
  ``announce=False``), a JSON string that never closes, sent as fast as the client reads;
* ``endless``: HTTP 200 without ``Content-Length``, bytes until the client hangs up;
* ``announced``: ``Content-Length: size`` but nothing sent (the limit must act on the header alone);
* ``trickle``: one byte per ``interval`` seconds, forever;
* ``gzip-bomb``: ``Content-Encoding: gzip``, a small body that inflates to ``size`` bytes;
* ``redirect``: 302 to ``location``;
* ``json``: a small JSON answer (``body``);
* ``file``: the bytes of the file at path ``body``, with their length.

``sent`` counts the body bytes the server managed to hand to the socket per request: after a client hung
up at its limit it shows how much was written before the connection died (bounded by the socket buffers
plus the limit). Threads are named ``test-hostile…``.

Not a mock: the client under test speaks real HTTP over a real socket, as it would to a real server.
"""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.security.local_http import LocalServer, QuietHandler

CHUNK = 64 * 1024


@dataclass
class Plan:
    kind: str
    status: int = 200
    size: int = 0
    location: str = ""
    interval: float = 1.0
    body: Any = None
    #: False: no Content-Length (the body ends when the connection does): the client must count.
    announce: bool = True


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    sent: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


class Hostile(LocalServer):
    """``with Hostile() as evil: evil.route("/api/v3/predictions", Plan("huge-json", size=500 << 20))``"""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self.hits: list[Hit] = []
        self._routes: list[tuple[str, Plan]] = []
        self.stop = threading.Event()
        outer = self

        class Handler(QuietHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                hit = Hit(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                with outer._lock:
                    outer.hits.append(hit)
                try:
                    outer._serve(self, hit, outer.plan_for(self.path))
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
                    self.close_connection = True
                finally:
                    hit.ended = time.monotonic()

            do_GET = do_POST = _handle  # noqa: N815

        self._start(Handler, "test-hostile", host)

    def route(self, prefix: str, plan: Plan) -> Hostile:
        with self._lock:
            self._routes.insert(0, (prefix, plan))
        return self

    def plan_for(self, path: str) -> Plan:
        with self._lock:
            for prefix, plan in self._routes:
                if path.startswith(prefix):
                    return plan
        return Plan("json", status=404, body={"error": "no such route"})

    def _serve(self, handler: BaseHTTPRequestHandler, hit: Hit, plan: Plan) -> None:
        out = handler.wfile
        if plan.kind == "redirect":
            handler.send_response(plan.status if plan.status != 200 else 302)
            handler.send_header("Location", plan.location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if plan.kind == "json":
            _send_whole(handler, hit, plan.status, json.dumps(plan.body).encode(), "application/json")
            return
        if plan.kind == "file":  # a real file (``body``: its path), with its length
            _send_whole(handler, hit, plan.status, Path(plan.body).read_bytes(), "video/mp4")
            return
        if plan.kind == "gzip-bomb":
            _send_whole(handler, hit, plan.status, _bomb(plan.size), "application/json", encoding="gzip")
            return
        handler.send_response(plan.status)
        handler.send_header("Content-Type", "application/json" if "json" in plan.kind else "video/mp4")
        if plan.kind == "announced" or (plan.kind == "huge-json" and plan.announce):
            handler.send_header("Content-Length", str(plan.size))
        else:
            handler.close_connection = True  # the body ends when the connection does
        handler.end_headers()
        if plan.kind == "announced":
            self.stop.wait(30)
            return
        if plan.kind == "trickle":
            while not self.stop.is_set():
                out.write(b"\0")
                out.flush()
                hit.sent += 1
                if self.stop.wait(plan.interval):
                    return
            return
        block = (
            (b'{"code": 200, "data": {"id": "' + b"a" * CHUNK)[:CHUNK]
            if "json" in plan.kind
            else b"\0" * CHUNK
        )
        limit = plan.size if plan.kind == "huge-json" else None
        while not self.stop.is_set() and (limit is None or hit.sent < limit):
            piece = block if limit is None else block[: limit - hit.sent]
            out.write(piece)
            hit.sent += len(piece)

    def close(self) -> None:
        self.stop.set()  # ends the trickling and waiting answers, so shutdown does not wait for them
        super().close()


def _send_whole(
    handler: BaseHTTPRequestHandler, hit: Hit, status: int, data: bytes, content_type: str, encoding: str = ""
) -> None:
    """A whole body with its length (and ``Content-Encoding`` when given), counted in ``hit.sent``."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    if encoding:
        handler.send_header("Content-Encoding", encoding)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
    hit.sent += len(data)


def _bomb(size: int) -> bytes:
    """A gzip body that inflates to ``size`` bytes of a JSON string (about 1000:1)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as z:
        z.write(b'{"code": 200, "data": {"id": "')
        block = b"a" * (1 << 20)
        left = size
        while left > 0:
            z.write(block[: min(left, len(block))])
            left -= len(block)
    return buffer.getvalue()
