"""The job store and the frozen request, without any server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from blender_movie_director.backend.jobs import Credentials, GenerationRequest, JobState, ShotRef
from blender_movie_director.backend.jobs.store import KEEP_FINISHED_S, JobRecord, JobStore


def request(**changes) -> GenerationRequest:
    base = {
        "backend": "wan2gp",
        "model": "t2v_1.3B",
        "prompt": "a cat",
        "output_dir": "/tmp/out",
        "settings": {"seed": 4},
        "inputs": {"image_start": Path("/tmp/a.png")},
        "shot": {"scene": "Scene", "shot": "Cam.010"},
    }
    return GenerationRequest(**{**base, **changes})


def test_request_round_trips_through_plain_data() -> None:
    original = request()
    again = GenerationRequest.from_dict(json.loads(json.dumps(original.to_dict())))
    assert again == original
    assert again.shot == ShotRef("Scene", "Cam.010")
    assert again.inputs["image_start"] == "/tmp/a.png"


def test_request_refuses_what_cannot_be_stored() -> None:
    with pytest.raises(TypeError):
        request(settings={"callback": object()})


def test_request_is_frozen() -> None:
    r = request()
    with pytest.raises(AttributeError):
        r.prompt = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.settings["seed"] = 5  # type: ignore[index]


def test_fingerprint_ignores_priority_label_and_deadline_only() -> None:
    assert request().fingerprint() == request(priority=1, label="x", deadline_s=5).fingerprint()
    assert request().fingerprint() != request(settings={"seed": 5}).fingerprint()
    assert request().fingerprint() != request(shot={"scene": "Scene", "shot": "Cam.020"}).fingerprint()


def test_credentials_never_show_secrets() -> None:
    creds = Credentials(api_key="sk-live-123", username="ana", password="hunter2")
    assert "sk-live-123" not in repr(creds) and "hunter2" not in repr(creds)
    assert "ana" in repr(creds)
    assert creds.secrets() == ("sk-live-123", "hunter2")


def test_store_survives_reopen_and_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    store = JobStore(path)
    store.put(JobRecord("a", request()))
    store.update("a", state=JobState.RUNNING, remote_id="task-1", remote_kind="task")
    store.put(JobRecord("b", request(prompt="b")))
    with path.open("a") as f:
        f.write('{"job_id": "c", "request": {"backend": "wan')  # the process died mid-write
    again = JobStore(path)
    assert {r.job_id for r in again} == {"a", "b"}
    assert again.get("a").remote_id == "task-1" and again.get("a").state == JobState.RUNNING
    assert [r.job_id for r in again.unfinished()] == ["a", "b"]
    # Reopening compacted the file to one line per job.
    assert len(path.read_text().splitlines()) == 2


def test_compaction_drops_old_finished_jobs_only(tmp_path: Path) -> None:
    path = tmp_path / "jobs.jsonl"
    store = JobStore(path)
    old = time.time() - KEEP_FINISHED_S - 10
    store.put(JobRecord("old-done", request(prompt="1"), state=JobState.SUCCEEDED, updated_at=old))
    store.put(JobRecord("old-running", request(prompt="2"), state=JobState.RUNNING, updated_at=old))
    store.put(JobRecord("new-done", request(prompt="3"), state=JobState.SUCCEEDED))
    assert {r.job_id for r in JobStore(path)} == {"old-running", "new-done"}


def test_memory_store_writes_nothing(tmp_path: Path) -> None:
    store = JobStore(None)
    store.put(JobRecord("a", request()))
    assert store.get("a") is not None
    assert list(tmp_path.iterdir()) == []
