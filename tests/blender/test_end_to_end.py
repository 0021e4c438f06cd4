"""End to end in real Blender (4.2, 4.5, 5.0): operators -> shots -> job engine -> real runners -> the
stand-in servers -> drain -> strips. Clips are checked with a real decoder (PyAV)."""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import activate_shot, add_shot, addon_prefs, drain_until

pytestmark = [pytest.mark.blender, pytest.mark.standin]
ADDON = "blender_movie_director"


def _scene(bpy: ModuleType) -> Any:
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, 120
    return scene


def _strips(scene: Any) -> Any:
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def _decode(path: str) -> tuple[int, Fraction, tuple[int, int]]:
    """(frames, frame rate, (width, height)) by decoding every frame."""
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        frames = [f for f in container.decode(stream)]
        return len(frames), Fraction(stream.average_rate), (frames[0].width, frames[0].height)


def _our_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("movie-director")]


@pytest.fixture
def wan2gp_ready(blender: ModuleType, wan2gp_standin: Any, tmp_path: Path) -> Any:
    prefs = addon_prefs(blender)
    prefs.wan2gp_url = wan2gp_standin.url
    prefs.output_folder = str(tmp_path / "out")
    return wan2gp_standin


def test_preview_operator_cuts_a_16fps_clip_into_a_24fps_edit(
    blender: ModuleType, wan2gp_ready: Any, clip_factory
) -> None:
    from blender_movie_director.blender import compat, vse

    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a red kite over green hills")
    add_shot(blender, scene, "Shot_020", 49, prompt="the kite lands")
    # The editor already has something on channel 1 over the shot's frames.
    compat.top_level_strips(compat.sequence_editor(scene)).new_movie(
        name="temp_music_video", filepath=str(clip_factory(24, 30)), channel=1, frame_start=1
    )
    activate_shot(blender, cam)
    assert blender.ops.moviedir.generate_shot(quality="PREVIEW") == {"FINISHED"}
    settings = cam.movie_director
    assert settings.status == "QUEUED" and settings.job_id
    drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=120)
    assert settings.status == "DONE", settings.last_error
    movie = _strips(scene)[settings.strip_name]
    assert movie.name == "Shot_010"
    assert (movie.frame_final_start, movie.channel) == (1, 2)
    frames, rate, size = _decode(settings.takes[0].filepath)
    assert rate == 16 and size == (320, 192)
    # 48 frames of shot at 24 fps = 2 s -> Wan's 4n+1 rule -> 33 frames at 16 fps = 2.0625 s.
    assert frames == 33
    assert movie.frame_final_duration == round(frames / 16 * 24)
    assert movie.frame_final_duration / 24 == pytest.approx(frames / 16, abs=1 / 24)
    meta = vse.provenance_of(movie)
    assert meta["backend"] == "wan2gp" and meta["model"] == "t2v_1.3B"
    assert meta["prompt"] == "a red kite over green hills"
    assert meta["seed"] == settings.seed and meta["take"] == 1
    assert meta["task_id"] and meta["task_id"] == settings.remote_id


def test_generate_all_and_console_api(blender: ModuleType, wan2gp_ready: Any) -> None:
    import movie_director as md  # the alias the extension registers

    from blender_movie_director.session import submit

    scene = _scene(blender)
    a = add_shot(blender, scene, "Shot_010", 1, prompt="dawn over a city")
    b = add_shot(blender, scene, "Shot_020", 25, prompt="noon over a city")
    add_shot(blender, scene, "Shot_030", 60)  # no prompt: skipped, with the reason reported
    assert blender.ops.moviedir.generate_all(quality="PREVIEW") == {"FINISHED"}
    assert scene.movie_director.batch_size == 2
    jobs = md.jobs()
    assert sorted(j.shot for j in jobs) == ["Shot_010", "Shot_020"]
    md.wait(jobs, timeout=180)
    assert all(j.state == "succeeded" and j.strip_name for j in jobs)
    assert submit.batch_progress(scene) == (1.0, 2, 2)
    strips = _strips(scene)
    assert strips[a.movie_director.strip_name].frame_final_start == 1
    assert strips[b.movie_director.strip_name].frame_final_start == 25
    # The console path is the same job path: one more take for Shot_010, swapped in place.
    job = md.generate_shot("Shot_010", quality="preview")
    assert md.wait(job, timeout=120) == [job]
    assert len(a.movie_director.takes) == 2 and job.strip_name == "Shot_010"
    assert sorted(s.name for s in _strips(scene) if s.type == "MOVIE") == ["Shot_010", "Shot_020"]
    with pytest.raises(md.ShotNotReadyError, match="has no prompt"):
        md.generate_shot("Shot_030")


