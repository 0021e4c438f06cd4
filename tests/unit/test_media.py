"""The container check that stands between a server's file and the VSE, on real encoded MP4s."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from blender_movie_director.backend.media import InvalidVideoError, check_video, probe_video


def _encode(
    path: Path, *, frames: int, fps: int, size: tuple[int, int], audio: bool = False, codec: str = "libx264"
) -> Path:
    width, height = size
    with av.open(str(path), "w") as container:
        video = container.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=48000) if audio else None
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((height, width, 3), i * 7 % 255, np.uint8), format="rgb24"
            )
            container.mux(video.encode(frame))
        container.mux(video.encode())
        if sound is not None:
            samples = av.AudioFrame.from_ndarray(
                np.zeros((1, 48000), np.float32), format="fltp", layout="mono"
            )
            samples.sample_rate, samples.pts, samples.time_base = 48000, 0, Fraction(1, 48000)
            container.mux(sound.encode(samples))
            container.mux(sound.encode())
    return path


@pytest.mark.parametrize(
    ("frames", "fps", "size"), [(33, 16, (160, 96)), (49, 24, (192, 108)), (31, 30, (96, 64))]
)
def test_probe_reads_what_was_encoded(tmp_path: Path, frames: int, fps: int, size: tuple[int, int]) -> None:
    info = probe_video(_encode(tmp_path / "clip.mp4", frames=frames, fps=fps, size=size))
    assert (info.width, info.height) == size
    assert info.frames == frames
    assert info.fps == pytest.approx(fps, rel=1e-3)
    assert info.duration == pytest.approx(frames / fps, rel=1e-3)
    assert info.has_audio is False
    assert info.video_codec == "avc1"


def test_audio_track_is_detected(tmp_path: Path) -> None:
    assert probe_video(_encode(tmp_path / "a.mp4", frames=16, fps=16, size=(64, 64), audio=True)).has_audio


def test_mpeg4_part2_is_accepted(tmp_path: Path) -> None:
    assert (
        probe_video(_encode(tmp_path / "m.mp4", frames=9, fps=16, size=(64, 64), codec="mpeg4")).frames == 9
    )


def test_truncated_file_is_rejected(tmp_path: Path) -> None:
    path = _encode(tmp_path / "t.mp4", frames=40, fps=16, size=(160, 96))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InvalidVideoError, match=r"truncated|no video"):
        probe_video(path)


@pytest.mark.parametrize("content", [b"", b"<html>Access denied</html>" * 10, b"\x00" * 4096])
def test_non_video_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fake.mp4"
    path.write_bytes(content)
    with pytest.raises(InvalidVideoError):
        probe_video(path)


def test_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidVideoError, match="cannot be read"):
        probe_video(tmp_path / "nope.mp4")


def test_size_mismatch_is_reported(tmp_path: Path) -> None:
    path = _encode(tmp_path / "c.mp4", frames=9, fps=16, size=(64, 64))
    size = path.stat().st_size
    assert check_video(path, expected_size=size).frames == 9
    with pytest.raises(InvalidVideoError, match=f"of {size + 10} bytes"):
        check_video(path, expected_size=size + 10)
