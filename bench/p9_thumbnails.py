"""P9: a take's thumbnail, main-thread cost per thumbnail: Blender's own MOVIE preview against the render the
drain's idle step used to run in a timer (issue 14, item 9: that render segfaulted Blender 1 run in 3).

Each round is a fresh interpreter with the ``bpy`` module and the extension enabled. One realistic clip
(832x480, 81 frames at 16 fps: Wan2GP's 5 s preview) is copied to a new path per sample, so every sample is
a thumbnail Blender has never seen (its thumbnail cache is keyed by the file). Samples interleave (ABBA):

- ours: ``takes.icon_id(take)`` the first time a panel draws the take: it registers the clip as a MOVIE
  preview of a ``bpy.utils.previews`` collection. That is all the main thread does; in Blender's UI the
  icon's draw starts a preview job that decodes the middle frame on a worker thread.
- peer: the old way, still callable from :mod:`.frames`: count the clip's frames and render its middle frame
  to a 128 px PNG through a throw-away Sequencer scene (``bpy.ops.render.render``), on the main thread.
- informative: that preview job's own work (Blender's thumbnailer decoding the middle frame, cold cache),
  timed here on this thread because the ``bpy`` module runs no UI jobs; in the UI it is off the main thread.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .context import Context, child_env, run_child
from .harness import Row, Stats, interleave, ratio

FIG = "P9"
SIZE = (832, 480)
FPS, FRAMES = 16, 81
TARGET_MS = 1.0


def _old_render_thumbnail(clip: Path, out: Path) -> Path:
    """What ``takes.make_thumbnail`` did until issue 14 (the drain's idle step ran it in a timer)."""
    from blender_movie_director.backend.media import probe_video
    from blender_movie_director.blender import frames

    info = probe_video(clip)
    height = max(2, round(128 * info.height / max(1, info.width)) // 2 * 2)
    middle = frames.movie_frames(clip) // 2
    return frames.extract_frame(clip, middle, out, width=128, height=height)


def child(workdir: str, repeat: str) -> dict[str, object]:
    from bench import blender_scene
    from tests.fixtures.blender import write_clip

    work = Path(workdir)
    bpy = blender_scene.fresh_blender(work)
    from blender_movie_director.scene import takes

    # Takes are clips the extension wrote, so they sit in its output folder (the only place thumbnails
    # are made from).
    bpy.context.preferences.addons["blender_movie_director"].preferences.output_folder = str(work)
    source = write_clip(work / "source.mp4", FPS, FRAMES, size=SIZE)
    cam = blender_scene.make_shots(bpy, 1, spacing=100)[0]
    counter = iter(range(1_000_000))

    def fresh_copy() -> Path:
        path = work / "clips" / f"take_{next(counter):03d}.mp4"
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(source, path)
        return path

    decode: list[float] = []

    def ours() -> float:
        take = cam.movie_director.takes.add()
        take.filepath = str(fresh_copy())
        start = time.perf_counter()
        takes.icon_id(take)
        seconds = time.perf_counter() - start
        preview = takes.previews()[take.filepath]
        start = time.perf_counter()
        pixels = len(preview.image_pixels_float)  # Blender's preview job, here on this thread
        decode.append(time.perf_counter() - start)
        if not pixels:
            raise RuntimeError("P9: Blender made no thumbnail of the clip")
        return seconds

    def peer() -> float:
        clip = fresh_copy()
        start = time.perf_counter()
        _old_render_thumbnail(clip, clip.with_suffix(".png"))
        return time.perf_counter() - start

    a, b = interleave(ours, peer, int(repeat), warmup=1)
    return {"ours": a, "peer": b, "decode": decode[1:]}


def run(ctx: Context) -> list[Row]:
    work = tempfile.mkdtemp(prefix="p9-", dir=ctx.workdir)
    cache = Path(work) / "cache"
    for sub in ("large", "normal", "fail/blender"):  # Blender makes these at start-up only
        (cache / "thumbnails" / sub).mkdir(parents=True, exist_ok=True)
    env = child_env(
        XDG_CACHE_HOME=str(cache),
        **{f"BLENDER_USER_{k}": str(Path(work) / k.lower()) for k in ("CONFIG", "SCRIPTS")},
    )
    samples = max(4, ctx.repeat * 2)
    ctx.log(f"P9: {samples} thumbnails each way (fresh Blender, {SIZE[0]}x{SIZE[1]} {FRAMES}-frame clips)")
    report = run_child("bench.p9_thumbnails", "--child", work, str(samples), env=env, timeout=600)
    ours = Stats.of(report["ours"]).scaled(1000)
    peer = Stats.of(report["peer"]).scaled(1000)
    decode = Stats.of(report["decode"]).scaled(1000)
    return [
        Row(
            FIG,
            "Take thumbnail: main-thread cost per thumbnail (register Blender's MOVIE preview)",
            "ms",
            ours,
            peer,
            "the old render of the middle frame in the drain's timer",
            ratio(ours, peer),
            f"< {TARGET_MS:g} ms",
            ours.median < TARGET_MS,
            note=f"{SIZE[0]}x{SIZE[1]}, {FRAMES} frames: "
            f"{peer.median / ours.median:.0f}x less main-thread time",
        ),
        Row(
            FIG,
            "Blender's preview job decoding the middle frame (off the main thread in the UI; informative)",
            "ms",
            decode,
            peer,
            "the old render (main thread)",
            ratio(decode, peer),
            note="cold thumbnail cache; timed on this thread: the bpy module runs no UI jobs",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])), flush=True)
        os._exit(0)
    else:
        sys.exit("usage: python -m bench.p9_thumbnails --child WORKDIR SAMPLES")