def test_failure_is_shown_on_the_shot(blender: ModuleType, start_wan2gp_standin: Any, tmp_path: Path) -> None:
    server = start_wan2gp_standin(fail_at_step=2, fail_message="CUDA out of memory on the test GPU")
    addon_prefs(blender).wan2gp_url = server.url
    addon_prefs(blender).output_folder = str(tmp_path / "out")
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a storm")
    activate_shot(blender, cam)
    blender.ops.moviedir.generate_shot(quality="PREVIEW")
    drain_until(lambda: cam.movie_director.status in ("DONE", "FAILED"), timeout=120)
    settings = cam.movie_director
    assert settings.status == "FAILED"
    assert "CUDA out of memory on the test GPU" in settings.last_error
    assert len(_strips(scene)) == 0


def test_cancel_stops_the_generation_on_the_server(
    blender: ModuleType, start_wan2gp_standin: Any, tmp_path: Path
) -> None:
    import time

    server = start_wan2gp_standin(step_seconds=0.5)
    addon_prefs(blender).wan2gp_url = server.url
    addon_prefs(blender).output_folder = str(tmp_path / "out")
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a slow sunrise")
    activate_shot(blender, cam)
    started = time.monotonic()
    blender.ops.moviedir.generate_shot(quality="PREVIEW")
    settings = cam.movie_director
    # Cancel once the server is denoising (not while the task is still being loaded).
    drain_until(lambda: "Denoising" in settings.progress_text, timeout=60)
    assert blender.ops.moviedir.cancel_shot() == {"FINISHED"}
    drain_until(lambda: settings.status in ("CANCELLED", "DONE", "FAILED"), timeout=60)
    assert settings.status == "CANCELLED"
    assert len(_strips(scene)) == 0
    # Uncancelled, the 12 preview steps at 0.5 s would write the clip ~6 s after the start: the server
    # really stopped if nothing appears well after that.
    time.sleep(max(0.0, started + 9.0 - time.monotonic()))
    assert not list(server.outputs.rglob("*.mp4"))


def test_reloading_the_file_mid_job_does_not_crash(
    blender: ModuleType, start_wan2gp_standin: Any, tmp_path: Path
) -> None:
    server = start_wan2gp_standin(step_seconds=0.2)
    addon_prefs(blender).wan2gp_url = server.url
    addon_prefs(blender).output_folder = "//movie_director/"  # beside the .blend
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 5, prompt="a paper boat")
    blend = tmp_path / "film.blend"
    blender.ops.wm.save_as_mainfile(filepath=str(blend))
    activate_shot(blender, cam)
    blender.ops.moviedir.generate_shot(quality="PREVIEW")
    drain_until(lambda: cam.movie_director.status == "RUNNING", timeout=60)
    blender.ops.wm.save_mainfile()
    blender.ops.wm.open_mainfile(filepath=str(blend))  # load_post re-attaches; old pointers are gone
    with pytest.raises(ReferenceError):
        _ = cam.name
    reloaded = blender.data.objects["Shot_010"]
    assert reloaded.movie_director.status == "RUNNING"
    drain_until(lambda: reloaded.movie_director.status in ("DONE", "FAILED"), timeout=120)
    assert reloaded.movie_director.status == "DONE", reloaded.movie_director.last_error
    strip = _strips(blender.context.scene)[reloaded.movie_director.strip_name]
    assert strip.frame_final_start == 5
    take = Path(reloaded.movie_director.takes[0].filepath)
    assert take.is_file() and take.parent.parent == tmp_path / "movie_director"
    assert (tmp_path / "movie_director" / "movie_director_jobs.jsonl").is_file()


def test_unregister_mid_job_leaves_no_threads(
    blender: ModuleType, start_wan2gp_standin: Any, tmp_path: Path
) -> None:
    import addon_utils

    server = start_wan2gp_standin(step_seconds=0.3)
    addon_prefs(blender).wan2gp_url = server.url
    addon_prefs(blender).output_folder = str(tmp_path / "out")
    before = {t.ident for t in threading.enumerate()}
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a long take")
    activate_shot(blender, cam)
    blender.ops.moviedir.generate_shot(quality="PREVIEW")
    drain_until(
        lambda: cam.movie_director.status == "RUNNING" and cam.movie_director.progress > 0, timeout=60
    )
    assert _our_threads()
    addon_utils.disable(ADDON, default_set=True, handle_error=None)
    try:
        assert _our_threads() == []
        # Threads of the backend libraries end too. gradio_client's heartbeat thread only notices its
        # client was closed at the server's next heartbeat (about 15 s), so it gets that long.
        leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        for thread in leftover:
            thread.join(30)
        assert [t.name for t in leftover if t.is_alive()] == []
        assert not hasattr(blender.types.Object, "movie_director")
    finally:
        addon_utils.enable(ADDON, default_set=True, handle_error=None)


