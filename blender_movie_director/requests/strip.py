"""Frozen requests for the strip actions: regenerate, variations, retake, image to video, extend.

Everything is read from Blender here, on the main thread; the requests are plain data and the secrets
travel beside them (:class:`Credentials`), as for shots (see :mod:`.shot`); output folder, deadline,
timeout, servers and credentials come from :mod:`.envelope`. Each builder raises :class:`ActionError` with a
message saying what to fix. Main thread only.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import bpy

from ..backend.files import safe_filename
from ..backend.jobs.request import PRIORITY_PREVIEW, Credentials, GenerationRequest, Quality, ShotRef
from ..backend.media import sniff_kind
from ..blender import frames, vse
from ..scene import catalogs, props, shots, takes
from ..scene.config import get_preferences
from ..scene.tool_props import MAX_VARIATIONS, RETAKE_MODES
from . import shot as shot_requests
from .envelope import StoredInputError, envelope, output_dir

RETAKE_MODEL = "lightricks/ltx-2-retake"
RETAKE_MIN_S = 2.0
RETAKE_MAX_S = 16.0
I2V_MODELS = {"WAN2GP": "i2v", "WAVESPEED": "wavespeed-ai/hunyuan-video-1.5/image-to-video"}


#: What :func:`..backend.media.sniff_kind` calls a video container.
VIDEO_KINDS = frozenset({"mp4", "mov", "webm", "mkv"})


class ActionError(ValueError):
    """The action cannot run on this strip now; the message says why and how to fix it."""


@dataclass(frozen=True)
class Planned:
    request: GenerationRequest
    credentials: Credentials
    shot: str  # camera name, "" for a strip that is not a shot's


def _ready(backend: str, prefs: Any) -> None:
    reason = shots.offline_reason() or shots.backend_reason(backend, prefs)
    if reason:
        raise ActionError(reason + ".")


def _strip_file(strip: Any) -> str:
    """The strip's clip, which an action (retake, extend, finish) sends to the server; ActionError when it is
    gone or its bytes are not a video: a strip in a shared .blend may name any file on this disk."""
    path = frames.strip_filepath(strip)
    if not Path(path).is_file():
        raise ActionError(f"The strip's file is missing: {path}")
    try:
        with open(path, "rb") as file:
            kind = sniff_kind(file.read(64))
    except OSError as exc:
        raise ActionError(f"The strip's file cannot be read: {path} ({exc.strerror})") from exc
    if kind not in VIDEO_KINDS:
        raise ActionError(f"The strip's file is not a video clip, so it is not sent: {path}")
    return path


def _negative(obj: Any) -> str:
    return obj.movie_director.negative_prompt.strip() if obj else ""


def _plan(
    backend: str, strip: Any, scene: bpy.types.Scene, obj: Any, prefs: Any, *, of_shot: bool, **fields: Any
) -> Planned:
    """The request of an action on ``strip`` (preview priority) with today's preferences for ``backend``;
    ``of_shot``: its take belongs to the strip's shot ``obj`` (retake, finish), else to no shot."""
    owner = obj.name if of_shot and obj else ""
    shot = ShotRef(scene=scene.name, shot=owner, strip=strip.name)
    request, credentials = envelope(backend, shot=shot, obj=obj, prefs=prefs).request(
        priority=PRIORITY_PREVIEW, **fields
    )
    return Planned(request, credentials, owner)


def strip_prompt(strip: Any) -> str:
    """The prompt a strip was made with (its shot's prompt for a shot strip), "" for other strips."""
    obj = takes.shot_of_strip(strip)
    if obj is not None:
        return obj.movie_director.prompt.strip()
    return str(strip.get(vse.PREFIX + "prompt", "")).strip()


def stored_request(strip: Any) -> GenerationRequest | None:
    """The request the clip on ``strip`` was made from (its take's, or the one written on the strip)."""
    obj = takes.shot_of_strip(strip)
    text = ""
    if obj is not None:
        take = takes.current_take(obj)
        text = take.settings if take is not None else ""
    text = text or str(strip.get(takes.REQUEST_KEY, ""))
    if not text:
        return None
    try:
        return GenerationRequest.from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError):
        return None


