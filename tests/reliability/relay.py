"""A small recording HTTP relay: a real server on 127.0.0.1 that forwards every request to an upstream server
and hands the answer back, keeping a copy of everything the client sent.

The reliability tests put it between the product and the WaveSpeed stand-in to play two roles the stand-in
cannot play alone: a separate download host (a "CDN", so we can see exactly what the provider sends to a
host that is not WaveSpeed's API), and a service whose task ids contain ``../`` (answers rewritten on the
way back, ids mapped back on the way in). Everything else passes through unchanged.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
}


@dataclass(frozen=True)
class Seen:
    """One request as it arrived at the relay."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def raw(self) -> bytes:
        """Request line, headers and body as bytes (what a grep for a secret must search)."""
        head = f"{self.method} {self.path}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers)
        return head.encode("latin-1", "replace") + b"\r\n" + self.body

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


#: ``rewrite_path(path) -> path`` for requests, ``rewrite_body(path, content_type, body) -> body`` answers.
PathRewrite = Callable[[str], str]
BodyRewrite = Callable[[str, str, bytes], bytes]


class Relay:
    def __init__(
        self,
        upstream: str,
        *,
        rewrite_path: PathRewrite | None = None,
        rewrite_body: BodyRewrite | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        scheme, _, rest = upstream.partition("://")
        if scheme != "http":
            raise ValueError("the relay forwards to http:// upstreams only")
        up_host, _, up_port = rest.strip("/").partition(":")
        self.upstream = (up_host, int(up_port or 80))
        self.rewrite_path = rewrite_path
        self.rewrite_body = rewrite_body
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test reads ``seen`` instead."""

            def _forward(self) -> None:
                threading.current_thread().name = f"test-relay-{relay.port}-handler"  # not the product's
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                relay.record(Seen(self.command, self.path, tuple(self.headers.items()), body))
                path = relay.rewrite_path(self.path) if relay.rewrite_path else self.path
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Host"] = "{}:{}".format(*relay.upstream)
                if body:
                    headers["Content-Length"] = str(len(body))
                conn = http.client.HTTPConnection(*relay.upstream, timeout=60)
                try:
                    conn.request(self.command, path, body=body or None, headers=headers)
                    answer = conn.getresponse()
                    payload = answer.read()
                except (OSError, http.client.HTTPException):
                    self.close_connection = True  # the upstream dropped: so do we
                    return
                finally:
                    conn.close()
                ctype = answer.getheader("Content-Type") or ""
                if relay.rewrite_body is not None:
                    payload = relay.rewrite_body(self.path, ctype, payload)
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in _HOP_BY_HOP and key.lower() not in ("server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"test-relay-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self.seen)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


class Tap:
    """A byte-level TCP relay (for streaming protocols such as Gradio's SSE): pipes each connection to the
    upstream unchanged and keeps every byte the client sent."""

    def __init__(self, upstream: str, host: str = "127.0.0.1") -> None:
        import socket

        scheme, _, rest = upstream.partition("://")
        up_host, _, up_port = rest.strip("/").partition(":")
        self.upstream = (up_host, int(up_port or (443 if scheme == "https" else 80)))
        self._sent = bytearray()
        self._lock = threading.Lock()
        self._listener = socket.create_server((host, 0))
        self._listener.settimeout(0.2)
        self.host = host
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        accept = threading.Thread(target=self._accept, name=f"test-relay-tap-{self.port}", daemon=True)
        accept.start()
        self._threads.append(accept)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def sent(self) -> bytes:
        with self._lock:
            return bytes(self._sent)

    def _accept(self) -> None:
        import socket

        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            for src, dst, record in ((client, server, True), (server, client, False)):
                name = f"test-relay-pipe-{self.port}"
                pipe = threading.Thread(target=self._pipe, args=(src, dst, record), name=name, daemon=True)
                pipe.start()

    def _pipe(self, src: Any, dst: Any, record: bool) -> None:
        src.settimeout(0.5)
        try:
            while not self._stop.is_set():
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                if record:
                    with self._lock:
                        self._sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(2)
                sock.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(5)
