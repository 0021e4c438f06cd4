"""The WaveSpeed fault matrix against the stand-in: every fault ends in a checked video or a typed
error that names the task, the stand-in never sees a second submit, and no completed task is lost."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    InsufficientBalanceError,
    ModerationError,
    RateLimitError,
    ServerError,
    SubmissionUncertainError,
    ValidationError,
)
from blender_movie_director.backend.wavespeed.services import LTX2FastService
from tests.backend.test_wavespeed_support import assert_good_result, decode, make_png, make_provider

pytestmark = pytest.mark.standin

MODEL = "lightricks/ltx-2-fast/text-to-video"


class Run:
    """One generation through the provider's sync facade, remembering every task id handed back."""

    def __init__(self, server: Any, tmp_path: Path, **provider_kwargs: Any) -> None:
        self.server = server
        self.out = tmp_path / "out"
        self.provider = make_provider(server, **provider_kwargs)
        self.ids: list[str] = []

    def __call__(self, model: str = MODEL, **params: Any):
        params.setdefault("prompt", "a lighthouse")
        return self.provider.generate_sync(
            model, params, output_dir=self.out, on_submitted=lambda t: self.ids.append(t.task_id)
        )

    def fails(self, error_type: type[BackendError], model: str = MODEL, **params: Any) -> BackendError:
        with pytest.raises(error_type) as err:
            self(model, **params)
        return err.value

    def resume(self, task_id: str):
        return self.provider.resume_sync(task_id, output_dir=self.out)


def settled(server, submit_posts: int, deadline: float = 10.0) -> None:
    """Wait until the stand-in has logged ``submit_posts`` submits: a hung or dropped request is logged
    when the stand-in finishes with it, which can be after our client gave up (and must be before the
    next test's reset, or it would be counted there)."""
    end = time.monotonic() + deadline
    while server.submit_count(created_only=False) < submit_posts and time.monotonic() < end:
        time.sleep(0.05)


def submits(server) -> tuple[int, int]:
    """(submit POSTs the server saw, tasks it created)."""
    return server.submit_count(created_only=False), server.submit_count()


def assert_no_lost_tasks(server, known: set[str]) -> None:
    """Every task the service created (and billed) is known to the caller by its id."""
    created = {t["id"] if "id" in t else t["task_id"] for t in server.tasks()}
    assert created <= known, f"tasks nobody knows about: {created - known}"


@pytest.fixture
def run(wavespeed_standin_clean, tmp_path):
    return Run(wavespeed_standin_clean, tmp_path)


def poll_statuses(server) -> list[int]:
    return [r["status"] for r in server.requests(route="poll")]


# -- polls ----------------------------------------------------------------------------------------
def test_poll_429_without_retry_after_backs_off(run):
    run.server.add_fault("poll", status=429, count=2)
    result = run()
    assert_good_result(result)
    assert poll_statuses(run.server)[:2] == [429, 429]
    assert submits(run.server) == (1, 1)


def test_poll_429_honours_retry_after(run):
    run.server.add_fault("poll", status=429, count=1, retry_after=1)
    assert_good_result(run())
    polls = run.server.requests(route="poll")
    assert polls[0]["status"] == 429
    assert polls[1]["t"] - polls[0]["t"] >= 0.95  # waited as told, not the 0.05 s backoff
    assert submits(run.server) == (1, 1)


def test_poll_429_retry_after_as_http_date(run):
    import time
    from email.utils import formatdate

    run.server.add_fault("poll", status=429, count=1, retry_after=formatdate(time.time() + 2, usegmt=True))
    assert_good_result(run())
    polls = run.server.requests(route="poll")
    assert polls[1]["t"] - polls[0]["t"] >= 0.5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_poll_5xx_is_retried(run, status):
    run.server.add_fault("poll", status=status, count=3, body="html" if status == 502 else "json")
    assert_good_result(run())
    assert poll_statuses(run.server)[:3] == [status] * 3
    assert submits(run.server) == (1, 1)


