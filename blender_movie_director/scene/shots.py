"""Shots: which cameras are shots, where they sit on the timeline, and the frozen request each one makes.

A shot is a camera object. Its frame range comes from its own settings ("Own Frame Range"), else from the
timeline markers bound to it (from its first marker to the next camera marker), else the scene's range.
Everything the job needs is copied into a plain :class:`GenerationRequest` here, on the main thread; the
secrets travel beside it as :class:`Credentials` and are never stored.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..backend.files import safe_filename
from ..backend.jobs.request import (
    PRIORITY_BATCH,
    PRIORITY_FINAL,
    PRIORITY_PREVIEW,
    Backend,
    Credentials,
    GenerationRequest,
    Quality,
    ShotRef,
)
from ..blender import compat
from . import camera_prompt, catalogs, props
from .config import get_preferences, output_root

SEED_MAX = 2**31 - 1
PREVIEW_LONG_SIDE = 832
FINAL_LONG_SIDE = 1280

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
    return offline_reason() or backend_reason(settings.backend, prefs)


# --- output folder -----
def shot_output_dir(obj: bpy.types.Object, prefs: Any | None = None) -> str:
    # A "/" in an object name is part of the name here, not a folder.
    name = obj.name.replace("/", "_").replace("\\", "_")
    return str(Path(output_root(prefs)) / safe_filename(name, "shot"))


# --- request -----
def _even16(value: float) -> int:
    return max(64, round(value / 16.0) * 16)


def wan2gp_resolution(scene: bpy.types.Scene, choice: str, quality: str) -> str:
    """``"WxH"`` for Wan2GP: a preset (smaller for previews), or the scene's aspect at the quality's size."""
    if choice == "SCENE":
        render = scene.render
        width = render.resolution_x * render.pixel_aspect_x
        height = render.resolution_y * render.pixel_aspect_y
        target = PREVIEW_LONG_SIDE if quality == "PREVIEW" else FINAL_LONG_SIDE
        scale = min(1.0, target / max(width, height))
    else:
        from ..backend.wan2gp.catalog import RESOLUTION_PRESETS

        width, height = (int(v) for v in RESOLUTION_PRESETS[choice].split("x"))
        scale = min(1.0, PREVIEW_LONG_SIDE / max(width, height)) if quality == "PREVIEW" else 1.0
    return f"{_even16(width * scale)}x{_even16(height * scale)}"


def _aspect(text: str) -> float:
    for sep in ("*", "x", ":"):
        if sep in text:
            a, b = text.split(sep, 1)
            try:
                return float(a) / float(b)
            except (ValueError, ZeroDivisionError):
                return 0.0
    return 0.0


def _pixels(text: str) -> float:
    for sep in ("*", "x"):
        if sep in text:
            a, b = text.split(sep, 1)
            return float(a) * float(b)
    digits = "".join(c for c in text if c.isdigit())
    return float(digits) * 1000 if text.lower().endswith("k") else float(digits or 0)


def wavespeed_settings(
    model_id: str, scene: bpy.types.Scene, quality: str, seconds: float, seed: int
) -> dict[str, Any]:
    """Fields of the WaveSpeed model's schema, chosen to fit the shot (nearest allowed values)."""
    from ..backend.wavespeed.models import all_models

    spec = all_models().get(model_id)
    if spec is None:
        return {"duration": max(1, math.ceil(seconds)), "seed": seed}
    render = scene.render
    width = render.resolution_x * render.pixel_aspect_x
    aspect = width / max(1.0, render.resolution_y * render.pixel_aspect_y)
    out: dict[str, Any] = {}
    for name, field in spec.fields.items():
        if name == "duration":
            allowed = sorted(field.enum) if field.enum else None
            want = max(1, math.ceil(seconds - 1e-6))
            if allowed:
                out[name] = next((v for v in allowed if v >= want), allowed[-1])
            else:
                low = int(field.minimum or 1)
                high = int(field.maximum or want)
                out[name] = min(max(want, low), high)
        elif name == "seed":
            out[name] = seed
        elif name in ("size", "aspect_ratio") and field.enum:
            best = min(abs(_aspect(v) - aspect) for v in field.enum)
            close = [v for v in field.enum if abs(_aspect(v) - aspect) - best < 1e-6]
            close.sort(key=_pixels)
            out[name] = close[-1] if name == "size" and quality != "PREVIEW" else close[0]
        elif name == "resolution" and field.enum:
            ordered = sorted(field.enum, key=_pixels)
            if quality == "PREVIEW":
                out[name] = ordered[0]
            else:
                out[name] = "720p" if "720p" in ordered else ordered[-1]
    return out