def test_wavespeed_key_never_reaches_the_blend_file(
    blender: ModuleType, wavespeed_standin: Any, tmp_path: Path
) -> None:
    from blender_movie_director.blender import vse

    prefs = addon_prefs(blender)
    prefs.wavespeed_api_key = wavespeed_standin.api_key
    prefs.wavespeed_base_url = wavespeed_standin.url
    prefs.output_folder = str(tmp_path / "out")
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a desert road at night")
    cam.movie_director.backend = "WAVESPEED"
    activate_shot(blender, cam)
    assert blender.ops.moviedir.generate_shot(quality="PREVIEW") == {"FINISHED"}
    drain_until(lambda: cam.movie_director.status in ("DONE", "FAILED"), timeout=120)
    settings = cam.movie_director
    assert settings.status == "DONE", settings.last_error
    movie = _strips(scene)[settings.strip_name]
    frames, rate, _size = _decode(settings.takes[0].filepath)
    assert rate == 24  # the stand-in renders 24 fps: no speed strip needed
    assert movie.frame_final_duration == frames
    meta = vse.provenance_of(movie)
    assert meta["backend"] == "wavespeed" and meta["task_id"]
    assert meta["model"] == "wavespeed-ai/hunyuan-video-1.5/text-to-video"
    blend = tmp_path / "film.blend"
    blender.ops.wm.save_as_mainfile(filepath=str(blend), compress=False)
    key = wavespeed_standin.api_key.encode()
    assert (
        b"a desert road at night" in blend.read_bytes()
    )  # the file is readable, so the grep means something
    assert key not in blend.read_bytes()
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert key not in path.read_bytes(), path


def test_clips_go_to_the_scene_the_sequencer_shows(blender: ModuleType, wan2gp_ready: Any) -> None:
    if blender.app.version < (5, 0, 0):
        pytest.skip("the Sequencer shows its own scene (sequencer_scene) from Blender 5.0")
    scene = _scene(blender)
    edit = blender.data.scenes.new("Edit")
    blender.context.workspace.sequencer_scene = edit
    cam = add_shot(blender, scene, "Shot_010", 12, prompt="a train passes")
    activate_shot(blender, cam)
    blender.ops.moviedir.generate_shot(quality="PREVIEW")
    assert cam.movie_director.target_scene == "Edit"
    drain_until(lambda: cam.movie_director.status in ("DONE", "FAILED"), timeout=120)
    assert cam.movie_director.status == "DONE", cam.movie_director.last_error
    assert _strips(edit)["Shot_010"].frame_final_start == 12
    assert scene.sequence_editor is None or len(_strips(scene)) == 0


def test_a_job_left_running_is_offered_and_resumed_on_the_click(
    blender: ModuleType, wavespeed_standin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blender closes (the extension is disabled) after WaveSpeed accepted the task; opening the file again
    offers the job, and Resume fetches that task's result by its id, without submitting (or paying) twice."""
    import addon_utils

    wavespeed_standin.configure(task_seconds=3.0)
    monkeypatch.setenv("WAVESPEED_API_KEY", wavespeed_standin.api_key)
    monkeypatch.setenv("WAVESPEED_BASE_URL", wavespeed_standin.url)
    submits_before = wavespeed_standin.submit_count()
    try:
        scene = _scene(blender)
        cam = add_shot(blender, scene, "Shot_010", 7, prompt="lanterns on a river")
        cam.movie_director.backend = "WAVESPEED"
        blend = tmp_path / "film.blend"
        blender.ops.wm.save_as_mainfile(filepath=str(blend))
        activate_shot(blender, cam)
        blender.ops.moviedir.generate_shot(quality="PREVIEW")
        drain_until(lambda: cam.movie_director.remote_id != "", timeout=60)
        job_id = cam.movie_director.job_id
        blender.ops.wm.save_mainfile()
        addon_utils.disable(ADDON, default_set=True, handle_error=None)  # Blender closes mid-job
        assert _our_threads() == []
        addon_utils.enable(ADDON, default_set=True, handle_error=None)
        blender.ops.wm.open_mainfile(filepath=str(blend))  # offers the job, starts nothing
        settings = blender.data.objects["Shot_010"].movie_director
        assert settings.job_id == job_id and settings.status in ("RUNNING", "INTERRUPTED")
        from blender_movie_director.session import engine

        assert engine.earlier(timeout=20).count == 1
        assert blender.ops.moviedir.resume_jobs() == {"FINISHED"}  # the user's click
        drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=120)
        assert settings.status == "DONE", settings.last_error or settings.progress_text
        assert _strips(blender.context.scene)["Shot_010"].frame_final_start == 7
        assert wavespeed_standin.submit_count() == submits_before + 1  # fetched, never sent again
    finally:
        wavespeed_standin.reset()
