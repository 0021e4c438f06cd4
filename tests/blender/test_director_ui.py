"""The director tools' UI and bookkeeping in real Blender: the strip menu, sidebar parts, takes (cost,
request, thumbnails), the storyboard operator, and director jobs that fail or are cancelled.

Jobs here run in the real job manager with a local clip-making runner (tests/blender/local_runner.py): what
is checked happens after the backend returns; the stand-in tests cover the backends.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.blender.recording_layout import RecordingLayout
from tests.fixtures.blender import ADDON_MODULE, add_shot, drain_until

pytestmark = pytest.mark.blender


def _scene(bpy: ModuleType) -> Any:
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 120
    return scene


def _strips(scene: Any) -> Any:
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def _shot_with_take(bpy: ModuleType, scene: Any) -> Any:
    from blender_movie_director.session import submit

    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="a lantern in fog")
    submit.submit_shot(cam, "PREVIEW")
    drain_until(lambda: cam.movie_director.status == "DONE")
    scene.movie_director.active_shot_index = list(scene.objects).index(cam)
    scene.sequence_editor.active_strip = _strips(scene)[cam.movie_director.strip_name]
    return cam


def test_menu_is_appended_and_removed(blender: ModuleType) -> None:
    import addon_utils

    from blender_movie_director.ui import menus

    menu = blender.types.SEQUENCER_MT_context_menu
    assert menus.draw_context_menu in menu._dyn_ui_initialize()
    addon_utils.disable(ADDON_MODULE, default_set=True)
    try:
        assert menus.draw_context_menu not in menu._dyn_ui_initialize()
        assert not hasattr(blender.types, "MOVIEDIR_MT_strip")
    finally:
        addon_utils.enable(ADDON_MODULE, default_set=True)
    assert menus.draw_context_menu in menu._dyn_ui_initialize()


def test_menu_shows_for_movie_and_image_strips_only(
    blender: ModuleType, clip_factory, tmp_path: Path
) -> None:
    from blender_movie_director.blender import compat
    from blender_movie_director.ui import menus

    scene = _scene(blender)
    top = compat.top_level_strips(compat.sequence_editor(scene))

    def drawn() -> list[Any]:
        layout = RecordingLayout(blender)
        menus.draw_context_menu(SimpleNamespace(layout=layout), blender.context)
        return [c.args[0] if c.args else c.kwargs.get("menu") for c in layout.find("menu")]

    assert drawn() == []  # no strip
    movie = top.new_movie(name="movie", filepath=str(clip_factory(24, 12)), channel=1, frame_start=1)
    scene.sequence_editor.active_strip = movie
    assert drawn() == ["MOVIEDIR_MT_strip"]
    color = compat.new_effect_span(top, "color", "COLOR", 2, 1, 10)
    scene.sequence_editor.active_strip = color
    assert drawn() == []
    image = top.new_image(name="still", filepath=str(tmp_path / "still.png"), channel=3, frame_start=1)
    scene.sequence_editor.active_strip = image
    assert drawn() == ["MOVIEDIR_MT_strip"]


def test_menu_entries(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.ui import menus

    scene = _scene(blender)
    _shot_with_take(blender, scene)
    layout = RecordingLayout(blender)
    menus.draw_strip_actions(layout, blender.context)
    ops = layout.operators()
    assert ops == [
        ("moviedir.strip_regenerate", "Regenerate", {"count": 1}),
        ("moviedir.strip_regenerate", "Variations...", {"count": 3}),
        ("moviedir.strip_switch_take", "Previous Take", {"direction": -1}),
        ("moviedir.strip_switch_take", "Next Take", {"direction": 1}),
        ("moviedir.strip_retake", "Retake Section...", {}),
        ("moviedir.strip_image_to_video", "Image to Video from Here...", {}),
        ("moviedir.strip_extend", "Extend...", {}),
        ("moviedir.strip_finish", "Finish...", {}),
        ("moviedir.strip_reveal", "Reveal File", {}),
        ("moviedir.strip_info", "Generation Info", {}),
    ]
    assert "Not made by Movie Director" not in layout.labels()
    # One take only: switching has nowhere to go, and says so.
    assert not blender.ops.moviedir.strip_switch_take.poll()
    assert blender.ops.moviedir.strip_regenerate.poll()


def test_drain_made_takes_keep_cost_request_and_origin(blender: ModuleType, local_engine) -> None:
    prefs = blender.context.preferences.addons[ADDON_MODULE].preferences
    prefs.wan2gp_username, prefs.wan2gp_password = "director", "pw-not-in-files"
    prefs.wan2gp_url = "http://director:pw-in-url@127.0.0.1:9/"
    scene = _scene(blender)
    cam = _shot_with_take(blender, scene)
    take = cam.movie_director.takes[0]
    assert take.made_by == "generate" and take.cost == -1.0  # the local runner reports no cost
    request = json.loads(take.settings)
    assert request["model"] == take.model and request["prompt"] == "a lantern in fog"
    assert request["settings"]["seed"] == take.seed
    assert "pw-not-in-files" not in take.settings and "pw-in-url" not in take.settings
    assert request["servers"] == ["http://127.0.0.1:9/"]


def test_thumbnails_are_blenders_movie_previews_of_the_middle_frame_never_a_render(
    blender: ModuleType, local_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from blender_movie_director.scene import takes
    from blender_movie_director.session import drain
    from blender_movie_director.ui import strip_panels

    cache = tmp_path / "cache" / "thumbnails"
    (cache / "large").mkdir(parents=True)  # Blender makes the cache's folders only when it starts
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache.parent))  # Blender's thumbnail cache, not the user's
    renders: list[Any] = []
    count = lambda *args: renders.append(args)  # noqa: E731
    blender.app.handlers.render_pre.append(count)
    try:
        scene = _scene(blender)
        cam = _shot_with_take(blender, scene)
        take = cam.movie_director.takes[0]
        strip_panels.draw_take_row(RecordingLayout(blender), cam.movie_director, take, 0)
        drain.drain()
        assert renders == []  # neither drawing nor the drain's tick renders (issue 14: that crashed)
        assert not list(cache.rglob("*.png"))  # nor decodes: drawing only named the clip to Blender
        preview = takes.previews()[blender.path.abspath(take.filepath)]
        # What Blender's preview job does on a worker thread in the UI; the bpy module runs it here.
        width, height = preview.image_size
        assert (width, height) == (160, 96)  # the clip's own size (Blender caps thumbnails at 256 px)
        pixels = preview.image_pixels_float
        centre = ((height // 2) * width + width // 2) * 4
        # The local runner's 32-frame clip: frame i is grey 4 i; the middle frame is 16.
        assert pixels[centre] * 255 == pytest.approx(64, abs=1.5)
        assert renders == [] and len(list((cache / "large").glob("*.png"))) == 1  # kept in Blender's cache
        take.filepath = str(tmp_path / "gone.mp4")
        assert takes.icon_id(take) == 0 and str(tmp_path / "gone.mp4") not in takes.previews()
    finally:
        blender.app.handlers.render_pre.remove(count)


def test_sidebar_parts_draw(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.session import strip_jobs
    from blender_movie_director.ui import shot_panels, strip_panels

    scene = _scene(blender)
    cam = _shot_with_take(blender, scene)

    def draw(fn: Any) -> RecordingLayout:
        layout = RecordingLayout(blender)
        fn(layout, blender.context)
        return layout

    takes_list = draw(shot_panels.draw_takes).find("template_list")
    assert takes_list[0].kwargs["listtype_name"] == "MOVIEDIR_UL_takes"
    details = draw(strip_panels.draw_take_details)
    assert ("moviedir.use_take", "", {"shot": cam.name, "index": 0}) in details.operators()
    assert "generate · cost unknown" in details.labels()
    motion = draw(strip_panels.draw_camera_motion)
    assert {"use_camera_motion", "camera_motion", "camera_motion_auto"} <= set(motion.props())
    assert ("moviedir.read_camera", "", {"shot": cam.name}) in motion.operators()
    layout_part = draw(strip_panels.draw_layout_video)
    assert {"layout_model", "control_type", "layout_engine"} <= set(layout_part.props())
    assert ("moviedir.layout_to_video", "", {"shot": cam.name}) in layout_part.operators()
    director = draw(strip_panels.draw_director)
    assert director.operators() == [("moviedir.storyboard", "", {})]
    local_engine.gate = threading.Event()
    blender.ops.moviedir.strip_regenerate()
    (job,) = strip_jobs.active()
    drain_until(lambda: job.state == "running")
    director = draw(strip_panels.draw_director)
    assert ("moviedir.cancel_director_job", "", {"job_id": job.job_id}) in director.operators()
    assert director.find("progress") or any("%" in label for label in director.labels())
    local_engine.gate.set()
    strip_jobs.wait([job], timeout=30)
    assert job.state == "done"
    labels = draw(strip_panels.draw_director).labels()
    assert any(label.startswith("Regenerate · Shot_010") for label in labels)


def test_failed_and_cancelled_director_jobs_leave_the_strip_alone(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.session import engine, strip_jobs

    scene = _scene(blender)
    cam = _shot_with_take(blender, scene)
    strip = _strips(scene)[cam.movie_director.strip_name]
    shown = strip.filepath
    local_engine.fail = "the GPU caught fire"
    blender.ops.moviedir.strip_regenerate()
    (job,) = strip_jobs.active()
    strip_jobs.wait([job], timeout=30)
    assert job.state == "failed" and "the GPU caught fire" in job.error
    assert _strips(scene)[cam.movie_director.strip_name].filepath == shown
    assert len(cam.movie_director.takes) == 1
    local_engine.fail = ""
    local_engine.gate = threading.Event()
    blender.ops.moviedir.strip_regenerate()
    (job,) = strip_jobs.active()
    assert blender.ops.moviedir.cancel_director_job(job_id=job.job_id) == {"FINISHED"}
    strip_jobs.wait([job], timeout=30)
    assert job.state == "cancelled"
    assert not engine.has_active()
    assert _strips(scene)[cam.movie_director.strip_name].filepath == shown
    # The shot's own status is untouched by director jobs.
    assert cam.movie_director.status == "DONE"


def test_storyboard_operator(blender: ModuleType, local_engine, tmp_path: Path) -> None:
    scene = _scene(blender)
    assert not blender.ops.moviedir.storyboard.poll()  # no shots yet
    _shot_with_take(blender, scene)
    out = tmp_path / "board.png"
    assert blender.ops.moviedir.storyboard(filepath=str(out)) == {"FINISHED"}
    image = blender.data.images.load(str(out))
    try:
        assert tuple(image.size) == (340, 384)  # one 320 px cell (180 picture + 134 words), gaps, header
    finally:
        blender.data.images.remove(image)
