"""Builds and runs the MCP stand-in: FastMCP (stateless, JSON replies, ``/mcp``) + gallery routes, on uvicorn.

``build(knobs, options)`` gives the Starlette app (tests can drive it in-process); ``main`` serves it and
writes ``--ready-file`` once uvicorn listens. The transport answers (307 ``/mcp`` → ``/mcp/``, 406/400 header
errors, JSON-RPC errors, 202 for notifications, no session id) are the library's own, as on the real server.

Threading: uvicorn's event loop runs in the main thread; job workers are threads (``jobs``); the ready-file
writer is a short-lived thread that only watches ``server.started``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import uvicorn
from mcp.server.fastmcp import FastMCP
from standins.wan2gp import knobs as web_knobs
from standins.wan2gp.knobs import Knobs
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from . import console, docs, tools
from .gallery import MAX_BYTES, Gallery, UploadError, content_type
from .jobs import Session
from .models import Options

log = logging.getLogger("wan2gp_mcp_standin")


def build_server(knobs: Knobs, options: Options) -> tuple[FastMCP, Session]:
    gallery = Gallery(knobs.outputs)
    session = Session(knobs, options, gallery)
    mcp = FastMCP(
        "WanGP",
        stateless_http=True,
        json_response=True,
        streamable_http_path="/mcp",
        host=knobs.host,
        port=knobs.port,
        log_level="WARNING",
    )
    tools.register(mcp, session)
    docs.register(mcp)
    console.install(session)

    @mcp.custom_route("/wangp_api/gallery/upload/{token}", methods=["PUT"])
    async def upload(request: Request) -> Response:
        try:
            name = gallery.take_upload(request.path_params["token"])
            path = gallery.upload_path(name)
            size = 0
            with open(path, "wb") as f:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > MAX_BYTES:
                        raise UploadError(413, "Upload is larger than max_bytes.")
                    f.write(chunk)
            return JSONResponse(gallery.finish_upload(path, size))
        except UploadError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)

    @mcp.custom_route("/wangp_api/gallery/download/{token}", methods=["GET"])
    async def download(request: Request) -> Response:
        path = gallery.take_download(request.path_params["token"])
        if path is None:
            return JSONResponse({"error": "Download expired or not found."}, status_code=404)
        return FileResponse(
            path, media_type=content_type(path.name), headers={"Content-Disposition": _attachment(path.name)}
        )

    return mcp, session


def _attachment(name: str) -> str:
    """``attachment; filename="<name>"`` as captured; RFC 5987 form only for names that need it."""
    if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename*=utf-8''{quote(name)}"


def build(knobs: Knobs, options: Options) -> Starlette:
    mcp, _ = build_server(knobs, options)
    return mcp.streamable_http_app()


def _write_ready(server: uvicorn.Server, knobs: Knobs) -> None:
    while not server.started and not server.should_exit:
        time.sleep(0.02)
    if server.started and knobs.ready_file is not None:
        url = f"http://{knobs.host}:{knobs.port}/mcp"
        tmp = Path(str(knobs.ready_file) + ".tmp")
        tmp.write_text(url + "\n", encoding="utf-8")
        tmp.replace(knobs.ready_file)
        print(f"WanGP MCP stand-in ready on {url}", flush=True)


def main(knobs: Knobs, options: Options) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    web_knobs.install(knobs)  # the shared generation helpers read the web stand-in's knobs
    knobs.outputs.mkdir(parents=True, exist_ok=True)
    app = build(knobs, options)
    server = uvicorn.Server(uvicorn.Config(app, host=knobs.host, port=knobs.port, log_level="warning"))
    threading.Thread(target=_write_ready, args=(server, knobs), daemon=True).start()
    server.run()
    return 0
