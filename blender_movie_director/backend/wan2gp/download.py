"""Bring a finished Wan2GP video into the caller's output folder, checked and written atomically.

A server on this machine (loopback URL, file present at the path the server reports, same size) is
copied locally; anything else is streamed from ``/gradio_api/file=<server path>`` (WanGP serves its output
folders there) in large reads (:mod:`..bulk_download`). Either way the file lands under a temporary name
beside its final one, is checked to be a complete, playable MP4 (container header, video track, non-zero
frames, expected size), and only then renamed into place.
"""

from __future__ import annotations

import shutil
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from ..bulk_download import Timeouts, open_stream
from ..errors import BackendError, ServerError
from ..files import atomic_output, safe_filename, unique_path
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


def fetch_video(
    server_file: ServerFile,
    settings: ConnectionSettings,
    output_dir: Path,
    *,
    cookies: dict[str, str] | None = None,
    file_name: str | None = None,
    allow_local_copy: bool = True,
) -> Downloaded:
    """Copy or stream ``server_file`` to ``output_dir`` and verify it. Raises typed errors."""
    started = time.monotonic()
    output_dir.mkdir(parents=True, exist_ok=True)
    name = safe_filename(file_name or server_file.name, default="wan2gp.mp4")
    stem, suffix = Path(name).stem, Path(name).suffix or ".mp4"
    final = unique_path(output_dir, stem, suffix)
    local = Path(server_file.path)
    use_local = allow_local_copy and is_loopback(settings.url) and local.is_absolute() and local.is_file()
    if use_local and server_file.size is not None and local.stat().st_size != server_file.size:
        use_local = False  # same name, different file: not the server's copy
    with atomic_output(final) as tmp:
        if use_local:
            shutil.copyfile(local, tmp)
            expected = server_file.size if server_file.size is not None else local.stat().st_size
        else:
            expected = _stream(server_file, settings, tmp, cookies or {})
        info = check_video(tmp, expected_size=expected)
    return Downloaded(final, info, time.monotonic() - started, use_local, final.stat().st_size)


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
    server_file: ServerFile, settings: ConnectionSettings, target: Path, cookies: dict[str, str]
) -> int | None:
    # Always our own server address: a URL taken from the server's answer could name another host, and
    # our login cookies and proxy headers must not travel there (no redirects are followed either).
    url = api_url(settings, "file=" + urllib.parse.quote(server_file.path, safe="/:\\"))
    try:
        headers = dict(settings.headers)
        jar = _login_cookies(settings, cookies)
        if jar:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in jar.items())
        timeouts = Timeouts(connect=settings.connect_timeout, read=settings.read_timeout)
        # Large reads on this (worker) thread: the per-64 KiB cost of httpx dominated a big download (P5).
        # A system proxy must not capture loopback traffic, as for the server's other calls.
        with open_stream(
            url, headers=headers, timeouts=timeouts, trust_env=not is_loopback(settings.url)
        ) as response:
            if response.status in (403, 404):
                raise ServerError(
                    f"The Wan2GP server will not hand out '{server_file.name}' "
                    f"(HTTP {response.status}); the file may have been moved or deleted."
                )
            if not 200 <= response.status < 300:
                raise _status_error(url, response.status)
            announced = response.length
            with target.open("wb") as out:
                done = response.save(out)
            if announced is not None and done != announced:
                import httpx

                raise httpx.RemoteProtocolError(f"the download ended after {done} of {announced} bytes")
        return announced if announced is not None else server_file.size
    except BackendError:
        raise
    except Exception as exc:
        raise classify(exc, settings, during=f"downloading {server_file.name}") from exc
