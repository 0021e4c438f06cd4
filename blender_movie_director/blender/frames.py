"""Pictures out of Blender without a window: one frame of a clip, a still of a scene, pixels of a PNG.

Everything goes through Blender's own renderer, so it works the same in the ``bpy`` module (headless, no
blender binary), in ``blender -b`` and in the UI, on 4.2, 4.5 and 5.0:

- A frame of a movie file is taken by rendering a throw-away scene whose Sequencer holds only that movie,
  placed so the wanted frame is on the scene's current frame (Blender decodes with its own FFmpeg; no
  PyAV/Pillow inside Blender).
- ``render.render`` renders the frame of the scene in the *context*, so the throw-away scene is put in the
  context with ``temp_override(scene=...)``; the user's scene and its current frame are never touched.
- The view transform is "Standard" so pixel values come out as they are in the file (AgX/Filmic would
  tone-map them).

Main thread only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bpy

from ..backend.media import probe_video
from . import compat

TEMP_SCENE_PREFIX = "md_temp"


def plain_png(scene: Any, width: int, height: int) -> None:
    """Set ``scene`` to render an 8-bit RGB PNG of ``width`` x ``height`` (100 %, square pixels) with no
    compositing and the "Standard" view, no look (pixels as they are; also turnaround.py's references)."""
    render = scene.render
    render.resolution_x, render.resolution_y = int(width), int(height)
    render.resolution_percentage = 100
    render.pixel_aspect_x = render.pixel_aspect_y = 1.0
    render.use_compositing = False
    render.image_settings.file_format = "PNG"
    render.image_settings.color_mode = "RGB"
    render.image_settings.color_depth = "8"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"


@contextmanager
def temp_scene(width: int, height: int, name: str = TEMP_SCENE_PREFIX) -> Iterator[bpy.types.Scene]:
    """A new scene set up to render its Sequencer to an 8-bit PNG of ``width`` x ``height``; removed after."""
    scene = bpy.data.scenes.new(name)
    try:
        plain_png(scene, width, height)
        scene.render.use_sequencer = True
        scene.view_settings.exposure = 0.0
        scene.view_settings.gamma = 1.0
        scene.frame_start, scene.frame_end = 1, 1_000_000
        compat.sequence_editor(scene)
        yield scene
    finally:
        _remove_scene(scene)


def _remove_scene(scene: bpy.types.Scene) -> None:
    with contextlib.suppress(ReferenceError):  # already gone (e.g. a file was loaded meanwhile)
        bpy.data.scenes.remove(scene)


def render_still(scene: bpy.types.Scene, path: str | Path, frame: int | None = None) -> Path:
    """Render ``scene`` at ``frame`` (default: its current frame) to ``path`` (format from the scene)."""
    if frame is not None:
        scene.frame_set(frame)
    return render_to(scene, Path(path), "the picture", write_still=True)


def render_to(scene: bpy.types.Scene, path: Path, what: str, **how: Any) -> Path:
    """Render ``scene`` to ``path`` (``how``: ``write_still=True`` or ``animation=True``); RuntimeError
    naming ``what`` when Blender wrote no file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scene.render.filepath = str(path)
    # Only the scene is overridden: naming a window too makes Blender check the window's own scene.
    with bpy.context.temp_override(scene=scene):
        bpy.ops.render.render(**how)
    if not path.is_file():
        raise RuntimeError(f"Blender did not write {what} {path}")
    return path


def movie_frames(filepath: str | Path) -> int:
    """How many frames Blender reads from the movie (its own count, not the container's guess)."""
    with temp_scene(16, 16, TEMP_SCENE_PREFIX + "_probe") as scene:
        top = compat.top_level_strips(compat.sequence_editor(scene))
        strip = top.new_movie(name="probe", filepath=str(filepath), channel=1, frame_start=1)
        return int(strip.frame_duration)


def extract_frame(
    filepath: str | Path, index: int, out_path: str | Path, *, width: int = 0, height: int = 0
) -> Path:
    """Write frame ``index`` (0-based, of the file's own frames) of a movie to a PNG.

    The PNG has the movie's size unless ``width``/``height`` are given (then the picture is scaled to
    fill that size). A negative ``index`` counts from the end.
    """
    filepath = Path(filepath)
    if not filepath.is_file():
        raise FileNotFoundError(f"The clip {filepath} does not exist.")
    info = probe_video(filepath)
    src_w, src_h = max(2, info.width), max(2, info.height)
    out_w, out_h = (width or src_w), (height or src_h)
    with temp_scene(out_w, out_h, TEMP_SCENE_PREFIX + "_frame") as scene:
        top = compat.top_level_strips(compat.sequence_editor(scene))
        strip = top.new_movie(name="frame", filepath=str(filepath), channel=1, frame_start=1)
        total = int(strip.frame_duration)
        if index < 0:
            index += total
        if not 0 <= index < total:
            raise IndexError(f"Frame {index} is outside the clip's {total} frames ({filepath.name}).")
        if (out_w, out_h) != (src_w, src_h):
            strip.transform.scale_x = out_w / src_w
            strip.transform.scale_y = out_h / src_h
        return render_still(scene, out_path, frame=1 + index)


def _speed_of(strip: Any, scene: bpy.types.Scene) -> Any:
    """The SPEED effect :mod:`.vse` made to conform the strip's rate, if any."""
    from . import vse

    name = str(strip.get(vse.SPEED_KEY, "")) if hasattr(strip, "get") else ""
    editor = scene.sequence_editor
    speed = compat.all_strips(editor).get(name) if name and editor else None
    return speed if speed is not None and getattr(speed, "speed_control", "") == "STRETCH" else None


def source_position(strip: Any, scene: bpy.types.Scene, frame: float) -> float:
    """Where timeline ``frame`` falls in the strip's own file, in file frames (not rounded).

    A strip whose clip was conformed to the scene's rate (a SPEED effect in STRETCH mode made by
    :mod:`.vse`) spreads its file's frames over its length; otherwise one timeline frame is one file frame.
    Which whole frame Blender then shows differs between versions (4.2 rounds down, 4.5+ to nearest):
    :func:`render_strip_frame` asks Blender itself.
    """
    start, end = int(strip.frame_final_start), int(strip.frame_final_end)
    media = max(1, int(getattr(strip, "frame_duration", 1)))
    if _speed_of(strip, scene) is not None:
        return (frame - start) * media / max(1, end - start)
    return frame - int(strip.frame_start)


def source_seconds(strip: Any, scene: bpy.types.Scene, frame: float) -> float:
    """Seconds into the strip's file at timeline ``frame`` (file frames / file fps, not rounded)."""
    fps = float(getattr(strip, "fps", 0.0) or 0.0) or (scene.render.fps / scene.render.fps_base)
    return source_position(strip, scene, frame) / fps


def render_strip_frame(strip: Any, scene: bpy.types.Scene, frame: int, out_path: str | Path) -> Path:
    """The picture a movie strip shows at timeline ``frame``, at the clip's own size, as a PNG.

    A throw-away scene gets the same clip with the same start, trims, frame rate and rate-conform effect,
    and Blender renders that frame: exactly the frame the user sees in the Sequencer (without the other
    strips stacked over it), on every Blender version.
    """
    path = strip_filepath(strip)
    if not path or not Path(path).is_file():
        raise FileNotFoundError(f"The clip {path} does not exist.")
    info = probe_video(path)
    with temp_scene(max(2, info.width), max(2, info.height), TEMP_SCENE_PREFIX + "_strip") as temp:
        temp.render.fps, temp.render.fps_base = scene.render.fps, scene.render.fps_base
        top = compat.top_level_strips(compat.sequence_editor(temp))
        copy = top.new_movie(name="clip", filepath=path, channel=1, frame_start=int(strip.frame_start))
        copy.frame_offset_start = strip.frame_offset_start
        copy.frame_offset_end = strip.frame_offset_end
        speed = _speed_of(strip, scene)
        if speed is not None:
            effect = compat.new_effect(top, "speed", "SPEED", 2, int(copy.frame_final_start), copy)
            effect.speed_control = "STRETCH"
        return render_still(temp, out_path, frame=frame)


def strip_filepath(strip: Any) -> str:
    """The absolute file a movie or (single) image strip shows, "" if it has none."""
    if strip.type == "MOVIE":
        return bpy.path.abspath(strip.filepath)
    if strip.type == "IMAGE" and len(strip.elements):
        return bpy.path.abspath(str(Path(strip.directory) / strip.elements[0].filename))
    return ""


def strip_image_at(strip: Any, scene: bpy.types.Scene, frame: int) -> str:
    """The image file an IMAGE strip shows at timeline ``frame`` (image sequences have one per frame)."""
    elements = strip.elements
    offset = min(max(frame - int(strip.frame_start), 0), len(elements) - 1)
    return bpy.path.abspath(str(Path(strip.directory) / elements[offset].filename))


def read_pixels(path: str | Path) -> Any:
    """A PNG/JPEG as a numpy array (height, width, 4) of floats 0..1, top row first."""
    import numpy as np

    image = bpy.data.images.load(str(path), check_existing=False)
    try:
        width, height = image.size
        data = np.empty(width * height * 4, dtype=np.float32)
        image.pixels.foreach_get(data)
        return data.reshape(height, width, 4)[::-1]
    finally:
        bpy.data.images.remove(image)


def write_png(pixels: Any, path: str | Path) -> Path:
    """Save a (height, width, 3|4) float array (top row first, 0..1) as an 8-bit PNG."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = pixels.shape[:2]
    rgba = np.ones((height, width, 4), dtype=np.float32)
    rgba[..., : pixels.shape[2]] = pixels[..., :4]
    image = bpy.data.images.new(f"{TEMP_SCENE_PREFIX}_png", width, height, alpha=False)
    try:
        image.pixels.foreach_set(np.ascontiguousarray(rgba[::-1]).ravel())
        image.filepath_raw = str(path)
        image.file_format = "PNG"
        image.save()
    finally:
        bpy.data.images.remove(image)
    return path
