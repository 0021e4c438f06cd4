"""WanGP 12.60 MCP stand-in (``scripts/wan2gp-standin --mcp``): the 22 ``wangp_*`` tools over streamable HTTP.

Modules: knobs (options), models (discovery answers), gallery (media store + one-use URLs), jobs (generation
jobs and their events), render (writes the synthetic media), postprocess (discovery + lanczos/rife),
docs (prompt and resources), tools (tool registration), app (FastMCP + routes + uvicorn). See
docs/standins/wan2gp.md ("MCP stand-in") for what differs from the real server.
"""
