"""Restart: Blender closes (or is killed) with 10 WaveSpeed tasks in flight; a new Blender opens the .blend,
which sends nothing and offers the 10 jobs; on Resume all 10 finish and land in the Sequencer exactly once,
without a second submit.

Each Blender session is a process of its own (the real ``bpy`` module), so a crash would show as its exit
code, and nothing survives between the two but the .blend, the job store and the clips on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.studio import decode_frames

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(300)]

SESSION = Path(__file__).with_name("blender_session.py")
SHOTS = 10


def run_session(
    phase: str, settings: dict[str, Any], report: Path, before_click: Any = None
) -> tuple[int, dict[str, Any]]:
    """Run one Blender session; ``before_click(offer)`` runs once the reopened file offers its jobs and
    before the session presses Resume (then the session waits for it)."""
    args = [sys.executable, str(SESSION), phase, json.dumps({**settings, "report": str(report),
            "wait_before_resume": before_click is not None})]  # fmt: skip
    env = dict(os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    log = Path(f"{report}.log")
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            if before_click is not None:
                offer = Path(f"{report}.offer")  # written atomically once the file is open
                end = time.monotonic() + 120
                while not offer.is_file():
                    assert proc.poll() is None and time.monotonic() < end, log.read_text(encoding="utf-8")
                    time.sleep(0.05)
                before_click(json.loads(offer.read_text(encoding="utf-8")))
                Path(f"{report}.go").touch()
            proc.wait(timeout=180)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
    stderr = log.read_text(encoding="utf-8", errors="replace")
    state = json.loads(report.read_text(encoding="utf-8")) if report.is_file() else {}
    if not state:
        raise AssertionError(f"{phase} wrote no report (exit {proc.returncode}):\n{stderr[-3000:]}")
    return proc.returncode, state


@pytest.mark.parametrize("how", ["close", "kill"])
def test_ten_tasks_in_flight_survive_a_restart(ws: Any, tmp_path: Path, how: str) -> None:
    ws.configure(task_seconds=6.0, queue_seconds=0.1, fps=8, max_side=64)
    settings = {"key": ws.api_key, "url": ws.url, "blend": str(tmp_path / "film.blend"), "shots": SHOTS}
    settings["how"] = how
    code, before = run_session("submit", settings, tmp_path / "submit.json")
    assert code == (-9 if how == "kill" else 0), code  # anything else is a crash (or a hang at exit)
    in_flight = [t for t in ws.tasks() if t["status"] not in ("completed", "failed")]
    assert len(in_flight) == SHOTS, [t["status"] for t in ws.tasks()]  # still running when Blender went
    remote = {name: shot["remote_id"] for name, shot in before["shots"].items()}
    assert len(set(remote.values())) == SHOTS and all(remote.values())
    assert all(shot["status"] == "RUNNING" for shot in before["shots"].values())

    heard = len(ws.requests())

    def before_click(offer: dict[str, Any]) -> None:
        # Opening the file offered the 10 jobs and sent nothing: no poll, no submit, no download.
        assert offer["offered"] == SHOTS and offer["notices"] == [], offer
        assert len(ws.requests()) == heard, ws.requests()[heard:]
        assert {s for s, _ in offer["waiting"].values()} == {"INTERRUPTED"}, offer["waiting"]
        assert all("earlier session" in text for _, text in offer["waiting"].values()), offer["waiting"]

    code, after = run_session("reopen", settings, tmp_path / "reopen.json", before_click)
    assert code == 0, code
    # Right after the load: still as saved, or already waiting for Resume (the store is read on its own
    # thread, so either can show first); never failed.
    assert set(after["status_after_load"].values()) <= {"RUNNING", "INTERRUPTED"}, after["status_after_load"]
    shots = after["shots"]
    assert {name: s["status"] for name, s in shots.items()} == dict.fromkeys(remote, "DONE"), shots
    for name, shot in shots.items():
        assert [t["task_id"] for t in shot["takes"]] == [remote[name]], shot  # exactly once, its own task
    movies = [s for s in after["strips"] if s["type"] == "MOVIE"]
    assert sorted(s["name"] for s in movies) == sorted(s["strip"] for s in shots.values())
    files = [s["file"] for s in movies]
    assert len(set(files)) == SHOTS and all(decode_frames(f) > 0 for f in files)
    created = [s for s in ws.submits() if s["outcome"].startswith("created")]
    assert len(created) == SHOTS  # resumed by id, never submitted again
    for task_id in remote.values():
        downloads = [r for r in ws.requests(route="download") if task_id in r["path"]]
        assert len(downloads) == 1, (task_id, downloads)
