"""Wan2GPClient against stand-ins started with fault knobs: auth, proxy header, renamed endpoints, model load
failure, gr.Error mid-run, server killed / frozen / restarted mid-job, recovery, pools, gradio 6."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from blender_movie_director.backend.errors import AuthenticationError, ErrorKind, UnsupportedServerError
from blender_movie_director.backend.wan2gp import Wan2GPClient, Wan2GPPool
from scripts.standins import videogen
from tests.fixtures.wan2gp_standin import free_port

pytestmark = [pytest.mark.standin, pytest.mark.timeout(240)]

SMALL = {"model": "t2v_1.3B", "resolution": "160x96", "video_length": 9, "num_inference_steps": 4}


def assert_seed_video(path, seed: int, frames: int = 9) -> None:
    stats = videogen.probe(path)
    assert (stats.width, stats.height, stats.frames) == (160, 96, frames)
    got = videogen.region_mean(videogen.read_frame(path, 0), videogen.marker_box(160, 96))
    assert np.allclose(got, videogen.seed_color(seed), atol=20)


def wait_for_step(job, step: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = job.status()
        if status.step is not None and status.step >= step:
            return
        assert not job.done(), job.outcome()
        time.sleep(0.05)
    raise AssertionError(f"never reached step {step}: {job.status()}")


# --- authentication ---------------------------------------------------------------------------------------


def test_gradio_login(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(auth="ann:s3cret-pass")
    anonymous = Wan2GPClient(server.url, output_dir=tmp_path)
    with pytest.raises(AuthenticationError, match="requires authentication"):
        anonymous.connect()
    assert anonymous.generate(prompt="x", seed=1, **SMALL).error_kind == ErrorKind.AUTH
    wrong = Wan2GPClient(server.url, auth=("ann", "wrong-pass"), output_dir=tmp_path)
    failed = wrong.generate(prompt="x", seed=1, **SMALL)
    assert failed.error_kind == ErrorKind.AUTH and "wrong-pass" not in failed.error_message
    assert "wrong-pass" not in repr(wrong) and "s3cret" not in repr(wrong)
    good = Wan2GPClient(server.url, auth=("ann", "s3cret-pass"), output_dir=tmp_path, local_copy=False)
    assert good.check_health()
    result = good.generate(prompt="behind a login", seed=5, **SMALL)
    assert result.success, result.error_message
    assert result.metadata["local_copy"] is False  # streamed through the logged-in session
    assert_seed_video(result.video_path, 5)


def test_proxy_header(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(require_header="X-Proxy-Token:tok-12345")
    bare = Wan2GPClient(server.url, output_dir=tmp_path)
    assert not bare.check_health()
    result = bare.generate(prompt="x", seed=1, **SMALL)
    assert result.error_kind == ErrorKind.AUTH and "tok-12345" not in result.error_message
    client = Wan2GPClient(
        server.url, headers={"X-Proxy-Token": "tok-12345"}, output_dir=tmp_path, local_copy=False
    )
    assert client.check_health()
    result = client.generate(prompt="through the proxy", seed=6, **SMALL)
    assert result.success, result.error_message
    assert_seed_video(result.video_path, 6)


# --- version drift ------------------------------------------------------------------------------------------


def test_renamed_endpoints(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(shift_endpoints=1)
    client = Wan2GPClient(server.url, output_dir=tmp_path)
    status = client.get_server_status()
    assert status.endpoints["process_tasks"].startswith("/process_tasks_2 ")
    assert status.endpoints["load_queue"].startswith("/load_queue_action_1 ")
    result = client.generate(prompt="renamed", seed=8, **SMALL)
    assert result.success, result.error_message
    assert_seed_video(result.video_path, 8)


@pytest.mark.slow
def test_gradio6_server(start_wan2gp_standin, tmp_path):
    pytest.importorskip("av")
    server = start_wan2gp_standin(gradio6=True)
    client = Wan2GPClient(server.url, output_dir=tmp_path)
    status = client.get_server_status()
    assert status.gradio_version and status.gradio_version.startswith("6."), status
    result = client.generate(prompt="gradio six", seed=9, **SMALL)
    assert result.success, result.error_message
    assert_seed_video(result.video_path, 9)


# --- server-side failures ---------------------------------------------------------------------------------


def test_model_load_failure(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(fail_load=True)
    result = Wan2GPClient(server.url, output_dir=tmp_path).generate(prompt="no weights", seed=1, **SMALL)
    assert not result.success and result.error_kind == ErrorKind.SERVER
    assert "locate the file on the Hub" in result.error_message


def test_error_at_step_and_fallback(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(fail_at_step=2, fail_message="CUDA out of memory (stand-in)")
    client = Wan2GPClient(server.url, output_dir=tmp_path)
    result = client.generate(prompt="too big", seed=1, **SMALL)
    assert not result.success and result.error_kind == ErrorKind.SERVER
    assert "CUDA out of memory (stand-in)" in result.error_message
    assert result.metadata["server_file"].startswith("md_")  # the job engine can still tell which task failed
    # the session was finalized: the next job in the same client runs (and fails the same way, not hangs)
    again = client.generate(prompt="again", seed=2, **SMALL)
    assert again.error_kind == ErrorKind.SERVER


def test_fallback_reports_why(wan2gp_standin, tmp_path):
    client = Wan2GPClient(wan2gp_standin.url, output_dir=tmp_path)
    result = client.generate_with_fallback(
        "a windmill",
        "finetune_not_on_server",
        "t2v_1.3B",
        allow_unknown_model=True,
        seed=14,
        resolution="160x96",
        video_length=9,
        num_inference_steps=3,
    )
    assert result.success and result.metadata["used_fallback"] is True
    assert "finetune_not_on_server" in result.metadata["fallback_reason"]
    assert result.metadata["model"] == "t2v_1.3B"
    assert_seed_video(result.video_path, 14)
    direct = client.generate_with_fallback(
        "a mill", "t2v_1.3B", "t2v", seed=15, resolution="160x96", video_length=9, num_inference_steps=3
    )
    assert direct.success and direct.metadata["used_fallback"] is False


# --- the server goes away ----------------------------------------------------------------------


def test_server_killed_mid_job(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(crash_at_step=3, step_seconds=0.1)
    client = Wan2GPClient(server.url, output_dir=tmp_path)
    job = client.submit(prompt="doomed", seed=1, **{**SMALL, "num_inference_steps": 50})
    outcome = job.outcome(timeout=60)
    assert not outcome.success and outcome.error_kind == ErrorKind.INTERRUPTED
    assert "went away" in outcome.error_message or "stopped answering" in outcome.error_message
    assert job.server_gone and outcome.metadata["server_file"] == f"{job.token}.mp4"
    assert not server.alive()
    assert client.check_health() is False


@pytest.mark.slow
def test_frozen_server_is_caught_by_the_watchdog(start_wan2gp_standin, tmp_path):
    server = start_wan2gp_standin(step_seconds=0.1)
    client = Wan2GPClient(server.url, output_dir=tmp_path, watchdog_seconds=3, read_timeout=20)
    job = client.submit(prompt="frozen", seed=1, **{**SMALL, "num_inference_steps": 100})
    wait_for_step(job, 2)
    os.kill(server.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        outcome = job.outcome(timeout=90)
        waited = time.monotonic() - started
    finally:
        os.kill(server.pid, signal.SIGCONT)
    assert outcome.error_kind == ErrorKind.INTERRUPTED, outcome
    assert waited < 45, waited


def test_server_restarted_between_and_during_jobs(start_wan2gp_standin, tmp_path):
    port = free_port()
    first = start_wan2gp_standin(port=port, step_seconds=0.1)
    client = Wan2GPClient(first.url, output_dir=tmp_path)
    before = client.generate(prompt="before restart", seed=1, **SMALL)
    assert before.success
    fingerprint = client.get_server_status().fingerprint
    # restart mid-job: kill the server, start a new one on the same port while the job waits
    job = client.submit(prompt="during restart", seed=2, **{**SMALL, "num_inference_steps": 100})
    wait_for_step(job, 2)
    os.kill(first.pid, signal.SIGKILL)
    first.process.wait(timeout=10)
    second = start_wan2gp_standin(port=port, step_seconds=0.1)
    outcome = job.outcome(timeout=60)
    assert outcome.error_kind == ErrorKind.INTERRUPTED, outcome
    # after the restart the same client works again (new session, endpoints re-discovered)
    after = client.generate(prompt="after restart", seed=3, **SMALL)
    assert after.success, after.error_message
    assert_seed_video(after.video_path, 3)
    assert client.get_server_status().fingerprint == fingerprint  # same WanGP surface
    assert second.alive()


def test_recover_after_the_client_lost_the_job(wan2gp_standin, tmp_path):
    """The job engine persisted the remote ids; a fresh client (after a Blender restart) fetches the clip."""
    first = Wan2GPClient(
        wan2gp_standin.url, output_dir=tmp_path / "a", server_outputs_dir=str(wan2gp_standin.outputs)
    )
    remote = []
    job = first.submit(prompt="recover me", seed=77, on_remote_ids=remote.append, **SMALL)
    assert job.result(timeout=60).success
    ids = remote[0]
    assert ids.outputs_dir == str(wan2gp_standin.outputs) and ids.server_file == f"{job.token}.mp4"
    fresh = Wan2GPClient(wan2gp_standin.url, output_dir=tmp_path / "b")
    recovered = fresh.recover(ids.server_file, outputs_dir=ids.outputs_dir)
    assert recovered.success, recovered.error_message
    assert recovered.metadata["recovered"] is True
    assert_seed_video(recovered.video_path, 77)
    by_path = fresh.recover(server_path=remote[-1].server_path)
    assert by_path.success and Path(by_path.video_path) != Path(recovered.video_path)
    missing = fresh.recover("md_never_made.mp4", outputs_dir=ids.outputs_dir)
    assert not missing.success and missing.error_kind == ErrorKind.INTERRUPTED


# --- several servers -------------------------------------------------------------------------------


def test_pool_spreads_jobs_by_queue_length(wan2gp_standin, start_wan2gp_standin, tmp_path):
    other = start_wan2gp_standin()
    pool = Wan2GPPool([wan2gp_standin.url, other.url], output_dir=tmp_path)
    long = {**SMALL, "num_inference_steps": 60}
    jobs = [pool.submit(prompt=f"shot {i}", seed=100 + i, **long) for i in range(2)]
    results = [job.result(timeout=90) for job in jobs]
    assert {job.server_url for job in jobs} == {wan2gp_standin.url, other.url}
    for i, result in enumerate(results):
        assert_seed_video(result.video_path, 100 + i)
        assert result.metadata["server_url"] == jobs[i].server_url
    assert pool.loads() == {wan2gp_standin.url: 0, other.url: 0}


def test_pool_fails_over_when_a_server_dies(start_wan2gp_standin, wan2gp_standin, tmp_path):
    dying = start_wan2gp_standin(crash_at_step=2, step_seconds=0.1)
    pool = Wan2GPPool([dying.url, wan2gp_standin.url], output_dir=tmp_path)
    job = pool.submit(prompt="survivor", seed=55, **SMALL)
    result = job.result(timeout=120)
    assert result.success
    assert job.servers_tried == [dying.url, wan2gp_standin.url]
    assert result.metadata["servers_tried"] == [dying.url, wan2gp_standin.url]
    assert_seed_video(result.video_path, 55)
    # the dead server is skipped from now on
    assert pool.pick().url == wan2gp_standin.url


def test_pool_with_no_server(tmp_path):
    pool = Wan2GPPool([f"http://127.0.0.1:{free_port()}"], output_dir=tmp_path, connect_timeout=1)
    result = pool.generate(prompt="nowhere", seed=1, **SMALL)
    assert not result.success and result.error_kind == ErrorKind.CONNECTION


def test_abort_during_a_model_load_ends_the_job_at_once(start_wan2gp_standin, tmp_path):
    """WanGP cannot interrupt a model load (it handles the abort once loading ends): the job still ends as
    cancelled within a second, the abort stays with the server, and no video is made."""
    server = start_wan2gp_standin(load_seconds=4.0)
    client = Wan2GPClient(server.url, output_dir=tmp_path)
    job = client.submit(prompt="slow load", seed=3, **SMALL)
    deadline = time.monotonic() + 30
    # Wait on the phase, not on the "Loading model" text: WanGP's refresh_status_async clears
    # gen["status"] after each yield, so a status written in that gap is never shown (real WanGP too).
    # The server has started the task and reported no step yet: that is the load.
    while job.status().phase.value != "loading":
        assert time.monotonic() < deadline and not job.done(), job.status()
        time.sleep(0.05)
    asked = time.monotonic()
    job.abort()
    outcome = job.outcome(timeout=10)
    took = time.monotonic() - asked
    assert outcome.error_kind == ErrorKind.CANCELLED, outcome
    assert took < 1.5, took
    assert "still loading the model" in outcome.error_message
    time.sleep(5.0)  # the load ends; the server then handles the abort and drops the task
    assert not list(server.outputs.glob(f"{job.token}*"))
    client.close()


OTHER_GRADIO_APP = """
import sys, gradio as gr
with gr.Blocks(title="Not WanGP") as demo:
    box = gr.Textbox()
    out = gr.Textbox()
    box.submit(lambda s: s.upper(), box, out, api_name="shout")
