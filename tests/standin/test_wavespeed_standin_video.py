"""The stand-in's outputs are real MP4s: deterministic from prompt and seed, sized and timed per model."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from scripts.standins import videogen
from tests.fixtures.wavespeed_standin import WaveSpeedStandin

pytestmark = pytest.mark.standin

HUNYUAN = "wavespeed-ai/hunyuan-video-1.5/text-to-video"
LTX_FAST = "lightricks/ltx-2-fast/text-to-video"
RETAKE = "lightricks/ltx-2-retake"


def fetch(s: WaveSpeedStandin, model: str, body: dict, dest: Path) -> tuple[Path, dict, httpx.Response]:
    data = s.run(model, body)
    assert data["status"] == "completed", data
    response = httpx.get(data["outputs"][0])
    response.raise_for_status()
    dest.write_bytes(response.content)
    return dest, data, response


def seed_mark(path: Path, index: int = 0) -> tuple[float, float, float]:
    frame = videogen.read_frame(path, index)
    return videogen.region_mean(frame, videogen.marker_box(frame.shape[1], frame.shape[0]))


def test_same_prompt_and_seed_give_the_same_video(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    body = {"prompt": "a ship at dawn", "size": "832*480", "seed": 1234}
    a, _, _ = fetch(s, HUNYUAN, body, tmp_path / "a.mp4")
    b, _, _ = fetch(s, HUNYUAN, body, tmp_path / "b.mp4")
    c, _, _ = fetch(s, HUNYUAN, {**body, "seed": 99}, tmp_path / "c.mp4")
    frames_a, frames_b = videogen.read_frames(a), videogen.read_frames(b)
    assert len(frames_a) == len(frames_b) == 120
    assert max(videogen.mean_abs_diff(x, y) for x, y in zip(frames_a, frames_b, strict=True)) == 0
    assert seed_mark(a) == pytest.approx(videogen.seed_color(1234), abs=12)
    assert seed_mark(c) == pytest.approx(videogen.seed_color(99), abs=12)


def test_random_seed_differs_per_task(wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path) -> None:
    s = wavespeed_standin_clean
    a, _, _ = fetch(s, HUNYUAN, {"prompt": "p", "size": "832*480"}, tmp_path / "a.mp4")
    b, _, _ = fetch(s, HUNYUAN, {"prompt": "p", "size": "832*480", "seed": -1}, tmp_path / "b.mp4")
    assert videogen.mean_abs_diff(videogen.read_frame(a, 0), videogen.read_frame(b, 0)) > 1


def test_ltx_without_seed_field_depends_on_the_prompt_only(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    a, _, _ = fetch(s, LTX_FAST, {"prompt": "storm", "seed": 1}, tmp_path / "a.mp4")
    b, _, _ = fetch(s, LTX_FAST, {"prompt": "storm", "seed": 2}, tmp_path / "b.mp4")  # seed dropped
    assert videogen.mean_abs_diff(videogen.read_frame(a, 10), videogen.read_frame(b, 10)) == 0
    assert [e["dropped_keys"] for e in s.submits()] == [["seed"], ["seed"]]


def test_sizes_durations_and_audio_per_model(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    ltx, data, response = fetch(s, LTX_FAST, {"prompt": "x", "duration": 8}, tmp_path / "ltx.mp4")
    stats = videogen.probe(ltx)
    assert response.headers["X-Standin-Documented-Size"] == "1920x1080"
    assert s.task(data["id"])["documented_size"] == [1920, 1080]
    assert (stats.width, stats.height) == (192, 108)
    assert stats.duration == pytest.approx(8.0) and stats.fps == 24
    assert stats.has_audio

    silent, _, _ = fetch(s, LTX_FAST, {"prompt": "x", "generate_audio": False}, tmp_path / "silent.mp4")
    assert not videogen.probe(silent).has_audio
    assert videogen.probe(silent).duration == pytest.approx(6.0)

    portrait, _, response = fetch(
        s, HUNYUAN, {"prompt": "x", "size": "480*832", "duration": 8}, tmp_path / "p.mp4"
    )
    stats = videogen.probe(portrait)
    assert response.headers["X-Standin-Documented-Size"] == "480x832"
    assert stats.height == 192 and stats.width < stats.height
    assert stats.duration == pytest.approx(8.0) and not stats.has_audio

    wan, _, _ = fetch(
        s, "alibaba/wan-2.6/text-to-video", {"prompt": "x", "size": "1080*1920"}, tmp_path / "w.mp4"
    )
    assert videogen.probe(wan).has_audio  # documented "with audio", no switch


def test_small_outputs_knob(wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path) -> None:
    s = wavespeed_standin_clean
    s.configure(max_side=64, fps=8)
    path, _, _ = fetch(s, LTX_FAST, {"prompt": "x"}, tmp_path / "small.mp4")
    stats = videogen.probe(path)
    assert (stats.width, stats.height, stats.fps, stats.frames) == (64, 36, 8, 48)


@pytest.fixture
def source_clip(tmp_path: Path) -> Path:
    path = tmp_path / "source.mp4"
    videogen.text_video(
        path, prompt="the original take", seed=7, width=160, height=90, frames=8 * 24, fps=24, audio=True
    )
    return path


@pytest.mark.parametrize(
    ("prompt", "window"),
    [("From 2s to 5s, make it night", (2, 5)), ("between 3s and 6s the car turns red", (3, 6))],
)
def test_retake_keeps_the_source_outside_the_window(
    wavespeed_standin_clean: WaveSpeedStandin, source_clip: Path, tmp_path: Path, prompt: str, window: tuple
) -> None:
    s = wavespeed_standin_clean
    url = s.upload(source_clip)
    out, data, _ = fetch(
        s, RETAKE, {"video": url, "prompt": prompt, "mode": "replace_video"}, tmp_path / "r.mp4"
    )
    stats = videogen.probe(out)
    assert stats.frames == 8 * 24 and stats.duration == pytest.approx(8.0)
    source, edited = videogen.read_frames(source_clip), videogen.read_frames(out)
    start, end = (int(t * 24) for t in window)
    for i in (0, start - 1, end, len(source) - 1):
        assert videogen.mean_abs_diff(source[i], edited[i]) < 6, i
    for i in (start, (start + end) // 2, end - 1):
        assert videogen.mean_abs_diff(source[i], edited[i]) > 10, i
    assert s.task(data["id"])["price"] == pytest.approx(0.80)  # $0.10 per output second


def test_retake_replace_audio_keeps_every_frame(
    wavespeed_standin_clean: WaveSpeedStandin, source_clip: Path, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    url = s.upload(source_clip)
    body = {"video": url, "prompt": "From 2s to 5s, add thunder", "mode": "replace_audio"}
    out, _, _ = fetch(s, RETAKE, body, tmp_path / "a.mp4")
    source, edited = videogen.read_frames(source_clip), videogen.read_frames(out)
    assert max(videogen.mean_abs_diff(a, b) for a, b in zip(source, edited, strict=True)) < 6
    assert videogen.probe(out).has_audio


def test_retake_of_an_undecodable_upload_fails(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    data = s.run(RETAKE, {"video": s.upload(junk), "prompt": "From 1s to 2s, x"})
    assert (data["status"], data["code"]) == ("failed", 1403)
