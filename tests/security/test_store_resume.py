"""A crafted job store replayed against the job engine (no Blender): loading it sends nothing; resuming it
with today's context contacts only today's servers, uses no file outside the output folder, and sends no
secret to a host that is not in the preferences.

Real parts: the attacker is a logging HTTP server on 127.0.0.1 (tests/security/attacker.py), WaveSpeed and
Wan2GP are the stand-ins in their own processes, the network is watched with an audit hook.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.errors import ErrorKind
from blender_movie_director.backend.jobs import (
    Backend,
    Credentials,
    Failed,
    GenerationRequest,
    JobState,
    RemoteId,
    Succeeded,
)
from blender_movie_director.backend.jobs.manager import JobManager
from blender_movie_director.backend.jobs.resume import ResumeContext
from blender_movie_director.backend.jobs.store import STORE_FILE_NAME, JobRecord, JobStore
from tests.reliability.netwatch import watch
from tests.security.attacker import Attacker

pytestmark = [pytest.mark.security, pytest.mark.standin, pytest.mark.timeout(180)]

WAN_USER, WAN_PASSWORD = "ana", "hunter2-wan-password"
SMALL_WAN = {"resolution": "160x96", "video_length": 9, "num_inference_steps": 2, "seed": 3}
WS_SETTINGS = {"duration": 5, "resolution": "480p", "seed": 3}


def ws_request(out: Path, prompt: str, servers: tuple[str, ...], **changes: Any) -> GenerationRequest:
    return GenerationRequest(
        backend=Backend.WAVESPEED,
        model="hunyuan-video-1.5",
        prompt=prompt,
        output_dir=str(out),
        settings=WS_SETTINGS,
        servers=servers,
        **changes,
    )


def wan_request(out: Path, prompt: str, servers: tuple[str, ...], **changes: Any) -> GenerationRequest:
    return GenerationRequest(
        backend=Backend.WAN2GP,
        model="t2v_1.3B",
        prompt=prompt,
        output_dir=str(out),
        settings=SMALL_WAN,
        servers=servers,
        **changes,
    )


def paid_task_in_flight(ws: Any, store: Path, out: Path) -> JobRecord:
    """A real WaveSpeed task, submitted and left running by an engine that was shut down (as at exit)."""
    engine = JobManager(store)
    try:
        job_id = engine.submit(ws_request(out, "a paid task", (ws.url,)), Credentials(api_key=ws.api_key))
        end = time.monotonic() + 30
        while not any(isinstance(e, RemoteId) for e in engine.drain()):
            assert time.monotonic() < end, "the task was not submitted"
            time.sleep(0.02)
    finally:
        assert engine.shutdown(timeout=20)
    record = JobStore(store).get(job_id)
    assert record is not None and record.state == JobState.RUNNING and record.remote_id
    return record


@pytest.fixture
def ws(wavespeed_standin_clean: Any) -> Any:
    """The session WaveSpeed stand-in, reset before and after the test."""
    return wavespeed_standin_clean


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    home = tmp_path / "home"
    home.mkdir()
    secret = home / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\nTHE-USERS-PRIVATE-PICTURE")
    out = tmp_path / "project" / "movie_director"
    out.mkdir(parents=True)
    return {"home": home, "secret": secret, "out": out, "elsewhere": tmp_path / "elsewhere"}


def test_a_crafted_store_sends_nothing_on_load_and_only_to_todays_servers_on_resume(
    ws: Any, start_wan2gp_standin: Any, layout: dict[str, Path]
) -> None:
    wan = start_wan2gp_standin(auth=f"{WAN_USER}:{WAN_PASSWORD}", step_seconds=0.02, load_seconds=0.05)
    ws.configure(task_seconds=1.0, queue_seconds=0.1)
    out, secret, elsewhere = layout["out"], layout["secret"], layout["elsewhere"]
    store = out / STORE_FILE_NAME
    with Attacker() as evil:
        paid = paid_task_in_flight(ws, store, out)
        evil_servers = (evil.url,)
        crafted = [
            # The real paid task, now naming the attacker as its server and a folder outside the project.
            JobRecord(
                paid.job_id,
                ws_request(elsewhere, "a paid task", evil_servers),
                JobState.RUNNING,
                remote_id=paid.remote_id,
                remote_kind="task",
                server=evil.url,
            ),
            # Ten queued jobs uploading a local secret picture, writing outside the project.
            *[
                JobRecord(
                    f"q{i}",
                    ws_request(elsewhere, f"steal {i}", evil_servers, inputs={"image_start": str(secret)}),
                )
                for i in range(10)
            ],
            # A queued text-only job naming the attacker: resubmitted, but to today's WaveSpeed.
            JobRecord("fresh", ws_request(elsewhere, "a harbour at night", evil_servers)),
            # A Wan2GP job on the attacker's server, its "server output" a local file.
            JobRecord(
                "wan-evil",
                wan_request(elsewhere, "x", evil_servers),
                JobState.RUNNING,
                remote_id=secret.name,
                remote_kind="server_file",
                server=evil.url,
                metadata={"outputs_dir": str(secret.parent)},
            ),
            # A Wan2GP job on today's server whose "server output" is a local file: fetched through the
            # server (which refuses it), never copied from this machine's disk.
            JobRecord(
                "wan-local",
                wan_request(out, "x", (wan.url,)),
                JobState.RUNNING,
                remote_id=secret.name,
                remote_kind="server_file",
                server=wan.url,
                metadata={"outputs_dir": str(secret.parent)},
            ),
            # A server file that is a path, not a name.
            JobRecord(
                "wan-path",
                wan_request(out, "x", (wan.url,)),
                JobState.RUNNING,
                remote_id="../../home/secret.png",
                remote_kind="server_file",
            ),
        ]
        store.write_text("".join(r.to_line() for r in crafted), encoding="utf-8")
        submits_before = ws.submit_count()

        # --- "open the file": the engine reads the store and offers the jobs; nothing else happens ---------
        with watch() as net:
            engine = JobManager(store)
            earlier = engine.earlier(timeout=20)
            time.sleep(0.5)  # anything the load might have started would show by now
        try:
            assert earlier.loaded and earlier.count == len(crafted) and earlier.notices == ()
            assert net.ports() == set(), net
            assert evil.requests == []
            assert ws.submit_count() == submits_before
            assert not elsewhere.exists()
            assert engine.jobs() == [] and engine.drain() == []

            # --- "Resume": today's servers, credentials, output folder ------------------------------------
            context = ResumeContext(
                output_dir=str(out),
                wan2gp_servers=(wan.url,),
                wavespeed_url=ws.url,
                credentials={
                    Backend.WAVESPEED: Credentials(api_key=ws.api_key),
                    Backend.WAN2GP: Credentials(username=WAN_USER, password=WAN_PASSWORD),
                },
                request_timeout_s=10.0,
                deadline_s=60.0,
            )
            started = engine.resume(context)
            assert set(started) == {paid.job_id, "fresh", "wan-local"}
            assert engine.wait([r.job_id for r in crafted], timeout=120)
            events = engine.drain()
            assert engine.earlier().count == 0
        finally:
            assert engine.shutdown(timeout=30)

        ends = {e.job_id: e for e in events if isinstance(e, (Succeeded, Failed))}
        # The attacker heard nothing, before or after the click; no secret went anywhere but its own host.
        assert evil.requests == []
        # The paid task resumed by its id against today's WaveSpeed, into today's output folder.
        done = ends[paid.job_id]
        assert isinstance(done, Succeeded), done
        assert done.result.metadata["task_id"] == paid.remote_id
        assert Path(done.result.video_path).parent == out.resolve()
        # The queued jobs with a local secret as input were not sent: each says which file, and why.
        for i in range(10):
            failed = ends[f"q{i}"]
            assert isinstance(failed, Failed) and failed.error_kind == ErrorKind.INTERRUPTED
            assert str(secret) in failed.message and "outside the output folder" in failed.message
        uploads = ws.requests(route="upload")
        assert uploads == [], uploads
        # The text-only one was submitted once, to today's WaveSpeed, and landed in the output folder.
        assert isinstance(ends["fresh"], Succeeded), ends["fresh"]
        assert ws.submit_count() == submits_before + 1
        assert Path(ends["fresh"].result.video_path).parent == out.resolve()
        # The Wan2GP job of a server not in the preferences was not contacted, and says so.
        assert isinstance(ends["wan-evil"], Failed)
        assert evil.url in ends["wan-evil"].message and "not in your preferences" in ends["wan-evil"].message
        # Today's Wan2GP server was asked for the file; the local file was not copied.
        assert isinstance(ends["wan-local"], Failed), ends["wan-local"]
        assert "could not be recovered from the Wan2GP server" in ends["wan-local"].message, ends["wan-local"]
        assert "wan-path" in ends and "not a plain file name" in ends["wan-path"].message
        written = [p for p in out.rglob("*") if p.is_file() and p.name != STORE_FILE_NAME]
        assert all(secret.read_bytes() != p.read_bytes() for p in written)
        assert not elsewhere.exists()
    # Every record in the store now says how it ended; nothing is offered again.
    final = {r.job_id: r for r in JobStore(store)}
    assert all(r.state.terminal for r in final.values()), {k: r.state for k, r in final.items()}
    assert JobManager(store).earlier(timeout=20).count == 0


def test_resume_and_discard_only_on_the_callers_word(tmp_path: Path) -> None:
    """The engine offers; only ``resume`` starts and only ``discard`` drops (the store is compacted)."""
    out = tmp_path / "out"
    store = out / STORE_FILE_NAME
    JobStore(store).put(JobRecord("a", ws_request(out, "a", ("http://127.0.0.1:9",))))
    JobStore(store).put(JobRecord("b", ws_request(out, "b", ("http://127.0.0.1:9",)), JobState.SUCCEEDED))
    with watch() as net:
        engine = JobManager(store)
        try:
            earlier = engine.earlier(timeout=20)
            assert [r.job_id for r in earlier.records] == ["a"]
            assert engine.discard() == 1
            assert engine.earlier().count == 0 and engine.jobs() == []
        finally:
            assert engine.shutdown()
    assert net.ports() == set(), net
    assert [json.loads(line)["job_id"] for line in store.read_text().splitlines()] == ["b"]


def test_a_damaged_store_line_does_not_block_generate(ws: Any, tmp_path: Path) -> None:
    """Each damaged line is named in the engine's notices, and a new job runs to a video."""
    out = tmp_path / "out"
    out.mkdir()
    store = out / STORE_FILE_NAME
    good = JobRecord("old", ws_request(out, "old", (ws.url,)), JobState.SUCCEEDED).to_line().encode()
    bad = [b'{"job_id": [1]}\n', b"\xff\xfe\n", b"[" * 50_000 + b"\n", b'{"job_id": "x", "metadata": "ab"}\n']
    store.write_bytes(good + b"".join(bad))
    engine = JobManager(store)
    try:
        notices = engine.earlier(timeout=20).notices
        assert notices == tuple(
            f"line {n} of {STORE_FILE_NAME} is damaged and was ignored" for n in (2, 3, 4, 5)
        )
        job_id = engine.submit(
            ws_request(out, "after the damage", (ws.url,)), Credentials(api_key=ws.api_key)
        )
        assert engine.wait([job_id], timeout=60)
        assert engine.job(job_id).state == JobState.SUCCEEDED, engine.job(job_id)
    finally:
        assert engine.shutdown(timeout=20)
