"""Fake ``generate_media``: 'loads' the model, runs timed denoising steps and writes a real file.

Messages go back to ``process_tasks`` through ``send_cmd`` exactly like wgp.py's worker thread
("status", "progress", "output", "error", "info"). The picture comes from ``videogen`` so tests can
check it; see docs/standins/wan2gp.md.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import time
import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .. import videogen  # scripts/standins/videogen.py, shared with the WaveSpeed stand-in
from . import catalog
from .knobs import LOAD_FAILURE_MESSAGE, current
from .session import (
    Globals,
    begin_load,
    end_load,
    format_time,
    get_gen_info,
    get_latest_status,
    lock,
    merge_status_context,
)

log = logging.getLogger("wan2gp_standin")
SendCmd = Callable[..., None]


def sanitize_file_name(name: str, rep: str = "") -> str:
    for ch in '/\\*:|?<>"\n\r':
        name = name.replace(ch, rep)
    return name


def truncate_for_filesystem(s: str, max_bytes: int = 100) -> str:
    if len(s.encode("utf-8")) <= max_bytes:
        return s
    lo, hi = 0, len(s)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(s[:mid].encode("utf-8")) <= max_bytes:
            lo = mid
        else:
            hi = mid - 1
    return s[:lo]


def output_name(params: dict[str, Any], seed: int, extension: str) -> str:
    custom = str(params.get("output_filename") or "")
    if custom:
        stem = sanitize_file_name(truncate_for_filesystem(Path(custom).stem)).strip()
        return f"{stem}.{extension}"
    time_flag = datetime.fromtimestamp(time.time()).strftime("%Y-%m-%d-%Hh%Mm%Ss")
    prompt = str(params.get("prompt") or "").split("\n")[0]
    return f"{time_flag}_seed{seed}_{sanitize_file_name(truncate_for_filesystem(prompt)).strip()}.{extension}"


def make_callback(state: dict[str, Any], send_cmd: SendCmd, status: str, steps: int) -> Callable[..., None]:
    """wgp.py's build_callback, reduced to what a client can observe: the progress tuple and text."""
    gen = get_gen_info(state)
    start = time.time()
    denoise_start: float | None = None
    estimate: float | None = None

    def callback(step_idx: int = -1, force_refresh: bool = True) -> None:
        nonlocal denoise_start, estimate
        now = time.time()
        if force_refresh and step_idx < 0:
            denoise_start, estimate = now, None
        completed = step_idx >= 0
        step_idx += 1
        if gen.get("abort", False):
            phase = "Aborting"
        elif step_idx == steps:
            phase = "VAE Decoding"
        else:
            phase = "Denoising"
        gen["progress_phase"] = (phase, step_idx)
        elapsed = now - start
        text = format_time(elapsed)
        if completed and step_idx > 0 and steps > 0 and denoise_start is not None:
            spent = now - denoise_start
            estimate = denoise_start - start + max(spent, spent * steps / step_idx)
        if estimate is not None:
            text += f" / {format_time(max(elapsed, estimate))}"
        send_cmd("progress", [(step_idx, steps), merge_status_context(status, f"{phase} | {text}"), steps])

    return callback


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _image_size(image: Any) -> tuple[int, int]:
    if isinstance(image, Image.Image):
        return image.size
    with Image.open(image) as opened:
        return opened.size


def _write_output(
    path: Path, model: catalog.ModelDef, params: dict[str, Any], seed: int, frames: int
) -> None:
    width, height = catalog.parse_resolution(params.get("resolution"))
    prompt = str(params.get("prompt") or "")
    video_prompt_type = str(params.get("video_prompt_type") or "")
    image_prompt_type = str(params.get("image_prompt_type") or "")
    guide = _first(params.get("video_guide"))
    start = _first(params.get("image_start"))
    # The reference pictures WanGP kept (validate_settings dropped them without "I"), drawn as tiles.
    refs = list(params.get("image_refs") or []) if "I" in video_prompt_type else []
    fps = model.fps
    if "V" in video_prompt_type and guide is not None:
        if str(params.get("force_fps") or "") in ("auto", "control"):
            fps = videogen.probe(guide).fps or fps
        videogen.control_video(
            path,
            control_video=guide,
            prompt=prompt,
            seed=seed,
            width=width,
            height=height,
            fps=fps,
            refs=refs,
        )
    elif "S" in image_prompt_type and start is not None:
        end = _first(params.get("image_end")) if "E" in image_prompt_type else None
        # Like WanGP, the requested resolution is a budget the start image's aspect is fitted into.
        width, height = catalog.fit_to_image(
            width, height, *_image_size(start), catalog.vae_block_size(model)
        )
        videogen.image_video(
            path,
            start_image=start,
            end_image=end,
            prompt=prompt,
            seed=seed,
            width=width,
            height=height,
            frames=frames,
            fps=fps,
            refs=refs,
        )
    else:
        videogen.text_video(
            path,
            prompt=prompt,
            seed=seed,
            width=width,
            height=height,
            frames=frames,
            fps=fps,
            audio=model.family == "ltx2",
            refs=refs,
        )