def test_poll_5xx_that_never_ends_gives_up_with_the_task_id_then_resumes(run):
    run.server.add_fault("poll", status=503, count=None)
    error = run.fails(ServerError)
    assert error.retryable and error.remote_id == run.ids[0]
    assert run.ids[0] in str(error)
    run.server.clear_faults()
    assert_good_result(run.resume(error.remote_id))
    assert submits(run.server) == (1, 1)
    assert_no_lost_tasks(run.server, set(run.ids))


def test_poll_hang_past_read_timeout_is_retried(wavespeed_standin_clean, tmp_path):
    run = Run(wavespeed_standin_clean, tmp_path, read=0.5)
    run.server.add_fault("poll", action="hang", hang_seconds=3, count=1)
    assert_good_result(run())
    assert submits(run.server) == (1, 1)


def test_poll_dropped_connection_is_retried(run):
    run.server.add_faults(
        [
            {"route": "poll", "action": "drop", "count": 1},
            {"route": "poll", "action": "drop", "rst": True, "count": 1},
        ]
    )
    assert_good_result(run())
    assert submits(run.server) == (1, 1)


def test_poll_envelope_error_inside_http_200_is_retried(run):
    run.server.add_fault("poll", action="envelope", code=500, message="internal error", count=2)
    assert_good_result(run())
    assert submits(run.server) == (1, 1)


def test_poll_envelope_401_inside_http_200_is_an_auth_error(run):
    run.server.add_fault("poll", action="envelope", code=401, message="Invalid API key", count=1)
    error = run.fails(AuthenticationError)
    assert error.remote_id == run.ids[0]


# -- submit: the task may exist, never submit again -------------------------------------------
@pytest.mark.parametrize(
    "rule",
    [
        {"action": "drop"},
        {"action": "drop", "rst": True},
        {"action": "hang", "hang_seconds": 3},
        {"status": 500},
        {"status": 502, "body": "html"},
        {"status": 503},
        {"status": 504, "body": "html"},
        {"action": "envelope", "code": 500, "message": "internal error"},
    ],
    ids=lambda r: "-".join(str(v) for v in r.values()),
)
def test_submit_failure_after_the_task_was_created_is_uncertain_never_resubmitted(
    wavespeed_standin_clean, tmp_path, rule
):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path, submit=1.0)
    server.add_fault("submit", create_task=True, **rule)
    error = run.fails(SubmissionUncertainError)
    settled(server, 1)
    assert "may have been created" in str(error)
    assert submits(server) == (1, 1)  # one POST, one (billed) task, no second try
    (task,) = server.tasks()
    task_id = task.get("id") or task.get("task_id")
    # The provider could not learn the id; the user's WaveSpeed history can. Resume from it:
    result = run.resume(task_id)
    assert_good_result(result)
    assert submits(server) == (1, 1)


@pytest.mark.parametrize("status", [500, 503])
def test_submit_5xx_that_created_nothing_is_still_reported_uncertain(
    wavespeed_standin_clean, tmp_path, status
):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.add_fault("submit", status=status)
    run.fails(SubmissionUncertainError)
    assert submits(server) == (1, 0)


def test_submit_429_is_a_refusal_and_may_be_asked_again(run):
    run.server.add_fault("submit", status=429, retry_after=0.3, count=1)
    assert_good_result(run())
    assert submits(run.server) == (2, 1)  # the 429 created nothing; exactly one task exists


def test_submit_429_storm_waits_until_the_deadline_then_is_rate_limited(wavespeed_standin_clean, tmp_path):
    run = Run(wavespeed_standin_clean, tmp_path, timeout=1.5)
    run.server.add_fault("submit", status=429, count=None)
    started = time.monotonic()
    error = run.fails(RateLimitError)
    took = time.monotonic() - started
    assert error.retryable and error.remote_id is None
    assert "time limit" in str(error) and "Nothing was submitted" in str(error)
    attempts, created = submits(run.server)
    # Waits of 0.1, 0.15, 0.225, ... s (FAST_RATE_WAIT) fill the 1.5 s; a wait that would end past the
    # deadline is not started.
    assert created == 0 and attempts >= 5, attempts
    assert 0.8 < took < 1.6, took


