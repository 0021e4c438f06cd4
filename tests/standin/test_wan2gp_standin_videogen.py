"""The shared synthetic video writer (scripts/standins/videogen.py): marks, retake, Blender decoding."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scripts.standins import videogen


def test_text_video_is_deterministic_and_marked(tmp_path):
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    for path in (a, b):
        videogen.text_video(path, prompt="same", seed=99, width=96, height=64, frames=9, fps=16)
    assert a.read_bytes() == b.read_bytes()
    other = tmp_path / "c.mp4"
    videogen.text_video(other, prompt="same", seed=100, width=96, height=64, frames=9, fps=16)
    assert videogen.seed_color(99) != videogen.seed_color(100)
    frames = videogen.read_frames(a)
    assert [videogen.frame_index_mark(f) for f in frames] == [i % 8 for i in range(9)]
    box = videogen.marker_box(96, 64)
    assert np.allclose(videogen.region_mean(frames[3], box), videogen.seed_color(99), atol=12)
    assert not np.allclose(
        videogen.region_mean(videogen.read_frame(other, 3), box), videogen.seed_color(99), atol=12
    )


def test_odd_sizes_are_rounded_to_even_and_audio_is_optional(tmp_path):
    path = tmp_path / "odd.mp4"
    videogen.text_video(path, prompt="odd", seed=1, width=123, height=45, frames=3, fps=24, audio=True)
    stats = videogen.probe(path)
    assert (stats.width, stats.height, stats.frames, stats.fps, stats.has_audio) == (122, 44, 3, 24.0, True)
    assert stats.codec == ("h264" if videogen.video_codec() == "libx264" else "mpeg4")


@pytest.mark.parametrize("mode", ["replace_video", "replace_audio", "replace_audio_and_video"])
def test_retake_keeps_frames_outside_the_region(tmp_path, mode):
    source = tmp_path / "source.mp4"
    videogen.text_video(source, prompt="source", seed=4, width=96, height=64, frames=32, fps=16, audio=True)
    out = tmp_path / f"{mode}.mp4"
    videogen.retake_video(
        out, source_video=source, start_s=0.5, end_s=1.0, prompt="retake", seed=8, mode=mode
    )
    src, res = videogen.read_frames(source), videogen.read_frames(out)
    assert len(res) == len(src) == 32
    box = videogen.marker_box(96, 64)
    for i, (s, r) in enumerate(zip(src, res, strict=True)):
        inside = 8 <= i < 16
        replaced = inside and mode != "replace_audio"
        seed_seen = videogen.region_mean(r, box)
        expected = videogen.seed_color(8 if replaced else 4)
        assert np.allclose(seed_seen, expected, atol=14), (i, seed_seen, expected)
        if not replaced:
            assert videogen.mean_abs_diff(s, r) < 6, i
    assert videogen.probe(out).has_audio


def test_image_video_accepts_pil_and_ends_on_the_end_image(tmp_path):
    start = Image.new("RGB", (40, 30), (250, 20, 20))
    end = Image.new("RGB", (40, 30), (20, 20, 250))
    path = tmp_path / "i.mp4"
    videogen.image_video(
        path, start_image=start, end_image=end, prompt="p", seed=3, width=64, height=48, frames=5, fps=16
    )
    frames = videogen.read_frames(path)
    assert videogen.mean_abs_diff(frames[0], videogen.resize_rgb(start, 64, 48)) < 5
    assert videogen.mean_abs_diff(frames[-1], videogen.resize_rgb(end, 64, 48)) < 5


@pytest.mark.blender
def test_blender_decodes_the_output(bpy_module, tmp_path):
    path = tmp_path / "for_blender.mp4"
    videogen.text_video(path, prompt="blender", seed=5, width=160, height=96, frames=17, fps=16, audio=True)
    clip = bpy_module.data.movieclips.load(str(path))
    try:
        assert tuple(clip.size) == (160, 96)
        assert clip.frame_duration == 17
        assert round(clip.fps) == 16
    finally:
        bpy_module.data.movieclips.remove(clip)
