"""Write a queue as ``queue.zip``: ``queue.json`` plus media named ``task{id}_{key}_{n}.{ext}`` (wgp.py)."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from .queue_files import ATTACHMENT_KEYS

log = logging.getLogger("wan2gp_standin")


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def save_queue_to_zip(queue: list[dict[str, Any]], target: Path) -> bool:
    if not queue:
        return False
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            manifest = []
            media: list[Path] = []
            for task in queue:
                params = dict(task.get("params", {}))
                task_id = task.get("id")
                for key in ATTACHMENT_KEYS:
                    value = params.get(key)
                    if value is None:
                        continue
                    items = value if isinstance(value, list) else [value]
                    names = []
                    for n, item in enumerate(items):
                        if isinstance(item, Image.Image):
                            name = f"task{task_id}_{key}_{n}.png"
                            item.save(folder / name)
                        elif isinstance(item, str) and Path(item).is_file():
                            name = f"task{task_id}_{key}_{n}{Path(item).suffix}"
                            shutil.copy2(item, folder / name)
                        else:
                            continue
                        names.append(name)
                        media.append(folder / name)
                    params[key] = names if isinstance(value, list) else (names[0] if names else None)
                clean = {k: v for k, v in params.items() if k != "state" and _jsonable(v)}
                manifest.append({"id": task_id, "params": clean, "plugin_data": task.get("plugin_data", {})})
            (folder / "queue.json").write_text(json.dumps(manifest, indent=4), encoding="utf-8")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.write(folder / "queue.json", "queue.json")
                for path in media:
                    zf.write(path, path.name)
        return True
    except Exception:
        log.exception("queue zip save failed")
        return False
