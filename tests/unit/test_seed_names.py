"""The design notes' shapes in plain Python (issue 19): a result read as a dict, the notes' camera
movement names, the templates' class name and the fallback facts. The examples themselves run in
tests/blender/test_seed_examples.py."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from blender_movie_director.backend.base import GenerationResult
from blender_movie_director.backend.errors import ErrorKind, ModelUnavailableError, ValidationError
from blender_movie_director.backend.wan2gp import Wan2GPConfigTemplates, fallback
from blender_movie_director.backend.wan2gp.templates import apply_template
from blender_movie_director.scene import camera_motion as cm


def test_a_result_reads_as_a_read_only_mapping() -> None:
    ok = GenerationResult.ok("/clips/a.mp4", model="t2v_1.3B", seed=7, used_fallback=True, success="x")
    assert isinstance(ok, Mapping)
    assert ok["success"] is True and ok["video_path"] == "/clips/a.mp4" and ok["error"] is None
    assert ok["metadata"]["model"] == "t2v_1.3B" and ok.get("used_fallback") is True
    assert ok["success"] is True  # a metadata key never hides a field
    assert ok.get("primary_error") is None and "primary_error" not in ok
    assert list(ok) == [
        "success",
        "video_path",
        "error",
        "error_message",
        "error_kind",
        "metadata",
        "model",
        "seed",
        "used_fallback",
    ]
    assert len(ok) == len(list(ok)) and dict(ok)["seed"] == 7
    with pytest.raises(KeyError):
        ok["nothing"]
    with pytest.raises(TypeError):
        ok["success"] = False  # type: ignore[index]
    failed = GenerationResult.failed(ValidationError("The prompt is empty: describe the shot."))
    assert failed["success"] is False and failed["video_path"] is None
    assert failed["error"] == failed["error_message"] == "The prompt is empty: describe the shot."
    assert failed["error_kind"] == ErrorKind.VALIDATION == "validation"
    # Attribute access stays the API, and equality is still the dataclass's.
    assert failed.error_message == failed["error"]
    assert ok == GenerationResult.ok(
        "/clips/a.mp4", model="t2v_1.3B", seed=7, used_fallback=True, success="x"
    )
    assert ok != GenerationResult.ok("/clips/b.mp4")


def test_the_notes_camera_movement_names_become_moves() -> None:
    moves = cm.moves_from_names(["zoom_in", "pan_right"])
    assert [(m.kind, m.direction) for m in moves] == [("pan", "right"), ("zoom", "in")]
    assert cm.moves_from_names(["Crane-Up", "push in"]) == (cm.Move("dolly", "in"), cm.Move("pedestal", "up"))
    with pytest.raises(ValueError, match=r"Unknown camera movement 'spin'.*zoom_in"):
        cm.moves_from_names(["spin"])
    with pytest.raises(ValueError, match="contradict"):
        cm.moves_from_names(["pan_left", "pan_right"])
    words = {f: cm.describe(cm.with_requested(moves, None), f) for f in cm.FAMILIES}
    assert words == {
        "wan": "Camera movement: pan right, zoom in.",
        "hunyuan": "The camera pans right and zooms in.",
        "ltx": "The camera pans right while it zooms in.",
        "generic": "The camera turns to the right and zooms in.",
    }


def test_the_cameras_own_animation_wins_where_it_says_more() -> None:
    requested = cm.moves_from_names(["zoom_in", "pan_right", "crane_up"])
    own = cm.MotionAnalysis(
        (cm.Move("pan", "left", 30.0, "fast"), cm.Move("tilt", "up", 5.0, "slow")), 2.0, 49
    )
    merged = cm.with_requested(requested, own)
    assert [(m.kind, m.direction, m.speed) for m in merged.moves] == [
        ("pedestal", "up", ""),
        ("pan", "left", "fast"),
        ("tilt", "up", "slow"),
        ("zoom", "in", ""),
    ]
    assert (merged.seconds, merged.frames) == (2.0, 49)
    orbit = cm.MotionAnalysis((cm.Move("orbit", "left", 40.0),), 2.0, 49)
    assert cm.with_requested(cm.moves_from_names(["pan_right", "truck_left"]), orbit).kinds() == ["orbit"]
    still = cm.MotionAnalysis((cm.Move("static"),), 2.0, 49)
    assert cm.with_requested(requested, still).kinds() == ["pedestal", "pan", "zoom"]
    assert cm.with_requested(cm.moves_from_names(["static"]), None).is_static


def test_the_notes_template_class_is_todays_templates() -> None:
    config = Wan2GPConfigTemplates.apply_template("character_focus", "Close-up of protagonist")
    assert config == apply_template("character_focus", "Close-up of protagonist")
    assert "Close-up of protagonist" in config["prompt"] and config["model"] == "t2v_2_2"
    assert "character_focus" in Wan2GPConfigTemplates.names()
    with pytest.raises(KeyError, match="Unknown prompt template 'noir'"):
        Wan2GPConfigTemplates.apply_template("noir", "x")


def test_fallback_facts() -> None:
    missing = GenerationResult.failed(ModelUnavailableError("The server has no model 'ltxv_13B'."))
    assert fallback.can_fall_back(missing)
    assert not fallback.can_fall_back(GenerationResult.ok("/a.mp4"))
    offline = GenerationResult(success=False, error_message="offline", error_kind=ErrorKind.CONNECTION)
    assert not fallback.can_fall_back(offline)
    second = GenerationResult.ok("/b.mp4", model="hunyuan")
    used = fallback.mark(second, primary=missing, primary_model="ltxv_13B")
    assert used.get("used_fallback") is True and used["primary_error"] == missing.error_message
    assert used["primary_model"] == "ltxv_13B" and used["model"] == "hunyuan"
    plain = fallback.mark(second, primary=second, primary_model="hunyuan")
    assert plain["used_fallback"] is False and plain["primary_error"] is None
