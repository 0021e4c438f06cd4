"""Bring a finished Wan2GP video into the caller's output folder, checked and written atomically.

The file is streamed from ``/gradio_api/file=<server path>`` (WanGP serves its output folders there) in
large reads (:mod:`..bulk_download`), always from the configured server's own address. It is copied from
disk instead only when the configured server is on this machine AND today's settings name that server's
output folder (``local_root``) AND a file of that name (the server's path is used for its name only) sits
inside that folder with the announced size: a path a server (or a stored record) names is never read
as such. Either way the file lands under a temporary name beside its final one, is checked to be a
complete, playable MP4 (container header, video track, non-zero frames, expected size), and only then
renamed into place.

Limits: at most ``max_bytes`` (:mod:`..limits`); ``stop()`` (cancel or deadline) ends the transfer within
0.1 s (:func:`..bulk_download.stop_when`) and its error is what is raised. A server path with a part over
255 characters is refused with a typed message.

Threading: runs on the job's (worker) thread; ``stop`` is called from a small watcher thread as well.
"""

from __future__ import annotations

import shutil
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..bulk_download import Abort, FirstStop, StopCheck, Timeouts, open_stream, stop_when
from ..errors import BackendError, ServerError
from ..files import atomic_output, safe_filename, unique_path
from ..limits import BodyTooLargeError, TooLargeError
from ..media import VideoInfo, check_video
from .transport import ConnectionSettings, api_url, classify, is_loopback, open_http


@dataclass(frozen=True)
class ServerFile:
    """A file as a Gradio component reports it (``FileData``)."""

    path: str  # path on the server's disk
    url: str | None = None
    size: int | None = None
    orig_name: str | None = None

    @property
    def name(self) -> str:
        raw = self.orig_name or self.path
        return (PureWindowsPath(raw) if "\\" in raw else PurePosixPath(raw)).name

    @property
    def folder(self) -> str:
        return str((PureWindowsPath(self.path) if "\\" in self.path else PurePosixPath(self.path)).parent)


@dataclass(frozen=True)
class Downloaded:
    path: Path
    info: VideoInfo
    seconds: float
    local_copy: bool
    bytes: int


def file_data_items(value: Any) -> list[ServerFile]:
    """Every ``FileData``-like dict inside a (nested) gallery value, in order."""
    found: list[ServerFile] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            path = node.get("path")
            if isinstance(path, str) and (node.get("meta") or node.get("url") or "orig_name" in node):
                size = node.get("size")
                found.append(
                    ServerFile(
                        path=path,
                        url=node.get("url"),
                        size=int(size) if isinstance(size, (int, float)) else None,
                        orig_name=node.get("orig_name"),
                    )
                )
                return
            for child in node.values():
                walk(child)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)

    walk(value)
    return found


#: The longest file or folder name a file system takes; a longer part cannot be a real output.
NAME_MAX = 255


def check_server_path(server_file: ServerFile) -> None:
    """A typed refusal for a server path no file system could hold (instead of a raw OSError later)."""
    parts = server_file.path.replace("\\", "/").split("/")
    longest = max((len(part) for part in parts), default=0)
    if longest > NAME_MAX or len(server_file.path) > 4096 or "\x00" in server_file.path:
        raise ServerError(
            f"The Wan2GP server named its output with a path Movie Director cannot use (a name of {longest} "
            f"characters; at most {NAME_MAX}). Nothing was downloaded."
        )


def local_source(
    server_file: ServerFile, settings: ConnectionSettings, local_root: str | None
) -> Path | None:
    """The file to copy from disk, or None to stream it: only a server on this machine, only inside its
    output folder as today's settings name it (``local_root``), only by the file's plain name."""
    if not local_root or not is_loopback(settings.url):
        return None
    name = server_file.name
    if not name or name != safe_filename(name, default="") or name in (".", ".."):
        return None
    try:
        root = Path(local_root).resolve(strict=True)
        candidate = (root / name).resolve(strict=True)
        if candidate.parent != root or not candidate.is_file():
            return None
        if server_file.size is not None and candidate.stat().st_size != server_file.size:
            return None  # same name, different file: not the server's copy
    except (OSError, RuntimeError):
        return None
    return candidate


