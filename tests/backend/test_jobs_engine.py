"""The job engine against both real stand-ins: limits, priorities, cancel, deadlines, order, shutdown."""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from pathlib import Path

import av
import pytest

from blender_movie_director.backend.errors import ErrorKind
from blender_movie_director.backend.jobs import (
    PRIORITY_BATCH,
    PRIORITY_PREVIEW,
    Backend,
    Cancelled,
    Credentials,
    Failed,
    GenerationRequest,
    JobState,
    Log,
    Progress,
    Queued,
    RemoteId,
    Started,
    Succeeded,
)
from blender_movie_director.backend.jobs.events import TERMINAL_EVENTS
from blender_movie_director.backend.jobs.manager import JobManager

pytestmark = [pytest.mark.standin, pytest.mark.slow]
SMALL_WAN = {"resolution": "160x96", "video_length": 9, "num_inference_steps": 3, "seed": 1}


def wan_request(standin, out: Path, prompt: str, **changes) -> GenerationRequest:
    settings = {**SMALL_WAN, **changes.pop("settings", {})}
    return GenerationRequest(
        backend=Backend.WAN2GP,
        model="t2v_1.3B",
        prompt=prompt,
        output_dir=str(out),
        settings=settings,
        servers=(standin.url,),
        **changes,
    )


def ws_request(standin, out: Path, prompt: str, **changes) -> GenerationRequest:
    return GenerationRequest(
        backend=Backend.WAVESPEED,
        model="hunyuan-video-1.5",
        prompt=prompt,
        output_dir=str(out),
        settings={"duration": 5, "resolution": "480p", "seed": 3},
        servers=(standin.url,),
        **changes,
    )


def drain_until_done(manager: JobManager, job_ids, timeout: float = 120.0) -> list:
    events, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        events += manager.drain()
        if all(manager.job(j).state.terminal for j in job_ids):
            return events + manager.drain()
        time.sleep(0.02)
    raise AssertionError(f"jobs not done in {timeout} s: {[manager.job(j).state for j in job_ids]}")


def wait_for(manager: JobManager, predicate, count: int = 1, timeout: float = 60.0) -> list:
    """Drain until ``count`` events match ``predicate``; return everything drained."""
    events, end = [], time.monotonic() + timeout
    while sum(1 for e in events if predicate(e)) < count:
        assert time.monotonic() < end, f"no matching event in {timeout} s: {events[-5:]}"
        events += manager.drain()
        time.sleep(0.02)
    return events


def by_job(events) -> dict[str, list]:
    grouped = defaultdict(list)
    for event in events:
        grouped[event.job_id].append(event)
    return grouped


def assert_well_ordered(events_of_job: list) -> None:
    assert [e.seq for e in events_of_job] == list(range(1, len(events_of_job) + 1))
    assert isinstance(events_of_job[0], Queued)
    terminal = [e for e in events_of_job if isinstance(e, TERMINAL_EVENTS)]
    assert len(terminal) == 1 and events_of_job[-1] is terminal[0]


def peak_concurrency(events, job_ids) -> int:
    timeline = sorted(
        (e.time, 1 if isinstance(e, Started) else -1)
        for e in events
        if e.job_id in job_ids and isinstance(e, (Started, *TERMINAL_EVENTS))
    )
    running = peak = 0
    for _, delta in timeline:
        running += delta
        peak = max(peak, running)
    return peak


def decoded_frames(path: str) -> int:
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0))


@pytest.fixture
def manager(tmp_path):
    managers: list[JobManager] = []

    def make(**kwargs) -> JobManager:
        m = JobManager(tmp_path / "jobs.jsonl", **kwargs)
        managers.append(m)
        return m

    yield make
    for m in managers:
        assert m.shutdown(timeout=30), "a worker thread outlived shutdown"


