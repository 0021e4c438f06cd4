"""The WaveSpeed fault matrix through the whole path, in real Blender: the Generate operator -> the job engine
-> the WaveSpeed provider -> the stand-in (faults injected through its admin API) -> the drain -> the VSE.

For every fault: the shot ends with a clear message naming the cause (or with its clip, when the fault can
be ridden out), the service never creates a second task for the shot, a task that completed is either in
the Sequencer or kept by id in the job store (and fetched from there), nothing half-written is left, the
Sequencer is consistent and every clip in it decodes, and no thread survives the engine.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.relay import Relay
from tests.reliability.studio import Studio, ThreadWatch, decode_frames

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(240)]

WRONG_KEY = "ws-wrong-key-0000-SECRET-9999"


@dataclass(frozen=True)
class Case:
    id: str
    faults: tuple[dict[str, Any], ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    key: str | None = None
    #: "DONE" or the error kind the shot must show.
    expect: str = "DONE"
    #: Words the shot's message must contain (case-insensitive), naming the cause.
    words: tuple[str, ...] = ()
    #: Tasks the service may have created for the shot (and billed).
    tasks: int = 1
    #: The shot's message must name the task (so it can be found again).
    names_task: bool = False
    #: The service deleted the output (expired): fetching it again must say so, not submit.
    expired: bool = False
    #: The shot must have ended within this many seconds (a hang must not be waited out).
    within: float | None = None


CASES = [
    Case("401-wrong-key", key=WRONG_KEY, expect="auth", words=("api key",), tasks=0),
    Case("insufficient-balance", config={"balance": 0.0}, expect="insufficient_balance",
         words=("balance",), tasks=0),
    # A refused submit created nothing: the shot waits its turn (5 s first without Retry-After).
    Case("submit-429-no-retry-after-waits-its-turn",
         faults=({"route": "submit", "status": 429, "count": 1},)),
    Case("submit-429-retry-after-waits-as-told",
         faults=({"route": "submit", "status": 429, "count": 3, "retry_after": 0.3},)),
    Case("submit-429-retry-after-beyond-the-job-deadline",
         faults=({"route": "submit", "status": 429, "count": None, "retry_after": 7200},),
         expect="rate_limit", words=("rate-limiting", "7200 s", "nothing was submitted"), tasks=0,
         within=10.0),
    Case("poll-429-storm-no-retry-after", faults=({"route": "poll", "status": 429, "count": 4},)),
    Case("poll-429-storm-retry-after",
         faults=({"route": "poll", "status": 429, "count": 6, "retry_after": 0.2},)),
    Case("poll-500", faults=({"route": "poll", "status": 500, "count": 2},)),
    Case("poll-502-html", faults=({"route": "poll", "status": 502, "count": 2, "body": "html"},)),
    Case("poll-503", faults=({"route": "poll", "status": 503, "count": 2},)),
    Case("poll-504-html", faults=({"route": "poll", "status": 504, "count": 2, "body": "html"},)),
    Case("poll-hang-past-read-timeout",
         faults=({"route": "poll", "action": "hang", "hang_seconds": 15, "count": 1},), within=12.0),
    Case("poll-dropped-connection", faults=({"route": "poll", "action": "drop", "count": 2},)),
    Case("submit-dropped-after-task-created",
         faults=({"route": "submit", "action": "drop", "create_task": True},),
         expect="submission_uncertain", words=("may have been created", "history")),
    Case("submit-hang-after-task-created",
         faults=({"route": "submit", "action": "hang", "hang_seconds": 15, "create_task": True},),
         expect="submission_uncertain", words=("may have been created", "history"), within=12.0),
    Case("poll-envelope-error-in-http-200",
         faults=({"route": "poll", "action": "envelope", "code": 500, "message": "internal error",
                  "count": 2},)),
    Case("submit-envelope-error-in-http-200",
         faults=({"route": "submit", "action": "envelope", "code": 500, "message": "internal error"},),
         expect="submission_uncertain", words=("internal error", "history"), tasks=0),
    Case("task-failed-1200", faults=({"route": "submit", "action": "task_fail", "task_code": 1200,
                                      "task_error": "content flagged"},),
         expect="moderation", words=("1200", "content flagged"), names_task=True),
    Case("task-failed-1401", faults=({"route": "submit", "action": "task_fail", "task_code": 1401,
                                      "task_error": "duration is invalid"},),
         expect="validation", words=("1401", "duration is invalid"), names_task=True),
    Case("task-failed-1402", faults=({"route": "submit", "action": "task_fail", "task_code": 1402,
                                      "task_error": "image url not reachable"},),
         expect="validation", words=("1402", "not reachable"), names_task=True),
    Case("task-failed-5000", faults=({"route": "submit", "action": "task_fail", "task_code": 5000,
                                      "task_error": "internal server error"},),
         expect="server", words=("5000", "internal server error"), names_task=True),
    Case("expired-output-url", config={"output_ttl": 0.0, "expired_status": 403}, expect="server",
         words=("no longer downloadable", "7 days"), names_task=True, expired=True),
    Case("truncated-download-retried",
         faults=({"route": "download", "action": "truncate", "fraction": 0.3, "count": 2},)),
    Case("truncated-download-every-time",
         faults=({"route": "download", "action": "truncate", "fraction": 0.5, "count": None},),
         expect="server", words=("paid for",), names_task=True),
    Case("download-not-an-mp4",
         faults=({"route": "download", "status": 200, "body": "html", "count": None},),
         expect="server", words=("not a playable mp4",), names_task=True),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wavespeed_fault(case: Case, studio: Studio, ws: Any, threads: ThreadWatch) -> None:
    studio.use_wavespeed(ws, key=case.key)
    if case.config:
        ws.configure(**case.config)
    if case.faults:
        ws.add_faults([dict(f) for f in case.faults])
    cam = studio.shot("Shot_010", prompt="a lighthouse in a storm")
    started = time.monotonic()
    assert studio.generate(cam) == {"FINISHED"}
    status = studio.settle(cam)
    took = time.monotonic() - started
    settings = cam.movie_director
    if case.within is not None:
        assert took < case.within, f"the shot took {took:.1f} s: the request timeout did not apply"
    if case.expect == "DONE":
        assert status == "DONE", settings.last_error
        assert settings.last_error == ""
    else:
        assert status == "FAILED", (status, settings.progress_text)
        assert settings.error_kind == case.expect, settings.last_error
        message = settings.last_error.lower()
        for word in case.words:
            assert word.lower() in message, f"{word!r} not in {settings.last_error!r}"
        if case.names_task:
            assert settings.remote_id and settings.remote_id in settings.last_error
    print(f"fault {case.id}: {status} in {took:.1f} s; {settings.error_kind}: {settings.last_error}")
    settle_service(ws)
    created = [s for s in ws.submits() if s["outcome"].startswith("created")]
    assert len(created) == case.tasks, [s["outcome"] for s in ws.submits()]
    assert_no_result_lost(studio, ws, cam, expired=case.expired)
    assert studio.leftovers() == []
    strips = studio.assert_consistent()
    assert len(strips) == (1 if settings.status == "DONE" else 0)
    threads.assert_none_left()


def settle_service(ws: Any, deadline: float = 15.0) -> None:
    """Faults off; wait until every task on the service has ended (completed or failed)."""
    ws.clear_faults()
    end = time.monotonic() + deadline
    while any(t["status"] not in ("completed", "failed") for t in ws.tasks()):
        assert time.monotonic() < end, ws.tasks()
        time.sleep(0.1)


def assert_no_result_lost(studio: Studio, ws: Any, cam: Any, *, expired: bool = False) -> None:
    """Every task the service completed is the shot's clip, or the shot keeps its id and *Fetch Result
    Again* brings the clip into the Sequencer from it, without submitting anything."""
    settings = cam.movie_director
    records = _store_records(studio.out)
    job = records.get(settings.job_id, {})
    for task in ws.tasks():
        if task["status"] != "completed":
            continue
        task_id = task.get("id") or task.get("task_id")
        if settings.status == "DONE" and settings.remote_id == task_id:
            assert decode_frames(settings.takes[0].filepath) > 0
            continue
        if job.get("remote_id") != task_id:
            # The submit's answer was lost: the product cannot know the id. It must have said so.
            assert settings.error_kind == "submission_uncertain", (task_id, job)
            assert not studio.bpy.ops.moviedir.fetch_result.poll()
            continue
        before = len(ws.submits())
        studio.activate(cam)
        assert studio.bpy.ops.moviedir.fetch_result(shot=cam.name) == {"FINISHED"}
        if expired:  # the service deleted it: fetching says so again (and never submits)
            assert studio.settle(cam) == "FAILED" and "no longer downloadable" in settings.last_error
        else:
            assert studio.settle(cam) == "DONE", settings.last_error
            assert settings.takes[-1].task_id == task_id
            assert decode_frames(settings.takes[-1].filepath) > 0
        assert len(ws.submits()) == before  # fetched, not submitted again


def _store_records(out: Path) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    store = out / "movie_director_jobs.jsonl"
    if store.is_file():
        for line in store.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            records[data["job_id"]] = data
    return records


def test_task_id_with_dot_dot_slash(studio: Studio, ws: Any, threads: ThreadWatch) -> None:
    """A service whose task ids contain ``../`` (the relay rewrites the stand-in's ids on the way out and
    maps them back on the way in): the clip still lands inside the shot's folder, polls reach the task,
    and nothing is written outside the output folder."""
    import urllib.parse

    evil_prefix = "../../../../escape/"
    real_ids: dict[str, str] = {}

    def to_evil(body: bytes) -> bytes:
        try:
            data = json.loads(body)
        except ValueError:
            return body
        task = data.get("data") if isinstance(data, dict) else None
        if isinstance(task, dict) and isinstance(task.get("id"), str):
            real = task["id"]
            evil = evil_prefix + real
            real_ids[evil] = real
            task["id"] = evil
            return json.dumps(data).encode()
        return body

    def to_real(path: str) -> str:
        unquoted = urllib.parse.unquote(path)
        for evil, real in real_ids.items():
            if evil in unquoted:
                return unquoted.replace(evil, real)
        return path

    relay = Relay(ws.url, rewrite_path=to_real, rewrite_body=lambda _p, _t, body: to_evil(body))
    try:
        studio.use_wavespeed(ws)
        studio.prefs.wavespeed_base_url = relay.url
        cam = studio.shot("Shot_010", prompt="a door ajar")
        assert studio.generate(cam) == {"FINISHED"}
        assert studio.settle(cam) == "DONE", cam.movie_director.last_error
        settings = cam.movie_director
        assert settings.remote_id.startswith(evil_prefix)
        clip = Path(settings.takes[0].filepath).resolve()
        assert clip.is_relative_to(studio.out.resolve()), clip
        assert decode_frames(clip) > 0
        escaped = [p for p in studio.out.parent.rglob("*") if "escape" in p.parts]
        assert escaped == []
        assert len([s for s in ws.submits() if s["outcome"].startswith("created")]) == 1
        studio.assert_consistent()
    finally:
        relay.close()
    threads.assert_none_left()