def test_submit_retry_after_beyond_the_deadline_fails_at_once(run):
    run.server.add_fault("submit", status=429, retry_after=600, count=None)
    started = time.monotonic()
    error = run.fails(RateLimitError)  # the job has 60 s
    assert time.monotonic() - started < 2.0
    assert "asks to wait 600 s" in str(error) and error.retry_after == 600
    assert submits(run.server) == (1, 0)


def test_submit_retry_after_longer_than_the_wait_cap_is_capped(run):
    # FAST_RATE_WAIT caps a single wait at 0.5 s: a Retry-After of 30 s inside the deadline waits 0.5 s.
    run.server.add_fault("submit", status=429, retry_after=30, count=1)
    started = time.monotonic()
    assert_good_result(run())
    assert time.monotonic() - started < 5.0
    assert submits(run.server) == (2, 1)


def test_submit_envelope_errors_inside_http_200(run):
    run.server.add_fault("submit", action="envelope", code=401, message="Invalid API key")
    run.fails(AuthenticationError)
    run.server.add_fault("submit", action="envelope", code=1401, message="duration is invalid")
    assert run.fails(ValidationError).code == 1401
    assert submits(run.server)[1] == 0


def test_submit_hang_without_a_task_is_uncertain_too(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path, submit=0.5)
    server.add_fault("submit", action="hang", hang_seconds=2)
    run.fails(SubmissionUncertainError)
    settled(server, 1)
    assert submits(server) == (1, 0)


# -- account -------------------------------------------------------------------------------------
def test_wrong_key_is_an_auth_error_without_the_key(wavespeed_standin_clean, tmp_path, caplog):
    server = wavespeed_standin_clean
    bad_key = "ws-wrong-key-SECRET-123456"
    caplog.set_level(logging.DEBUG)
    # Default: the catalog check meets the 401 first; then an explicitly asked quote; without catalog and
    # quote (the default when no budget is set), the submit itself does.
    for options in ({}, {"check_catalog": False, "quote_price": True}, {"check_catalog": False}):
        run = Run(server, tmp_path, key=bad_key, **options)
        error = run.fails(AuthenticationError)
        assert error.kind.value == "auth"
        for text in (str(error), repr(error), repr(run.provider), repr(run.provider.client)):
            assert bad_key not in text and "SECRET" not in text
    assert bad_key not in caplog.text
    assert submits(server)[1] == 0
    assert [s["outcome"] for s in server.submits()] == ["unauthorized"]  # only the last run got that far
    assert [r["route"] for r in server.requests()] == ["models", "price", "submit"]


def test_missing_key_fails_before_any_request(wavespeed_standin_clean, tmp_path, monkeypatch):
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    run = Run(wavespeed_standin_clean, tmp_path, key="")
    error = run.fails(AuthenticationError)
    assert "WAVESPEED_API_KEY" in str(error)
    assert wavespeed_standin_clean.requests() == []


