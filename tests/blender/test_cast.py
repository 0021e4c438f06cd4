"""The cast (issue 17) in real Blender: who a shot's camera sees over its frames, overrides, the console API,
the panels, and reference pictures rendered from a member's own objects."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.blender.recording_layout import RecordingLayout
from tests.fixtures.blender import activate_shot, add_shot, addon_prefs
from tests.fixtures.blender import add_cube as _cube

pytestmark = pytest.mark.blender


def _key(obj: Any, frame: int, location: tuple[float, float, float]) -> None:
    obj.location = location
    obj.keyframe_insert("location", frame=frame)


@pytest.fixture
def stage(blender: ModuleType) -> dict[str, Any]:
    """Shot_010 (frames 1-48) looks along +Y from y=-10; Shot_020 starts at 49. One member per case."""
    import movie_director as md

    bpy = blender
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 96
    scene.render.resolution_x, scene.render.resolution_y = 320, 180
    cam = add_shot(bpy, scene, "Shot_010", 1)
    cam.location, cam.rotation_euler = (0.0, -10.0, 0.0), (math.pi / 2, 0.0, 0.0)
    add_shot(bpy, scene, "Shot_020", 49).location = (0.0, 0.0, -30.0)  # looks down at nothing
    objs = {
        "Front": _cube(bpy, "front", (0.0, 0.0, 0.0)),
        "Behind": _cube(bpy, "behind", (0.0, -20.0, 0.0)),
        "Late": _cube(bpy, "late", (40.0, 0.0, 0.0)),  # comes into view at 49: the next shot's first frame
        "LastFrame": _cube(bpy, "last", (40.0, 0.0, 2.0)),  # comes into view at 48 only
        "HiddenRender": _cube(bpy, "hidden_render", (0.5, 0.0, 0.0)),
        "HiddenViewport": _cube(bpy, "hidden_viewport", (-0.5, 0.0, 0.0)),
    }
    for frame, x in ((1, 40.0), (48, 40.0), (49, 0.0)):
        _key(objs["Late"], frame, (x, 0.0, 0.0))
    for frame, x in ((1, 40.0), (47, 40.0), (48, 0.0)):
        _key(objs["LastFrame"], frame, (x, 0.0, 2.0))
    objs["HiddenRender"].hide_render = True
    objs["HiddenViewport"].hide_viewport = True
    excluded = bpy.data.collections.new("Excluded")
    scene.collection.children.link(excluded)
    objs["Excluded"] = _cube(bpy, "excluded", (0.0, 0.0, 0.5), excluded)
    bpy.context.view_layer.layer_collection.children["Excluded"].exclude = True
    for name, obj in objs.items():
        md.add_cast_member(name, objects=[obj])
    bpy.context.view_layer.update()
    return {"bpy": bpy, "scene": scene, "cam": cam, "objs": objs, "md": md}


def test_who_the_camera_sees_over_the_shot(stage: dict[str, Any]) -> None:
    from blender_movie_director.requests import references
    from blender_movie_director.scene import cast

    md, bpy, scene = stage["md"], stage["bpy"], stage["scene"]
    # Behind the camera, entering after the shot's range, hidden (render, viewport, excluded collection):
    # out. In front, and entering at the shot's last frame: in.
    assert md.cast_in_shot("Shot_010") == ["Front", "LastFrame"]
    # Nearest first, by the smallest distance over the frames where the member is in view: the walker is
    # 15 m away at the current frame but comes to 4 m at frame 30 (and leaves before Shot_020).
    walker = _cube(bpy, "walker", (0.0, 5.0, 0.0))
    for frame, y in ((1, 5.0), (30, -6.0), (48, 5.0)):
        _key(walker, frame, (0.0, y, 0.0))
    _key(walker, 49, (60.0, 5.0, 0.0))
    md.add_cast_member("Walker", objects=[walker])
    bpy.context.view_layer.update()
    found = cast.shot_cast(stage["cam"], scene)
    assert [(m.name, round(m.distance, 2)) for m in found.members] == [
        ("Walker", 4.0), ("Front", 10.0), ("LastFrame", 10.2)
    ]  # fmt: skip
    members, _notes = references.members_for(stage["cam"], scene)  # what the request keeps the nearest of
    assert [(m.name, round(m.distance, 2)) for m in members] == [
        ("Walker", 4.0), ("Front", 10.0), ("LastFrame", 10.2)
    ]  # fmt: skip
    # The next shot (49-96) looks down into the void.
    assert md.cast_in_shot("Shot_020") == []
    # The camera's own animation counts: Shot_020 turns to look along +Y at its last frame only.
    cam2 = bpy.data.objects["Shot_020"]
    cam2.location, cam2.rotation_euler = (0.0, -10.0, 0.0), (0.0, 0.0, 0.0)
    cam2.keyframe_insert("rotation_euler", frame=95)
    cam2.rotation_euler = (math.pi / 2, 0.0, 0.0)
    cam2.keyframe_insert("rotation_euler", frame=96)
    bpy.context.view_layer.update()
    assert set(md.cast_in_shot(cam2)) == {"Front", "Late", "LastFrame"}
    assert stage["scene"].frame_current == 1  # detection leaves the scene's frame alone
    # A keyed hide_render is followed frame by frame, not read at the current frame (60, in Shot_020):
    # Front is hidden through Shot_010 and shown from 49; HiddenRender is shown at 40-48 only.
    keyed = {"Front": ((1, True), (49, False)), "HiddenRender": ((1, True), (40, False), (49, True))}
    for name, keys in keyed.items():
        for frame, hidden in keys:
            stage["objs"][name].hide_render = hidden
            stage["objs"][name].keyframe_insert("hide_render", frame=frame)
    scene.frame_set(60)
    assert (stage["objs"]["Front"].hide_render, stage["objs"]["HiddenRender"].hide_render) == (False, True)
    assert md.cast_in_shot("Shot_010") == ["Walker", "HiddenRender", "LastFrame"]


def test_moving_geometry_counts(stage: dict[str, Any]) -> None:
    """A member whose object stays out of view but whose geometry comes into it (animated shape keys, as an
    armature would move a character's mesh) is in the shot from that frame."""
    md, bpy = stage["md"], stage["bpy"]
    ghost = _cube(bpy, "ghost", (40.0, 0.0, 0.0))
    ghost.shape_key_add(name="Basis")
    home = ghost.shape_key_add(name="Home")
    for point in home.data:
        point.co.x -= 40.0  # the mesh at the origin, the object's origin still out of view
    for frame, value in ((1, 0.0), (47, 0.0), (48, 1.0)):
        home.value = value
        home.keyframe_insert("value", frame=frame)
    md.add_cast_member("Ghost", objects=[ghost])
    bpy.context.view_layer.update()
    assert "Ghost" in md.cast_in_shot("Shot_010")
    stage["scene"].frame_end = 47  # Shot_020 gone: Shot_010 now runs 1-47 (the scene's end: no next marker)
    bpy.data.objects.remove(bpy.data.objects["Shot_020"])
    assert "Ghost" not in md.cast_in_shot("Shot_010")


def test_overrides_win_and_empty_members_are_noted(stage: dict[str, Any]) -> None:
    from blender_movie_director.scene import cast

    md, cam, scene = stage["md"], stage["cam"], stage["scene"]
    cast.set_override(cam, "Front", "EXCLUDE")
    cast.set_override(cam, "Behind", "INCLUDE")
    md.add_cast_member("Fog", kind="place")  # nothing stands for it, no pictures
    pictures = md.add_cast_member("Sea", images=["//sea.png"], description=" grey waves ", kind="place")
    cast.set_override(cam, pictures, "INCLUDE")
    found = cast.shot_cast(cam, scene)
    # Nearest first; the included members the camera never sees (no distance) last, in cast order.
    assert found.names == ["LastFrame", "Behind", "Sea"]
    assert found.notes == ("Cast member 'Fog' has no objects and no pictures: skipped",)
    sea = found.members[-1]
    assert (sea.kind, sea.description, sea.reason) == ("place", "grey waves", "included")
    assert sea.distance == math.inf
    assert sea.pictures == (str(Path(stage["bpy"].path.abspath("//sea.png"))),)
    # Renaming members keeps their overrides (keyed by the member's id, set once when it was added).
    cast.find_member(scene, "Front").name = "Lamp"
    cast.find_member(scene, "Behind").name = "Rear"
    assert md.cast_in_shot(cam) == ["LastFrame", "Rear", "Sea"]
    assert cast.override(cam, "Lamp") == "EXCLUDE"
    cast.set_override(cam, "Lamp", "")  # back to what the camera sees
    assert md.cast_in_shot(cam) == ["Lamp", "LastFrame", "Rear", "Sea"]
    with pytest.raises(ValueError, match="Unknown kind"):
        md.add_cast_member("X", kind="monster")


def test_changes_drop_the_cached_detection(stage: dict[str, Any]) -> None:
    from blender_movie_director.scene import cast

    bpy, cam, scene = stage["bpy"], stage["cam"], stage["scene"]
    assert cast.cached_in_view(cam, scene) is None
    assert cast.in_view(cam, scene) == {"Front", "LastFrame"}
    assert cast.cached_in_view(cam, scene) == {"Front", "LastFrame"}
    stage["objs"]["Behind"].location = (0.0, 5.0, 0.0)  # walks into view
    bpy.context.view_layer.update()  # the depsgraph handler drops the detection
    assert cast.cached_in_view(cam, scene) is None
    assert cast.in_view(cam, scene) == {"Front", "Behind", "LastFrame"}
    stage["objs"]["Front"].hide_render = True  # what is hidden is part of the key: no handler needed
    assert cast.cached_in_view(cam, scene) is None
    bpy.ops.moviedir.cast_update()
    assert cast.cached_in_view(cam, scene) == {"Behind", "LastFrame"}


def test_keyframes_evaluate_as_blender_does(blender: ModuleType) -> None:
    """The frame_set-free placements match Blender's own at every frame: Bezier, linear and constant keys,
    Euler orders, quaternions, parents, deltas; and a constrained object goes through Blender."""
    import numpy as np

    from blender_movie_director.blender import visibility

    bpy = blender
    scene = bpy.context.scene
    parent = _cube(bpy, "parent", (1.0, 2.0, 3.0))
    parent.rotation_mode = "ZXY"
    for frame, angle in ((1, 0.0), (13, 1.2), (30, -0.7)):
        parent.rotation_euler = (angle, angle / 2, -angle)
        parent.keyframe_insert("rotation_euler", frame=frame)
    child = _cube(bpy, "child", (0.0, 0.0, 0.0))
    child.parent = parent
    child.matrix_parent_inverse = parent.matrix_world.inverted()
    child.rotation_mode = "QUATERNION"
    child.delta_location = (0.3, 0.0, -0.2)
    child.scale = (1.0, 2.0, 0.5)
    for frame, loc, quat in ((1, (0, 0, 0), (1, 0, 0, 0)), (20, (4, -2, 1), (0.7, 0.7, 0, 0))):
        child.location, child.rotation_quaternion = loc, quat
        child.keyframe_insert("location", frame=frame)
        child.keyframe_insert("rotation_quaternion", frame=frame)
    fcurves = visibility._fcurves(child)
    fcurves[0].keyframe_points[0].interpolation = "LINEAR"
    fcurves[1].keyframe_points[0].interpolation = "CONSTANT"
    tracked = _cube(bpy, "tracked", (5.0, 5.0, 0.0))
    tracked.constraints.new("TRACK_TO").target = child
    frames = list(range(-2, 34))
    placements = visibility._Placements(scene, frames)
    ours = placements.world([parent, child, tracked])
    for i, frame in enumerate(frames):
        scene.frame_set(frame)
        for obj, world in zip((parent, child, tracked), ours, strict=True):
            mine = world[i if len(world) > 1 else 0]
            assert np.allclose(mine, np.array(obj.matrix_world), atol=2e-3), (obj.name, frame)


def test_render_references_shows_only_the_member(blender: ModuleType, tmp_path: Path) -> None:
    import numpy as np

    from blender_movie_director.blender import frames
    from blender_movie_director.scene import cast

    bpy = blender
    addon_prefs(bpy).output_folder = str(tmp_path / "out")
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "film.blend"))  # the team's project folder
    scene = bpy.context.scene
    red, blue = _cube(bpy, "red", (0.0, 0.0, 0.0)), _cube(bpy, "blue", (1.2, 0.0, 0.0))
    for obj, colour in ((red, (0.9, 0.05, 0.05, 1.0)), (blue, (0.05, 0.05, 0.9, 1.0))):
        material = bpy.data.materials.new(obj.name)
        material.diffuse_color = colour
        obj.data.materials.append(material)
    import movie_director as md

    elsewhere = tmp_path.parent / "elsewhere.png"
    images = ["//drawing.png", str(tmp_path / "refs" / "face.png"), str(elsewhere)]
    name = md.add_cast_member("Red Box", objects=[red], images=images, kind="prop")
    member = cast.find_member(scene, name)
    scenes_before = len(bpy.data.scenes)
    for _ in range(2):  # rendering again replaces the rendered pictures, keeps the others
        paths = cast.render_references(scene, member, size=48)
    assert [p.name for p in paths] == ["Red Box_front.png", "Red Box_three_quarter.png", "Red Box_side.png"]
    assert all(p.parent == tmp_path / "out" / "cast" for p in paths)
    # Inside the .blend's folder: stored relative to it ("//", as Blender does), so the project folder can
    # be shared or moved; outside it: absolute. Read back absolute.
    views = ("front", "three_quarter", "side")
    assert [(p.filepath, p.rendered, p.view) for p in member.pictures] == [
        ("//drawing.png", False, ""),
        ("//refs/face.png", False, ""),
        (str(elsewhere), False, ""),
        *((f"//out/cast/{p.name}", True, view) for p, view in zip(paths, views, strict=True)),
    ]
    resolved = (str(tmp_path / "refs" / "face.png"), str(elsewhere), *map(str, paths))
    assert cast.member_pictures(member)[1:] == resolved
    refs = str(tmp_path / "refs")
    assert bpy.ops.moviedir.cast_add_pictures(directory=refs, files=[{"name": "side.png"}]) == {"FINISHED"}
    assert member.pictures[-1].filepath == "//refs/side.png"
    for path in paths:
        pixels = frames.read_pixels(path)[..., :3]
        reddish = (pixels[..., 0] > pixels[..., 2] + 0.2).mean()
        bluish = (pixels[..., 2] > pixels[..., 0] + 0.2).mean()
        assert reddish > 0.1 and bluish == 0.0, (path.name, reddish, bluish)
        corner = pixels[0, 0]
        assert np.allclose(corner, corner.mean(), atol=0.02), corner  # neutral grey background
    assert len(bpy.data.scenes) == scenes_before and "md_temp_cast" not in bpy.data.objects
    assert set(red.users_collection) == {scene.collection}  # the throw-away scene let go of it


