"""Files to and from WanGP's MCP gallery: inputs go up through ``wangp_create_gallery_upload`` + ``PUT``,
outputs come down through ``wangp_create_gallery_download`` + ``GET`` (WanGP refuses server paths; its URLs
are one-use, 10 minutes, relative to the server's origin).

Both URLs are joined to the configured server's origin and must stay on it: a URL naming another host is
refused, so headers never travel elsewhere. The upload's answer is read under the JSON limit; the download
is streamed (:mod:`...bulk_download`, large reads) under the download limit, lands under a temporary name
and is checked to be a playable MP4 before it is renamed into place. ``stop()`` (cancel, deadline) ends either
transfer within 0.1 s with its error.

Threading: runs on the job's worker thread (plus the small stop-watcher thread of the download).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...bulk_download import Abort, FirstStop, Timeouts, open_stream, stop_when
from ...errors import (
    BackendError,
    JobInterruptedError,
    ServerError,
    UnsupportedServerError,
    error_for_transport,
)
from ...files import atomic_output, safe_filename, unique_path
from ...limits import JSON_MAX_BYTES, BodyTooLargeError, TooLargeError, read_capped
from ...media import VideoInfo, check_video
from ..transport import is_loopback
from .rpc import McpConnection, StopCheck, origin


@dataclass(frozen=True)
class Fetched:
    path: Path
    info: VideoInfo
    bytes: int
    seconds: float
    filename: str


def _same_origin(conn: McpConnection, url: str, what: str) -> str:
    if not isinstance(url, str) or not url:
        raise UnsupportedServerError(
            f"The Wan2GP MCP server gave no {what} URL; it may not be a WanGP release Movie Director "
            "supports."
        )
    full = urllib.parse.urljoin(conn.origin_url + "/", url)
    if origin(full) != origin(conn.endpoint) or urllib.parse.urlsplit(full).scheme not in ("http", "https"):
        raise UnsupportedServerError(
            f"The Wan2GP MCP server at {conn.endpoint} named another address for the {what}; "
            "Movie Director only transfers files with the configured server."
        )
    return full


def upload(conn: McpConnection, path: Path, *, stop: StopCheck | None, name: str | None = None) -> str:
    """Send ``path`` to the server's gallery; returns its gallery id."""
    filename = safe_filename(name or path.name, default=path.name)
    ticket = conn.call_tool("wangp_create_gallery_upload", {"filename": filename}, stop=stop)
    if not isinstance(ticket, dict):
        raise UnsupportedServerError(
            "The Wan2GP MCP server answered the upload request without an upload URL."
        )
    url = _same_origin(conn, ticket.get("upload_url", ""), "upload")
    limit = ticket.get("max_bytes")
    size = path.stat().st_size
    if isinstance(limit, int) and 0 < limit < size:
        raise TooLargeError(
            f"The input '{path.name}'", limit, hint="The Wan2GP server takes no larger upload."
        )

    def put() -> tuple[int, bytes]:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
        with (
            path.open("rb") as body,
            conn.http().stream("PUT", url, content=body, headers=headers) as response,
        ):
            return response.status_code, read_capped(response, JSON_MAX_BYTES)

    try:
        status, raw = conn.stoppable(put, stop)
    except BackendError:
        raise
    except BodyTooLargeError as exc:
        raise TooLargeError("The Wan2GP server's answer to an upload", exc.limit) from None
    except Exception as exc:
        typed = error_for_transport(exc, conn.peer, during=f"uploading {path.name}")
        raise (
            typed or ServerError(f"Uploading {path.name} to Wan2GP failed ({type(exc).__name__}).")
        ) from exc
    answer = _json(raw)
    said = str(answer.get("error", "")) if isinstance(answer, dict) else ""
    if status == 404:
        raise JobInterruptedError(
            f"The Wan2GP server's upload link for '{path.name}' expired or was already used ("
            f"{said or 'HTTP 404'}). "
            "Generate again to send the input anew."
        )
    if status == 400:
        from ...errors import ValidationError

        shown = said.split("'/", 1)[0].rstrip(" '") if said else "HTTP 400"  # not the server's folder
        raise ValidationError(f"Wan2GP refused the input '{path.name}': {shown}.", field="inputs")
    if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("gallery_id"), str):
        raise ServerError(f"Wan2GP did not take the input '{path.name}' (HTTP {status}).")
    return str(answer["gallery_id"])


def download(
    conn: McpConnection,
    gallery_id: str,
    output_dir: Path,
    *,
    stem: str,
    max_bytes: int,
    stop: StopCheck | None,
) -> Fetched:
    """Fetch a gallery item into ``output_dir`` as ``stem.<ext>``, checked; raises typed errors."""
    started = time.monotonic()
    ticket = conn.call_tool("wangp_create_gallery_download", {"gallery_id": gallery_id}, stop=stop)
    if not isinstance(ticket, dict):
        raise UnsupportedServerError("The Wan2GP MCP server answered the download request without a URL.")
    url = _same_origin(conn, ticket.get("download_url", ""), "download")
    filename = str(ticket.get("filename") or f"{stem}.mp4")
    announced = ticket.get("size") if isinstance(ticket.get("size"), int) else None
    if max_bytes and announced is not None and announced > max_bytes:
        raise _too_large(filename, max_bytes)
    suffix = Path(safe_filename(filename, default="video.mp4")).suffix.lower() or ".mp4"
    output_dir.mkdir(parents=True, exist_ok=True)
    final = unique_path(output_dir, safe_filename(stem, default="wan2gp"), suffix)
    abort = Abort()
    stopping = FirstStop(stop)
    settings = conn.settings
    try:
        with atomic_output(final) as tmp:
            timeouts = Timeouts(connect=settings.connect_timeout, read=settings.read_timeout)
            with (
                stop_when(abort, stopping),
                open_stream(
                    url,
                    headers=dict(settings.headers),
                    timeouts=timeouts,
                    trust_env=not is_loopback(url),
                    abort=abort,
                ) as response,  # fmt: skip
            ):
                if response.status == 404:
                    raise JobInterruptedError(
                        f"The Wan2GP server's download link for '{filename}' expired or was already used; "
                        "the clip is still in WanGP's gallery and output folder."
                    )
                if not 200 <= response.status < 300:
                    raise ServerError(
                        f"The Wan2GP server would not hand out '{filename}' (HTTP {response.status})."
                    )
                length = response.length
                with tmp.open("wb") as out:
                    done = response.save(out, max_bytes=max_bytes or None)
                if length is not None and done != length:
                    raise ServerError(f"The download of '{filename}' ended after {done} of {length} bytes.")
            info = check_video(tmp, expected_size=length if length is not None else announced)
    except BodyTooLargeError as exc:
        raise _too_large(filename, exc.limit) from None
    except BackendError:
        raise
    except Exception as exc:
        if abort.is_set() and stopping.error is not None:
            raise stopping.error from None
        typed = error_for_transport(exc, conn.peer, during=f"downloading {filename}")
        raise (typed or ServerError(f"Downloading '{filename}' failed ({type(exc).__name__}).")) from exc
    return Fetched(final, info, final.stat().st_size, time.monotonic() - started, filename)


def _too_large(filename: str, limit: int) -> TooLargeError:
    return TooLargeError(
        f"The video '{filename}' from the Wan2GP server",
        limit,
        hint="Raise the download limit in the add-on preferences if a video that large is expected.",
    )


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


__all__ = ["Fetched", "download", "upload"]
