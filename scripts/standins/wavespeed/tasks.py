"""Tasks and their clock: created -> processing -> completed | failed, timed by time.monotonic().

A task's whole schedule is fixed at submit (queue end, start, finish), so its status at any moment is
a pure function of the clock plus whether its video has been rendered. With ``max_concurrency`` the
start waits for a free slot, like a Bronze account's queue.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TERMINAL = ("completed", "failed")


@dataclass
class Task:
    id: str
    model: str
    key_id: str
    inputs: dict[str, Any]  # accepted inputs as sent (schema keys only)
    effective: dict[str, Any]  # inputs with schema defaults filled in
    price: float
    submitted: float  # monotonic
    starts: float  # monotonic: created -> processing
    finishes: float  # monotonic: processing -> terminal
    created_at: str  # ISO-8601 UTC with millis and Z
    webhook: str | None = None
    #: A failure decided at submit (invalid value in "task" mode, a scripted fault): (code, message).
    planned_failure: tuple[int, str] | None = None
    #: Failure found while rendering (e.g. an input URL that cannot be fetched): (code, message).
    render_failure: tuple[int, str] | None = None
    output_name: str | None = None  # file name under the media store's outputs
    rendered: threading.Event = field(default_factory=threading.Event)
    completed_mono: float | None = None
    documented_size: tuple[int, int] | None = None
    output_size: tuple[int, int] | None = None
    nsfw: bool = False
    expired: bool = False
    polls: int = 0

    def status(self, now: float) -> str:
        if now < self.starts:
            return "created"
        if self.planned_failure and self.planned_failure[0] in (1400, 1401):
            return "failed"  # schema problems fail as soon as the task is picked up
        if now < self.finishes or not self.rendered.is_set():
            return "processing"
        if self.planned_failure or self.render_failure:
            return "failed"
        if self.completed_mono is None:
            self.completed_mono = max(self.finishes, now)
        return "completed"

    def failure(self) -> tuple[int, str] | None:
        return self.planned_failure or self.render_failure


class TaskStore:
    """All tasks of this server. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._slot_free_at: list[float] = []

    def schedule(
        self, queue_seconds: float, task_seconds: float, max_concurrency: int
    ) -> tuple[float, float, float]:
        """Reserve a run slot: returns (submitted, starts, finishes) on the monotonic clock."""
        now = time.monotonic()
        with self._lock:
            starts = now + queue_seconds
            if max_concurrency > 0:
                busy = sorted(t for t in self._slot_free_at if t > now)
                if len(busy) >= max_concurrency:
                    starts = max(starts, busy[len(busy) - max_concurrency])
                self._slot_free_at = [*busy, starts + task_seconds]
            return now, starts, starts + task_seconds

    def add(self, task: Task) -> None:
        with self._lock:
            self._tasks[task.id] = task

    def get(self, task_id: str) -> Task | None:
        with self._lock:
            return self._tasks.get(task_id)

    def all(self) -> list[Task]:
        with self._lock:
            return list(self._tasks.values())

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._slot_free_at.clear()


def new_task_id() -> str:
    return secrets.token_hex(16)


def iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
