"""Camera moves read from synthetic camera paths (no bpy): every move, both directions, and the words."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blender_movie_director.scene import camera_motion as cm
from blender_movie_director.scene.camera_motion import CameraSample

FPS = 24.0


def axes(yaw_deg: float, pitch_deg: float = 0.0, roll_deg: float = 0.0) -> tuple[cm.Vec, cm.Vec]:
    """(forward, up) of a camera with heading ``yaw`` (0 = +X, 90 = +Y), elevation and roll."""
    y, p, r = (math.radians(v) for v in (yaw_deg, pitch_deg, roll_deg))
    fwd = (math.cos(p) * math.cos(y), math.cos(p) * math.sin(y), math.sin(p))
    right = cm._unit(cm._cross(fwd, (0.0, 0.0, 1.0)))
    up = cm._cross(right, fwd)
    # Roll: turn right/up about the view axis by the right-hand rule (clockwise for the operator).
    c, s = math.cos(r), math.sin(r)
    up_rolled = tuple(up[i] * c + right[i] * s for i in range(3))  # fwd x up = right
    return fwd, up_rolled  # type: ignore[return-value]


def path(
    frames: int = 49,
    *,
    loc=lambda t: (0.0, 0.0, 1.5),
    yaw=lambda t: 90.0,
    pitch=lambda t: 0.0,
    roll=lambda t: 0.0,
    focal=lambda t: 50.0,
) -> list[CameraSample]:
    out = []
    for i in range(frames):
        t = i / (frames - 1) if frames > 1 else 0.0
        fwd, up = axes(yaw(t), pitch(t), roll(t))
        out.append(CameraSample(float(i + 1), loc(t), fwd, up, focal(t)))
    return out


def kinds(samples: list[CameraSample]) -> list[tuple[str, str]]:
    return [(m.kind, m.direction) for m in cm.analyze(samples, FPS).moves]


def test_module_does_not_need_bpy() -> None:
    source = Path(cm.__file__).read_text()
    assert "import bpy" not in source and "from bpy" not in source


def test_static_camera() -> None:
    analysis = cm.analyze(path(), FPS)
    assert analysis.is_static and kinds(path()) == [("static", "")]
    assert analysis.frames == 49 and analysis.seconds == pytest.approx(2.0)
    assert not analysis.wobble


def test_single_sample_is_static() -> None:
    assert cm.analyze(path(1), FPS).is_static


def test_no_samples_is_an_error() -> None:
    with pytest.raises(ValueError):
        cm.analyze([], FPS)


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        (lambda t: (0.0, 4 * t, 1.5), ("dolly", "in")),  # looking +Y, moving +Y
        (lambda t: (0.0, -4 * t, 1.5), ("dolly", "out")),
        (lambda t: (4 * t, 0.0, 1.5), ("truck", "right")),  # right of a +Y view is +X
        (lambda t: (-4 * t, 0.0, 1.5), ("truck", "left")),
        (lambda t: (0.0, 0.0, 1.5 + 3 * t), ("pedestal", "up")),
        (lambda t: (0.0, 0.0, 1.5 - 1 * t), ("pedestal", "down")),
    ],
)
def test_translations(loc, expected) -> None:
    assert kinds(path(loc=loc)) == [expected]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"yaw": lambda t: 90 + 40 * t}, ("pan", "left")),  # heading turns counterclockwise from above
        ({"yaw": lambda t: 90 - 40 * t}, ("pan", "right")),
        ({"pitch": lambda t: 25 * t}, ("tilt", "up")),
        ({"pitch": lambda t: -25 * t}, ("tilt", "down")),
        ({"roll": lambda t: 20 * t}, ("roll", "clockwise")),
        ({"roll": lambda t: -20 * t}, ("roll", "counterclockwise")),
        ({"focal": lambda t: 35 + 50 * t}, ("zoom", "in")),
        ({"focal": lambda t: 85 - 50 * t}, ("zoom", "out")),
    ],
)
def test_rotations_and_zoom(kw, expected) -> None:
    assert kinds(path(**kw)) == [expected]


def test_pan_across_the_minus_x_axis_does_not_jump() -> None:
    # Heading 170 -> 190 degrees crosses the atan2 seam: still a 20 degree pan left.
    move = cm.analyze(path(yaw=lambda t: 170 + 20 * t), FPS).find("pan")
    assert move is not None and move.direction == "left" and move.amount == pytest.approx(20, abs=0.01)


def orbit_path(degrees: float, radius0: float = 5.0, radius1: float = 5.0, height: float = 1.5):
    # Start south of the origin looking north (+Y); circle it counterclockwise (the camera goes right).
    def loc(t: float) -> cm.Vec:
        angle = math.radians(-90 + degrees * t)
        r = radius0 + (radius1 - radius0) * t
        return (r * math.cos(angle), r * math.sin(angle), height)

    return path(loc=loc, yaw=lambda t: 90 + degrees * t)


@pytest.mark.parametrize(("degrees", "direction"), [(90, "right"), (-60, "left"), (30, "right")])
def test_orbit_replaces_its_pan_and_truck(degrees: float, direction: str) -> None:
    analysis = cm.analyze(orbit_path(degrees), FPS)
    assert kinds(orbit_path(degrees)) == [("orbit", direction)]
    assert analysis.find("orbit").amount == pytest.approx(abs(degrees), abs=0.5)


def test_orbit_while_closing_in_is_orbit_and_dolly_in() -> None:
    assert kinds(orbit_path(90, radius0=6.0, radius1=3.0)) == [("orbit", "right"), ("dolly", "in")]


def test_pan_on_the_spot_is_not_an_orbit() -> None:
    assert kinds(path(yaw=lambda t: 90 + 90 * t)) == [("pan", "left")]


def test_truck_while_panning_away_is_not_an_orbit() -> None:
    # Moving right while turning right: the view rays never meet in front of the camera.
    samples = path(loc=lambda t: (6 * t, 0.0, 1.5), yaw=lambda t: 90 - 25 * t)
    assert [k for k, _ in kinds(samples)] == ["truck", "pan"]


def test_combined_dolly_tilt_and_zoom() -> None:
    samples = path(loc=lambda t: (0.0, 3 * t, 1.5), pitch=lambda t: -15 * t, focal=lambda t: 35 + 15 * t)
    assert kinds(samples) == [("dolly", "in"), ("tilt", "down"), ("zoom", "in")]


def test_small_side_component_of_a_dolly_is_not_named() -> None:
    samples = path(loc=lambda t: (0.3 * t, 4 * t, 1.5))
    assert kinds(samples) == [("dolly", "in")]


def test_below_thresholds_is_static() -> None:
    samples = path(loc=lambda t: (0.0, 0.05 * t, 1.5), yaw=lambda t: 90 + 1 * t, focal=lambda t: 50 + 1 * t)
    assert cm.analyze(samples, FPS).is_static


def test_there_and_back_is_static_with_wobble() -> None:
    samples = path(loc=lambda t: (0.0, 2 * math.sin(math.pi * t), 1.5))
    analysis = cm.analyze(samples, FPS)
    assert analysis.is_static and analysis.wobble


def test_dolly_of_a_camera_looking_straight_down_uses_its_own_axes() -> None:
    samples = path(loc=lambda t: (0.0, 0.0, 10 - 5 * t), pitch=lambda t: -90.0)
    assert kinds(samples) == [("dolly", "in")]


def test_speed_words() -> None:
    slow = cm.analyze(path(400, yaw=lambda t: 90 + 20 * t), FPS).find("pan")  # 20 deg over 16.6 s
    fast = cm.analyze(path(13, yaw=lambda t: 90 + 60 * t), FPS).find("pan")  # 60 deg over 0.5 s
    moderate = cm.analyze(path(49, yaw=lambda t: 90 + 40 * t), FPS).find("pan")  # 20 deg/s
    assert (slow.speed, fast.speed, moderate.speed) == ("slow", "fast", "")


def test_unsorted_samples_are_sorted() -> None:
    samples = path(loc=lambda t: (0.0, 4 * t, 1.5))
    assert kinds(list(reversed(samples))) == [("dolly", "in")]


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("t2v_1.3B", "wan"),
        ("vace_14B", "wan"),
        ("i2v", "wan"),
        ("alibaba/wan-2.6/text-to-video", "wan"),
        ("wavespeed-ai/hunyuan-video-1.5/image-to-video", "hunyuan"),
        ("hunyuan_1_5_t2v", "hunyuan"),
        ("lightricks/ltx-2-retake", "ltx"),
        ("ltxv_distilled", "ltx"),
        ("kwaivgi/kling-v2.5-turbo-pro/text-to-video", "generic"),
    ],
)
def test_family_for_model(model: str, family: str) -> None:
    assert cm.family_for_model(model) == family


def test_words_per_family() -> None:
    analysis = cm.analyze(path(loc=lambda t: (0.0, 3 * t, 1.5), yaw=lambda t: 90 + 40 * t), FPS)
    assert [m.kind for m in analysis.moves] == ["dolly", "pan"]
    assert cm.describe(analysis, "wan") == "Camera movement: push in, pan left."
    assert cm.describe(analysis, "hunyuan") == "The camera dollies in and pans left."
    assert cm.describe(analysis, "ltx") == "The camera dollies in while it pans left."
    assert cm.describe(analysis, "generic") == "The camera moves forward and turns to the left."
    assert cm.describe(analysis, "unknown-family") == cm.describe(analysis, "generic")


def test_words_for_static_and_orbit_and_speed() -> None:
    static = cm.analyze(path(), FPS)
    assert cm.describe(static, "wan") == "Static shot, fixed camera."
    assert "locked off" in cm.describe(static, "ltx")
    slow_orbit = cm.analyze(orbit_path(40), 6.0)  # 40 degrees over 8 s: slow
    assert cm.describe(slow_orbit, "hunyuan") == "The camera slowly orbits right around the subject."
    assert cm.describe(slow_orbit, "wan") == "Camera movement: slow arc shot orbiting right."


def test_wan_speed_words_read_as_english() -> None:
    fast_truck = cm.MotionAnalysis((cm.Move("truck", "left", 5.0, "fast"),), 1.0, 25)
    slow_push = cm.MotionAnalysis((cm.Move("dolly", "in", 1.0, "slow"),), 1.0, 25)
    assert cm.describe(fast_truck, "wan") == "Camera movement: camera moves left quickly."
    assert cm.describe(slow_push, "wan") == "Camera movement: slow push in."


def test_every_move_has_words_in_every_family() -> None:
    for kind, direction in cm._WAN_TERMS:
        analysis = cm.MotionAnalysis((cm.Move(kind, direction, 10.0, "fast"),), 1.0, 25)
        for family in cm.FAMILIES:
            text = cm.describe(analysis, family)
            assert text and text.endswith(".")


def test_motion_words_and_append() -> None:
    words = cm.motion_words(path(focal=lambda t: 35 + 50 * t), FPS, "ltxv_distilled")
    assert words == "The camera zooms in."
    assert cm.append_to_prompt("A lighthouse at dusk", words) == "A lighthouse at dusk. The camera zooms in."
    assert cm.append_to_prompt("A lighthouse at dusk.", words) == "A lighthouse at dusk. The camera zooms in."
    assert (
        cm.append_to_prompt("A lighthouse. The camera zooms in.", words)
        == "A lighthouse. The camera zooms in."
    )
    assert cm.append_to_prompt("A fox", "") == "A fox"
    assert cm.append_to_prompt("", words) == words


def test_labels() -> None:
    assert cm.Move("pan", "left", 30.0, "slow").label == "slow pan left 30.0°"
    assert cm.Move("zoom", "in", 2.0).label == "zoom in 2.0x"
    assert cm.Move("static").label == "static"


@settings(max_examples=60, deadline=None)
@given(
    yaw0=st.floats(-180, 180),
    pan=st.floats(-150, 150),
    dist=st.floats(0.5, 8.0),
)
def test_pure_pan_is_pan_whatever_the_heading(yaw0: float, pan: float, dist: float) -> None:
    analysis = cm.analyze(path(yaw=lambda t: yaw0 + pan * t), FPS)
    if abs(pan) < 3.0:
        assert analysis.is_static
    else:
        move = analysis.find("pan")
        assert [m.kind for m in analysis.moves] == ["pan"]
        assert move.direction == ("left" if pan > 0 else "right")
        assert move.amount == pytest.approx(abs(pan), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(yaw=st.floats(-180, 180), dist=st.floats(0.5, 8.0), sign=st.sampled_from([1, -1]))
def test_dolly_along_the_view_whatever_the_heading(yaw: float, dist: float, sign: int) -> None:
    fwd, _ = axes(yaw)
    samples = path(loc=lambda t: (fwd[0] * dist * sign * t, fwd[1] * dist * sign * t, 1.5), yaw=lambda t: yaw)
    assert kinds(samples) == [("dolly", "in" if sign > 0 else "out")]
