"""Model discovery answers of the MCP stand-in: records, metadata, schemas, defaults, availability, LoRAs.

Built on the web-UI stand-in's catalog (``standins.wan2gp.catalog``: the 217 model ids of WanGP 12.60, their
names, descriptions and factory settings). The 51 records and 4 schema summaries the capture of the real
12.60 showed are served as captured (``data/captured_models.json``); the other models get a record derived
from their catalog family (a Wan t2v model looks like ``t2v_1.3B``, an i2v one like ``i2v``, ...).

Availability is the stand-in's own choice (``Options.available``): the real server reports which weights it
has on disk; the stand-in says 'available' for a configurable set and 'missing' (black square, as captured)
for the rest. The 'available' status words are not in the capture (no model had weights there).

Threading: everything here is pure and read-only after import (lru_cache'd data); safe from any thread.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from standins.wan2gp import catalog

DATA_FILE = Path(__file__).with_name("data") / "captured_models.json"
LIST_LIMIT = 10  # the real server clamps list/search pages to 10 records
DEFAULT_AVAILABLE = ("t2v_1.3B", "t2v", "i2v", "vace_1.3B", "ltx2_22B_distilled")
MISSING = {"status": "missing", "status_code": 0, "indicator": "black_square", "available": False}
# Not captured (no model had weights there): the stand-in's words for a model whose files are present.
PRESENT = {"status": "available", "status_code": 2, "indicator": "green_square", "available": True}


@dataclass(frozen=True)
class Lora:
    """A synthetic LoRA file the stand-in pretends to have for a model."""

    model_type: str
    name: str


@dataclass
class Options:
    """What the stand-in's server 'has': models with weights, LoRA files (the --available/--loras knobs)."""

    available: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_AVAILABLE))
    loras: tuple[Lora, ...] = ()


@lru_cache(maxsize=1)
def _captured() -> dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as f:
        return json.load(f)


def model_types() -> list[str]:
    return catalog.model_ids()


def exists(model_type: str) -> bool:
    return catalog.get_model_def(model_type) is not None


def _family(model: catalog.ModelDef) -> tuple[str, str]:
    arch = model.architecture
    if model.family == "wan":
        wan22 = "2_2" in arch or arch in ("animate", "animate2", "lucy_edit", "kiwi_edit")
        return ("wan2_2", "Wan2.2") if wan22 else ("wan", "Wan2.1")
    if model.family == "hunyuan":
        return ("hunyuan_1_5", "Hunyuan Video 1.5") if "1_5" in arch else ("hunyuan", "Hunyuan Video")
    if model.family == "ltx2":
        return "ltx2", "LTX-2"
    if model.family == "ltxv":
        return "ltxv", "LTX Video"
    prefix = arch.split("_")[0]
    return prefix, prefix.capitalize()


def _template_id(model: catalog.ModelDef) -> str:
    """A captured model of the same kind, whose shape a record the capture did not list takes."""
    if model.output == "audio":
        return "chatterbox"
    if model.output == "image":
        return "flux"
    if model.vace:
        return "vace_1.3B"
    if model.family == "ltx2":
        return "ltx2_22B_distilled"
    return "i2v" if model.i2v else "t2v_1.3B"


def _captured_record(model_type: str) -> dict[str, Any] | None:
    cap = _captured()
    return cap["records"].get(model_type) or cap["schema_metadata"].get(model_type)


_RECORD_KEYS = (
    "model_type",
    "family",
    "family_label",
    "base_model_type",
    "finetune",
    "main_output",
    "outputs",
    "inputs",
    "media_inputs",
    "capabilities",
)


def record(model_type: str) -> dict[str, Any] | None:
    """The compact record of ``wangp_list_models`` (without availability), or None for an unknown id."""
    model = catalog.get_model_def(model_type)
    if model is None:
        return None
    captured = _captured_record(model_type)
    if captured is not None:
        out = {k: copy.deepcopy(captured[k]) for k in _RECORD_KEYS if k in captured}
        out["name"] = captured.get("name", model.name)
        return out
    template = _captured_record(_template_id(model))
    assert template is not None
    family, label = _family(model)
    out = {k: copy.deepcopy(template[k]) for k in _RECORD_KEYS}
    out.update(model_type=model_type, family=family, family_label=label, base_model_type=model.architecture)
    out["name"] = model.name
    image = out.get("media_inputs", {}).get("image")
    if isinstance(image, dict):  # WanGP's infer_media_inputs: image_ref_choices, one_image_ref_needed (#17)
        refs, one = model.takes_refs, model.takes_refs and model.one_ref_needed
        image.update(reference=refs, single_reference=one, multiple_references=refs and not one)
    return out


def availability(model_type: str, options: Options) -> dict[str, Any]:
    return {"model_type": model_type, **(PRESENT if model_type in options.available else MISSING)}


def metadata(model_type: str, options: Options, include_availability: bool = False) -> dict[str, Any] | None:
    """``wangp_get_model_metadata``: the record plus ``setting_values`` (optionally availability)."""
    rec = record(model_type)
    if rec is None:
        return None
    model = catalog.get_model_def(model_type)
    assert model is not None
    values = _captured()["setting_values"]
    out = {k: rec[k] for k in _RECORD_KEYS}
    out["setting_values"] = copy.deepcopy(values.get(model_type) or values.get(_template_id(model)) or {})
    out["name"] = rec["name"]
    if include_availability:
        out["availability"] = availability(model_type, options)
    return out


def _frames_maximum(model: catalog.ModelDef, sliding: bool) -> int:
    if sliding:
        return 737 if model.family != "ltx2" else 1441
    return 97 if model.family == "wan" else 257


