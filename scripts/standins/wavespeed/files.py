"""Downloads (``GET /files/...``) and the storage PUT target of the two-step upload.

These stand for the real CDN and object-store hosts, so they need no API key and answer without the
JSON envelope.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from .faults import FaultRule

if TYPE_CHECKING:
    from .handler import Handler

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def handle(h: Handler, method: str) -> None:
    if h.url_path.startswith("/storage/"):
        h.entry["route"] = "storage"
        rule = h.app.faults.take("storage", None, None)
        if rule is not None and h.apply_fault(rule):
            return
        if method != "PUT":
            h.send_bytes(405, b"method not allowed", "text/plain")
            return
        stored = h.app.media.complete_put(h.url_path.split("/")[2], h.body)
        if stored is None:
            h.send_bytes(404, b"no such upload ticket", "text/plain")
        else:
            h.send_bytes(200, b"", "text/plain")
        return
    h.entry["route"] = "download"
    if method not in ("GET", "HEAD"):
        h.send_bytes(405, b"method not allowed", "text/plain")
        return
    rule = h.app.faults.take("download", None, None)
    if rule is not None and h.apply_fault(rule):
        return
    download(h, rule)


def download(h: Handler, rule: FaultRule | None) -> None:
    stored = h.app.media.lookup(h.url_path)
    if stored is None or not stored.ready or not stored.path.exists():
        h.send_bytes(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
        return
    if stored.is_expired(time.monotonic()):
        status = h.app.config.expired_status
        h.send_bytes(
            status,
            b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            "application/xml",
        )
        return
    data = stored.path.read_bytes()
    status, start, end = 200, 0, len(data)
    headers = {"Accept-Ranges": "bytes"}
    match = _RANGE.match(h.headers.get("Range") or "")
    if match and data:
        first, last = match.groups()
        start = int(first) if first else max(0, len(data) - int(last or 0))
        end = min(len(data), int(last) + 1) if first and last else len(data)
        if start >= len(data) or start >= end:
            h.send_bytes(416, b"", "text/plain", {"Content-Range": f"bytes */{len(data)}"})
            return
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(data)}"
    task_id = stored.filename.removesuffix(".mp4")
    task = h.app.tasks.get(task_id) if stored.url_path.startswith("/files/outputs/") else None
    if task is not None and task.documented_size:
        headers["X-Standin-Documented-Size"] = "{}x{}".format(*task.documented_size)
    _stream(h, status, data[start:end], stored.content_type, headers, rule)


def _stream(
    h: Handler, status: int, payload: bytes, ctype: str, headers: dict[str, str], rule: FaultRule | None
) -> None:
    h.entry["status"] = status
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(payload)))
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    if h.command == "HEAD":
        return
    if rule is not None and rule.action == "truncate":
        h.wfile.write(payload[: int(len(payload) * rule.fraction)])
        h.entry["status"] = f"{status} truncated"
        h.drop(rst=rule.rst)
        return
    if rule is not None and rule.action == "throttle":
        step = max(1, rule.bytes_per_second // 20)
        for offset in range(0, len(payload), step):
            if h.app.stopping.is_set():
                break
            h.wfile.write(payload[offset : offset + step])
            h.wfile.flush()
            time.sleep(0.05)
        return
    h.wfile.write(payload)
