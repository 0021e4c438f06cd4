"""Immutable records that workers post and the main thread drains, in order, per job.

The only channel from worker threads to Blender: ``JobManager.drain()`` hands these out, and the Blender
layer's timer applies them to shot properties and the VSE.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from ..base import GenerationResult
from ..errors import ErrorKind


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    #: Known to the store from an earlier session, waiting for ``resume()``.
    INTERRUPTED = "interrupted"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobEvent:
    job_id: str
    #: Per-job sequence number, from 1, so a consumer can check order.
    seq: int
    #: ``time.time()`` when the event was made.
    time: float
    kind: ClassVar[str] = "event"


@dataclass(frozen=True)
class Queued(JobEvent):
    position: int = 0
    kind: ClassVar[str] = "queued"


@dataclass(frozen=True)
class Started(JobEvent):
    server: str = ""
    kind: ClassVar[str] = "started"


@dataclass(frozen=True)
class Progress(JobEvent):
    fraction: float = -1.0  # negative: unknown
    text: str = ""
    kind: ClassVar[str] = "progress"


@dataclass(frozen=True)
class RemoteId(JobEvent):
    """The service's handle on the work: a WaveSpeed task id, a Wan2GP server file or session."""

    remote_id: str = ""
    remote_kind: str = ""  # "task" | "server_file" | "session"
    kind: ClassVar[str] = "remote_id"


@dataclass(frozen=True)
class Log(JobEvent):
    text: str = ""
    level: str = "info"
    kind: ClassVar[str] = "log"


@dataclass(frozen=True)
class Succeeded(JobEvent):
    result: GenerationResult = field(default=None)  # type: ignore[assignment]
    kind: ClassVar[str] = "succeeded"


@dataclass(frozen=True)
class Failed(JobEvent):
    error_kind: ErrorKind = ErrorKind.SERVER
    message: str = ""
    remote_id: str = ""
    kind: ClassVar[str] = "failed"


@dataclass(frozen=True)
class Cancelled(JobEvent):
    reason: str = ""
    #: True when a paid remote task may still complete (WaveSpeed cannot cancel); its id is kept.
    remote_may_finish: bool = False
    kind: ClassVar[str] = "cancelled"


TERMINAL_EVENTS = (Succeeded, Failed, Cancelled)
