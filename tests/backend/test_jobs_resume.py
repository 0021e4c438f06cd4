"""The rules that rebuild a stored job with today's context (backend/jobs/resume.py), without any server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from blender_movie_director.backend.jobs import Backend, Credentials, GenerationRequest, JobState
from blender_movie_director.backend.jobs.resume import (
    DOWNLOAD_CAP_FIELD,
    NotResumableError,
    ResumeContext,
    rebuild,
    server_key,
)
from blender_movie_director.backend.jobs.store import JobRecord

TODAY_WAN = "http://127.0.0.1:7860"
TODAY_WS = "http://127.0.0.1:9100"


def context(root: Path, **changes) -> ResumeContext:
    base = {
        "output_dir": str(root),
        "wan2gp_servers": (TODAY_WAN, "http://gpu-2.local:7860"),
        "wavespeed_url": TODAY_WS,
        "credentials": {Backend.WAVESPEED: Credentials(api_key="sk-today")},
        "request_timeout_s": 7.0,
        "deadline_s": 99.0,
    }
    return ResumeContext(**{**base, **changes})


def record(backend: str, *, state=JobState.QUEUED, remote_id: str = "", **request) -> JobRecord:
    fields = {"model": "m", "prompt": "p", "output_dir": "/elsewhere", **request}
    return JobRecord("j", GenerationRequest(backend=backend, **fields), state, remote_id=remote_id)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "project" / "movie_director"
    folder.mkdir(parents=True)
    return folder


def test_server_addresses_compare_by_what_identifies_them() -> None:
    assert server_key("http://LOCALHOST:7860/") == server_key("localhost:7860")
    assert server_key("https://api.wavespeed.ai") == server_key("https://api.wavespeed.ai:443/")
    assert server_key("http://127.0.0.1:7860") != server_key("http://127.0.0.1:7861")


def test_today_replaces_servers_folders_timeouts_and_the_download_cap(root: Path) -> None:
    stored = record("wavespeed", servers=("http://evil.example",), request_timeout_s=1e9, deadline_s=1e9)
    if DOWNLOAD_CAP_FIELD in {f.name for f in dataclasses.fields(GenerationRequest)}:
        stored = dataclasses.replace(
            stored, request=dataclasses.replace(stored.request, max_download_bytes=0)
        )
    rebuilt = rebuild(stored, context(root))
    assert rebuilt.servers == (TODAY_WS,)
    assert rebuilt.output_dir == str(root.resolve())  # the stored folder was outside: today's folder
    assert (rebuilt.request_timeout_s, rebuilt.deadline_s) == (7.0, 99.0)
    cap = next((f for f in dataclasses.fields(GenerationRequest) if f.name == DOWNLOAD_CAP_FIELD), None)
    if cap is not None:  # a crafted record cannot lift the cap: the built-in default, or today's preference
        assert getattr(rebuilt, DOWNLOAD_CAP_FIELD) == cap.default
        assert getattr(rebuild(stored, context(root, max_download_bytes=123)), DOWNLOAD_CAP_FIELD) == 123
    inside = record("wavespeed", output_dir=str(root / "Shot_010"))
    assert rebuild(inside, context(root)).output_dir == str((root / "Shot_010").resolve())
    escape = record("wavespeed", output_dir=str(root / ".." / ".." / "elsewhere"))
    assert rebuild(escape, context(root)).output_dir == str(root.resolve())


def test_a_wan2gp_server_not_in_todays_list_is_never_used(root: Path) -> None:
    running = {"state": JobState.RUNNING, "remote_id": "clip.mp4"}
    evil = record("wan2gp", servers=("http://127.0.0.1:6666",), **running)
    with pytest.raises(NotResumableError, match=r"127\.0\.0\.1:6666.*not in your preferences.*not contacted"):
        rebuild(evil, context(root))
    mixed = record("wan2gp", servers=("http://LOCALHOST:7860/", "http://127.0.0.1:6666"), **running)
    assert rebuild(mixed, context(root, wan2gp_servers=("http://localhost:7860",))).servers == (
        "http://localhost:7860",  # today's spelling of the one server both name
    )
    # Work never sent anywhere goes to today's servers, as a new Generate would.
    queued = record("wan2gp", servers=("http://127.0.0.1:6666",))
    assert rebuild(queued, context(root)).servers == (TODAY_WAN, "http://gpu-2.local:7860")


def test_a_server_file_must_be_a_plain_name(root: Path) -> None:
    for name in ("../../home/secret.png", "/etc/passwd", "a\\b.mp4", ".."):
        stored = record("wan2gp", servers=(TODAY_WAN,), state=JobState.RUNNING, remote_id=name)
        with pytest.raises(NotResumableError, match="not a plain file name"):
            rebuild(stored, context(root))


def test_inputs_of_work_sent_again_must_lie_inside_the_output_folder(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"private")
    inside = root / "frames" / "start.png"
    inside.parent.mkdir()
    inside.write_bytes(b"ok")
    assert rebuild(record("wavespeed", inputs={"image_start": str(inside)}), context(root))
    cases = [
        {"inputs": {"image_start": str(secret)}},
        {"inputs": {"image_refs": f"{inside}\n{secret}"}},
        {"inputs": {"video": str(root / ".." / ".." / "secret.png")}},
        {"settings": {"image": str(secret)}},  # a path hidden in the settings is an input too
        {"settings": {"refs": [{"path": "~/.ssh/id_rsa"}]}},
        {"settings": {"image": "file:///etc/passwd"}},
    ]
    link = root / "innocent.png"
    link.symlink_to(secret)  # inside by name, outside once resolved
    cases.append({"inputs": {"image_start": str(link)}})
    for fields in cases:
        with pytest.raises(NotResumableError, match="outside the output folder") as excinfo:
            rebuild(record("wavespeed", **fields), context(root))
        assert "Pick the file again" in excinfo.value.user_message
    # URLs and plain words in the settings are not files.
    assert rebuild(
        record("wavespeed", settings={"image": "https://example.com/a.png", "mode": "fast"}), context(root)
    )
    # A job the service already has is fetched, not sent again: its inputs are not used at all.
    fetched = record(
        "wavespeed", state=JobState.RUNNING, remote_id="task-1", inputs={"image_start": str(secret)}
    )
    assert rebuild(fetched, context(root)).servers == (TODAY_WS,)


def test_no_output_folder_resumes_nothing(tmp_path: Path) -> None:
    with pytest.raises(NotResumableError, match="output folder is not set"):
        rebuild(record("wavespeed"), context(tmp_path, output_dir=""))


def test_resume_in_background_takes_every_job_up_and_shutdown_waits_for_it(root: Path) -> None:
    """The Resume button's path: the manager's own thread checks and queues the jobs in batches while the
    caller keeps draining; shutdown leaves no thread. The runner makes clips locally (tests/blender/
    local_runner.py): what is under test is the manager, not a backend."""
    import threading

    from blender_movie_director.backend.jobs import Queued
    from blender_movie_director.backend.jobs.manager import RESUME_BATCH, JobManager
    from blender_movie_director.backend.jobs.store import STORE_FILE_NAME, JobStore
    from tests.blender.local_runner import ClipRunner

    store = root / STORE_FILE_NAME
    count = 2 * RESUME_BATCH + 7
    writer = JobStore(store)
    for i in range(count):
        request = GenerationRequest(backend="wavespeed", model="m", prompt=f"p{i}", output_dir=str(root))
        writer.put(JobRecord(f"j{i:04d}", request))
    gate = threading.Event()  # the jobs wait: what is measured is taking them up, not running them
    runner = ClipRunner(gate=gate)
    engine = JobManager(store, runners={Backend.WAVESPEED: runner, Backend.WAN2GP: runner})
    try:
        assert engine.earlier(timeout=20).count == count
        engine.resume_in_background(context(root))
        queued: set[str] = set()
        for _ in range(2000):
            queued |= {e.job_id for e in engine.drain() if isinstance(e, Queued)}
            if len(queued) == count:
                break
            threading.Event().wait(0.01)
        assert len(queued) == count
        assert [info.job_id for info in engine.jobs()] == [f"j{i:04d}" for i in range(count)]  # in order
    finally:
        gate.set()
        assert engine.shutdown(timeout=30)
    assert not [t for t in threading.enumerate() if t.name.startswith("movie-director-")]
