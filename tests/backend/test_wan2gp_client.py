"""Wan2GPClient against the Wan2GP stand-in (a real gradio 5.29 server in its own process).

The main generate / progress / cancel / download tests run over both transports (``served``): the web UI
stand-in and the MCP stand-in (``scripts/wan2gp-standin --mcp``), with the same client code and assertions.

Every successful generation is checked on the decoded video (PyAV): size, frame count, and the marks the
stand-in paints from the request (seed colour square, start image in frame 0, tinted control frames), so a
path to the wrong video, or to a broken one, fails.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blender_movie_director.backend.errors import ErrorKind, JobCancelledError, ValidationError
from blender_movie_director.backend.wan2gp import (
    Phase,
    Wan2GPClient,
    Wan2GPJob,
    validate_settings,
)
from scripts.standins import videogen

pytestmark = [pytest.mark.standin, pytest.mark.timeout(180)]

SMALL = {"resolution": "160x96", "video_length": 9, "num_inference_steps": 4}


@pytest.fixture
def client(wan2gp_standin, tmp_path) -> Wan2GPClient:
    c = Wan2GPClient(wan2gp_standin.url, output_dir=tmp_path / "out", timeout=120)
    yield c
    c.close()


@pytest.fixture(params=["web_ui", "mcp"])
def served(request, tmp_path):
    """(client, stand-in) for each transport; the MCP stand-in's address ends in /mcp (picked from it)."""
    fixture = "wan2gp_standin" if request.param == "web_ui" else "wan2gp_mcp_standin"
    standin = request.getfixturevalue(fixture)
    c = Wan2GPClient(standin.url, output_dir=tmp_path / "out", timeout=120)
    assert c.transport == request.param
    yield c, standin
    c.close()


def server_files(standin) -> set[Path]:
    """The videos in the stand-in's output folder (a stopped job must add none)."""
    return set(standin.outputs.glob("*.mp4"))


def assert_seed_video(path: str | Path, *, seed: int, width: int, height: int, frames: int) -> None:
    stats = videogen.probe(path)
    assert (stats.width, stats.height, stats.frames) == (width, height, frames)
    first = videogen.read_frame(path, 0)
    got = videogen.region_mean(first, videogen.marker_box(width, height))
    assert np.allclose(got, videogen.seed_color(seed), atol=20), (got, videogen.seed_color(seed))


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("wan2gp_media")
    start = folder / "start.png"
    Image.fromarray(np.tile(np.array([200, 40, 40], np.uint8), (96, 160, 1))).save(start)
    end = folder / "end.png"
    Image.fromarray(np.tile(np.array([30, 60, 210], np.uint8), (96, 160, 1))).save(end)
    ref = folder / "ref.png"
    Image.fromarray(np.tile(np.array([90, 200, 90], np.uint8), (64, 64, 1))).save(ref)
    control = folder / "control.mp4"
    videogen.text_video(control, prompt="a dancer", seed=3, width=160, height=96, frames=17, fps=16)
    mask = folder / "mask.mp4"
    videogen.text_video(mask, prompt="mask", seed=4, width=160, height=96, frames=17, fps=16)
    return {"start": start, "end": end, "ref": ref, "control": control, "mask": mask}


# --- text to video ---------------------------------------------------------------------------------------


def test_t2v_end_to_end_with_progress(served):
    client, _ = served
    seen: list[tuple[float, str]] = []
    job = client.submit(
        model="t2v_1.3B",
        prompt="A red fox trotting through snow",
        seed=42,
        fresh=True,
        progress=lambda f, t: seen.append((f, t)),
        **{**SMALL, "num_inference_steps": 12},
    )
    result = job.result(timeout=60)
    assert result.success
    assert_seed_video(result.video_path, seed=42, width=160, height=96, frames=9)
    meta = result.metadata
    assert (meta["model"], meta["seed"], meta["frames"], meta["fps"]) == ("t2v_1.3B", 42, 9, 16.0)
    assert meta["server_file"].endswith(".mp4")
    if client.transport == "web_ui":
        assert meta["server_file"].startswith(job.token)
    else:
        assert meta["job_id"] == job.remote_ids.job_id and meta["transport"] == "mcp"
    assert set(meta["timings"]) >= {"upload", "generation", "download", "total"}
    assert Path(result.video_path).parent == client.output_dir
    # progress: monotonic fractions, real denoising steps reported, ends at 1.0
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(t.startswith("step ") and "/12" in t for _, t in seen), seen
    assert job.status().phase == Phase.DONE