def regenerate(strip: Any, scene: bpy.types.Scene, count: int = 1, prefs: Any = None) -> list[Planned]:
    """``count`` new requests with the settings of the strip's clip and new seeds."""
    prefs = prefs or get_preferences()
    if not 1 <= count <= MAX_VARIATIONS:
        raise ActionError(f"Ask for 1 to {MAX_VARIATIONS} takes at once, not {count}.")
    obj = takes.shot_of_strip(strip)
    base = stored_request(strip)
    if base is None and obj is not None:
        base, _ = shot_requests.build_request(obj, obj.movie_director.quality, prefs=prefs, scene=scene)
    if base is None:
        raise ActionError(
            f"'{strip.name}' was not made by Movie Director, so there are no settings to repeat."
        )
    backend = str(base.backend).upper()
    _ready(backend, prefs)
    seeds = random.sample(range(0, shot_requests.SEED_MAX), count)
    shot = ShotRef(scene=scene.name, shot=obj.name if obj else "", strip=strip.name)
    wrap = envelope(backend, shot=shot, obj=obj, prefs=prefs)
    planned = []
    for seed in seeds:
        settings = dict(base.settings)
        if "seed" in settings or backend == "WAN2GP":
            settings["seed"] = seed
        try:
            request, credentials = wrap.rewrap(
                base,
                picked=_picked(obj, scene),
                settings=settings,
                priority=PRIORITY_PREVIEW,
                label=f"{strip.name} · new take",
            )
        except StoredInputError as exc:
            raise ActionError(str(exc)) from exc
        planned.append(Planned(request, credentials, obj.name if obj else ""))
    return planned


def _picked(obj: Any, scene: bpy.types.Scene) -> tuple[str, ...]:
    """Files the user chose that a stored request may name: the shot's start image and the scene's cast
    pictures (chosen in the Cast panel, issue 17)."""
    if obj is None:
        return ()
    from ..scene import cast

    pictures = [p for member in cast.cast_of(scene).members for p in cast.member_pictures(member)]
    return (bpy.path.abspath(obj.movie_director.image_input), *pictures)


# --- retake -----
def retake_window(
    strip: Any, scene: bpy.types.Scene, frame_start: int, frame_end: int
) -> tuple[float, float]:
    """Seconds into the strip's file of timeline frames [frame_start, frame_end] (inclusive)."""
    if frame_end < frame_start:
        frame_start, frame_end = frame_end, frame_start
    first, last = int(strip.frame_final_start), int(strip.frame_final_end) - 1
    if frame_start < first or frame_end > last:
        raise ActionError(
            f"Mark a section inside the strip (frames {first}-{last}), not {frame_start}-{frame_end}."
        )
    start = frames.source_seconds(strip, scene, frame_start)
    end = frames.source_seconds(strip, scene, frame_end + 1)
    return round(start, 2), round(end, 2)


def retake(
    strip: Any,
    scene: bpy.types.Scene,
    frame_start: int,
    frame_end: int,
    prompt: str,
    mode: str = "replace_video",
    prefs: Any = None,
) -> Planned:
    """LTX-2 Retake (WaveSpeed) of the marked section of the strip's clip."""
    from ..backend.errors import ValidationError
    from ..backend.wavespeed.services import retake_prompt

    prefs = prefs or get_preferences()
    if strip.type != "MOVIE":
        raise ActionError("Retake works on movie strips.")
    if mode not in {m[0] for m in RETAKE_MODES}:
        raise ActionError(f"Unknown retake mode '{mode}'.")
    prompt = prompt.strip()
    if not prompt:
        raise ActionError("Describe what should happen in the section (the retake prompt is empty).")
    _ready("WAVESPEED", prefs)
    start, end = retake_window(strip, scene, frame_start, frame_end)
    length = end - start
    # One timeline frame of slack: a rate-conformed strip maps whole timeline seconds to a hair less.
    slack = scene.render.fps_base / scene.render.fps
    if not RETAKE_MIN_S - slack <= length <= RETAKE_MAX_S + slack:
        raise ActionError(
            f"The section is {length:.2f} s; LTX-2 Retake takes {RETAKE_MIN_S:g} to {RETAKE_MAX_S:g} s."
        )
    path = _strip_file(strip)
    try:
        text = retake_prompt(prompt, start, end)
    except ValidationError as exc:
        raise ActionError(exc.user_message) from exc
    return _plan(
        "WAVESPEED", strip, scene, takes.shot_of_strip(strip), prefs, of_shot=True,
        model=RETAKE_MODEL,
        prompt=text,
        settings={"mode": mode},
        inputs={"video": path},
        quality=Quality.FINAL,
        label=f"{strip.name} · retake {start:g}-{end:g} s",
    )  # fmt: skip


