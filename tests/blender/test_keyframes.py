"""Keyframes and continuity in real Blender (issue 17): Continue from Previous Shot, a shot's first/last frame
rendered through its camera, and the end image in the request.

The job engine is the real one with the local clip runner (tests/blender/local_runner.py: real H.264 clips
whose frame ``i`` is flat grey ``(i * 4) % 256``, so each frame of a clip is told apart by its pixels); what
is under test happens in Blender after a take is on the timeline. The takes' frames are decoded with PyAV,
independently of Blender's reader.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import activate_shot, add_shot, drain_until

pytestmark = pytest.mark.blender


def _scene(bpy: ModuleType) -> Any:
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 160, 96, 100
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.frame_start, scene.frame_end = 1, 72
    return scene


def _last_frame_grey(path: str) -> float:
    """The mean grey level (0..1) of the clip's last frame, decoded by PyAV."""
    import av

    with av.open(path) as container:
        *_, last = container.decode(container.streams.video[0])
    return float(last.to_ndarray(format="gray").mean()) / 255.0


def _png_grey(path: str) -> float:
    from blender_movie_director.blender import frames

    return float(frames.read_pixels(path)[..., :3].mean())


def _generate(bpy: ModuleType, cam: Any) -> Any:
    activate_shot(bpy, cam)
    assert bpy.ops.moviedir.generate_shot(quality="PREVIEW") == {"FINISHED"}
    settings = cam.movie_director
    drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=60)
    assert settings.status == "DONE", settings.last_error
    return settings.takes[settings.active_take_index]


def test_continue_from_previous_shot_chains_three_shots(blender: ModuleType, local_engine: Any) -> None:
    from blender_movie_director.session import engine

    scene = _scene(blender)
    cams = [add_shot(blender, scene, f"Shot_0{i}0", 1 + 24 * (i - 1), prompt=f"part {i}") for i in (1, 2, 3)]
    activate_shot(blender, cams[0])
    with pytest.raises(RuntimeError, match="'Shot_010' is the first shot"):
        blender.ops.moviedir.continue_from_previous()
    activate_shot(blender, cams[1])
    with pytest.raises(RuntimeError, match="'Shot_010' has no clip on the timeline yet: generate it first"):
        blender.ops.moviedir.continue_from_previous()

    local_engine.fps = 24
    previous_take = None
    for index, (cam, clip_frames) in enumerate(zip(cams, (20, 12, 16), strict=True)):
        if previous_take is not None:
            activate_shot(blender, cam)
            assert blender.ops.moviedir.continue_from_previous() == {"FINISHED"}
            start = cam.movie_director.image_input
            # The start image is the previous take's last frame: grey (n - 1) * 4 / 255, 4 levels from its
            # neighbours, so a tolerance of 1.5 levels tells the exact frame.
            assert abs(_png_grey(start) - _last_frame_grey(previous_take.filepath)) < 1.5 / 255, index
        local_engine.frames = clip_frames
        take = _generate(blender, cam)
        if previous_take is not None:
            request = engine.current().job(cam.movie_director.job_id).request
            assert request.inputs["image_start"] == cam.movie_director.image_input
        previous_take = take
    # Each link took its own previous take: three different last frames.
    starts = {cam.movie_director.image_input for cam in cams[1:]}
    assert len(starts) == 2


def test_render_first_and_last_frame_through_the_shot_camera(
    blender: ModuleType, local_engine: Any, tmp_path: Path
) -> None:
    from mathutils import Vector

    blender.ops.wm.save_as_mainfile(filepath=str(tmp_path / "film.blend"))  # the output folder is inside
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a cube appears")
    other = add_shot(blender, scene, "Shot_020", 25, prompt="later")
    other.location = Vector((50, 0, 0))  # looks down at nothing
    # Its own range 1-24 over Shot_020's marker: the render must still look through Shot_010.
    scene.timeline_markers["Shot_020"].frame = 12
    cam.movie_director.use_custom_range = True
    cam.movie_director.frame_start, cam.movie_director.frame_end = 1, 24
    cam.location, cam.rotation_euler = Vector((0, -6, 0)), (1.5708, 0, 0)
    blender.ops.mesh.primitive_cube_add(size=3, location=(0, 0, 0))
    cube = blender.context.active_object
    # The cube shows only from the shot's last frame (24) on.
    for frame, hidden in ((23, True), (24, False)):
        cube.hide_render = hidden
        cube.keyframe_insert("hide_render", frame=frame)
    scene.frame_set(40)
    scene.render.filepath = "//keep_me_"
    scene.render.image_settings.file_format = "JPEG"
    scene.camera = None
    activate_shot(blender, cam)
    assert blender.ops.moviedir.render_keyframe(which="START") == {"FINISHED"}
    assert blender.ops.moviedir.render_keyframe(which="END") == {"FINISHED"}
    first, last = cam.movie_director.image_input, cam.movie_director.image_end
    # Stored relative to the .blend (a shared project folder), read back absolute.
    assert first.startswith("//out/Shot_010/frames/") and last.startswith("//out/Shot_010/frames/")
    first, last = blender.path.abspath(first), blender.path.abspath(last)
    assert Path(first).parent == Path(last).parent == tmp_path / "out" / "Shot_010" / "frames"
    centre_first = _centre(first)
    centre_last = _centre(last)
    assert abs(centre_first - centre_last) > 0.05  # the cube fills the centre of the last frame only
    # The user's scene is as it was.
    assert (scene.frame_current, scene.render.filepath, scene.camera) == (40, "//keep_me_", None)
    assert scene.render.image_settings.file_format == "JPEG" and scene.render.use_sequencer
    assert len(blender.data.scenes) == 1