def wan2gp_settings(
    model_id: str, scene: bpy.types.Scene, settings: Any, quality: str, seconds: float, seed: int
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resolution": wan2gp_resolution(scene, settings.resolution, quality),
        "duration": round(seconds, 3),
        "seed": seed,
    }
    if quality == "PREVIEW":
        from ..backend.wan2gp.catalog import get_model

        info = get_model(model_id)
        if info is not None and info.default_steps > 8:
            out["num_inference_steps"] = max(8, round(info.default_steps * 0.4))
    return out


def model_for_task(backend: str, model: str, with_image: bool) -> str:
    """The model to run: a start image needs an image-to-video model, so the shot's text-to-video choice
    gives way to its image-to-video sibling (WaveSpeed: same family; Wan2GP: the default pair)."""
    if not model:
        return catalogs.default_model(backend, with_image)
    if not with_image:
        return model
    if backend == "WAVESPEED":
        from ..backend.errors import ValidationError
        from ..backend.wavespeed.models import resolve_model

        try:
            return resolve_model(model, task="i2v").model_id
        except ValidationError:
            return model  # no image-to-video variant: the job says so, naming the model
    if model == catalogs.DEFAULT_MODELS[backend]["t2v"]:
        return catalogs.default_model(backend, with_image=True)
    return model


def next_seed(settings: Any) -> int:
    """The seed of the next generation: the locked one, else a new random one (kept on the shot)."""
    if settings.lock_seed:
        return int(settings.seed)
    return random.randint(0, SEED_MAX)


def credentials_for(backend: str, prefs: Any | None = None) -> Credentials:
    prefs = prefs or get_preferences()
    if backend == "WAVESPEED":
        return Credentials(api_key=prefs.effective_wavespeed_api_key())
    return Credentials(username=prefs.wan2gp_username, password=prefs.wan2gp_password)


def servers_for(backend: str, prefs: Any) -> tuple[str, ...]:
    if backend == "WAVESPEED":
        return (prefs.effective_wavespeed_base_url(),)
    return prefs.wan2gp_urls()


def build_request(
    obj: bpy.types.Object,
    quality: str = "PREVIEW",
    *,
    batch: bool = False,
    prefs: Any | None = None,
    scene: bpy.types.Scene | None = None,
    seed: int | None = None,
) -> tuple[GenerationRequest, Credentials]:
    """Snapshot shot ``obj`` into a frozen request plus the credentials to run it with."""
    prefs = prefs or get_preferences()
    scene = scene or scene_of(obj)
    settings = obj.movie_director
    quality = quality.upper()
    seconds = shot_seconds(scene, obj)
    seed = next_seed(settings) if seed is None else seed
    backend = settings.backend
    with_image = bool(settings.image_input)
    model = model_for_task(backend, props.shot_model(settings).strip(), with_image)
    inputs = {"image_start": bpy.path.abspath(settings.image_input)} if with_image else {}
    if backend == "WAVESPEED":
        extra = wavespeed_settings(model, scene, quality, seconds, seed)
    else:
        extra = wan2gp_settings(model, scene, settings, quality, seconds, seed)
    priority = PRIORITY_BATCH if batch else PRIORITY_PREVIEW if quality == "PREVIEW" else PRIORITY_FINAL
    request = GenerationRequest(
        backend=Backend(backend.lower()),
        model=model,
        # The camera's moves as words for this model (director tools, camera_prompt.py); may be switched off.
        prompt=camera_prompt.prompt_for(obj, scene, settings.prompt.strip(), model),
        negative_prompt=settings.negative_prompt.strip(),
        settings=extra,
        inputs=inputs,
        output_dir=shot_output_dir(obj, prefs),
        shot=ShotRef(scene=scene.name, shot=obj.name, strip=settings.strip_name),
        quality=Quality(quality.lower()),
        priority=priority,
        deadline_s=float(prefs.job_deadline_minutes) * 60.0,
        request_timeout_s=float(prefs.request_timeout),
        servers=servers_for(backend, prefs),
        label=f"{obj.name} · {quality.lower()}",
    )
    return request, credentials_for(backend, prefs)
