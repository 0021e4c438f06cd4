"""The request a shot makes: its model, prompt, settings and inputs, in today's envelope.

Everything the job needs is copied into a plain :class:`GenerationRequest` here, on the main thread; the
secrets travel beside it as :class:`Credentials` and are never stored. The settings helpers
(:func:`wan2gp_settings`, :func:`wavespeed_settings`) are shared by the strip actions' requests.
"""

from __future__ import annotations

import math
import random
from typing import Any

import bpy

from ..backend.errors import ValidationError
from ..backend.jobs.request import (
    PRIORITY_BATCH,
    PRIORITY_FINAL,
    PRIORITY_PREVIEW,
    Credentials,
    GenerationRequest,
    Quality,
    ShotRef,
)
from ..scene import camera_prompt, catalogs, props, shots
from ..scene.config import get_preferences
from . import keyframes, references
from .envelope import envelope

SEED_MAX = 2**31 - 1
PREVIEW_LONG_SIDE = 832
FINAL_LONG_SIDE = 1280


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
    model_id: str, scene: bpy.types.Scene, quality: str, seconds: float, seed: int, sound: bool | None = None
) -> dict[str, Any]:
    """Fields of the WaveSpeed model's schema, chosen to fit the shot (nearest allowed values). ``sound``
    (the shot's "With Sound"): the model's sound switch, where it has one (None: the model's default)."""
    from ..backend.wavespeed.capabilities import sound_switch
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
    switch = sound_switch(spec)
    if switch and sound is not None:
        out[switch] = bool(sound)
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


def lora_settings(loras: list[tuple[str, float]]) -> dict[str, Any]:
    """WanGP's LoRA settings for ``(name, multiplier)`` pairs: ``activated_loras`` (the names) and
    ``loras_multipliers`` (one number per LoRA, space-separated, in the same order); {} without LoRAs."""
    if not loras:
        return {}
    return {
        "activated_loras": [name for name, _ in loras],
        "loras_multipliers": " ".join(f"{multiplier:g}" for _, multiplier in loras),
    }


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
    scene = scene or shots.scene_of(obj)
    settings = obj.movie_director
    quality = quality.upper()
    seconds = shots.shot_seconds(scene, obj)
    seed = next_seed(settings) if seed is None else seed
    backend = settings.backend
    with_image = bool(settings.image_input)
    model = model_for_task(backend, props.shot_model(settings).strip(), with_image)
    inputs = {"image_start": bpy.path.abspath(settings.image_input)} if with_image else {}
    if with_image and settings.image_end:  # the clip's last frame (issue 17)
        if not keyframes.takes_last_frame(backend, model):
            raise ValidationError(
                f"{model} takes no end image: clear the shot's End Image or pick a model that takes a last "
                "frame.",
                field="image_end",
            )
        inputs["image_end"] = bpy.path.abspath(settings.image_end)
    # The cast in view (issue 17): its pictures where the model takes them (checked here, before any request),
    # its descriptions after the prompt.
    cast_refs = references.for_shot(obj, backend, model, scene, with_start_image=with_image)
    inputs.update(cast_refs.inputs())
    prompt = references.with_cast(settings.prompt.strip(), cast_refs)
    if backend == "WAVESPEED":
        extra = wavespeed_settings(model, scene, quality, seconds, seed, sound=settings.with_sound)
    else:
        extra = wan2gp_settings(model, scene, settings, quality, seconds, seed)
        extra.update(lora_settings(props.shot_loras(settings)))
    priority = PRIORITY_BATCH if batch else PRIORITY_PREVIEW if quality == "PREVIEW" else PRIORITY_FINAL
    shot = ShotRef(scene=scene.name, shot=obj.name, strip=settings.strip_name)
    return envelope(backend, shot=shot, obj=obj, prefs=prefs).request(
        model=model,
        # The camera's moves as words for this model (director tools, camera_prompt.py); may be switched off.
        prompt=camera_prompt.prompt_for(obj, scene, prompt, model),
        negative_prompt=settings.negative_prompt.strip(),
        settings=extra,
        inputs=inputs,
        quality=Quality(quality.lower()),
        priority=priority,
        label=f"{obj.name} · {quality.lower()}",
    )
