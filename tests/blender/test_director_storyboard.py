"""Frames out of clips and the storyboard contact sheet, rendered by the real Blender module.

Test clips (``write_clip``) have flat grey frames, level ``4 i`` for frame ``i``, so a picture read back
says which frame of which clip it is.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from tests.fixtures.blender import add_shot, write_clip

pytestmark = pytest.mark.blender


def _grey(pixels, y: int, x: int) -> float:
    return float(pixels[y, x, 0]) * 255.0


@pytest.mark.parametrize(("index", "frame"), [(0, 0), (10, 10), (31, 31), (-1, 31), (-32, 0)])
def test_extract_frame_writes_that_frame(
    blender: ModuleType, clip_factory, tmp_path: Path, index, frame
) -> None:
    from blender_movie_director.blender import frames

    clip = clip_factory(16, 32)
    png = frames.extract_frame(clip, index, tmp_path / "f.png")
    pixels = frames.read_pixels(png)
    assert pixels.shape == (96, 160, 4)
    assert _grey(pixels, 48, 80) == pytest.approx(4 * frame, abs=1.5)
    # The user's scene is untouched: no temp scene left, current frame unchanged.
    assert [s.name for s in blender.data.scenes] == ["Scene"]
    assert blender.context.scene.frame_current == 1


def test_extract_frame_scaled_and_out_of_range(blender: ModuleType, clip_factory, tmp_path: Path) -> None:
    from blender_movie_director.blender import frames

    clip = clip_factory(16, 32)
    pixels = frames.read_pixels(frames.extract_frame(clip, 5, tmp_path / "s.png", width=80, height=48))
    assert pixels.shape == (48, 80, 4)
    assert _grey(pixels, 24, 40) == pytest.approx(20, abs=1.5)
    with pytest.raises(IndexError):
        frames.extract_frame(clip, 32, tmp_path / "x.png")
    with pytest.raises(FileNotFoundError):
        frames.extract_frame(tmp_path / "missing.mp4", 0, tmp_path / "x.png")
    assert [s.name for s in blender.data.scenes] == ["Scene"]


def test_png_round_trip(blender: ModuleType, tmp_path: Path) -> None:
    import numpy as np

    from blender_movie_director.blender import frames

    picture = np.zeros((20, 30, 3), dtype=np.float32)
    picture[:5, :, 0] = 1.0  # a red band along the top
    picture[:, -3:, 2] = 1.0  # a blue band on the right
    back = frames.read_pixels(frames.write_png(picture, tmp_path / "p.png"))
    assert back.shape == (20, 30, 4)
    assert back[2, 10, :3].tolist() == [1.0, 0.0, 0.0]
    assert back[15, 28, :3].tolist() == [0.0, 0.0, 1.0]
    assert back[15, 10, :3].tolist() == [0.0, 0.0, 0.0]
    assert not any(i.name.startswith("md_temp") for i in blender.data.images)


def test_layout_geometry() -> None:
    from blender_movie_director.scene.storyboard import plan_layout

    one = plan_layout(1, 16 / 9)
    assert (one.columns, one.rows, one.picture_height) == (1, 1, 180)
    five = plan_layout(5, 16 / 9)
    assert (five.columns, five.rows) == (3, 2)
    assert five.width == 3 * 320 + 4 * five.gap
    assert five.height == five.header_height + 2 * five.cell_height + 3 * five.gap
    boxes = [five.cell_box(i) for i in range(5)]
    assert len(set(boxes)) == 5
    for x, y, w, h in boxes:  # inside the sheet, below the header
        assert x > 0 and x + w <= five.width and five.header_height < y and y + h <= five.height
    assert plan_layout(40, 1.0).columns == 6
    assert plan_layout(7, 1.0, columns=2).rows == 4


def _take(cam, clip: Path, number: int = 1, model: str = "t2v_1.3B") -> None:
    take = cam.movie_director.takes.add()
    take.number, take.filepath, take.model, take.backend = number, str(clip), model, "wan2gp"
    take.prompt, take.duration = cam.movie_director.prompt, 2.0
    cam.movie_director.active_take_index = len(cam.movie_director.takes) - 1


def test_storyboard_has_one_cell_per_shot_showing_each_current_take(
    blender: ModuleType, tmp_path: Path
) -> None:
    from blender_movie_director.blender import frames
    from blender_movie_director.scene import storyboard

    scene = blender.context.scene
    scene.render.resolution_x, scene.render.resolution_y = 1280, 720
    scene.frame_start, scene.frame_end = 1, 200
    # Middle frames 8, 24, 40 -> grey 32, 96, 160; Shot_030 has two takes, the second one current.
    cams = [
        add_shot(blender, scene, f"Shot_0{i}0", 1 + 40 * i, prompt=f"shot {i} prompt") for i in range(1, 5)
    ]
    _take(cams[0], write_clip(tmp_path / "a.mp4", 16, 16))
    _take(cams[1], write_clip(tmp_path / "b.mp4", 16, 48))
    _take(cams[2], write_clip(tmp_path / "c1.mp4", 16, 48))
    _take(cams[2], write_clip(tmp_path / "c2.mp4", 16, 80), number=2)
    # cams[3] has no take: a placeholder cell.
    board = storyboard.write_storyboard(scene, tmp_path / "board.png")
    assert board.path == tmp_path / "board.png" and board.path.is_file()
    assert [c.shot for c in board.cells] == ["Shot_010", "Shot_020", "Shot_030", "Shot_040"]
    layout = board.layout
    assert (layout.columns, layout.rows, layout.cell_width, layout.picture_height) == (2, 2, 320, 180)
    pixels = frames.read_pixels(board.path)
    assert pixels.shape[:2] == (layout.height, layout.width) == (708, 670)
    expected = [32, 96, 160]
    for i, grey in enumerate(expected):
        x, y, w, h = layout.picture_box(i)
        centre = pixels[y + h // 2, x + w // 2, :3] * 255
        assert centre.tolist() == pytest.approx([grey] * 3, abs=2), f"cell {i}"
    x, y, w, h = layout.picture_box(3)
    placeholder = pixels[y + h // 2, x + w // 2, :3]
    assert placeholder.tolist() == pytest.approx(list(storyboard.PLACEHOLDER), abs=0.02)
    # Words were drawn in every cell's text area (bright pixels on the dark background), not elsewhere.
    for i in range(4):
        x, y, w, h = layout.cell_box(i)
        text_area = pixels[y + layout.picture_height : y + h, x : x + w, :3]
        assert (text_area.max(axis=2) > 0.7).sum() > 200, f"no text in cell {i}"
    gutter = pixels[layout.header_height + 2, :, :3]  # the gap above the first row
    assert gutter.max() < 0.2
    assert board.cells[2].details == "t2v_1.3B · Wan2GP · take 2"
    assert board.cells[3].details.endswith("not generated yet")
    assert [s.name for s in blender.data.scenes] == ["Scene"]


def test_storyboard_without_shots_is_an_error(blender: ModuleType, tmp_path: Path) -> None:
    from blender_movie_director.scene import storyboard

    with pytest.raises(ValueError, match="no shots"):
        storyboard.write_storyboard(blender.context.scene, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
