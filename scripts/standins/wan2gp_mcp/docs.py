"""The ``wangp_agent`` prompt and the 21 ``wangp://docs/...`` markdown resources, with the captured names,
titles, URIs and descriptions. Bodies are short stand-in texts (the real server serves WanGP's docs).

Threading: registration happens once at start-up; the body functions are pure.
"""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.resources import TextResource

from .tools import surface

AGENT_GUIDE = """# WanGP Agent (stand-in)

This is the Movie Director test stand-in for WanGP 12.60's MCP server. Discover models with
`wangp_list_models` / `wangp_search_models` (add `include_availability`), read one with
`wangp_get_model_schema`, upload inputs with `wangp_create_gallery_upload` + HTTP PUT, start a job with
`wangp_generate`, poll `wangp_get_job` until `done` and `result`, then fetch outputs with
`wangp_create_gallery_download` + HTTP GET. One generation runs at a time.
"""


def _body(name: str, title: str, description: str) -> str:
    note = f"(Stand-in text: the real WanGP server serves its `{name}` document here.)"
    return f"# {title}\n\n{description}\n\n{note}\n"


def register(mcp: FastMCP) -> None:
    prompt = surface()["prompts"][0]

    def wangp_agent() -> str:
        return AGENT_GUIDE

    mcp.prompt(name=prompt["name"], title=prompt["title"], description=prompt["description"])(wangp_agent)
    for res in surface()["resources"]:
        mcp.add_resource(
            TextResource(
                uri=res["uri"],
                name=res["name"],
                title=res["title"],
                description=res["description"],
                mime_type=res["mimeType"],
                text=_body(res["name"], res["title"], res["description"]),
            )
        )