def schema(model_type: str) -> dict[str, Any] | None:
    """``wangp_get_model_schema``: ``{"metadata": {...}}`` with fps and frame limits, or None."""
    captured = _captured()["schema_metadata"].get(model_type)
    if captured is not None:
        return {"metadata": copy.deepcopy(captured)}
    rec = record(model_type)
    model = catalog.get_model_def(model_type)
    if rec is None or model is None:
        return None
    sliding = bool(rec["capabilities"].get("sliding_window"))
    meta = {k: rec[k] for k in _RECORD_KEYS}
    meta.update(
        name=rec["name"],
        description=_description(model_type),
        fps=model.fps,
        frames_minimum=model.frames_minimum,
        frames_steps=model.frames_steps,
        infos="",
        prompt_infos="",
        sliding_window=sliding,
        frames_maximum=_frames_maximum(model, sliding),
    )
    return {"metadata": meta}


def _description(model_type: str) -> str:
    entry = catalog._data()["models"].get(model_type, {})  # the catalog keeps descriptions in its data only
    return str(entry.get("description") or "")


def model_definition(model_type: str) -> dict[str, Any] | None:
    """``wangp_get_model``: a reduced model definition (the stand-in has no weights URLs or handler flags)."""
    model = catalog.get_model_def(model_type)
    if model is None:
        return None
    sliding = bool((record(model_type) or {}).get("capabilities", {}).get("sliding_window"))
    return {
        "vae_block_size": catalog.vae_block_size(model),
        "group": _family(model)[0],
        "fps": model.fps,
        "frames_minimum": model.frames_minimum,
        "frames_steps": model.frames_steps,
        "sliding_window": sliding,
        "name": model.name,
        "architecture": model.architecture,
        "description": _description(model_type),
        "URLs": [],
        "path": f"defaults/{model_type}.json",
        "metadata": record(model_type),
        "model_type": model_type,
    }


# The fields wangp_get_default_settings keeps (as captured for t2v_1.3B and i2v), in that order; the
# sliding-window ones only for models that have sliding windows, empty optional ones dropped.
_DEFAULT_KEYS = (
    "prompt",
    "image_mode",
    "image_prompt_type",
    "resolution",
    "video_length",
    "duration_seconds",
    "num_inference_steps",
    "seed",
    "guidance_phases",
    "guidance_scale",
    "sample_solver",
    "flow_shift",
    "repeat_generation",
    "multi_prompts_gen_type",
    "motion_amplitude",
    "sliding_window_size",
    "sliding_window_overlap",
    "sliding_window_color_correction_strength",
    "sliding_window_discard_last_frames",
    "sliding_window_trim_first_frames",
    "RIFLEx_setting",
)
_OPTIONAL = ("image_prompt_type", "duration_seconds", "sample_solver")
_SLIDING = ("motion_amplitude", "sliding_window_")


def generation_settings(model_type: str) -> dict[str, Any]:
    """Every factory setting of a model (what a generation starts from before the task's own values)."""
    return catalog.factory_settings(model_type)


def default_settings(model_type: str) -> dict[str, Any]:
    """``wangp_get_default_settings``: the relevant factory settings; ValueError for an unknown id."""
    rec = record(model_type)
    if rec is None:
        raise ValueError(f"Unknown model_type: {model_type}")
    factory = catalog.factory_settings(model_type)
    overrides = catalog._data()["models"][model_type].get("settings") or {}
    sliding = bool(rec["capabilities"].get("sliding_window"))
    out: dict[str, Any] = {}
    for key in _DEFAULT_KEYS:
        if key not in factory or (key in _OPTIONAL and not factory[key] and key not in overrides):
            continue
        if key.startswith(_SLIDING) and not sliding:
            continue
        out[key] = copy.deepcopy(factory[key])
    for key, value in overrides.items():
        if key not in ("activated_loras", "loras_multipliers"):
            out.setdefault(key, copy.deepcopy(value))
    out["model_type"] = model_type
    return out


def list_loras(model_type: str, options: Options) -> dict[str, Any]:
    """``wangp_list_loras``: ``{model_type, supported, loras, count}``; raises for an unknown id."""
    rec = record(model_type)
    if rec is None:
        raise ValueError(f"Unknown model_type: {model_type}")
    supported = bool(rec["capabilities"].get("lora"))
    names = [lora.name for lora in options.loras if lora.model_type == model_type] if supported else []
    return {"model_type": model_type, "supported": supported, "loras": names, "count": len(names)}


def _glob(value: Any, pattern: str | None) -> bool:
    if pattern is None:
        return True
    values = value if isinstance(value, list) else [value]
    pat = pattern.lower()
    for item in values:
        text = str(item).lower()
        if fnmatch.fnmatchcase(text, pat) or (not any(c in pat for c in "*?") and text == pat):
            return True
    return False


def _matches_query(rec: dict[str, Any], query: str) -> bool:
    q = query.lower()
    hay = (rec["name"], rec["model_type"], rec["family"], rec["family_label"], rec["base_model_type"])
    return any(q in str(h).lower() for h in hay) or q in _description(rec["model_type"]).lower()


def filtered(filters: dict[str, str | None], query: str | None = None) -> list[dict[str, Any]]:
    """Records (in model-id order) matching the glob filters and a substring query."""
    out = []
    for model_type in model_types():
        rec = record(model_type)
        if rec is None:
            continue
        if query and not _matches_query(rec, query):
            continue
        if all(_glob(rec.get(key), pattern) for key, pattern in filters.items()):
            out.append(rec)
    return out


def page(items: list[Any], limit: int, offset: int, cap: int = LIST_LIMIT) -> list[Any]:
    limit = max(0, min(int(limit), cap))
    offset = max(0, int(offset))
    return items[offset : offset + limit]
