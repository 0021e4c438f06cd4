"""Load: 100 shots across both backends in real Blender, in two rounds of 50 (the first through Generate All,
the second through 50 presses of Generate), with cancels mixed in (while queued and while running).

Every job ends in exactly one terminal state (its events, its shot and the job store agree), every clip is
complete, decodes and is distinct, the Sequencer holds exactly the finished shots, and memory (RSS) is flat:
the second round adds no more than its own clips cost Blender's Sequencer.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.blender import drain_until
from tests.reliability.studio import Studio, ThreadWatch, decode_frames

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(420)]

JOBS = 100
WAN2GP_JOBS = 20  # one GPU: these run one at a time


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


ROUND = 50
WAN2GP_EVERY = 5  # one shot in five on Wan2GP (one GPU: those run one at a time)


def test_100_jobs_with_cancels(
    studio: Studio, ws: Any, wan2gp_standin: Any, threads: ThreadWatch
) -> None:
    from blender_movie_director import drain
    from blender_movie_director.backend.jobs.events import Cancelled, Failed, Succeeded

    ws.configure(task_seconds=0.1, queue_seconds=0.05, fps=8, max_side=64)
    studio.use_wavespeed(ws)
    studio.use_wan2gp(wan2gp_standin.url)
    studio.prefs.wavespeed_concurrency = 8
    terminal_events: dict[str, list[str]] = defaultdict(list)

    def observe(event: Any) -> bool:
        if isinstance(event, Succeeded | Failed | Cancelled):
            terminal_events[event.job_id].append(type(event).__name__)
        return False  # only watching: the drain still applies every event

    drain.add_consumer(observe, lambda _report: None)
    rounds: list[Round] = []
    memory = {"start": rss_mb()}
    started = time.monotonic()
    try:
        for number in (1, 2):
            cams = [
                studio.shot(
                    f"R{number}_{i:03d}",
                    backend="WAN2GP" if i % WAN2GP_EVERY == 0 else "WAVESPEED",
                    prompt=f"round {number} shot {i}",
                    frames=8,
                )
                for i in range(ROUND)
            ]
            rounds.append(run_round(studio, cams, batch=number == 1))
            memory[f"after_round_{number}"] = rss_mb()
        elapsed = time.monotonic() - started
        all_jobs = [job for r in rounds for job in r.jobs.values()]
        drain_until(lambda: all(terminal_events.get(j) for j in all_jobs), timeout=30)
    finally:
        drain.remove_consumer(observe)

    cams = [cam for r in rounds for cam in r.cams]
    statuses = Counter(c.movie_director.status for c in cams)
    assert set(statuses) <= {"DONE", "CANCELLED"}, {
        c.name: c.movie_director.last_error for c in cams if c.movie_director.status == "FAILED"
    }
    store = {}
    for line in (studio.out / "movie_director_jobs.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        store[record["job_id"]] = record["state"]
    for r in rounds:
        assert all(c.movie_director.status == "CANCELLED" for c in r.cancelled_queued)
        for cam in r.cams:
            job_id = r.jobs[cam.name]
            status = cam.movie_director.status
            # Exactly one terminal event per job, agreeing with the shot and with the job store.
            assert terminal_events[job_id] == [{"DONE": "Succeeded", "CANCELLED": "Cancelled"}[status]], (
                cam.name, terminal_events[job_id],
            )  # fmt: skip
            assert store[job_id] == {"DONE": "succeeded", "CANCELLED": "cancelled"}[status], cam.name
    # Outputs: complete (they decode), distinct files with distinct content, one strip each.
    done = [c for c in cams if c.movie_director.status == "DONE"]
    files = [Path(c.movie_director.takes[0].filepath) for c in done]
    assert len(set(files)) == len(files)
    assert len({hashlib.sha256(f.read_bytes()).hexdigest() for f in files}) == len(files)
    assert all(decode_frames(f) > 0 for f in files)
    assert len(studio.assert_consistent(decode=False)) == len(done)
    assert studio.leftovers() == []
    created = sum(1 for s in ws.submits() if s["outcome"].startswith("created"))
    wavespeed_shots = sum(1 for c in cams if c.movie_director.backend == "WAVESPEED")
    wavespeed_done = sum(1 for c in done if c.movie_director.backend == "WAVESPEED")
    assert wavespeed_done <= created <= wavespeed_shots  # never a second task for a shot
    # Memory: Blender keeps a decoder per movie strip (several MB each, whatever the clip), so each
    # round's Sequencer share is measured by cutting the same clips into a scratch scene; the rest is
    # the job machinery's. The first round also pays one-time costs (imports, thread arenas).
    round_files = [[Path(c.movie_director.takes[0].filepath) for c in r.cams if c in done] for r in rounds]
    growth_round_1 = memory["after_round_1"] - memory["start"]
    growth_round_2 = memory["after_round_2"] - memory["after_round_1"]
    sequencer_round_1 = sequencer_cost(studio, round_files[0])
    sequencer_round_2 = sequencer_cost(studio, round_files[1])
    machinery_round_2 = growth_round_2 - sequencer_round_2
    figures = {
        "jobs": len(cams),
        "wan2gp_jobs": sum(1 for c in cams if c.movie_director.backend == "WAN2GP"),
        "statuses": dict(statuses),
        "cancelled_queued": sum(len(r.cancelled_queued) for r in rounds),
        "cancelled_running": sum(len(r.cancelled_running) for r in rounds),
        "wavespeed_tasks_created": created,
        "seconds": round(elapsed, 1),
        "rss_mb": {k: round(v, 1) for k, v in memory.items()},
        "round_1_growth_mb": round(growth_round_1, 1),
        "round_1_sequencer_share_mb": round(sequencer_round_1, 1),
        "round_1_jobs_share_mb": round(growth_round_1 - sequencer_round_1, 1),
        "round_2_growth_mb": round(growth_round_2, 1),
        "round_2_sequencer_share_mb": round(sequencer_round_2, 1),
        "round_2_jobs_share_mb": round(machinery_round_2, 1),
    }
    print("load figures:", json.dumps(figures))  # quoted in docs/reliability.md (run with -s)
    assert machinery_round_2 < 30.0, figures  # measured: 10-15 MB for 50 jobs
    threads.assert_none_left()


class Round:
    def __init__(self, cams: list[Any]) -> None:
        self.cams = cams
        self.jobs: dict[str, str] = {}
        self.cancelled_queued: list[Any] = []
        self.cancelled_running: list[Any] = []


def run_round(studio: Studio, cams: list[Any], *, batch: bool) -> Round:
    """Submit ``cams`` (Generate All, or Generate per shot), cancel some queued and some running ones,
    and drain until every shot has ended."""
    r = Round(cams)
    if batch:
        assert studio.bpy.ops.moviedir.generate_all(quality="PREVIEW") == {"FINISHED"}
    else:
        for cam in cams:
            assert studio.generate(cam) == {"FINISHED"}
    r.jobs = {c.name: c.movie_director.job_id for c in cams}
    assert all(r.jobs.values()) and len(set(r.jobs.values())) == len(cams)
    # While queued: the last shots of each backend wait behind the others.
    r.cancelled_queued = cams[-6:]
    for cam in r.cancelled_queued:
        studio.activate(cam)
        assert studio.bpy.ops.moviedir.cancel_shot(shot=cam.name) == {"FINISHED"}
    # While running: a Wan2GP shot that is denoising, and WaveSpeed shots that are being polled.
    wan2gp = [c for c in cams[:30] if c.movie_director.backend == "WAN2GP"][1:2]
    for cam in wan2gp + cams[11:14]:
        drain_until(lambda c=cam: c.movie_director.status != "QUEUED", timeout=120)
        if cam.movie_director.status == "RUNNING":
            studio.activate(cam)
            assert studio.bpy.ops.moviedir.cancel_shot(shot=cam.name) == {"FINISHED"}
            r.cancelled_running.append(cam)
    studio.settle_all(cams, timeout=300)
    return r


def sequencer_cost(studio: Studio, files: list[Path]) -> float:
    """RSS added by cutting ``files`` into a scratch scene (no jobs involved); the scene is removed after."""
    from blender_movie_director import vse

    bpy = studio.bpy
    scratch = bpy.data.scenes.new("RSS_Calibration")
    scratch.render.fps = studio.scene.render.fps
    before = rss_mb()
    for i, path in enumerate(files):
        start = 1 + 8 * i
        vse.import_clip(scratch, name=f"Cal_{i:03d}", filepath=str(path), frame_start=start, provenance={})
    cost = rss_mb() - before
    bpy.data.scenes.remove(scratch)
    return cost
