"""The cast's reference pictures in a shot's request (issue 17), in real Blender against both stand-ins.

A camera looks down +Y at two members (the keeper, near; the tower, further); a third stands behind the
camera and a fourth has nothing in the scene and no pictures. The request and the job record carry exactly
the two in-view members' pictures (nearest first, round by round) and their descriptions after the prompt;
the stand-ins draw the pictures they received into the frames, and the decoded frames show them in that
order, on the Wan2GP web-UI stand-in (Phantom) and on the WaveSpeed stand-in (Kling 4.0 references). A bad
picture stops the request before anything is sent, naming the member and the file; a model that takes no
pictures says so on the panel and offers the nearest one that does; a model that takes fewer leaves out the
farthest, and says so.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from scripts.standins import videogen
from tests.fixtures.blender import addon_prefs, drain_until

pytestmark = [pytest.mark.blender]
KLING_REFS = "kwaivgi/kling-v4.0/reference-to-video"
COLOURS = {"Keeper": [(220, 40, 40), (230, 200, 40)], "Tower": [(40, 200, 60)], "Ghost": [(40, 60, 220)]}


def _cube(bpy: ModuleType, scene: Any, name: str, location: tuple[float, float, float]) -> Any:
    mesh = bpy.data.meshes.new(name)
    v = [(x, y, z) for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    mesh.from_pydata(v, [], faces)
    obj = bpy.data.objects.new(name, mesh)
    obj.location = location
    scene.collection.objects.link(obj)
    return obj


def _member(scene: Any, name: str, obj: Any, pictures: list[Path], kind: str = "CHARACTER") -> Any:
    member = scene.movie_director.cast.members.add()
    member.name, member.kind, member.description = name, kind, f"the {name.lower()}, as in every shot"
    if obj is not None:
        member.objects.add().object = obj
    for path in pictures:
        member.pictures.add().filepath = str(path)
    return member


@pytest.fixture
def cast_shot(blender: ModuleType, tmp_path: Path) -> Any:
    """Shot_010 (Phantom 1.3B) sees the keeper (10 m) and the tower (15 m); the ghost is behind it."""
    from tests.fixtures.blender import add_shot

    scene = blender.context.scene
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 176, 100
    scene.render.fps, scene.render.fps_base = 16, 1.0
    scene.frame_start, scene.frame_end = 1, 9
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a stormy night at the lighthouse")
    cam.location, cam.rotation_euler = (0.0, -10.0, 0.0), (math.radians(90), 0.0, 0.0)
    pictures: dict[str, list[Path]] = {}
    for name, colours in COLOURS.items():
        pictures[name] = []
        for i, colour in enumerate(colours):
            path = tmp_path / f"{name.lower()}_{i}.png"
            Image.new("RGB", (48, 64), colour).save(path)
            pictures[name].append(path)
    _member(scene, "Tower", _cube(blender, scene, "TowerMesh", (2.0, 5.0, 0.0)), pictures["Tower"], "PLACE")
    _member(scene, "Keeper", _cube(blender, scene, "KeeperMesh", (0.0, 0.0, 0.0)), pictures["Keeper"])
    _member(scene, "Ghost", _cube(blender, scene, "GhostMesh", (0.0, -20.0, 0.0)), pictures["Ghost"])
    _member(scene, "Fog", None, [], "PLACE")
    cam.movie_director.backend, cam.movie_director.wan2gp_model = "WAN2GP", "phantom_1.3B"
    addon_prefs(blender).output_folder = str(tmp_path / "out")
    cam["pictures"] = {k: [str(p) for p in v] for k, v in pictures.items()}
    blender.context.view_layer.update()  # as the UI's redraw would: the new objects evaluated once
    return cam


def _expected(cam: Any) -> list[str]:
    p = cam["pictures"]
    return [
        p["Keeper"][0],
        p["Tower"][0],
        p["Keeper"][1],
    ]  # nearest first, every member's first picture first


def _generate(cam: Any) -> Any:
    from blender_movie_director.session import engine, submit

    done = submit.submit_shot(cam, "PREVIEW")
    settings = cam.movie_director
    drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=60)
    assert settings.status == "DONE", settings.last_error
    # What the job store wrote to the output folder (read back from disk: what a resume would use).
    from blender_movie_director.backend.jobs.store import JobStore

    record = JobStore(engine.store_path()).get(done.job_id)
    assert record is not None
    return record


def _assert_frames_show(path: str, pictures: list[str]) -> None:
    frame = videogen.read_frame(path, 0)
    height, width = frame.shape[:2]
    boxes = videogen.reference_tile_boxes(width, height, len(pictures) + 1)
    assert len(boxes) == len(pictures) + 1
    for box, picture in zip(boxes, pictures, strict=False):
        got = videogen.region_mean(frame, box, 10)
        assert np.allclose(got, videogen.reference_tile_mean(picture, inset=10), atol=16), (box, got)
    # No fourth tile: the ghost's picture did not arrive.
    ghost = videogen.reference_tile_mean(Path(pictures[0]).with_name("ghost_0.png"), inset=10)
    assert not np.allclose(videogen.region_mean(frame, boxes[-1], 10), ghost, atol=30)


@pytest.mark.standin
def test_wan2gp_request_record_and_frames_carry_exactly_the_cast_in_view(
    blender: ModuleType, wan2gp_standin: Any, cast_shot: Any
) -> None:
    addon_prefs(blender).wan2gp_url = wan2gp_standin.url
    record = _generate(cast_shot)
    sent = record.request.inputs["image_refs"].split("\n")
    assert sent == _expected(cast_shot)
    prompt = record.request.prompt
    assert prompt.startswith("a stormy night at the lighthouse In this shot: Keeper (character): the keeper")
    assert "Tower (place)" in prompt and "Ghost" not in prompt
    take = cast_shot.movie_director.takes[0].filepath
    _assert_frames_show(take, sent)

    # New takes of the strip reuse the pictures the cast still has (chosen in the Cast panel), and only those.
    from blender_movie_director.blender import compat
    from blender_movie_director.requests import strip as strip_requests

    scene = blender.context.scene
    strip = compat.all_strips(compat.sequence_editor(scene))[cast_shot.movie_director.strip_name]
    (again,) = strip_requests.regenerate(strip, scene)
    assert again.request.inputs["image_refs"].split("\n") == sent
    scene.movie_director.cast.members["Tower"].pictures.clear()
    with pytest.raises(strip_requests.ActionError, match=r"cast reference picture.*Cast panel"):
        strip_requests.regenerate(strip, scene)


@pytest.mark.standin
def test_wavespeed_request_and_frames_carry_exactly_the_cast_in_view(
    blender: ModuleType, wavespeed_standin_clean: Any, cast_shot: Any
) -> None:
    prefs = addon_prefs(blender)
    prefs.wavespeed_api_key, prefs.wavespeed_base_url = (
        wavespeed_standin_clean.api_key,
        wavespeed_standin_clean.url,
    )
    wavespeed_standin_clean.configure(max_side=320, queue_seconds=0.0, task_seconds=0.0)
    settings = cast_shot.movie_director
    settings.backend, settings.wavespeed_model = "WAVESPEED", KLING_REFS
    record = _generate(cast_shot)
    assert record.request.inputs["image_refs"].split("\n") == _expected(cast_shot)
    (submitted,) = wavespeed_standin_clean.submits(model=KLING_REFS)
    assert len(submitted["body"]["images"]) == 3
    _assert_frames_show(settings.takes[0].filepath, _expected(cast_shot))


@pytest.mark.parametrize("case", ["missing", "not_a_picture"])
def test_a_bad_picture_stops_the_request_naming_member_and_file(
    blender: ModuleType, cast_shot: Any, case: str
) -> None:
    from blender_movie_director.requests import references
    from blender_movie_director.session import engine, submit

    addon_prefs(blender).wan2gp_url = "http://127.0.0.1:9"  # never contacted
    path = Path(cast_shot["pictures"]["Tower"][0])
    if case == "missing":
        path.unlink()
    else:
        path.write_text("a note, not a picture")
    with pytest.raises(submit.ShotNotReadyError) as caught:
        submit.submit_shot(cast_shot, "PREVIEW")
    message = str(caught.value)
    assert "cast member 'Tower'" in message and str(path) in message
    assert ("does not exist" if case == "missing" else "is not a picture") in message
    assert references.problem("Shot_010") == message  # what the shot panel shows
    assert "cast member 'Tower'" in " ".join(_draw_shot(blender, cast_shot).labels())
    assert cast_shot.movie_director.status == "IDLE" and not engine.active_ids()
    from blender_movie_director import registration

    registration._on_load_post()  # another file: the message was about this one's shot
    assert references.problem("Shot_010") == ""


def test_panel_says_what_the_model_leaves_out_and_offers_one_that_takes_pictures(
    blender: ModuleType, cast_shot: Any
) -> None:
    from blender_movie_director.requests import references
    from blender_movie_director.scene import cast

    scene = blender.context.scene
    settings = cast_shot.movie_director
    assert references.cached_plan(cast_shot, scene, "WAN2GP", "lynx") is None  # nothing computed yet
    cast.update_all(scene)  # the Update Cast in View button: who is in view, no distances yet
    early = references.cached_plan(cast_shot, scene, "WAN2GP", "phantom_1.3B")
    assert list(early.paths) == _expected(cast_shot)  # nearest first (the tower comes first in the cast)
    references.for_shot(cast_shot, "WAN2GP", "phantom_1.3B", scene)  # what Generate computes
    assert cast.cached_in_view(cast_shot) == {"Keeper", "Tower"}
    computed = references.for_shot(cast_shot, "WAN2GP", "phantom_1.3B", scene, check=False)
    assert computed.messages() == ["Cast member 'Fog' has no objects and no pictures: skipped"]
    assert (
        references.cached_plan(cast_shot, scene, "WAN2GP", "phantom_1.3B").messages() == computed.messages()
    )
    lynx = references.cached_plan(cast_shot, scene, "WAN2GP", "lynx")
    assert lynx.paths == (cast_shot["pictures"]["Keeper"][0],)
    assert lynx.messages()[0] == "lynx takes 1: left out Keeper (1 of 2 pictures), Tower"
    settings.wan2gp_model = "t2v_1.3B"
    none = references.cached_plan(cast_shot, scene, "WAN2GP", "t2v_1.3B")
    assert none.wanted and none.suggestion == "phantom_1.3B" and none.inputs() == {}
    # The shot panel says it before anything is sent, with the button that switches the model.
    layout = _draw_shot(blender, cast_shot)
    labels = " ".join(layout.labels())
    assert "t2v_1.3B takes no reference pictures" in labels
    (op,) = [o for o in layout.operators() if o[0] == "moviedir.use_reference_model"]
    assert op[2] == {"shot": "Shot_010", "model": "phantom_1.3B"} and op[1].startswith("Use ")
    assert blender.ops.moviedir.use_reference_model(shot="Shot_010", model=none.suggestion) == {"FINISHED"}
    assert settings.wan2gp_model == "phantom_1.3B"
    layout = _draw_shot(blender, cast_shot)
    assert "takes no reference pictures" not in " ".join(layout.labels())
    assert not [o for o in layout.operators() if o[0] == "moviedir.use_reference_model"]


def _draw_shot(bpy: ModuleType, cam: Any) -> Any:
    from blender_movie_director.ui import shot_panels
    from tests.blender.recording_layout import RecordingLayout

    scene = bpy.context.scene
    scene.movie_director.active_shot_index = list(scene.objects).index(cam)
    layout = RecordingLayout(bpy)
    shot_panels.draw_shot(layout, bpy.context)
    return layout
