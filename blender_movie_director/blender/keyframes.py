"""A still of a scene through one camera at one frame: a shot's first or last frame as a keyframe picture.

The render runs in a linked copy of the scene (``scene.copy()``: the same objects, world and render engine,
its own camera, frame and output settings), which renders the 3D view, not the Sequencer, to an 8-bit PNG
and is removed after. The user's scene keeps its camera, frame, output path and file format; its animated
values are evaluated again at its own frame afterwards (the copy shares the objects), and its camera is
put back (evaluating a frame follows the camera markers).

Main thread only (renders synchronously: call it from an operator, never from a timer, handler or draw()).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import bpy

from . import frames


def render_camera_frame(scene: bpy.types.Scene, camera: Any, frame: int, path: str | Path) -> Path:
    """Render ``scene`` through ``camera`` at ``frame`` to the PNG ``path`` (the scene's own engine, size and
    look). RuntimeError when Blender wrote no file."""
    current, subframe, scene_camera = scene.frame_current, scene.frame_subframe, scene.camera
    copy = scene.copy()
    try:
        copy.name = f"{frames.TEMP_SCENE_PREFIX}_keyframe"
        copy.timeline_markers.clear()  # camera markers would switch the copy to another shot's camera
        copy.camera = camera
        render = copy.render
        render.use_sequencer = False  # the camera's view, not the edit the scene's Sequencer holds
        render.image_settings.file_format = "PNG"
        render.image_settings.color_mode = "RGB"
        render.image_settings.color_depth = "8"
        return frames.render_still(copy, path, frame=frame)
    finally:
        with contextlib.suppress(ReferenceError):
            bpy.data.scenes.remove(copy)
        scene.frame_set(current, subframe=subframe)  # the shared objects back at the user's frame
        scene.camera = scene_camera  # frame_set follows camera markers; the user's choice stays