def fetch_video(
    server_file: ServerFile,
    settings: ConnectionSettings,
    output_dir: Path,
    *,
    cookies: dict[str, str] | None = None,
    file_name: str | None = None,
    allow_local_copy: bool = True,
    local_root: str | None = None,
    max_bytes: int | None = None,
    stop: StopCheck | None = None,
) -> Downloaded:
    """Copy or stream ``server_file`` to ``output_dir`` and verify it. Raises typed errors; when ``stop()``
    names an error (cancel, deadline) the transfer ends within 0.1 s and that error is raised. ``max_bytes``
    defaults to ``settings.download_max_bytes`` (0: no limit)."""
    started = time.monotonic()
    if max_bytes is None:
        max_bytes = settings.download_max_bytes
    check_server_path(server_file)
    output_dir.mkdir(parents=True, exist_ok=True)
    name = safe_filename(file_name or server_file.name, default="wan2gp.mp4")
    stem, suffix = Path(name).stem, Path(name).suffix or ".mp4"
    final = unique_path(output_dir, stem, suffix)
    local = local_source(server_file, settings, local_root) if allow_local_copy else None
    with atomic_output(final) as tmp:
        if local is not None:
            size = local.stat().st_size
            if max_bytes and size > max_bytes:
                raise _too_large(server_file, max_bytes)
            shutil.copyfile(local, tmp)
            expected = server_file.size if server_file.size is not None else size
        else:
            expected = _stream(server_file, settings, tmp, cookies or {}, max_bytes, stop)
        info = check_video(tmp, expected_size=expected)
    return Downloaded(final, info, time.monotonic() - started, local is not None, final.stat().st_size)


def _too_large(server_file: ServerFile, limit: int) -> TooLargeError:
    return TooLargeError(
        f"The video '{server_file.name}' from the Wan2GP server",
        limit,
        hint="Raise the download limit in the add-on preferences if a video that large is expected.",
    )


def _login_cookies(settings: ConnectionSettings, cookies: dict[str, str]) -> dict[str, str]:
    """Reuse the session's login cookies when there are some, else log in afresh (if needed)."""
    if cookies or not settings.auth:
        return cookies
    client = open_http(settings)  # posts the login form; raises typed errors
    try:
        return {cookie.name: cookie.value or "" for cookie in client.cookies.jar}
    finally:
        client.close()


def _status_error(url: str, status: int) -> Exception:
    """httpx's own error for an unexpected status, so :func:`classify` words it as for every other call."""
    import httpx

    request = httpx.Request("GET", url)
    return httpx.HTTPStatusError(
        f"HTTP {status}", request=request, response=httpx.Response(status, request=request)
    )


def _stream(
    server_file: ServerFile,
    settings: ConnectionSettings,
    target: Path,
    cookies: dict[str, str],
    max_bytes: int | None,
    stop: StopCheck | None,
) -> int | None:
    # Always our own server address: a URL taken from the server's answer could name another host, and
    # our login cookies and proxy headers must not travel there (no redirects are followed either).
    url = api_url(settings, "file=" + urllib.parse.quote(server_file.path, safe="/:\\"))
    abort = Abort()
    stopping = FirstStop(stop)
    try:
        headers = dict(settings.headers)
        jar = _login_cookies(settings, cookies)
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        timeouts = Timeouts(connect=settings.connect_timeout, read=settings.read_timeout)
        # Large reads on this (worker) thread: the per-64 KiB cost of httpx dominated a big download (P5).
        # A system proxy must not capture loopback traffic, as for the server's other calls.
        with (
            stop_when(abort, stopping),
            open_stream(
                url, headers=headers, timeouts=timeouts, trust_env=not is_loopback(settings.url), abort=abort
            ) as response,
        ):
            if response.status in (403, 404):
                raise ServerError(
                    f"The Wan2GP server will not hand out '{server_file.name}' "
                    f"(HTTP {response.status}); the file may have been moved or deleted."
                )
            if not 200 <= response.status < 300:
                raise _status_error(url, response.status)
            announced = response.length
            with target.open("wb") as out:
                done = response.save(out, max_bytes=max_bytes)
            if announced is not None and done != announced:
                import httpx

                raise httpx.RemoteProtocolError(f"the download ended after {done} of {announced} bytes")
        return announced if announced is not None else server_file.size
    except BodyTooLargeError as exc:
        raise _too_large(server_file, exc.limit) from None
    except Exception as exc:
        if abort.is_set() and stopping.error is not None:
            raise stopping.error from None  # cancelled or out of time: the outcome, not the cut transfer
        if isinstance(exc, BackendError):
            raise
        raise classify(exc, settings, during=f"downloading {server_file.name}") from exc
