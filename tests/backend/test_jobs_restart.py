"""A job engine killed mid-run (SIGKILL, as a crash or a closed Blender) and a new one on the same store.

The first engine runs in a child process so it can really die: nothing gets a chance to clean up.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import av
import pytest

from blender_movie_director.backend.errors import ErrorKind
from blender_movie_director.backend.jobs import Backend, Credentials, Failed, JobState, Succeeded
from blender_movie_director.backend.jobs.manager import JobManager
from blender_movie_director.backend.jobs.resume import ResumeContext
from blender_movie_director.backend.jobs.store import JobStore

pytestmark = [pytest.mark.standin, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, ROOT)
    from blender_movie_director.backend.jobs import Backend, Credentials, GenerationRequest, RemoteId
    from blender_movie_director.backend.jobs.manager import JobManager

    engine = JobManager(STORE, limits={Backend.WAVESPEED: 10})
    ids = [
        engine.submit(GenerationRequest(
            backend="wavespeed", model="hunyuan-video-1.5", prompt=f"restart shot {i}", output_dir=OUT,
            settings={"duration": 5, "resolution": "480p", "seed": i}, servers=(URL,)),
            Credentials(api_key=KEY))
        for i in range(10)
    ]
    for name in ("stuck connecting", "never started"):  # one worker: the second waits in the queue
        ids.append(engine.submit(GenerationRequest(
            backend="wan2gp", model="t2v_1.3B", prompt=name, output_dir=OUT, servers=(SILENT,),
            settings={"resolution": "160x96", "video_length": 9, "num_inference_steps": 2, "seed": 5})))
    seen = set()
    while len(seen) < 10:
        seen |= {e.job_id for e in engine.drain() if isinstance(e, RemoteId)}
        time.sleep(0.01)
    print(json.dumps(ids), flush=True)
    time.sleep(600)  # killed here, mid-poll
    """
)


