"""The drain applies job events to shots and cuts finished clips in, with the real job manager and threads
(a local runner makes the clips; see local_runner.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType

import pytest

from tests.fixtures.blender import add_shot, drain_until

pytestmark = pytest.mark.blender


def _strips(scene):
    from blender_movie_director.blender import compat

    return compat.all_strips(compat.sequence_editor(scene))


def _scene(bpy: ModuleType):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.frame_start, scene.frame_end = 1, 120
    return scene


def test_events_drive_the_shot_to_a_strip_with_a_take(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.blender import vse
    from blender_movie_director.session import drain, engine, submit

    local_engine.gate = threading.Event()
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 25, prompt="a lighthouse at dusk")
    add_shot(blender, scene, "Shot_020", 73, prompt="waves")
    done = submit.submit_shot(cam, "preview")
    settings = cam.movie_director
    assert (settings.status, settings.job_id, settings.seed) == ("QUEUED", done.job_id, done.seed)
    drain_until(lambda: settings.remote_id == f"local-{done.job_id}")
    assert settings.status == "RUNNING"
    assert settings.progress == pytest.approx(0.75)  # the last of 4 steps, coalesced
    assert settings.progress_text == "Denoising 4/4"
    local_engine.gate.set()
    drain_until(lambda: settings.status == "DONE")
    assert not engine.has_active()
    assert drain.pending_imports() == 0
    movie = _strips(scene)[settings.strip_name]
    # Shot_010 runs from its marker (25) to the next camera marker (73): it starts at 25; the clip
    # (2 s at 16 fps) is 48 frames at 24 fps.
    assert (movie.frame_final_start, movie.frame_final_duration, movie.channel) == (25, 48, 1)
    meta = vse.provenance_of(movie)
    assert meta["seed"] == done.seed and meta["prompt"] == "a lighthouse at dusk"
    assert meta["backend"] == "wan2gp" and meta["take"] == 1 and meta["quality"] == "preview"
    assert meta["task_id"] == f"local-{done.job_id}" and meta["job_id"] == done.job_id
    assert [t.number for t in settings.takes] == [1]
    assert Path(settings.takes[0].filepath).is_file()
    assert settings.takes[0].duration == pytest.approx(2.0)


def test_regenerating_keeps_the_previous_file_as_a_take(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.session import submit

    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 10, prompt="a cat")
    settings = cam.movie_director
    submit.submit_shot(cam, "preview")
    drain_until(lambda: settings.status == "DONE")
    first_file = settings.takes[0].filepath
    local_engine.fps, local_engine.frames = 24, 72  # the final is 3 s at 24 fps
    submit.submit_shot(cam, "final")
    drain_until(lambda: settings.status == "DONE" and len(settings.takes) == 2)
    strips = _strips(scene)
    assert [s.name for s in strips] == ["Shot_010"]  # replaced in place: one strip, no leftover speed effect
    assert strips["Shot_010"].frame_final_duration == 72
    assert strips["Shot_010"]["md_take"] == 2 and strips["Shot_010"]["md_quality"] == "final"
    assert Path(first_file).is_file() and settings.takes[1].filepath != first_file
    assert [t.quality for t in settings.takes] == ["preview", "final"]


def test_failure_is_shown_on_the_shot(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.session import submit

    local_engine.fail = "The GPU ran out of memory at 1280x720; try 480p."
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a storm")
    submit.submit_shot(cam, "preview")
    settings = cam.movie_director
    drain_until(lambda: settings.status == "FAILED")
    assert settings.last_error == "The GPU ran out of memory at 1280x720; try 480p."
    assert settings.error_kind == "server"
    assert submit.describe(cam) == "Failed: The GPU ran out of memory at 1280x720; try 480p."
    assert len(_strips(scene)) == 0


def test_cancel_stops_the_job(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.session import submit

    local_engine.gate = threading.Event()
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a storm")
    submit.submit_shot(cam, "preview")
    settings = cam.movie_director
    drain_until(lambda: settings.status == "RUNNING")
    assert submit.cancel_shot(cam) == "Shot 'Shot_010': cancelling."
    drain_until(lambda: settings.status == "CANCELLED")
    assert settings.progress_text == "Cancelled."
    assert len(_strips(scene)) == 0


def test_imports_wait_while_saving_or_rendering(blender: ModuleType, local_engine, tmp_path: Path) -> None:
    from blender_movie_director import registration
    from blender_movie_director.session import drain, submit

    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="rain")
    registration._on_render_init(scene)
    submit.submit_shot(cam, "preview")
    settings = cam.movie_director
    drain_until(lambda: drain.pending_imports() == 1)
    for _ in range(5):
        report = drain.drain()
        assert report.imported == [] and report.deferred == 1
    assert len(_strips(scene)) == 0 and settings.status == "RUNNING"
    registration._on_render_end(scene)
    registration._on_save_pre(str(tmp_path / "x.blend"))
    assert drain.drain().imported == []
    registration._on_save_post(str(tmp_path / "x.blend"))
    assert drain.drain().imported == ["Shot_010"]
    assert settings.status == "DONE"


def test_events_for_a_stale_or_deleted_shot_are_dropped(blender: ModuleType, local_engine) -> None:
    from blender_movie_director.session import drain, engine, submit

    local_engine.gate = threading.Event()
    scene = _scene(blender)
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="one")
    gone = add_shot(blender, scene, "Shot_020", 50, prompt="two")
    first = submit.submit_shot(cam, "preview")
    submit.submit_shot(gone, "preview")
    drain_until(lambda: cam.movie_director.status == "RUNNING")
    # The shot moved on (e.g. a job from another session): the old job's events must not touch it.
    cam.movie_director.job_id = "some-newer-job"
    blender.data.objects.remove(gone)
    local_engine.gate.set()
    manager = engine.current()
    manager.wait([first.job_id], timeout=30)
    drain_until(lambda: not engine.has_active() and drain.pending_imports() == 0)
    assert cam.movie_director.status == "RUNNING"  # untouched since the switch
    assert len(_strips(scene)) == 0


def test_progress_is_coalesced_and_the_tick_is_capped(blender: ModuleType, local_engine) -> None:
    import time

    from blender_movie_director.backend.jobs.request import Backend
    from blender_movie_director.session import drain, engine, submit

    local_engine.steps = 300
    local_engine.gate = threading.Event()
    scene = _scene(blender)
    cams = [add_shot(blender, scene, f"Shot_{i}", 1 + 30 * i, prompt=f"shot {i}") for i in range(3)]
    manager = engine.current()
    manager.set_limit(Backend.WAN2GP, 3)
    jobs = [submit.submit_shot(cam, "preview").job_id for cam in cams]
    # Let every job post its 300 progress events before draining anything.
    end = time.monotonic() + 30
    while any(manager.job(j).remote_id == "" for j in jobs):
        assert time.monotonic() < end
        time.sleep(0.01)
    # The manager keeps only each job's newest undrained progress: 900 reports wait as a few events
    # (queued, started, progress, remote id per job).
    pending = manager.pending_events()
    assert 3 * 3 <= pending <= 3 * 5
    capped = drain.drain(max_events=2)
    assert capped.events == 2
    rest = drain.drain(max_events=10_000)
    assert rest.events == pending - 2
    # One write per job and kind of change per tick.
    assert rest.applied <= 3 * 4
    for cam in cams:
        assert cam.movie_director.progress == pytest.approx(299 / 300)
        assert cam.movie_director.progress_text == "Denoising 300/300"
    local_engine.gate.set()
    drain_until(lambda: all(c.movie_director.status == "DONE" for c in cams), timeout=60)


def test_first_save_moves_the_job_records_beside_the_blend(blender: ModuleType, tmp_path: Path) -> None:
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.request import Backend
    from blender_movie_director.session import engine, submit
    from tests.blender.local_runner import ClipRunner

    prefs = blender.context.preferences.addons["blender_movie_director"].preferences
    prefs.output_folder = "//movie_director/"
    runner = ClipRunner()
    unsaved_store = engine.store_path()
    engine.use_manager(JobManager(unsaved_store, runners={Backend.WAN2GP: runner}))
    cam = add_shot(blender, _scene(blender), "Shot_010", 1, prompt="p")
    submit.submit_shot(cam, "preview")
    drain_until(lambda: cam.movie_director.status == "DONE")
    blender.ops.wm.save_as_mainfile(filepath=str(tmp_path / "film.blend"))
    assert engine.current() is None  # idle and in the wrong folder: let go
    manager = engine.get()
    try:
        assert manager.store_path == tmp_path / "movie_director" / "movie_director_jobs.jsonl"
    finally:
        engine.shutdown()
