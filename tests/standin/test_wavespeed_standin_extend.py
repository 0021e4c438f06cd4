"""The stand-in's extend endpoints and sound (issue 18): an extend run returns ONE clip that starts with the
input's frames and goes on for the extension's seconds; models that return sound give real, audible AAC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scripts.standins import videogen
from tests.fixtures.wavespeed_standin import WaveSpeedStandin
from tests.standin.test_wavespeed_standin_video import fetch

pytestmark = pytest.mark.standin

VEO_EXTEND = "google/veo3.1-fast/video-extend"
KLING_EXTEND = "kwaivgi/kling-v4.0/video-extend"


def loudness(path: Path, start_s: float = 0.0, end_s: float | None = None) -> float:
    """RMS of the clip's decoded sound between two times (0.0: silent or no sound)."""
    samples = videogen._read_audio(path)
    if samples is None:
        return 0.0
    a = int(start_s * videogen.AUDIO_RATE)
    b = len(samples) if end_s is None else int(end_s * videogen.AUDIO_RATE)
    part = samples[a:b]
    return float(np.sqrt(np.mean(part**2))) if len(part) else 0.0


@pytest.mark.parametrize(
    ("model", "body", "added", "source_audio"),
    [(VEO_EXTEND, {"resolution": "720p"}, 7.0, True), (KLING_EXTEND, {"duration": 3}, 3.0, False)],
)
def test_extend_returns_the_input_then_the_continuation(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path, model: str, body: dict, added: float,
    source_audio: bool,
) -> None:  # fmt: skip
    s = wavespeed_standin_clean
    source = tmp_path / "source.mp4"
    videogen.text_video(
        source, prompt="a boat", seed=5, width=96, height=54, frames=24, fps=12, audio=source_audio
    )
    sent = {"video": s.upload(source), "prompt": "it sails on", **body}
    out, _, _ = fetch(s, model, sent, tmp_path / "x.mp4")
    stats, before = videogen.probe(out), videogen.read_frames(source)
    assert stats.fps == 12 and stats.frames == 24 + round(added * 12)
    after = videogen.read_frames(out)
    assert max(videogen.mean_abs_diff(before[i], after[i]) for i in (0, 12, 23)) < 6  # the input first
    assert videogen.mean_abs_diff(before[-1], after[-1]) > 3  # then something new
    assert stats.has_audio  # Veo keeps the input's sound, Kling 4.0 always returns sound
    assert loudness(out, 2.1) > 0.05  # the continuation is not silent
    assert [e["model"] for e in s.submits()] == [model]


def test_image_to_video_models_with_sound_return_audible_aac(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    picture = tmp_path / "start.png"
    from PIL import Image

    Image.new("RGB", (64, 36), (200, 40, 40)).save(picture)
    model = "lightricks/ltx-2-fast/image-to-video"
    loud, _, _ = fetch(s, model, {"image": s.upload(picture), "prompt": "x"}, tmp_path / "loud.mp4")
    quiet, _, _ = fetch(
        s, model, {"image": s.upload(picture), "prompt": "x", "generate_audio": False}, tmp_path / "q.mp4"
    )
    assert loudness(loud) > 0.05
    assert not videogen.probe(quiet).has_audio
    first = videogen.read_frame(loud, 0)
    assert videogen.mean_abs_diff(first, videogen.resize_rgb(picture, first.shape[1], first.shape[0])) < 8
