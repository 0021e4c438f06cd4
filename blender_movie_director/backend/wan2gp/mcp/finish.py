"""Finish a take with WanGP's postprocessing (``wangp_postprocess``): spatial upscaling, frame interpolation,
whatever the server offers for that clip. Only WanGP's MCP server has it.

* :func:`processes`: upload the clip, ask ``wangp_postprocess`` without a process (discovery) and return
  WanGP's ``processes`` as they are (``id``, ``label``, ``description``, ``type``, ``media``, ``parameters``).
* :class:`FinishJob`: a :class:`.job.McpJob` whose submit step uploads the clip and starts
  ``wangp_postprocess(path=<gallery id>, process, parameters)``; following, cancel, the slot and the
  download are the generation's. The server checks the process and its parameters ("multiplier must be one
  of: …") and the answer becomes a typed validation error.

Threading: :func:`processes` blocks its (worker) thread; the job runs on its own thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import UnsupportedServerError, ValidationError
from ..progress import Phase
from . import transfer
from .errors import from_tool
from .job import McpJob
from .rpc import StopCheck, ToolError
from .server import McpServer


def processes(
    server: McpServer, video_path: str | Path, *, stop: StopCheck | None = None
) -> list[dict[str, Any]]:
    """The postprocessing WanGP offers for this clip (its discovery answer's ``processes``)."""
    server.discover(stop)
    path = _checked(video_path)
    try:
        gallery_id = transfer.upload(server.conn, path, stop=stop)
        answer = server.conn.call_tool("wangp_postprocess", {"path": gallery_id}, stop=stop)
    except ToolError as err:
        raise from_tool(err, server.settings.url) from None
    found = answer.get("processes") if isinstance(answer, dict) else None
    if not isinstance(found, list):
        raise UnsupportedServerError("The Wan2GP MCP server did not list its postprocessing for this clip.")
    return [dict(p) for p in found if isinstance(p, dict) and isinstance(p.get("id"), str)]


def _checked(video_path: str | Path) -> Path:
    path = Path(video_path)
    if not path.is_file():
        raise ValidationError(f"The clip to finish was not found: {path}", field="video")
    return path


class FinishJob(McpJob):
    """Postprocess one clip on the server.

    ``task``: ``{"video": path, "process": id, "parameters": {...}}``.
    """

    def _validate(self, stop: Any) -> None:
        _checked(self._task["video"])
        if not str(self._task.get("process") or ""):
            raise ValidationError("Name the finishing process (e.g. 'lanczos').", field="process")

    def _submit(self, stop: Any) -> Any:
        path = _checked(self._task["video"])
        self._set(Phase.UPLOADING, "sending the clip to Wan2GP")
        try:
            gallery_id = transfer.upload(
                self._server.conn, path, stop=stop, name=f"{self.token}{path.suffix}"
            )
        except ToolError as err:
            raise from_tool(err, self._url) from None
        stopping = stop()
        if stopping is not None:
            raise stopping
        arguments = {"path": gallery_id, "process": str(self._task["process"]),
                     "parameters": dict(self._task.get("parameters") or {})}  # fmt: skip
        self._set(Phase.UPLOADING, f"starting {arguments['process']} on Wan2GP")
        return self._tool("wangp_postprocess", arguments, idempotent=False)


__all__ = ["FinishJob", "processes"]
