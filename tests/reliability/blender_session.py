"""One Blender session in its own process, for the restart test (run by ``test_restart.py``, not collected).

    python blender_session.py submit  '<json settings>'   # 10 WaveSpeed shots, save once all are submitted,
                                                           # then close Blender ("close") or die ("kill")
    python blender_session.py reopen  '<json settings>'   # open the .blend (nothing starts), press Resume,
                                                           # report

Each phase writes what it saw as JSON to ``settings["report"]``. A crash shows as the process's exit code.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

ADDON = "blender_movie_director"


def start_blender(settings: dict[str, Any], *, output_folder: str, concurrency: int) -> Any:
    """A factory-fresh Blender with the extension enabled, online access on and WaveSpeed at the stand-in
    (``settings["key"]``, ``settings["url"]``); also used by tests/security/thumbnail_session.py."""
    import bpy  # noqa: I001 - bpy first: importing it puts Blender's own modules (addon_utils) on the path
    import addon_utils

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.system.use_online_access = True
    addon_utils.enable(ADDON, default_set=True, handle_error=_raise)
    prefs = bpy.context.preferences.addons[ADDON].preferences
    prefs.wavespeed_api_key = settings["key"]
    prefs.wavespeed_base_url = settings["url"]
    prefs.output_folder = output_folder
    prefs.wavespeed_concurrency = concurrency
    prefs.request_timeout = 10.0
    return bpy


def _start(settings: dict[str, Any]) -> Any:
    return start_blender(settings, output_folder="//movie_director/", concurrency=settings["shots"])


def _raise(exc: BaseException) -> None:
    raise exc


def _drain_until(predicate: Any, timeout: float) -> None:
    from blender_movie_director.session import drain

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("the shots did not get there in time")
        drain.drain()
        time.sleep(0.02)


def _shots(bpy: Any) -> list[Any]:
    return sorted((o for o in bpy.data.objects if o.type == "CAMERA"), key=lambda o: o.name)


def _state(bpy: Any) -> dict[str, Any]:
    from blender_movie_director.blender import compat

    editor = compat.sequence_editor(bpy.context.scene, create=False)
    strips = [s for s in compat.all_strips(editor)] if editor is not None else []
    return {
        "shots": {
            o.name: {
                "status": o.movie_director.status,
                "job_id": o.movie_director.job_id,
                "remote_id": o.movie_director.remote_id,
                "error": o.movie_director.last_error,
                "text": o.movie_director.progress_text,
                "strip": o.movie_director.strip_name,
                "takes": [{"task_id": t.task_id} for t in o.movie_director.takes],
            }
            for o in _shots(bpy)
        },
        "strips": [
            {"name": s.name, "type": s.type, "file": bpy.path.abspath(getattr(s, "filepath", "") or "")}
            for s in strips
        ],
    }


def submit(settings: dict[str, Any]) -> None:
    bpy = _start(settings)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y = 160, 96
    scene.frame_start, scene.frame_end = 1, 24 * settings["shots"]
    for i in range(settings["shots"]):
        name = f"Shot_{(i + 1) * 10:03d}"
        cam = bpy.data.objects.new(name, bpy.data.cameras.new(name))
        scene.collection.objects.link(cam)
        marker = scene.timeline_markers.new(name, frame=1 + 24 * i)
        marker.camera = cam
        cam.movie_director.backend = "WAVESPEED"
        cam.movie_director.prompt = f"restart shot {i}: a harbour at night"
    bpy.ops.wm.save_as_mainfile(filepath=settings["blend"])  # "//" output needs a saved file
    assert bpy.ops.moviedir.generate_all(quality="PREVIEW") == {"FINISHED"}
    shots = _shots(bpy)
    _drain_until(lambda: all(o.movie_director.remote_id for o in shots), timeout=60)
    bpy.ops.wm.save_mainfile()
    state = _state(bpy)
    with open(settings["report"], "w", encoding="utf-8") as f:
        json.dump(state, f)
    if settings["how"] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # a crash: no unregister, no shutdown, nothing flushed
    # "close": the interpreter exits; the extension's exit hook unregisters and shuts the engine down.


def reopen(settings: dict[str, Any]) -> None:
    bpy = _start(settings)
    from blender_movie_director.session import drain, engine

    bpy.ops.wm.open_mainfile(filepath=settings["blend"])  # load_post: read the job store, start nothing
    shots = _shots(bpy)
    before = {o.name: o.movie_director.status for o in shots}
    offered = engine.earlier(timeout=30)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:  # the drain's ticks before the user clicks: the shots are marked
        drain.drain()
        time.sleep(0.02)
    waiting = {o.name: [o.movie_director.status, o.movie_director.progress_text] for o in shots}
    offer = Path(settings["report"] + ".offer")
    text = json.dumps({"offered": offered.count, "notices": list(offered.notices), "waiting": waiting})
    offer.with_suffix(".tmp").write_text(text, encoding="utf-8")
    offer.with_suffix(".tmp").replace(offer)
    if settings.get("wait_before_resume"):  # the test checks that nothing reached the servers meanwhile
        while not Path(settings["report"] + ".go").exists():
            time.sleep(0.02)
    assert bpy.ops.moviedir.resume_jobs() == {"FINISHED"}  # the user's click
    _drain_until(
        lambda: all(o.movie_director.status in ("DONE", "FAILED", "CANCELLED") for o in shots),
        timeout=120,
    )
    # Keep draining a little: a second import of the same job would show up now.
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        from blender_movie_director.session import drain

        drain.drain()
        time.sleep(0.02)
    state = _state(bpy)
    state["status_after_load"] = before
    with open(settings["report"], "w", encoding="utf-8") as f:
        json.dump(state, f)


if __name__ == "__main__":
    {"submit": submit, "reopen": reopen}[sys.argv[1]](json.loads(sys.argv[2]))
