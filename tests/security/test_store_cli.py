"""The CLI on a .blend with a crafted job store: ``generate`` without ``--resume`` starts none of the stored
jobs (it says they wait) and contacts no server named in the store; ``--resume`` takes the paid task up by
its id against today's WaveSpeed address (from the environment), never the attacker's.

Each command runs in its own process, as a user runs it; the attacker is a logging HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from blender_movie_director.backend.jobs import JobState, ShotRef
from blender_movie_director.backend.jobs.store import STORE_FILE_NAME, JobRecord
from tests.fixtures.blender import add_shot
from tests.security.attacker import Attacker
from tests.security.test_store_resume import paid_task_in_flight, ws_request

pytestmark = [pytest.mark.security, pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blender_movie_director", *args],
        capture_output=True, text=True, timeout=180, env={**os.environ, **env}, cwd=ROOT,
    )  # fmt: skip


def test_generate_starts_no_stored_job_and_resume_fetches_the_paid_task_by_id(
    blender: ModuleType, wavespeed_standin_clean: Any, tmp_path: Path
) -> None:
    ws = wavespeed_standin_clean
    ws.configure(task_seconds=1.0, queue_seconds=0.1)
    bpy = blender
    project = tmp_path / "project"
    project.mkdir()
    out = project / "movie_director"
    store = out / STORE_FILE_NAME
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y = 160, 96
    for name, frame in (("Shot_010", 1), ("Shot_020", 25)):
        add_shot(
            bpy, scene, name, frame, prompt=f"{name}: a kite over hills"
        ).movie_director.backend = "WAVESPEED"
    with Attacker() as evil:
        paid = paid_task_in_flight(ws, store, out)
        settings = bpy.data.objects["Shot_010"].movie_director
        settings.status, settings.job_id, settings.remote_id = "RUNNING", paid.job_id, paid.remote_id
        bpy.ops.wm.save_as_mainfile(filepath=str(project / "film.blend"), copy=True)
        shot = ShotRef("Scene", "Shot_010")
        request = ws_request(tmp_path / "elsewhere", "a paid task", (evil.url,), shot=shot)
        record = JobRecord(
            paid.job_id,
            request,
            JobState.RUNNING,
            remote_id=paid.remote_id,
            remote_kind="task",
            server=evil.url,
        )
        store.write_text(record.to_line(), encoding="utf-8")
        env = {"WAVESPEED_API_KEY": ws.api_key, "WAVESPEED_BASE_URL": ws.url, "NO_PROXY": "127.0.0.1"}
        submits, heard = ws.submit_count(), len(ws.requests(task_id=paid.remote_id))

        other = _run("generate", str(project / "film.blend"), "--shot", "Shot_020", "--no-save", env=env)
        assert other.returncode == 0, other.stderr
        assert "1 job(s) from an earlier session wait" in other.stderr and "--resume" in other.stderr
        assert evil.requests == []
        assert ws.submit_count() == submits + 1  # Shot_020 only
        assert len(ws.requests(task_id=paid.remote_id)) == heard  # the stored task was not even polled

        resumed = _run("generate", str(project / "film.blend"), "--shot", "Shot_010", "--resume", env=env)
        assert resumed.returncode == 0, resumed.stderr
        assert "Resumed 1 of 1 job(s) from an earlier session" in resumed.stderr
        assert "Shot_010: done, take 1" in resumed.stdout, resumed.stdout
        assert evil.requests == []
        assert ws.submit_count() == submits + 1  # fetched by id, never submitted again
        assert len(ws.requests(task_id=paid.remote_id)) > heard  # fetched from today's WaveSpeed
        assert not (tmp_path / "elsewhere").exists()
