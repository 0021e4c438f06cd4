"""What a backend runner gets (RunContext) and must provide (Runner) to run jobs for the JobManager.

A runner runs on a worker thread. It does all network and file I/O for one job, reports through the context,
and stops promptly when ``ctx.should_stop()`` turns true: it then does the backend's real remote cancel (where
the service has one) and raises :class:`JobCancelledError`. It waits only in short slices (``ctx.wait``), so
cancel, deadlines and shutdown are seen within a fraction of a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..base import GenerationResult
from ..errors import JobCancelledError
from .request import Credentials, GenerationRequest
from .store import JobRecord


class StopReason:
    CANCEL = "cancel"  # the user cancelled: cancel remotely where possible
    ABANDON = "abandon"  # the user gave up on a paid task that cannot be cancelled: stop polling, keep its id
    DEADLINE = "deadline"
    SHUTDOWN = "shutdown"  # Blender is closing: stop locally, leave the remote work for a later resume()


class RunContext:
    def __init__(
        self,
        job_id: str,
        request: GenerationRequest,
        credentials: Credentials,
        emit_progress: Callable[[float, str], None],
        emit_log: Callable[[str, str], None],
        emit_remote_id: Callable[[str, str, dict[str, str]], None],
        record: JobRecord | None = None,
    ) -> None:
        self.job_id = job_id
        self.request = request
        self.credentials = credentials
        #: The stored record when this run resumes a job from an earlier session.
        self.record = record
        self._emit_progress = emit_progress
        self._emit_log = emit_log
        self._emit_remote_id = emit_remote_id
        self._stop = threading.Event()
        self.stop_reason = ""
        self.deadline = time.monotonic() + request.deadline_s
        #: What the job is waiting for right now, in words (used in a timeout message).
        self.waiting_for = "its turn on the server"
        self.remote_id = record.remote_id if record else ""

    # -- reporting -------------------------------------------------------------------------------------
    def progress(self, fraction: float, text: str) -> None:
        if text:
            self.waiting_for = text
        self._emit_progress(fraction, text)

    def log(self, text: str, level: str = "info") -> None:
        self._emit_log(text, level)

    def set_remote_id(self, remote_id: str, kind: str, **details: str) -> None:
        """Call as soon as the service names the work: it is persisted before this returns. ``details``
        (e.g. the server's output folder) are stored with it for a later ``resume``."""
        self.remote_id = remote_id
        self._emit_remote_id(remote_id, kind, details)

    # -- stopping -----------------------------------------------------------------------------------------
    def request_stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self.stop_reason = reason
            self._stop.set()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def should_stop(self) -> bool:
        if not self._stop.is_set() and self.remaining() <= 0:
            self.request_stop(StopReason.DEADLINE)
        return self._stop.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (never past the deadline); True if the job should stop."""
        self._stop.wait(max(0.0, min(seconds, self.remaining())))
        return self.should_stop()

    def check(self) -> None:
        """Raise :class:`JobCancelledError` if the job should stop (after any remote cancel)."""
        if self.should_stop():
            raise JobCancelledError(f"Stopped ({self.stop_reason}).", remote_id=self.remote_id or None)


class Runner(Protocol):
    #: False for services that cannot stop a task once submitted (WaveSpeed): cancel then needs abandon.
    can_cancel_remote: bool

    def run(self, ctx: RunContext) -> GenerationResult:
        """Run ``ctx.request`` to a checked video in ``ctx.request.output_dir``; raise a BackendError."""
        ...

    def resume(self, ctx: RunContext) -> GenerationResult:
        """Finish ``ctx.record`` (a job from an earlier session) without submitting it again."""
        ...

    def resumable(self, record: JobRecord) -> str:
        """Empty if ``record`` can be resumed; otherwise why not, in words for the user."""
        ...

    def close(self) -> None:
        """Release clients and their threads."""
        ...
