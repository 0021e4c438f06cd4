"""Result cache: the same full settings with a fixed seed give the same clip, so return the earlier file.

The key is a hash of every setting sent to WanGP (model, prompt, resolution, frames, steps, seed, …) and of
the *contents* of the input files (a re-exported start image with the same name is a different input).
Runs with a random seed (-1) are never cached. The index lives next to the videos, in
``<output folder>/.wan2gp-cache.json``; an entry counts only while its file is still there, has the recorded
size and is a playable MP4.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from ..base import GenerationResult
from ..errors import ServerError
from ..media import check_video
from .catalog import MEDIA_KEYS

log = logging.getLogger(__name__)

INDEX_NAME = ".wan2gp-cache.json"
#: Keys that differ between identical requests and do not change the pixels.
_VOLATILE = {"client_id", "output_filename"}
_LOCK = threading.Lock()


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(task: dict[str, Any]) -> str | None:
    """A stable key for ``task`` (a WanGP settings dict with local media paths), or None if not cacheable."""
    if int(task.get("seed", -1)) < 0:
        return None
    canonical: dict[str, Any] = {}
    for key, value in task.items():
        if key in _VOLATILE:
            continue
        if key in MEDIA_KEYS and value:
            paths = value if isinstance(value, list) else [value]
            canonical[key] = [_file_digest(str(p)) for p in paths]
        else:
            canonical[key] = value
    blob = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResultCache:
    """The cache index of one output folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index_path = folder / INDEX_NAME

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("Wan2GP cache index %s is unreadable (%s); starting a new one", self.index_path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_name(f"{INDEX_NAME}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.replace(self.index_path)

    def get(self, key: str) -> GenerationResult | None:
        with _LOCK:
            entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        path = self.folder / str(entry.get("file", ""))
        try:
            if not path.is_file() or path.stat().st_size != entry.get("bytes"):
                return None
            check_video(path)
        except (OSError, ServerError):
            return None
        metadata = dict(entry.get("metadata", {}))
        metadata.update(from_cache=True, cache_key=key)
        return GenerationResult.ok(str(path), **metadata)

    def put(self, key: str, result: GenerationResult) -> None:
        if not result.success or not result.video_path:
            return
        path = Path(result.video_path)
        if path.parent.resolve() != self.folder.resolve():
            return
        entry = {
            "file": path.name,
            "bytes": path.stat().st_size,
            "metadata": {k: v for k, v in result.metadata.items() if k not in ("from_cache", "cache_key")},
        }
        with _LOCK:
            data = self._read()
            data[key] = entry
            self._write(data)
