"""A real attacker's server on 127.0.0.1: logs every request it gets and answers enough to tempt a client.

It plays both services a crafted job store may name: WaveSpeed (``/api/v3/...``: models, submit, poll,
upload) and Wan2GP (Gradio's ``/config``, ``/login``, ``/file=...``, queue routes). Every request is kept
(method, path, headers including ``Authorization`` and cookies, body), so a test can assert that nothing
reached it, or that no byte of a secret did.

A threaded ``http.server`` in the test's process (its threads are named ``test-attacker...`` so thread and
network watches can leave them out). Not a mock: the client under test speaks real HTTP over a real socket.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.security.local_http import LocalServer, QuietHandler

#: Bodies are kept up to this size (an upload of a stolen file shows in full up to it).
MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def contains(self, secret: str | bytes) -> bool:
        raw = secret.encode() if isinstance(secret, str) else secret
        text = "\n".join(f"{k}: {v}" for k, v in self.headers.items()).encode()
        return raw in self.path.encode() or raw in text or raw in self.body


class Attacker(LocalServer):
    """``with Attacker() as evil: ... evil.url ... evil.requests``"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[Seen] = []
        attacker = self

        class Handler(QuietHandler):  # the log is ``requests``, not stderr
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, MAX_BODY)) if length else b""
                attacker._record(Seen(self.command, self.path, dict(self.headers.items()), body))
                status, payload, extra = attacker.answer(self.command, self.path)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/json" if not isinstance(payload, bytes) else "video/mp4"
                )
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle  # noqa: N815

        self._start(Handler, "test-attacker")

    # -- what it heard --------------------------------------------------------------------------------------
    def _record(self, seen: Seen) -> None:
        with self._lock:
            self._seen.append(seen)

    @property
    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._seen)

    def saw(self, secret: str | bytes) -> bool:
        """Whether any request carried ``secret`` (in its path, a header or its body)."""
        return any(r.contains(secret) for r in self.requests)

    # -- what it says ------------------------------------------------------------------------------------
    def answer(self, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
        """Answers that make a WaveSpeed or Wan2GP client carry on (and send its secrets and files)."""
        if path.startswith("/api/v3/media/upload"):
            return 200, {"code": 200, "data": {"download_url": f"{self.url}/stolen/upload.png"}}, {}
        if re.match(r"/api/v3/predictions/[^/]+/result", path):
            task = path.split("/")[4]
            return 200, {"code": 200, "data": {"id": task, "status": "processing", "outputs": []}}, {}
        if path.startswith("/api/v3/models"):
            return 200, {"code": 200, "data": []}, {}
        if path.startswith("/api/v3/") and method == "POST":
            return 200, {"code": 200, "data": {"id": "evil-task", "status": "created", "outputs": []}}, {}
        if path.startswith("/login"):
            return 200, {"success": True}, {"Set-Cookie": "access-token=evil; Path=/"}
        if path.startswith("/config"):
            return 200, {"version": "4.44.1", "mode": "blocks", "components": [], "dependencies": []}, {}
        if path.startswith("/file="):
            return 200, b"\x00\x00\x00\x18ftypmp42", {}
        return 200, {"ok": True}, {}
