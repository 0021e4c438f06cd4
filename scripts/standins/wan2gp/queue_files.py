"""Queue and settings files: parse ``.json`` / ``.zip`` uploads into runtime tasks, as wgp.py does.

Follows ``_parse_settings_json``, ``_parse_queue_zip_tasks``, ``_parse_task_manifest``,
``_extract_model_type``, ``clean_settings`` and a subset of ``validate_settings`` of WanGP 12.60.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from . import catalog
from .session import Globals

log = logging.getLogger("wan2gp_standin")

ATTACHMENT_KEYS = [
    "image_start", "image_end", "image_refs", "image_guide", "image_mask", "video_guide", "video_guide2",
    "video_mask", "video_source", "audio_guide", "audio_guide2", "audio_source", "replace_voice_sample",
    "replace_voice_sample2", "custom_guide",
]  # fmt: skip
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def _extract_model_type(params: dict[str, Any]) -> tuple[str | None, str | None]:
    base_model_type = params.get("base_model_type")
    model_type = original = params.get("model_type", base_model_type)
    if model_type is not None and catalog.get_model_def(model_type) is None:
        model_type = base_model_type
    if model_type is None:
        return None, "Settings must contain 'model_type'"
    params["model_type"] = model_type
    if catalog.get_model_def(model_type) is None:
        return None, f"Unknown model type: {original}"
    return model_type, None


def _load_attachments(params: dict[str, Any], base: Path, cache_dir: Path | None, prefix: str) -> None:
    for key in ATTACHMENT_KEYS:
        value = params.get(key)
        if value is None:
            continue
        is_list = isinstance(value, list)
        loaded: list[Any] = []
        for name in value if is_list else [value]:
            if not isinstance(name, str) or not name.strip():
                log.info("%s Warning: Invalid filename for key '%s'. Skipping.", prefix, key)
                continue
            source = Path(name) if Path(name).is_absolute() else base / name
            if not source.exists():
                log.info("%s Warning: File not found for '%s': %s", prefix, key, source)
                continue
            final = source
            if cache_dir is not None:
                final = cache_dir / Path(name).name
                shutil.copy2(source, final)
            if final.suffix.lower() in IMAGE_EXTENSIONS:
                with Image.open(final) as img:
                    loaded.append(img.copy())
                log.info("%s Loaded image: %s", prefix, final)
            else:
                loaded.append(str(final))
                log.info("%s Using path: %s", prefix, final)
        if loaded:
            params[key] = loaded if (key == "image_refs" or is_list) else loaded[0]
        else:
            params.pop(key, None)


def _has_path_attachments(params: dict[str, Any]) -> bool:
    for key in ATTACHMENT_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return True
        if isinstance(value, list | tuple) and any(isinstance(v, str) and v.strip() for v in value):
            return True
    return False


def clean_settings(model_type: str, params: dict[str, Any]) -> None:
    merged = catalog.factory_settings(model_type)
    merged.update({k: v for k, v in params.items() if v is not None or k not in merged})
    params.clear()
    params.update(merged)
    model = catalog.get_model_def(model_type)
    if model is not None and not model.takes_refs:
        # wgp.py fix_settings: a model without image_ref_choices loses the I/K letters, so validate_settings
        # drops its image_refs without a word (WanGP ignores pictures such a model cannot use).
        letters = str(params.get("video_prompt_type") or "")
        params["video_prompt_type"] = "".join(c for c in letters if c not in "IK")
    params.setdefault("client_id", "")
    params.setdefault("mode", "")
    for meta_key in ("type", "base_model_type"):
        params.pop(meta_key, None)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, list) and len(value) == 0)


def validate_settings(model_type: str, inputs: dict[str, Any]) -> str:
    """The media checks of wgp.py's validate_settings that a client can trip; "" when valid."""
    model = catalog.get_model_def(model_type)
    assert model is not None
    image_prompt_type = str(inputs.get("image_prompt_type") or "")
    video_prompt_type = str(inputs.get("video_prompt_type") or "")
    if "V" in video_prompt_type:
        if _empty(inputs.get("video_guide")):
            return "You must provide a Control Video"
        if "A" in video_prompt_type and "U" not in video_prompt_type and _empty(inputs.get("video_mask")):
            return "You must provide a Video Mask"
    if "S" in image_prompt_type and _empty(inputs.get("image_start")):
        return "You must provide a Start Image"
    if "E" in image_prompt_type and _empty(inputs.get("image_end")):
        return "You must provide an End Image"
    if "V" in image_prompt_type and _empty(inputs.get("video_source")):
        return "You must provide a Source Video file to continue"
    return _validate_refs(model, video_prompt_type, inputs)


