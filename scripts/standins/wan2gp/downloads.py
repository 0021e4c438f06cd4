"""``GET /wangp_api/download/{token}``: one-use download tickets, as WanGP's shared/gradio/downloads.py.

"Save Queue" returns ``{"url": "/wangp_api/download/<token>", "filename": "queue.zip"}``; fetching the URL
streams the zip once. Tickets expire after 10 minutes.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

TTL_SECONDS = 600
_jobs: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def register_download(filename: str, mime_type: str, produce: Callable[[Path], bool]) -> str:
    """Register a file made on demand by ``produce(target) -> ok``; returns the JSON payload."""
    token = uuid.uuid4().hex
    with _lock:
        now = time.time()
        for old in [t for t, job in _jobs.items() if now - job["created"] > TTL_SECONDS]:
            _jobs.pop(old, None)
        _jobs[token] = {"filename": filename, "mime_type": mime_type, "produce": produce, "created": now}
    return json.dumps({"url": f"/wangp_api/download/{token}", "filename": filename})


def install_routes() -> None:
    """Add the route to every gradio App created from now on (WanGP patches App.create_app the same way)."""
    from fastapi.responses import Response
    from gradio.routes import App

    if getattr(App, "_wangp_standin_routes", False):
        return
    original = App.create_app

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)

        @app.get("/wangp_api/download/{token}")
        async def wangp_download(token: str) -> Response:
            with _lock:
                job = _jobs.pop(token, None)
            if job is None:
                return Response("Download expired or not found", status_code=404)
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / job["filename"]
                if not job["produce"](target):
                    return Response("Download failed", status_code=500)
                data = target.read_bytes()
            disposition = f'attachment; filename="{job["filename"]}"'
            return Response(data, media_type=job["mime_type"], headers={"Content-Disposition": disposition})

        return app

    App.create_app = staticmethod(create_app)
    App._wangp_standin_routes = True
