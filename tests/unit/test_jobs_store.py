"""The job store and the frozen request, without any server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from blender_movie_director.backend.jobs import Credentials, GenerationRequest, JobState, ShotRef
from blender_movie_director.backend.jobs.request import StoredDataError
from blender_movie_director.backend.jobs.store import (
    COMPACT_DEAD_LINES,
    KEEP_FINISHED_S,
    MAX_NAMED_LINES,
    STORE_FILE_NAME,
    JobRecord,
    JobStore,
)


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
    assert again.notices == ("line 4 of jobs.jsonl is damaged and was ignored",)
    # The torn line was compacted away: the next append does not glue itself to it.
    assert len(path.read_text().splitlines()) == 2
    again.put(JobRecord("d", request(prompt="d")))
    assert {r.job_id for r in JobStore(path)} == {"a", "b", "d"}


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


def good_line(job_id: str, **changes) -> str:
    return JobRecord(job_id, request(prompt=job_id), **changes).to_line()


def with_field(job_id: str, path: tuple[str, ...], value) -> str:
    data = json.loads(good_line(job_id))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(data) + "\n"


DAMAGED = {
    "not json": b"{this is not json\n",
    "0xFF byte": good_line("x1").encode().replace(b'"prompt": "x1"', b'"prompt": "x\xff1"'),
    "inputs oops": with_field("x2", ("request", "inputs"), "oops").encode(),
    "job_id list": with_field("x3", ("job_id",), [1]).encode(),
    "metadata text": with_field("x4", ("metadata",), "ab").encode(),
    "settings list": with_field("x5", ("request", "settings"), [1, 2]).encode(),
    "servers text": with_field("x6", ("request", "servers"), "http://evil").encode(),
    "unknown backend": with_field("x7", ("request", "backend"), "evil").encode(),
    "unknown field": with_field("x8", ("request", "callback"), "os.system").encode(),
    "deadline text": with_field("x9", ("request", "deadline_s"), "soon").encode(),
    "state unknown": with_field("x10", ("state",), "exploded").encode(),
    "priority bool": with_field("x11", ("request", "priority"), True).encode(),
    "not an object": b"[1, 2, 3]\n",
    "deep nesting": b"[" * 100_000 + b"\n",
    "huge line": b'{"job_id": "x12", "pad": "' + b"A" * (3 * 1024 * 1024) + b'"}\n',
}


@pytest.mark.parametrize("kind", list(DAMAGED))
def test_a_damaged_line_is_skipped_and_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / STORE_FILE_NAME
    lines = [good_line(f"ok{i}").encode() for i in range(6)]
    lines.insert(6, DAMAGED[kind])  # line 7
    lines.append(good_line("ok6").encode())
    path.write_bytes(b"".join(lines))
    store = JobStore(path)
    assert store.notices == (f"line 7 of {STORE_FILE_NAME} is damaged and was ignored",)
    assert {r.job_id for r in store} == {f"ok{i}" for i in range(7)}
    assert store.report.damaged == 1 and store.report.compacted
    # Compacted without it: reopening finds nothing damaged.
    assert JobStore(path).notices == ()


def test_many_damaged_lines_are_counted_not_listed(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE_NAME
    path.write_bytes(b"garbage\n" * 500 + good_line("ok").encode())
    store = JobStore(path)
    assert [r.job_id for r in store] == ["ok"]
    assert len(store.notices) == MAX_NAMED_LINES + 1
    assert (
        store.notices[-1] == f"{500 - MAX_NAMED_LINES} more damaged lines of {STORE_FILE_NAME} were ignored"
    )


def test_request_checks_cover_every_field() -> None:
    """A field added to GenerationRequest must get a type check for the store (or be refused there)."""
    from dataclasses import fields

    from blender_movie_director.backend.jobs.request import _FIELD_NAMES

    assert {f.name for f in fields(GenerationRequest)} == _FIELD_NAMES


def test_from_dict_refuses_wrong_types_with_one_error_type() -> None:
    good = request().to_dict()
    for name, bad in [("inputs", "oops"), ("settings", "x"), ("shot", {"evil": "1"}), ("servers", [1])]:
        with pytest.raises(StoredDataError):
            GenerationRequest.from_dict({**good, name: bad})
    with pytest.raises(StoredDataError):
        GenerationRequest.from_dict("not a map")
    with pytest.raises(StoredDataError):
        GenerationRequest.from_dict({k: v for k, v in good.items() if k != "model"})


def test_many_dead_lines_are_compacted_on_load_and_a_healthy_store_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE_NAME
    store = JobStore(path)
    store.put(JobRecord("a", request()))
    for i in range(COMPACT_DEAD_LINES + 5):
        store.update("a", remote_id=f"t{i}")
    assert len(path.read_text().splitlines()) == COMPACT_DEAD_LINES + 6
    again = JobStore(path)
    assert again.report.compacted and len(path.read_text().splitlines()) == 1
    assert again.get("a").remote_id == f"t{COMPACT_DEAD_LINES + 4}"
    before = path.stat().st_mtime_ns, path.stat().st_ino
    assert not JobStore(path).report.compacted
    assert (path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_discard_forgets_and_compacts(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE_NAME
    store = JobStore(path)
    for name in "abc":
        store.put(JobRecord(name, request(prompt=name)))
    store.update("a", state=JobState.RUNNING)
    assert store.discard(["a", "b", "zz"]) == 2
    assert path.read_text().count("\n") == 1
    assert [r.job_id for r in JobStore(path)] == ["c"]


def test_a_store_loaded_on_another_thread_makes_readers_wait(tmp_path: Path) -> None:
    import threading

    path = tmp_path / STORE_FILE_NAME
    JobStore(path).put(JobRecord("a", request()))
    store = JobStore(path, load=False)
    assert not store.loaded and not store.wait_loaded(0.01)
    threading.Timer(0.05, store.load).start()
    assert store.get("a") is not None  # waited for the load
    assert store.loaded


def test_an_unreadable_store_is_a_notice(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE_NAME
    path.mkdir()  # a folder where the file should be: reading fails with an OSError
    store = JobStore(path)
    assert list(store) == [] and "could not be read" in store.notices[0]


def test_an_output_folder_that_cannot_be_written_is_a_typed_error_naming_it(tmp_path: Path) -> None:
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.store import JobStoreError

    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    engine = JobManager(blocker / STORE_FILE_NAME)
    try:
        assert engine.earlier(timeout=10).loaded  # reading found nothing (a notice), never a traceback
        with pytest.raises(JobStoreError, match=str(blocker)) as excinfo:
            engine.submit(request())
        assert "output folder" in excinfo.value.user_message
        assert engine.jobs() == []  # nothing half-made: a retry after fixing the folder works
    finally:
        assert engine.shutdown()