def _validate_refs(model: catalog.ModelDef, video_prompt_type: str, inputs: dict[str, Any]) -> str:
    """wgp.py validate_settings on image_refs (its words): one picture where the model needs exactly one,
    at least one when "I" asks for them, and none kept without "I"."""
    refs = inputs.get("image_refs")
    if model.one_ref_needed:
        if _empty(refs):
            return "You must provide an Image Reference"
        if len(refs) > 1:
            return "Only one Image Reference (a person) is supported for the moment by this model"
    if "I" in video_prompt_type:
        if _empty(refs):
            return "You must provide at least one Reference Image"
        if not all(isinstance(r, Image.Image) for r in refs):
            return "A Reference Image should be an Image"
    else:
        inputs["image_refs"] = None
    return ""


def validate_task(task: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    params = task.get("params", {})
    model_type = params.get("model_type")
    if not model_type:
        return None, "No model_type specified"
    inputs = dict(params)
    clean_settings(model_type, inputs)
    inputs.setdefault("mode", "")
    error = validate_settings(model_type, inputs)
    if error:
        return None, error
    return inputs, ""


def build_runtime_task(task_id: int, params: dict[str, Any], plugin_data: dict[str, Any] | None) -> dict:
    return {
        "id": task_id,
        "params": params,
        "plugin_data": plugin_data or {},
        "repeats": params.get("repeat_generation", 1),
        "length": params.get("video_length"),
        "steps": params.get("num_inference_steps"),
        "prompt": params.get("prompt"),
        "start_image_data": params.get("image_start") or params.get("image_refs"),
        "end_image_data": params.get("image_end"),
    }


def parse_task_manifest(
    manifest: list[Any], base: Path | None, cache_dir: Path | None, prefix: str
) -> tuple[list[dict[str, Any]], str | None]:
    queue: list[dict[str, Any]] = []
    first_error: str | None = None
    for index, task_data in enumerate(manifest):
        if not isinstance(task_data, dict):
            first_error = first_error or f"Invalid task data at index {index}"
            log.info("%s Skipping invalid task data at index %s", prefix, index)
            continue
        params = task_data.get("params", {})
        loaded_id = task_data.get("id", Globals.task_id + 1)
        model_type, error = _extract_model_type(params)
        if error:
            first_error = first_error or error
            log.info("%s %s for task #%s. Skipping.", prefix, error, loaded_id)
            continue
        if base is not None and (cache_dir is not None or _has_path_attachments(params)):
            _load_attachments(params, base, cache_dir, prefix)
        params, error = validate_task(task_data)
        if error or params is None:
            first_error = first_error or error
            log.info("%s %s for task #%s. Skipping.", prefix, error, loaded_id)
            continue
        queue.append(build_runtime_task(loaded_id, params, task_data.get("plugin_data", {})))
        log.info(
            "%s Task %s/%s ready, ID: %s, model: %s", prefix, index + 1, len(manifest), loaded_id, model_type
        )
    if queue:
        current_max = max([t["id"] for t in queue if isinstance(t.get("id"), int)] + [0])
        if current_max >= Globals.task_id:
            Globals.task_id = current_max + 1
    return queue, None if queue else first_error or "No valid task could be unpacked."


def parse_settings_json(filename: Path) -> tuple[list[dict[str, Any]] | None, str | None]:
    try:
        log.info("[load_settings] Loading settings from: %s", filename)
        with open(filename, encoding="utf-8") as f:
            params = json.load(f)
        if isinstance(params, list):
            if all(isinstance(item, dict) and "params" in item for item in params):
                manifest = params
            else:
                manifest = []
                for item in params:
                    if not isinstance(item, dict):
                        continue
                    Globals.task_id += 1
                    manifest.append({"id": Globals.task_id, "params": item, "plugin_data": {}})
        elif isinstance(params, dict):
            Globals.task_id += 1
            manifest = [{"id": Globals.task_id, "params": params, "plugin_data": {}}]
        else:
            return None, "Settings file must contain a JSON object or a list of tasks"
        # Real: relative media paths resolve in the WanGP folder; the stand-in's equivalent is its cwd.
        return parse_task_manifest(manifest, Path.cwd(), None, "[load_settings]")
    except json.JSONDecodeError as e:
        return None, f"Invalid JSON: {e}"
    except Exception as e:
        log.exception("settings parse failed")
        return None, str(e)


def parse_queue_zip(filename: Path, outputs: Path) -> tuple[list[dict[str, Any]] | None, str | None]:
    cache_dir = outputs / "_loaded_queue_cache"
    prefix = "[load_queue]"
    try:
        log.info("%s Attempting to load queue from: %s", prefix, filename)
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            with zipfile.ZipFile(filename, "r") as zf:
                if "queue.json" not in zf.namelist():
                    return None, "queue.json not found in zip file"
                log.info("%s Extracting to temp directory...", prefix)
                zf.extractall(tmp)
            with open(Path(tmp) / "queue.json", encoding="utf-8") as f:
                manifest = json.load(f)
            log.info("%s Loaded manifest with %s tasks.", prefix, len(manifest))
            return parse_task_manifest(manifest, Path(tmp), cache_dir, prefix)
    except Exception as e:
        log.exception("queue zip parse failed")
        return None, str(e)
