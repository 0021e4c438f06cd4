"""The sidebar's draw functions, run with a strict recording layout for every shot state."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.blender.recording_layout import RecordingLayout
from tests.fixtures.blender import add_shot

pytestmark = pytest.mark.blender

STATUSES = ("IDLE", "QUEUED", "RUNNING", "DONE", "FAILED", "CANCELLED", "INTERRUPTED")


def _draw(bpy: ModuleType, fn_name: str) -> RecordingLayout:
    from blender_movie_director.ui import shot_panels

    layout = RecordingLayout(bpy)
    getattr(shot_panels, fn_name)(layout, bpy.context)
    return layout


def _activate(bpy: ModuleType, cam) -> None:
    scene = bpy.context.scene
    scene.movie_director.active_shot_index = list(scene.objects).index(cam)


@pytest.mark.parametrize("status", STATUSES)
def test_shot_panel_in_every_state(blender: ModuleType, status: str) -> None:
    from blender_movie_director.scene import catalogs

    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a lighthouse")
    _activate(blender, cam)
    settings = cam.movie_director
    settings.status = status
    settings.progress = 0.4
    settings.progress_text = "Denoising 4/10"
    settings.last_error = "The Wan2GP server at http://127.0.0.1:7860 did not answer within 10 s."
    layout = _draw(blender, "draw_shot")
    labels = layout.labels()
    ops = layout.operators()
    assert ("moviedir.generate_shot", "Preview", {"quality": "PREVIEW"}) in ops
    assert ("moviedir.generate_shot", "Final", {"quality": "FINAL"}) in ops
    assert ("moviedir.cancel_shot", "Cancel", {}) in ops
    assert ("moviedir.open_result", "Open Result", {}) in ops
    model_label = catalogs.model_label("WAN2GP", "t2v_1.3B")
    assert model_label != "t2v_1.3B"  # a catalog name, not the bare id
    assert ("moviedir.choose_model", model_label, {"shot": "Shot_010"}) in ops
    assert {"prompt", "negative_prompt", "backend", "quality", "resolution", "seed", "lock_seed"} <= set(
        layout.props()
    )
    bars = layout.find("progress")
    if status in ("QUEUED", "RUNNING"):
        (bar,) = bars
        assert bar.kwargs["factor"] == pytest.approx(0.4)
        assert "Denoising 4/10" in bar.text
    else:
        assert bars == []
        name = settings.bl_rna.properties["status"].enum_items[status].name
        assert any(label.startswith(name) for label in labels)
    error_words = " ".join(labels)
    if status == "FAILED":
        assert "did not answer within 10 s." in error_words
        error_labels = [c for c in layout.find("label") if "did not" in c.text or "10 s." in c.text]
        assert error_labels and all(c.owner.attributes.get("alert") for c in error_labels)
    else:
        assert "did not answer" not in error_words


def test_shot_panel_shows_length_and_own_range(blender: ModuleType) -> None:
    scene = blender.context.scene
    scene.render.fps = 24
    cam = add_shot(blender, scene, "Shot_010", 10, prompt="x")
    add_shot(blender, scene, "Shot_020", 58, prompt="y")
    _activate(blender, cam)
    labels = _draw(blender, "draw_shot").labels()
    assert "Frames 10-57 (marker): 2.00 s" in labels
    cam.movie_director.use_shot_length = False
    cam.movie_director.use_custom_range = True
    props = _draw(blender, "draw_shot").props()
    assert {"duration", "frame_start", "frame_end"} <= set(props)


def test_shot_panel_without_cameras(blender: ModuleType) -> None:
    layout = _draw(blender, "draw_shot")
    assert layout.labels() == ["Add a camera to make a shot"]
    assert _draw(blender, "draw_takes").calls == []


def test_shots_panel_lists_cameras_and_batch_progress(blender: ModuleType) -> None:
    scene = blender.context.scene
    cams = [add_shot(blender, scene, f"Shot_{i}", 1 + 20 * i, prompt="p") for i in range(3)]
    layout = _draw(blender, "draw_shots")
    (lst,) = layout.find("template_list")
    assert lst.kwargs["listtype_name"] == "MOVIEDIR_UL_shots" and lst.kwargs["propname"] == "objects"
    ops = layout.operators()
    assert ("moviedir.generate_all", "Preview All", {"quality": "PREVIEW"}) in ops
    assert ("moviedir.generate_all", "Final All", {"quality": "FINAL"}) in ops
    assert ("moviedir.add_shot", "", {}) in ops
    assert layout.find("progress") == []  # no batch yet
    # A batch of three: one done, one at 50 %, one queued.
    scene.movie_director.batch_size = 3
    cams[1].movie_director.in_batch = True
    cams[1].movie_director.status, cams[1].movie_director.progress = "RUNNING", 0.5
    cams[2].movie_director.in_batch = True
    cams[2].movie_director.status = "QUEUED"
    layout = _draw(blender, "draw_shots")
    (bar,) = layout.find("progress")
    assert bar.kwargs["factor"] == pytest.approx((1 + 0.5) / 3)
    assert bar.text == "Batch: 1 of 3 shots done"
    assert ("moviedir.cancel_all", "", {}) in layout.operators()


def test_shot_list_rows_show_status(blender: ModuleType) -> None:
    from blender_movie_director.ui import shot_panels

    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="p")
    for status in STATUSES:
        cam.movie_director.status = status
        cam.movie_director.progress = 0.25
        layout = RecordingLayout(blender)
        shot_panels.draw_shot_row(layout, cam)
        texts = [c.text for c in layout.find("label")]
        assert texts[0] == "Shot_010"
        assert texts[1] == ("25%" if status in ("QUEUED", "RUNNING") else "")


def test_offline_notice_offers_the_fix(blender: ModuleType) -> None:
    blender.context.preferences.system.use_online_access = False
    try:
        layout = _draw(blender, "draw_shots")
        assert "Online access is off" in layout.labels()
        assert ("moviedir.allow_online_access", "", {}) in layout.operators()
    finally:
        blender.context.preferences.system.use_online_access = True
    assert "Online access is off" not in _draw(blender, "draw_shots").labels()


def test_takes_panel(blender: ModuleType) -> None:
    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="p")
    _activate(blender, cam)
    # The project's spend (every take of the scene's shots) heads the panel, with its budget switch.
    assert _draw(blender, "draw_takes").labels() == ["Project: $0.00", "No takes yet"]
    take = cam.movie_director.takes.add()
    take.name, take.number, take.backend, take.model = "Take 1 · preview", 1, "wan2gp", "t2v_1.3B"
    take.seed, take.duration, take.task_id = 42, 2.0, "abc123"
    layout = _draw(blender, "draw_takes")
    assert "wan2gp · t2v_1.3B" in layout.labels()
    assert "Task abc123" in layout.labels()
    assert any(label.startswith("Seed 42 · 2.00 s") for label in layout.labels())
    assert ("moviedir.use_take", "", {}) in layout.operators()
    paid = cam.movie_director.takes.add()
    paid.number, paid.backend, paid.cost, paid.cost_estimated = 2, "wavespeed", 0.25, True
    scene.movie_director.budget.use_limit, scene.movie_director.budget.limit_usd = True, 5.0
    assert _draw(blender, "draw_takes").labels()[0] == "Project: ≈$0.25 of $5.00"


def test_panels_are_registered_in_both_editors(blender: ModuleType) -> None:
    from blender_movie_director.ui import shot_panels

    spaces = {}
    for cls in shot_panels.classes:
        if issubclass(cls, blender.types.Panel):
            assert cls.bl_category == "Movie Director" and cls.bl_region_type == "UI"
            assert getattr(blender.types, cls.bl_idname).is_registered
            spaces.setdefault(cls.bl_space_type, []).append(cls.bl_label)
    assert spaces == {"VIEW_3D": ["Shots", "Shot", "Takes"], "SEQUENCE_EDITOR": ["Shots", "Shot", "Takes"]}


def test_preferences_draw_with_connection_results(blender: ModuleType) -> None:
    from blender_movie_director.session import connection
    from blender_movie_director.ui import preferences

    layout = RecordingLayout(blender)
    preferences.draw_connection(layout)
    assert ("moviedir.test_connection", "", {}) in layout.operators()
    connection._set(connection.BackendState("WAN2GP", True, "http://x: Wan2GP ready (3 ms)"))
    connection._set(connection.BackendState("WAVESPEED", False, "No API key"))
    try:
        layout = RecordingLayout(blender)
        preferences.draw_connection(layout)
        assert "Wan2GP: http://x: Wan2GP ready (3 ms)" in layout.labels()
        assert "WaveSpeed: No API key" in layout.labels()
        icons = {c.text: c.kwargs.get("icon") for c in layout.find("label")}
        assert icons["WaveSpeed: No API key"] == "ERROR"
    finally:
        connection.clear()


def test_wangp_is_credited_where_the_backend_is_chosen_and_set_up(blender: ModuleType) -> None:
    """WanGP (DeepBeepMeep's project) is named in the shot panel while Wan2GP is the shot's backend, and
    in the preferences beside the Wan2GP server settings."""
    from blender_movie_director.scene import catalogs
    from blender_movie_director.ui import preferences

    cam = add_shot(blender, blender.context.scene, "Shot_010", 1, prompt="a lighthouse")
    _activate(blender, cam)
    cam.movie_director.backend = "WAN2GP"
    assert "Uses WanGP by DeepBeepMeep" in _draw(blender, "draw_shot").labels()
    cam.movie_director.backend = "WAVESPEED"
    assert not any("WanGP" in label for label in _draw(blender, "draw_shot").labels())

    prefs = blender.context.preferences.addons["blender_movie_director"].preferences
    layout = RecordingLayout(blender)

    class Drawn:  # the real preferences, drawn into the recording layout (their .layout is read-only)
        def __getattr__(self, name: str):
            return layout if name == "layout" else getattr(prefs, name)

    preferences.MOVIEDIR_AddonPreferences.draw(Drawn(), blender.context)
    credit = "Wan2GP backend: uses WanGP by DeepBeepMeep (github.com/deepbeepmeep/Wan2GP)"
    assert credit == catalogs.WAN2GP_CREDIT and credit in layout.labels()
    assert "wan2gp_url" in layout.props()
