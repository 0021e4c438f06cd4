"""Wan2GP model catalog: the 217 real model ids, their display names and factory settings.

Data: ``data/model_defaults.json`` (a copy of ``shared/wan2gp/model-defaults.json``: WanGP 12.60's
``defaults/*.json`` overrides plus ``models/_settings.json``). Frame rate and frame rule come from the
family handlers of WanGP 12.60 (``models/*/..._handler.py``), reduced to the families a video client uses.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("data") / "model_defaults.json"
SETTINGS_VERSION = 2.74

_I2V_CLASS = {
    "i2v", "i2v_2_2", "i2v_2_2_multitalk", "i2v_2_2_svi2pro", "fun_inp", "fun_inp_1.3B", "flf2v_720p",
    "fantasy", "multitalk", "infinitetalk", "animate", "animate2", "chrono_edit", "scail", "scail2_14B",
    "steadydancer", "wanmove", "hunyuan_i2v", "hunyuan_1_5_i2v", "k5_lite_i2v", "k5_pro_i2v",
}  # fmt: skip
_VACE = {
    "vace_14B", "vace_14B_2_2", "vace_1.3B", "vace_multitalk_14B", "vace_standin_14B", "vace_lynx_14B",
    "vace_ditto_14B",
}  # fmt: skip
#: Architectures that take ``image_refs`` in WanGP 12.60 (``image_ref_choices``, or Kiwi's guide choices UVI;
#: models/*/..._handler.py). A model without them gets the I/K letters dropped from ``video_prompt_type``
#: (wgp.py ``fix_settings``), so its pictures are ignored. ``ONE_REF_NEEDED``: ``one_image_ref_needed``
#: (exactly one picture).
REF_ARCHITECTURES = {
    "vace_1.3B", "vace_14B", "vace_14B_2_2", "vace_multitalk_14B", "vace_standin_14B", "vace_lynx_14B",
    "phantom_1.3B", "phantom_14B", "standin", "lynx", "hunyuan_custom", "hunyuan_custom_audio",
    "hunyuan_custom_edit", "hunyuan_avatar", "i2v_2_2_svi2pro", "animate2", "bernini", "bernini_1.3B",
    "scail2_14B", "longcat_avatar", "longcat_avatar_v1_5", "ltx2_22B_msr", "minimax_h3_ref2va",
    "minimax_h3_ref2va_pruned", "kiwi_edit",
}  # fmt: skip
ONE_REF_NEEDED = {
    "standin", "lynx", "hunyuan_custom", "hunyuan_custom_audio", "hunyuan_custom_edit", "hunyuan_avatar",
    "kiwi_edit",
}  # fmt: skip
_MULTITALK = {"multitalk", "vace_multitalk_14B", "i2v_2_2_multitalk", "infinitetalk"}
_WAN_5B = {"ti2v_2_2", "lucy_edit", "kiwi_edit"}
_IMAGE_PREFIXES = ("flux", "pi_flux", "qwen_image", "z_image", "hidream", "ideogram", "krea2")
_AUDIO_PREFIXES = (
    "ace_step", "qwen3_tts", "index_tts", "chatterbox", "omnivoice", "kugelaudio", "heartmula",
    "minimax_music", "stable_audio", "dramabox_audio", "scenema_audio",
)  # fmt: skip
I2V_PROMPT = (
    "Several giant wooly mammoths approach treading through a snowy meadow, their long wooly fur lightly "
    "blows in the wind as they walk, snow covered trees and dramatic snow capped mountains in the distance, "
    "mid afternoon light with wispy clouds and a sun high in the distance creates a warm glow, the low "
    "camera view is stunning capturing the large furry mammal with beautiful photography, depth of field."
)
T2V_PROMPT = (
    "A large orange octopus is seen resting on the bottom of the ocean floor, blending in with the sandy and "
    "rocky terrain. Its tentacles are spread out around its body, and its eyes are closed."
)


@dataclass(frozen=True)
class ModelDef:
    model_type: str
    name: str
    architecture: str
    family: str  # wan, hunyuan, ltxv, ltx2, other_video, image, audio
    output: str  # video, image, audio
    fps: int
    frames_minimum: int
    frames_steps: int
    i2v: bool
    vace: bool
    takes_refs: bool = False
    one_ref_needed: bool = False


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as f:
        return json.load(f)


def model_ids() -> list[str]:
    return sorted(_data()["models"])


def _family(arch: str) -> tuple[str, str, int, int, int]:
    """(family, output kind, fps, frames_minimum, frames_steps) for an architecture."""
    if arch.startswith(_IMAGE_PREFIXES):
        return "image", "image", 1, 1, 1
    if arch.startswith(_AUDIO_PREFIXES):
        return "audio", "audio", 1, 1, 1
    if arch.startswith("ltxv"):
        return "ltxv", "video", 30, 17, 8
    if arch.startswith("ltx2") or arch.startswith("joyai"):
        return "ltx2", "video", 25 if arch.startswith("joyai") else 24, 17, 8
    if arch.startswith("hunyuan"):
        if arch in ("hunyuan_avatar", "hunyuan_custom_audio"):
            fps = 25
        elif arch in ("hunyuan", "hunyuan_i2v", "hunyuan_custom_edit", "hunyuan_custom") or "1_5" in arch:
            fps = 24
        else:
            fps = 16
        return "hunyuan", "video", fps, 5, 4
    if arch.startswith(("k5_", "minimax_h3", "magi_human", "longcat")):
        # Handlers not modelled in detail: Kandinsky 5 and MiniMax H3 use 24 fps, LongCat 15/16, Magi 25.
        fps = 25 if arch.startswith("magi") else 16 if arch.startswith("longcat") else 24
        return "other_video", "video", fps, 5, 4
    if arch == "animate":
        fps = 30
    elif arch in _MULTITALK:
        fps = 25
    elif arch == "fantasy":
        fps = 23
    elif arch in _WAN_5B:
        fps = 24
    else:
        fps = 16
    return "wan", "video", fps, (17 if arch in _VACE else 5), 4


def get_model_def(model_type: str | None) -> ModelDef | None:
    if not model_type:
        return None
    entry = _data()["models"].get(model_type)
    if entry is None:
        return None
    arch = entry.get("architecture", model_type)
    family, output, fps, fmin, fstep = _family(arch)
    return ModelDef(
        model_type=model_type,
        name=entry.get("name", model_type),
        architecture=arch,
        family=family,
        output=output,
        fps=fps,
        frames_minimum=fmin,
        frames_steps=fstep,
        i2v=arch in _I2V_CLASS,
        vace=arch in _VACE,
        takes_refs=arch in REF_ARCHITECTURES,
        one_ref_needed=arch in ONE_REF_NEEDED,
    )


def get_model_name(model_type: str) -> str:
    model = get_model_def(model_type)
    return model.name if model else model_type


def base_settings() -> dict[str, Any]:
    return copy.deepcopy(_data()["base_settings"])


def factory_settings(model_type: str) -> dict[str, Any]:
    """wgp.py ``get_factory_settings``: base settings, resolution/flow-shift rule, family rules, overrides."""
    model = get_model_def(model_type)
    if model is None:
        raise KeyError(model_type)
    settings = base_settings()
    settings.update(
        {
            "settings_version": SETTINGS_VERSION,
            "prompt": I2V_PROMPT if model.i2v else T2V_PROMPT,
            "resolution": "1280x720" if "720" in model.architecture else "832x480",
            "flow_shift": 7.0 if "720" not in model.architecture and model.i2v else 5.0,
        }
    )
    if model.family == "wan":
        settings["sample_solver"] = "unipc"
        if model.i2v:
            settings["image_prompt_type"] = "S"
    overrides = _data()["models"][model_type].get("settings")
    if overrides:
        settings.update(copy.deepcopy(overrides))
    return settings


def frame_count(model: ModelDef, requested: int) -> int:
    """Frames the model really produces for ``video_length``: at least the minimum, on the step*n+1 grid."""
    requested = max(model.frames_minimum, int(requested))
    step = model.frames_steps
    if step <= 1:
        return requested
    return max(model.frames_minimum, ((requested - 1) // step) * step + 1)


def vae_block_size(model: ModelDef) -> int:
    """Pixel grid of the model's VAE (WanGP's ``vae_block_size``; 16 unless the family handler sets it)."""
    if model.family == "ltx2":
        return 64
    if model.family == "ltxv" or model.architecture in _WAN_5B or model.architecture.startswith("scail"):
        return 32
    return 16


def fit_to_image(width: int, height: int, image_width: int, image_height: int, block: int) -> tuple[int, int]:
    """Output size of an image-to-video run at WanGP's default "fit_canvas" 0.

    The requested resolution is only a pixel budget: the start image is scaled so that its area equals
    width x height, keeping its aspect, and each side is rounded to the nearest multiple of ``block``
    (a 4:3 picture asked at 320x192 on a Wan model gives 288x208).
    """
    scale = math.sqrt((width * height) / (image_width * image_height))
    new_width = max(block, round(image_width * scale / block) * block)
    new_height = max(block, round(image_height * scale / block) * block)
    return new_width, new_height


def parse_resolution(value: Any, default: str = "832x480") -> tuple[int, int]:
    """ "WxH" → (w, h), each rounded down to an even number (yuv420p), at least 2."""
    text = str(value or default)
    try:
        w_text, h_text = text.lower().split("x", 1)
        width, height = int(w_text), int(h_text)
    except ValueError:
        w_text, h_text = default.split("x", 1)
        width, height = int(w_text), int(h_text)
    return max(2, width - width % 2), max(2, height - height % 2)
