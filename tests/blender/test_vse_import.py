"""Clips land in the Sequencer at the shot's frame, on a free channel, keeping their length in seconds.

The frame-rate conform is checked on rendered pictures: each test clip's frame ``i`` is grey level ``4 i``,
so rendering the Sequencer at a timeline frame shows which source frame Blender put there.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.blender


def _strips(bpy: ModuleType, scene):
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def _source_frame_on_screen(bpy: ModuleType, scene, frame: int, tmp_path: Path) -> float:
    """Render the Sequencer at ``frame`` and read back which source frame (grey / 4) it shows."""
    import numpy as np

    scene.render.use_sequencer = True
    scene.render.resolution_x, scene.render.resolution_y = 160, 96
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    scene.frame_set(frame)
    scene.render.filepath = str(tmp_path / f"frame_{frame}.png")
    bpy.ops.render.render(write_still=True, scene=scene.name)
    image = bpy.data.images.load(scene.render.filepath)
    try:
        pixels = np.array(image.pixels[:], dtype=np.float32).reshape(-1, 4)
        return float(pixels[:, 0].mean()) * 255.0 / 4.0
    finally:
        bpy.data.images.remove(image)


def test_16fps_clip_keeps_its_seconds_in_a_24fps_scene(
    blender: ModuleType, clip_factory, tmp_path: Path
) -> None:
    from blender_movie_director.blender import vse

    scene = blender.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    clip = clip_factory(16, 32)  # 2.0 s
    imported = vse.import_clip(
        scene,
        name="Shot_010",
        filepath=str(clip),
        frame_start=10,
        provenance={"seed": 7, "backend": "wan2gp"},
    )
    strips = _strips(blender, scene)
    movie = strips[imported.strip_name]
    assert imported.strip_name == "Shot_010"
    assert (movie.type, movie.frame_final_start, movie.channel) == ("MOVIE", 10, 1)
    assert movie.frame_final_duration == 48
    assert movie.frame_final_duration / vse.scene_fps(scene) == pytest.approx(2.0)
    speed = strips[imported.speed_name]
    assert (speed.type, speed.channel, speed.frame_final_start, speed.frame_final_duration) == (
        "SPEED", 2, 10, 48,
    )  # fmt: skip
    assert speed.speed_control == "STRETCH"
    # Timeline frame 10 + k shows source frame 16/24 * k: the clip plays at its own speed.
    for k in (0, 3, 12, 24, 45):
        assert _source_frame_on_screen(blender, scene, 10 + k, tmp_path) == pytest.approx(k * 2 / 3, abs=0.6)
    # Provenance on the strip.
    assert vse.provenance_of(movie)["seed"] == 7
    assert vse.provenance_of(movie)["backend"] == "wan2gp"
    assert vse.provenance_of(movie)["source_fps"] == pytest.approx(16.0)


def test_30fps_clip_is_shortened_to_its_seconds_in_a_24fps_scene(
    blender: ModuleType, clip_factory, tmp_path: Path
) -> None:
    from blender_movie_director.blender import vse

    scene = blender.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    imported = vse.import_clip(scene, name="Fast", filepath=str(clip_factory(30, 60)), frame_start=1)
    movie = _strips(blender, scene)[imported.strip_name]
    assert movie.frame_final_duration == 48  # 2.0 s at 24 fps, not 60 frames
    for k in (0, 4, 24, 44):
        assert _source_frame_on_screen(blender, scene, 1 + k, tmp_path) == pytest.approx(k * 1.25, abs=0.6)


def test_same_rate_needs_no_speed_strip_and_ntsc_rates_count(blender: ModuleType, clip_factory) -> None:
    from blender_movie_director.blender import vse

    scene = blender.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    imported = vse.import_clip(scene, name="Same", filepath=str(clip_factory(24, 36)), frame_start=5)
    assert imported.speed_name == ""
    assert _strips(blender, scene)["Same"].frame_final_duration == 36
    # 23.976 (24000/1001) scene: 2 s of a 16 fps clip are 48 frames at 23.976 fps (47.95, rounded).
    scene.render.fps, scene.render.fps_base = 24, 1.001
    other = vse.import_clip(scene, name="Ntsc", filepath=str(clip_factory(16, 32)), frame_start=100)
    assert other.frames == round(2.0 * 24 / 1.001)
    assert other.speed_name


def test_free_channel_is_found_at_insert_time(blender: ModuleType, clip_factory) -> None:
    from blender_movie_director.blender import compat, vse

    scene = blender.context.scene
    scene.render.fps = 24
    editor = compat.sequence_editor(scene)
    top = compat.top_level_strips(editor)
    blocker = clip_factory(24, 24)
    top.new_movie(name="user_a", filepath=str(blocker), channel=1, frame_start=1)
    top.new_movie(name="user_b", filepath=str(blocker), channel=3, frame_start=20)
    # A 16 fps clip needs its channel and the one above (speed effect): 1 is taken, 2 is free but 3 is
    # taken from frame 20, so the pair goes to 4-5.
    imported = vse.import_clip(scene, name="Shot", filepath=str(clip_factory(16, 32)), frame_start=10)
    assert imported.channel == 4
    strips = compat.all_strips(editor)
    assert strips[imported.speed_name].channel == 5
    # Outside the blockers' range the lowest channel is used.
    later = vse.import_clip(scene, name="Later", filepath=str(clip_factory(16, 32)), frame_start=200)
    assert later.channel == 1


def test_regenerating_replaces_the_clip_in_place(blender: ModuleType, clip_factory) -> None:
    from blender_movie_director.blender import compat, vse

    scene = blender.context.scene
    scene.render.fps = 24
    first = vse.import_clip(scene, name="Shot", filepath=str(clip_factory(16, 32)), frame_start=10)
    strips = compat.all_strips(compat.sequence_editor(scene))
    # The editor moved the strip; the new take goes where the strip is now.
    strips[first.strip_name].channel = 6
    strips[first.strip_name].frame_start += 5
    second = vse.import_clip(
        scene, name="Shot", filepath=str(clip_factory(24, 72)), frame_start=10, replace=first.strip_name
    )
    assert (second.strip_name, second.channel, second.frame_start, second.frames) == ("Shot", 6, 15, 72)
    assert sorted(s.name for s in strips) == ["Shot"]  # old movie and its speed effect are gone


def test_sound_strip_only_when_the_clip_has_audio(blender: ModuleType, clip_factory) -> None:
    from blender_movie_director.blender import compat, vse

    scene = blender.context.scene
    scene.render.fps = 24
    silent = vse.import_clip(scene, name="Silent", filepath=str(clip_factory(16, 32)), frame_start=1)
    assert silent.sound_name == ""
    loud = vse.import_clip(
        scene, name="Loud", filepath=str(clip_factory(24, 48, audio=True)), frame_start=100
    )
    strips = compat.all_strips(compat.sequence_editor(scene))
    if blender.app.version[:2] == (4, 2):
        # The 4.2 bpy module is built without Audaspace: the picture comes in, the sound is reported.
        assert loud.sound_name == "" and "sound" in loud.note
    else:
        sound = strips[loud.sound_name]
        assert sound.type == "SOUND"
        assert (sound.frame_final_start, sound.channel) == (100, loud.channel + 1)
        assert sound.frame_final_end <= 100 + loud.frames
    assert [s.type for s in strips].count("SOUND") == (0 if blender.app.version[:2] == (4, 2) else 1)


def test_missing_or_broken_file_is_an_error_not_a_one_frame_strip(
    blender: ModuleType, tmp_path: Path
) -> None:
    from blender_movie_director.backend.errors import ServerError
    from blender_movie_director.blender import compat, vse

    scene = blender.context.scene
    with pytest.raises(FileNotFoundError):
        vse.import_clip(scene, name="X", filepath=str(tmp_path / "nope.mp4"), frame_start=1)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\0\0\0\x18ftypisom" + b"\0" * 100)
    with pytest.raises(ServerError):
        vse.import_clip(scene, name="X", filepath=str(broken), frame_start=1)
    assert len(compat.all_strips(compat.sequence_editor(scene))) == 0
