"""Shots: which cameras are shots, where they sit on the timeline, and whether one can be generated now.

A shot is a camera object. Its frame range comes from its own settings ("Own Frame Range"), else from the
timeline markers bound to it (from its first marker to the next camera marker), else the scene's range.
The request a shot makes is built by :mod:`..requests.shot`. Main thread only (reads ``bpy.data``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..blender import compat
from . import props

OFFLINE_HINT = (
    "Online access is off: allow it in Preferences > System > Network > Allow Online Access "
    "(Movie Director only contacts the servers set in its preferences)"
)
OFFLINE_OVERRIDE_HINT = (
    "Blender was started with --offline-mode, so no add-on may use the network; restart Blender without it"
)


@dataclass(frozen=True)
class ShotRange:
    start: int
    end: int  # inclusive
    source: str  # "custom" | "marker" | "scene"

    @property
    def frames(self) -> int:
        return self.end - self.start + 1


def is_shot(obj: Any) -> bool:
    try:
        return obj is not None and obj.type == "CAMERA"
    except ReferenceError:
        return False


def scene_shots(scene: bpy.types.Scene) -> list[bpy.types.Object]:
    """The scene's cameras in timeline order (then by name)."""
    cams = [obj for obj in scene.objects if obj.type == "CAMERA"]
    return sorted(cams, key=lambda obj: (shot_range(scene, obj).start, obj.name))


def shot_range(scene: bpy.types.Scene, obj: bpy.types.Object) -> ShotRange:
    settings = obj.movie_director
    if settings.use_custom_range:
        return ShotRange(settings.frame_start, max(settings.frame_start, settings.frame_end), "custom")
    markers = sorted((m for m in scene.timeline_markers if m.camera is not None), key=lambda m: m.frame)
    own = [m for m in markers if m.camera == obj]
    if own:
        start = own[0].frame
        later = [m.frame for m in markers if m.frame > start and m.camera != obj]
        end = (later[0] - 1) if later else max(start, scene.frame_end)
        return ShotRange(start, end, "marker")
    return ShotRange(scene.frame_start, scene.frame_end, "scene")


def shot_seconds(scene: bpy.types.Scene, obj: bpy.types.Object) -> float:
    settings = obj.movie_director
    if settings.use_shot_length:
        return shot_range(scene, obj).frames / (scene.render.fps / scene.render.fps_base)
    return float(settings.duration)


def active_shot(context: bpy.types.Context) -> bpy.types.Object | None:
    """The shot the panel shows: the list's pick, else the active camera object, else the scene camera."""
    scene = context.scene
    if scene is None:
        return None
    index = scene.movie_director.active_shot_index
    if 0 <= index < len(scene.objects) and is_shot(scene.objects[index]):
        return scene.objects[index]
    obj = getattr(context, "active_object", None)
    if is_shot(obj):
        return obj
    return scene.camera if is_shot(scene.camera) else None


def find_shot(name: str) -> bpy.types.Object | None:
    obj = bpy.data.objects.get(name)
    return obj if is_shot(obj) else None


def scene_of(obj: bpy.types.Object, context: bpy.types.Context | None = None) -> bpy.types.Scene:
    """The scene a shot belongs to: the current one if it holds the camera, else the first that does."""
    context = context or bpy.context
    scene = context.scene
    if scene is not None and scene.objects.get(obj.name) is not None:
        return scene
    for candidate in bpy.data.scenes:
        if candidate.objects.get(obj.name) is not None:
            return candidate
    return scene


# --- readiness -----
def offline_reason() -> str:
    if compat.online_access():
        return ""
    return OFFLINE_OVERRIDE_HINT if compat.online_access_overridden() else OFFLINE_HINT


def backend_reason(backend: str, prefs: Any) -> str:
    """Why the backend cannot be used with the current preferences ("" when it can)."""
    if backend == "WAVESPEED" and not prefs.effective_wavespeed_api_key():
        return (
            "WaveSpeed has no API key: set it in the Movie Director preferences or in the "
            "WAVESPEED_API_KEY environment variable"
        )
    if backend == "WAN2GP" and not prefs.effective_wan2gp_url():
        return "No Wan2GP server address: set it in the Movie Director preferences"
    return ""


def why_not_generate(obj: Any, prefs: Any) -> str:
    """The first reason the shot cannot be generated now, in words; "" when it can."""
    if not is_shot(obj):
        return "Select a camera: each camera is a shot"
    settings = obj.movie_director
    if not settings.prompt.strip():
        return f"Shot '{obj.name}' has no prompt: describe what happens in it"
    if props.is_active(settings):
        return f"Shot '{obj.name}' is already generating; cancel it first"
    if settings.image_input and not Path(bpy.path.abspath(settings.image_input)).is_file():
        return f"The start image of '{obj.name}' does not exist: {settings.image_input}"
    if settings.image_end and not settings.image_input:
        return f"Shot '{obj.name}' has an end image but no start image: set a start image too"
    if settings.image_end and not Path(bpy.path.abspath(settings.image_end)).is_file():
        return f"The end image of '{obj.name}' does not exist: {settings.image_end}"
    return offline_reason() or backend_reason(settings.backend, prefs)
