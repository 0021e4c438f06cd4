"""One Blender session in its own process for the thumbnail stress test (run by ``test_thumbnail_stress.py``,
not collected).

    python thumbnail_session.py '<json settings>'

Real ``bpy``, the extension enabled, WaveSpeed shots generating through the stand-in (worker threads doing
real HTTP: submit, poll, download) while the main thread does what Blender's does: the drain's timer tick,
the Takes panel drawing every take (``takes.icon_id``), and Blender's preview job making the thumbnails
the panels registered. The bpy module runs no UI jobs, so that last part (``image_pixels_float``: Blender's
thumbnailer decoding the middle frame) runs here on the main thread, between ticks, as the job's stand-in.

Besides the shots' own new takes, every shot starts with takes of local clips whose frame ``i`` is grey
``4 i``, so each thumbnail shows whether it is the middle frame. Writes what it saw as JSON to
``settings["report"]``; a crash shows as the exit code.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any


def _start(settings: dict[str, Any]) -> Any:
    from tests.reliability.blender_session import start_blender

    return start_blender(settings, output_folder=settings["output"], concurrency=settings["concurrency"])


def _local_clips(folder: Path, kinds: int, copies: int) -> list[tuple[Path, int]]:
    """``kinds`` clips of 12, 20, 28... frames, each copied ``copies`` times (a new file: a new thumbnail)."""
    from tests.fixtures.blender import write_clip

    folder.mkdir(parents=True, exist_ok=True)
    clips = []
    for k in range(kinds):
        frames = 12 + 8 * k
        source = write_clip(folder / f"grey_{frames}.mp4", 16, frames, size=(64, 48))
        for c in range(copies):
            copy = folder / f"take_{frames}_{c:02d}.mp4"
            shutil.copyfile(source, copy)
            clips.append((copy, frames))
    return clips


def _centre_grey(preview: Any) -> float:
    width, height = preview.image_size
    pixels = preview.image_pixels_float
    i = ((height // 2) * width + width // 2) * 4
    return float(pixels[i]) * 255


def main(settings: dict[str, Any]) -> None:
    bpy = _start(settings)
    renders: list[str] = []
    bpy.app.handlers.render_pre.append(lambda *args: renders.append(threading.current_thread().name))
    from blender_movie_director.scene import takes
    from blender_movie_director.session import drain
    from blender_movie_director.ui import strip_panels
    from tests.blender.recording_layout import RecordingLayout
    from tests.fixtures.blender import add_shot

    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y = 160, 96
    shots_n = settings["shots"]
    scene.frame_start, scene.frame_end = 1, 24 * shots_n
    cams = []
    for i in range(shots_n):
        cam = add_shot(bpy, scene, f"Shot_{(i + 1) * 10:03d}", 1 + 24 * i, prompt=f"stress shot {i}: a quay")
        cam.movie_director.backend = "WAVESPEED"
        cams.append(cam)
    expected: dict[str, int] = {}  # clip -> its frame count (local clips only)
    local = _local_clips(Path(settings["clips"]), settings["kinds"], settings["copies"])
    for n, (clip, frames) in enumerate(local):
        take = cams[n % shots_n].movie_director.takes.add()
        take.number = len(cams[n % shots_n].movie_director.takes)
        take.name, take.filepath = f"Take {take.number}", str(clip)
        expected[str(clip)] = frames

    assert bpy.ops.moviedir.generate_all(quality="PREVIEW") == {"FINISHED"}
    decoded: dict[str, float] = {}  # clip -> centre grey of its thumbnail
    ticks: list[float] = []
    draws = 0
    overlapping = 0  # thumbnails made while a job was still running
    started = time.monotonic()
    end = started + settings["deadline"]
    local_done = 0.0  # seconds until every local take had its thumbnail
    while True:
        if time.monotonic() > end:
            raise TimeoutError(
                f"{len(decoded)} thumbnails, shots: {sorted({c.movie_director.status for c in cams})}"
            )
        start = time.perf_counter()
        drain.drain()  # the timer's tick
        ticks.append(time.perf_counter() - start)
        for cam in cams:  # a redraw of the Takes panel of every shot
            for index, take in enumerate(cam.movie_director.takes):
                strip_panels.draw_take_row(RecordingLayout(bpy), cam.movie_director, take, index)
        draws += 1
        running = any(c.movie_director.status in ("QUEUED", "RUNNING") for c in cams)
        collection = takes.previews()
        pending = [k for k in collection if k not in decoded]
        for key in pending[: settings["per_tick"]]:
            decoded[key] = _centre_grey(collection[key])  # Blender's preview job, here between ticks
            overlapping += running
        if not local_done and all(clip in decoded for clip in expected):
            local_done = time.monotonic() - started
        if not running and not drain.pending_imports() and len(pending) <= settings["per_tick"]:
            break
        time.sleep(0.005)

    wrong = {
        Path(clip).name: (decoded.get(clip), 4 * (frames // 2))
        for clip, frames in expected.items()
        if abs(decoded.get(clip, -99) - 4 * (frames // 2)) > 3
    }
    network = [bpy.path.abspath(c.movie_director.takes[-1].filepath) for c in cams if c.movie_director.takes]
    made = takes.previews()
    empty = [Path(p).name for p in network if p not in made or made[p].image_size[0] == 0]
    from blender_movie_director.session import engine

    engine.shutdown()
    report = {
        "thumbnails": len(decoded),
        "made_while_jobs_ran": overlapping,
        "renders": renders,
        "wrong_frame": wrong,
        "empty_network_thumbnails": empty,
        "statuses": sorted(c.movie_director.status for c in cams),
        "draws": draws,
        "seconds": time.monotonic() - started,
        "local_done_seconds": local_done,
        "ticks": len(ticks),
        "max_tick_ms": max(ticks) * 1000,
        "threads": sorted(t.name for t in threading.enumerate() if t.name.startswith("movie-director")),
    }
    with open(settings["report"], "w", encoding="utf-8") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
