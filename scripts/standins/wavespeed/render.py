"""Turn a task's inputs into a real (tiny) MP4 with the shared ``standins.videogen`` writer.

The documented output size (e.g. 1920x1080 for LTX-2) is computed and reported by the admin API and
the ``X-Standin-Documented-Size`` download header; the file itself is scaled down so that its longest
side is ``max_side`` pixels, which keeps the suite fast. Duration and frame rate are real.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .specs import ModelSpec

_SHORT_SIDE = {"480p": 480, "540p": 540, "720p": 720, "1080p": 1080, "2k": 1440, "4k": 2160}
_WINDOW = re.compile(
    r"(?i)(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)?\s*(?:to|and|-|\u2013|\u2014)\s*"
    r"(\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)\b"
)
#: Fixed-output models: the documented size does not depend on any input.
_FIXED_1080P = ("lightricks/ltx-2-pro/", "lightricks/ltx-2-fast/", "lightricks/ltx-2-retake")


class RenderError(Exception):
    """A task failure found while rendering: carries the task error code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Plan:
    documented: tuple[int, int]
    size: tuple[int, int]
    seconds: float
    frames: int
    fps: int
    seed: int
    audio: bool


def documented_size(
    spec: ModelSpec, inputs: dict[str, Any], image_size: tuple[int, int] | None
) -> tuple[int, int]:
    if spec.model_id.startswith(_FIXED_1080P):
        return 1920, 1080
    size = inputs.get("size")
    if isinstance(size, str) and re.fullmatch(r"\d+\*\d+", size):
        w, h = size.split("*")
        return int(w), int(h)
    short = _SHORT_SIDE.get(str(inputs.get("resolution") or "1080p"), 1080)
    ratio = str(inputs.get("aspect_ratio") or "")
    if re.fullmatch(r"\d+:\d+", ratio):
        a, b = (int(x) for x in ratio.split(":"))
    elif image_size:
        a, b = image_size
    else:
        a, b = 16, 9
    if a >= b:
        return _round16(short * a / b), short
    return short, _round16(short * b / a)


def _round16(value: float) -> int:
    return max(16, round(value / 16) * 16)


def small_size(documented: tuple[int, int], max_side: int) -> tuple[int, int]:
    w, h = documented
    scale = max_side / max(w, h)
    return max(16, round(w * scale / 2) * 2), max(16, round(h * scale / 2) * 2)


def has_audio(spec: ModelSpec, inputs: dict[str, Any]) -> bool:
    if "generate_audio" in spec.fields:
        return bool(inputs.get("generate_audio", True))
    text = spec.output.lower()
    return "audio" in text and "no audio" not in text


def task_seed(spec: ModelSpec, inputs: dict[str, Any], task_id: str) -> int:
    """The seed the video is drawn from: the requested one, a random one for -1, 0 without a seed field."""
    if "seed" not in spec.fields:
        return 0
    seed = inputs.get("seed")
    if not isinstance(seed, int) or seed < 0:
        return int(task_id[:8], 16)
    return seed


def edit_window(prompt: str, total: float) -> tuple[float, float]:
    """The retake window written in the prompt ("From 2s to 8s, ..."); the whole clip if none."""
    match = _WINDOW.search(prompt or "")
    if match:
        start, end = min(float(match[1]), total), min(float(match[2]), total)
        if end > start:
            return start, end
    return 0.0, total


def probe_seconds(path: Path) -> float:
    """Duration of a video file as a player sees it; RenderError 1403 for an undecodable file."""
    import av  # lazy: only retakes need it

    from .. import videogen

    try:
        seconds = videogen.probe(path).duration
    except (OSError, IndexError, ValueError, av.error.FFmpegError) as exc:
        raise RenderError(1403, f"the input video cannot be decoded: {type(exc).__name__}") from exc
    if seconds <= 0:
        raise RenderError(1403, "the input video has no frames")
    return seconds


def image_dimensions(path: Path) -> tuple[int, int] | None:
    try:
        from PIL import Image  # lazy

        with Image.open(path) as img:
            return img.size
    except OSError:
        return None


def make_plan(
    spec: ModelSpec,
    inputs: dict[str, Any],
    task_id: str,
    *,
    fps: int,
    max_side: int,
    image_size: tuple[int, int] | None = None,
    source_seconds: float | None = None,
) -> Plan:
    documented = documented_size(spec, inputs, image_size)
    seconds = float(source_seconds if source_seconds is not None else inputs.get("duration") or 5)
    return Plan(
        documented=documented,
        size=small_size(documented, max_side),
        seconds=seconds,
        frames=max(1, round(seconds * fps)),
        fps=fps,
        seed=task_seed(spec, inputs, task_id),
        audio=has_audio(spec, inputs),
    )


def render(
    out: Path,
    spec: ModelSpec,
    inputs: dict[str, Any],
    plan: Plan,
    image: Path | None,
    video: Path | None,
    refs: list[Path] | None = None,
    end_image: Path | None = None,
) -> None:
    """Write the output MP4 for one task; reference pictures (``refs``) are drawn as tiles (videogen), an
    ``end_image`` is the clip's last frame."""
    from .. import videogen  # lazy: owned by the Wan2GP stand-in, needs numpy/pillow/av

    prompt = str(inputs.get("prompt") or "")
    w, h = plan.size
    if spec.kind == "video-extend":  # issue 18: the input's frames, then the continuation (extend.py)
        from .extend import render_extend

        render_extend(out, spec, inputs, plan, video)
        return
    if spec.kind == "video-to-video":
        if video is None:
            raise RenderError(1400, "video is required")
        start, end = edit_window(prompt, plan.seconds)
        videogen.retake_video(
            out,
            source_video=video,
            start_s=start,
            end_s=end,
            prompt=prompt,
            seed=plan.seed,
            mode=str(inputs.get("mode") or "replace_audio_and_video"),
        )
    elif image is not None:
        videogen.image_video(
            out,
            start_image=image,
            end_image=end_image,
            prompt=prompt,
            seed=plan.seed,
            width=w,
            height=h,
            frames=plan.frames,
            fps=plan.fps,
            refs=refs or (),
        )
        if plan.audio:  # image-to-video models that return sound (issue 18)
            from .extend import add_tone

            add_tone(out, plan.seed)
    else:
        videogen.text_video(
            out,
            prompt=prompt,
            seed=plan.seed,
            width=w,
            height=h,
            frames=plan.frames,
            fps=plan.fps,
            audio=plan.audio,
            refs=refs or (),
        )