def test_cast_panels_and_operators(stage: dict[str, Any]) -> None:
    from blender_movie_director.scene import cast
    from blender_movie_director.ui import cast_panels

    bpy, cam, scene = stage["bpy"], stage["cam"], stage["scene"]
    activate_shot(bpy, cam)
    layout = RecordingLayout(bpy)
    cast_panels.draw_shot_cast(layout, bpy.context)
    assert "Not checked since the last change" in layout.labels()
    bpy.ops.moviedir.cast_update()
    layout = RecordingLayout(bpy)
    cast_panels.draw_shot_cast(layout, bpy.context)
    assert layout.labels()[:3] == ["Front (in view)", "LastFrame (in view)", "Behind (not in view)"]
    assert ("moviedir.cast_override", "Out", {"shot": "Shot_010", "member": "Front", "mode": "EXCLUDE"}) in (
        layout.operators()
    )
    bpy.ops.moviedir.cast_override(shot="Shot_010", member="Front", mode="EXCLUDE")
    assert cast.override(cam, "Front") == "EXCLUDE"
    for obj in bpy.context.selected_objects:
        obj.select_set(False)
    stage["objs"]["Front"].select_set(True)
    bpy.context.view_layer.objects.active = stage["objs"]["Front"]
    bpy.ops.moviedir.cast_add_member(source="SELECTED", kind="PROP")
    state = scene.movie_director.cast
    assert state.members[state.active_member_index].name == "front"
    layout = RecordingLayout(bpy)
    cast_panels.draw_cast(layout, bpy.context)
    assert "Objects: front" in layout.labels()
    assert ("moviedir.cast_render_references", "", {"member": "front"}) in layout.operators()
    bpy.ops.moviedir.cast_remove_member()
    assert "front" not in state.members


