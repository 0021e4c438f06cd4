"""The 22 ``wangp_*`` tools of WanGP 12.60, registered on a FastMCP server with the captured signatures.

FastMCP (mcp 1.10.1) derives each tool's input and output schema from the type hints, so the parameter
names, defaults, annotations and return types below are the interface (``tests/standin`` compares the
resulting ``tools/list`` with the capture field by field); descriptions come from ``data/surface.json``.
Tool errors are exceptions: the library answers them as ``isError`` with "Error executing tool <name>: <msg>"
(a KeyError's message keeps its quotes, as the real server's do).

Threading: quick tools run on the event loop and only read/modify the thread-safe ``Session``/``Gallery``;
``wangp_generate(wait=True)`` waits for its job in a worker thread (anyio), never blocking the loop.
"""

# No "from __future__ import annotations": FastMCP reads the tool annotations as live types.

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio
from mcp.server.fastmcp import FastMCP
from standins import videogen

from . import models, postprocess
from .jobs import Session

SURFACE_FILE = Path(__file__).with_name("data") / "surface.json"
_DIRECT_PATH = (
    "Direct filesystem paths are disabled for this MCP server. Use a Gallery id for {field}, or restart with "
    "filesystem reads enabled."
)
#: The glob filters of the listing tools, in WanGP's order (a tool takes all or some of them).
FILTERS = ("family", "base_model_type", "finetune", "model_type", "main_output", "inputs", "name")
# Deepy templates: a minimal stand-in set (the real server lists WanGP's bundled templates).
DEEPY = {
    "gen_video": (
        "Media Generator",
        {"Wan2.1 Text2video 1.3B": "t2v_1.3B", "Wan2.1 Image2video 480p 14B": "i2v"},
    ),
    "gen_image": ("Image Generator", {"Flux 1 Schnell": "flux_schnell"}),
}


@lru_cache(maxsize=1)
def surface() -> dict[str, Any]:
    with open(SURFACE_FILE, encoding="utf-8") as f:
        return json.load(f)


def _desc(name: str) -> str:
    return surface()["tools"][name]


