"""Capped exponential backoff with full jitter, bounded by a deadline and a cancel event.

Only steps that cannot start a generation are retried this way (connecting, probing, uploading the queue
file into a fresh session, downloading). A generation whose outcome is unknown is never sent twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from ..errors import BackendError, BackendTimeoutError, JobCancelledError

T = TypeVar("T")


def backoff_delays(base: float = 0.5, cap: float = 8.0, rng: random.Random | None = None) -> Iterator[float]:
    """Endless delays: uniform in [0, min(cap, base * 2**n)] ("full jitter")."""
    rng = rng or random.Random()
    attempt = 0
    while True:
        yield rng.uniform(0.0, min(cap, base * (2**attempt)))
        attempt += 1


def retry_call(
    fn: Callable[[], T],
    *,
    deadline: float,
    what: str,
    cancel: threading.Event | None = None,
    max_attempts: int = 6,
    base: float = 0.5,
    cap: float = 8.0,
    on_retry: Callable[[BackendError, float], None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, raises a non-retryable error, or time/attempts run out.

    ``fn`` raises :class:`BackendError`; ``err.retryable`` decides. ``deadline`` is a ``time.monotonic()``
    value. The last error is re-raised (a :class:`BackendTimeoutError` if the deadline cut the wait short).
    """
    delays = backoff_delays(base, cap)
    attempt = 0
    while True:
        attempt += 1
        if cancel is not None and cancel.is_set():
            raise JobCancelledError(f"Cancelled while {what}.")
        try:
            return fn()
        except BackendError as err:
            if not err.retryable or attempt >= max_attempts:
                raise
            delay = next(delays)
            remaining = deadline - time.monotonic()
            if remaining <= delay:
                raise BackendTimeoutError(
                    f"Gave up {what} after {attempt} attempts: {err.user_message}", remote_id=err.remote_id
                ) from err
            if on_retry is not None:
                on_retry(err, delay)
            if cancel is not None:
                if cancel.wait(delay):
                    raise JobCancelledError(f"Cancelled while {what}.") from err
            else:
                time.sleep(delay)
