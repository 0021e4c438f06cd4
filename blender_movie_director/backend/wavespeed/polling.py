"""Wait for a submitted task: a poll schedule that polls every second through the model's typical time
and then backs off to a few seconds, retries for 429/5xx/timeouts (inside
:meth:`WaveSpeedClient.with_retries`), and progress reports."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..base import ProgressCallback
from ..errors import ServerError, UnsupportedServerError
from .client import WaveSpeedClient
from .control import Control
from .error_map import STILL_PROCESSING, task_failure

log = logging.getLogger(__name__)

TERMINAL_FAILED = ("failed", "cancelled", "canceled", "timeout", "deleted")


@dataclass(frozen=True)
class PollSchedule:
    """Intervals between polls: every ``first`` seconds until the task has run about as long as the model
    typically takes, then times ``factor`` up to ``cap`` seconds.

    Polling steadily through the typical time notices a finished task within ``first`` seconds (the
    SDK's one-second polls do the same); backing off only after it keeps long jobs at a few polls a minute.
    """

    first: float = 1.0
    factor: float = 1.5
    cap: float = 4.0
    #: How long to poll steadily when the model's typical time is not known.
    default_steady: float = 10.0

    def intervals(self, typical_seconds: float | None = None) -> Iterator[float]:
        steady = self.default_steady if typical_seconds is None else max(0.0, typical_seconds)
        waited = 0.0
        interval = self.first
        while waited < steady:
            yield interval
            waited += interval
        while True:
            interval = min(self.cap, interval * self.factor)
            yield interval
            waited += interval


class Progress:
    """Turns task states into ``callback(fraction, text)``; a failing callback is logged, never fatal
    (the task is paid for whatever the UI does)."""

    QUEUED, GENERATING, DOWNLOADING = 0.05, 0.10, 0.90

    #: Seconds between two download reports (the last one is always sent).
    DOWNLOAD_REPORT_EVERY = 0.2

    def __init__(self, callback: ProgressCallback | None, typical_seconds: float) -> None:
        self.callback = callback
        self.typical = max(1.0, typical_seconds)
        self._warned = False
        self._last_download_report = 0.0

    def report(self, fraction: float, text: str) -> None:
        if self.callback is None:
            return
        try:
            self.callback(min(1.0, fraction), text)
        except Exception:
            if not self._warned:
                log.exception("progress callback failed; the job continues")
                self._warned = True

    def queued(self, elapsed: float) -> None:
        self.report(self.QUEUED, f"Queued at WaveSpeed ({elapsed:.0f} s)")

    def generating(self, elapsed: float) -> None:
        share = min(elapsed / self.typical, 0.95)
        span = self.DOWNLOADING - self.GENERATING
        self.report(
            self.GENERATING + span * share,
            f"Generating on WaveSpeed: {elapsed:.0f} s (typically ~{self.typical:.0f} s)",
        )

    def downloading(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if done != total and now - self._last_download_report < self.DOWNLOAD_REPORT_EVERY:
            return
        self._last_download_report = now
        span = 1.0 - self.DOWNLOADING - 0.01
        if total:
            self.report(
                self.DOWNLOADING + span * done / total, f"Downloading {done / 1e6:.1f} / {total / 1e6:.1f} MB"
            )
        else:
            self.report(self.DOWNLOADING, f"Downloading {done / 1e6:.1f} MB")


@dataclass
class PollOutcome:
    task: dict[str, Any]
    polls: int
    queued_seconds: float
    generation_seconds: float
    statuses: list[str] = field(default_factory=list)


async def wait_for_task(
    client: WaveSpeedClient,
    task_id: str,
    control: Control,
    progress: Progress,
    schedule: PollSchedule,
    typical_seconds: float | None = None,
) -> PollOutcome:
    """Poll until the task is completed (returned) or failed (typed error naming the task).

    ``typical_seconds``: how long the model usually takes (the steady part of ``schedule``)."""
    started = time.monotonic()
    processing_since: float | None = None
    intervals = schedule.intervals(typical_seconds)
    polls = 0
    statuses: list[str] = []

    def on_retry(error: Any, delay: float) -> None:
        progress.report(
            -1.0 if processing_since is None else progress.GENERATING,
            f"WaveSpeed is busy ({error.kind.value}); asking again in {delay:.0f} s",
        )

    while True:
        task = await client.with_retries(
            lambda: client.get_result(task_id, control), control, what=f"poll {task_id}", on_retry=on_retry
        )
        polls += 1
        status = str(task.get("status") or "").lower()
        if not statuses or statuses[-1] != status:
            statuses.append(status)
            log.debug("task %s: %s", task_id, status)
        now = time.monotonic()
        if status == "completed":
            if not _outputs(task):
                raise ServerError(
                    f"WaveSpeed task {task_id} completed without an output video.", remote_id=task_id
                )
            generating_from = processing_since if processing_since is not None else now
            return PollOutcome(task, polls, generating_from - started, now - generating_from, statuses)
        if status in TERMINAL_FAILED:
            raise task_failure(task, task_id, client.scrub)
        if task.get("code") not in (None, 0, 200, STILL_PROCESSING) and task.get("error"):
            log.info("task %s reports code %s while %s; still polling", task_id, task.get("code"), status)
        if status == "processing":
            if processing_since is None:
                processing_since = now
            progress.generating(now - processing_since)
        else:  # created / queued / pending / unknown: keep waiting
            progress.queued(now - started)
        await control.sleep(next(intervals))


def _outputs(task: dict[str, Any]) -> list[str]:
    outputs = task.get("outputs") or []
    if not isinstance(outputs, list):
        raise UnsupportedServerError("WaveSpeed's task has an unexpected 'outputs' field.")
    return [o for o in outputs if isinstance(o, str) and o]


output_urls = _outputs

__all__ = ["PollOutcome", "PollSchedule", "Progress", "output_urls", "wait_for_task"]
