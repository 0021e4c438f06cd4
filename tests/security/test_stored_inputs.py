"""Regenerate repeats a stored request, but not the files it names: a crafted strip must not upload a local
file to the user's own service on one click (issue 14, item 6).

Real bpy, real files; the requests are built, not run (building is where the decision is made).
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import add_shot

pytestmark = [pytest.mark.security, pytest.mark.blender]
ADDON = "blender_movie_director"


def _picture(bpy: ModuleType, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = bpy.data.images.new(path.stem, 16, 16)
    image.filepath_raw, image.file_format = str(path), "PNG"
    image.save()
    return path


def _crafted_strip(bpy: ModuleType, clip: Path, inputs: dict[str, str], *, shot: bool) -> Any:
    """A strip whose stored request (as a .blend would carry it) names ``inputs``."""
    from blender_movie_director.backend.jobs.request import Backend, GenerationRequest
    from blender_movie_director.blender import vse
    from blender_movie_director.scene import takes

    scene = bpy.context.scene
    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="a kite") if shot else None
    stored = GenerationRequest(
        backend=Backend.WAN2GP, model="i2v", prompt="a kite", output_dir="/elsewhere", inputs=inputs
    )
    made = vse.import_clip(
        scene,
        name="Shot_010" if shot else "found footage",
        filepath=str(clip),
        frame_start=1,
        provenance={"request": takes.request_json(stored), **({"shot": cam.name} if cam else {})},
    )
    if cam is not None:
        cam.movie_director.strip_name = made.strip_name
    return vse.strip_group(scene.sequence_editor, made.strip_name)[0], cam


@pytest.fixture
def out(blender: ModuleType, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    blender.context.preferences.addons[ADDON].preferences.output_folder = str(folder)
    return folder


def test_regenerate_refuses_a_stored_input_outside_the_output_folder(
    blender: ModuleType, out: Path, tmp_path: Path, clip_factory: Any
) -> None:
    from blender_movie_director.requests import strip as strip_requests

    secret = _picture(blender, tmp_path / "home" / "private.png")
    strip, _ = _crafted_strip(blender, clip_factory(24, 24), {"image_start": str(secret)}, shot=False)
    with pytest.raises(strip_requests.ActionError) as excinfo:
        strip_requests.regenerate(strip, blender.context.scene, count=1)
    message = str(excinfo.value)
    assert str(secret) in message and "outside the output folder" in message and "start image" in message


def test_strip_actions_send_only_a_video_clip(
    blender: ModuleType, out: Path, tmp_path: Path, clip_factory: Any
) -> None:
    """Retake, extend and finish upload the strip's own file: a strip a shared .blend points at a private
    file (here a key) is refused before any request, and a real clip still goes."""
    from blender_movie_director.requests import strip as strip_requests

    strip, _ = _crafted_strip(blender, clip_factory(24, 24), {}, shot=False)
    assert strip_requests._strip_file(strip) == blender.path.abspath(strip.filepath)
    secret = tmp_path / "home" / ".ssh" / "id_ed25519"
    secret.parent.mkdir(parents=True)
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    strip.filepath = str(secret)
    with pytest.raises(strip_requests.ActionError) as excinfo:
        strip_requests._strip_file(strip)
    assert "not a video clip" in str(excinfo.value) and str(secret) in str(excinfo.value)


def test_regenerate_refuses_a_link_out_of_the_output_folder(
    blender: ModuleType, out: Path, tmp_path: Path, clip_factory: Any
) -> None:
    from blender_movie_director.requests import strip as strip_requests

    secret = _picture(blender, tmp_path / "home" / "private.png")
    link = out / "innocent.png"
    link.symlink_to(secret)
    strip, _ = _crafted_strip(blender, clip_factory(24, 24), {"image_start": str(link)}, shot=False)
    with pytest.raises(strip_requests.ActionError, match="outside the output folder"):
        strip_requests.regenerate(strip, blender.context.scene, count=1)


def test_regenerate_reuses_inputs_inside_the_output_folder(
    blender: ModuleType, out: Path, clip_factory: Any
) -> None:
    from blender_movie_director.requests import strip as strip_requests

    ours = _picture(blender, out / "Shot_010" / "frame.png")
    strip, _ = _crafted_strip(blender, clip_factory(24, 24), {"image_start": str(ours)}, shot=False)
    (planned,) = strip_requests.regenerate(strip, blender.context.scene, count=1)
    assert dict(planned.request.inputs) == {"image_start": str(ours)}


def test_regenerate_reuses_the_start_image_the_shot_panel_shows(
    blender: ModuleType, out: Path, tmp_path: Path, clip_factory: Any
) -> None:
    # The user's own start image may live anywhere: the shot panel shows it, so it counts as picked.
    from blender_movie_director.requests import strip as strip_requests

    mine = _picture(blender, tmp_path / "refs" / "keeper.png")
    strip, cam = _crafted_strip(blender, clip_factory(24, 24), {"image_start": str(mine)}, shot=True)
    cam.movie_director.image_input = str(mine)
    (planned,) = strip_requests.regenerate(strip, blender.context.scene, count=1)
    assert dict(planned.request.inputs) == {"image_start": str(mine)}
    cam.movie_director.image_input = ""  # no longer the shot's: the stored path is a hint again
    with pytest.raises(strip_requests.ActionError, match="outside the output folder"):
        strip_requests.regenerate(strip, blender.context.scene, count=1)


def test_the_takes_panel_shows_what_regenerate_would_send(blender: ModuleType, out: Path) -> None:
    # The panel reads the take's stored request while drawing: only small, well-formed text is read.
    from blender_movie_director.scene import takes

    cam = add_shot(blender, blender.context.scene, "Shot_010", 1, prompt="a kite")
    take = cam.movie_director.takes.add()
    take.settings = '{"inputs": {"image_start": "/home/someone/private.png"}}'
    assert takes.stored_inputs(take) == {"image_start": "/home/someone/private.png"}
    for crafted in ('{"inputs": "oops"}', "[" * 50_000, "{not json", '"a string"',
                    '{"inputs": {"image_start": "' + "x" * takes.DRAWN_REQUEST_MAX + '"}}'):  # fmt: skip
        take.settings = crafted
        assert takes.stored_inputs(take) == {}
