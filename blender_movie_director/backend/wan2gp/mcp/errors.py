"""What WanGP's MCP tools say when they fail, as the backend's typed errors with a film-maker's wording.

A tool error is an HTTP 200 answer with ``isError`` and one text (``Error executing tool <tool>: <msg>``;
captured from WanGP 12.60). The failures the web UI route also meets get its wording (an unknown model, an
unreachable server); the rest say what happened and what to do. Nothing here retries: in particular a
"generation in progress" refusal is final for that call (the job queue per server keeps ours from meeting
it; another program's generation is not ours to wait out blindly).

Threading: pure functions; any thread.
"""

from __future__ import annotations

from ...errors import (
    BackendError,
    JobInterruptedError,
    ModelUnavailableError,
    ServerError,
    UnsupportedServerError,
    ValidationError,
)
from .rpc import ToolError

MCP_HINT = "python wgp.py --mcp --mcp-transport streamable-http"


class ServerBusyError(ServerError):
    """The server runs another generation (WanGP runs one at a time and has no queue). Never retried here:
    sending the generation again could start a second one."""

    retryable = False
    safe_to_resend = True  # a refusal: nothing started (a pool may send the job to another server)


def unknown_model(model: str, url: str, known: list[str] | None = None) -> ModelUnavailableError:
    """The web UI route's wording for a model the server does not know, plus the models it has."""
    message = (
        f"This Wan2GP server does not know the model '{model}'. It may be an older or newer WanGP release, "
        "or the model is not installed there."
    )
    if known:
        shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
        message += f" Models it has: {shown}."
    return ModelUnavailableError(message)


def not_wangp(url: str, missing: list[str]) -> UnsupportedServerError:
    return UnsupportedServerError(
        f"The MCP server at {url} is not WanGP's: it lacks the tools Movie Director needs "
        f"({', '.join(missing[:6])}{'…' if len(missing) > 6 else ''}). Start WanGP with '{MCP_HINT}' "
        "(WanGP 12 or later), or point Movie Director at WanGP's web UI."
    )


def needs_mcp(what: str) -> UnsupportedServerError:
    """The web UI route's refusal of what only WanGP's MCP server offers."""
    return UnsupportedServerError(
        f"{what} needs WanGP's MCP server (wgp.py --mcp): start WanGP with '{MCP_HINT}' and choose the MCP "
        "transport (or an address ending in /mcp) in the preferences."
    )


def from_tool(err: ToolError, url: str, *, model: str = "") -> BackendError:
    """The typed error for a tool's refusal."""
    detail = err.detail
    lowered = detail.lower()
    if err.text.startswith("Unknown tool"):
        return not_wangp(url, [err.tool])
    if "already has a generation in progress" in lowered:
        return ServerBusyError(
            f"The Wan2GP server at {url} is busy with another generation (WanGP runs one at a time). "
            "Nothing was started; generate again once it is done."
        )
    if "unknown model_type" in lowered:
        return unknown_model(model or detail.rsplit(":", 1)[-1].strip(), url)
    if "unknown wangp gallery_id" in lowered:
        return JobInterruptedError(
            f"The Wan2GP server at {url} no longer has the uploaded input ({detail}); it may have restarted. "
            "Generate again to send it anew."
        )
    if "unknown wangp job_id" in lowered:
        return JobInterruptedError(
            f"The Wan2GP server at {url} no longer knows this job; it restarted during the "
            "generation and the "
            "clip was not made."
        )
    if "direct filesystem paths are disabled" in lowered:
        return UnsupportedServerError(
            f"The Wan2GP MCP server at {url} refused a file path Movie Director sent ({detail}). "
            "This is a bug "
            "in Movie Director: inputs must go up through the gallery."
        )
    if "timed out" in lowered:
        return ServerError(f"The Wan2GP server at {url} reported a timeout: {detail}")
    if "validation error" in lowered or "must be one of" in lowered or "not available for" in lowered:
        return ValidationError(f"Wan2GP refused the request: {detail}")
    if "supported image, video, or audio extension" in lowered:
        return ValidationError(f"Wan2GP refused the input file: {detail}")
    return ServerError(f"Wan2GP could not carry out {err.tool}: {detail}")


__all__ = ["MCP_HINT", "ServerBusyError", "from_tool", "needs_mcp", "not_wangp", "unknown_model"]
