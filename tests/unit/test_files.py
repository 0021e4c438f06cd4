"""Untrusted server file names and atomic result writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from blender_movie_director.backend.files import atomic_output, safe_filename, unique_path


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2026-11-21-10h00m00s_seed42_a cat.mp4", "2026-11-21-10h00m00s_seed42_a cat.mp4"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.mp4", "evil.mp4"),
        ("/abs/path/clip.mp4", "clip.mp4"),
        ("..", "video.mp4"),
        ("", "video.mp4"),
        (None, "video.mp4"),
        ("a\x00b\nc.mp4", "a_b_c.mp4"),
        ("CON.mp4", "_CON.mp4"),
        ("..mp4", "mp4"),
    ],
)
def test_safe_filename(given: str | None, expected: str) -> None:
    assert safe_filename(given) == expected


def test_safe_filename_caps_length_and_keeps_suffix() -> None:
    name = safe_filename("x" * 500 + ".mp4")
    assert len(name) <= 120 and name.endswith(".mp4")


def test_unique_path(tmp_path: Path) -> None:
    first = unique_path(tmp_path, "shot", ".mp4")
    first.write_bytes(b"1")
    second = unique_path(tmp_path, "shot", ".mp4")
    assert (first.name, second.name) == ("shot.mp4", "shot_2.mp4")


def test_atomic_output_moves_into_place_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out" / "clip.mp4"
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data"

    with pytest.raises(RuntimeError), atomic_output(tmp_path / "out" / "bad.mp4") as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("download cut")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clip.mp4"]
