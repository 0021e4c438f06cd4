"""The storyboard: one PNG contact sheet of a scene's shots for review.

One cell per shot, in timeline order: a frame of the shot's current take (its middle frame; a grey
"not generated yet" box for shots without one), the shot's name and length, the model that made it, and the
prompt, and what the take cost; the header line ends with the project's spend (``budget.summary``). A shot
with cast members in it (issue 17, ``cast.shot_cast``) names them under the details and shows one small
reference picture per member in the picture's lower right corner.
Rendered by Blender itself, so it works headless in the ``bpy`` module and in ``blender -b`` with no
Pillow: each cell is a throw-away scene whose Sequencer holds the clip (Blender decodes it with its own
FFmpeg), a few TEXT strips and COLOR strips, rendered to a PNG; the cells are then laid out on one sheet
with numpy (which every Blender ships) and saved through ``bpy.data.images``.

Main thread only. Cost: one small render per cell (about 10-60 ms each at 320 px).
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..blender import compat, frames
from . import budget, cast, catalogs, props, shots, takes
from .config import output_root
from .tool_props import CELL_WIDTH

MAX_COLUMNS = 6
BACKGROUND = (0.09, 0.09, 0.1)
PLACEHOLDER = (0.3, 0.3, 0.32)
TITLE_COLOR = (1.0, 1.0, 1.0, 1.0)
TEXT_COLOR = (0.82, 0.82, 0.85, 1.0)
PROMPT_LINES = 4


@dataclass(frozen=True)
class Cell:
    """What one shot shows on the sheet."""

    shot: str
    clip: str  # the current take's file ("" when the shot has none)
    title: str  # "Shot_010 · 2.00 s"
    details: str  # "t2v_1.3B · Wan2GP · take 2"
    prompt: str
    cast: tuple[str, ...] = ()  # the members in the shot (issue 17)
    cast_pictures: tuple[str, ...] = ()  # one existing reference picture per member that has one


@dataclass(frozen=True)
class SheetLayout:
    """Pixel geometry of the sheet (origin top-left)."""

    count: int
    columns: int
    rows: int
    cell_width: int
    picture_height: int
    text_height: int
    gap: int
    header_height: int

    @property
    def cell_height(self) -> int:
        return self.picture_height + self.text_height

    @property
    def width(self) -> int:
        return self.columns * self.cell_width + (self.columns + 1) * self.gap

    @property
    def height(self) -> int:
        return self.header_height + self.rows * self.cell_height + (self.rows + 1) * self.gap

    def cell_box(self, index: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of cell ``index`` (row by row), top-left origin."""
        row, col = divmod(index, self.columns)
        x = self.gap + col * (self.cell_width + self.gap)
        y = self.header_height + self.gap + row * (self.cell_height + self.gap)
        return x, y, self.cell_width, self.cell_height

    def picture_box(self, index: int) -> tuple[int, int, int, int]:
        x, y, w, _h = self.cell_box(index)
        return x, y, w, self.picture_height


