"""Paths a .blend names are hints: Open Result, take thumbnails and Generate trust only today's output folder.

Real bpy, real files. A crafted .blend can name any file as a take's clip (``payload.sh``, an ``.exe``) and
any folder as the output folder; these tests replay that and check what the product does with it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import activate_shot, add_shot, addon_prefs, grey_because, write_clip

pytestmark = [pytest.mark.security, pytest.mark.blender]


def _shot_with_take(bpy: ModuleType, clip: Path) -> Any:
    cam = add_shot(bpy, bpy.context.scene, "Shot_010", 1, prompt="a lighthouse at dusk")
    activate_shot(bpy, cam)
    take = cam.movie_director.takes.add()
    take.name, take.filepath = "Take 1", str(clip)
    cam.movie_director.active_take_index = 0
    return cam


@pytest.fixture
def output(blender: ModuleType, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    addon_prefs(blender).output_folder = str(folder)
    return folder


def test_open_result_refuses_a_script_the_blend_names(
    blender: ModuleType, output: Path, tmp_path: Path
) -> None:
    payload = tmp_path / "payload.sh"
    payload.write_text("#!/bin/sh\ntouch ran\n")
    payload.chmod(payload.stat().st_mode | stat.S_IXUSR)
    _shot_with_take(blender, payload)
    reason = grey_because(blender.ops.moviedir.open_result)
    assert "outside the output folder" in reason and str(payload) in reason


def test_open_result_refuses_a_video_outside_the_output_folder(
    blender: ModuleType, output: Path, tmp_path: Path
) -> None:
    clip = write_clip(tmp_path / "elsewhere.mp4", 24, 4)
    _shot_with_take(blender, clip)
    assert "outside the output folder" in grey_because(blender.ops.moviedir.open_result)


def test_open_result_refuses_a_non_video_inside_the_output_folder(blender: ModuleType, output: Path) -> None:
    from blender_movie_director.scene import takes

    disguised = output / "clip.mp4"
    disguised.write_bytes(b"MZ\x90\x00" + bytes(200))  # a Windows executable's first bytes
    cam = _shot_with_take(blender, disguised)
    # poll() only stats (it runs while drawing); execute() reads the first bytes and refuses.
    assert blender.ops.moviedir.open_result.poll()
    assert takes.why_not_open(cam.movie_director.takes[0]) == (
        f"{disguised} is not a video: Movie Director opens only video files"
    )
    with pytest.raises(RuntimeError, match="is not a video"):  # an ERROR report, as Blender raises it
        blender.ops.moviedir.open_result()


def test_a_video_inside_the_output_folder_may_be_opened(blender: ModuleType, output: Path) -> None:
    from blender_movie_director.scene import takes

    (output / "Shot_010").mkdir()
    clip = write_clip(output / "Shot_010" / "take1.mp4", 24, 4)
    cam = _shot_with_take(blender, clip)
    assert blender.ops.moviedir.open_result.poll()
    assert takes.why_not_open(cam.movie_director.takes[0]) == ""
    assert takes.own_clip(cam.movie_director.takes[0]) == str(clip)


def test_thumbnails_only_for_clips_inside_the_output_folder(
    blender: ModuleType, output: Path, tmp_path: Path
) -> None:
    from blender_movie_director.scene import takes

    outside = write_clip(tmp_path / "private.mp4", 24, 4)
    cam = _shot_with_take(blender, outside)
    assert takes.icon_id(cam.movie_director.takes[0]) == 0
    assert takes.previews().get(str(outside)) is None  # never handed to Blender's decoder
    inside_clip = write_clip(output / "ours.mp4", 24, 4)
    cam.movie_director.takes[0].filepath = str(inside_clip)
    takes.icon_id(cam.movie_director.takes[0])  # (0 in the bpy module: no icons without a window)
    assert takes.previews().get(str(inside_clip)) is not None


@pytest.mark.parametrize("problem", ["file", "unwritable"])
def test_an_unusable_output_folder_is_named_on_generate(
    blender: ModuleType, tmp_path: Path, problem: str
) -> None:
    from blender_movie_director.session import engine

    if problem == "file":
        folder = tmp_path / "out"
        folder.write_text("not a folder")
        expected = f"The output folder {folder} is a file"
    else:
        if os.geteuid() == 0:
            # root writes through any permission bits: a folder below a file is unusable for everyone.
            (tmp_path / "blocker").write_text("")
            folder = tmp_path / "blocker" / "out"
            expected = f"The output folder {folder} cannot be created"
        else:
            folder = tmp_path / "locked"
            folder.mkdir(mode=0o500)
            expected = f"The output folder {folder} cannot be written to"
    addon_prefs(blender).output_folder = str(folder)
    cam = add_shot(blender, blender.context.scene, "Shot_010", 1, prompt="a lighthouse at dusk")
    activate_shot(blender, cam)
    with pytest.raises(RuntimeError) as excinfo:
        blender.ops.moviedir.generate_shot(quality="PREVIEW")
    assert expected in str(excinfo.value)
    assert "Traceback" not in str(excinfo.value)
    assert cam.movie_director.status == "IDLE" and engine.current() is None  # nothing queued, no engine


def test_generate_checks_the_shot_it_is_given_not_the_active_one(blender: ModuleType, output: Path) -> None:
    from blender_movie_director.session import engine

    ready = add_shot(blender, blender.context.scene, "Shot_010", 1, prompt="a lighthouse at dusk")
    add_shot(blender, blender.context.scene, "Shot_020", 20)  # no prompt
    activate_shot(blender, ready)
    assert blender.ops.moviedir.generate_shot.poll()  # the active shot could run
    with pytest.raises(RuntimeError) as excinfo:
        blender.ops.moviedir.generate_shot(shot="Shot_020", quality="PREVIEW")
    assert "Shot 'Shot_020' has no prompt" in str(excinfo.value)
    assert engine.current() is None