def test_insufficient_balance(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.configure(balance=0.05)
    error = run.fails(InsufficientBalanceError, "hunyuan-video-1.5", resolution="720p")
    assert "balance" in str(error).lower()
    assert submits(server) == (1, 0)
    server.configure(balance=100.0)
    server.add_fault("submit", action="insufficient_balance", status=403)
    run.fails(InsufficientBalanceError)
    server.add_fault("submit", action="insufficient_balance", status=400)
    run.fails(InsufficientBalanceError)
    assert submits(server)[1] == 0


def test_key_never_in_results_or_logs(wavespeed_standin_clean, tmp_path, caplog):
    server = wavespeed_standin_clean
    caplog.set_level(logging.DEBUG)
    service = LTX2FastService(make_provider(server), output_dir=tmp_path)
    import asyncio

    server.add_fault("poll", status=503, count=1)
    ok = asyncio.run(service.generate_video("x"))
    server.add_fault("submit", action="task_fail", task_code=1401, task_error=f"bad input {server.api_key}")
    failed = asyncio.run(service.generate_video("x"))
    assert ok.success and not failed.success
    texts = [repr(service), repr(ok), repr(failed), caplog.text, str(dict(ok.metadata)), failed.error_message]
    for text in texts:
        assert server.api_key not in text
    assert "***" in failed.error_message  # the server echoed the key; we masked it


# -- failed tasks ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "error_type", "kind"),
    [
        (1200, ModerationError, "moderation"),
        (1401, ValidationError, "validation"),
        (1402, ValidationError, "validation"),
        (5000, ServerError, "server"),
    ],
)
def test_failed_task_codes(wavespeed_standin_clean, tmp_path, code, error_type, kind):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.add_fault("submit", action="task_fail", task_code=code, task_error=f"scripted {code}")
    error = run.fails(error_type)
    assert error.code == code and error.remote_id == run.ids[0] and error.kind.value == kind
    assert f"scripted {code}" in str(error) and str(code) in str(error)
    assert error.retryable == (code == 5000)
    assert submits(server) == (1, 1)
    # The same through a service: a failed GenerationResult that still names the task.
    server.add_fault("submit", action="task_fail", task_code=code)
    import asyncio

    result = asyncio.run(LTX2FastService(run.provider).generate_video("x"))
    assert not result.success and result.error_kind.value == kind
    assert result.metadata["remote_id"] and result.metadata["error_code"] == code


def test_unreachable_input_url_fails_with_1402(run, tmp_path):
    error = run.fails(ValidationError, "hunyuan-video-1.5", image="https://example.invalid/frame.png")
    assert error.code == 1402 and error.remote_id


def test_invalid_value_as_task_failure_mode(wavespeed_standin_factory, tmp_path):
    """If the real API accepts a bad value and fails the task (unknown), the error is still typed."""
    server = wavespeed_standin_factory(invalid_values="task", task_seconds=0.2, queue_seconds=0.05)
    run = Run(server, tmp_path)
    # Our validation never lets a bad value out, so the bad body goes through the low-level client.
    import asyncio

    from blender_movie_director.backend.wavespeed.control import Control

    async def main():
        try:
            task = await run.provider.client.submit(
                MODEL, {"prompt": "x", "duration": 7}, Control(timeout=10)
            )
            return await run.provider.resume(task["id"], output_dir=tmp_path)
        finally:
            await run.provider.client.aclose()

    with pytest.raises(ValidationError) as err:
        asyncio.run(main())
    assert err.value.code == 1401


