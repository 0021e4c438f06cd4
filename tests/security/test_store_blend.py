"""The shared-.blend attack through real Blender (the ``bpy`` module): a saved ``film.blend`` with a crafted
``movie_director/movie_director_jobs.jsonl`` beside it, opened by a user who has a WaveSpeed key, a Wan2GP
login and online access on.

Opening the file sends nothing (audit-hook network watch, the attacker's request log, the stand-ins'
submit counts) and writes nothing outside the output folder; the Shots panel offers the jobs. Pressing
Resume contacts only today's servers: the attacker still hears nothing, the paid WaveSpeed task resumes by
its id against today's address and lands on its shot. A damaged store line never blocks Generate.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from blender_movie_director.backend.jobs import JobState, ShotRef
from blender_movie_director.backend.jobs.store import STORE_FILE_NAME, JobRecord
from tests.blender.recording_layout import RecordingLayout
from tests.fixtures.blender import ADDON_MODULE, add_shot, drain_until
from tests.reliability.netwatch import watch
from tests.security.attacker import Attacker
from tests.security.test_store_resume import (
    WAN_PASSWORD,
    WAN_USER,
    paid_task_in_flight,
    wan_request,
    ws_request,
)

pytestmark = [pytest.mark.security, pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(240)]

SHOT = ShotRef(scene="Scene", shot="Shot_010")


@pytest.fixture
def ws(wavespeed_standin_clean: Any) -> Any:
    return wavespeed_standin_clean


@pytest.fixture
def film(blender: ModuleType, tmp_path: Path) -> Any:
    """A saved film.blend (one WaveSpeed shot) with the user's preferences: key, Wan2GP login, online."""
    from blender_movie_director.session import engine

    bpy = blender
    prefs = bpy.context.preferences.addons[ADDON_MODULE].preferences
    prefs.output_folder = "//movie_director/"
    prefs.request_timeout = 10.0
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y = 160, 96
    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="a harbour at night")
    cam.movie_director.backend = "WAVESPEED"
    project = tmp_path / "project"
    project.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "film.blend"))
    try:
        yield bpy, prefs, project
    finally:
        engine.shutdown()


def _settle(bpy: ModuleType, seconds: float = 0.5) -> None:
    """What the drain's timer does for a while after the load (timers never fire in the bpy module)."""
    from blender_movie_director.session import drain

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        drain.drain()
        time.sleep(0.02)


def test_opening_a_crafted_file_sends_nothing_and_resume_goes_only_to_todays_servers(
    film: Any, ws: Any, start_wan2gp_standin: Any, tmp_path: Path
) -> None:
    from blender_movie_director.session import earlier, engine
    from blender_movie_director.ui import shot_panels

    bpy, prefs, project = film
    wan = start_wan2gp_standin(auth=f"{WAN_USER}:{WAN_PASSWORD}", step_seconds=0.02, load_seconds=0.05)
    ws.configure(task_seconds=1.0, queue_seconds=0.1)
    prefs.wavespeed_api_key, prefs.wavespeed_base_url = ws.api_key, ws.url
    prefs.wan2gp_url, prefs.wan2gp_username, prefs.wan2gp_password = wan.url, WAN_USER, WAN_PASSWORD
    out = project / "movie_director"
    store = out / STORE_FILE_NAME
    secret = tmp_path / "home" / "secret.png"
    secret.parent.mkdir()
    secret.write_bytes(b"\x89PNG\r\n\x1a\nTHE-USERS-PRIVATE-PICTURE")
    elsewhere = tmp_path / "elsewhere"

    with Attacker() as evil:
        paid = paid_task_in_flight(ws, store, out)
        # The shot was saved mid-job, waiting for that task.
        settings = bpy.data.objects["Shot_010"].movie_director
        settings.status, settings.job_id, settings.remote_id = "RUNNING", paid.job_id, paid.remote_id
        bpy.ops.wm.save_mainfile()
        steal, evil_at = {"image_start": str(secret)}, (evil.url,)
        crafted = [
            JobRecord(
                paid.job_id,
                ws_request(elsewhere, "a paid task", (evil.url,), shot=SHOT),
                JobState.RUNNING,
                remote_id=paid.remote_id,
                remote_kind="task",
                server=evil.url,
            ),
            *[JobRecord(f"q{i}", ws_request(elsewhere, f"q{i}", evil_at, inputs=steal)) for i in range(10)],
            JobRecord(
                "wan-evil",
                wan_request(elsewhere, "x", (evil.url,)),
                JobState.RUNNING,
                remote_id="clip.mp4",
                remote_kind="server_file",
                server=evil.url,
                metadata={"outputs_dir": str(secret.parent)},
            ),
        ]
        store.write_text("".join(r.to_line() for r in crafted), encoding="utf-8")
        submits_before = ws.submit_count()
        polls_before = len(ws.requests())
        engine.shutdown()

        # --- File > Open: nothing on the network, nothing started, nothing written outside ----------------
        with watch() as net:
            bpy.ops.wm.open_mainfile(filepath=str(project / "film.blend"))
            offer = engine.earlier(timeout=20)
            _settle(bpy)
        assert net.ports() == set() and not net.lookups, net
        assert evil.requests == []
        assert ws.submit_count() == submits_before and len(ws.requests()) == polls_before
        assert not elsewhere.exists()
        assert offer.loaded and offer.count == len(crafted) and offer.notices == ()
        settings = bpy.data.objects["Shot_010"].movie_director
        assert settings.status == "INTERRUPTED" and settings.progress_text == earlier.WAITING_TEXT
        assert bpy.ops.moviedir.resume_jobs.poll() and bpy.ops.moviedir.discard_jobs.poll()
        # The Shots panel shows the offer, its two buttons and Blender's own distrust of the file.
        layout = RecordingLayout(bpy)
        shot_panels.draw_shots(layout, bpy.context)
        labels, ops = layout.labels(), [(idname, props) for idname, _, props in layout.operators()]
        assert f"{len(crafted)} jobs from an earlier session" in labels, labels
        assert ("moviedir.resume_jobs", {}) in ops and ("moviedir.discard_jobs", {}) in ops
        assert any("does not trust this file" in label for label in labels), labels
        # Blender itself does not trust the file (auto-run of scripts is off in a factory Blender): said.
        assert "does not trust" in earlier.untrusted_reason()
        bpy.context.preferences.filepaths.use_scripts_auto_execute = True
        try:
            assert earlier.untrusted_reason() == ""
        finally:
            bpy.context.preferences.filepaths.use_scripts_auto_execute = False

        # --- Resume: today's servers, credentials and output folder only ----------------------------------
        assert bpy.ops.moviedir.resume_jobs() == {"FINISHED"}
        manager = engine.current()  # the click returned at once: the jobs are checked on the engine's thread
        ids = [r.job_id for r in crafted]
        drain_until(lambda: set(ids) <= {info.job_id for info in manager.jobs()}, timeout=30)
        assert manager.wait(ids, timeout=120)
        drain_until(lambda: settings.status in ("DONE", "FAILED"), timeout=60)
        assert settings.status == "DONE", settings.last_error
        assert [t.task_id for t in settings.takes] == [paid.remote_id]
        assert Path(bpy.path.abspath(settings.takes[0].filepath)).resolve().is_relative_to(out.resolve())
        assert evil.requests == []  # no key, no password, no picture, no poll: nothing at all
        assert not evil.saw(ws.api_key) and not evil.saw(WAN_PASSWORD)
        today = manager.job(paid.job_id).request  # rebuilt from the preferences, not from the record
        assert today.servers == (ws.url,) and today.request_timeout_s == 10.0
        assert today.deadline_s == prefs.job_deadline_minutes * 60.0
        assert today.max_download_bytes == prefs.download_limit_mb * 1024 * 1024
        assert Path(today.output_dir).resolve().is_relative_to(out.resolve())
        assert ws.submit_count() == submits_before  # the paid task was fetched by id, never sent again
        assert ws.requests(route="upload") == []
        failed = {r.job_id: manager.job(r.job_id) for r in crafted if r.job_id != paid.job_id}
        assert all(info.state == JobState.FAILED for info in failed.values()), failed
        assert str(secret) in failed["q0"].error_message
        assert "not in your preferences" in failed["wan-evil"].error_message
        assert not elsewhere.exists()
        assert engine.earlier().count == 0 and not bpy.ops.moviedir.resume_jobs.poll()