def test_generate_returns_result_and_output_is_not_the_servers_file(served):
    client, standin = served
    result = client.generate_text_to_video("A lighthouse at night", model="t2v_1.3B", seed=7, **SMALL)
    assert result.success, result.error_message
    assert Path(result.video_path).resolve().parent != standin.outputs.resolve()
    assert_seed_video(result.video_path, seed=7, width=160, height=96, frames=9)
    server_copy = standin.outputs / result.metadata["server_file"]
    assert server_copy.is_file() and server_copy.stat().st_size == Path(result.video_path).stat().st_size


def test_frame_rule_rounding_is_reported(client):
    result = client.generate(
        model="ltxv_distilled",
        prompt="waves",
        seed=5,
        resolution="160x96",
        video_length=20,
        num_inference_steps=2,
    )
    assert result.success, result.error_message
    assert result.metadata["frames"] == 25  # LTXV: 8n+1, 20 rounded up
    assert any("rounded up to 25" in n for n in result.metadata["notes"])
    assert videogen.probe(result.video_path).fps == pytest.approx(30, abs=0.1)


def test_random_seed_is_chosen_and_reported(served):
    client, _ = served
    result = client.generate(model="t2v_1.3B", prompt="a kite", **SMALL)
    assert result.success
    seed = result.metadata["seed"]
    assert isinstance(seed, int) and seed >= 0
    assert_seed_video(result.video_path, seed=seed, width=160, height=96, frames=9)


# --- image to video, VACE ---------------------------------------------------------------------------------


def test_i2v_zip_with_start_and_end_image(client, media):
    result = client.generate_image_to_video(
        media["start"],
        model="flf2v_720p",
        prompt="the colour changes",
        end_image_path=media["end"],
        seed=11,
        **SMALL,
    )
    assert result.success, result.error_message
    frames = videogen.read_frames(result.video_path)
    assert len(frames) == 9
    first = np.array(videogen.region_mean(frames[0], (40, 20, 120, 76)))
    last = np.array(videogen.region_mean(frames[-1], (40, 20, 120, 76)))
    assert np.allclose(first, [200, 40, 40], atol=25), first
    assert np.allclose(last, [30, 60, 210], atol=25), last


def test_i2v_default_model_and_prompt(served, media):
    client, _ = served
    result = client.generate_image_to_video(media["start"], seed=12, **SMALL)
    assert result.success, result.error_message
    assert result.metadata["model"] == "i2v"
    frame0 = videogen.read_frame(result.video_path, 0)
    assert np.allclose(videogen.region_mean(frame0, (40, 20, 120, 76)), [200, 40, 40], atol=25)


def test_vace_pose_with_mask_and_reference(client, media):
    result = client.generate_with_control(
        prompt="Replace person with robot",
        control_video_path=media["control"],
        mode="pose",
        mask_path=media["mask"],
        reference_images=[media["ref"]],
        seed=21,
        resolution="160x96",
        num_inference_steps=3,
    )
    assert result.success, result.error_message
    assert result.metadata["model"] == "vace_1.3B"
    stats = videogen.probe(result.video_path)
    assert (stats.width, stats.height, stats.frames) == (160, 96, 17)  # as many frames as the control video
    control0 = videogen.read_frame(media["control"], 0).astype(np.float32)
    out0 = videogen.read_frame(result.video_path, 0).astype(np.float32)
    expected = 0.75 * control0 + 0.25 * np.array(videogen.seed_color(21), np.float32)
    centre = (slice(30, 80), slice(60, 150))
    assert np.abs(out0[centre] - expected[centre]).mean() < 12


def test_control_mode_unknown(client, media):
    result = client.generate_with_control("x", media["control"], mode="telepathy")
    assert not result.success and result.error_kind == ErrorKind.VALIDATION
    assert "pose" in result.error_message


# --- validation and server refusals -----------------------------------------------------------------------


