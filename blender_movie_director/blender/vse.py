"""Put generated clips into the Sequencer: free channel, frame-rate conform, sound, provenance, takes.

Main thread only (called from the drain timer, an operator or the console API), and never while a save or
render is running (the drain defers it).

Frame rate: ``new_movie`` never adapts a clip's rate, so a 2 s clip at 16 fps would become 32 frames, i.e.
1.33 s, in a 24 fps scene. The clip keeps its length in seconds like this: the movie strip is lengthened (or
shortened) to ``seconds * scene fps`` frames with ``frame_offset_end``, and a SPEED effect strip in STRETCH
mode, one channel up, spreads the clip's own frames over that length. This works headless on 4.2, 4.5 and 5.0
and touches no retiming keys (scripting those crashes Blender without a window).

Sound: a clip with an audio track gets a SOUND strip from the same file on the channel above the movie (and
its speed effect), same start, same length; the movie strip names it (``md_sound_strip``), so every swap,
retake, regenerate or removal takes or replaces both (:func:`strip_group`). Where Blender can connect strips
(4.3+, with a Sequencer open) the two are also connected, so moving one in the editor moves the other. The
4.2 ``bpy`` module has no audio: the picture comes in and the clip's note says the sound was left out.

Skipping: ``skip_seconds`` leaves out the clip's first seconds (an extend endpoint returns the input clip and
its continuation in one file; the new strip shows the continuation only). The movie is placed earlier by the
skipped frames and trimmed at its start, so the skipped part can be pulled back out with the strip's handle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..backend.media import probe_video
from . import compat

MAX_CHANNEL = 128
#: Custom properties written on the movie strip (provenance) use this prefix.
PREFIX = "md_"
SPEED_KEY = PREFIX + "speed_strip"
SOUND_KEY = PREFIX + "sound_strip"


@dataclass(frozen=True)
class ImportedClip:
    strip_name: str
    channel: int
    frame_start: int
    frames: int  # length on the timeline, in scene frames
    seconds: float  # length of the clip
    speed_name: str  # the SPEED effect that conforms the frame rate ("" when the rates match)
    sound_name: str  # "" when the clip has no audio (or this Blender has no audio support)
    note: str = ""  # something the user may want to know (e.g. sound skipped)


def scene_fps(scene: bpy.types.Scene) -> float:
    return scene.render.fps / scene.render.fps_base


def _span(strip: Any) -> tuple[int, int]:
    return int(strip.frame_final_start), int(strip.frame_final_end)


def find_free_channel(
    editor: Any, start: int, end: int, count: int = 1, first: int = 1, ignore: Iterable[str] = ()
) -> int:
    """The lowest channel >= ``first`` where ``count`` stacked channels are empty over [start, end)."""
    ignore = tuple(ignore)
    busy: dict[int, bool] = {}
    skip = set(ignore)
    for strip in compat.all_strips(editor):
        if strip.name in skip:
            continue
        s, e = _span(strip)
        if s < end and start < e:
            busy[strip.channel] = True
    for channel in range(max(1, first), MAX_CHANNEL - count + 2):
        if not any(busy.get(channel + k) for k in range(count)):
            return channel
    raise RuntimeError(f"No free Sequencer channel between frames {start} and {end}.")


def strip_group(editor: Any, name: str) -> list[Any]:
    """The movie strip ``name`` and the strips we made with it (speed effect, sound)."""
    strips = compat.all_strips(editor)
    movie = strips.get(name)
    if movie is None:
        return []
    group = [movie]
    for key in (SPEED_KEY, SOUND_KEY):
        other = strips.get(str(movie.get(key, ""))) if movie.get(key) else None
        if other is not None:
            group.append(other)
    return group


def remove_group(editor: Any, name: str) -> tuple[int, int] | None:
    """Remove the strip ``name`` and its companions; returns its (channel, start) or None if absent."""
    group = strip_group(editor, name)
    if not group:
        return None
    movie = group[0]
    where = (int(movie.channel), int(movie.frame_final_start))
    top = compat.top_level_strips(editor)
    # The effect goes first: removing its input would take it along and leave a dead reference here.
    for strip in reversed(group):
        top.remove(strip)
    return where


def _without_prefetch(editor: Any) -> bool:
    previous = bool(getattr(editor, "use_prefetch", False))
    if previous:
        editor.use_prefetch = False
    return previous


def import_clip(
    scene: bpy.types.Scene,
    *,
    name: str,
    filepath: str,
    frame_start: int,
    provenance: Mapping[str, Any] | None = None,
    replace: str = "",
    skip_seconds: float = 0.0,
) -> ImportedClip:
    """Add ``filepath`` to ``scene``'s Sequencer at ``frame_start`` on a free channel, named ``name``.

    With ``replace`` (the name of a strip made earlier) that strip and its companions are removed first and
    the new clip goes where it was (same start and channel when they are still free), so regenerating a
    shot swaps the clip in place. ``skip_seconds``: the strip starts that far into the clip.
    """
    if not Path(filepath).is_file():
        # new_movie would make a 1-frame strip without complaint.
        raise FileNotFoundError(f"The clip {filepath} does not exist.")
    info = probe_video(filepath)
    editor = compat.sequence_editor(scene)
    prefetch = _without_prefetch(editor)
    try:
        first_channel = 1
        if replace:
            where = remove_group(editor, replace)
            if where is not None:
                first_channel, frame_start = where
        return _add(
            scene, editor, name, filepath, frame_start, first_channel, info, provenance or {}, skip_seconds
        )
    finally:
        if prefetch:
            editor.use_prefetch = True


def _add(
    scene: bpy.types.Scene,
    editor: Any,
    name: str,
    filepath: str,
    frame_start: int,
    first_channel: int,
    info: Any,
    provenance: Mapping[str, Any],
    skip_seconds: float = 0.0,
) -> ImportedClip:
    fps = scene_fps(scene)
    # Room for the movie, a speed effect (if the rates differ) and the sound (if any). The length comes from
    # the frames Blender itself reads, the channel search allows one frame more.
    stack = 3 if info.has_audio else 2
    estimate = max(1, round(max(0.0, info.duration - skip_seconds) * fps)) + 1
    channel = find_free_channel(editor, frame_start, frame_start + estimate, count=stack, first=first_channel)
    top = compat.top_level_strips(editor)
    movie = top.new_movie(name=name, filepath=filepath, channel=channel, frame_start=frame_start)
    # The container's rate (from its sample table); reading ``movie.fps`` re-opens the file (~3 ms).
    movie_fps = info.fps or float(movie.fps)
    media_frames = int(movie.frame_duration)
    # Media frames left out at the start (the strip's own frames are the file's frames, one to one).
    skip = min(max(0, round(skip_seconds * movie_fps)), media_frames - 1) if movie_fps > 0 else 0
    seconds = (media_frames - skip) / movie_fps if movie_fps > 0 else info.duration
    frames = max(1, round(seconds * fps))
    end = frame_start + frames
    if skip:
        movie.frame_offset_start = skip
        movie.frame_start = frame_start - skip  # moves the whole strip: its first shown frame lands on start
    speed_name = ""
    if abs(movie_fps - fps) > 1e-3:
        movie.frame_offset_end = media_frames - skip - frames  # negative: held past its end, then stretched
        speed = compat.new_effect(top, f"{movie.name} speed", "SPEED", channel + 1, frame_start, movie)
        speed.speed_control = "STRETCH"
        speed_name = speed.name
        movie[SPEED_KEY] = speed_name
    sound_name, note = "", ""
    if info.has_audio:
        try:
            sound = top.new_sound(
                name=f"{movie.name} sound",
                filepath=filepath,
                channel=channel + (2 if speed_name else 1),
                frame_start=frame_start,
            )
        except RuntimeError as exc:  # the 4.2 bpy module is built without audio
            note = f"The clip's sound was not added: {exc}"
        else:
            sound_skip = round(skip_seconds * fps) if skip else 0
            if sound_skip:
                sound.frame_offset_start = sound_skip
                sound.frame_start = frame_start - sound_skip
            if sound.frame_final_end > end:
                sound.frame_final_end = end
            sound_name = sound.name
            movie[SOUND_KEY] = sound_name
            connect(scene, [movie, sound])
    for key, value in provenance.items():
        movie[PREFIX + key] = value if isinstance(value, int | float | str) else str(value)
    movie[PREFIX + "source_fps"] = float(movie_fps)
    movie[PREFIX + "seconds"] = float(seconds)
    if skip:
        movie[PREFIX + "skipped_seconds"] = float(skip / movie_fps)
    return ImportedClip(
        strip_name=movie.name,
        channel=channel,
        frame_start=int(movie.frame_final_start),
        frames=int(movie.frame_final_duration),
        seconds=seconds,
        speed_name=speed_name,
        sound_name=sound_name,
        note=note,
    )


def connect(scene: bpy.types.Scene, strips: list[Any]) -> bool:
    """Connect ``strips`` so the Sequencer moves them together (Blender 4.3+'s connected strips).

    Blender offers this only as an operator of an open Sequencer: without one (background mode, scripts) the
    strips stay unconnected and are kept together by :func:`strip_group` alone. The user's selection is
    restored. Returns whether they were connected.
    """
    if not hasattr(bpy.ops.sequencer, "connect"):
        return False
    area_region = _sequencer_area()
    if area_region is None:
        return False
    window, area, region = area_region
    # The operator acts on the selection of the scene the Sequencer shows (5.0: the workspace's Sequencer
    # Scene): connect only when that is this scene, never strips the user selected elsewhere.
    shown = getattr(window.workspace, "sequencer_scene", None) or window.scene
    if shown != scene:
        return False
    editor = compat.sequence_editor(scene)
    selected = [s for s in compat.all_strips(editor) if s.select]
    for strip in selected:
        strip.select = False
    for strip in strips:
        strip.select = True
    try:
        with bpy.context.temp_override(window=window, area=area, region=region, scene=scene):
            return "FINISHED" in bpy.ops.sequencer.connect()
    except RuntimeError:  # the open Sequencer shows another scene, or the operator refused: stay unconnected
        return False
    finally:
        for strip in strips:
            strip.select = False
        for strip in selected:
            strip.select = True


def _sequencer_area() -> tuple[Any, Any, Any] | None:
    """(window, area, region) of an open Sequencer, None without one (background mode)."""
    manager = getattr(bpy.context, "window_manager", None)
    for window in getattr(manager, "windows", ()):
        for area in window.screen.areas:
            if area.type == "SEQUENCE_EDITOR":
                region = next((r for r in area.regions if r.type == "WINDOW"), None)
                if region is not None:
                    return window, area, region
    return None


def provenance_of(strip: Any) -> dict[str, Any]:
    """The ``md_*`` custom properties of a strip, without the prefix."""
    return {key[len(PREFIX) :]: strip[key] for key in strip.keys() if key.startswith(PREFIX)}  # noqa: SIM118
