"""Deterministic synthetic video writer and reader shared by the stand-in servers.

The Wan2GP and WaveSpeed stand-ins cannot run a video model, so they write small real MP4s whose
pictures are a pure function of the request and can be checked by tests with a real decoder.
Runs in both the stand-in venv and the project test venv (PyAV + numpy + Pillow only).

Stable API (other stand-ins and tests import it; keep these signatures):

Writers (all write ``path`` atomically: a temp file in the same folder renamed into place):

``text_video(path, *, prompt, seed, width, height, frames, fps, audio=False) -> None``
    Text-to-video. Every frame shows a seed-derived background with a moving stripe, the prompt text,
    ``seed=<seed>`` and the frame number. Machine-checkable marks:
    * the top-left marker square (``marker_box(width, height)``) is filled with ``seed_color(seed)``;
    * the bottom-left marker square encodes the frame index: its grey level is ``frame_code(i)``.
    ``audio=True`` adds an AAC track: a sine tone whose pitch derives from the seed.

``image_video(path, *, start_image, end_image=None, prompt, seed, width, height, frames, fps) -> None``
    Image-to-video. Frame 0 is the start image resized to WxH (no overlay), the last frame is the end
    image resized (when given, else a zoomed/shifted start image), frames between cross-fade with a
    moving seed-coloured stripe. ``start_image``/``end_image``: a path or a PIL image.

``control_video(path, *, control_video, prompt, seed, width, height, fps) -> None``
    Video-to-video (VACE). Same frame count as the control video; output frame i is control frame i
    resized to WxH and tinted 25 % toward ``seed_color(seed)``, with the seed marker square on top.

Reference pictures (issue 17): ``text_video``, ``image_video`` and ``control_video`` take ``refs=()``, the
    reference pictures the service received (paths or PIL images, in the order sent). Each is scaled into its
    own box of ``reference_tile_boxes(width, height, len(refs))`` (32x32 along the bottom, from the right
    corner leftwards, at most as many as fit beside the frame marker) on every frame, over a black letterbox,
    so a test can decode any frame and compare each box with the picture it expects.

``retake_video(path, *, source_video, start_s, end_s, prompt, seed, mode) -> None``
    Keeps the source's size, fps and frame count. Frames whose time lies outside ``[start_s, end_s)`` are
    the source's; inside, ``mode`` decides: ``"replace_video"`` and ``"replace_audio_and_video"`` draw
    text-video frames there, ``"replace_audio"`` keeps the source frames. Audio: the source's audio is
    kept where present, and replaced inside the region by the seed tone for the two ``*audio*`` modes
    (a source without audio gets a tone track only in those modes).

Readers (used by tests):

``probe(path) -> VideoStats`` (width, height, fps, frames, duration, codec, has_audio),
``reference_tile_boxes(width, height, count)``, ``reference_tile_mean(picture)`` (what a box should show),
``read_frames(path) -> list[np.ndarray]`` (RGB uint8, HxWx3), ``read_frame(path, index)``,
``seed_color(seed) -> (r, g, b)``, ``frame_code(index) -> int``, ``marker_box(width, height)``,
``frame_index_mark(frame) -> int`` (frame index modulo 8 read back from the bottom-left square),
``region_mean(frame, box) -> (r, g, b)``, ``mean_abs_diff(a, b) -> float``,
``resize_rgb(image_or_array, width, height) -> np.ndarray``.

Encoding: H.264 (libx264, yuv420p, +faststart) in MP4 when PyAV's FFmpeg has the encoder, else MPEG-4
Part 2 (``mpeg4``). Both decode in Blender's FFmpeg. Odd sizes are rounded down to even numbers (yuv420p).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "VideoStats",
    "control_video",
    "frame_code",
    "frame_index_mark",
    "image_video",
    "marker_box",
    "mean_abs_diff",
    "probe",
    "read_frame",
    "read_frames",
    "reference_tile_boxes",
    "reference_tile_mean",
    "region_mean",
    "resize_rgb",
    "retake_video",
    "seed_color",
    "text_video",
    "video_codec",
]

AUDIO_RATE = 48000
RETAKE_MODES = ("replace_video", "replace_audio", "replace_audio_and_video")


@dataclass(frozen=True)
class VideoStats:
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    codec: str
    has_audio: bool


# ---------------------------------------------------------------------------------------------
# Deterministic marks


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def seed_color(seed: int) -> tuple[int, int, int]:
    """A saturated colour derived from the seed (each channel in 40..215, far from the others)."""
    d = _digest("seed", int(seed))
    hue = d[0] / 255.0
    # HSV with fixed saturation/value: keeps the colour clearly away from grey so it survives H.264.
    i = int(hue * 6) % 6
    f = hue * 6 - int(hue * 6)
    hi, lo = 215, 40
    mid_up = int(lo + (hi - lo) * f)
    mid_down = int(hi - (hi - lo) * f)
    return [
        (hi, mid_up, lo),
        (mid_down, hi, lo),
        (lo, hi, mid_up),
        (lo, mid_down, hi),
        (mid_up, lo, hi),
        (hi, lo, mid_down),
    ][i]


def frame_code(index: int) -> int:
    """Grey level of the frame-number marker: 8 levels, 16..240 (index modulo 8)."""
    return 16 + (index % 8) * 32


def marker_box(width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the top-left seed marker square; the frame marker is its bottom-left mirror."""
    side = max(8, min(width, height) // 6)
    return (0, 0, side, side)


def _frame_box(width: int, height: int) -> tuple[int, int, int, int]:
    _, _, side, _ = marker_box(width, height)
    return (0, height - side, side, height)


def _background_color(prompt: str, seed: int) -> tuple[int, int, int]:
    d = _digest("bg", prompt, int(seed))
    return (30 + d[0] % 60, 30 + d[1] % 60, 30 + d[2] % 60)


def _even(value: int) -> int:
    value = int(value)
    if value < 2:
        raise ValueError(f"video dimension must be >= 2, got {value}")
    return value - value % 2


# ---------------------------------------------------------------------------------------------
# Drawing


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: fixed bitmap font
        return ImageFont.load_default()


def _wrap(text: str, width_chars: int, max_lines: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= width_chars or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
        if len(lines) >= max_lines:
            break
    if line and len(lines) < max_lines:
        lines.append(line)
    return lines


def _draw_marks(img: Image.Image, seed: int, index: int | None) -> None:
    draw = ImageDraw.Draw(img)
    draw.rectangle(_inclusive(marker_box(*img.size)), fill=seed_color(seed))
    if index is not None:
        level = frame_code(index)
        draw.rectangle(_inclusive(_frame_box(*img.size)), fill=(level, level, level))


def _inclusive(box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (x0, y0, x1 - 1, y1 - 1)


def _stripe(
    draw: ImageDraw.ImageDraw, width: int, height: int, t: float, color: tuple[int, int, int]
) -> None:
    """A vertical stripe sweeping left to right as t goes 0..1 (visible motion)."""
    stripe_w = max(2, width // 12)
    x = int((width - stripe_w) * t)
    draw.rectangle((x, 0, x + stripe_w - 1, height - 1), fill=color)


#: Side of a reference tile and the gap between tiles, in pixels (smaller on frames under 128 px high).
TILE_SIDE = 32
TILE_GAP = 2

Picture = Image.Image | str | os.PathLike[str]


def reference_tile_boxes(width: int, height: int, count: int) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of the first ``count`` reference tiles (fewer when the frame is too narrow): squares
    along the bottom edge, the first in the bottom-right corner, each next one to its left, never over the
    bottom-left frame-number square."""
    side = min(TILE_SIDE, max(8, height // 4))
    reserved = marker_box(width, height)[2] + TILE_GAP
    boxes = []
    for i in range(count):
        x1 = width - i * (side + TILE_GAP)
        x0 = x1 - side
        if x0 < reserved:
            break
        boxes.append((x0, height - side, x1, height))
    return boxes


def _tile(picture: Picture, side: int) -> Image.Image:
    """The picture scaled to fit a ``side`` square (aspect kept), centred on black."""
    if isinstance(picture, Image.Image):
        source = picture.convert("RGB")
    else:
        with Image.open(picture) as opened:
            source = opened.convert("RGB")
    scale = side / max(source.size)
    size = (max(1, round(source.width * scale)), max(1, round(source.height * scale)))
    tile = Image.new("RGB", (side, side), (0, 0, 0))
    tile.paste(source.resize(size, Image.Resampling.BILINEAR), ((side - size[0]) // 2, (side - size[1]) // 2))
    return tile


def reference_tile_mean(
    picture: Picture, side: int = TILE_SIDE, inset: int = 4
) -> tuple[float, float, float]:
    """Mean RGB a decoded tile of ``picture`` should show inside ``inset`` (before compression)."""
    array = np.asarray(_tile(picture, side), dtype=np.uint8)
    return region_mean(array, (0, 0, side, side), inset)


def _tiles(refs: Sequence[Picture], width: int, height: int) -> list[tuple[Image.Image, tuple[int, int]]]:
    """The tiles to paste on every frame, made once per video."""
    boxes = reference_tile_boxes(width, height, len(refs))
    return [
        (_tile(picture, box[2] - box[0]), (box[0], box[1])) for picture, box in zip(refs, boxes, strict=False)
    ]


def _paste_tiles(img: Image.Image, tiles: Sequence[tuple[Image.Image, tuple[int, int]]]) -> None:
    for tile, corner in tiles:
        img.paste(tile, corner)


def _text_frame(
    prompt: str,
    seed: int,
    width: int,
    height: int,
    index: int,
    total: int,
    tiles: Sequence[tuple[Image.Image, tuple[int, int]]] = (),
) -> np.ndarray:
    img = Image.new("RGB", (width, height), _background_color(prompt, seed))
    draw = ImageDraw.Draw(img)
    t = index / max(1, total - 1)
    r, g, b = seed_color(seed)
    _stripe(draw, width, height, t, (min(255, r + 30), min(255, g + 30), min(255, b + 30)))
    side = marker_box(width, height)[2]
    font_size = max(8, height // 12)
    font = _font(font_size)
    x = side + 4
    chars = max(8, int((width - x - 4) / (font_size * 0.55)))
    lines = [
        f"seed={seed} frame={index + 1}/{total}",
        *_wrap(prompt, chars, max(1, (height // font_size) - 3)),
    ]
    y = 4
    for line in lines:
        draw.text((x, y), line, fill=(240, 240, 240), font=font)
        y += font_size + 2
    _draw_marks(img, seed, index)
    _paste_tiles(img, tiles)
    return np.asarray(img, dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# Encoding


def video_codec() -> str:
    """The encoder used for MP4 output: libx264 when available, else mpeg4."""
    available = av.codecs_available
    return "libx264" if "libx264" in available else "mpeg4"


def _fps_fraction(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def _tone(seed: int, start_sample: int, count: int) -> np.ndarray:
    freq = 220.0 + (_digest("tone", int(seed))[0] % 64) * 10.0
    t = (np.arange(start_sample, start_sample + count, dtype=np.float64)) / AUDIO_RATE
    return (0.2 * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def _write_mp4(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    *,
    width: int,
    height: int,
    fps: float,
    audio: np.ndarray | None = None,
) -> None:
    """Encode RGB frames (and optional mono float32 audio at AUDIO_RATE) into an MP4, atomically."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=".mp4", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        rate = _fps_fraction(fps)
        with av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
            codec = video_codec()
            stream = container.add_stream(codec, rate=rate)
            stream.width, stream.height = width, height
            stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                stream.options = {"preset": "ultrafast", "crf": "16"}
            else:
                stream.bit_rate = max(400_000, width * height * 40)
            astream = None
            if audio is not None:
                astream = container.add_stream("aac", rate=AUDIO_RATE)
                astream.layout = "mono"
            count = 0
            for pts, array in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
                frame.pts = pts
                frame.time_base = 1 / rate
                for packet in stream.encode(frame):
                    container.mux(packet)
                count += 1
            for packet in stream.encode():
                container.mux(packet)
            if count == 0:
                raise ValueError("a video needs at least one frame")
            if astream is not None and audio is not None:
                _encode_audio(container, astream, audio)
        tmp.replace(final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _encode_audio(
    container: av.container.OutputContainer, astream: av.AudioStream, audio: np.ndarray
) -> None:
    chunk = 1024
    for start in range(0, len(audio), chunk):
        samples = audio[start : start + chunk].reshape(1, -1).astype(np.float32)
        aframe = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        aframe.sample_rate = AUDIO_RATE
        aframe.pts = start
        aframe.time_base = Fraction(1, AUDIO_RATE)
        for packet in astream.encode(aframe):
            container.mux(packet)
    for packet in astream.encode():
        container.mux(packet)


# ---------------------------------------------------------------------------------------------
# Public writers


def text_video(
    path: str | os.PathLike[str],
    *,
    prompt: str,
    seed: int,
    width: int,
    height: int,
    frames: int,
    fps: float,
    audio: bool = False,
    refs: Sequence[Picture] = (),
) -> None:
    width, height, frames = _even(width), _even(height), int(frames)
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    tiles = _tiles(refs, width, height)
    gen = (_text_frame(prompt, seed, width, height, i, frames, tiles) for i in range(frames))
    track = _tone(seed, 0, round(frames / fps * AUDIO_RATE)) if audio else None
    _write_mp4(path, gen, width=width, height=height, fps=fps, audio=track)


def resize_rgb(
    image: Image.Image | np.ndarray | str | os.PathLike[str], width: int, height: int
) -> np.ndarray:
    """An image (PIL, RGB array or path) as an RGB uint8 array of exactly width x height."""
    if isinstance(image, np.ndarray):
        pil = Image.fromarray(image)
    elif isinstance(image, Image.Image):
        pil = image
    else:
        with Image.open(image) as opened:
            pil = opened.copy()
    pil = pil.convert("RGB")
    if pil.size != (width, height):
        pil = pil.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(pil, dtype=np.uint8)


def image_video(
    path: str | os.PathLike[str],
    *,
    start_image: Image.Image | str | os.PathLike[str],
    end_image: Image.Image | str | os.PathLike[str] | None = None,
    prompt: str,
    seed: int,
    width: int,
    height: int,
    frames: int,
    fps: float,
    refs: Sequence[Picture] = (),
) -> None:
    width, height, frames = _even(width), _even(height), int(frames)
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    tiles = _tiles(refs, width, height)
    start = resize_rgb(start_image, width, height).astype(np.float32)
    if end_image is not None:
        end = resize_rgb(end_image, width, height).astype(np.float32)
    else:
        # No end image: drift toward a slightly zoomed, seed-shifted version of the start picture.
        zoom = Image.fromarray(start.astype(np.uint8)).resize((width * 9 // 8, height * 9 // 8))
        dx = _digest("pan", seed)[0] % max(1, width // 8)
        end = np.asarray(zoom.crop((dx, 0, dx + width, height)), dtype=np.float32)
    color = seed_color(seed)

    def tiled(array: np.ndarray) -> np.ndarray:
        if not tiles:
            return array
        img = Image.fromarray(array)
        _paste_tiles(img, tiles)
        return np.asarray(img, dtype=np.uint8)

    def gen() -> Iterator[np.ndarray]:
        for i in range(frames):
            if i == 0:
                yield tiled(start.astype(np.uint8))
                continue
            if i == frames - 1 and end_image is not None:
                yield tiled(end.astype(np.uint8))
                continue
            t = i / max(1, frames - 1)
            img = Image.fromarray(((1 - t) * start + t * end).astype(np.uint8))
            _stripe(ImageDraw.Draw(img), width, height, t, color)
            _paste_tiles(img, tiles)
            yield np.asarray(img, dtype=np.uint8)

    _write_mp4(path, gen(), width=width, height=height, fps=fps)


def control_video(
    path: str | os.PathLike[str],
    *,
    control_video: str | os.PathLike[str],
    prompt: str,
    seed: int,
    width: int,
    height: int,
    fps: float,
    refs: Sequence[Picture] = (),
) -> None:
    width, height = _even(width), _even(height)
    tint = np.array(seed_color(seed), dtype=np.float32)
    tiles = _tiles(refs, width, height)

    def gen() -> Iterator[np.ndarray]:
        for array in _iter_frames(control_video):
            base = resize_rgb(array, width, height).astype(np.float32)
            img = Image.fromarray((0.75 * base + 0.25 * tint).astype(np.uint8))
            _draw_marks(img, seed, None)
            _paste_tiles(img, tiles)
            yield np.asarray(img, dtype=np.uint8)

    _write_mp4(path, gen(), width=width, height=height, fps=fps)


def retake_video(
    path: str | os.PathLike[str],
    *,
    source_video: str | os.PathLike[str],
    start_s: float,
    end_s: float,
    prompt: str,
    seed: int,
    mode: str = "replace_video",
) -> None:
    if mode not in RETAKE_MODES:
        raise ValueError(f"mode must be one of {RETAKE_MODES}, got {mode!r}")
    stats = probe(source_video)
    width, height, fps, total = _even(stats.width), _even(stats.height), stats.fps, stats.frames
    replace_frames = mode in ("replace_video", "replace_audio_and_video")

    def gen() -> Iterator[np.ndarray]:
        for i, array in enumerate(_iter_frames(source_video)):
            t = i / fps
            if replace_frames and start_s <= t < end_s:
                yield _text_frame(prompt, seed, width, height, i, total)
            else:
                yield resize_rgb(array, width, height)

    audio = _read_audio(source_video) if stats.has_audio else None
    if mode in ("replace_audio", "replace_audio_and_video"):
        n = round(total / fps * AUDIO_RATE)
        if audio is None:
            audio = np.zeros(n, dtype=np.float32)
        a0, a1 = int(start_s * AUDIO_RATE), min(len(audio), int(end_s * AUDIO_RATE))
        if a1 > a0:
            audio = audio.copy()
            audio[a0:a1] = _tone(seed, a0, a1 - a0)
    _write_mp4(path, gen(), width=width, height=height, fps=fps, audio=audio)


# ---------------------------------------------------------------------------------------------
# Readers


def _iter_frames(path: str | os.PathLike[str]) -> Iterator[np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="rgb24")


def _read_audio(path: str | os.PathLike[str]) -> np.ndarray | None:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        chunks: list[np.ndarray] = []
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)


def read_frames(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """Every decoded frame as an RGB uint8 array."""
    return list(_iter_frames(path))


def read_frame(path: str | os.PathLike[str], index: int) -> np.ndarray:
    """One decoded frame (negative index counts from the end)."""
    frames = read_frames(path)
    return frames[index]


def probe(path: str | os.PathLike[str]) -> VideoStats:
    """Decode the whole file and report what a player would see (frame count is decoded, not declared)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        codec = stream.codec_context.name
        has_audio = bool(container.streams.audio)
        count = 0
        width = height = 0
        for frame in container.decode(stream):
            count += 1
            width, height = frame.width, frame.height
    duration = count / fps if fps else 0.0
    return VideoStats(width, height, fps, count, duration, codec, has_audio)


def region_mean(frame: np.ndarray, box: Sequence[int], inset: int = 2) -> tuple[float, float, float]:
    """Mean RGB of a box, shrunk by ``inset`` pixels on each side to skip chroma bleeding at the edges."""
    x0, y0, x1, y1 = box
    region = frame[y0 + inset : y1 - inset, x0 + inset : x1 - inset].reshape(-1, 3).astype(np.float64)
    r, g, b = region.mean(axis=0)
    return (float(r), float(g), float(b))


def frame_index_mark(frame: np.ndarray) -> int:
    """The frame index modulo 8 that ``text_video`` drew into the bottom-left square."""
    height, width = frame.shape[:2]
    level = region_mean(frame, _frame_box(width, height))[0]
    return round((level - 16) / 32) % 8


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute per-channel difference of two same-sized RGB arrays (0..255)."""
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {a.shape} vs {b.shape}")
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())