def test_bad_settings_fail_before_sending(client, wan2gp_standin):
    before = wan2gp_standin.log_text().count("[load_queue_action]")
    for bad in (
        {"model": "t2v_13B", "prompt": "x"},
        {"model": "t2v_1.3B", "prompt": "x", "resolution": "720"},
        {"model": "i2v", "prompt": "x", "image_start": "/nowhere/start.png"},
    ):
        result = client.generate(**bad)
        assert not result.success and result.error_kind == ErrorKind.VALIDATION
    with pytest.raises(ValidationError, match=r"Did you mean 't2v_1\.3B'"):
        client.submit(model="t2v_13B", prompt="x")
    assert wan2gp_standin.log_text().count("[load_queue_action]") == before  # nothing reached the server


def test_unknown_model_on_the_server(client):
    """A model id the server does not know (finetune missing there): WanGP's own warning, typed."""
    result = client.generate(model="my_finetune_v3", prompt="x", allow_unknown_model=True, seed=1, **SMALL)
    assert not result.success
    assert result.error_kind == ErrorKind.MODEL_UNAVAILABLE
    assert "my_finetune_v3" in result.error_message and "model_type" in result.error_message


def test_server_side_input_refusal_is_validation(client, media, tmp_path):
    """A VACE task whose guide is given only as flags (no file) is refused by WanGP's loader."""
    result = client.generate(
        model="vace_1.3B", prompt="x", image_refs=[media["ref"]], video_prompt_type="PVI", seed=2, **SMALL
    )
    assert not result.success
    assert result.error_kind == ErrorKind.VALIDATION
    assert "Control Video" in result.error_message


# --- abort, clear ---------------------------------------------------------------------------------------


