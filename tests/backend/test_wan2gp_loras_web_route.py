"""Issue 16: a shot's LoRAs reach WanGP over the web UI route too, in the queue file the server receives.

The job engine runs a request like the one a shot with two LoRAs makes (tests/blender/test_wan2gp_mcp_ui.py
shows the shot's LoRA rows become these settings) with the Web UI transport, against the web-UI stand-in,
which keeps every queue file a client uploads (its ``--record-dir`` test knob, on in the session fixture).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.jobs import Backend, Credentials, GenerationRequest, Succeeded
from blender_movie_director.backend.jobs.manager import JobManager
from tests.fixtures.wan2gp_standin import received_queue_files

pytestmark = pytest.mark.standin


def test_loras_reach_the_web_ui_in_the_queue_file(wan2gp_standin: Any, tmp_path: Path) -> None:
    server = wan2gp_standin
    prompt = f"rain on a window {tmp_path.name}"  # finds this test's file among the session's
    manager = JobManager(tmp_path / "jobs.jsonl")
    try:
        request = GenerationRequest(
            backend=Backend.WAN2GP,
            model="t2v_1.3B",
            prompt=prompt,
            output_dir=str(tmp_path / "clips"),
            settings={
                "resolution": "320x192",
                "duration": 1.0,
                "seed": 7,
                "num_inference_steps": 2,
                "activated_loras": ["a.safetensors", "b.safetensors"],
                "loras_multipliers": "1 0.75",
            },
            servers=(server.url,),
            transport="web_ui",
        )
        job_id = manager.submit(request, Credentials())
        assert manager.wait([job_id], timeout=120)
        events = manager.drain()
        assert any(isinstance(e, Succeeded) for e in events), [e for e in events if e.kind == "failed"]
    finally:
        manager.shutdown()
    sent = [json.loads(f.read_text(encoding="utf-8")) for f in received_queue_files(server).glob("*.json")]
    mine = [task[0]["params"] if isinstance(task, list) else task for task in sent]
    mine = [params for params in mine if params.get("prompt") == prompt]
    assert len(mine) == 1  # no input media: one plain settings file
    params = mine[0]
    assert params["activated_loras"] == ["a.safetensors", "b.safetensors"]
    assert params["loras_multipliers"] == "1 0.75"