def test_one_job_per_backend_end_to_end(manager, wan2gp_standin, wavespeed_standin_clean, tmp_path):
    ws = wavespeed_standin_clean
    engine = manager()
    wan_id = engine.submit(wan_request(wan2gp_standin, tmp_path / "out", "a lighthouse at dusk"))
    ws_id = engine.submit(ws_request(ws, tmp_path / "out", "a kite"), Credentials(api_key=ws.api_key))
    events = by_job(drain_until_done(engine, [wan_id, ws_id]))

    for job_id, remote_kind in ((wan_id, "server_file"), (ws_id, "task")):
        assert_well_ordered(events[job_id])
        kinds = [type(e) for e in events[job_id]]
        assert kinds[:2] == [Queued, Started] and kinds[-1] is Succeeded
        assert Progress in kinds
        remote = [e for e in events[job_id] if isinstance(e, RemoteId)]
        assert remote and {(r.remote_id, r.remote_kind) for r in remote} == {
            (remote[0].remote_id, remote_kind)
        }
        result = events[job_id][-1].result
        assert Path(result.video_path).parent == tmp_path / "out"
        assert decoded_frames(result.video_path) == result.metadata["frames"] > 0
    assert ws.submit_count() == 1
    # The store has each job's final state and remote id; the API key is not in it.
    store_text = (tmp_path / "jobs.jsonl").read_text()
    assert ws.api_key not in store_text
    assert events[ws_id][-1].result.metadata["task_id"] in store_text


def test_forty_jobs_respect_limits_and_keep_order(manager, wan2gp_standin, wavespeed_standin_clean, tmp_path):
    ws = wavespeed_standin_clean
    ws.configure(task_seconds=0.2, queue_seconds=0.05)
    engine = manager(limits={Backend.WAN2GP: 1, Backend.WAVESPEED: 3})
    ids = {Backend.WAN2GP: [], Backend.WAVESPEED: []}
    for i in range(20):
        ids[Backend.WAN2GP].append(
            engine.submit(
                wan_request(
                    wan2gp_standin,
                    tmp_path / "wan",
                    f"shot {i}",
                    settings={"seed": i, "num_inference_steps": 2},
                )
            )
        )
        ids[Backend.WAVESPEED].append(
            engine.submit(ws_request(ws, tmp_path / "ws", f"shot {i}"), Credentials(api_key=ws.api_key))
        )
    all_ids = ids[Backend.WAN2GP] + ids[Backend.WAVESPEED]
    events = drain_until_done(engine, all_ids, timeout=300)

    grouped = by_job(events)
    for job_id in all_ids:
        assert_well_ordered(grouped[job_id])
        assert isinstance(grouped[job_id][-1], Succeeded), grouped[job_id][-1]
    assert peak_concurrency(events, set(ids[Backend.WAN2GP])) == 1
    assert peak_concurrency(events, set(ids[Backend.WAVESPEED])) == 3
    outputs = {grouped[j][-1].result.video_path for j in all_ids}
    assert len(outputs) == 40 and all(Path(p).is_file() for p in outputs)
    assert ws.submit_count() == 20  # exactly one paid submit per job
    # The live catalog is asked once per provider, not once per job (only the first jobs race for it).
    assert len(ws.requests(route="models")) <= 3


def test_preview_jumps_ahead_of_a_batch(manager, wan2gp_standin, tmp_path):
    engine = manager(limits={Backend.WAN2GP: 1})
    batch = [
        engine.submit(
            wan_request(
                wan2gp_standin, tmp_path, f"final {i}", priority=PRIORITY_BATCH, settings={"seed": 100 + i}
            )
        )
        for i in range(4)
    ]
    preview = engine.submit(wan_request(wan2gp_standin, tmp_path, "preview", priority=PRIORITY_PREVIEW))
    events = drain_until_done(engine, [*batch, preview])
    started = [e.job_id for e in events if isinstance(e, Started)]
    # The first final was already running when the preview arrived; the preview goes next.
    assert started[0] == batch[0]
    assert started[1] == preview
    assert started[2:] == batch[1:]


