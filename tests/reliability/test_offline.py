"""Online access off (Preferences > System > Network): no socket is opened, whatever the user does, and every
entry point says why. Observed with an audit hook on the socket module (real calls, any thread): opening a
.blend whose shot has a paid task in flight, pressing the buttons (Resume too), the console API, the drain,
enabling the extension. Once online access is allowed again, reopening the file offers the task and Resume
picks it up (no second task)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import drain_until, grey_because
from tests.reliability.netwatch import watch
from tests.reliability.studio import ADDON, Studio, ThreadWatch

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(180)]


def test_offline_opens_no_socket_and_says_why(
    studio: Studio, ws: Any, threads: ThreadWatch, tmp_path: Path
) -> None:
    import addon_utils

    bpy: ModuleType = studio.bpy
    from blender_movie_director import api
    from blender_movie_director.backend.errors import OfflineError
    from blender_movie_director.scene import shots
    from blender_movie_director.session import drain, engine

    studio.use_wavespeed(ws)
    ws.add_fault("submit", action="slow_task", task_seconds=4)
    cam = studio.shot("Shot_010", prompt="a night train")
    blend = tmp_path / "film.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend))
    assert studio.generate(cam) == {"FINISHED"}
    drain_until(lambda: bool(cam.movie_director.remote_id), timeout=60)
    task_id = cam.movie_director.remote_id
    bpy.ops.wm.save_mainfile()
    assert engine.shutdown()  # Blender closes with the paid task in flight

    bpy.context.preferences.system.use_online_access = False
    try:
        with watch() as net:
            bpy.ops.wm.open_mainfile(filepath=str(blend))  # load_post must not resume anything
            assert engine.earlier(timeout=20).count == 1  # offered, not started
            drain.drain()  # the tick that marks the shot once the store is read
            cam = bpy.data.objects["Shot_010"]
            studio.activate(cam)
            settings = cam.movie_director
            said = (settings.status, settings.progress_text)
            for op in (bpy.ops.moviedir.generate_shot, bpy.ops.moviedir.generate_all,
                       bpy.ops.moviedir.test_connection, bpy.ops.moviedir.resume_jobs):  # fmt: skip
                assert grey_because(op).startswith("Online access is off"), op
            settings.status = "IDLE"  # as if the user cleared the shot: the API still refuses
            with pytest.raises(api.ShotNotReadyError, match="Online access is off"):
                api.generate_shot(cam)
            with pytest.raises(OfflineError, match="Online access is off"):
                api.quick_video("a test")
            with pytest.raises(OfflineError, match="Online access is off"):
                asyncio.run(api.ai_video_generate("a test", provider="wavespeed"))
            for _ in range(5):
                drain.drain()
                drain.timer()
            addon_utils.disable(ADDON, default_set=True, handle_error=None)
            addon_utils.enable(ADDON, default_set=True, handle_error=None)
        assert net.silent, net
        assert shots.offline_reason().startswith("Online access is off")
    finally:
        bpy.context.preferences.system.use_online_access = True

    # What the shot said on load: its job waits for Resume (greyed while offline, saying why).
    assert said[0] == "INTERRUPTED" and "earlier session" in said[1] and "Resume" in said[1], said
    # Online again: reopening the file offers the paid task; Resume picks it up by its id. (Disabling the
    # extension above dropped its preferences: set them again.)
    studio.prefs = bpy.context.preferences.addons[ADDON].preferences
    studio.prefs.output_folder = str(studio.out)
    studio.use_wavespeed(ws)
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    assert engine.earlier(timeout=20).count == 1
    drain.drain()
    assert bpy.ops.moviedir.resume_jobs() == {"FINISHED"}
    cam = bpy.data.objects["Shot_010"]
    drain_until(lambda: cam.movie_director.status in ("DONE", "FAILED"), timeout=60)
    assert cam.movie_director.status == "DONE", cam.movie_director.last_error
    assert cam.movie_director.takes[0].task_id == task_id
    assert len([s for s in ws.submits() if s["outcome"].startswith("created")]) == 1
    threads.assert_none_left()