demo.queue().launch(
    server_name="127.0.0.1", server_port=int(sys.argv[1]), prevent_thread_lock=True, quiet=True
)
print("READY", flush=True)
import time
while True:
    time.sleep(1)
"""


def test_a_gradio_app_that_is_not_wangp(tmp_path):
    """Any other Gradio app (or a WanGP without the Load Queue button) is one clear 'not supported' error."""
    import subprocess

    from tests.fixtures.wan2gp_standin import ROOT, prepare_venv

    prepare_venv()
    port = free_port()
    script = tmp_path / "other_app.py"
    script.write_text(OTHER_GRADIO_APP)
    proc = subprocess.Popen(
        [str(ROOT / ".venvs" / "standins" / "bin" / "python"), str(script), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1"},
    )
    try:
        assert proc.stdout.readline().strip() == "READY"
        client = Wan2GPClient(f"http://127.0.0.1:{port}", output_dir=tmp_path)
        assert client.check_health()  # it is a Gradio server...
        with pytest.raises(UnsupportedServerError) as info:
            client.connect()  # ...but not one Movie Director can drive
        message = str(info.value)
        assert message.startswith("This Wan2GP version is not supported:")
        assert "load_queue_action" in message and "gradio 5.29.0" in message
        result = client.generate(prompt="x", seed=1, **SMALL)
        assert result.error_kind == ErrorKind.UNSUPPORTED_SERVER
        status = client.get_server_status()
        assert status.reachable and "not supported" in status.error
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def test_job_waits_for_a_server_that_is_still_starting(start_wan2gp_standin, tmp_path):
    port = free_port()
    client = Wan2GPClient(f"http://127.0.0.1:{port}", output_dir=tmp_path)
    job = client.submit(prompt="early bird", seed=17, deadline=90, **SMALL)
    time.sleep(1.0)
    assert job.status().phase.value == "connecting"
    start_wan2gp_standin(port=port)  # takes a few seconds; the job retries with backoff meanwhile
    result = job.result(timeout=90)
    assert_seed_video(result.video_path, 17)