def test_cancel_queued_and_running_wan2gp(manager, start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(step_seconds=0.05, load_seconds=0.1)
    engine = manager(limits={Backend.WAN2GP: 1})
    running = engine.submit(wan_request(server, tmp_path, "long", settings={"num_inference_steps": 200}))
    queued = engine.submit(wan_request(server, tmp_path, "never runs"))
    events = wait_for(
        engine, lambda e: isinstance(e, Progress) and e.job_id == running and e.fraction >= 0.03
    )
    assert engine.cancel(queued) is True
    cancelled_at = time.monotonic()
    assert engine.cancel(running) is True
    events = by_job(events + drain_until_done(engine, [running, queued], timeout=60))
    assert time.monotonic() - cancelled_at < 10
    assert [type(e) for e in events[queued]] == [Queued, Cancelled]
    assert isinstance(events[running][-1], Cancelled)
    assert engine.job(running).state == JobState.CANCELLED
    assert "never runs" not in server.log_text()
    # The GPU is free at once (the aborted run had ~9 s of steps left), and no video was written for it.
    follow_up = engine.submit(wan_request(server, tmp_path, "next"))
    started = time.monotonic()
    drain_until_done(engine, [follow_up], timeout=60)
    assert time.monotonic() - started < 5
    assert not list(server.outputs.glob("*long*.mp4"))


def test_wavespeed_cannot_cancel_but_can_abandon(manager, wavespeed_standin_clean, tmp_path):
    ws = wavespeed_standin_clean
    ws.configure(task_seconds=1.5)
    engine = manager()
    creds = Credentials(api_key=ws.api_key)
    finishing = engine.submit(ws_request(ws, tmp_path, "keeps going"), creds)
    abandoned = engine.submit(ws_request(ws, tmp_path, "given up"), creds)
    events = wait_for(engine, lambda e: isinstance(e, RemoteId), count=2)
    assert engine.cancel(finishing) is False  # said so; the task finishes and is downloaded
    assert engine.cancel(abandoned, abandon_paid=True) is True
    events = by_job(events + drain_until_done(engine, [finishing, abandoned]))
    assert any(isinstance(e, Log) and "cannot stop" in e.text for e in events[finishing])
    assert isinstance(events[finishing][-1], Succeeded)
    last = events[abandoned][-1]
    assert isinstance(last, Cancelled) and last.remote_may_finish
    task_id = next(e.remote_id for e in events[abandoned] if isinstance(e, RemoteId))
    assert task_id in last.reason
    assert ws.submit_count() == 2


def test_identical_request_is_not_run_twice(manager, wan2gp_standin, tmp_path):
    engine = manager()
    request = wan_request(wan2gp_standin, tmp_path, "same shot")
    first = engine.submit(request)
    assert engine.submit(wan_request(wan2gp_standin, tmp_path, "same shot", label="again")) == first
    drain_until_done(engine, [first])
    assert engine.submit(request) != first  # finished: a new take is a new job


def test_deadline_fails_the_job_saying_what_it_waited_for(manager, start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(step_seconds=0.1, load_seconds=0.1)
    engine = manager()
    job = engine.submit(
        wan_request(server, tmp_path, "too slow", deadline_s=2.0, settings={"num_inference_steps": 200})
    )
    last = by_job(drain_until_done(engine, [job], timeout=60))[job][-1]
    assert isinstance(last, Failed) and last.error_kind == ErrorKind.TIMEOUT
    assert "2 s" in last.message and "waiting for" in last.message


def test_shutdown_leaves_no_threads(wan2gp_standin, wavespeed_standin_clean, tmp_path):
    before = set(threading.enumerate())
    ws = wavespeed_standin_clean
    engine = JobManager(tmp_path / "jobs.jsonl")
    engine.submit(wan_request(wan2gp_standin, tmp_path, "threads", settings={"num_inference_steps": 200}))
    engine.submit(ws_request(ws, tmp_path, "threads"), Credentials(api_key=ws.api_key))
    wait_for(engine, lambda e: isinstance(e, RemoteId), count=2)
    time.sleep(0.5)
    assert engine.shutdown(timeout=30)
    deadline = time.monotonic() + 20  # gradio_client's heartbeat thread ends at its next beat
    while time.monotonic() < deadline and set(threading.enumerate()) - before:
        time.sleep(0.2)
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(RuntimeError):
        engine.submit(wan_request(wan2gp_standin, tmp_path, "after shutdown"))


def test_undrained_progress_is_replaced_not_piled_up(manager, wan2gp_standin, tmp_path):
    """A busy main thread that drains late gets the latest progress, not every step it missed."""
    engine = manager()
    job = engine.submit(
        wan_request(wan2gp_standin, tmp_path, "many steps", settings={"num_inference_steps": 40})
    )
    assert engine.wait([job], timeout=120)
    events = engine.drain()
    assert_well_ordered(events)
    kinds = [type(e) for e in events]
    assert not any(a is Progress and b is Progress for a, b in itertools.pairwise(kinds))
    assert kinds.count(Progress) <= kinds.count(RemoteId) + 3