# -- downloads ---------------------------------------------------------------------------------------
def test_expired_output_url(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.configure(output_ttl=0.0, expired_status=403)
    error = run.fails(ServerError)
    assert "no longer downloadable" in str(error) and "7 days" in str(error)
    assert error.remote_id == run.ids[0] and not error.retryable
    assert list(run.out.glob("*")) == []  # nothing half-written left behind
    assert len(server.requests(route="download")) == 1  # an expired link is not hammered


def test_expired_outputs_via_admin_then_resume_reports_it(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.add_fault("download", status=410)
    error = run.fails(ServerError)
    assert error.code == 410 and error.remote_id == run.ids[0]
    server.expire_outputs([error.remote_id])
    with pytest.raises(ServerError, match="no longer downloadable") as again:
        run.resume(error.remote_id)
    assert again.value.remote_id == run.ids[0]


def test_truncated_download_is_retried(run):
    run.server.add_fault("download", action="truncate", fraction=0.3, count=2)
    result = run()
    assert_good_result(result)
    downloads = [str(r["status"]) for r in run.server.requests(route="download")]
    assert downloads == ["200 truncated", "200 truncated", "200"]
    assert submits(run.server) == (1, 1)


def test_download_truncated_every_time_is_reported_and_leaves_nothing(run):
    run.server.add_fault("download", action="truncate", fraction=0.5, count=None)
    error = run.fails(ServerError)
    assert "paid for" in str(error) and error.remote_id == run.ids[0]
    assert list(run.out.glob("*")) == []
    run.server.clear_faults()
    assert_good_result(run.resume(error.remote_id))  # the paid result is not lost


def test_download_5xx_and_drop_are_retried(run):
    run.server.add_faults(
        [
            {"route": "download", "status": 503, "count": 1},
            {"route": "download", "action": "drop", "count": 1},
        ]
    )
    assert_good_result(run())


# -- cancel and deadline: abandon, keep the id, resume later ------------------------------------
def test_cancel_after_submit_abandons_and_keeps_the_task(wavespeed_standin_clean, tmp_path):
    import threading

    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.add_fault("submit", action="slow_task", task_seconds=3)
    cancel = threading.Event()
    with pytest.raises(BackendError) as err:
        run.provider.generate_sync(
            MODEL,
            {"prompt": "x"},
            output_dir=run.out,
            cancel=cancel,
            on_submitted=lambda t: (run.ids.append(t.task_id), cancel.set()),
        )
    assert err.value.kind.value == "cancelled" and err.value.remote_id == run.ids[0]
    assert "billed" in str(err.value)
    assert_good_result(run.resume(run.ids[0]))
    assert submits(server) == (1, 1)


def test_cancel_before_submit_sends_nothing(run):
    import threading

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(BackendError) as err:
        run.provider.generate_sync(MODEL, {"prompt": "x"}, cancel=cancel)
    assert err.value.kind.value == "cancelled" and "nothing was billed" in str(err.value)
    assert run.server.requests() == []


def test_deadline_while_processing_keeps_the_task_for_resume(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.add_fault("submit", action="slow_task", task_seconds=2)
    with pytest.raises(BackendTimeoutError) as err:
        run.provider.generate_sync(
            MODEL,
            {"prompt": "x"},
            output_dir=run.out,
            timeout=0.6,
            on_submitted=lambda t: run.ids.append(t.task_id),
        )
    assert err.value.remote_id == run.ids[0] and "resume" in str(err.value)
    assert_good_result(run.resume(run.ids[0]))
    assert submits(server) == (1, 1)


def test_cancel_during_a_stalled_download_stops_it_and_leaves_no_file(wavespeed_standin_clean, tmp_path):
    """The download runs on a worker thread in blocking reads: a cancel must still end it while the
    server sends nothing (long read timeout), keep the task id, and leave no partial file behind."""
    import threading

    server = wavespeed_standin_clean
    run = Run(server, tmp_path, read=30.0)
    server.add_fault("download", action="hang", hang_seconds=20)
    cancel = threading.Event()

    def cancel_once_downloading() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not server.requests(route="download"):
            time.sleep(0.02)
        time.sleep(0.3)  # inside the hang now
        cancel.set()

    watcher = threading.Thread(target=cancel_once_downloading)
    watcher.start()
    try:
        with pytest.raises(BackendError) as err:
            run.provider.generate_sync(
                MODEL,
                {"prompt": "x"},
                output_dir=run.out,
                cancel=cancel,
                on_submitted=lambda t: run.ids.append(t.task_id),
            )
    finally:
        watcher.join(30)
    assert err.value.kind.value == "cancelled" and err.value.remote_id == run.ids[0]
    assert len(server.requests(route="download")) == 1  # stopped, not retried
    assert not run.out.exists() or list(run.out.iterdir()) == []


def test_upload_faults_are_retried_and_never_submit_twice(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    run = Run(server, tmp_path)
    server.add_faults(
        [{"route": "upload", "status": 503, "count": 1}, {"route": "upload", "action": "drop", "count": 1}]
    )
    result = run("hunyuan-video-1.5", image=make_png(tmp_path / "f.png"))
    assert_good_result(result)
    assert submits(server) == (1, 1)


def test_download_hang_past_read_timeout_is_retried(wavespeed_standin_clean, tmp_path):
    run = Run(wavespeed_standin_clean, tmp_path, read=0.5)
    run.server.add_fault("download", action="hang", hang_seconds=3)
    assert_good_result(run())
    assert len(run.server.requests(route="download")) >= 1
    assert submits(run.server) == (1, 1)


def test_slow_download_reports_bytes(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    server.add_fault("download", action="throttle", bytes_per_second=40000)
    seen: list[tuple[float, str]] = []
    provider = make_provider(server)
    result = provider.generate_sync(
        MODEL, {"prompt": "x"}, output_dir=tmp_path, progress=lambda f, t: seen.append((f, t))
    )
    assert_good_result(result)
    downloading = [(f, t) for f, t in seen if t.startswith("Downloading")]
    assert len(downloading) >= 2, downloading
    assert [f for f, _ in downloading] == sorted(f for f, _ in downloading)


# -- invariants over a random mix of faults ----------------------------------------------------------
CHAOS_FAULTS = [
    {"route": "poll", "status": 429, "count": 2},
    {"route": "poll", "status": 429, "retry_after": 0.2},
    {"route": "poll", "status": 500, "count": 2},
    {"route": "poll", "status": 502, "body": "html"},
    {"route": "poll", "status": 503, "count": 3},
    {"route": "poll", "status": 504},
    {"route": "poll", "action": "hang", "hang_seconds": 1.5},
    {"route": "poll", "action": "drop"},
    {"route": "poll", "action": "envelope", "code": 500},
    {"route": "submit", "action": "drop", "create_task": True},
    {"route": "submit", "status": 502, "create_task": True},
    {"route": "submit", "status": 429},
    {"route": "submit", "action": "task_fail", "task_code": 5000},
    {"route": "download", "action": "truncate", "fraction": 0.4},
    {"route": "download", "status": 503},
    {"route": "download", "action": "drop"},
    {"route": "models", "status": 500},
    {"route": "price", "status": 503},
]


def test_random_faults_never_duplicate_or_lose_a_task(wavespeed_standin_clean, tmp_path):
    """Many generations, each with one or two random faults. Afterwards: each request created at most one
    task, and every task that completed on the service is a decoded video on disk, either straight away
    or through ``resume`` from the id the provider handed out (or, for a submit whose answer was lost,
    from the service's task list, as a user would from the WaveSpeed dashboard)."""
    import random

    server = wavespeed_standin_clean
    rng = random.Random(20261121)
    run = Run(server, tmp_path, read=1.0, submit=1.0)
    outcomes: list[tuple[str, str | None]] = []
    for i in range(14):
        faults = rng.sample(CHAOS_FAULTS, k=rng.choice((1, 2)))
        server.set_faults(faults)
        before = {t.get("id") or t.get("task_id") for t in server.tasks()}
        try:
            result = run(prompt=f"chaos {i}")
            outcomes.append(("ok", result.video_path))
            assert_good_result(result)
        except SubmissionUncertainError:
            outcomes.append(("uncertain", None))
        except BackendError as exc:
            outcomes.append((exc.kind.value, exc.remote_id))
        settled(server, i + 1 + sum(1 for f in faults if f["route"] == "submit" and f.get("status") == 429))
        created = {t.get("id") or t.get("task_id") for t in server.tasks()} - before
        assert len(created) <= 1, f"request {i} created {created} with faults {faults}"
    server.clear_faults()
    time.sleep(0.5)  # let every task reach its end on the service
    known = set(run.ids)
    for task in server.tasks():
        task_id = task.get("id") or task.get("task_id")
        if task["status"] != "completed":
            assert task_id in known, task_id  # a failed task was reported with its id
            continue
        path = run.provider.output_path_for(task_id, run.out)
        if not path.exists():  # not downloaded during its run: resume must get it
            assert_good_result(run.resume(task_id))
        assert decode(path)["frames"] > 0
    kinds = {kind for kind, _ in outcomes}
    assert "ok" in kinds and len(kinds) >= 2, outcomes  # the mix did exercise failures


def test_unwritable_output_folder_keeps_the_task_for_resume(run, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")
    with pytest.raises(BackendError, match="Could not save") as err:
        run.provider.generate_sync(
            MODEL,
            {"prompt": "x"},
            output_dir=blocked / "out",
            on_submitted=lambda t: run.ids.append(t.task_id),
        )
    assert err.value.remote_id == run.ids[0]
    assert_good_result(run.resume(run.ids[0]))
