"""Operators: why a button is grey (poll messages), what each one does, and the plumbing around them."""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import activate_shot, add_shot, addon_prefs, drain_until, grey_because

pytestmark = pytest.mark.blender


def test_generate_is_grey_with_the_reason(blender: ModuleType, local_engine, monkeypatch) -> None:
    op = blender.ops.moviedir.generate_shot
    assert grey_because(op) == "Select a camera: each camera is a shot"
    cam = add_shot(blender, blender.context.scene, "Shot_010", 1)
    activate_shot(blender, cam)
    assert grey_because(op) == "Shot 'Shot_010' has no prompt: describe what happens in it"
    cam.movie_director.prompt = "a fox in the snow"
    assert op.poll()
    cam.movie_director.image_input = "/nowhere/start.png"
    assert grey_because(op).startswith("The start image of 'Shot_010' does not exist")
    cam.movie_director.image_input = ""
    # WaveSpeed without a key (neither in the preferences nor in the environment).
    monkeypatch.delenv("WAVESPEED_API_KEY", raising=False)
    cam.movie_director.backend = "WAVESPEED"
    assert "WaveSpeed has no API key" in grey_because(op)
    monkeypatch.setenv("WAVESPEED_API_KEY", "from-the-environment")
    assert op.poll()
    cam.movie_director.backend = "WAN2GP"
    # Online access off: explained, with where to turn it on.
    blender.context.preferences.system.use_online_access = False
    try:
        message = grey_because(op)
        assert "Online access is off" in message and "Allow Online Access" in message
        assert grey_because(blender.ops.moviedir.generate_all).startswith("Online access is off")
        assert grey_because(blender.ops.moviedir.test_connection).startswith("Online access is off")
        assert blender.ops.moviedir.allow_online_access() == {"FINISHED"}
        assert blender.app.online_access
    finally:
        blender.context.preferences.system.use_online_access = True
    assert grey_because(blender.ops.moviedir.allow_online_access) == "Online access is already allowed"
    # Already running.
    local_engine.gate = threading.Event()
    assert op() == {"FINISHED"}
    assert grey_because(op) == "Shot 'Shot_010' is already generating; cancel it first"
    assert blender.ops.moviedir.cancel_shot.poll()
    local_engine.gate.set()
    drain_until(lambda: cam.movie_director.status == "DONE")
    assert grey_because(blender.ops.moviedir.cancel_shot) == "The shot is not generating"


def test_generate_all_reports_skipped_shots(blender: ModuleType, local_engine) -> None:
    scene = blender.context.scene
    assert grey_because(blender.ops.moviedir.generate_all).startswith("The scene has no cameras")
    empty = add_shot(blender, scene, "Shot_030", 60)
    assert grey_because(blender.ops.moviedir.generate_all).startswith("No shot is ready")
    add_shot(blender, scene, "Shot_010", 1, prompt="one")
    add_shot(blender, scene, "Shot_020", 30, prompt="two")
    assert blender.ops.moviedir.generate_all(quality="FINAL") == {"FINISHED"}
    assert scene.movie_director.batch_size == 2 and scene.movie_director.batch_quality == "FINAL"
    assert empty.movie_director.status == "IDLE"
    drain_until(
        lambda: all(o.movie_director.status == "DONE" for o in scene.objects if o.movie_director.prompt)
    )
    strips = {s.name: s for s in _all_strips(scene)}
    assert strips["Shot_010"]["md_quality"] == "final"


def _all_strips(scene: Any) -> Any:
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def test_use_take_swaps_the_clip_in_place(blender: ModuleType, local_engine) -> None:
    scene = blender.context.scene
    scene.render.fps = 24
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="p")
    activate_shot(blender, cam)
    assert grey_because(blender.ops.moviedir.use_take) == "The shot has no takes yet"
    assert grey_because(blender.ops.moviedir.open_result) == "The shot has no generated clip yet"
    blender.ops.moviedir.generate_shot()
    drain_until(lambda: cam.movie_director.status == "DONE")
    local_engine.fps, local_engine.frames = 24, 24
    blender.ops.moviedir.generate_shot()
    drain_until(lambda: len(cam.movie_director.takes) == 2)
    strip = _all_strips(scene)["Shot_010"]
    assert strip.frame_final_duration == 24 and strip["md_take"] == 2
    strip.channel = 4  # the editor moved it
    assert blender.ops.moviedir.use_take(index=0) == {"FINISHED"}
    strip = _all_strips(scene)["Shot_010"]
    # Switching takes keeps the cut: same start, channel and length (the take is stretched to fit).
    assert (strip.frame_final_start, strip.frame_final_duration, strip.channel) == (1, 24, 4)
    assert strip["md_take"] == 1 and strip.filepath == cam.movie_director.takes[0].filepath
    assert cam.movie_director.active_take_index == 0
    Path(cam.movie_director.takes[0].filepath).unlink()
    assert grey_because(blender.ops.moviedir.open_result).startswith("The clip file is missing")


