"""Every strip action of the Sequencer's Movie Director menu, in real Blender against the stand-in servers.

A shot is generated first through the normal path (Wan2GP stand-in, a 16 fps clip conformed into the
24 fps edit); the actions then run on its strip as a user would run them from the menu (the operators),
and the results are checked on decoded frames (PyAV) and on the timeline.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scripts.standins import videogen
from tests.fixtures.blender import add_shot, drain_until

pytestmark = [pytest.mark.blender, pytest.mark.standin]
ADDON = "blender_movie_director"


@pytest.fixture
def ready(blender: ModuleType, wan2gp_standin: Any, wavespeed_standin: Any, tmp_path: Path) -> Any:
    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.wan2gp_url = wan2gp_standin.url
    prefs.wavespeed_api_key = wavespeed_standin.api_key
    prefs.wavespeed_base_url = wavespeed_standin.url
    prefs.output_folder = str(tmp_path / "out")
    return wavespeed_standin


def _scene(bpy: ModuleType) -> Any:
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, 200
    return scene


def _strips(scene: Any) -> Any:
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def _generated_shot(bpy: ModuleType, scene: Any, frames: int = 96) -> Any:
    """Shot_010 over frames 1..frames, generated on the Wan2GP stand-in and cut in (the normal path)."""
    from blender_movie_director.session import submit

    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="a paper boat on a pond")
    add_shot(bpy, scene, "Shot_020", frames + 1, prompt="rain starts")
    submit.submit_shot(cam, "PREVIEW")
    settings = cam.movie_director
    drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=120)
    assert settings.status == "DONE", settings.last_error
    return cam


def _select(scene: Any, strip: Any) -> None:
    scene.sequence_editor.active_strip = strip


def _span(strip: Any) -> tuple[int, int, int]:
    return int(strip.frame_final_start), int(strip.frame_final_duration), int(strip.channel)


def _wait(jobs: list[Any], timeout: float = 120) -> None:
    from blender_movie_director.session import strip_jobs

    strip_jobs.wait(jobs, timeout=timeout)
    for job in jobs:
        assert job.state == "done", f"{job.label}: {job.text}"


def _new_jobs(before: int) -> list[Any]:
    from blender_movie_director.session import strip_jobs

    return strip_jobs.jobs()[before:]


def _shown(bpy: ModuleType, scene: Any, frame: int, tmp_path: Path) -> Any:
    """What the edit shows at ``frame`` (the Sequencer rendered at the scene's size), as RGB uint8."""
    from blender_movie_director.blender import frames

    scene.render.use_sequencer = True
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    path = frames.render_still(scene, tmp_path / f"shown_{frame}.png", frame=frame)
    scene.frame_set(1)
    return _rgb(frames.read_pixels(path))


def _rgb(pixels: Any) -> Any:
    import numpy as np

    return (np.clip(pixels[..., :3], 0, 1) * 255 + 0.5).astype(np.uint8)


def _png_rgb(path: str) -> Any:
    from blender_movie_director.blender import frames

    return _rgb(frames.read_pixels(path))


def test_regenerate_replaces_the_clip_in_place_with_a_new_seed(blender: ModuleType, ready: Any) -> None:
    from blender_movie_director.blender import vse
    from blender_movie_director.session import strip_jobs

    scene = _scene(blender)
    cam = _generated_shot(blender, scene)
    settings = cam.movie_director
    strip = _strips(scene)[settings.strip_name]
    before_span, before_file, before_seed = _span(strip), strip.filepath, settings.takes[0].seed
    strip.channel = 3  # the user moved it: it must stay where it is now
    before_span = _span(strip)
    _select(scene, strip)
    count = len(strip_jobs.jobs())
    assert blender.ops.moviedir.strip_regenerate() == {"FINISHED"}
    _wait(_new_jobs(count))
    strip = _strips(scene)[settings.strip_name]
    assert _span(strip) == before_span
    assert strip.filepath != before_file
    assert [t.number for t in settings.takes] == [1, 2] and settings.active_take_index == 1
    take = settings.takes[1]
    assert take.made_by == "regenerate" and take.seed != before_seed
    assert take.model == settings.takes[0].model and take.prompt == settings.takes[0].prompt
    meta = vse.provenance_of(strip)
    assert meta["take"] == 2 and meta["seed"] == take.seed and meta["shot"] == cam.name
    # The new clip really has the new seed: the stand-in paints the seed colour in its top-left square.
    frame = videogen.read_frame(take.filepath, 0)
    box = videogen.marker_box(frame.shape[1], frame.shape[0])
    assert videogen.region_mean(frame, box) == pytest.approx(videogen.seed_color(take.seed), abs=12)


def test_variations_add_takes_and_switch_take_keeps_position_and_length(
    blender: ModuleType, ready: Any
) -> None:
    from blender_movie_director.blender import vse
    from blender_movie_director.session import strip_jobs

    scene = _scene(blender)
    cam = _generated_shot(blender, scene)
    settings = cam.movie_director
    strip = _strips(scene)[settings.strip_name]
    _select(scene, strip)
    span, shown_file = _span(strip), strip.filepath
    count = len(strip_jobs.jobs())
    assert blender.ops.moviedir.strip_regenerate(count=2) == {"FINISHED"}
    jobs = _new_jobs(count)
    assert [j.action for j in jobs] == ["variation", "variation"]
    _wait(jobs)
    assert [t.number for t in settings.takes] == [1, 2, 3]
    assert {t.made_by for t in settings.takes[1:]} == {"variation"}
    assert len({t.seed for t in settings.takes}) == 3
    strip = _strips(scene)[settings.strip_name]
    assert strip.filepath == shown_file and settings.active_take_index == 0  # variations do not switch
    # Next, next, previous: the strip shows takes 2, 3, 2 and never moves or changes length.
    for direction, number in ((1, 2), (1, 3), (-1, 2)):
        assert blender.ops.moviedir.strip_switch_take(direction=direction) == {"FINISHED"}
        strip = _strips(scene)[settings.strip_name]
        assert _span(strip) == span
        assert vse.provenance_of(strip)["take"] == number
        assert Path(blender.path.abspath(strip.filepath)) == Path(settings.takes[number - 1].filepath)
    # At the first take there is no previous one.
    settings.active_take_index = 0
    with pytest.raises(RuntimeError, match="no earlier take"):
        blender.ops.moviedir.strip_switch_take(direction=-1)


def test_any_take_can_be_made_current_from_the_list(blender: ModuleType, ready: Any) -> None:
    from blender_movie_director.blender import vse
    from blender_movie_director.session import strip_jobs

    scene = _scene(blender)
    cam = _generated_shot(blender, scene)
    settings = cam.movie_director
    strip = _strips(scene)[settings.strip_name]
    _select(scene, strip)
    count = len(strip_jobs.jobs())
    blender.ops.moviedir.strip_regenerate()
    _wait(_new_jobs(count))
    span = _span(_strips(scene)[settings.strip_name])
    assert blender.ops.moviedir.use_take(shot=cam.name, index=0) == {"FINISHED"}
    strip = _strips(scene)[settings.strip_name]
    assert vse.provenance_of(strip)["take"] == 1 and _span(strip) == span
    # The shot panel's "Use Take" goes the same way.
    settings.active_take_index = 1
    scene.movie_director.active_shot_index = list(scene.objects).index(cam)
    assert blender.ops.moviedir.use_take() == {"FINISHED"}
    strip = _strips(scene)[settings.strip_name]
    assert vse.provenance_of(strip)["take"] == 2 and _span(strip) == span


def test_retake_section_on_wavespeed_keeps_position_and_length(blender: ModuleType, ready: Any) -> None:
    from blender_movie_director.blender import vse
    from blender_movie_director.scene import takes
    from blender_movie_director.session import strip_jobs

    scene = _scene(blender)
    cam = _generated_shot(blender, scene)
    settings = cam.movie_director
    strip = _strips(scene)[settings.strip_name]
    span, source = _span(strip), blender.path.abspath(strip.filepath)
    _select(scene, strip)
    count = len(strip_jobs.jobs())
    # Frames 25..72 of the timeline: 2 s in the middle of the 4 s clip.
    assert blender.ops.moviedir.strip_retake(
        frame_start=25, frame_end=72, prompt="the boat capsizes", mode="replace_video"
    ) == {"FINISHED"}  # fmt: skip
    jobs = _new_jobs(count)
    _wait(jobs)
    sent = [s for s in ready.submits(model="lightricks/ltx-2-retake")][-1]
    assert sent["body"]["mode"] == "replace_video"
    prompt = sent["body"]["prompt"]
    # Timeline seconds 1..3 of a strip that spreads the 4.06 s clip over its length, in clip seconds.
    clip_seconds = settings.takes[0].duration
    scale = clip_seconds / (span[1] / 24)
    match = re.fullmatch(r"From ([\d.]+)s to ([\d.]+)s, the boat capsizes", prompt)
    assert match, prompt
    assert float(match[1]) == pytest.approx(1.0 * scale, abs=0.011)
    assert float(match[2]) == pytest.approx(3.0 * scale, abs=0.011)
    strip = _strips(scene)[settings.strip_name]
    assert _span(strip) == span
    take = settings.takes[settings.active_take_index]
    assert take.made_by == "retake" and take.backend == "wavespeed" and take.cost > 0
    # No budget, so no quote was asked: the cost is reckoned from the price list, and shown as such.
    assert take.cost_estimated and takes.cost_text(take) == f"≈${take.cost:.2f}"
    assert vse.provenance_of(strip)["take"] == take.number == 2
    # The stand-in keeps the source's frames outside the window and repaints inside it.
    new, old = videogen.read_frames(take.filepath), videogen.read_frames(source)
    assert len(new) == len(old)
    outside = [videogen.mean_abs_diff(new[i], old[i]) for i in (2, len(new) - 3)]  # 0.125 s, the end
    inside = videogen.mean_abs_diff(new[32], old[32])  # 2 s: repainted by the retake
    assert max(outside) < 6 and inside > 8 and inside > 3 * max(outside), (outside, inside)


def test_retake_refuses_sections_outside_2_to_16_seconds(blender: ModuleType, ready: Any) -> None:
    scene = _scene(blender)
    cam = _generated_shot(blender, scene)
    strip = _strips(scene)[cam.movie_director.strip_name]
    _select(scene, strip)
    with pytest.raises(RuntimeError, match="LTX-2 Retake takes 2 to 16 s"):
        blender.ops.moviedir.strip_retake(frame_start=10, frame_end=30, prompt="x")
    with pytest.raises(RuntimeError, match="inside the strip"):
        blender.ops.moviedir.strip_retake(frame_start=10, frame_end=400, prompt="x")


@pytest.mark.parametrize("backend", ["WAN2GP", "WAVESPEED"])
def test_image_to_video_starts_on_the_frame_under_the_playhead(
    blender: ModuleType, ready: Any, tmp_path: Path, backend: str
) -> None:
    import av

    from blender_movie_director.blender import vse
    from blender_movie_director.session import strip_jobs

    scene = _scene(blender)
    cam = _generated_shot(blender, scene)
    strip = _strips(scene)[cam.movie_director.strip_name]
    playhead = 40
    shown = _shown(blender, scene, playhead, tmp_path)  # what the user sees there
    scene.frame_set(playhead)
    _select(scene, strip)
    count = len(strip_jobs.jobs())
    assert blender.ops.moviedir.strip_image_to_video(
        backend=backend, prompt="the boat drifts away", seconds=2.0
    ) == {"FINISHED"}  # fmt: skip
    (job,) = _new_jobs(count)
    start_image = job.request.inputs["image_start"]
    sent = _png_rgb(start_image)
    assert sent.shape == shown.shape
    assert videogen.mean_abs_diff(sent, shown) < 2.0  # the picture at the playhead, as Blender shows it
    assert videogen.frame_index_mark(sent) == videogen.frame_index_mark(shown)
    _wait([job])
    with av.open(job.result_path) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    expected = videogen.resize_rgb(sent, first.shape[1], first.shape[0])
    assert videogen.mean_abs_diff(first, expected) < 6.0  # the stand-in's clip starts on it
    new = _strips(scene)[job.result_strip]
    assert int(new.frame_final_start) == playhead
    assert new.channel > strip.channel  # above the shot's clip, which stays
    assert cam.movie_director.strip_name == strip.name and len(cam.movie_director.takes) == 1
    meta = vse.provenance_of(new)
    assert meta["made_by"] == "i2v" and meta["source"] == strip.name and meta["backend"] == backend.lower()
    if backend == "WAVESPEED":
        assert "hunyuan-video-1.5/image-to-video" in meta["model"] and meta["cost"] > 0
    else:
        assert meta["model"] == "i2v"


def test_extend_continues_from_the_last_frame(blender: ModuleType, ready: Any, tmp_path: Path) -> None:
    from blender_movie_director.session import strip_jobs

    scene = _scene(blender)
    cam = _generated_shot(blender, scene, frames=48)
    strip = _strips(scene)[cam.movie_director.strip_name]
    last = int(strip.frame_final_end) - 1
    shown = _shown(blender, scene, last, tmp_path)
    _select(scene, strip)
    count = len(strip_jobs.jobs())
    assert blender.ops.moviedir.strip_extend(backend="WAN2GP", prompt="the boat sails on", seconds=1.0) == {
        "FINISHED"
    }
    (job,) = _new_jobs(count)
    assert videogen.mean_abs_diff(_png_rgb(job.request.inputs["image_start"]), shown) < 2.0
    _wait([job])
    new = _strips(scene)[job.result_strip]
    assert int(new.frame_final_start) == last + 1
    first = videogen.read_frame(job.result_path, 0)
    assert videogen.mean_abs_diff(first, videogen.resize_rgb(shown, first.shape[1], first.shape[0])) < 6.0


def test_reveal_file_and_generation_info(
    blender: ModuleType, ready: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from blender_movie_director.ui import strip_ops

    scene = _scene(blender)
    cam = _generated_shot(blender, scene, frames=48)
    strip = _strips(scene)[cam.movie_director.strip_name]
    _select(scene, strip)
    # Opening a file browser needs a desktop, which a headless test has not: record the request instead.
    opened: list[str] = []
    monkeypatch.setattr(strip_ops, "open_path", opened.append)
    assert blender.ops.moviedir.strip_reveal() == {"FINISHED"}
    assert opened == [str(Path(cam.movie_director.takes[0].filepath).parent)]
    rows = dict(strip_ops.generation_info(strip))
    take = cam.movie_director.takes[0]
    assert rows["Shot"] == "Shot_010" and rows["Take"].startswith("Take 1")
    assert rows["Backend"] == "wan2gp" and rows["Model"] == take.model
    assert rows["Seed"] == str(take.seed) and rows["Prompt"] == "a paper boat on a pond"
    assert rows["File"] == blender.path.abspath(strip.filepath) and rows["Cost"] == "unknown"
    assert blender.ops.moviedir.strip_info() == {"FINISHED"}


def test_foreign_strips_get_the_actions_that_make_sense(
    blender: ModuleType, ready: Any, clip_factory
) -> None:
    from blender_movie_director.blender import compat
    from blender_movie_director.ui import strip_ops

    scene = _scene(blender)
    top = compat.top_level_strips(compat.sequence_editor(scene))
    strip = top.new_movie(name="holiday", filepath=str(clip_factory(24, 48)), channel=1, frame_start=1)
    _select(scene, strip)
    assert not strip_ops.is_ours(strip)
    assert not blender.ops.moviedir.strip_regenerate.poll()
    assert not blender.ops.moviedir.strip_switch_take.poll()
    for op in ("strip_retake", "strip_image_to_video", "strip_extend", "strip_reveal", "strip_info"):
        assert getattr(blender.ops.moviedir, op).poll(), op
    rows = dict(strip_ops.generation_info(strip))
    assert rows["Made by"] == "not Movie Director"
    with pytest.raises(RuntimeError, match="prompt is empty"):
        blender.ops.moviedir.strip_image_to_video(backend="WAN2GP", prompt="", seconds=1.0)
