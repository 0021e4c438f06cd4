"""Write the queue file WanGP's "Load Queue" button reads.

* No input media: a ``.json`` settings file (WanGP drops every attachment key of a JSON upload anyway).
* With media (i2v start/end images, VACE control video, mask, reference images…): a ``.zip`` holding
  ``queue.json`` = ``[{"id": 1, "params": {…}}]`` and the files next to it, the layout WanGP's own "Save
  Queue" writes; the loader resolves those names inside the zip. The names carry the job's token
  (``task1_<key>_<n>_<stem>.<ext>``): WanGP copies zip media into one shared ``_loaded_queue_cache``
  folder by base name and keeps videos as paths, so two jobs with equal names would overwrite each
  other's control video.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from .catalog import MEDIA_KEYS


def write_queue_file(task: dict[str, Any], folder: Path, stem: str) -> Path:
    """Write ``task`` (a WanGP settings dict whose media keys hold local paths) into ``folder``.

    Returns the path of the ``.json`` or ``.zip`` to upload.
    """
    media = {key: task[key] for key in MEDIA_KEYS if task.get(key)}
    if not media:
        path = folder / f"{stem}.json"
        path.write_text(json.dumps(task, ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    params = dict(task)
    path = folder / f"{stem}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for key, value in media.items():
            sources = value if isinstance(value, list) else [value]
            names = []
            for n, source in enumerate(sources):
                source_path = Path(source)
                name = f"task1_{key}_{n}_{stem}{source_path.suffix.lower()}"
                archive.write(source_path, arcname=name)
                names.append(name)
            params[key] = names if isinstance(value, list) else names[0]
        manifest = [{"id": 1, "params": params}]
        archive.writestr("queue.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    return path
