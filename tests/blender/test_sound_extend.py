"""Sound and Extend on WaveSpeed (issue 18), in real Blender against the WaveSpeed stand-in.

A Veo 3.1 Fast shot (a model that returns sound, with a "generate_audio" switch) lands with a sound strip
tied to its movie strip, whose samples Blender's own audio library (aud) decodes and finds audible; a take
without sound takes the sound strip away, the take with sound brings it back where the movie is, and a retake
replaces both together. Extend on that strip uses Veo's own extend endpoint (the stand-in's submit log says
so) and the new strip shows only the continuation; a model without one keeps the image-to-video Extend.
The 4.2 bpy module is built without audio: there the picture comes in and the shot's note says so.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from scripts.standins import videogen
from tests.fixtures.blender import add_shot, drain_until

pytestmark = [pytest.mark.blender, pytest.mark.standin]
ADDON = "blender_movie_director"
VEO = "google/veo3.1-fast/text-to-video"
VEO_EXTEND = "google/veo3.1-fast/video-extend"


@pytest.fixture
def ready(blender: ModuleType, wavespeed_standin_clean: Any, tmp_path: Path) -> Any:
    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.wavespeed_api_key = wavespeed_standin_clean.api_key
    prefs.wavespeed_base_url = wavespeed_standin_clean.url
    prefs.output_folder = str(tmp_path / "out")
    # Tiny pictures, no waiting: the sound and the timing on the timeline are what count here.
    wavespeed_standin_clean.configure(max_side=64, queue_seconds=0.0, task_seconds=0.0)
    scene = blender.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 180, 100
    scene.frame_start, scene.frame_end = 1, 400
    return wavespeed_standin_clean


def _strips(scene: Any) -> Any:
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def _has_audio(bpy: ModuleType) -> bool:
    return bpy.app.version[:2] != (4, 2)


def _sound_of(scene: Any, movie: Any) -> Any:
    """The sound strip the movie strip names, checked to be tied to it (same start and end, just above)."""
    from blender_movie_director.blender import vse

    if not movie.get(vse.SOUND_KEY):
        return None
    sound = _strips(scene)[movie[vse.SOUND_KEY]]
    assert sound.type == "SOUND"
    assert sound.frame_final_start == movie.frame_final_start
    assert sound.frame_final_end == movie.frame_final_end
    assert sound.channel == movie.channel + 1
    return sound


def _loudness(bpy: ModuleType, scene: Any, sound: Any) -> float:
    """RMS of the samples the sound strip plays, decoded by Blender's audio library (aud)."""
    import aud
    import numpy as np

    decoded = aud.Sound(bpy.path.abspath(sound.sound.filepath))
    rate = decoded.specs[0]
    samples = decoded.data()
    fps = scene.render.fps / scene.render.fps_base
    first = int(sound.frame_offset_start / fps * rate)
    part = samples[first : first + int(sound.frame_final_duration / fps * rate)]
    return float(np.sqrt(np.mean(np.square(part)))) if len(part) else 0.0


def _generate(bpy: ModuleType, cam: Any) -> None:
    from blender_movie_director.session import submit

    settings = cam.movie_director
    submit.submit_shot(cam, "PREVIEW")
    drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=60)
    assert settings.status == "DONE", settings.last_error


def _veo_shot(bpy: ModuleType, scene: Any) -> Any:
    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="waves on a pebble beach")
    add_shot(bpy, scene, "Shot_020", 97, prompt="a gull lands")  # Shot_010 lasts 4 s
    settings = cam.movie_director
    settings.backend, settings.wavespeed_model = "WAVESPEED", VEO
    return cam


def _sounds(scene: Any) -> int:
    return sum(1 for s in _strips(scene) if s.type == "SOUND")


def test_sound_strip_is_tied_to_its_clip_through_takes_and_retake(blender: ModuleType, ready: Any) -> None:
    from blender_movie_director.scene import takes
    from blender_movie_director.session import strip_jobs

    scene = blender.context.scene
    cam = _veo_shot(blender, scene)
    settings = cam.movie_director
    _generate(blender, cam)
    loud_take = settings.takes[0]
    movie = _strips(scene)[settings.strip_name]
    assert ready.submits(model=VEO)[-1]["body"]["generate_audio"] is True
    if _has_audio(blender):
        sound = _sound_of(scene, movie)
        assert _loudness(blender, scene, sound) > 0.05  # the stand-in's tone, not silence
        assert _sounds(scene) == 1
    else:
        assert "sound" in settings.progress_text  # the 4.2 module has no audio: said, not hidden

    # A take without sound: the sound strip goes with the clip it belonged to.
    settings.with_sound = False
    _generate(blender, cam)
    assert ready.submits(model=VEO)[-1]["body"]["generate_audio"] is False
    quiet_take = settings.takes[1]
    assert 0 < quiet_take.cost < loud_take.cost  # the price list charges for sound
    movie = _strips(scene)[settings.strip_name]
    assert _sound_of(scene, movie) is None and _sounds(scene) == 0

    # The user moves the clip; swapping back to the take with sound brings its sound where the clip is now.
    movie.frame_start += 12
    start = int(movie.frame_final_start)
    takes.make_current(cam, 0)
    movie = _strips(scene)[settings.strip_name]
    assert int(movie.frame_final_start) == start
    if _has_audio(blender):
        assert _loudness(blender, scene, _sound_of(scene, movie)) > 0.05
        assert _sounds(scene) == 1

    # A retake replaces picture and sound together, in place.
    span = (int(movie.frame_final_start), int(movie.frame_final_duration), int(movie.channel))
    scene.sequence_editor.active_strip = movie
    count = len(strip_jobs.jobs())
    assert blender.ops.moviedir.strip_retake(
        frame_start=start + 24, frame_end=start + 71, prompt="a wave breaks", mode="replace_audio_and_video"
    ) == {"FINISHED"}  # fmt: skip
    (job,) = strip_jobs.jobs()[count:]
    strip_jobs.wait([job], timeout=60)
    assert job.state == "done", job.text
    movie = _strips(scene)[settings.strip_name]
    assert (int(movie.frame_final_start), int(movie.frame_final_duration), int(movie.channel)) == span
    assert settings.takes[settings.active_take_index].made_by == "retake"
    if _has_audio(blender):
        assert _loudness(blender, scene, _sound_of(scene, movie)) > 0.05
        assert _sounds(scene) == 1  # the old sound strip went with the old clip


