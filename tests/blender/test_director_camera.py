"""Camera moves read from keyframed cameras in real Blender, and the words that reach the shot's request."""

from __future__ import annotations

import math
from types import ModuleType

import pytest

from tests.fixtures.blender import add_shot

pytestmark = pytest.mark.blender


def _scene(bpy: ModuleType):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 49
    return scene


def _camera(bpy: ModuleType, scene, name: str = "Shot_010"):
    """A camera at (0, -10, 1.5) looking along +Y (rotation X = 90 degrees), its shot spanning 1-49."""
    cam = add_shot(bpy, scene, name, 1, prompt="A lighthouse at dusk")
    cam.location = (0.0, -10.0, 1.5)
    cam.rotation_euler = (math.radians(90), 0.0, 0.0)
    cam.data.lens = 50.0
    return cam


def _key(obj, path: str, frames_values: list[tuple[int, object]]) -> None:
    for frame, value in frames_values:
        setattr(obj, path, value)
        obj.keyframe_insert(path, frame=frame)


def _moves(bpy: ModuleType, scene, cam) -> list[tuple[str, str]]:
    from blender_movie_director.scene import camera_prompt

    return [(m.kind, m.direction) for m in camera_prompt.analyze_shot(scene, cam).moves]


R90 = math.radians(90)


@pytest.mark.parametrize(
    ("path", "start", "end", "expected"),
    [
        ("location", (0, -10, 1.5), (0, -6, 1.5), ("dolly", "in")),
        ("location", (0, -10, 1.5), (0, -13, 1.5), ("dolly", "out")),
        ("location", (0, -10, 1.5), (3, -10, 1.5), ("truck", "right")),
        ("location", (0, -10, 1.5), (-3, -10, 1.5), ("truck", "left")),
        ("location", (0, -10, 1.5), (0, -10, 4.0), ("pedestal", "up")),
        ("location", (0, -10, 1.5), (0, -10, 0.5), ("pedestal", "down")),
        ("rotation_euler", (R90, 0, 0), (R90, 0, math.radians(30)), ("pan", "left")),
        ("rotation_euler", (R90, 0, 0), (R90, 0, math.radians(-30)), ("pan", "right")),
        ("rotation_euler", (R90, 0, 0), (math.radians(110), 0, 0), ("tilt", "up")),
        ("rotation_euler", (R90, 0, 0), (math.radians(70), 0, 0), ("tilt", "down")),
        # Euler XYZ: Y turns about the world Y axis, which is the view axis here.
        ("rotation_euler", (R90, 0, 0), (R90, math.radians(20), 0), ("roll", "clockwise")),
        ("rotation_euler", (R90, 0, 0), (R90, math.radians(-20), 0), ("roll", "counterclockwise")),
    ],
)
def test_keyframed_move_is_read(blender: ModuleType, path, start, end, expected) -> None:
    scene = _scene(blender)
    cam = _camera(blender, scene)
    _key(cam, path, [(1, start), (49, end)])
    assert _moves(blender, scene, cam) == [expected]
    assert scene.frame_current == 1  # sampling puts the frame back


@pytest.mark.parametrize(("lens", "expected"), [((35, 85), ("zoom", "in")), ((85, 35), ("zoom", "out"))])
def test_keyframed_focal_length_is_zoom(blender: ModuleType, lens, expected) -> None:
    scene = _scene(blender)
    cam = _camera(blender, scene)
    for frame, value in zip((1, 49), lens, strict=True):
        cam.data.lens = value
        cam.data.keyframe_insert("lens", frame=frame)
    assert _moves(blender, scene, cam) == [expected]


def test_orbit_from_a_rotating_parent(blender: ModuleType) -> None:
    # The camera is parented to an empty at the origin that turns 90 degrees: the camera circles the
    # origin counterclockwise (moving to its right) and keeps looking at it.
    scene = _scene(blender)
    cam = _camera(blender, scene)
    pivot = blender.data.objects.new("pivot", None)
    scene.collection.objects.link(pivot)
    cam.parent = pivot
    _key(pivot, "rotation_euler", [(1, (0, 0, 0)), (49, (0, 0, R90))])
    from blender_movie_director.scene import camera_prompt

    analysis = camera_prompt.analyze_shot(scene, cam)
    assert [(m.kind, m.direction) for m in analysis.moves] == [("orbit", "right")]
    assert analysis.moves[0].amount == pytest.approx(90, abs=1)