def register(mcp: FastMCP, session: Session) -> None:
    """Add the 22 tools, in the captured order, bound to ``session``."""
    options = session.options
    gallery = session.gallery

    def matching(args: dict[str, Any], query: str | None) -> list[dict[str, Any]]:
        """The records a listing tool's arguments select: ``args`` is its ``locals()`` (the filters it
        takes, each None when not given), in WanGP's filter order."""
        return models.filtered({k: args[k] for k in FILTERS if args.get(k) is not None}, query)

    def with_availability(rec: dict[str, Any], include: bool) -> dict[str, Any]:
        if include:
            rec = {**rec, "availability": models.availability(rec["model_type"], options)}
        return rec

    @mcp.tool(description=_desc("wangp_list_models"))
    def wangp_list_models(
        family: str | None = None,
        base_model_type: str | None = None,
        finetune: str | None = None,
        model_type: str | None = None,
        main_output: str | None = None,
        inputs: str | None = None,
        name: str | None = None,
        query: str | None = None,
        limit: int = 10,
        offset: int = 0,
        include_availability: bool = False,
    ) -> list[dict[str, Any]]:
        recs = matching(locals(), query)
        return [with_availability(r, include_availability) for r in models.page(recs, limit, offset)]

    @mcp.tool(description=_desc("wangp_search_models"))
    def wangp_search_models(
        query: str,
        family: str | None = None,
        base_model_type: str | None = None,
        finetune: str | None = None,
        main_output: str | None = None,
        inputs: str | None = None,
        limit: int = 10,
        offset: int = 0,
        include_availability: bool = False,
    ) -> dict[str, Any]:
        if not query.strip():
            raise ValueError("query is required")
        recs = matching(locals(), query.strip())
        matches = [with_availability(r, include_availability) for r in models.page(recs, limit, offset)]
        start = max(0, offset)
        return {
            "matches": matches,
            "total_matches": len(recs),
            "returned": len(matches),
            "offset": start,
            "has_more": start + len(matches) < len(recs),
        }

    @mcp.tool(description=_desc("wangp_list_model_defs"))
    def wangp_list_model_defs(
        family: str | None = None,
        base_model_type: str | None = None,
        finetune: str | None = None,
        model_type: str | None = None,
        main_output: str | None = None,
        inputs: str | None = None,
        name: str | None = None,
        query: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        recs = matching(locals(), query)
        return [
            d for r in models.page(recs, limit, offset) if (d := models.model_definition(r["model_type"]))
        ]

    @mcp.tool(description=_desc("wangp_get_model"))
    def wangp_get_model(model_type: str) -> dict[str, Any] | None:
        return models.model_definition(model_type)

    @mcp.tool(description=_desc("wangp_get_model_metadata"))
    def wangp_get_model_metadata(
        model_type: str, include_availability: bool = False
    ) -> dict[str, Any] | None:
        return models.metadata(model_type, options, include_availability)

    @mcp.tool(description=_desc("wangp_get_model_availability"))
    def wangp_get_model_availability(model_type: str) -> dict[str, Any]:
        if not models.exists(model_type):
            raise ValueError(f"Unknown model_type: {model_type}")
        return models.availability(model_type, options)

    @mcp.tool(description=_desc("wangp_list_model_availability"))
    def wangp_list_model_availability(
        family: str | None = None,
        base_model_type: str | None = None,
        finetune: str | None = None,
        model_type: str | None = None,
        main_output: str | None = None,
        inputs: str | None = None,
        name: str | None = None,
        query: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        recs = matching(locals(), query)
        return [
            models.availability(r["model_type"], options) for r in models.page(recs, limit, offset, cap=50)
        ]

    @mcp.tool(description=_desc("wangp_get_default_settings"))
    def wangp_get_default_settings(model_type: str) -> dict[str, Any]:
        return models.default_settings(model_type)

    @mcp.tool(description=_desc("wangp_list_loras"))
    def wangp_list_loras(model_type: str) -> dict[str, Any]:
        return models.list_loras(model_type, options)

    @mcp.tool(description=_desc("wangp_get_model_schema"))
    def wangp_get_model_schema(model_type: str) -> dict[str, Any] | None:
        return models.schema(model_type)

    @mcp.tool(description=_desc("wangp_list_gallery"))
    def wangp_list_gallery(media_type: str = "all", limit: int = 50) -> list[dict[str, Any]]:
        return gallery.list(media_type, limit)

    @mcp.tool(description=_desc("wangp_get_gallery_item"))
    def wangp_get_gallery_item(gallery_id: str) -> dict[str, Any]:
        return gallery.get(gallery_id)

    @mcp.tool(description=_desc("wangp_get_gallery_selection"))
    def wangp_get_gallery_selection(media_type: str = "all") -> list[dict[str, Any]]:
        return gallery.list(media_type, 1_000_000, selected_only=True)

    @mcp.tool(description=_desc("wangp_create_gallery_upload"))
    def wangp_create_gallery_upload(filename: str) -> dict[str, Any]:
        return gallery.create_upload(filename)

    @mcp.tool(description=_desc("wangp_create_gallery_download"))
    def wangp_create_gallery_download(gallery_id: str) -> dict[str, Any]:
        return gallery.create_download(gallery_id)

    @mcp.tool(description=_desc("wangp_list_deepy_templates"))
    def wangp_list_deepy_templates(tool_id: str | None = None) -> list[dict[str, Any]]:
        out = []
        for tid, (label, templates) in DEEPY.items():
            if tool_id is not None and tid != tool_id:
                continue
            default = next(iter(templates))
            out.append(
                {
                    "tool_id": tid,
                    "label": label,
                    "default_template": default,
                    "templates": [{"template": t, "label": t, "default": t == default} for t in templates],
                }
            )
        return out

    @mcp.tool(description=_desc("wangp_get_deepy_template_settings"))
    def wangp_get_deepy_template_settings(tool_id: str, template: str) -> dict[str, Any]:
        if tool_id not in DEEPY:
            raise ValueError(f"Unknown Deepy tool_id: {tool_id}")
        templates = DEEPY[tool_id][1]
        default = next(iter(templates))
        name = default if template == "default" else template
        if name not in templates:
            raise ValueError(f"Unknown template '{template}' for {tool_id}")
        return {
            "tool_id": tool_id,
            "template": name,
            "default": name == default,
            "default_template": default,
            "general_properties_active": False,
            "settings": models.default_settings(templates[name]),
        }

    @mcp.tool(description=_desc("wangp_postprocess"))
    def wangp_postprocess(
        path: str, process: str | None = None, parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if not path.startswith(("visual:", "audio:")):
            raise ValueError(_DIRECT_PATH.format(field="path"))
        item = gallery.get(path)
        if process is None:
            return postprocess.discover(item)
        params = dict(parameters or {})
        proc = postprocess.validate(item, process, params)
        return postprocess.start(session, item, proc, params).snapshot()

    @mcp.tool(description=_desc("wangp_toolbox"))
    def wangp_toolbox(action: str | None = None, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        details = {
            "name": "get_media_details",
            "description": "Return detailed local metadata for a previously resolved image, video, or audio.",
        }
        if action is None:
            return {"status": "discovery", "actions": [details]}
        if action != "get_media_details":
            raise ValueError(f"Unknown toolbox action: {action}")
        if not arguments:
            return {
                "status": "schema",
                "action": action,
                "parameters": [
                    {
                        "name": "path",
                        "type": "string",
                        "description": "Gallery id of the media.",
                        "required": True,
                    }
                ],
            }
        item = gallery.get(str(arguments.get("path", "")))
        out: dict[str, Any] = {
            "status": "ok",
            "action": action,
            "path": item["path"],
            "media_type": item["media_type"],
        }
        if item["media_type"] == "video":
            stats = videogen.probe(item["path"])
            out.update(
                width=stats.width,
                height=stats.height,
                fps=stats.fps,
                frames=stats.frames,
                duration=stats.duration,
                has_audio=stats.has_audio,
            )
        return out

    @mcp.tool(description=_desc("wangp_generate"))
    async def wangp_generate(
        source: dict[str, Any] | list[dict[str, Any]],
        wait: bool = False,
        timeout_s: float | None = None,
        event_limit: int | None = None,
    ) -> dict[str, Any]:
        tasks = session.prepare_tasks(source)
        job = session.generate(tasks)
        if wait:
            await anyio.to_thread.run_sync(session.wait, job, timeout_s)
        return job.snapshot(event_limit)

    @mcp.tool(description=_desc("wangp_get_job"))
    def wangp_get_job(job_id: str, event_limit: int | None = None) -> dict[str, Any]:
        return session.job(job_id).snapshot(event_limit)

    @mcp.tool(description=_desc("wangp_cancel_job"))
    def wangp_cancel_job(job_id: str, event_limit: int | None = None) -> dict[str, Any]:
        return session.cancel(job_id).snapshot(event_limit)
