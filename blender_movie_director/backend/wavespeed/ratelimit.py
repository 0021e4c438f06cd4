"""Waiting for a turn when WaveSpeed refuses a submit with 429 (the account's submit rate is used up).

A 429 submit creates nothing, so asking again cannot bill twice. WaveSpeed's default Bronze accounts may
submit 2 videos a minute; more shots than that at once are not an error, they just have to wait their
turn. The wait lasts until the job's own deadline: a ``Retry-After`` is honoured (each single wait capped),
otherwise the waits back off; both by the shared policy (:mod:`..retry`), which lets a submit refused with
429 go again because the refusal created nothing. Cancel ends a wait within a tenth of a second
(``Control.sleep``).

Threading: runs on the job's own event loop (a worker thread), like the rest of the provider.
"""

from __future__ import annotations

import math
import time

from ..errors import RateLimitError
from ..retry import RetryPolicy
from .control import Control
from .polling import Progress

WAITING_TEXT = (
    "WaveSpeed is rate-limiting this account: waiting to submit "
    "(Bronze accounts may submit 2 videos a minute)"
)
_LATER = "Nothing was submitted or billed; generate it again later or give the job more time."


#: Waits between refused submits: the server's ``Retry-After`` when given, else 5 s growing by half per
#: refusal; no single wait longer than a minute. Only the job's deadline ends them.
RATE_LIMIT_WAIT = RetryPolicy(attempts=None, base=5.0, factor=1.5, cap=60.0, retry_after_cap=60.0)


async def wait_for_turn(
    refused: RateLimitError,
    refusals: int,
    policy: RetryPolicy,
    control: Control,
    reporter: Progress,
) -> None:
    """Wait before submitting again after the ``refusals``-th 429 in a row.

    Raises :class:`RateLimitError` (nothing submitted) when the service asks for a wait beyond the job's
    deadline, or when the next wait would end after it; :class:`JobCancelledError` on cancel.
    """
    left = control.remaining()
    retry_after = refused.retry_after
    decision = policy.decide(refused, refusals, idempotent=False, remaining=left)
    if not decision.retry and retry_after is not None and left is not None and retry_after > left:
        raise RateLimitError(
            f"WaveSpeed is rate-limiting this account and asks to wait {retry_after:.0f} s before the next "
            f"submit, longer than this job has left ({max(0.0, left):.0f} s). {_LATER}",
            retry_after=retry_after,
            code=refused.code,
        )
    if not decision.retry:
        waited = time.monotonic() - control.started
        raise RateLimitError(
            f"WaveSpeed's rate limit for this account left no turn to submit within the job's time limit "
            f"({waited:.0f} s, refused {refusals} times; Bronze accounts may submit 2 videos a minute). "
            f"{_LATER}",
            retry_after=retry_after,
            code=refused.code,
        )
    wait = decision.delay
    reporter.report(0.01, f"{WAITING_TEXT}; next try in {math.ceil(wait)} s")
    await control.sleep(wait)


__all__ = ["RATE_LIMIT_WAIT", "WAITING_TEXT", "wait_for_turn"]
