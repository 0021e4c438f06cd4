"""Takes: every clip generated for a shot is kept (file, settings, seed, backend, cost) and any one of them
can be made current; the shot's strip then shows it in place.

"In place" means the strip keeps its start, channel and length on the timeline: the new clip is cut in
where the old one was and fitted to the old length. When the rates match that is a trim (a longer clip)
or a hold of its last frame (a shorter one). When a SPEED effect conforms the clip's rate, Blender's
STRETCH spreads the clip over the strip, so a clip of another length plays a little faster or slower
(:attr:`Swap.speed_change` says by how much; takes of one shot normally have the same length).

Thumbnails: the middle frame of each take, made by Blender's own movie thumbnailer (the file browser's),
never by a render: see :func:`icon_id`. Main thread only.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..backend.files import inside
from ..backend.media import sniff_kind
from ..blender import compat, vse
from . import shots
from .config import output_root

#: What Open Result will hand to the system's player: containers of video, nothing that could run.
VIDEO_KINDS = frozenset({"mp4", "mov", "webm", "mkv"})

SHOT_KEY = vse.PREFIX + "shot"
REQUEST_KEY = vse.PREFIX + "request"

_previews: Any = None


# --- the request a take was made from -----
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def request_json(request: Any) -> str:
    """A GenerationRequest as JSON for a take or strip; user:password in server addresses is removed."""
    data = request.to_dict()
    data["servers"] = [_USERINFO.sub("", s) for s in data.get("servers", [])]
    return json.dumps(data, sort_keys=True)


#: A take's stored request larger than this is not read while drawing (a crafted .blend could hold any size).
DRAWN_REQUEST_MAX = 16 * 1024


def stored_inputs(take: Any) -> dict[str, str]:
    """The input files (role -> path) the take's stored request names, for the Takes panel to show: they are
    what Regenerate would send again (and only from inside the output folder). {} when there are none, or
    the stored text is too large or not a request's JSON. Cheap enough for ``draw()``."""
    text = take.settings
    if not text or len(text) > DRAWN_REQUEST_MAX:
        return {}
    try:
        inputs = json.loads(text).get("inputs", {})
    except (ValueError, AttributeError, RecursionError):
        return {}
    if not isinstance(inputs, dict):
        return {}
    return {str(role): str(path) for role, path in inputs.items()}