def _centre(path: str) -> float:
    from blender_movie_director.blender import frames

    pixels = frames.read_pixels(path)
    h, w = pixels.shape[:2]
    return float(pixels[h // 2 - 4 : h // 2 + 4, w // 2 - 4 : w // 2 + 4, :3].mean())


@pytest.mark.parametrize(
    ("backend", "model", "takes_end"),
    [
        ("WAN2GP", "i2v", True),  # Wan 2.1 image to video: WanGP's schema says it takes an end image
        ("WAN2GP", "hunyuan_i2v", False),
        ("WAVESPEED", "kwaivgi/kling-v4.0/image-to-video", True),  # its last_image field
        ("WAVESPEED", "wavespeed-ai/hunyuan-video-1.5/image-to-video", False),
    ],
)
def test_end_image_reaches_the_request_only_where_the_model_takes_it(
    blender: ModuleType, local_engine: Any, tmp_path: Path, backend: str, model: str, takes_end: bool
) -> None:
    from blender_movie_director.backend.errors import ValidationError
    from blender_movie_director.requests import shot as shot_requests
    from blender_movie_director.ui import keyframe_ops
    from tests.blender.recording_layout import RecordingLayout

    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a door opens")
    start, end = tmp_path / "start.png", tmp_path / "end.png"
    for path in (start, end):
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    settings = cam.movie_director
    settings.backend = backend
    if backend == "WAVESPEED":
        settings.wavespeed_model = model
    else:
        settings.wan2gp_model = model
    settings.image_input, settings.image_end = str(start), str(end)
    if takes_end:
        request, _ = shot_requests.build_request(cam, "PREVIEW", scene=scene)
        assert request.inputs["image_start"] == str(start) and request.inputs["image_end"] == str(end)
    else:
        with pytest.raises(ValidationError, match="takes no end image"):
            shot_requests.build_request(cam, "PREVIEW", scene=scene)
    # The panel says so before anything is sent, beside the keyframe buttons.
    layout = RecordingLayout(blender)
    keyframe_ops.draw_keyframes(layout, cam)
    warned = any("takes no end image" in text for text in layout.labels())
    assert warned is not takes_end
    assert {(op, props.get("which", "")) for op, _text, props in layout.operators()} == {
        ("moviedir.render_keyframe", "START"),
        ("moviedir.render_keyframe", "END"),
        ("moviedir.continue_from_previous", ""),
    }


@pytest.mark.standin
def test_start_and_end_image_are_the_clips_first_and_last_frames_on_wavespeed(
    blender: ModuleType, wavespeed_standin: Any, tmp_path: Path
) -> None:
    # Kling 4.0 takes the last frame as last_image; the stand-in draws the pictures it received.
    import av
    import numpy as np

    from blender_movie_director.blender import frames
    from tests.fixtures.blender import addon_prefs

    prefs = addon_prefs(blender)
    prefs.wavespeed_api_key, prefs.wavespeed_base_url = wavespeed_standin.api_key, wavespeed_standin.url
    prefs.output_folder = str(tmp_path / "out")
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="red turns blue")
    colours = {"start": (0.8, 0.1, 0.1), "end": (0.1, 0.2, 0.8)}
    for name, rgb in colours.items():
        frames.write_png(np.full((96, 160, 3), rgb, dtype=np.float32), tmp_path / f"{name}.png")
    settings = cam.movie_director
    settings.backend = "WAVESPEED"
    settings.wavespeed_model = "kwaivgi/kling-v4.0/image-to-video"
    settings.image_input, settings.image_end = str(tmp_path / "start.png"), str(tmp_path / "end.png")
    take = _generate(blender, cam)
    with av.open(take.filepath) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]
    for name, picture in (("start", decoded[0]), ("end", decoded[-1])):
        mean = picture.reshape(-1, 3).mean(axis=0) / 255
        assert np.abs(mean - colours[name]).max() < 0.05, (name, mean)
