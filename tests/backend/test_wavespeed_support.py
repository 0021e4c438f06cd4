"""Helpers shared by the WaveSpeed provider tests (no tests here): a provider tuned for a fast local
stand-in, small input files, and a real decoder check of the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from blender_movie_director.backend.base import GenerationResult
from blender_movie_director.backend.retry import RetryPolicy
from blender_movie_director.backend.wavespeed.client import Timeouts, WaveSpeedClient
from blender_movie_director.backend.wavespeed.models import ModelSpec
from blender_movie_director.backend.wavespeed.polling import PollSchedule
from blender_movie_director.backend.wavespeed.provider import ProviderOptions, WaveSpeedProvider

FAST_POLL = PollSchedule(first=0.05, factor=1.5, cap=0.3)
FAST_RETRY = RetryPolicy(attempts=6, base=0.05, cap=0.3, retry_after_cap=5.0)
FAST_RATE_WAIT = RetryPolicy(attempts=None, base=0.1, factor=1.5, cap=0.5, retry_after_cap=0.5)


def make_provider(
    server: Any,
    *,
    key: str | None = None,
    read: float = 5.0,
    submit: float = 5.0,
    retry: RetryPolicy = FAST_RETRY,
    **options: Any,
) -> WaveSpeedProvider:
    client = WaveSpeedClient(
        key if key is not None else server.api_key,
        server.url,
        timeouts=Timeouts(connect=2.0, read=read, submit=submit, upload_min=10.0, download_read=read),
        retry=retry,
    )
    options.setdefault("poll", FAST_POLL)
    options.setdefault("rate_limit_wait", FAST_RATE_WAIT)
    options.setdefault("timeout", 60.0)
    return WaveSpeedProvider(client=client, options=ProviderOptions(**options))


def make_png(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    img = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    img[:, : size[0] // 2] = (200, 40, 40)
    img[:, size[0] // 2 :] = (40, 40, 200)
    Image.fromarray(img).save(path)
    return path


def make_mp4(path: Path, seconds: float = 4.0, fps: int = 12, size: tuple[int, int] = (96, 64)) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(round(seconds * fps)):
            img = np.full((size[1], size[0], 3), (i * 7) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def decode(path: str | Path) -> dict[str, Any]:
    """Decode every video frame with FFmpeg (PyAV); returns what was found."""
    frames = 0
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        width, height = video.codec_context.width, video.codec_context.height
        has_audio = bool(container.streams.audio)
        for frame in container.decode(video=0):
            assert frame.to_ndarray(format="rgb24").shape == (height, width, 3)
            frames += 1
    return {"frames": frames, "width": width, "height": height, "has_audio": has_audio}


def assert_good_result(result: GenerationResult, *, seconds: float | None = None) -> dict[str, Any]:
    assert result.success, result.error_message
    assert result.video_path and Path(result.video_path).is_file()
    decoded = decode(result.video_path)
    assert decoded["frames"] > 0
    assert decoded["frames"] == result.metadata["frames"]
    assert (decoded["width"], decoded["height"]) == (result.metadata["width"], result.metadata["height"])
    if seconds is not None:
        assert abs(result.metadata["duration"] - seconds) < 0.25, result.metadata["duration"]
    assert result.metadata["remote_id"] and result.metadata["backend"] == "wavespeed"
    return decoded


def full_params(spec: ModelSpec, inputs: dict[str, Any]) -> dict[str, Any]:
    """Every field of the model set to a valid, non-default value where one exists (media from ``inputs``)."""
    params: dict[str, Any] = {}
    for name, f in spec.fields.items():
        if f.media_kind:
            if name in inputs:
                params[name] = inputs[name]
            continue
        if name == "prompt":
            params[name] = f"a lighthouse at dusk ({spec.short_name})"
        elif name == "negative_prompt":
            params[name] = "blurry"
        elif f.enum is not None:
            others = [v for v in f.enum if v != f.default]
            params[name] = (others or list(f.enum))[0]
        elif f.type == "boolean":
            params[name] = not f.default if f.has_default else False
        elif f.type == "integer":
            low = int(f.minimum) if f.minimum is not None else 0
            params[name] = 1234 if name == "seed" else max(low, min(6, int(f.maximum or 6)))
        elif f.type == "number":
            params[name] = 0.7
    return params
