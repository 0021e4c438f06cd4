"""Layout to video: the shot's frames rendered from the scene into a control video, sent to VACE on the
Wan2GP stand-in; the generated clip follows the control video frame for frame."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scripts.standins import videogen
from tests.fixtures.blender import add_shot

pytestmark = pytest.mark.blender
ADDON = "blender_movie_director"


def _previs(bpy: ModuleType, frames: int = 24) -> tuple[Any, Any]:
    """A cube, a camera trucking past it over ``frames`` frames: a blocked-out shot."""
    import bmesh

    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, frames
    mesh = bpy.data.meshes.new("block")
    bm = bmesh.new()
    bmesh.ops.create_cube(bm, size=2.0)
    bm.to_mesh(mesh)
    bm.free()
    scene.collection.objects.link(bpy.data.objects.new("block", mesh))
    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="a stone monolith in a desert")
    cam.rotation_euler = (math.radians(90), 0.0, 0.0)
    for frame, x in ((1, -2.0), (frames, 2.0)):
        cam.location = (x, -8.0, 0.0)
        cam.keyframe_insert("location", frame=frame)
    return scene, cam


def test_control_frame_count_rule() -> None:
    from blender_movie_director.requests.layout import control_frame_count

    assert [control_frame_count(n) for n in (1, 16, 17, 18, 21, 24, 25, 48, 49)] == [
        17, 17, 17, 21, 21, 25, 25, 49, 49,
    ]  # fmt: skip


def test_layout_steps_render_one_frame_each_and_leave_the_scene_as_it_was(
    blender: ModuleType, tmp_path: Path
) -> None:
    from blender_movie_director.blender import frames
    from blender_movie_director.requests import layout as layout_requests

    blender.context.preferences.addons[ADDON].preferences.output_folder = str(tmp_path)
    scene, cam = _previs(blender, frames=20)
    engine_before = scene.render.engine
    scene.render.filepath = "//my_render_"
    scene.frame_set(7)
    plan = layout_requests.plan(scene, cam)
    assert (plan.start, plan.end, plan.frames, plan.control_frames) == (1, 20, 20, 21)
    assert (plan.width, plan.height) == (320, 192)
    job = layout_requests.LayoutRender(plan)
    assert not job.step() and job.rendered == 1 and job.fraction == pytest.approx(1 / 20)
    # Between steps the user's scene is exactly as it was.
    assert scene.render.engine == engine_before and scene.render.filepath == "//my_render_"
    assert (scene.render.resolution_x, scene.render.resolution_y) == (320, 192)
    assert scene.render.use_sequencer and scene.frame_current == 7
    while not job.step():
        pass
    assert job.rendered == 20
    control = job.finish()
    stats = videogen.probe(control)
    assert (stats.frames, stats.fps, stats.width, stats.height) == (21, 24, 320, 192)
    # The camera trucks right, so the block drifts left across the frames: the picture changes.
    first, last = (frames.read_pixels(plan.frame_path(i)) for i in (0, 19))
    assert abs(first - last).mean() > 0.005
    # The padding repeats the last rendered frame.
    assert (frames.read_pixels(plan.frame_path(20)) == last).all()


@pytest.mark.standin
def test_layout_to_video_runs_vace_with_the_control_video(
    blender: ModuleType, wan2gp_standin: Any, tmp_path: Path
) -> None:
    from blender_movie_director.blender import compat, vse
    from blender_movie_director.scene import tool_props
    from blender_movie_director.session import strip_jobs

    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.wan2gp_url, prefs.output_folder = wan2gp_standin.url, str(tmp_path / "out")
    scene, cam = _previs(blender, frames=24)
    tools = tool_props.of(cam)
    tools.layout_model, tools.control_type = "vace_1.3B", "depth"
    count = len(strip_jobs.jobs())
    assert blender.ops.moviedir.layout_to_video(shot=cam.name) == {"FINISHED"}
    (job,) = strip_jobs.jobs()[count:]
    assert job.action == "layout" and job.request.model == "vace_1.3B"
    assert job.request.settings["video_prompt_type"] == "DV"  # depth, as WanGP names it
    assert job.request.settings["video_length"] == 25
    assert job.request.prompt == "a stone monolith in a desert. Camera movement: camera moves right quickly."
    control = job.request.inputs["video_guide"]
    strip_jobs.wait([job], timeout=120)
    assert job.state == "done", job.text
    control_frames = videogen.read_frames(control)
    out = videogen.read_frames(job.result_path)
    assert len(control_frames) == 25 and len(out) == len(control_frames)
    assert videogen.probe(job.result_path).fps == 24  # WanGP was asked to keep the control's rate
    # Output frame i is control frame i tinted 25 % toward the seed colour (the stand-in's VACE), so
    # out - 0.75 * control is flat and equals 0.25 * seed colour only with the matching control frame.
    import numpy as np

    seed = job.request.settings["seed"]
    height, width = out[0].shape[:2]

    def residual(i: int, j: int) -> Any:
        control_j = videogen.resize_rgb(control_frames[j], width, height).astype(float)
        return (out[i].astype(float) - 0.75 * control_j)[height // 3 :, width // 3 :]  # no marker square

    for i in (0, 12, 24):
        assert residual(i, i).mean(axis=(0, 1)) == pytest.approx(
            [0.25 * c for c in videogen.seed_color(seed)], abs=6
        )
    assert np.std(residual(24, 24)) < np.std(residual(24, 0))
    # The clip is the shot's take, cut in at the shot's start.
    settings = cam.movie_director
    assert [t.made_by for t in settings.takes] == ["layout"]
    strip = compat.all_strips(compat.sequence_editor(scene))[settings.strip_name]
    assert int(strip.frame_final_start) == 1 and int(strip.frame_final_duration) == 25
    assert vse.provenance_of(strip)["made_by"] == "layout"
    assert "VACE queued" in tools.layout_status
