"""P15 and P16: the cast (issue 17) on Blender's main thread.

P15, cast detection: 10 shots x 20 members x 240 frames each (every camera and half the members animated
with Bezier keys), ``cast.update_all`` from a cold cache, against the floor of ``scene.frame_set`` alone over
the same 2400 frames (what any frame-by-frame detection pays before it reads a single matrix). Samples
interleave (ABBA) in one fresh interpreter with the ``bpy`` module and the extension enabled.

P16, Render References: one member (a figure of a few primitives) rendered front, three-quarter and side
at the preview size (512 px, Workbench), informative.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from .context import Context, run_child
from .harness import Row, Stats, interleave, ratio

FIG, FIG_RENDER = "P15", "P16"
SHOTS, MEMBERS, FRAMES = 10, 20, 240
TARGET_S = 0.3


def build(bpy: object) -> object:
    """The P15 scene: shots on markers every 240 frames, members scattered on a 5 x 4 grid."""
    from blender_movie_director.scene import cast
    from tests.fixtures.blender import add_cube, add_shot

    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, SHOTS * FRAMES
    for i in range(SHOTS):
        start = 1 + i * FRAMES
        cam = add_shot(bpy, scene, f"Shot_{i:03d}", start)
        for j, frame in enumerate((start, start + FRAMES // 2, start + FRAMES - 1)):
            cam.location = (i * 3.0 + j, -25.0 + j * 2, 2.0)
            cam.rotation_euler = (math.radians(85), 0.0, math.radians(-20 + 20 * j + i * 7))
            cam.keyframe_insert("location", frame=frame)
            cam.keyframe_insert("rotation_euler", frame=frame)
    for m in range(MEMBERS):
        obj = add_cube(bpy, f"member_{m:02d}", ((m % 5) * 8.0 - 16.0, (m // 5) * 8.0, 0.0))
        if m % 2:
            for k, frame in enumerate((1, SHOTS * FRAMES // 2, SHOTS * FRAMES)):
                obj.location = ((m % 5) * 8.0 - 16.0 + k * 5, (m // 5) * 8.0 - k * 3, 0.0)
                obj.keyframe_insert("location", frame=frame)
        cast.add_member(scene, f"Member {m:02d}", [obj])
    bpy.context.view_layer.update()
    return scene


def child(workdir: str, repeat: str) -> dict[str, object]:
    from bench import blender_scene

    bpy = blender_scene.fresh_blender(Path(workdir))
    from blender_movie_director.scene import cast

    scene = build(bpy)
    seen: list[int] = []

    def ours() -> float:
        cast.invalidate()
        start = time.perf_counter()
        found = cast.update_all(scene)
        seconds = time.perf_counter() - start
        seen.append(sum(len(v) for v in found.values()))
        return seconds

    def floor() -> float:
        start = time.perf_counter()
        for frame in range(1, SHOTS * FRAMES + 1):
            scene.frame_set(frame)
        seconds = time.perf_counter() - start
        scene.frame_set(1)
        return seconds

    a, b = interleave(ours, floor, int(repeat), warmup=1)
    keeper = [o for o in scene.objects if o.name.startswith("member_00")]
    cast.add_member(scene, "Keeper", keeper)
    member = cast.find_member(scene, "Keeper")
    renders = []
    for _ in range(int(repeat) + 1):  # the first warms Workbench up
        start = time.perf_counter()
        cast.render_references(scene, member)
        renders.append(time.perf_counter() - start)
    return {"ours": a, "floor": b, "appearances": seen[-1], "render": renders[1:]}


def run(ctx: Context) -> list[Row]:
    work = tempfile.mkdtemp(prefix="p15-", dir=ctx.workdir)
    ctx.log(f"P15/P16: cast detection {SHOTS} shots x {MEMBERS} members x {FRAMES} frames; render references")
    report = run_child("bench.p15_cast", "--child", work, str(max(3, ctx.repeat)), timeout=900)
    ours = Stats.of(report["ours"])
    floor = Stats.of(report["floor"])
    render = Stats.of(report["render"])
    return [
        Row(
            FIG,
            f"Cast detection: {SHOTS} shots x {MEMBERS} members x {FRAMES} frames, main thread, cold cache",
            "s",
            ours,
            floor,
            "scene.frame_set alone over the same frames",
            ratio(ours, floor),
            f"< {TARGET_S:g} s",
            ours.median < TARGET_S,
            note=f"{report['appearances']} member appearances found; cameras and half the members animated",
        ),
        Row(
            FIG_RENDER,
            "Render References for one member: front, three-quarter, side at 512 px (Workbench)",
            "s",
            render,
            note="informative; a blocking render run by the operator the user clicks",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])), flush=True)
        os._exit(0)
    else:
        sys.exit("usage: python -m bench.p15_cast --child WORKDIR SAMPLES")
