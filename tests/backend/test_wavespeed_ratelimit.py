"""An account whose submit rate is used up (WaveSpeed Bronze: 2 videos a minute): more shots than the rate
allows all finish, each waiting its turn with a message on the shot, and cancel ends a waiting shot at once.

The stand-in enforces the rate itself (per key, a window shortened to about a second so the test is short).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.base import GenerationResult
from blender_movie_director.backend.errors import JobCancelledError
from blender_movie_director.backend.wavespeed.ratelimit import RATE_LIMIT_WAIT, WAITING_TEXT
from tests.backend.test_wavespeed_support import assert_good_result, make_provider

pytestmark = pytest.mark.standin

MODEL = "lightricks/ltx-2-fast/text-to-video"
JOBS = 6


def _run_jobs(provider: Any, out: Path, jobs: int) -> tuple[list[Any], list[list[str]], list[str]]:
    """``jobs`` generations at once, each on its own thread (as the job engine runs them)."""
    results: list[Any] = [None] * jobs
    texts: list[list[str]] = [[] for _ in range(jobs)]
    ids: list[str] = []

    def one(i: int) -> None:
        try:
            results[i] = provider.generate_sync(
                MODEL,
                {"prompt": f"shot {i}"},
                output_dir=out,
                progress=lambda _f, text: texts[i].append(text),
                on_submitted=lambda t: ids.append(t.task_id),
            )
        except Exception as exc:  # kept to be asserted on below, with the shot's number
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, texts, ids


@pytest.mark.parametrize("retry_after", [None, 0.3], ids=["backoff", "retry-after"])
def test_more_shots_than_the_rate_allows_all_finish(wavespeed_standin_clean, tmp_path, retry_after):
    server = wavespeed_standin_clean
    server.configure(
        rate_limit_per_minute=2, rate_limit_window_seconds=1.0, rate_limit_retry_after=retry_after
    )
    provider = make_provider(server)
    started = time.monotonic()
    results, texts, ids = _run_jobs(provider, tmp_path, JOBS)
    took = time.monotonic() - started

    for i, result in enumerate(results):
        assert isinstance(result, GenerationResult), f"shot {i}: {result!r}"
        assert_good_result(result)
    assert len(set(ids)) == JOBS and server.submit_count() == JOBS  # one task per shot, no more
    refused = server.submits(outcome="rate_limited")
    assert refused, "the account's rate never refused a submit: the test did not test waiting"
    waited = [t for shot in texts for t in shot if t.startswith(WAITING_TEXT)]
    assert waited, texts
    # Six shots at two a second need about three windows; without waiting their turn some would fail.
    assert took > 1.5, took
    if retry_after is not None:
        assert all(t.endswith("next try in 1 s") for t in waited), waited


def test_cancel_while_waiting_for_a_turn_ends_the_shot_at_once(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    server.configure(rate_limit_per_minute=1, rate_limit_window_seconds=600.0)
    assert server.submit(MODEL, {"prompt": "uses up the account's rate"}).status_code == 200
    # The product's own waits (5 s, then longer): a cancel must not sit them out.
    provider = make_provider(server, rate_limit_wait=RATE_LIMIT_WAIT)
    cancel = threading.Event()
    texts: list[str] = []
    submitted: list[str] = []
    outcome: dict[str, Any] = {}

    def one() -> None:
        try:
            outcome["result"] = provider.generate_sync(
                MODEL,
                {"prompt": "waits its turn"},
                output_dir=tmp_path,
                cancel=cancel,
                progress=lambda _f, text: texts.append(text),
                on_submitted=lambda t: submitted.append(t.task_id),
            )
        except Exception as exc:  # asserted below
            outcome["error"] = exc
        outcome["ended"] = time.monotonic()

    worker = threading.Thread(target=one)
    worker.start()
    end = time.monotonic() + 10
    while not any(t.startswith(WAITING_TEXT) for t in texts) and time.monotonic() < end:
        time.sleep(0.02)
    assert any(t.startswith(WAITING_TEXT) for t in texts), texts
    assert any(t.endswith("next try in 5 s") for t in texts), texts
    cancelled_at = time.monotonic()
    cancel.set()
    worker.join(timeout=10)
    assert not worker.is_alive()
    error = outcome.get("error")
    assert isinstance(error, JobCancelledError), outcome
    assert error.remote_id is None and "nothing was billed" in str(error)
    assert outcome["ended"] - cancelled_at < 0.5
    assert submitted == [] and list(tmp_path.iterdir()) == []
    assert server.submit_count() == 1  # only the one made before the shot
    assert [s["outcome"] for s in server.submits()][1:] == ["rate_limited"]
