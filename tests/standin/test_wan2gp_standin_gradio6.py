"""Forward compatibility: the stand-in on gradio 6 (``--gradio6``), driven by gradio_client 2.7.2."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from scripts.standins import videogen
from tests.standin import wan2gp_driver as drv

pytestmark = [pytest.mark.standin, pytest.mark.slow]

REAL_ENDPOINTS = Path(__file__).resolve().parents[1] / "data" / "wan2gp" / "real-endpoints.json"


def test_gradio6_keeps_the_names_and_runs_a_queue(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(gradio6=True)
    config = httpx.get(standin.url + "/config", timeout=30).json()
    assert config["version"].startswith("6.")
    deps = {d["api_name"]: d for d in config["dependencies"]}
    for real in json.loads(REAL_ENDPOINTS.read_text())["client_relevant_dependencies"]:
        ours = deps[real["api_name"]]
        assert ours["id"] == real["fn_index"], real["api_name"]
        assert [tuple(t) for t in ours["targets"]] == [
            (t["component_id"], t["event"]) for t in real["triggers"]
        ], real["api_name"]
        assert ours["trigger_after"] == real["trigger_after"], real["api_name"]
    client = drv.connect(standin.url, tmp_path / "dl")
    try:
        task = {
            "model_type": "t2v_1.3B",
            "prompt": "gradio six",
            "resolution": "96x64",
            "video_length": 9,
            "num_inference_steps": 3,
            "seed": 6,
        }
        run = drv.run_queue(client, drv.write_json(tmp_path / "t.json", task))
        assert run.load_logs == [("Loaded 1 task(s)", "info")]
        assert run.process_error is None
        stats = videogen.probe(run.gallery_videos()[0])
        assert (stats.width, stats.height, stats.frames, stats.fps) == (96, 64, 9, 16.0)
    finally:
        client.close()