# --- image to video (from the frame under the playhead, or from the last frame: extend) -----
def start_image(strip: Any, scene: bpy.types.Scene, frame: int, prefs: Any) -> str:
    """The picture at timeline ``frame`` of the strip, as a file (a PNG rendered from a movie strip)."""
    if strip.type == "IMAGE":
        return frames.strip_image_at(strip, scene, frame)
    if strip.type != "MOVIE":
        raise ActionError("Image to video works on movie and image strips.")
    path = frames.strip_filepath(strip)
    if not Path(path).is_file():
        raise ActionError(f"The strip's file is missing: {path}")
    folder = Path(output_dir(None, prefs)) / "frames"
    out = folder / f"{safe_filename(strip.name, 'strip')}_{Path(path).stem}_at_{frame:05d}.png"
    return str(frames.render_strip_frame(strip, scene, frame, out))


def i2v_model(backend: str, obj: Any) -> str:
    """The shot's model if it takes a start image, else the backend's image-to-video default."""
    if obj is not None and obj.movie_director.backend == backend:
        model = props.shot_model(obj.movie_director)
        if backend == "WAN2GP":
            from ..backend.wan2gp.catalog import get_model

            info = get_model(model)
            if info is not None and str(info.task.value) in ("i2v", "ti2v", "flf2v"):
                return model
        elif "image-to-video" in model:
            return model
    return I2V_MODELS[backend]


def image_to_video(
    strip: Any,
    scene: bpy.types.Scene,
    frame: int,
    *,
    backend: str,
    prompt: str,
    seconds: float,
    quality: str = "PREVIEW",
    prefs: Any = None,
    image: str = "",
) -> Planned:
    """A clip that starts on the picture at timeline ``frame`` of ``strip``."""
    prefs = prefs or get_preferences()
    if not int(strip.frame_final_start) <= frame < int(strip.frame_final_end):
        raise ActionError(
            f"Put the playhead over the strip (frames {int(strip.frame_final_start)}-"
            f"{int(strip.frame_final_end) - 1}); it is at {frame}."
        )
    prompt = prompt.strip()
    if not prompt:
        raise ActionError("Describe what happens next (the prompt is empty).")
    if seconds <= 0:
        raise ActionError("The clip needs a length in seconds.")
    _ready(backend, prefs)
    obj = takes.shot_of_strip(strip)
    model = i2v_model(backend, obj)
    image = image or start_image(strip, scene, frame, prefs)
    seed = random.randint(0, shot_requests.SEED_MAX)
    quality = quality.upper()
    if backend == "WAVESPEED":
        sound = obj.movie_director.with_sound if obj is not None else None
        settings = shot_requests.wavespeed_settings(model, scene, quality, seconds, seed, sound=sound)
    else:
        look = SimpleNamespace(resolution=obj.movie_director.resolution if obj else "SCENE")
        settings = shot_requests.wan2gp_settings(model, scene, look, quality, seconds, seed)
    return _plan(
        backend, strip, scene, obj, prefs, of_shot=False,
        model=model,
        prompt=prompt,
        negative_prompt=_negative(obj),
        settings=settings,
        inputs={"image_start": image},
        quality=Quality(quality.lower()),
        label=f"{strip.name} · from frame {frame}",
    )  # fmt: skip


# --- extend with the service's own endpoint (Veo 3.1 Fast, Kling 4.0: issue 18) -----
def source_model(strip: Any) -> str:
    """The WaveSpeed model the strip's clip was made with ("" when unknown or not a WaveSpeed clip)."""
    base = stored_request(strip)
    if base is not None:
        return base.model if str(base.backend).upper() == "WAVESPEED" else ""
    if str(strip.get(vse.PREFIX + "backend", "")).upper() == "WAVESPEED":
        return str(strip.get(vse.PREFIX + "model", ""))
    return ""


def extend_endpoint(strip: Any) -> str:
    """The service's own extend endpoint for the strip's clip; "" when its model has none (then Extend makes
    an image-to-video clip from the strip's last frame)."""
    model = source_model(strip) if strip is not None and strip.type == "MOVIE" else ""
    if not model:
        return ""
    from ..backend.wavespeed.capabilities import extend_model

    spec = extend_model(model)
    return spec.model_id if spec is not None else ""


@dataclass(frozen=True)
class Extension:
    planned: Planned
    skip_seconds: float  # the endpoint returns the input clip too: the new strip starts this far in


