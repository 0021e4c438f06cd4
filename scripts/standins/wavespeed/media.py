"""Files the stand-in serves: uploaded inputs and rendered outputs, under one data directory.

URL layout (outside ``/api/v3``, like the real CDN and storage hosts):
``/files/uploads/<token>/<filename>`` (uploads), ``/files/outputs/<task id>.mp4`` (outputs),
``PUT /storage/<token>`` (the second step of the SDK's two-step upload).
"""

from __future__ import annotations

import base64
import mimetypes
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class StoredFile:
    path: Path
    filename: str
    content_type: str
    url_path: str
    ready: bool = True  # False until a two-step upload's PUT arrived
    expires: float | None = None  # monotonic deadline; None = never (within a test run)
    expired: bool = False

    def is_expired(self, now: float) -> bool:
        return self.expired or (self.expires is not None and now >= self.expires)


def media_type(filename: str, content_type: str | None) -> str:
    """The ``type`` the upload endpoint reports: image | video | audio (file otherwise)."""
    ctype = content_type or mimetypes.guess_type(filename)[0] or ""
    major = ctype.split("/", 1)[0]
    return major if major in ("image", "video", "audio") else "file"


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "uploads").mkdir(parents=True, exist_ok=True)
        (root / "outputs").mkdir(parents=True, exist_ok=True)
        (root / "inputs").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._files: dict[str, StoredFile] = {}  # url path -> file
        self._pending: dict[str, StoredFile] = {}  # storage token -> file awaiting its PUT

    # -- uploads ---------------------------------------------------------------------------------
    def add_upload(self, filename: str, content_type: str | None, data: bytes | None) -> StoredFile:
        token = secrets.token_hex(8)
        name = _SAFE.sub("_", Path(filename or "upload").name).strip("._") or "upload"
        folder = self.root / "uploads" / token
        folder.mkdir(parents=True)
        stored = StoredFile(
            path=folder / name,
            filename=name,
            content_type=content_type or mimetypes.guess_type(name)[0] or "application/octet-stream",
            url_path=f"/files/uploads/{token}/{name}",
            ready=data is not None,
        )
        if data is not None:
            stored.path.write_bytes(data)
        with self._lock:
            self._files[stored.url_path] = stored
            if data is None:
                self._pending[token] = stored
        return stored

    def storage_token(self, stored: StoredFile) -> str:
        return stored.url_path.split("/")[3]

    def complete_put(self, token: str, data: bytes) -> StoredFile | None:
        with self._lock:
            stored = self._pending.pop(token, None)
        if stored is None:
            return None
        stored.path.write_bytes(data)
        stored.ready = True
        return stored

    # -- outputs ---------------------------------------------------------------------------------
    def output_path(self, task_id: str) -> Path:
        return self.root / "outputs" / f"{task_id}.mp4"

    def add_output(self, task_id: str, ttl: float | None) -> StoredFile:
        stored = StoredFile(
            path=self.output_path(task_id),
            filename=f"{task_id}.mp4",
            content_type="video/mp4",
            url_path=f"/files/outputs/{task_id}.mp4",
            expires=None if ttl is None else time.monotonic() + ttl,
        )
        with self._lock:
            self._files[stored.url_path] = stored
        return stored

    # -- lookups ---------------------------------------------------------------------------------
    def lookup(self, url_path: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(unquote(url_path))

    def expire(self, url_paths: list[str] | None = None) -> int:
        """Mark files expired (all when ``url_paths`` is None); returns how many."""
        with self._lock:
            targets = (
                list(self._files.values())
                if url_paths is None
                else [self._files[p] for p in url_paths if p in self._files]
            )
            for stored in targets:
                stored.expired = True
            return len(targets)

    def resolve_input(self, url: str, own_port: int) -> Path | None:
        """A local file for an input URL: our own upload/output URLs and ``data:`` URIs.

        Anything else is unreachable (this machine has no outside network), which the caller reports
        as task error 1402 like the real service does for a URL it cannot fetch.
        """
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            if ";base64" not in header:
                return None
            try:
                data = base64.b64decode(payload, validate=False)
            except ValueError:
                return None
            ext = mimetypes.guess_extension(header[5:].split(";")[0]) or ".bin"
            path = self.root / "inputs" / f"{secrets.token_hex(8)}{ext}"
            path.write_bytes(data)
            return path
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in ("127.0.0.1", "localhost"):
            return None
        if parts.port != own_port:
            return None
        stored = self.lookup(parts.path)
        if stored is None or not stored.ready or stored.is_expired(time.monotonic()):
            return None
        return stored.path

    def clear(self) -> None:
        with self._lock:
            self._files.clear()
            self._pending.clear()