def clip_facts(
    metadata: Mapping[str, Any], request: Any | None, fallback: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What a finished job says about its clip: the one place a job's metadata and request become the
    facts a take and a strip record (backend, model, prompt, seed, task id, cost, the request as JSON).

    The backend's metadata wins; then the request the job ran; without one (the engine forgot it), the
    ``fallback`` values (a shot's own settings).
    """
    known: Mapping[str, Any] = fallback or {}
    if request is not None:
        known = {
            "backend": str(request.backend), "model": request.model, "prompt": request.prompt,
            "seed": request.settings.get("seed", 0),
        }  # fmt: skip
    cost = metadata.get("cost")
    return {
        "backend": str(metadata.get("backend") or known.get("backend", "")),
        "model": str(metadata.get("model") or known.get("model", "")),
        "prompt": str(metadata.get("prompt") or known.get("prompt", "")),
        "seed": int(metadata.get("seed", known.get("seed", 0)) or 0),
        "task_id": str(metadata.get("remote_id") or metadata.get("task_id") or known.get("task_id", "")),
        "cost": float(cost) if isinstance(cost, int | float) else -1.0,
        "request": request_json(request) if request is not None else "",
    }


def set_cost(take: Any, metadata: Mapping[str, Any]) -> None:
    cost = metadata.get("cost")
    take.cost = float(cost) if isinstance(cost, int | float) else -1.0
    take.cost_estimated = take.cost >= 0 and metadata.get("cost_source") == "estimate"


def cost_text(take: Any, unknown: str = "") -> str:
    """``$0.32``, ``≈$0.32`` when reckoned from the price list, else ``unknown``."""
    if take.cost < 0:
        return unknown
    return f"{'≈' if take.cost_estimated else ''}${take.cost:.2f}"


# --- takes -----
def current_take(obj: Any) -> Any:
    settings = obj.movie_director
    if not settings.takes:
        return None
    return settings.takes[min(max(settings.active_take_index, 0), len(settings.takes) - 1)]


def add_take(
    obj: Any,
    *,
    filepath: str,
    metadata: Mapping[str, Any],
    request: Any | None,
    quality: str,
    made_by: str,
    seconds: float,
    fallback: Mapping[str, Any] | None = None,
) -> Any:
    """Append a take to shot ``obj`` (not made current): the one take builder, for every kind of job."""
    settings = obj.movie_director
    facts = clip_facts(metadata, request, fallback)
    number = max((t.number for t in settings.takes), default=0) + 1
    take = settings.takes.add()
    take.number = number
    take.name = f"Take {number} · {made_by}" if made_by != "generate" else f"Take {number} · {quality}"
    take.filepath = str(filepath)
    take.backend, take.model, take.prompt = facts["backend"], facts["model"], facts["prompt"]
    take.seed, take.task_id = facts["seed"], facts["task_id"]
    take.quality = quality
    take.duration = float(seconds)
    take.fps = float(metadata.get("fps") or 0.0)
    take.created = time.strftime("%Y-%m-%d %H:%M:%S")
    set_cost(take, metadata)
    take.settings = facts["request"]
    take.made_by = made_by
    return take


def provenance(obj: Any, take: Any, **extra: Any) -> dict[str, Any]:
    """What the shot's strip records about the take it shows (``md_*`` custom properties)."""
    data = {
        "backend": take.backend, "model": take.model, "prompt": take.prompt, "seed": take.seed,
        "task_id": take.task_id, "take": take.number, "quality": take.quality, "shot": obj.name,
        "cost": take.cost, "made_by": take.made_by,
    }  # fmt: skip
    if take.settings:
        data["request"] = take.settings
    data.update(extra)
    return data


def strip_provenance(facts: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """What a strip that is no shot's records about its clip (``md_*``): :func:`clip_facts` and ``extra``."""
    data = {key: value for key, value in facts.items() if key != "request" or value}
    data.update(extra)
    return data


def shot_of_strip(strip: Any) -> Any:
    """The shot (camera) whose strip this is, or None."""
    if strip is None:
        return None
    name = str(strip.get(SHOT_KEY, ""))
    obj = shots.find_shot(name) if name else None
    if obj is None or obj.movie_director.strip_name != strip.name:
        return None
    return obj


def scene_with_strip(obj: Any, context: Any = None) -> Any:
    """The scene whose Sequencer holds the shot's strip (its target scene, else the shot's own scene)."""
    settings = obj.movie_director
    return bpy.data.scenes.get(settings.target_scene) or shots.scene_of(obj, context)


# --- swapping a strip's clip in place -----
@dataclass(frozen=True)
class Swap:
    strip_name: str
    channel: int
    frame_start: int
    frames: int
    speed_change: float  # 1.0 = the clip plays at its own speed; otherwise the stretch factor

    @property
    def note(self) -> str:
        """For the user when the clip plays faster or slower to fit the strip ("" when it does not)."""
        if abs(self.speed_change - 1.0) <= 0.02:
            return ""
        return f"fitted to the strip's length: plays at {1 / self.speed_change:.2f}x"


def swap_clip(scene: Any, strip_name: str, filepath: str, provenance_data: Mapping[str, Any]) -> Swap:
    """Show ``filepath`` in strip ``strip_name`` keeping its start, channel and length."""
    editor = compat.sequence_editor(scene)
    old = compat.all_strips(editor).get(strip_name)
    if old is None:
        raise KeyError(f"The strip '{strip_name}' is not in the Sequencer of '{scene.name}'.")
    start, length = int(old.frame_final_start), int(old.frame_final_duration)
    was_active = editor.active_strip == old
    clip = vse.import_clip(
        scene,
        name=strip_name,
        filepath=filepath,
        frame_start=start,
        provenance=provenance_data,
        replace=strip_name,
    )
    strips = compat.all_strips(editor)
    movie = strips[clip.strip_name]
    if was_active:  # the strip the user works on stays selected
        editor.active_strip = movie
        movie.select = True
    natural = int(movie.frame_final_duration)
    speed_change = 1.0
    if natural != length:
        movie.frame_offset_end = movie.frame_offset_end + (natural - length)
        if clip.speed_name:
            speed_change = natural / length
    end = start + length
    if clip.sound_name and strips.get(clip.sound_name) is not None:
        sound = strips[clip.sound_name]
        if sound.frame_final_end > end:
            sound.frame_final_end = end
    return Swap(
        clip.strip_name,
        int(movie.channel),
        int(movie.frame_final_start),
        int(movie.frame_final_duration),
        speed_change,
    )


def make_current(obj: Any, index: int, context: Any = None) -> Swap | None:
    """Make take ``index`` the shot's current take; its strip shows it in place (None: no strip yet, the
    clip was cut in at the shot's start instead)."""
    settings = obj.movie_director
    if not 0 <= index < len(settings.takes):
        raise IndexError(f"Shot '{obj.name}' has no take {index + 1}.")
    take = settings.takes[index]
    path = bpy.path.abspath(take.filepath)
    if not Path(path).is_file():
        raise FileNotFoundError(f"The file of {take.name} is missing: {take.filepath}")
    scene = scene_with_strip(obj, context)
    editor = compat.sequence_editor(scene)
    data = provenance(obj, take)
    swap = None
    if settings.strip_name and compat.all_strips(editor).get(settings.strip_name) is not None:
        swap = swap_clip(scene, settings.strip_name, path, data)
        settings.strip_name = swap.strip_name
    else:
        clip = vse.import_clip(
            scene, name=obj.name, filepath=path, frame_start=shots.shot_range(scene, obj).start,
            provenance=data,
        )  # fmt: skip
        settings.strip_name = clip.strip_name
    settings.active_take_index = index
    return swap


def step(obj: Any, delta: int, context: Any = None) -> tuple[int, Swap | None]:
    """Switch to the previous (-1) or next (+1) take; returns the new index."""
    settings = obj.movie_director
    index = min(max(settings.active_take_index, 0), len(settings.takes) - 1) + delta
    if not 0 <= index < len(settings.takes):
        raise IndexError("There is no " + ("earlier" if delta < 0 else "later") + " take.")
    return index, make_current(obj, index, context)


# --- thumbnails -----
def previews() -> Any:
    """The thumbnails' ``bpy.utils.previews`` collection, keyed by the clip's absolute path."""
    global _previews
    if _previews is None:
        import bpy.utils.previews

        _previews = bpy.utils.previews.new()
    return _previews


def release_previews() -> None:
    global _previews
    if _previews is not None:
        import bpy.utils.previews

        bpy.utils.previews.remove(_previews)
        _previews = None


def own_clip(take: Any) -> str:
    """The take's clip as an absolute path when it is one of ours: a plain file inside today's output folder.

    A take's path comes from the .blend, which may have been written by someone else: it is a hint. Only a
    file inside the output folder is shown, decoded for a thumbnail or opened; "" otherwise. A few ``stat``
    calls, no read: safe in ``poll()`` and ``draw()``.
    """
    clip = bpy.path.abspath(take.filepath)
    if not clip or not inside(clip, output_root()) or not Path(clip).is_file():
        return ""
    return clip


def why_not_open(take: Any) -> str:
    """Why Open Result refuses the take's file, in words; "" when the system's player may open it."""
    clip = bpy.path.abspath(take.filepath)
    if not Path(clip).is_file():
        return f"The clip file is missing: {clip}"
    if not inside(clip, output_root()):
        return (
            f"The clip {clip} is outside the output folder ({output_root()}): Movie Director opens only "
            "the clips it wrote there"
        )
    try:
        with open(clip, "rb") as f:
            head = f.read(64)
    except OSError as exc:
        return f"The clip {clip} cannot be read: {exc.strerror or exc}"
    if sniff_kind(head) not in VIDEO_KINDS:
        return f"{clip} is not a video: Movie Director opens only video files"
    return ""


def icon_id(take: Any) -> int:
    """The take's thumbnail (its clip's middle frame) for ``icon_value``; 0 while the clip is missing.

    The first call registers the clip as a MOVIE preview: Blender stores the path and reads nothing (tens
    of microseconds). The picture is made by Blender itself, the way its file browser makes thumbnails:
    when the icon is first drawn, a preview job decodes the clip's middle frame with Blender's FFmpeg on
    a worker thread (kept in the user's thumbnail cache, remade when the file changes) and the icon shows
    it once ready. So neither drawing nor the drain's timer renders or decodes anything (issue 14: the
    render the drain used to run in a timer crashed Blender). Scripts without a UI read
    ``previews()[path].image_pixels_float``, which makes the picture there and then.
    """
    clip = bpy.path.abspath(take.filepath)
    collection = previews()
    preview = collection.get(clip)
    if preview is None:
        # Not yet written, moved, not a plain file (a pipe would block), or not ours: a path the .blend
        # names outside the output folder is never handed to Blender's decoder.
        clip = own_clip(take)
        if not clip:
            return 0
        preview = collection.load(clip, clip, "MOVIE")
    return int(preview.icon_id)
