"""A shot's keyframes (issue 17): the picture its clip starts from and the one it ends on.

Each is a file (the shot's Start Image / End Image), made here in one of three ways:

* :func:`render_keyframe`: the shot's own first (start) or last (end) frame, rendered by Blender through the
  shot's camera (:func:`..blender.keyframes.render_camera_frame`);
* :func:`continue_from_previous`: **Continue from Previous Shot**, the start picture becomes the last frame
  of the previous shot's current take as the timeline shows it (trims and rate conforming included),
  decoded by Blender's own movie reader (:func:`..blender.frames.render_strip_frame`);
* or any picture the user picks.

The pictures go to the shot's folder in the output folder (``frames/``), one file per source, so a take made
from one keeps its picture when another is made. :func:`takes_last_frame` says whether a model takes an end
picture (Wan2GP: the catalog; WaveSpeed: the model's own field for the ``image_end`` role).

Main thread only; these render and decode synchronously: operators call them, never a timer, handler or
``draw()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy

from ..backend.files import safe_filename
from ..blender import compat, frames
from ..blender import keyframes as render
from ..scene import shots, takes
from ..scene.config import blend_relative
from .envelope import shot_output_dir

FRAMES_FOLDER = "frames"
#: Which picture of the shot: the property it lands in, and the word for it.
WHICH = {"START": ("image_input", "first"), "END": ("image_end", "last")}


class KeyframeError(ValueError):
    """The picture cannot be made now; the message says why and what to do."""


def frames_folder(obj: Any, prefs: Any | None = None) -> Path:
    return Path(shot_output_dir(obj, prefs)) / FRAMES_FOLDER


def _name(text: str) -> str:
    return safe_filename(text.replace("/", "_").replace("\\", "_"), "shot")


def previous_shot(scene: bpy.types.Scene, obj: Any) -> Any:
    """The shot before ``obj`` on the scene's timeline (None for the first)."""
    ordered = shots.scene_shots(scene)
    index = next((i for i, shot in enumerate(ordered) if shot == obj), -1)
    return ordered[index - 1] if index > 0 else None


def take_strip(obj: Any) -> tuple[Any, bpy.types.Scene]:
    """``(movie strip, its scene)`` of the shot's current take on the timeline; KeyframeError without one."""
    settings = obj.movie_director
    scene = takes.scene_with_strip(obj)
    editor = compat.sequence_editor(scene, create=False) if scene is not None else None
    strip = compat.all_strips(editor).get(settings.strip_name) if editor and settings.strip_name else None
    if strip is None or strip.type != "MOVIE":
        raise KeyframeError(f"'{obj.name}' has no clip on the timeline yet: generate it first.")
    return strip, scene


def continue_from_previous(obj: Any, scene: bpy.types.Scene, prefs: Any | None = None) -> Path:
    """Make the last frame of the previous shot's current take ``obj``'s start image; returns the PNG."""
    previous = previous_shot(scene, obj)
    if previous is None:
        raise KeyframeError(f"'{obj.name}' is the first shot: there is no shot before it to continue from.")
    strip, strip_scene = take_strip(previous)
    last = int(strip.frame_final_end) - 1
    clip = Path(frames.strip_filepath(strip))
    out = frames_folder(obj, prefs) / (
        f"{_name(obj.name)}_after_{_name(previous.name)}_{_name(clip.stem)}_{last:05d}.png"
    )
    try:
        frames.render_strip_frame(strip, strip_scene, last, out)
    except FileNotFoundError:
        raise KeyframeError(f"The clip of '{previous.name}' is missing: {clip}") from None
    except RuntimeError as exc:
        raise KeyframeError(f"Blender could not read the last frame of '{previous.name}': {exc}") from None
    obj.movie_director.image_input = blend_relative(out)  # "//..." inside the project folder
    return out


def render_keyframe(obj: Any, scene: bpy.types.Scene, which: str, prefs: Any | None = None) -> Path:
    """Render the shot's first (``which="START"``) or last (``"END"``) frame through its camera and make it
    the shot's start or end image; returns the PNG."""
    prop, word = WHICH[which]
    shot_range = shots.shot_range(scene, obj)
    frame = shot_range.start if which == "START" else shot_range.end
    out = frames_folder(obj, prefs) / f"{_name(obj.name)}_{word}_{frame:05d}.png"
    try:
        render.render_camera_frame(scene, obj, frame, out)
    except RuntimeError as exc:
        raise KeyframeError(f"Blender could not render the {word} frame of '{obj.name}': {exc}") from None
    setattr(obj.movie_director, prop, blend_relative(out))
    return out


def takes_last_frame(backend: str, model: str) -> bool:
    """Whether the model takes an end picture (the ``image_end`` role). A model the product does not know
    counts as taking it: the server or service then says (before anything is paid for)."""
    if backend == "WAVESPEED":
        from ..backend.errors import ValidationError
        from ..backend.wavespeed.roles import resolve_for_roles

        try:
            spec = resolve_for_roles(model, {"image_start": "", "image_end": ""})
        except ValidationError:
            return True
        return "image_end" in spec.role_fields
    from ..backend.wan2gp.catalog import takes_end_image

    return takes_end_image(model) is not False
