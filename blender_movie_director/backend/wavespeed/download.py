"""Fetch a finished video: streamed to disk (never held in memory) in 1 MiB reads on a worker thread
(:mod:`..bulk_download`), size checked against Content-Length,
checked to be a playable MP4, moved into place atomically. Retried on dropped or short transfers,
because the video is already paid for; an expired URL (outputs live 7 days) is reported as such.

Limits (:mod:`..limits`, :mod:`..addresses`): at most ``client.download_max_bytes``; the output URL and
every redirect must be http(s) and no more internal than the configured WaveSpeed address (a public
account cannot send us to this machine or the LAN). Either refusal is final, never retried."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..addresses import TargetPolicy
from ..bulk_download import Abort, Timeouts, open_stream
from ..errors import BackendConnectionError, BackendError, BackendTimeoutError, ServerError
from ..files import atomic_output
from ..limits import BodyTooLargeError, TooLargeError
from ..media import InvalidVideoError, VideoInfo, check_video
from .client import WaveSpeedClient
from .control import Control

log = logging.getLogger(__name__)
_EXPIRED = (403, 404, 410)

#: ``progress(bytes_done, bytes_total_or_None)``
ByteProgress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    info: VideoInfo
    seconds: float


class _ShortDownloadError(BackendError):
    retryable = True


def _fetch_once(
    client: WaveSpeedClient,
    url: str,
    tmp: Path,
    control: Control,
    progress: ByteProgress | None,
    task_id: str,
    abort: Abort,
) -> int | None:
    """One attempt, on a worker thread; returns the announced size (Content-Length) or None."""
    timeouts = Timeouts(connect=client.timeouts.connect, read=client.timeouts.download_read)
    # No Authorization header: output URLs are pre-signed CDN links on another host.
    policy = TargetPolicy.for_server(client.base_url)
    with open_stream(
        url,
        headers=client.identity_headers(),
        timeouts=timeouts,
        follow_redirects=True,
        abort=abort,
        policy=policy,
    ) as resp:
        if resp.status in _EXPIRED:
            raise ServerError(
                f"The result of WaveSpeed task {task_id} is no longer downloadable (HTTP {resp.status}); "
                "WaveSpeed keeps outputs for 7 days.",
                remote_id=task_id,
                code=resp.status,
            )
        if resp.status >= 500 or resp.status == 429:
            error = ServerError(f"Downloading the result failed (HTTP {resp.status}).", remote_id=task_id)
            error.retryable = True
            raise error
        if resp.status != 200:
            raise ServerError(f"Downloading the result failed (HTTP {resp.status}).", remote_id=task_id)
        total = resp.length
        with tmp.open("wb") as out:
            try:
                done = resp.save(
                    out, progress=progress, check=control.check, max_bytes=client.download_max_bytes
                )
            except BodyTooLargeError as exc:
                raise TooLargeError(
                    f"The result of WaveSpeed task {task_id}",
                    exc.limit,
                    remote_id=task_id,
                    hint="The video is paid for: raise the download limit in the add-on preferences, then "
                    "resume the task.",
                ) from None
        if total is not None and done != total:
            raise _ShortDownloadError(
                f"The download stopped after {done} of {total} bytes.", remote_id=task_id
            )
        return total


async def _fetch_in_thread(
    client: WaveSpeedClient,
    url: str,
    tmp: Path,
    control: Control,
    progress: ByteProgress | None,
    task_id: str,
) -> int | None:
    """Run :func:`_fetch_once` on a worker thread (large blocking reads cost far less CPU per GiB than the
    event loop's 64 KiB ones, P5). On cancel or deadline the transfer is aborted and the thread joined
    before the caller removes the temporary file."""
    abort = Abort()
    loop = asyncio.get_running_loop()
    report: ByteProgress | None = None
    if progress is not None:
        callback = progress

        def report(done: int, total: int | None) -> None:
            # Progress callbacks run on the event loop's thread, as for every other report of the job.
            loop.call_soon_threadsafe(callback, done, total)

    work = loop.run_in_executor(None, _fetch_once, client, url, tmp, control, report, task_id, abort)
    try:
        return await control.guard(asyncio.shield(work))
    finally:
        if not work.done():
            abort.set()
            await asyncio.wait({work})
        if not work.cancelled():
            work.exception()  # retrieved: the reason we stopped is what is raised


async def download_video(
    client: WaveSpeedClient,
    url: str,
    dest: Path,
    control: Control,
    *,
    task_id: str,
    progress: ByteProgress | None = None,
    attempts: int = 4,
) -> Downloaded:
    """Download ``url`` to ``dest`` (atomically) and check it is a complete MP4."""
    started = time.monotonic()
    failures = 0
    while True:
        try:
            with atomic_output(dest) as tmp:
                total = await _fetch_in_thread(client, url, tmp, control, progress, task_id)
                try:
                    info = check_video(tmp, expected_size=total)
                except InvalidVideoError as exc:
                    raise ServerError(
                        f"The result of WaveSpeed task {task_id} is not a playable MP4: {exc.user_message}",
                        remote_id=task_id,
                    ) from None
            return Downloaded(dest, dest.stat().st_size, info, time.monotonic() - started)
        except httpx.HTTPError as exc:
            error: BackendError
            if isinstance(exc, httpx.TimeoutException):
                error = BackendTimeoutError("The download stalled.", remote_id=task_id)
            else:
                error = BackendConnectionError(
                    f"The download broke off ({type(exc).__name__}).", remote_id=task_id
                )
        except (_ShortDownloadError, ServerError) as exc:
            if not exc.retryable:
                raise
            error = exc
        except BackendError:
            raise  # cancel, deadline (a TimeoutError, so an OSError too), refusals: never "disk full"
        except OSError as exc:  # our side: folder not writable, disk full
            raise BackendError(
                f"Could not save the result of WaveSpeed task {task_id} to {dest.parent} "
                f"({exc.strerror or type(exc).__name__}). The video is paid for: free space or pick another "
                "folder, then resume the task.",
                remote_id=task_id,
            ) from exc
        failures += 1
        if failures >= attempts:
            raise ServerError(
                f"Could not download the result of WaveSpeed task {task_id} after {failures} attempts "
                f"({error.user_message}). The video is paid for: resume the task to try again.",
                remote_id=task_id,
            )
        delay = client.retry.delay(failures, None)
        log.info(
            "download of %s failed (%s); retry %d in %.1f s", task_id, error.user_message, failures, delay
        )
        await control.sleep(delay)


__all__ = ["ByteProgress", "Downloaded", "download_video"]