def test_extend_uses_the_services_extend_endpoint_where_the_model_has_one(
    blender: ModuleType, ready: Any
) -> None:
    from blender_movie_director.blender import vse
    from blender_movie_director.session import strip_jobs

    scene = blender.context.scene
    cam = _veo_shot(blender, scene)
    _generate(blender, cam)
    source = _strips(scene)[cam.movie_director.strip_name]
    last = int(source.frame_final_end) - 1
    scene.sequence_editor.active_strip = source
    count = len(strip_jobs.jobs())
    extend = blender.ops.moviedir.strip_extend
    assert extend(backend="WAVESPEED", prompt="the tide comes in", seconds=3.0) == {"FINISHED"}
    (job,) = strip_jobs.jobs()[count:]
    strip_jobs.wait([job], timeout=60)
    assert job.state == "done", job.text
    (sent,) = ready.submits(model=VEO_EXTEND)
    assert sent["body"]["video"].startswith(ready.url) and sent["body"]["prompt"] == "the tide comes in"
    new = _strips(scene)[job.result_strip]
    assert int(new.frame_final_start) == last + 1
    assert int(new.frame_final_duration) == 7 * 24  # Veo adds 7 s per run; the input's 4 s are left out
    meta = vse.provenance_of(new)
    assert meta["made_by"] == "extend" and meta["model"] == VEO_EXTEND and meta["cost"] > 0
    # The returned file starts with the source's own frames; the strip shows what comes after them.
    source_frames, merged = videogen.read_frames(source.filepath), videogen.read_frames(job.result_path)
    assert len(merged) == len(source_frames) + 7 * 24
    assert videogen.mean_abs_diff(merged[0], source_frames[0]) < 6
    assert int(new.frame_offset_start) == len(source_frames)
    if _has_audio(blender):
        assert _loudness(blender, scene, _sound_of(scene, new)) > 0.05

    # A model without an extend endpoint keeps today's Extend: image to video from the last frame.
    hunyuan = vse.import_clip(
        scene, name="Hunyuan", filepath=source.filepath, frame_start=300,
        provenance={"backend": "wavespeed", "model": "wavespeed-ai/hunyuan-video-1.5/text-to-video"},
    )  # fmt: skip
    hunyuan = _strips(scene)[hunyuan.strip_name]
    scene.sequence_editor.active_strip = hunyuan
    count = len(strip_jobs.jobs())
    assert extend(backend="WAVESPEED", prompt="night falls", seconds=2.0) == {"FINISHED"}
    (job,) = strip_jobs.jobs()[count:]
    assert job.request.model == "wavespeed-ai/hunyuan-video-1.5/image-to-video"
    assert "image_start" in job.request.inputs and "video" not in job.request.inputs
    assert len(ready.submits(model=VEO_EXTEND)) == 1


@pytest.mark.parametrize(
    ("model", "switch", "label"),
    [
        (VEO, True, False),
        ("kwaivgi/kling-v4.0/text-to-video", False, True),  # sound always, no switch
        ("wavespeed-ai/hunyuan-video-1.5/text-to-video", False, False),  # no sound
    ],
)
def test_with_sound_is_offered_where_the_model_has_a_switch(
    blender: ModuleType, model: str, switch: bool, label: bool
) -> None:
    from blender_movie_director.ui import shot_panels
    from tests.blender.recording_layout import RecordingLayout

    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="surf")
    scene.movie_director.active_shot_index = list(scene.objects).index(cam)
    cam.movie_director.backend, cam.movie_director.wavespeed_model = "WAVESPEED", model
    layout = RecordingLayout(blender)
    shot_panels.draw_shot(layout, blender.context)
    assert ("with_sound" in layout.props()) is switch
    assert ("The clip comes with sound" in layout.labels()) is label