def plan_layout(count: int, aspect: float, cell_width: int = CELL_WIDTH, columns: int = 0) -> SheetLayout:
    """Grid for ``count`` cells of pictures with ``aspect`` (width/height); ``columns`` 0 = about square."""
    count = max(1, count)
    if columns <= 0:
        columns = min(MAX_COLUMNS, math.ceil(math.sqrt(count)))
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    cell_width = max(96, int(cell_width) // 2 * 2)
    picture_height = max(16, round(cell_width / max(0.1, aspect)) // 2 * 2)
    text_height = round(cell_width * 0.42) // 2 * 2
    gap = max(4, cell_width // 32)
    header_height = round(cell_width * 0.16) // 2 * 2
    return SheetLayout(count, columns, rows, cell_width, picture_height, text_height, gap, header_height)


def collect_cells(scene: bpy.types.Scene) -> list[Cell]:
    """One cell per shot of ``scene``, in timeline order."""
    cells = []
    for obj in shots.scene_shots(scene):
        settings = obj.movie_director
        take = takes.current_take(obj)
        clip = ""
        if take is not None and Path(bpy.path.abspath(take.filepath)).is_file():
            clip = bpy.path.abspath(take.filepath)
        if take is not None:
            seconds = take.duration or shots.shot_seconds(scene, obj)
            details = f"{take.model} · {catalogs.backend_label(take.backend)} · take {take.number}"
            cost = takes.cost_text(take)
            details += f" · {cost}" if cost else ""
            prompt = take.prompt
        else:
            seconds = shots.shot_seconds(scene, obj)
            label = catalogs.model_label(settings.backend, props.shot_model(settings))
            details = f"{label} · not generated yet"
            prompt = settings.prompt
        names, pictures = _cast_of(scene, obj)
        cells.append(
            Cell(obj.name, clip, f"{obj.name} · {seconds:.2f} s", details, prompt.strip(), names, pictures)
        )
    return cells


def _cast_of(scene: bpy.types.Scene, obj: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The shot's cast members and a picture of each (the rendered front view first)."""
    if not cast.cast_of(scene).members:
        return (), ()
    members = cast.shot_cast(obj, scene).members
    pictures = []
    for member in members:
        ordered = sorted(member.pictures, key=lambda p: not p.endswith("_front.png"))
        found = next((p for p in ordered if Path(p).is_file()), "")
        if found:
            pictures.append(found)
    return tuple(m.name for m in members), tuple(pictures)


def paste_thumbnails(sheet: Any, pictures: tuple[str, ...], box: tuple[int, int, int, int]) -> None:
    """Small copies of ``pictures`` in a row at the lower right of ``box`` (x, y, w, h) of ``sheet``."""
    import numpy as np

    x, y, w, h = box
    size = max(16, h // 4)
    right = x + w - 4
    for picture in reversed(pictures):
        if right - size < x:
            break
        pixels = frames.read_pixels(picture)[..., :3]
        rows = np.linspace(0, pixels.shape[0] - 1, size).astype(int)
        cols = np.linspace(0, pixels.shape[1] - 1, size).astype(int)
        top = y + h - size - 4
        sheet[top - 1 : top + size + 1, right - size - 1 : right + 1] = TITLE_COLOR[:3]  # a thin frame
        sheet[top : top + size, right - size : right] = pixels[rows][:, cols]
        right -= size + 4


def _clip_text(text: str, chars: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= chars else text[: max(1, chars - 1)].rstrip() + "…"


def _text(
    top: Any, name: str, channel: int, frame: int, text: str, size: int, color: Any, location: Any
) -> Any:
    strip = compat.new_effect_span(top, name, "TEXT", channel, frame, 1)
    strip.text = text
    strip.font_size = size
    strip.color = color
    strip.location = location
    strip.wrap_width = 0.94
    compat.set_text_anchor(strip, "LEFT", "TOP")
    return strip


def _color(top: Any, name: str, channel: int, frame: int, color: Any) -> Any:
    strip = compat.new_effect_span(top, name, "COLOR", channel, frame, 1)
    strip.color = color
    return strip


def render_cell(cell: Cell, layout: SheetLayout, path: str | Path) -> Path:
    """Render one cell (picture on top, words below) to a PNG of the layout's cell size."""
    width, height = layout.cell_width, layout.cell_height
    pic_h, text_h = layout.picture_height, layout.text_height
    with frames.temp_scene(width, height, frames.TEMP_SCENE_PREFIX + "_cell") as scene:
        top = compat.top_level_strips(compat.sequence_editor(scene))
        frame = 1
        movie = None
        if cell.clip:
            # The clip's middle frame lands on the frame that is rendered.
            movie = top.new_movie(name="picture", filepath=cell.clip, channel=3, frame_start=1)
            middle = int(movie.frame_duration) // 2
            frame = 1 + middle
        _color(top, "background", 1, frame, BACKGROUND)
        # The picture area's centre, relative to the cell's centre (Sequencer offsets are from the centre).
        offset_y = (height / 2.0) - (pic_h / 2.0)
        if movie is not None:
            element = movie.elements[0]
            src_w, src_h = max(1, element.orig_width), max(1, element.orig_height)
            scale = min(width / src_w, pic_h / src_h)
            movie.transform.scale_x = movie.transform.scale_y = scale
            movie.transform.offset_y = offset_y
        else:
            box = _color(top, "placeholder", 2, frame, PLACEHOLDER)
            box.transform.scale_y = pic_h / height
            box.transform.offset_y = offset_y
            _text(top, "missing", 4, frame, "No take yet", max(10, width // 18), TEXT_COLOR,
                  (0.04, 1.0 - 0.1 * pic_h / height))  # fmt: skip
        title_size = max(10, width // 16)
        body_size = max(8, width // 24)
        margin_y = 0.04 * text_h / height
        line = lambda n: (text_h / height) - margin_y - n / height  # noqa: E731 - top of text line n px down
        chars = int(width * 0.94 / (0.62 * body_size))  # the default font is about 0.6 em wide
        _text(top, "title", 5, frame, cell.title, title_size, TITLE_COLOR, (0.03, line(0)))
        _text(top, "details", 6, frame, _clip_text(cell.details, chars), body_size, TEXT_COLOR,
              (0.03, line(title_size * 1.5)))  # fmt: skip
        below = title_size * 1.5 + body_size * 1.7
        prompt_lines = PROMPT_LINES
        if cell.cast:
            _text(top, "cast", 8, frame, _clip_text("Cast: " + ", ".join(cell.cast), chars), body_size,
                  TITLE_COLOR, (0.03, line(below)))  # fmt: skip
            below += body_size * 1.7
            prompt_lines -= 1
        prompt = _clip_text(cell.prompt or "(no prompt)", chars * prompt_lines)
        _text(top, "prompt", 7, frame, prompt, body_size, TEXT_COLOR, (0.03, line(below)))
        return frames.render_still(scene, path, frame=frame)


def render_header(text: str, width: int, height: int, path: str | Path) -> Path:
    with frames.temp_scene(width, height, frames.TEMP_SCENE_PREFIX + "_header") as scene:
        top = compat.top_level_strips(compat.sequence_editor(scene))
        _color(top, "background", 1, 1, BACKGROUND)
        strip = _text(top, "header", 2, 1, text, max(10, int(height * 0.5)), TITLE_COLOR, (0.5, 0.5))
        compat.set_text_anchor(strip, "CENTER", "CENTER")
        strip.wrap_width = 1.0
        return frames.render_still(scene, path, frame=1)


@dataclass(frozen=True)
class Storyboard:
    path: Path
    layout: SheetLayout
    cells: tuple[Cell, ...]
    seconds: float  # time it took
    header: str = ""  # the sheet's title line (scene, shots, date, the project's spend)


def write_storyboard(
    scene: bpy.types.Scene, path: str | Path, *, cell_width: int = CELL_WIDTH, columns: int = 0
) -> Storyboard:
    """Write the contact sheet of ``scene``'s shots to ``path`` (PNG). Raises ValueError without shots."""
    import numpy as np

    started = time.perf_counter()
    cells = collect_cells(scene)
    if not cells:
        raise ValueError(f"Scene '{scene.name}' has no shots (cameras) to put on a storyboard.")
    render = scene.render
    aspect = (render.resolution_x * render.pixel_aspect_x) / max(
        1.0, render.resolution_y * render.pixel_aspect_y
    )
    layout = plan_layout(len(cells), aspect, cell_width, columns)
    sheet = np.empty((layout.height, layout.width, 3), dtype=np.float32)
    sheet[:] = BACKGROUND
    with tempfile.TemporaryDirectory(prefix="md_storyboard_") as folder:
        header = (
            f"{scene.name} · {len(cells)} shot{'s' if len(cells) != 1 else ''} · {time.strftime('%Y-%m-%d')}"
            f" · {budget.summary(scene)}"
        )
        if layout.header_height:
            png = render_header(header, layout.width, layout.header_height, Path(folder) / "header.png")
            sheet[: layout.header_height] = frames.read_pixels(png)[..., :3]
        for i, cell in enumerate(cells):
            png = render_cell(cell, layout, Path(folder) / f"cell_{i:03d}.png")
            x, y, w, h = layout.cell_box(i)
            sheet[y : y + h, x : x + w] = frames.read_pixels(png)[..., :3]
            if cell.cast_pictures:
                paste_thumbnails(sheet, cell.cast_pictures, layout.picture_box(i))
    out = frames.write_png(sheet, path)
    return Storyboard(out, layout, tuple(cells), time.perf_counter() - started, header)


def default_path(scene: bpy.types.Scene) -> Path:
    """``<output folder>/storyboard_<scene>.png``."""
    from ..backend.files import safe_filename

    return Path(output_root()) / f"storyboard_{safe_filename(scene.name, 'scene')}.png"
