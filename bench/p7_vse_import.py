"""P7: cut 100 finished clips into the Sequencer, through the drain (the product path: the job's Succeeded
event -> take, provenance, free channel, frame-rate conform with a SPEED strip).

Each round is a fresh interpreter with the ``bpy`` module: 100 shots, 100 distinct real MP4 clips (16 fps in
a 24 fps scene, so every clip also gets its speed strip), jobs finished by a local runner before the clock
starts. The figure is the main-thread time of all drain calls until every shot is DONE (the drain imports
two clips per tick, so in Blender this is spread over ~50 timer ticks). Reference (not a target): Blender's
own ``new_movie`` on the same 100 files in an empty scene, the floor under any importer.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .context import Context, child_env, run_child
from .harness import Row, Stats

FIG = "P7"
CLIPS = 100
TARGET_S = 0.5


def new_movie_floor(bpy: Any, clips: list[Path]) -> list[float]:
    """Seconds of Blender's bare ``new_movie`` per clip, in a scratch scene (removed afterwards)."""
    from blender_movie_director.blender import compat

    scene = bpy.data.scenes.new("bench-floor")
    try:
        top = compat.top_level_strips(compat.sequence_editor(scene))
        times = []
        for i, clip in enumerate(clips):
            start = time.perf_counter()
            top.new_movie(name=f"floor{i}", filepath=str(clip), channel=1 + i % 100, frame_start=1 + 40 * i)
            times.append(time.perf_counter() - start)
        return times
    finally:
        bpy.data.scenes.remove(scene)


def child(workdir: str) -> dict[str, object]:
    from bench import blender_scene

    work = Path(workdir)
    bpy = blender_scene.fresh_blender(work)
    from blender_movie_director.session import drain, submit

    cams = blender_scene.make_shots(bpy, CLIPS, spacing=40)
    clips = blender_scene.make_clips(work / "clips", CLIPS)
    runner = blender_scene.LocalRunner(clips)
    manager = blender_scene.use_engine(work, runner, limit=4)
    for cam in cams:
        submit.submit_shot(cam, "preview")
    if not manager.wait([cam.movie_director.job_id for cam in cams], timeout=120):
        raise RuntimeError("P7: the local jobs did not finish")
    ticks: list[float] = []
    per_import: list[float] = []
    deadline = time.monotonic() + 120
    while any(cam.movie_director.status != "DONE" for cam in cams):
        if time.monotonic() > deadline:
            raise RuntimeError("P7: the clips were not all imported in 120 s")
        start = time.perf_counter()
        report = drain.drain()
        seconds = time.perf_counter() - start
        ticks.append(seconds)
        if report.imported:
            per_import += [seconds / len(report.imported)] * len(report.imported)
    strips = sum(1 for cam in cams if cam.movie_director.strip_name)
    manager.shutdown(timeout=10)
    floor = new_movie_floor(bpy, clips)
    return {
        "total": sum(ticks),
        "ticks": len(ticks),
        "per_import": per_import,
        "strips": strips,
        "floor": floor,
    }


def run(ctx: Context) -> list[Row]:
    rounds = max(1, min(ctx.repeat, 3))
    totals: list[float] = []
    floors: list[float] = []
    first_last: list[tuple[float, float]] = []
    for r in range(rounds):
        ctx.log(f"P7: round {r + 1}/{rounds} (fresh Blender, {CLIPS} clips)")
        work = tempfile.mkdtemp(prefix="p7-", dir=ctx.workdir)
        env = child_env(**{f"BLENDER_USER_{k}": str(Path(work) / k.lower()) for k in ("CONFIG", "SCRIPTS")})
        report = run_child("bench.p7_vse_import", "--child", work, env=env, timeout=300)
        if report["strips"] != CLIPS:
            raise RuntimeError(f"P7: {report['strips']} of {CLIPS} shots got a strip")
        totals.append(report["total"])
        floors.append(sum(report["floor"]))
        per = report["per_import"]
        first_last.append((statistics.median(per[:10]), statistics.median(per[-10:])))
    ours, floor = Stats.of(totals), Stats.of(floors)
    first = statistics.median(f for f, _ in first_last) * 1000
    last = statistics.median(x for _, x in first_last) * 1000
    return [
        Row(
            FIG,
            f"Import {CLIPS} finished clips into the VSE (drain path, main-thread total)",
            "s",
            ours,
            floor,
            "Blender's bare new_movie x100 (reference)",
            ours.median / floor.median,
            f"< {TARGET_S:g} s",
            ours.median < TARGET_S,
            note=f"per clip: first 10 {first:.1f} ms, last 10 {last:.1f} ms",
        )
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])), flush=True)
        os._exit(0)
    else:
        sys.exit("usage: python -m bench.p7_vse_import --child WORKDIR")
