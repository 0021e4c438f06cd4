"""Cancel and deadline for one job, shared by every wait and request in it.

Cancelling a WaveSpeed task is not possible once it is submitted (it runs and is billed anyway), so a
cancel after submit means *abandon*: stop waiting, keep the task id so the result can still be fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from ..errors import BackendTimeoutError, JobCancelledError

T = TypeVar("T")
_SLICE = 0.1  # how often a sleeping wait looks at the cancel flag


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


class Control:
    """``cancel``: anything with ``is_set()`` (threading.Event, asyncio.Event). ``deadline``: absolute
    ``time.monotonic()`` value; ``timeout``: seconds from now (the earlier of the two wins)."""

    def __init__(
        self,
        cancel: CancelFlag | None = None,
        deadline: float | None = None,
        timeout: float | None = None,
    ) -> None:
        self.cancel = cancel
        ends = [
            d for d in (deadline, None if timeout is None else time.monotonic() + timeout) if d is not None
        ]
        self.deadline = min(ends) if ends else None
        self.started = time.monotonic()
        #: Set once the task is submitted; every later error names it.
        self.remote_id: str | None = None

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def cap(self, seconds: float) -> float:
        """``seconds`` shortened to the time left before the deadline (never below a small floor)."""
        left = self.remaining()
        return seconds if left is None else max(0.05, min(seconds, left))

    def cancelled_error(self) -> JobCancelledError:
        if self.remote_id is None:
            return JobCancelledError("Cancelled before anything was submitted; nothing was billed.")
        return JobCancelledError(
            f"Stopped waiting for WaveSpeed task {self.remote_id}. It cannot be stopped on WaveSpeed and "
            "will still be billed; resume it with its id to fetch the result.",
            remote_id=self.remote_id,
        )

    def deadline_error(self) -> BackendTimeoutError:
        waited = time.monotonic() - self.started
        if self.remote_id is None:
            return BackendTimeoutError(f"Gave up after {waited:.0f} s before the task was submitted.")
        return BackendTimeoutError(
            f"WaveSpeed task {self.remote_id} did not finish within {waited:.0f} s. It may still finish "
            "(and is billed); resume it later with its id.",
            remote_id=self.remote_id,
        )

    def check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise self.cancelled_error()
        left = self.remaining()
        if left is not None and left <= 0:
            raise self.deadline_error()

    async def sleep(self, seconds: float) -> None:
        """Sleep, waking early to raise on cancel; raise at once if the deadline falls inside the sleep."""
        self.check()
        left = self.remaining()
        if left is not None and left < seconds:
            await self._sleep_slices(max(0.0, left))
            raise self.deadline_error()
        await self._sleep_slices(seconds)
        self.check()

    async def _sleep_slices(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise self.cancelled_error()
            now = time.monotonic()
            if now >= end:
                return
            await asyncio.sleep(min(_SLICE, end - now))

    async def guard(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` but give up as soon as cancel is set or the deadline passes.

        Never used around a submit: abandoning a submit halfway would leave its outcome unknown.
        """
        try:
            self.check()
        except BaseException:
            if asyncio.iscoroutine(awaitable):
                awaitable.close()  # never started: close it so it is not reported as "never awaited"
            raise
        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                left = self.remaining()
                wait = _SLICE if left is None else max(0.0, min(_SLICE, left))
                done, _ = await asyncio.wait({task}, timeout=wait)
                if done:
                    return task.result()
                self.check()
        finally:
            if not task.done():
                task.cancel()
                # The reason we stop (cancel, deadline) is what gets raised, not the aborted request's error.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


__all__ = ["CancelFlag", "Control"]