def _wait_for_step(job: Wan2GPJob, step: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.status()
        if status.step is not None and status.step >= step:
            return
        assert not job.done(), job.outcome()
        time.sleep(0.05)
    raise AssertionError(f"never reached step {step}: {job.status()}")


def test_abort_mid_run_stops_the_server_within_a_step(served):
    client, standin = served
    before = server_files(standin)
    job = client.submit(
        model="t2v_1.3B",
        prompt="abort me",
        seed=31,
        resolution="160x96",
        video_length=9,
        num_inference_steps=200,
        fresh=True,
    )
    _wait_for_step(job, 3)
    asked = time.monotonic()
    assert job.abort()
    with pytest.raises(JobCancelledError):
        job.result(timeout=30)
    stopped_after = time.monotonic() - asked
    assert stopped_after < 5, stopped_after  # steps are 0.05 s; finalize sleeps 0.2 s
    assert server_files(standin) == before  # the server wrote no file
    assert job.status().phase == Phase.CANCELLED
    assert job.remote_ids is not None and job.remote_ids.client_id == job.token
    # The GPU slot is free again: had the 200-step run gone on (10 s), this job would wait behind it.
    follow_up = client.generate(model="t2v_1.3B", prompt="after the abort", seed=34, **SMALL)
    assert follow_up.success and follow_up.metadata["timings"]["queued"] < 2.0


def test_cancel_event_from_a_job_engine(served):
    client, _ = served
    cancel = threading.Event()
    remote: list = []
    job = client.submit(
        model="t2v_1.3B",
        prompt="cancel me",
        seed=32,
        resolution="160x96",
        video_length=9,
        num_inference_steps=200,
        cancel_event=cancel,
        on_remote_ids=remote.append,
    )
    _wait_for_step(job, 2)
    if client.transport == "web_ui":
        assert remote and remote[0].server_file == f"{job.token}.mp4" and remote[0].session_hash
    else:
        assert remote and remote[0].transport == "mcp" and remote[0].job_id
    cancel.set()
    outcome = job.outcome(timeout=30)
    assert not outcome.success and outcome.error_kind == ErrorKind.CANCELLED


def test_abort_before_it_reaches_the_gpu(client):
    job = client.submit(model="t2v_1.3B", prompt="never runs", seed=33, **SMALL)
    job.abort()
    with pytest.raises(JobCancelledError):
        job.result(timeout=30)


def test_clear_queue_and_abort_all(client, wan2gp_standin):
    def submit(i: int) -> Wan2GPJob:
        return client.submit(model="t2v_1.3B", prompt=f"queued {i}", seed=40 + i, resolution="160x96",
                             video_length=9, num_inference_steps=200)  # fmt: skip

    # The second is submitted once the first holds the GPU, so it surely waits behind it (submitted
    # together, either may win the GPU lock on a loaded machine).
    jobs = [submit(0)]
    _wait_for_step(jobs[0], 2)
    jobs.append(submit(1))
    deadline = time.monotonic() + 30
    while jobs[1].status().phase != Phase.QUEUED:  # loaded on the server, waiting for the GPU
        assert time.monotonic() < deadline and not jobs[1].done(), jobs[1].status()
        time.sleep(0.05)
    assert jobs[0].status().phase == Phase.GENERATING
    assert client.clear_queue() == 2
    for job in jobs:
        assert not job.outcome(timeout=30).success
        assert job.status().phase == Phase.CANCELLED
    assert "Clear Queue" in wan2gp_standin.log_text() or "Queue cleared" in wan2gp_standin.log_text()
    third = client.submit(
        model="t2v_1.3B",
        prompt="abort all",
        seed=50,
        resolution="160x96",
        video_length=9,
        num_inference_steps=200,
    )
    _wait_for_step(third, 1)
    assert client.abort_all() == 1
    assert third.outcome(timeout=30).error_kind == ErrorKind.CANCELLED
    assert client.active_jobs == 0


def test_second_job_reports_queue_position(client):
    first = client.submit(
        model="t2v_1.3B", prompt="long", seed=60, resolution="160x96", video_length=9, num_inference_steps=80
    )
    _wait_for_step(first, 1)
    second = client.submit(model="t2v_1.3B", prompt="short", seed=61, **SMALL)
    positions = []
    while not second.done():
        status = second.status()
        if status.phase == Phase.QUEUED and status.queue_position:
            positions.append(status.queue_position)
        time.sleep(0.05)
    assert positions and positions[0] >= 1
    assert first.result(timeout=60).success and second.result(timeout=60).success


def test_wait_timeout_leaves_the_job_running(client):
    from blender_movie_director.backend.wan2gp import WaitTimeoutError

    job = client.submit(
        model="t2v_1.3B",
        prompt="patience",
        seed=70,
        resolution="160x96",
        video_length=9,
        num_inference_steps=30,
    )
    with pytest.raises(WaitTimeoutError):
        job.result(timeout=0.2)
    assert job.result(timeout=60).success


def test_deadline_aborts_on_the_server(served):
    client, standin = served
    before = server_files(standin)
    job = client.submit(
        model="t2v_1.3B",
        prompt="too slow",
        seed=71,
        resolution="160x96",
        video_length=9,
        num_inference_steps=200,
        deadline=3 if client.transport == "web_ui" else 1,  # MCP: no session to build first
    )
    outcome = job.outcome(timeout=40)
    assert outcome.error_kind == ErrorKind.TIMEOUT
    assert "deadline" in outcome.error_message
    assert server_files(standin) == before


# --- cache ----------------------------------------------------------------------------------------------


def test_cache_hit_returns_the_earlier_file_at_once(client, wan2gp_standin):
    settings = validate_settings(model="t2v_1.3B", prompt="cached shot", seed=99, **SMALL)
    first = client.generate(settings)
    assert first.success and not first.metadata["from_cache"]
    runs_before = wan2gp_standin.log_text().count("Loaded 1 task")
    started = time.monotonic()
    second = client.generate(settings)
    assert time.monotonic() - started < 0.5
    assert second.success and second.metadata["from_cache"]
    assert second.video_path == first.video_path
    assert_seed_video(second.video_path, seed=99, width=160, height=96, frames=9)
    assert wan2gp_standin.log_text().count("Loaded 1 task") == runs_before
    fresh = client.generate(settings, fresh=True)
    assert fresh.success and fresh.video_path != first.video_path and not fresh.metadata["from_cache"]
    other_seed = client.generate(settings, seed=100)
    assert other_seed.video_path not in (first.video_path, fresh.video_path)


def test_cache_ignores_a_deleted_or_damaged_file(client):
    settings = {"model": "t2v_1.3B", "prompt": "fragile", "seed": 123, **SMALL}
    first = client.generate(settings)
    Path(first.video_path).write_bytes(b"not a video any more")
    second = client.generate(settings)
    assert second.success and not second.metadata["from_cache"]
    assert_seed_video(second.video_path, seed=123, width=160, height=96, frames=9)


# --- status ----------------------------------------------------------------------------------------------


def test_server_status_and_health(client, wan2gp_standin):
    assert client.check_health()
    assert client.connect() is True
    status = client.get_server_status()
    assert status.reachable and status.gradio_version == "5.29.0"
    assert status.endpoints["process_tasks"].startswith("/process_tasks_1")
    assert status.endpoints["upload_trigger_id"] == 791
    assert len(status.fingerprint) == 16 and status.error is None
    assert status.queue_size is not None


def test_unreachable_server_is_a_typed_connection_error(tmp_path):
    from tests.fixtures.wan2gp_standin import free_port

    dead = Wan2GPClient(f"http://127.0.0.1:{free_port()}", output_dir=tmp_path, connect_timeout=2)
    assert dead.check_health() is False
    status = dead.get_server_status()
    assert not status.reachable and "Cannot reach" in status.error
    started = time.monotonic()
    result = dead.generate(model="t2v_1.3B", prompt="x", **SMALL, deadline=6)
    assert not result.success and result.error_kind in (ErrorKind.CONNECTION, ErrorKind.TIMEOUT)
    assert time.monotonic() - started < 15


# --- threads, blocking, output hygiene ------------------------------------------------------------


def test_many_threads_share_one_client(client):
    results: dict[int, object] = {}

    def worker(seed: int) -> None:
        results[seed] = client.generate(model="t2v_1.3B", prompt=f"thread {seed}", seed=seed, **SMALL)

    threads = [threading.Thread(target=worker, args=(200 + i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == [200, 201, 202, 203]
    paths = {r.video_path for r in results.values()}
    assert len(paths) == 4
    for seed, result in results.items():
        assert result.success, result.error_message
        assert_seed_video(result.video_path, seed=seed, width=160, height=96, frames=9)


def test_submit_never_blocks(tmp_path):
    from tests.fixtures.wan2gp_standin import free_port

    dead = Wan2GPClient(f"http://127.0.0.1:{free_port()}", output_dir=tmp_path, connect_timeout=1)
    started = time.monotonic()
    job = dead.submit(model="t2v_1.3B", prompt="x", seed=1, deadline=3, **SMALL)
    assert time.monotonic() - started < 0.3
    assert job.status().phase in (Phase.PENDING, Phase.CONNECTING)
    assert job.outcome(timeout=30).error_kind in (ErrorKind.CONNECTION, ErrorKind.TIMEOUT)


def test_a_full_generation_prints_nothing(wan2gp_standin, tmp_path):
    """No prints, no telemetry warnings, no gradio_client banners, no temp folders left behind."""
    import os
    import subprocess
    import sys

    code = (
        "from blender_movie_director.backend.wan2gp import Wan2GPClient\n"
        f"c = Wan2GPClient({wan2gp_standin.url!r}, output_dir={str(tmp_path / 'out')!r}, local_copy=False)\n"
        "r = c.generate(model='t2v_1.3B', prompt='quiet', seed=9, resolution='160x96', video_length=9,"
        " num_inference_steps=3)\n"
        "assert r.success, r.error_message\n"
        "import os; assert os.environ['GRADIO_ANALYTICS_ENABLED'] == 'False'\n"
        "assert os.environ['HF_HUB_DISABLE_TELEMETRY'] == '1'\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GRADIO_ANALYTICS_ENABLED", "HF_HUB_DISABLE_TELEMETRY")
    }
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env["TMPDIR"] = str(private_tmp)  # gradio_client's download folders and our queue files would land here
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""
    assert list(private_tmp.iterdir()) == []  # no temp folders left behind


def test_abort_while_waiting_for_the_gpu(client, wan2gp_standin):
    first = client.submit(
        model="t2v_1.3B",
        prompt="holds the GPU",
        seed=80,
        resolution="160x96",
        video_length=9,
        num_inference_steps=60,
    )
    _wait_for_step(first, 1)
    second = client.submit(model="t2v_1.3B", prompt="waits", seed=81, **SMALL)
    deadline = time.monotonic() + 20
    while second.status().phase != Phase.QUEUED or second.status().queue_position is None:
        assert time.monotonic() < deadline, second.status()
        time.sleep(0.05)
    asked = time.monotonic()
    second.abort()
    assert second.outcome(timeout=30).error_kind == ErrorKind.CANCELLED
    assert time.monotonic() - asked < 3  # no waiting for the first job to free the GPU
    assert first.result(timeout=60).success
    time.sleep(0.5)  # Gradio now runs the second session's process_tasks: it must find nothing to do
    assert not list(wan2gp_standin.outputs.glob(f"{second.token}*"))
