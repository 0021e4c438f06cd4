"""The demo's files: the storyboard PNG (the extension's own contact sheet), the .blend, and the edit
rendered to an H.264 MP4 by Blender's own Sequencer render."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from demo.console import Console


def edit_range(scene: Any) -> tuple[int, int]:
    """(first, last) frame covered by the Sequencer's strips."""
    from blender_movie_director.blender import compat

    strips = list(compat.all_strips(compat.sequence_editor(scene)))
    if not strips:
        raise ValueError("The Sequencer is empty: no clip was imported.")
    first = min(int(s.frame_final_start) for s in strips)
    last = max(int(s.frame_final_end) for s in strips) - 1
    return first, last


def write_storyboard(scene: Any, path: Path) -> Path:
    from blender_movie_director.scene import storyboard

    return storyboard.write_storyboard(scene, path).path


def prepare_render(scene: Any, path: Path) -> tuple[int, int]:
    """Set the scene to render its Sequencer over the edit's frames to ``path`` (MP4, H.264)."""
    from blender_movie_director.blender import compat

    first, last = edit_range(scene)
    scene.frame_start, scene.frame_end = first, last
    render = scene.render
    render.use_sequencer = True
    render.use_compositing = False
    # As Blender's Video Editing template does: clips come out with the colours they have ("AgX", the
    # default for a new scene, would tone-map them).
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    compat.set_video_output(scene, "MPEG4", "H264")
    render.ffmpeg.constant_rate_factor = "MEDIUM"
    render.ffmpeg.audio_codec = "NONE"
    render.use_file_extension = False
    render.filepath = str(path)
    return first, last


def render_edit(scene: Any, path: Path, console: Console) -> Path:
    """Render the edit with ``render.render(animation=True)``, a bar line per frame written."""
    first, last = prepare_render(scene, path)
    total = last - first + 1

    def on_frame(rendered_scene: Any, *_args: Any) -> None:
        if rendered_scene == scene:
            done = rendered_scene.frame_current - first + 1
            console.bar(done / total, "rendering", f"frame {done}/{total}")

    bpy.app.handlers.render_post.append(on_frame)
    try:
        with bpy.context.temp_override(scene=scene):
            bpy.ops.render.render(animation=True)
    finally:
        bpy.app.handlers.render_post.remove(on_frame)
    console.end_bar()
    if not path.is_file():
        raise RuntimeError(f"Blender did not write {path}")
    return path


def save_blend(path: Path) -> Path:
    """Save the file with paths relative to it, so the output folder can be moved as a whole."""
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.file.make_paths_relative()
    bpy.ops.wm.save_mainfile()
    return path
