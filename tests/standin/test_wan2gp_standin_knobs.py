"""Stand-in knobs: model-load failure, step failure, crash, auth, proxy header, slow files, gradio 6."""

from __future__ import annotations

import time
import zipfile
from concurrent.futures import CancelledError

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError, AuthenticationError

from tests.standin import wan2gp_driver as drv

pytestmark = pytest.mark.standin

LOAD_FAILURE = (
    "An error happened while trying to locate the file on the Hub and we cannot find the requested files in "
    "the local cache. Please check your connection and try again or make sure your Internet connection is on."
)


def task(prompt: str, steps: int = 4) -> dict:
    return {
        "model_type": "t2v_1.3B",
        "prompt": prompt,
        "resolution": "64x48",
        "video_length": 5,
        "num_inference_steps": steps,
        "seed": 2,
    }


def test_failed_model_load_empties_the_queue_like_the_real_app(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(fail_load=True, load_seconds=0.3)
    client = drv.connect(standin.url, tmp_path / "dl")
    try:
        run = drv.run_queue(
            client, drv.write_json(tmp_path / "f.json", [task("fails one"), task("fails two")])
        )
        assert isinstance(run.process_error, AppError)
        assert run.process_error.message == LOAD_FAILURE
        assert run.process_error.duration == 0
        assert ("Error Queue autosaved successfully to error_queue.zip", "info") in run.process_logs
        assert run.elapsed >= 0.3
        assert run.gallery_videos() == []
        assert run.final[0] == 0 and run.final[5] == {"visible": False, "value": "", "__type__": "update"}
        with zipfile.ZipFile(standin.outputs.parent / "error_queue.zip") as zf:
            assert b"fails two" in zf.read("queue.json")
        # The whole queue is gone: a new load starts a fresh queue instead of merging.
        _, logs = drv.load_queue(client, drv.write_json(tmp_path / "g.json", task("after")))
        assert logs == [("Loaded 1 task(s)", "info")]
        assert list(standin.outputs.glob("*.mp4")) == []
    finally:
        client.close()


def test_an_abort_during_a_model_load_is_handled_once_the_load_ends(start_wan2gp_standin, tmp_path):
    """Like the real WanGP 12.60 (wgp-standin-fidelity.md item 7): the abort sent 1 s into a failing 3 s load
    is answered only after the load failed, the run ends with the load's own error, and the abort then
    finds the session still marked running ("Processing Request to abort Current Generation")."""
    standin = start_wan2gp_standin(fail_load=True, load_seconds=3.0)
    client = drv.connect(standin.url, tmp_path / "dl")
    try:
        run = drv.start_queue(client, drv.write_json(tmp_path / "a.json", task("abort in load")))
        time.sleep(1.0)
        asked = time.monotonic()
        abort = client.submit(api_name="/abort_generation")
        abort.result(timeout=30)
        answered = time.monotonic() - asked
        run = drv.finish_queue(client, run)
        assert answered > 1.5, answered  # not while loading
        assert isinstance(run.process_error, AppError) and run.process_error.message == LOAD_FAILURE
        assert ("Error Queue autosaved successfully to error_queue.zip", "info") in run.process_logs
        assert ("Processing Request to abort Current Generation", "info") in drv.logs(abort)
        assert list(standin.outputs.glob("*.mp4")) == []
    finally:
        client.close()


def test_failure_at_a_step_reaches_the_client(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(
        fail_at_step=2, fail_message="CUDA out of memory. Tried to allocate 2.00 GiB"
    )
    client = drv.connect(standin.url, tmp_path / "dl")
    try:
        run = drv.run_queue(client, drv.write_json(tmp_path / "s.json", task("oom")))
        assert isinstance(run.process_error, AppError)
        assert run.process_error.message == "CUDA out of memory. Tried to allocate 2.00 GiB"
        assert list(standin.outputs.glob("*.mp4")) == []
    finally:
        client.close()


def test_crash_at_a_step_kills_the_server(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(crash_at_step=2)
    client = drv.connect(standin.url, tmp_path / "dl")
    try:
        run = drv.start_queue(client, drv.write_json(tmp_path / "c.json", task("crash", steps=10)))
        with pytest.raises((CancelledError, httpx.HTTPError, AppError, ConnectionError)):
            run.process_job.result(timeout=30)
        standin.process.wait(timeout=10)
        assert standin.process.returncode != 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(standin.url + "/config", timeout=5)
    finally:
        client.close()


def test_auth_knob(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(auth="director:s3cret")
    with pytest.raises(AuthenticationError):
        Client(standin.url, verbose=False, download_files=str(tmp_path))
    with pytest.raises(ValueError, match="Could not login"):
        Client(standin.url, verbose=False, auth=("director", "wrong"), download_files=str(tmp_path))
    client = drv.connect(standin.url, tmp_path / "dl", auth=("director", "s3cret"))
    try:
        run = drv.run_queue(client, drv.write_json(tmp_path / "a.json", task("behind a login", 1)))
        assert run.process_error is None and len(run.gallery_videos()) == 1
    finally:
        client.close()
    assert "s3cret" not in standin.log_text()


def test_header_check_knob(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(require_header="X-Proxy-Token:tok-123")
    assert httpx.get(standin.url + "/config", timeout=10).status_code == 401
    assert httpx.get(standin.url + "/config", headers={"X-Proxy-Token": "bad"}, timeout=10).status_code == 401
    with pytest.raises(AuthenticationError):  # gradio_client reads any 401 on /config as "please login"
        Client(standin.url, verbose=False, download_files=str(tmp_path), httpx_kwargs={"timeout": 10})
    client = drv.connect(standin.url, tmp_path / "dl", headers={"X-Proxy-Token": "tok-123"})
    try:
        run = drv.run_queue(client, drv.write_json(tmp_path / "h.json", task("behind a proxy", 1)))
        assert run.process_error is None and len(run.gallery_videos()) == 1
    finally:
        client.close()


def test_slow_file_serving_knob(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(file_delay=1.0)
    client = drv.connect(standin.url, tmp_path / "dl")
    try:
        run = drv.run_queue(client, drv.write_json(tmp_path / "f.json", task("slow file", 1)))
        video = standin.outputs / run.gallery_videos()[0].rsplit("/", 1)[1]
        start = time.monotonic()
        reply = httpx.get(f"{standin.url}/gradio_api/file={video}", timeout=30)
        assert reply.status_code == 200 and reply.content == video.read_bytes()
        assert time.monotonic() - start >= 1.0
        start = time.monotonic()
        assert httpx.get(standin.url + "/config", timeout=10).status_code == 200
        assert time.monotonic() - start < 1.0
    finally:
        client.close()