def test_killed_engine_resumes_every_paid_task_exactly_once(wavespeed_standin_clean, tmp_path):
    ws = wavespeed_standin_clean
    ws.configure(task_seconds=3.0, queue_seconds=0.1)
    store, out = tmp_path / "jobs.jsonl", tmp_path / "out"
    # A "Wan2GP server" that accepts connections and never answers: its job is stuck when the engine dies.
    silent = socket.create_server(("127.0.0.1", 0))
    script = (
        CHILD.replace("ROOT", repr(str(ROOT)))
        .replace("STORE", repr(str(store)))
        .replace("OUT", repr(str(out)))
        .replace("URL", repr(ws.url))
        .replace("KEY", repr(ws.api_key))
        .replace("SILENT", repr(f"http://127.0.0.1:{silent.getsockname()[1]}"))
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        ids = json.loads(child.stdout.readline())
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        silent.close()  # from now on that address refuses connections
    assert child.returncode == -signal.SIGKILL
    wavespeed_ids, (stuck_id, queued_id) = ids[:10], ids[10:]

    records = {r.job_id: r for r in JobStore(store)}
    assert all(records[j].state == JobState.RUNNING and records[j].remote_id for j in wavespeed_ids)
    assert ws.submit_count() == 10

    engine = JobManager(store, limits={Backend.WAVESPEED: 4})
    try:
        # Loading offers the jobs and starts nothing; the click (resume) starts them with today's context.
        heard = len(ws.requests())
        offered = engine.earlier(timeout=30)
        assert {r.job_id for r in offered.records} == set(ids)
        time.sleep(0.3)
        assert len(ws.requests()) == heard and engine.jobs() == []
        resumed = engine.resume(today(ws, out, silent_url))
        assert set(wavespeed_ids) <= set(resumed)
        assert engine.wait(resumed, timeout=120)
        events = engine.drain()
    finally:
        assert engine.shutdown(timeout=30)

    finished = {e.job_id: e for e in events if isinstance(e, (Succeeded, Failed))}
    paths = set()
    for job_id in wavespeed_ids:
        assert isinstance(finished[job_id], Succeeded), finished[job_id]
        result = finished[job_id].result
        assert result.metadata["task_id"] == records[job_id].remote_id
        with av.open(result.video_path) as container:
            assert sum(1 for _ in container.decode(video=0)) == result.metadata["frames"]
        paths.add(result.video_path)
    assert len(paths) == 10
    # Never submitted again, each result downloaded exactly once.
    assert ws.submit_count() == 10
    downloads = [r["path"] for r in ws.requests(route="download") if r["status"] == 200]
    for job_id in wavespeed_ids:
        assert sum(records[job_id].remote_id in path for path in downloads) == 1, downloads
    # The Wan2GP job that was connecting cannot be resumed (the server never took it): it fails, saying so.
    assert stuck_id not in resumed
    assert isinstance(finished[stuck_id], Failed) and finished[stuck_id].error_kind == ErrorKind.INTERRUPTED
    # The one still queued had never started: it was queued again, and now fails with a connection error
    # (its server is gone), on the shot, instead of hanging.
    assert queued_id in resumed
    assert isinstance(finished[queued_id], Failed) and finished[queued_id].error_kind == ErrorKind.CONNECTION
    # The restarted store has every job's end state.
    final = {r.job_id: r.state for r in JobStore(store)}
    assert all(final[j] == JobState.SUCCEEDED for j in wavespeed_ids)


def today(ws, out: Path, *wan2gp: str) -> ResumeContext:
    """Today's preferences: this test's servers, key and output folder."""
    return ResumeContext(
        output_dir=str(out),
        wan2gp_servers=wan2gp,
        wavespeed_url=ws.url if ws else "",
        credentials={Backend.WAVESPEED: Credentials(api_key=ws.api_key)} if ws else {},
        request_timeout_s=10.0,
        deadline_s=120.0,
    )


def test_running_job_without_remote_id_is_not_resubmitted(tmp_path):
    """A WaveSpeed job caught mid-submit when the engine died may have been billed: it is not sent again."""
    from blender_movie_director.backend.jobs import GenerationRequest
    from blender_movie_director.backend.jobs.store import JobRecord

    store = JobStore(tmp_path / "jobs.jsonl")
    request = GenerationRequest(
        backend="wavespeed",
        model="hunyuan-video-1.5",
        prompt="x",
        output_dir=str(tmp_path),
        servers=("http://127.0.0.1:9",),
    )
    store.put(JobRecord("j1", request, state=JobState.RUNNING))
    engine = JobManager(tmp_path / "jobs.jsonl")
    try:
        assert engine.resume(today(None, tmp_path)) == []
        (event,) = [e for e in engine.drain() if isinstance(e, Failed)]
        assert event.error_kind == ErrorKind.INTERRUPTED
        assert "not sent again" in event.message
    finally:
        engine.shutdown()
    assert JobStore(tmp_path / "jobs.jsonl").get("j1").state == JobState.FAILED


def test_wan2gp_output_is_found_by_its_server_file_after_a_crash(start_wan2gp_standin, tmp_path, monkeypatch):
    """Blender died after the server finished a video but before it was fetched and recorded.

    With the server on this machine that window is a few milliseconds, too short to hit with a kill, so the
    store is put into exactly that state: a RUNNING record whose server file exists on the server.
    """
    from dataclasses import replace

    from blender_movie_director.backend.jobs import GenerationRequest
    from blender_movie_director.backend.jobs.store import JobRecord

    server = start_wan2gp_standin(step_seconds=0.05, load_seconds=0.1)
    request = GenerationRequest(
        backend="wan2gp", model="t2v_1.3B", prompt="finished while Blender was closed",
        output_dir=str(tmp_path / "first"), servers=(server.url,),
        settings={"resolution": "160x96", "video_length": 9, "num_inference_steps": 4, "seed": 8},
    )  # fmt: skip
    first = JobManager(None)
    try:
        job_id = first.submit(request)
        assert first.wait([job_id], timeout=60)
        server_file = first.job(job_id).remote_id
    finally:
        first.shutdown()
    assert list(server.outputs.glob(f"*{server_file}*"))

    store = tmp_path / "jobs.jsonl"
    lost = replace(request, output_dir=str(tmp_path / "out"))
    JobStore(store).put(JobRecord("crashed", lost, state=JobState.RUNNING, remote_id=server_file,
                                  remote_kind="server_file"))  # fmt: skip
    # The first job on a server cannot learn its output folder; the user's setting names it.
    monkeypatch.setenv("WAN2GP_SERVER_OUTPUTS", str(server.outputs))
    engine = JobManager(store)
    try:
        assert engine.resume(today(None, tmp_path, server.url)) == ["crashed"]
        assert engine.wait(["crashed"], timeout=60)
        (done,) = [e for e in engine.drain() if isinstance(e, (Succeeded, Failed))]
    finally:
        assert engine.shutdown(timeout=30)
    assert isinstance(done, Succeeded), done
    assert Path(done.result.video_path).parent == tmp_path / "out"
    with av.open(done.result.video_path) as container:
        assert sum(1 for _ in container.decode(video=0)) == 9