def test_storyboard_cells_show_the_cast(stage: dict[str, Any], tmp_path: Path) -> None:

    from blender_movie_director.blender import frames
    from blender_movie_director.scene import cast, storyboard

    bpy, scene = stage["bpy"], stage["scene"]
    addon_prefs(bpy).output_folder = str(tmp_path / "out")
    material = bpy.data.materials.new("green")
    material.diffuse_color = (0.1, 0.9, 0.1, 1.0)
    stage["objs"]["Front"].data.materials.append(material)
    front = cast.render_references(scene, cast.find_member(scene, "Front"), size=48)[0]
    board = storyboard.write_storyboard(scene, tmp_path / "board.png", cell_width=192)
    assert [(c.shot, c.cast, c.cast_pictures) for c in board.cells] == [
        ("Shot_010", ("Front", "LastFrame"), (str(front),)),
        ("Shot_020", (), ()),
    ]
    sheet = frames.read_pixels(board.path)[..., :3]
    x, y, w, h = board.layout.picture_box(0)
    size = max(16, h // 4)
    thumb = sheet[y + h - size - 4 : y + h - 4, x + w - 4 - size : x + w - 4]
    assert (thumb[..., 1] > thumb[..., 0] + 0.2).mean() > 0.05  # the green member's picture is there
    x, y, w, h = board.layout.picture_box(1)
    corner = sheet[y + h - size - 4 : y + h - 4, x + w - 4 - size : x + w - 4]
    assert not (corner[..., 1] > corner[..., 0] + 0.2).any()  # no cast, no picture
