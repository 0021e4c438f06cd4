"""HTTP plumbing: one handler class for every route, with full control over how an answer goes wrong.

Faults need raw socket control (hang without an answer, close without an answer, a body shorter than
its Content-Length), which is why this is ``http.server`` and not a web framework.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .app import key_id_of
from .faults import FaultRule

if TYPE_CHECKING:
    from .server import StandinServer

_HTML_ERROR = "<html><head><title>{status}</title></head><body><h1>{status} {reason}</h1></body></html>"
MAX_BODY = 512 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid the 40 ms stall
    server_version = "wavespeed-standin"
    sys_version = ""
    server: StandinServer

    # -- entry points ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def _dispatch(self, method: str) -> None:
        from . import admin, api, files  # late: these modules import this one's helpers

        self.dropped = False
        parts = urlsplit(self.path)
        self.url_path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.app = self.server.app
        self.entry: dict[str, Any] = {"method": method, "path": self.url_path}
        try:
            self.body = self._read_body()
        except ValueError as exc:
            self.send_json(400, {"code": 400, "message": str(exc), "data": None})
            self.close_connection = True
            return
        if self.url_path.startswith("/_standin/"):
            admin.handle(self, method)
            return
        self.app.log_request(self.entry)
        if self.url_path.startswith("/api/v3/"):
            api.handle(self, method)
        elif self.url_path.startswith(("/files/", "/storage/")):
            files.handle(self, method)
        else:
            self.send_json(404, {"code": 404, "message": "not found", "data": None})

    # -- request helpers -------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def bearer_key(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    def key_id(self) -> str | None:
        key = self.bearer_key()
        return key_id_of(key) if key else None

    def json_body(self) -> Any:
        """The body as JSON; raises ValueError for anything else."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError("request body is not valid JSON") from exc

    # -- answers ---------------------------------------------------------------------------------
    def send_bytes(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.entry["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(obj).encode(), "application/json", headers)

    def send_error_reply(
        self,
        status: int,
        message: str,
        *,
        body: str = "json",
        retry_after: Any = None,
        code: int | None = None,
    ) -> None:
        headers = {} if retry_after is None else {"Retry-After": _retry_after_text(retry_after)}
        if body == "html":
            reason = self.responses.get(status, ("Error",))[0]
            page = _HTML_ERROR.format(status=status, reason=reason).encode()
            self.send_bytes(status, page, "text/html", headers)
        elif body == "empty":
            self.send_bytes(status, b"", "text/plain", headers)
        else:
            self.send_json(
                status, {"code": status if code is None else code, "message": message, "data": None}, headers
            )

    # -- faults ----------------------------------------------------------------------------------
    def apply_fault(self, rule: FaultRule) -> bool:
        """Carry out a rule's HTTP-level action; True when the request is answered (or abandoned)."""
        self.entry["fault"] = rule.id
        if rule.delay > 0:
            self._sleep(rule.delay)
        if rule.action == "status":
            assert rule.status is not None
            self.send_error_reply(
                rule.status,
                rule.message or self.responses.get(rule.status, ("Error",))[0],
                body=rule.body,
                retry_after=rule.retry_after,
            )
        elif rule.action == "envelope":
            self.send_json(
                200, {"code": rule.code, "message": rule.message or "Internal server error", "data": None}
            )
        elif rule.action == "insufficient_balance":
            from .protocol import INSUFFICIENT_BALANCE

            status = rule.status or self.app.config.insufficient_balance_status
            self.send_error_reply(status, rule.message or INSUFFICIENT_BALANCE)
        elif rule.action == "hang":
            self.hang(rule.hang_seconds)
        elif rule.action == "drop":
            self.drop(rst=rule.rst)
        else:
            return False
        return True

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.app.stopping.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def hang(self, seconds: float) -> None:
        """Say nothing for ``seconds`` (the client's read timeout should fire first), then close."""
        self.entry["status"] = "hang"
        self._sleep(seconds)
        self.drop(rst=False)

    def drop(self, *, rst: bool) -> None:
        """Close the connection without an answer: a clean FIN, or a reset with ``rst``."""
        self.entry.setdefault("status", "drop")
        self.dropped = True
        self.close_connection = True
        try:
            self.wfile.flush()
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the client went away (or we dropped it on purpose)
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


def _retry_after_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
