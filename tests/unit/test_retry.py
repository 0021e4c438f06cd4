"""The one retry policy both backends use (backend/retry.py): Retry-After parsing, backoff, the decision for
idempotent and non-idempotent requests, and the blocking retry loop (no server needed; the same failures
through real servers: tests/backend/test_same_failure_both_backends.py)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from blender_movie_director.backend.errors import (
    AuthenticationError,
    BackendConnectionError,
    BackendTimeoutError,
    JobCancelledError,
    RateLimitError,
    ServerError,
    SubmissionUncertainError,
)
from blender_movie_director.backend.retry import RetryPolicy, Verdict, parse_retry_after, retry_call
from blender_movie_director.backend.wavespeed.provider import ProviderOptions
from blender_movie_director.backend.wavespeed.ratelimit import RATE_LIMIT_WAIT

# --- Retry-After ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"Retry-After": "0.5"}, 0.5),  # a plain dict keeps the server's spelling
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # milliseconds are the more precise
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "-4"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "nan"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_retry_after_header(headers, seconds):
    assert parse_retry_after(headers) == seconds


def test_retry_after_as_an_http_date():
    now = 1445412480.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=now) == pytest.approx(10)
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:27:00 GMT"}, now=now) == 0.0  # past: now


def test_retry_after_from_httpx_headers_ignores_case():
    import httpx

    assert parse_retry_after(httpx.Headers({"Retry-After-Ms": "1500"})) == 1.5


# --- backoff ---------------------------------------------------------------------------------------


def test_backoff_grows_to_its_cap_and_jitter_only_shortens():
    policy = RetryPolicy(base=0.5, factor=2.0, cap=4.0, jitter=0.2)
    rng = random.Random(1)
    waits = [policy.backoff(n, rng) for n in range(1, 12)]
    ceilings = [min(4.0, 0.5 * 2 ** (n - 1)) for n in range(1, 12)]
    assert all(0.8 * top <= wait <= top for wait, top in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == len(waits)  # jittered: no two alike
    assert RetryPolicy(jitter=0.0).backoff(10_000) == 8.0  # no overflow far out


def test_rate_limit_waits_back_off_to_a_minute():
    policy = ProviderOptions().rate_limit_wait
    assert policy is RATE_LIMIT_WAIT
    steady = RetryPolicy(**{**policy.__dict__, "jitter": 0.0})
    waits = [steady.delay(n) for n in range(1, 12)]
    assert waits[:4] == pytest.approx([5.0, 7.5, 11.25, 16.875])
    assert waits == sorted(waits) and waits[-1] == 60.0


def test_retry_after_is_honoured_up_to_its_cap():
    policy = RetryPolicy(cap=8.0, retry_after_cap=60.0)
    assert policy.delay(3, 2.0) == 2.0  # the service's word beats our backoff
    assert policy.delay(1, 30.0) == 30.0  # even beyond our backoff cap
    assert policy.delay(1, 3600.0) == 60.0  # an hour: wait a minute, then ask again
    assert policy.delay(1, -4.0) == 0.0


# --- the decision ------------------------------------------------------------------------------------


def _server_error() -> ServerError:
    err = ServerError("HTTP 503")
    err.retryable = True
    return err


def test_idempotent_requests_retry_what_may_pass():
    policy = RetryPolicy(attempts=3)
    assert policy.decide(_server_error(), 1, idempotent=True).retry
    assert policy.decide(BackendTimeoutError("slow"), 1, idempotent=True).retry
    assert policy.decide(RateLimitError("429", retry_after=2.0), 1, idempotent=True).delay == 2.0
    assert policy.decide(AuthenticationError("key"), 1, idempotent=True).verdict is Verdict.FINAL
    assert policy.decide(_server_error(), 3, idempotent=True).verdict is Verdict.ATTEMPTS


def test_a_submit_is_resent_only_when_it_had_no_effect():
    policy = RetryPolicy()
    refused = BackendConnectionError("refused")
    refused.safe_to_resend = True
    assert policy.decide(RateLimitError("429"), 1, idempotent=False).retry  # a refusal created nothing
    assert policy.decide(refused, 1, idempotent=False).retry
    for maybe_done in (_server_error(), BackendTimeoutError("slow"), BackendConnectionError("dropped")):
        decision = policy.decide(maybe_done, 1, idempotent=False)
        assert decision.verdict is Verdict.NOT_IDEMPOTENT, maybe_done
    assert policy.decide(SubmissionUncertainError("?"), 1, idempotent=False).verdict is Verdict.FINAL


def test_only_the_deadline_or_the_attempts_end_the_retries():
    policy = RetryPolicy(retry_after_cap=120.0)
    long_wait = RateLimitError("429", retry_after=7200)
    assert policy.decide(long_wait, 1, idempotent=True).delay == 120.0  # no deadline: ask again in 2 min
    beyond = policy.decide(long_wait, 1, idempotent=True, remaining=1800.0)
    assert beyond.verdict is Verdict.DEADLINE  # the server will not take us back before the deadline
    late = policy.decide(_server_error(), 4, idempotent=True, remaining=1.0)
    assert late.verdict is Verdict.DEADLINE
    patient = RetryPolicy(attempts=None)
    assert patient.decide(RateLimitError("429"), 500, idempotent=False).retry


# --- the blocking loop ------------------------------------------------------------------------------

FAST = RetryPolicy(base=0.01, cap=0.02)


def test_retry_call_retries_only_retryable():
    calls = []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise BackendConnectionError("down")
        return "ok"

    assert retry_call(flaky, deadline=time.monotonic() + 30, what="testing", policy=FAST) == "ok"
    assert len(calls) == 3
    with pytest.raises(AuthenticationError):
        retry_call(
            lambda: (_ for _ in ()).throw(AuthenticationError("no")),
            deadline=time.monotonic() + 5,
            what="testing",
        )


def test_retry_call_does_not_resend_a_request_that_may_have_run():
    calls = []

    def submit():
        calls.append(1)
        raise BackendTimeoutError("no answer")

    with pytest.raises(BackendTimeoutError):
        retry_call(submit, deadline=time.monotonic() + 30, what="submitting", idempotent=False, policy=FAST)
    assert len(calls) == 1


def test_retry_call_respects_deadline_and_cancel():
    def always_down():
        raise BackendConnectionError("down")

    started = time.monotonic()
    with pytest.raises(BackendTimeoutError, match="Gave up connecting"):
        retry_call(
            always_down, deadline=time.monotonic() + 0.3, what="connecting", policy=RetryPolicy(attempts=100)
        )
    assert time.monotonic() - started < 1.0
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(JobCancelledError):
        retry_call(always_down, deadline=time.monotonic() + 30, what="connecting", cancel=cancel)