def test_add_shot_and_choose_model(blender: ModuleType) -> None:
    from blender_movie_director.scene import catalogs, props, shots

    scene = blender.context.scene
    scene.frame_current = 37
    assert blender.ops.moviedir.add_shot() == {"FINISHED"}
    (cam,) = shots.scene_shots(scene)
    assert cam.name == "Shot_010" and scene.camera == cam
    assert shots.shot_range(scene, cam).start == 37
    assert shots.active_shot(blender.context) == cam
    ids = [row[0] for row in catalogs.models_for("WAN2GP")]
    assert "t2v_1.3B" in ids and "ltxv_distilled" in ids
    assert blender.ops.moviedir.choose_model(model="ltxv_distilled") == {"FINISHED"}
    assert props.shot_model(cam.movie_director) == "ltxv_distilled"
    # Each backend keeps its own choice.
    cam.movie_director.backend = "WAVESPEED"
    assert props.shot_model(cam.movie_director) == "wavespeed-ai/hunyuan-video-1.5/text-to-video"
    with pytest.raises(TypeError):  # not a WaveSpeed model: the enum refuses it
        blender.ops.moviedir.choose_model(model="ltxv_distilled", backend="WAVESPEED")
    blender.ops.moviedir.choose_model(model="lightricks/ltx-2-fast/text-to-video", backend="WAVESPEED")
    assert props.shot_model(cam.movie_director) == "lightricks/ltx-2-fast/text-to-video"
    cam.movie_director.backend = "WAN2GP"
    assert props.shot_model(cam.movie_director) == "ltxv_distilled"
    cam.movie_director.image_input = "//start.png"
    cam.movie_director.wan2gp_model = ""
    assert props.shot_model(cam.movie_director) == "i2v"  # empty: the backend's image-to-video default


def test_timer_and_handlers_are_registered(blender: ModuleType) -> None:
    from blender_movie_director import registration
    from blender_movie_director.blender import ticker
    from blender_movie_director.session import drain

    assert (ticker.timer,) == registration.TIMER_FUNCTIONS
    assert blender.app.timers.is_registered(ticker.timer)
    ticker.start()  # what the first job, connection check or thumbnail does
    assert ticker.started()
    assert ticker.timer() == drain.timer() == ticker.IDLE_INTERVAL  # nothing running: a slow, cheap tick
    for name, fn in registration.HANDLERS.items():
        handlers = getattr(blender.app.handlers, name, None)
        assert handlers is None or fn in handlers


def test_shot_saved_mid_job_is_marked_interrupted_on_load(blender: ModuleType, tmp_path: Path) -> None:
    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="p")
    cam.movie_director.status = "RUNNING"
    cam.movie_director.job_id = "job-from-another-session"
    blend = tmp_path / "old.blend"
    blender.ops.wm.save_as_mainfile(filepath=str(blend))
    blender.ops.wm.open_mainfile(filepath=str(blend))
    settings = blender.data.objects["Shot_010"].movie_director
    assert settings.status == "INTERRUPTED"
    assert "generate it again" in settings.progress_text


def test_test_connection_reports_each_backend(
    blender: ModuleType, wan2gp_standin: Any, wavespeed_standin: Any
) -> None:
    from blender_movie_director.session import connection

    prefs = addon_prefs(blender)
    prefs.wan2gp_url = wan2gp_standin.url
    prefs.wavespeed_base_url = wavespeed_standin.url
    prefs.wavespeed_api_key = "not-the-right-key"
    assert blender.ops.moviedir.test_connection() == {"FINISHED"}
    assert connection.join(60)
    results = connection.results()
    assert results["WAN2GP"].ok is True and wan2gp_standin.url in results["WAN2GP"].text
    assert results["WAVESPEED"].ok is False and "not-the-right-key" not in results["WAVESPEED"].text
    prefs.wavespeed_api_key = wavespeed_standin.api_key
    prefs.wan2gp_url = "http://127.0.0.1:9"  # nothing listens there
    blender.ops.moviedir.test_connection()
    assert connection.join(60)
    results = connection.results()
    assert results["WAVESPEED"].ok is True and "balance $" in results["WAVESPEED"].text
    assert results["WAN2GP"].ok is False
    connection.clear()


test_test_connection_reports_each_backend = pytest.mark.standin(test_test_connection_reports_each_backend)