DAMAGED = {
    "inputs oops": b'{"job_id": "x1", "request": {"backend": "wan2gp", "model": "m", "prompt": "p", '
    b'"output_dir": "/tmp", "inputs": "oops"}}\n',
    "0xFF byte": b'{"job_id": "x2", "request": "\xff\xfe"}\n',
    "job_id list": b'{"job_id": [1], "request": {}}\n',
    "metadata text": b'{"job_id": "x3", "metadata": "ab", "request": {"backend": "wavespeed", "model": "m", '
    b'"prompt": "p", "output_dir": "/tmp"}}\n',
    "deep nesting": b"[" * 100_000 + b"\n",
}


@pytest.mark.parametrize("kind", list(DAMAGED))
def test_a_damaged_store_line_is_named_and_generate_still_works(film: Any, ws: Any, kind: str) -> None:
    from blender_movie_director.session import engine
    from blender_movie_director.ui import shot_panels

    bpy, prefs, project = film
    prefs.wavespeed_api_key, prefs.wavespeed_base_url = ws.api_key, ws.url
    ws.configure(task_seconds=0.5, queue_seconds=0.05)
    out = project / "movie_director"
    out.mkdir()
    good = JobRecord("old", ws_request(out, "old", (ws.url,)), JobState.SUCCEEDED).to_line().encode()
    (out / STORE_FILE_NAME).write_bytes(good + DAMAGED[kind] + good.replace(b'"old"', b'"old2"'))
    bpy.ops.wm.open_mainfile(filepath=str(project / "film.blend"))
    offer = engine.earlier(timeout=20)
    assert offer.notices == (f"line 2 of {STORE_FILE_NAME} is damaged and was ignored",), offer.notices
    layout = RecordingLayout(bpy)
    shot_panels.draw_shots(layout, bpy.context)  # the notice is shown; no job is offered
    assert offer.notices[0] in layout.labels() and "moviedir.resume_jobs" not in str(layout.operators())
    _settle(bpy, 0.1)
    cam = bpy.data.objects["Shot_010"]
    bpy.context.scene.movie_director.active_shot_index = list(bpy.context.scene.objects).index(cam)
    assert bpy.ops.moviedir.generate_shot(quality="PREVIEW") == {"FINISHED"}
    drain_until(lambda: cam.movie_director.status in ("DONE", "FAILED"), timeout=60)
    assert cam.movie_director.status == "DONE", cam.movie_director.last_error