def extend_clip(
    strip: Any,
    scene: bpy.types.Scene,
    *,
    prompt: str,
    seconds: float,
    quality: str = "PREVIEW",
    prefs: Any = None,
) -> Extension:
    """The strip's clip sent to its model's extend endpoint (WaveSpeed), which returns the clip and its
    continuation as one file."""
    prefs = prefs or get_preferences()
    endpoint = extend_endpoint(strip)
    if not endpoint:
        raise ActionError(f"The model of '{strip.name}' has no extend endpoint.")
    prompt = prompt.strip()
    if not prompt:
        raise ActionError("Describe what happens next (the prompt is empty).")
    _ready("WAVESPEED", prefs)
    path = _strip_file(strip)
    from ..backend.media import probe_video

    clip_seconds = probe_video(path).duration
    obj = takes.shot_of_strip(strip)
    sound = obj.movie_director.with_sound if obj is not None else None
    seed = random.randint(0, shot_requests.SEED_MAX)
    quality = quality.upper()
    settings = shot_requests.wavespeed_settings(endpoint, scene, quality, seconds, seed, sound=sound)
    planned = _plan(
        "WAVESPEED", strip, scene, obj, prefs, of_shot=False,
        model=endpoint,
        prompt=prompt,
        negative_prompt=_negative(obj),
        settings=settings,
        inputs={"video": path},
        quality=Quality(quality.lower()),
        label=f"{strip.name} · extend",
    )  # fmt: skip
    return Extension(planned, clip_seconds)


def default_backend(strip: Any) -> str:
    obj = takes.shot_of_strip(strip)
    if obj is not None:
        return obj.movie_director.backend
    made = str(strip.get(vse.PREFIX + "backend", "")).upper()
    return made if made in catalogs.BACKEND_LABELS else "WAN2GP"


def model_label(backend: str, model: str) -> str:
    return catalogs.model_label(backend, model)


# --- finish (WanGP's postprocessing of the clip: upscale, frame interpolation…; issue 16) -----
def check_finish(process: str, parameters: Mapping[str, Any], processes: list[Any] | None) -> None:
    """Refuse a process or parameter the server did not offer for this kind of clip (``processes``: its
    discovery answer; None when not known yet: then the server judges). Raises :class:`ActionError`."""
    if processes is None:
        return
    offered = {str(p.get("id")): p for p in processes if isinstance(p, Mapping)}
    if process not in offered:
        names = ", ".join(f"{pid} ({p.get('label', pid)})" for pid, p in offered.items()) or "none"
        raise ActionError(f"The Wan2GP server offers no '{process}' for video clips. It offers: {names}.")
    declared = offered[process].get("parameters") or ()
    fields = {str(f.get("name")): f for f in declared if isinstance(f, Mapping)}
    for name in parameters:
        if name not in fields:
            raise ActionError(f"'{process}' takes no '{name}' (it takes: {', '.join(fields) or 'nothing'}).")
    for name, field in fields.items():
        if name not in parameters:
            if field.get("required"):
                raise ActionError(f"'{process}' needs a value for '{name}'.")
            continue
        allowed = field.get("enum")
        if isinstance(allowed, list) and allowed and parameters[name] not in allowed:
            choices = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in allowed)
            raise ActionError(f"'{name}' of '{process}' must be one of: {choices}.")


def finish(
    strip: Any,
    scene: bpy.types.Scene,
    process: str,
    parameters: dict[str, Any] | None = None,
    *,
    processes: list[Any] | None = None,
    prefs: Any = None,
) -> Planned:
    """WanGP's ``process`` (with ``parameters``) applied to the strip's clip on the Wan2GP MCP server; the
    result is a new take of the strip's shot (or the strip's new clip). ``processes``: what the server
    offered for video clips, when known."""
    prefs = prefs or get_preferences()
    parameters = dict(parameters or {})
    if strip.type != "MOVIE":
        raise ActionError("Finish works on movie strips.")
    process = process.strip()
    if not process:
        raise ActionError("Choose what to do to the clip (upscale, frame interpolation…).")
    _ready("WAN2GP", prefs)
    reason = finish_refusal(prefs)
    if reason:
        raise ActionError(reason)
    check_finish(process, parameters, processes)
    path = _strip_file(strip)
    base = stored_request(strip)
    made_here = base is not None and str(base.backend) == "wan2gp"
    return _plan(
        "WAN2GP", strip, scene, takes.shot_of_strip(strip), prefs, of_shot=True,
        model=base.model if made_here and base is not None else "",
        prompt=strip_prompt(strip),
        settings={"postprocess": {"process": process, "parameters": parameters}},
        inputs={"video": path},
        quality=base.quality if base is not None else Quality.FINAL,
        label=f"{strip.name} · finish ({process})",
    )  # fmt: skip


def finish_refusal(prefs: Any) -> str:
    """Why Finish cannot run with today's preferences, known without asking a server ("" when it may)."""
    if str(getattr(prefs, "wan2gp_transport", "AUTO")) == "WEB_UI":
        return (
            "Finish needs WanGP's MCP server (wgp.py --mcp): the Wan2GP transport in the preferences is "
            "Web UI, which offers no postprocessing to other programs."
        )
    return ""