def test_orbit_from_a_track_to_constraint(blender: ModuleType) -> None:
    scene = _scene(blender)
    cam = _camera(blender, scene)
    target = blender.data.objects.new("target", None)
    scene.collection.objects.link(target)
    target.location = (0, 0, 1.5)
    track = cam.constraints.new("TRACK_TO")
    track.target, track.track_axis, track.up_axis = target, "TRACK_NEGATIVE_Z", "UP_Y"
    # Keyframes on a circle of radius 10 around the target, a quarter turn clockwise seen from above.
    for i, frame in enumerate(range(1, 50, 4)):
        angle = math.radians(-90 - 90 * i / 12)
        cam.location = (10 * math.cos(angle), 10 * math.sin(angle), 1.5)
        cam.keyframe_insert("location", frame=frame)
    moves = _moves(blender, scene, cam)
    assert moves == [("orbit", "left")]


def test_static_but_animated_camera_says_static(blender: ModuleType) -> None:
    scene = _scene(blender)
    cam = _camera(blender, scene)
    _key(cam, "location", [(1, (0, -10, 1.5)), (49, (0, -10, 1.5))])
    from blender_movie_director.scene import camera_prompt

    assert _moves(blender, scene, cam) == [("static", "")]
    assert camera_prompt.read_camera(scene, cam, "t2v_1.3B") == "Static shot, fixed camera."


def test_camera_without_animation_adds_no_words(blender: ModuleType) -> None:
    from blender_movie_director.scene import camera_prompt, tool_props

    scene = _scene(blender)
    cam = _camera(blender, scene)
    assert not camera_prompt.is_animated(cam)
    assert camera_prompt.prompt_for(cam, scene, "A fox", "t2v_1.3B") == "A fox"
    assert tool_props.of(cam).camera_moves == camera_prompt.NOT_ANIMATED


def test_shot_range_limits_the_analysis(blender: ModuleType) -> None:
    # Dolly during frames 1-25 (Shot_010), pan during 25-49 (Shot_020's range on the same camera path).
    scene = _scene(blender)
    cam = _camera(blender, scene)
    _key(cam, "location", [(1, (0, -10, 1.5)), (25, (0, -6, 1.5))])
    _key(cam, "rotation_euler", [(25, (R90, 0, 0)), (49, (R90, 0, math.radians(40)))])
    settings = cam.movie_director
    settings.use_custom_range, settings.frame_start, settings.frame_end = True, 1, 25
    assert _moves(blender, scene, cam) == [("dolly", "in")]
    settings.frame_start, settings.frame_end = 25, 49
    assert _moves(blender, scene, cam) == [("pan", "left")]


def test_words_reach_the_request_and_follow_the_model(blender: ModuleType, tmp_path) -> None:
    from blender_movie_director.requests import shot as shot_requests
    from blender_movie_director.scene import props, tool_props

    prefs = blender.context.preferences.addons["blender_movie_director"].preferences
    prefs.output_folder = str(tmp_path)
    scene = _scene(blender)
    cam = _camera(blender, scene)
    _key(cam, "location", [(1, (0, -10, 1.5)), (49, (0, -6, 1.5))])
    _key(cam, "rotation_euler", [(1, (R90, 0, 0)), (49, (R90, 0, math.radians(30)))])
    request, _ = shot_requests.build_request(cam, "PREVIEW", scene=scene)
    assert request.prompt == "A lighthouse at dusk. Camera movement: push in, pan left."
    tools = tool_props.of(cam)
    assert tools.camera_motion == "Camera movement: push in, pan left." and tools.camera_motion_auto
    assert tools.camera_moves.startswith("dolly in 4.0, pan left 30.0")
    # Another model family gets its own words.
    cam.movie_director.backend = "WAVESPEED"
    props.set_shot_model(cam.movie_director, "lightricks/ltx-2-pro/text-to-video")
    request, _ = shot_requests.build_request(cam, "PREVIEW", scene=scene)
    assert request.prompt == "A lighthouse at dusk. The camera dollies in while it pans left."
    # Edited words are kept as they are (no longer follow the camera).
    tools.camera_motion = "The camera glides forward."
    assert not tools.camera_motion_auto
    request, _ = shot_requests.build_request(cam, "PREVIEW", scene=scene)
    assert request.prompt == "A lighthouse at dusk. The camera glides forward."
    # Switched off: the prompt alone.
    tools.use_camera_motion = False
    request, _ = shot_requests.build_request(cam, "PREVIEW", scene=scene)
    assert request.prompt == "A lighthouse at dusk"


def test_read_camera_operator(blender: ModuleType) -> None:
    from blender_movie_director.scene import tool_props

    scene = _scene(blender)
    cam = _camera(blender, scene)
    _key(cam, "rotation_euler", [(1, (R90, 0, 0)), (49, (math.radians(130), 0, 0))])  # 20 deg/s
    tool_props.of(cam).camera_motion = "hand-written"
    assert blender.ops.moviedir.read_camera(shot=cam.name) == {"FINISHED"}
    tools = tool_props.of(cam)
    assert tools.camera_motion == "Camera movement: tilt up." and tools.camera_motion_auto
