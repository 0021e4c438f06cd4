"""Sound and extend for the WaveSpeed stand-in (issue 18).

``add_tone(path, seed)``: give a rendered clip its sound track, as the models that return audio do (a sine
tone whose pitch derives from the seed: real AAC that a test can decode and find not silent).

``extend_video(out, source, seconds, prompt, seed, audio)``: what an extend endpoint returns (Veo 3.1 Fast
``video-extend``, Kling 4.0 ``video-extend``): ONE merged clip, the input's own frames first, then
``seconds`` of new footage continuing from its last frame (the last frame with the seed's stripe sweeping
over it, and the seed marker), at the input's size and frame rate. Sound: the input's track (silence where it
had none) followed by the seed tone, when the input had sound or the model returns sound.

Runs in the stand-in's render thread; uses the shared ``standins.videogen`` writer and readers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .render import Plan, RenderError
from .specs import ModelSpec

#: Seconds of new footage per run when the endpoint has no duration field (Veo 3.1: "each run adds +7 s").
FIXED_EXTENSION_S = 7.0


def extension_seconds(spec: ModelSpec, inputs: dict[str, Any]) -> float:
    """The new footage a run adds: the ``duration`` field where the endpoint has one, else 7 s."""
    if "duration" in spec.fields:
        value = inputs.get("duration", spec.default("duration"))
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return FIXED_EXTENSION_S


def add_tone(path: Path, seed: int) -> None:
    """Rewrite ``path`` (atomically) with the seed tone as its sound track, frames unchanged."""
    from .. import videogen

    stats = videogen.probe(path)
    frames = videogen.read_frames(path)
    tone = videogen._tone(seed, 0, round(len(frames) / stats.fps * videogen.AUDIO_RATE))
    videogen._write_mp4(path, frames, width=stats.width, height=stats.height, fps=stats.fps, audio=tone)


def extend_video(out: Path, source: Path, *, seconds: float, prompt: str, seed: int, audio: bool) -> None:
    """The input's frames followed by ``seconds`` of continuation, written to ``out``."""
    import numpy as np
    from PIL import Image, ImageDraw

    from .. import videogen

    stats = videogen.probe(source)
    frames = videogen.read_frames(source)
    if not frames or stats.fps <= 0:
        raise RenderError(1403, "the input video has no frames")
    width, height, fps = stats.width - stats.width % 2, stats.height - stats.height % 2, stats.fps
    last = frames[-1][:height, :width]
    count = max(1, round(seconds * fps))
    color = videogen.seed_color(seed)
    box = videogen.marker_box(width, height)

    def continuation():
        for frame in frames:
            yield frame[:height, :width]
        for i in range(count):
            img = Image.fromarray(last)
            draw = ImageDraw.Draw(img)
            stripe = max(2, width // 12)
            x = int((width - stripe) * (i + 1) / count)
            draw.rectangle((x, 0, x + stripe - 1, height - 1), fill=color)
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=color)
            yield np.asarray(img, dtype=np.uint8)

    track = None
    if audio or stats.has_audio:
        own_samples = round(len(frames) / fps * videogen.AUDIO_RATE)
        own = videogen._read_audio(source) if stats.has_audio else None
        if own is None:
            own = np.zeros(own_samples, dtype=np.float32)
        own = np.resize(own, own_samples) if len(own) != own_samples else own
        new = videogen._tone(seed, own_samples, round(count / fps * videogen.AUDIO_RATE))
        track = np.concatenate([own, new]).astype(np.float32)
    videogen._write_mp4(out, continuation(), width=width, height=height, fps=fps, audio=track)


def render_extend(out: Path, spec: ModelSpec, inputs: dict[str, Any], plan: Plan, video: Path | None) -> None:
    if video is None:
        raise RenderError(1400, "video is required")
    seconds = extension_seconds(spec, inputs)
    if not math.isfinite(seconds):
        raise RenderError(1401, "duration is invalid")
    extend_video(
        out, video, seconds=seconds, prompt=str(inputs.get("prompt") or ""), seed=plan.seed, audio=plan.audio
    )
