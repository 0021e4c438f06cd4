"""What one drain tick costs with 16 jobs reporting progress at 10 Hz (numbers printed, never asserted)."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from types import ModuleType

import pytest

from tests.fixtures.blender import add_shot, drain_until

pytestmark = [pytest.mark.blender, pytest.mark.bench]
JOBS = 16
SECONDS = 8.0


@dataclass
class _TenHertz:
    """Reports progress ten times a second until ``stop`` is set (then fails: no clip to import)."""

    stop: threading.Event
    can_cancel_remote: bool = True

    def run(self, ctx):
        from blender_movie_director.backend.errors import ServerError

        step = 0
        while not self.stop.is_set() and not ctx.wait(0.1):
            step += 1
            ctx.progress((step % 100) / 100, f"Denoising {step}")
        raise ServerError("benchmark over")

    def resume(self, ctx):
        return self.run(ctx)

    def resumable(self, record) -> str:
        return ""

    def close(self) -> None:
        """Nothing to release."""


def test_drain_tick_cost_with_16_jobs_at_10_hz(blender: ModuleType, tmp_path) -> None:
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.request import Backend
    from blender_movie_director.session import drain, engine, submit

    stop = threading.Event()
    runner = _TenHertz(stop)
    blender.context.preferences.addons["blender_movie_director"].preferences.output_folder = str(tmp_path)
    engine.use_manager(JobManager(None, runners={Backend.WAN2GP: runner}, limits={Backend.WAN2GP: JOBS}))
    scene = blender.context.scene
    cams = [add_shot(blender, scene, f"Shot_{i:02d}", 1 + 24 * i, prompt=f"shot {i}") for i in range(JOBS)]
    for cam in cams:
        submit.submit_shot(cam, "preview")
    drain_until(lambda: all(c.movie_director.status == "RUNNING" for c in cams))
    timings, events = [], 0
    end = time.monotonic() + SECONDS
    try:
        while time.monotonic() < end:
            t0 = time.perf_counter()
            report = drain.drain()
            timings.append(time.perf_counter() - t0)
            events += report.events
            time.sleep(0.1)
    finally:
        stop.set()
    drain_until(lambda: all(c.movie_director.status == "FAILED" for c in cams))
    timings.sort()
    p50 = statistics.median(timings) * 1e3
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))] * 1e3
    print(
        f"\ndrain tick, {JOBS} jobs at 10 Hz, Blender {blender.app.version_string}: {len(timings)} ticks, "
        f"{events / len(timings):.1f} events/tick, p50 {p50:.3f} ms, p99 {p99:.3f} ms, "
        f"max {timings[-1] * 1e3:.3f} ms"
    )
    assert events >= len(timings) * JOBS * 0.5  # the load really was there
