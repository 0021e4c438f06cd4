"""Thumbnail stress (issue 14, item 9): ≥ 200 take thumbnails made while WaveSpeed jobs run, in a Blender
process of its own, and the process exits 0.

The crash this guards against: the drain's idle step (a timer) rendered each thumbnail with
``bpy.ops.render.render``, and a full 5.0 run segfaulted there 1 run in 3. Thumbnails are now Blender's own
MOVIE previews (registered when a panel draws a take, decoded by Blender's preview job), so the session
below also checks that nothing rendered at all, that every thumbnail is its clip's middle frame, and that
the jobs' worker threads ended. The session is ``thumbnail_session.py``; a crash shows as its exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.security, pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(240)]

SESSION = Path(__file__).with_name("thumbnail_session.py")
REPO = Path(__file__).resolve().parents[2]
SHOTS = 24
KINDS, COPIES = 10, 20  # 200 local takes, plus one new take per shot


def test_200_thumbnails_while_jobs_run_render_nothing_and_exit_0(
    wavespeed_standin_clean: Any, tmp_path: Path
) -> None:
    ws = wavespeed_standin_clean
    ws.configure(task_seconds=1.0, queue_seconds=0.1, fps=8, max_side=64)
    report = tmp_path / "report.json"
    settings = {
        # The local takes sit in the output folder: thumbnails are made only of clips the extension wrote.
        "key": ws.api_key, "url": ws.url, "output": str(tmp_path / "out"),
        "clips": str(tmp_path / "out" / "clips"),
        "report": str(report), "shots": SHOTS, "concurrency": 6, "kinds": KINDS, "copies": COPIES,
        "per_tick": 4, "deadline": 120.0,
    }  # fmt: skip
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # Blender's thumbnail cache, not the user's
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    for kind in ("CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES"):
        env[f"BLENDER_USER_{kind}"] = str(tmp_path / "user" / kind.lower())
    proc = subprocess.run(
        [sys.executable, str(SESSION), json.dumps(settings)],
        capture_output=True, text=True, timeout=200, env=env, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{proc.stderr[-4000:]}"
    seen = json.loads(report.read_text(encoding="utf-8"))
    assert seen["thumbnails"] >= KINDS * COPIES + SHOTS, seen
    assert seen["made_while_jobs_ran"] >= 50, seen  # the point: thumbnails and network jobs at once
    assert seen["renders"] == [], seen  # nothing rendered, in the drain or anywhere
    assert seen["wrong_frame"] == {} and seen["empty_network_thumbnails"] == [], seen
    assert seen["statuses"] == ["DONE"] * SHOTS, seen
    assert seen["threads"] == [], seen
    assert list((tmp_path / "cache" / "thumbnails" / "large").glob("*.png")), "Blender's cache was not used"
