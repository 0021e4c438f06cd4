"""Blender 4.2 LTS / 4.5 LTS / 5.0 differences, in one place.

- 4.4 renamed the VSE's ``Sequence``/``sequences`` to ``Strip``/``strips`` (4.5 keeps deprecated aliases,
  5.0 drops them).
- 5.0 lets the Sequencer show a scene other than the active one (``sequencer_scene``).
- 5.0 moved video output behind ``image_settings.media_type = 'VIDEO'``.
Never reference ``bpy.types.Strip`` at import time: it does not exist on 4.2.
"""

from __future__ import annotations

from typing import Any

import bpy


def sequence_editor(scene: bpy.types.Scene, create: bool = True) -> Any:
    editor = scene.sequence_editor
    if editor is None and create:
        editor = scene.sequence_editor_create()
    return editor


def top_level_strips(editor: Any) -> Any:
    """The collection that ``new_movie``/``new_sound``/``new_effect`` live on."""
    strips = getattr(editor, "strips", None)
    return strips if strips is not None else editor.sequences


def all_strips(editor: Any) -> Any:
    strips = getattr(editor, "strips_all", None)
    return strips if strips is not None else editor.sequences_all


def sequencer_scene(context: bpy.types.Context) -> bpy.types.Scene:
    """The scene shown in the Sequencer: ``context.sequencer_scene`` on 5.0, else the active scene."""
    return getattr(context, "sequencer_scene", None) or context.scene


def active_strip(context: bpy.types.Context) -> Any:
    strip = getattr(context, "active_strip", None)
    if strip is None:
        strip = getattr(context, "active_sequence_strip", None)
    return strip


def selected_strips(context: bpy.types.Context) -> list[Any]:
    strips = getattr(context, "selected_strips", None)
    if strips is None:
        strips = getattr(context, "selected_sequences", None)
    return list(strips or ())


def set_video_output(scene: bpy.types.Scene, container: str = "MPEG4", codec: str = "H264") -> None:
    """Make ``scene`` render its animation to a video file (5.0 needs ``media_type`` first)."""
    settings = scene.render.image_settings
    if hasattr(settings, "media_type"):
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    scene.render.ffmpeg.format = container
    scene.render.ffmpeg.codec = codec


def layout_has_progress(layout: bpy.types.UILayout) -> bool:
    return hasattr(layout, "progress")


def new_effect(strips: Any, name: str, effect_type: str, channel: int, frame_start: int, input1: Any) -> Any:
    """``new_effect`` with one input: 4.2 calls the input ``seq1``, 4.4+ ``input1``."""
    try:
        return strips.new_effect(
            name=name, type=effect_type, channel=channel, frame_start=frame_start, input1=input1
        )
    except TypeError:
        return strips.new_effect(
            name=name, type=effect_type, channel=channel, frame_start=frame_start, seq1=input1
        )


def online_access() -> bool:
    """Whether Blender allows network access (Preferences > System > Network > Allow Online Access)."""
    return bool(getattr(bpy.app, "online_access", True))


def online_access_overridden() -> bool:
    """True when Blender was started with ``--offline-mode`` (the preference cannot turn it back on)."""
    return bool(getattr(bpy.app, "online_access_override", False))


def extension_user_folder(package: str, subfolder: str = "") -> str:
    """The extension's own writable folder (``extension_path_user``), created if missing."""
    try:
        return bpy.utils.extension_path_user(package, path=subfolder, create=True)
    except (ValueError, TypeError):
        # Loaded as a plain add-on (tests, legacy install): no extension repository to ask, so use
        # Blender's user data folder instead.
        path = "movie_director/" + subfolder if subfolder else "movie_director"
        return bpy.utils.user_resource("DATAFILES", path=path, create=True)


def new_effect_span(
    strips: Any, name: str, effect_type: str, channel: int, frame_start: int, length: int
) -> Any:
    """``new_effect`` without inputs (TEXT, COLOR): 4.2 takes ``frame_end``, 4.4+ ``length``."""
    try:
        return strips.new_effect(
            name=name, type=effect_type, channel=channel, frame_start=frame_start, length=length
        )
    except TypeError:
        return strips.new_effect(
            name=name,
            type=effect_type,
            channel=channel,
            frame_start=frame_start,
            frame_end=frame_start + length,
        )


def set_text_anchor(strip: Any, x: str, y: str) -> None:
    """Where a TEXT strip's ``location`` sits on its text: 4.2 ``align_x/y``, 4.4+ ``anchor_x/y``."""
    if hasattr(strip, "anchor_x"):
        strip.anchor_x, strip.anchor_y = x, y
        if hasattr(strip, "alignment_x"):  # 4.5+: how wrapped lines line up
            strip.alignment_x = x
    else:
        strip.align_x, strip.align_y = x, y
