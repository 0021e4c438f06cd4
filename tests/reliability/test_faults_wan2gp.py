"""Wan2GP faults through the whole path, in real Blender: the Generate operator -> the job engine -> the
Wan2GP client -> a stand-in started with the fault's knob (or killed/restarted by PID) -> the drain
-> the VSE.

For every fault: the shot ends with a message naming the cause, the server loaded each job's task once
(never twice), a clip the server made is in the Sequencer, the Sequencer is consistent, the process is
alive, and no thread survives the engine.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections import Counter
from typing import Any

import pytest

from tests.fixtures.blender import drain_until
from tests.fixtures.wan2gp_standin import free_port
from tests.reliability.studio import Studio, ThreadWatch

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(300)]

_LOADED = re.compile(r"\[load_settings\] Loading settings from: .*?(md_[0-9a-f]+)\.json")


def loads_per_task(*servers: Any) -> Counter[str]:
    """How often each job's queue file was loaded, from the servers' own logs (WanGP's log lines)."""
    counts: Counter[str] = Counter()
    for server in servers:
        counts.update(_LOADED.findall(server.log_text()))
    return counts


def task_of(cam: Any) -> str:
    return cam.movie_director.remote_id.removesuffix(".mp4")


def test_server_not_running(studio: Studio, threads: ThreadWatch) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    studio.use_wan2gp(url)
    cam = studio.shot("Shot_010", backend="WAN2GP")
    started = time.monotonic()
    assert studio.generate(cam) == {"FINISHED"}
    assert studio.settle(cam, timeout=120) == "FAILED"
    settings = cam.movie_director
    print(f"fault not-running: {time.monotonic() - started:.1f} s; {settings.last_error}")
    assert settings.error_kind == "connection", settings.last_error
    assert url in settings.last_error and "Is WanGP running" in settings.last_error, settings.last_error
    assert time.monotonic() - started < 60  # a few retries with backoff, not the job's one-hour deadline
    assert studio.assert_consistent() == {}
    threads.assert_none_left()


def test_killed_mid_job_then_back_with_renamed_endpoints(
    studio: Studio, threads: ThreadWatch, start_wan2gp_standin: Any
) -> None:
    port = free_port()
    doomed = start_wan2gp_standin(port=port, crash_at_step=3, step_seconds=0.1)
    studio.use_wan2gp(doomed.url)
    cam = studio.shot("Shot_010", backend="WAN2GP", prompt="a candle in the wind")
    assert studio.generate(cam) == {"FINISHED"}
    assert studio.settle(cam, timeout=120) == "FAILED"
    settings = cam.movie_director
    assert not doomed.alive()  # the server really died mid-job
    print(f"fault killed: {settings.error_kind}: {settings.last_error}")
    assert settings.error_kind == "interrupted", settings.last_error
    assert "went away" in settings.last_error or "stopped answering" in settings.last_error
    assert doomed.url in settings.last_error
    first_task = task_of(cam)
    assert studio.assert_consistent() == {}
    # WanGP comes back on the same address as a newer release whose endpoint names moved.
    renamed = start_wan2gp_standin(port=port, shift_endpoints=1)
    assert studio.generate(cam) == {"FINISHED"}
    assert studio.settle(cam, timeout=120) == "DONE", settings.last_error
    strips = studio.assert_consistent()
    assert list(strips) == [settings.strip_name]
    loads = loads_per_task(doomed, renamed)
    assert loads[first_task] == 1 and loads[task_of(cam)] == 1, loads
    threads.assert_none_left()


def test_restarted_mid_job_then_gr_error(
    studio: Studio, threads: ThreadWatch, start_wan2gp_standin: Any
) -> None:
    port = free_port()
    first = start_wan2gp_standin(port=port, step_seconds=0.3)
    studio.use_wan2gp(first.url)
    cam = studio.shot("Shot_010", backend="WAN2GP", prompt="a slow dawn")
    assert studio.generate(cam) == {"FINISHED"}
    settings = cam.movie_director
    drain_until(lambda: "Denoising" in settings.progress_text, timeout=60)
    os.kill(first.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    # The server restarts on the same address (now out of GPU memory at step 2).
    second = start_wan2gp_standin(port=port, fail_at_step=2, fail_message="CUDA out of memory (reliability)")
    assert studio.settle(cam, timeout=120) == "FAILED"
    print(f"fault restarted: {settings.error_kind}: {settings.last_error}")
    assert settings.error_kind == "interrupted", settings.last_error
    assert first.url in settings.last_error
    assert any(w in settings.last_error for w in ("went away", "restarted", "stopped answering"))
    interrupted_task = task_of(cam)
    assert studio.assert_consistent() == {}
    # The next job reaches the restarted server and meets its gr.Error mid-run.
    assert studio.generate(cam) == {"FINISHED"}
    assert studio.settle(cam, timeout=120) == "FAILED"
    print(f"fault gr.Error: {settings.error_kind}: {settings.last_error}")
    assert settings.error_kind == "server"
    assert "CUDA out of memory (reliability)" in settings.last_error
    assert studio.assert_consistent() == {}
    assert not list(second.outputs.rglob("*.mp4"))
    loads = loads_per_task(first, second)
    assert loads[interrupted_task] == 1 and loads[task_of(cam)] == 1, loads
    threads.assert_none_left()
