"""Wan2GPClient over WanGP's MCP server, against the MCP stand-in (``scripts/wan2gp-standin --mcp``, a real
``mcp`` 1.10.1 server in its own process): every tool the product uses.

The generate / progress / cancel / deadline / download tests shared with the web UI route are parametrised
in test_wan2gp_client.py (``served``); bad answers are in test_wan2gp_mcp_attacks.py. Here: how the
transport is picked, server status, models with availability, LoRAs (listed and sent), the client-side
queue, what the server lacks, Finish (discovery, a finish, a bad parameter, through the job engine), and
following a job by its id after a restart.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.errors import ErrorKind, UnsupportedServerError
from blender_movie_director.backend.jobs import Backend, Credentials, GenerationRequest, Succeeded
from blender_movie_director.backend.jobs.manager import JobManager
from blender_movie_director.backend.wan2gp import Wan2GPClient
from blender_movie_director.backend.wan2gp.mcp.server import REQUIRED_TOOLS
from scripts.standins import videogen
from tests.fixtures.wan2gp_mcp_standin import mcp_base_url

pytestmark = [pytest.mark.standin, pytest.mark.timeout(120)]

SMALL = {"resolution": "160x96", "video_length": 9, "num_inference_steps": 3}
#: What the stand-in reports available by default (its --available).
READY = {"t2v_1.3B", "t2v", "i2v", "vace_1.3B", "ltx2_22B_distilled"}


@pytest.fixture
def client(wan2gp_mcp_standin, tmp_path):
    c = Wan2GPClient(wan2gp_mcp_standin.url, output_dir=tmp_path / "out", timeout=60)
    yield c
    c.close()


@pytest.fixture
def new_client():
    """Wan2GPClient(...) closed when the test ends, so no job of its is still followed in the next test."""
    made: list[Wan2GPClient] = []

    def make(*args: Any, **kwargs: Any) -> Wan2GPClient:
        made.append(Wan2GPClient(*args, **kwargs))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture(scope="module")
def take(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mcp_take") / "take.mp4"
    videogen.text_video(path, prompt="a take to finish", seed=5, width=160, height=96, frames=9, fps=16)
    return path


# --- the transport ----------------------------------------------------------------------------------------


def test_transport_from_the_address_the_setting_or_a_probe(new_client, wan2gp_mcp_standin, tmp_path):
    base = mcp_base_url(wan2gp_mcp_standin)
    assert new_client(wan2gp_mcp_standin.url).transport == "mcp"  # the address ends in /mcp
    assert new_client(base).transport == "mcp"  # auto: no web UI answers there, MCP does
    assert new_client(base, transport="mcp").transport == "mcp"
    forced = new_client(base, transport="web_ui", connect_timeout=2)
    status = forced.get_server_status()
    assert status.transport == "web_ui" and not status.reachable  # the preference is obeyed
    with pytest.raises(Exception) as caught:
        Wan2GPClient(base, transport="carrier pigeon")
    assert caught.value.kind is ErrorKind.VALIDATION and "auto, web_ui, mcp" in caught.value.user_message


def test_an_undecided_client_probes_on_the_jobs_thread(new_client, wan2gp_mcp_standin, tmp_path):
    """Auto with an address that does not end in /mcp: submit() returns at once and the job's own thread
    finds the MCP server (submit never blocks on a probe)."""
    client = new_client(mcp_base_url(wan2gp_mcp_standin), output_dir=tmp_path, timeout=60)
    result = client.submit(model="t2v_1.3B", prompt="decided later", seed=4, **SMALL).outcome(timeout=60)
    assert result.success, result.error_message
    assert result.metadata["transport"] == "mcp" and client.transport == "mcp"
    assert client.active_jobs == 0


def test_server_status_over_mcp(client):
    assert client.check_health() and client.connect()
    status = client.get_server_status()
    assert (status.transport, status.reachable, status.error) == ("mcp", True, None)
    assert set(REQUIRED_TOOLS) <= set(status.endpoints["tools"])
    assert status.endpoints["mcp_server"].startswith("WanGP") and len(status.fingerprint) == 16
    assert status.queue_size == 0 and status.warnings == ()


# --- what the server offers ---------------------------------------------------------------------------------


def test_models_with_availability(client):
    models = client.list_models()
    assert len(models) > 100 and all("video" in m.main_output for m in models)
    assert {m.model_type for m in models if m.available} == READY
    assert all(m.available is False for m in models if m.model_type not in READY)
    by_type = {m.model_type: m for m in models}
    assert by_type["i2v"].inputs[:2] == ("text", "image") and by_type["t2v_1.3B"].inputs == ("text",)
    assert {m.model_type for m in client.list_models(available_only=True)} == READY


def test_loras_are_listed_and_sent(client, wan2gp_mcp_standin):
    names = [lora.name for lora in client.list_loras("t2v_1.3B")]
    assert names == ["standin_film_grain.safetensors", "standin_anime_style.safetensors"]
    assert [lora.name for lora in client.list_loras("i2v")] == ["standin_slow_pan.safetensors"]
    with pytest.raises(Exception) as caught:
        client.list_loras("no_such_model")
    assert caught.value.kind is ErrorKind.MODEL_UNAVAILABLE
    result = client.generate(
        model="t2v_1.3B", prompt="grainy", seed=3, activated_loras=names[:1], loras_multipliers="0.7", **SMALL
    )
    assert result.success, result.error_message
    item = client._mcp_server().conn.call_tool(
        "wangp_get_gallery_item", {"gallery_id": result.metadata["gallery_id"]}
    )
    assert item["settings"]["activated_loras"] == names[:1] and item["settings"]["loras_multipliers"] == "0.7"


def test_the_web_ui_route_says_what_needs_mcp(tmp_path, take):
    web = Wan2GPClient("http://127.0.0.1:9", transport="web_ui", output_dir=tmp_path)  # never contacted
    for call in (lambda: web.list_loras("t2v_1.3B"), lambda: web.finish_processes(take)):
        with pytest.raises(UnsupportedServerError) as caught:
            call()
        assert "needs WanGP's MCP server (wgp.py --mcp)" in caught.value.user_message
    refused = web.finish(take, "lanczos", {"multiplier": 2.0})
    assert refused.error_kind is ErrorKind.UNSUPPORTED_SERVER
    models = web.list_models()
    assert models and all(m.available is None for m in models)  # the web UI cannot tell


# --- jobs ---------------------------------------------------------------------------------------------------


def test_two_clients_queue_for_the_one_generation(new_client, wan2gp_mcp_standin, tmp_path):
    a, b = (new_client(wan2gp_mcp_standin.url, output_dir=tmp_path / n, timeout=60) for n in "ab")
    seen: list[str] = []
    running = threading.Event()
    first = a.submit(
        model="t2v_1.3B",
        prompt="first",
        seed=1,
        progress=lambda f, t: t.startswith("step ") and running.set(),
        **{**SMALL, "num_inference_steps": 8},
    )
    assert running.wait(30)
    second = b.submit(
        model="t2v_1.3B", prompt="second", seed=2, progress=lambda f, t: seen.append(t), **SMALL
    )
    assert first.outcome(timeout=60).success and second.outcome(timeout=60).success
    assert "waiting for the Wan2GP server (position 1)" in seen  # queued here, never refused as busy


def test_what_the_server_lacks_is_said(client):
    unknown = client.generate(model="t2v_7B_future", prompt="x", allow_unknown_model=True, **SMALL)
    assert unknown.error_kind is ErrorKind.MODEL_UNAVAILABLE
    assert "does not know the model 't2v_7B_future'" in unknown.error_message
    assert all(m in unknown.error_message for m in READY)  # with the models it has
    no_weights = client.generate(model="hunyuan", prompt="x", seed=1, **SMALL)
    assert no_weights.error_kind is ErrorKind.MODEL_UNAVAILABLE
    assert "no weights for 'hunyuan'" in no_weights.error_message and "t2v_1.3B" in no_weights.error_message


def test_a_job_is_followed_by_its_id_after_a_restart(new_client, client, tmp_path):
    done = client.generate(model="t2v_1.3B", prompt="recover me", seed=8, **SMALL)
    assert done.success
    later = new_client(client.url, output_dir=tmp_path / "later")  # a new session, nothing shared
    again = later.recover_job(done.metadata["job_id"], stop=lambda: None)
    assert again.success and again.metadata["recovered"]
    assert Path(again.video_path).read_bytes() == Path(done.video_path).read_bytes()
    gone = later.recover_job("0" * 32)
    assert gone.error_kind is ErrorKind.INTERRUPTED and "no longer knows this job" in gone.error_message


# --- Finish -------------------------------------------------------------------------------------------------


def test_finish_lists_processes_and_upscales_a_take(client, take):
    processes = client.finish_processes(take)
    lanczos = next(p for p in processes if p["id"] == "lanczos")
    assert lanczos["parameters"][0]["name"] == "multiplier" and 2.0 in lanczos["parameters"][0]["enum"]
    finished = client.finish(take, "lanczos", {"multiplier": 2.0})
    assert finished.success, finished.error_message
    assert (finished.metadata["width"], finished.metadata["height"]) == (320, 192)
    assert finished.metadata["finish"] == {"process": "lanczos", "parameters": {"multiplier": 2.0}}
    bad = client.finish(take, "lanczos", {"multiplier": 7})
    assert bad.error_kind is ErrorKind.VALIDATION and "multiplier must be one of" in bad.error_message


def test_finish_runs_through_the_job_engine(wan2gp_mcp_standin, tmp_path, take):
    manager = JobManager(tmp_path / "jobs.jsonl")
    try:
        request = GenerationRequest(
            backend=Backend.WAN2GP,
            model="t2v_1.3B",
            prompt="a take to finish",
            output_dir=str(tmp_path / "clips"),
            settings={"postprocess": {"process": "lanczos", "parameters": {"multiplier": 1.5}}},
            inputs={"video": str(take)},
            servers=(wan2gp_mcp_standin.url,),
        )
        job_id = manager.submit(request, Credentials())
        assert manager.wait([job_id], timeout=60)
        events = manager.drain()
        done = next((e for e in events if isinstance(e, Succeeded)), None)
        assert done is not None, [e for e in events if e.kind == "failed"]
        assert (done.result.metadata["width"], done.result.metadata["height"]) == (240, 144)
        assert Path(done.result.video_path).parent == tmp_path / "clips"
    finally:
        manager.shutdown()


def test_the_runner_resumes_an_mcp_job_by_its_stored_id(wan2gp_mcp_standin, tmp_path):
    """The job engine stores the MCP job id (remote kind "mcp_job"); after a restart the runner follows that
    job on today's server and fetches its clip, sending nothing again."""
    from blender_movie_director.backend.jobs.runner import RunContext
    from blender_movie_director.backend.jobs.runners import Wan2GPRunner
    from blender_movie_director.backend.jobs.store import JobStore

    manager = JobManager(tmp_path / "jobs.jsonl")
    request = GenerationRequest(
        backend=Backend.WAN2GP,
        model="t2v_1.3B",
        prompt="stored",
        output_dir=str(tmp_path / "clips"),
        settings={**SMALL, "seed": 9},
        servers=(wan2gp_mcp_standin.url,),
    )
    try:
        job_id = manager.submit(request, Credentials())
        assert manager.wait([job_id], timeout=60)
    finally:
        manager.shutdown()
    store = JobStore(tmp_path / "jobs.jsonl")
    store.load()
    record = store.get(job_id)
    assert record is not None and record.remote_kind == "mcp_job" and record.remote_id
    runner = Wan2GPRunner()
    assert runner.resumable(record) == ""
    later = GenerationRequest(**{**request.__dict__, "output_dir": str(tmp_path / "later")})
    ctx = RunContext(
        job_id,
        later,
        Credentials(),
        lambda f, t: None,
        lambda t, lv: None,
        lambda r, k, d: None,
        record=record,
    )
    try:
        result = runner.resume(ctx)
    finally:
        runner.close()
    assert result.success, result.error_message
    assert (
        result.metadata["job_id"] == record.remote_id and Path(result.video_path).parent == tmp_path / "later"
    )


def test_a_cancel_during_the_model_load_holds_the_server_for_the_next_job(
    new_client, start_wan2gp_mcp_standin, tmp_path
):
    """WanGP does not interrupt a model load: the cancelled job ends at once for the user, its place on the
    server is kept until the server has stopped it, and the next job then runs (never refused as busy)."""
    server = start_wan2gp_mcp_standin(load_seconds=1.0)
    client = new_client(server.url, output_dir=tmp_path, timeout=60)
    loading = threading.Event()
    job = client.submit(
        model="t2v_1.3B",
        prompt="cancel while loading",
        seed=1,
        **SMALL,
        progress=lambda f, t: "Loading model" in t and loading.set(),
    )
    assert loading.wait(30)
    asked = time.monotonic()
    job.abort()
    cancelled = job.outcome(timeout=10)
    assert time.monotonic() - asked < 1.0
    assert (
        cancelled.error_kind is ErrorKind.CANCELLED and "still loading the model" in cancelled.error_message
    )
    following = client.generate(model="t2v_1.3B", prompt="after the cancel", seed=2, **SMALL)
    assert following.success, following.error_message
    assert following.metadata["timings"]["queued"] > 0.1  # it waited for the cancelled load to end