def _write_image(path: Path, params: dict[str, Any], seed: int) -> None:
    width, height = catalog.parse_resolution(params.get("resolution"))
    tmp = path.with_suffix(".tmp.mp4")
    videogen.text_video(
        tmp, prompt=str(params.get("prompt") or ""), seed=seed, width=width, height=height, frames=1, fps=1
    )
    Image.fromarray(videogen.read_frame(tmp, 0)).save(path, format="JPEG", quality=95)
    tmp.unlink(missing_ok=True)


def _write_audio(path: Path, params: dict[str, Any], seed: int) -> None:
    seconds = float(params.get("duration_seconds") or 0) or 5.0
    t = np.arange(int(seconds * 24000)) / 24000.0
    tone = (0.2 * np.sin(2 * np.pi * (220 + seed % 200) * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(tone.tobytes())


def generate_media(task: dict[str, Any], send_cmd: SendCmd, state: dict[str, Any]) -> bool:
    """One task. Raises on failure (the worker turns that into an "error" message)."""
    knobs = current()
    params = task["params"]
    gen = get_gen_info(state)
    model_type = params["model_type"]
    model = catalog.get_model_def(model_type)
    if model is None:
        raise RuntimeError(f"Unknown model type: {model_type}")
    if Globals.loaded_model != model_type:
        Globals.loaded_model = None
        send_cmd("status", f"Loading model {model.name}...")
        # Like the real load: an abort or clear is not handled until it ends (handlers wait, see session.py).
        begin_load(gen)
        time.sleep(knobs.load_seconds)
        if knobs.fail_load:
            raise RuntimeError(LOAD_FAILURE_MESSAGE)  # the load ends once process_tasks handled the error
        Globals.loaded_model = model_type
        end_load(gen)
        send_cmd("status", "Model loaded")
    if gen.get("abort", False):
        return True
    seed = int(params.get("seed", -1) if params.get("seed") is not None else -1)
    if seed < 0:
        seed = random.randint(0, 999_999_999)
    frames = catalog.frame_count(model, int(params.get("video_length") or 81))
    steps = max(1, int(params.get("num_inference_steps") or 30))
    status = get_latest_status(state)
    gen["progress_status"] = status
    send_cmd("progress", [0, merge_status_context(status, "Encoding Prompt")])
    callback = make_callback(state, send_cmd, status, steps)
    callback(-1, True)
    for step in range(steps):
        if gen.get("abort", False):
            send_cmd("output")
            return True
        time.sleep(knobs.step_seconds)
        if knobs.crash_at_step == step + 1:
            log.error("crash knob: killing the server process at step %s", step + 1)
            os.kill(os.getpid(), signal.SIGKILL)
        if knobs.fail_at_step == step + 1:
            raise RuntimeError(knobs.step_failure_message(step + 1))
        callback(step)
    if gen.get("abort", False):
        send_cmd("output")
        return True
    extension = {"image": "jpg", "audio": "wav"}.get(model.output, "mp4")
    folder = knobs.outputs
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / output_name(params, seed, extension)
    if model.output == "image":
        _write_image(path, params, seed)
    elif model.output == "audio":
        _write_audio(path, params, seed)
    else:
        _write_output(path, model, params, seed, frames)
    log.info("New video saved to Path: %s", path)
    with lock:
        target = "audio_file_list" if model.output == "audio" else "file_list"
        gen.setdefault(target, []).append(str(path))
        gen.setdefault(target.replace("file_list", "file_settings_list"), []).append(
            {k: v for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None}
        )
        gen["last_was_audio"] = model.output == "audio"
    send_cmd("output")
    return True
