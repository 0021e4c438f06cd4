"""Writes the stand-in's media: generation outputs (the web-UI stand-in's MP4s), postprocessed files.

Generation reuses ``standins.wan2gp.generation`` (the same pictures, names and image-to-video fit as the
web-UI stand-in); postprocessing decodes the source with ``videogen`` and really resizes (Lanczos) or
interpolates frames (RIFE's place: linear blends), then encodes with videogen's writer.

Threading: plain functions, called from job worker threads; each writes its own file atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from standins import videogen
from standins.wan2gp import catalog, generation


def output_path(folder: Path, params: dict[str, Any], seed: int, model: catalog.ModelDef) -> Path:
    extension = {"image": "jpg", "audio": "wav"}.get(model.output, "mp4")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / generation.output_name(params, seed, extension)


def write_generation(
    path: Path, model: catalog.ModelDef, params: dict[str, Any], seed: int, frames: int
) -> None:
    """The same file the web-UI stand-in writes for these settings (media values are server paths)."""
    if model.output == "image":
        generation._write_image(path, params, seed)
    elif model.output == "audio":
        generation._write_audio(path, params, seed)
    else:
        generation._write_output(path, model, params, seed, frames)


def _even(value: float) -> int:
    v = max(2, round(value))
    return v - v % 2


def lanczos(source: Path, target: Path, multiplier: float) -> None:
    """Every frame resized by ``multiplier`` with Lanczos (an image source gives an image)."""
    if source.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp", ".bmp"):
        with Image.open(source) as img:
            w, h = img.size
            img.convert("RGB").resize(
                (_even(w * multiplier), _even(h * multiplier)), Image.Resampling.LANCZOS
            ).save(target)
        return
    stats = videogen.probe(source)
    width, height = _even(stats.width * multiplier), _even(stats.height * multiplier)

    def frames():
        for frame in videogen.read_frames(source):
            img = Image.fromarray(frame).resize((width, height), Image.Resampling.LANCZOS)
            yield np.asarray(img, dtype=np.uint8)

    videogen._write_mp4(target, frames(), width=width, height=height, fps=stats.fps)


def interpolate(source: Path, target: Path, multiplier: int) -> None:
    """Frame rate times ``multiplier``: (multiplier - 1) blended frames between each pair, same duration."""
    stats = videogen.probe(source)
    src = videogen.read_frames(source)

    def frames():
        for i, frame in enumerate(src):
            yield frame
            if i + 1 < len(src):
                a, b = frame.astype(np.float32), src[i + 1].astype(np.float32)
                for k in range(1, multiplier):
                    t = k / multiplier
                    yield ((1 - t) * a + t * b).astype(np.uint8)

    videogen._write_mp4(target, frames(), width=stats.width, height=stats.height, fps=stats.fps * multiplier)
