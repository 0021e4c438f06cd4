"""The server-wide media gallery with one-use upload (PUT) and download (GET) URLs, as WanGP 12.60's MCP has.

Items get ids ``visual:``/``audio:`` + 12 hex of sha1(path) and an index per gallery. Uploads land in
``<outputs>/mcp_uploads/<32 hex>/<name>``; an uploaded picture must open with Pillow (else 400, the captured
"cannot identify image file" text). Tokens expire after 600 s and work once (404 afterwards).

Threading: ``Gallery`` is shared by the event loop (tool calls, HTTP routes) and job worker threads; every
public method takes its lock and returns copies. File writes of an upload happen outside the lock.
"""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

EXPIRES_S = 600
MAX_BYTES = 8 * 1024**3
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
VIDEO_EXT = {".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v"}
AUDIO_EXT = {".wav", ".mp3", ".flac", ".ogg", ".m4a", ".aac"}
MEDIA_TYPES = ("all", "image", "video", "audio")


class UploadError(Exception):
    """An upload PUT that fails: ``status`` and the JSON ``{"error": message}`` body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def media_type_of(name: str) -> str | None:
    ext = Path(name).suffix.lower()
    if ext in IMAGE_EXT:
        return "image"
    if ext in VIDEO_EXT:
        return "video"
    if ext in AUDIO_EXT:
        return "audio"
    return None


def gallery_id_for(path: str, media_type: str) -> str:
    kind = "audio" if media_type == "audio" else "visual"
    return f"{kind}:{hashlib.sha1(path.encode('utf-8')).hexdigest()[:12]}"


def content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class Gallery:
    def __init__(self, outputs: Path) -> None:
        self.outputs = outputs
        self._lock = threading.Lock()
        self._items: dict[str, dict[str, Any]] = {}  # gallery_id -> item, in insertion order
        self._uploads: dict[str, tuple[str, float]] = {}  # token -> (filename, expiry)
        self._downloads: dict[str, tuple[str, float]] = {}  # token -> (gallery_id, expiry)

    # -- items ---------------------------------------------------------------------------------------
    def add(self, path: str, media_type: str, *, selected: bool, settings: dict[str, Any]) -> dict[str, Any]:
        """Register a file (idempotent per path); ``selected`` makes it its gallery's selection."""
        gid = gallery_id_for(path, media_type)
        kind = gid.split(":", 1)[0]
        with self._lock:
            item = self._items.get(gid)
            if item is None:
                index = sum(1 for it in self._items.values() if it["gallery"] == kind)
                item = {
                    "gallery_id": gid,
                    "gallery": kind,
                    "index": index,
                    "path": path,
                    "media_type": media_type,
                    "selected": False,
                    "in_gallery": True,
                    "settings": settings,
                }
                if media_type == "video":
                    item["current_time_seconds"] = None
                self._items[gid] = item
            if selected:
                for other in self._items.values():
                    if other["gallery"] == kind:
                        other["selected"] = False
                item["selected"] = True
            return copy.deepcopy(item)

    def get(self, gallery_id: str) -> dict[str, Any]:
        with self._lock:
            item = self._items.get(gallery_id)
            if item is None:
                raise KeyError(f"Unknown WanGP gallery_id: {gallery_id}")
            return copy.deepcopy(item)

    def has(self, gallery_id: str) -> bool:
        with self._lock:
            return gallery_id in self._items

    def list(
        self, media_type: str = "all", limit: int = 50, selected_only: bool = False
    ) -> list[dict[str, Any]]:
        if media_type not in MEDIA_TYPES:
            raise ValueError("media_type must be all, image, video, or audio")
        with self._lock:
            items = [
                copy.deepcopy(it)
                for it in self._items.values()
                if (media_type == "all" or it["media_type"] == media_type)
                and (it["selected"] or not selected_only)
            ]
        return items[-int(limit) :] if limit > 0 else []

    # -- upload --------------------------------------------------------------------------------------
    def create_upload(self, filename: str) -> dict[str, Any]:
        name = Path(filename.replace("\\", "/")).name
        if not name or media_type_of(name) is None:
            raise ValueError("filename must have a supported image, video, or audio extension")
        token = uuid.uuid4().hex
        with self._lock:
            self._uploads[token] = (name, time.time() + EXPIRES_S)
        return {
            "upload_url": f"/wangp_api/gallery/upload/{token}",
            "method": "PUT",
            "filename": name,
            "expires_in_seconds": EXPIRES_S,
            "max_bytes": MAX_BYTES,
        }

    def take_upload(self, token: str) -> str:
        """The filename of a live upload token, which is used up; UploadError 404 otherwise."""
        with self._lock:
            entry = self._uploads.pop(token, None)
        if entry is None or entry[1] < time.time():
            raise UploadError(404, "Upload expired or not found.")
        return entry[0]

    def upload_path(self, filename: str) -> Path:
        folder = self.outputs / "mcp_uploads" / uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        return folder / filename

    def finish_upload(self, path: Path, size: int) -> dict[str, Any]:
        """Check and register a written upload; returns the captured PUT answer body."""
        media_type = media_type_of(path.name) or "image"
        if media_type == "image":
            try:
                with Image.open(path) as img:
                    img.verify()
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
                raise UploadError(400, f"cannot identify image file '{path}'") from None
        item = self.add(str(path), media_type, selected=True, settings={})
        return {"status": "uploaded", "size": size, **item}

    # -- download ------------------------------------------------------------------------------------
    def create_download(self, gallery_id: str) -> dict[str, Any]:
        item = self.get(gallery_id)
        path = Path(item["path"])
        token = uuid.uuid4().hex
        with self._lock:
            self._downloads[token] = (gallery_id, time.time() + EXPIRES_S)
        return {
            "gallery_id": gallery_id,
            "download_url": f"/wangp_api/gallery/download/{token}",
            "filename": path.name,
            "media_type": item["media_type"],
            "size": path.stat().st_size if path.exists() else 0,
            "expires_in_seconds": EXPIRES_S,
        }

    def take_download(self, token: str) -> Path | None:
        with self._lock:
            entry = self._downloads.pop(token, None)
            item = self._items.get(entry[0]) if entry else None
        if entry is None or entry[1] < time.time() or item is None:
            return None
        path = Path(item["path"])
        return path if path.is_file() else None

    # -- input resolution ----------------------------------------------------------------------------
    def resolve(self, value: str, field: str) -> str:
        """A task's media value → server path: gallery ids only (direct paths refused as captured)."""
        if value.startswith(("visual:", "audio:")):
            return self.get(value)["path"]
        raise ValueError(
            "Direct filesystem paths are disabled for this MCP server. "
            f"Use a Gallery id for {field}, or restart with filesystem reads enabled."
        )
