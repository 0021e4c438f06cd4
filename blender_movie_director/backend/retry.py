"""One retry policy for both backends: may a failed request be sent again, and how long to wait first.

The decision looks at the typed error only (:mod:`.errors` maps every HTTP status and transport failure to
one): ``err.retryable`` says whether asking again later can help at all, ``err.safe_to_resend`` whether the
request certainly had no effect (refused connection, 429). A request that is not idempotent (a paid submit)
is sent again only in the second case; everything else is retried while ``retryable``. A server's
``Retry-After`` (or ``retry-after-ms``) is honoured up to a cap (a longer one is waited that long, then the
server asked again), and one that ends after the job's deadline ends the retries at once. Without one, waits
back off exponentially with a little jitter. Only the attempts and the deadline end the retries.

Threading: everything here is pure or waits on the caller's own cancel event; :func:`retry_call` blocks the
calling worker thread (never call it on Blender's main thread). The async WaveSpeed client drives
:meth:`RetryPolicy.decide` itself and sleeps with its ``Control``.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TypeVar

from .errors import BackendError, BackendTimeoutError, JobCancelledError

T = TypeVar("T")


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """Seconds a server asks us to wait: ``retry-after-ms`` (precise, non-standard, used by some proxies)
    first, then ``Retry-After`` as delta-seconds or as an HTTP date. None when absent or unreadable;
    never negative, never infinite (a date in the past means "now")."""
    if not headers:
        return None
    millis = _number(_header(headers, "retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    value = (_header(headers, "retry-after") or "").strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """``headers[name]`` whatever its case (httpx.Headers ignores case already; a plain dict does not)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def _number(value: str | None) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return max(0.0, number) if math.isfinite(number) else None


class Verdict(StrEnum):
    RETRY = "retry"
    FINAL = "final"  # the error says asking again cannot help (bad key, certificate, 404…)
    NOT_IDEMPOTENT = "not_idempotent"  # the request may have had an effect: sending it again could repeat it
    ATTEMPTS = "attempts"  # tried often enough
    DEADLINE = "deadline"  # the wait (or the server's Retry-After) would end after the job's deadline


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    #: Seconds to wait before the next attempt (the server's ``Retry-After`` when it gave one).
    delay: float = 0.0

    @property
    def retry(self) -> bool:
        return self.verdict is Verdict.RETRY


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. The defaults suit idempotent requests to either backend."""

    #: Failures in a row before giving up; None: until the deadline.
    attempts: int | None = 10
    base: float = 0.5  # first backoff wait, seconds
    factor: float = 2.0  # each further failure multiplies the wait by this
    cap: float = 8.0  # no backoff wait is longer
    #: Each backoff wait is shortened by a random fraction up to this, so clients that failed together do not
    #: come back together. Never lengthened: the cap stays a cap.
    jitter: float = 0.2
    #: The longest server-asked wait kept in one go; after it the server is simply asked again.
    retry_after_cap: float = 120.0

    def backoff(self, failures: int, rng: random.Random | None = None) -> float:
        """The wait after the ``failures``-th failure in a row (1-based) when the server named none."""
        exponent = max(0, failures - 1)
        raw = self.cap if exponent > 64 else min(self.cap, self.base * self.factor**exponent)
        return raw * (1.0 - self.jitter * (rng or random).random())

    def delay(
        self, failures: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """The server's wait when it named one (at most ``retry_after_cap``), else :meth:`backoff`."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.retry_after_cap)
        return self.backoff(failures, rng)

    def decide(
        self,
        error: BackendError,
        failures: int,
        *,
        idempotent: bool,
        remaining: float | None = None,
        rng: random.Random | None = None,
    ) -> Decision:
        """Whether to send the request again after its ``failures``-th failure in a row, and after what wait.

        ``idempotent``: sending the request twice has the same effect as once (polls, downloads, catalog,
        connecting). A submit is not: it is resent only when ``error.safe_to_resend``.
        ``remaining``: seconds left before the job's deadline, when there is one.
        """
        if not error.retryable:
            return Decision(Verdict.FINAL)
        if not idempotent and not error.safe_to_resend:
            return Decision(Verdict.NOT_IDEMPOTENT)
        if self.attempts is not None and failures >= self.attempts:
            return Decision(Verdict.ATTEMPTS)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None and remaining is not None and retry_after > remaining:
            return Decision(Verdict.DEADLINE, retry_after)  # the server will not take us back in time
        wait = self.delay(failures, retry_after, rng)
        if remaining is not None and wait >= remaining:
            return Decision(Verdict.DEADLINE, wait)
        return Decision(Verdict.RETRY, wait)


def retry_call(
    fn: Callable[[], T],
    *,
    deadline: float,
    what: str,
    idempotent: bool = True,
    policy: RetryPolicy | None = None,
    cancel: threading.Event | None = None,
    on_retry: Callable[[BackendError, float], None] | None = None,
) -> T:
    """Call ``fn`` (which raises :class:`BackendError`) until it succeeds or :meth:`RetryPolicy.decide`
    says stop; blocks the calling worker thread.

    ``deadline`` is a ``time.monotonic()`` value. The last error is re-raised, or a
    :class:`BackendTimeoutError` when the deadline cut the next wait short. A set ``cancel`` ends a wait at
    once with :class:`JobCancelledError`.
    """
    policy = policy or RetryPolicy()
    failures = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise JobCancelledError(f"Cancelled while {what}.")
        try:
            return fn()
        except BackendError as err:
            failures += 1
            left = deadline - time.monotonic()
            decision = policy.decide(err, failures, idempotent=idempotent, remaining=left)
            if decision.verdict is Verdict.DEADLINE:
                raise BackendTimeoutError(
                    f"Gave up {what} after {failures} attempts: {err.user_message}", remote_id=err.remote_id
                ) from err
            if not decision.retry:
                raise
            if on_retry is not None:
                on_retry(err, decision.delay)
            if cancel is not None:
                if cancel.wait(decision.delay):
                    raise JobCancelledError(f"Cancelled while {what}.") from err
            else:
                time.sleep(decision.delay)


__all__ = ["Decision", "RetryPolicy", "Verdict", "parse_retry_after", "retry_call"]
