"""The WanGP MCP stand-in (``wan2gp-standin --mcp``) driven with plain httpx, checked against the capture of
the real WanGP 12.60 (shared/wan2gp/mcp; ``data/wan2gp_mcp_tools_list.json`` is its ``tools/list`` answer).

The session server runs one generation at a time: every test that starts a job waits for it to end.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from scripts.standins import videogen
from tests.fixtures.wan2gp_mcp_standin import mcp_base_url

pytestmark = pytest.mark.standin

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
CAPTURED_TOOLS = Path(__file__).with_name("data") / "wan2gp_mcp_tools_list.json"
HUB_ERROR = (
    "An error happened while trying to locate the file on the Hub and we cannot find the requested files in "
    "the local cache. Please check your connection and try again or make sure your Internet connection is on."
)
T2V = {
    "model_type": "t2v_1.3B",
    "prompt": "a red ball bouncing",
    "resolution": "320x192",
    "video_length": 17,
    "num_inference_steps": 6,
    "seed": 7,
}


class Mcp:
    """A few lines of JSON-RPC over httpx: what a script would write against the real server."""

    def __init__(self, standin: Any) -> None:
        self.http = httpx.Client(base_url=mcp_base_url(standin), timeout=30)
        self.next_id = 0

    def rpc(
        self, method: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        self.next_id += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            body["params"] = params
        return self.http.post("/mcp/", json=body, headers=headers or ACCEPT)

    def call(self, name: str, **arguments: Any) -> dict[str, Any]:
        response = self.rpc("tools/call", {"name": name, "arguments": arguments})
        assert response.status_code == 200, response.text
        return response.json()["result"]

    def ok(self, name: str, **arguments: Any) -> Any:
        result = self.call(name, **arguments)
        assert result["isError"] is False, result
        return result["structuredContent"]

    def error(self, name: str, **arguments: Any) -> str:
        result = self.call(name, **arguments)
        assert result["isError"] is True and "structuredContent" not in result, result
        assert len(result["content"]) == 1
        return result["content"][0]["text"]

    def wait(self, job_id: str, deadline: float = 30.0) -> dict[str, Any]:
        end = time.monotonic() + deadline
        while True:
            snap = self.ok("wangp_get_job", job_id=job_id)
            if snap["done"] and snap["result"] is not None:
                return snap
            assert time.monotonic() < end, snap
            time.sleep(0.03)

    def upload(self, name: str, data: bytes) -> dict[str, Any]:
        ticket = self.ok("wangp_create_gallery_upload", filename=name)
        response = self.http.put(ticket["upload_url"], content=data)
        assert response.status_code == 200, response.text
        return response.json()

    def download(self, gallery_id: str) -> httpx.Response:
        ticket = self.ok("wangp_create_gallery_download", gallery_id=gallery_id)
        return self.http.get(ticket["download_url"])


@pytest.fixture
def mcp(wan2gp_mcp_standin):
    client = Mcp(wan2gp_mcp_standin)
    yield client
    client.http.close()


def png(width: int, height: int, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def test_tools_list_matches_the_capture_field_by_field(mcp):
    got = mcp.rpc("tools/list").json()["result"]["tools"]
    want = json.loads(CAPTURED_TOOLS.read_text(encoding="utf-8"))["tools"]
    assert [t["name"] for t in got] == [t["name"] for t in want]
    for g, w in zip(got, want, strict=True):
        assert sorted(g) == sorted(w), g["name"]
        for key in w:
            assert g[key] == w[key], f"{g['name']}.{key}"
    prompts = mcp.rpc("prompts/list").json()["result"]["prompts"]
    assert [(p["name"], p["title"], p["arguments"]) for p in prompts] == [
        ("wangp_agent", "WanGP Agent Guide", [])
    ]
    resources = mcp.rpc("resources/list").json()["result"]["resources"]
    assert len(resources) == 21 and {r["mimeType"] for r in resources} == {"text/markdown"}
    read = mcp.rpc("resources/read", {"uri": "wangp://docs/settings/prompt-flags"}).json()["result"]
    assert read["contents"][0]["mimeType"] == "text/markdown" and read["contents"][0]["text"]
    assert mcp.rpc("resources/templates/list").json()["result"] == {"resourceTemplates": []}


def test_transport_redirect_stateless_json_and_header_errors(mcp):
    init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}
    redirect = mcp.http.post("/mcp", json=body, headers=ACCEPT)
    assert redirect.status_code == 307 and redirect.headers["location"].endswith("/mcp/")
    answer = mcp.http.post("/mcp/", json=body, headers=ACCEPT)
    assert answer.headers["content-type"] == "application/json" and "mcp-session-id" not in answer.headers
    result = answer.json()["result"]
    assert result["serverInfo"] == {"name": "WanGP", "version": "1.10.1"}
    assert result["capabilities"]["resources"] == {"subscribe": False, "listChanged": False}
    assert mcp.rpc("initialize", {**init, "protocolVersion": "1999-01-01"}).json()["result"][
        "protocolVersion"
    ] == ("2025-06-18")
    note = mcp.http.post(
        "/mcp/", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=ACCEPT
    )
    assert (note.status_code, note.content) == (202, b"")
    json_only = mcp.rpc("ping", headers={"Accept": "application/json", "Content-Type": "application/json"})
    assert json_only.status_code == 406
    assert json_only.json()["error"] == {
        "code": -32600,
        "message": "Not Acceptable: Client must accept both application/json and text/event-stream",
    }
    assert mcp.rpc("ping", headers={**ACCEPT, "MCP-Protocol-Version": "1999-01-01"}).json()["error"][
        "message"
    ] == (
        "Bad Request: Unsupported protocol version: 1999-01-01. Supported versions: 2024-11-05, 2025-03-26, "
        "2025-06-18"
    )
    wrong_type = mcp.http.post("/mcp/", content=b"{}", headers={"Content-Type": "text/plain"})
    assert (wrong_type.status_code, wrong_type.text) == (400, "Invalid Content-Type header")
    unknown = mcp.rpc("no/such_method")
    assert unknown.status_code == 200
    assert unknown.json()["error"] == {"code": -32602, "message": "Invalid request parameters", "data": ""}
    malformed = mcp.http.post("/mcp/", content=b"{not json", headers=ACCEPT)
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == -32700


def test_tool_result_and_error_shapes(mcp):
    assert mcp.error("wangp_nonexistent") == "Unknown tool: wangp_nonexistent"
    assert (
        mcp.error("wangp_get_job", job_id="nope")
        == "Error executing tool wangp_get_job: 'Unknown WanGP job_id: nope'"
    )
    assert mcp.error("wangp_list_loras", model_type="no_such_model") == (
        "Error executing tool wangp_list_loras: Unknown model_type: no_such_model"
    )
    assert mcp.error("wangp_list_gallery", media_type="pictures") == (
        "Error executing tool wangp_list_gallery: media_type must be all, image, video, or audio"
    )
    limit = mcp.error("wangp_list_models", limit="ten")
    assert limit.startswith(
        "Error executing tool wangp_list_models: 1 validation error for wangp_list_modelsArguments"
    )
    assert mcp.call("wangp_get_model_schema", model_type="no_such_model")["structuredContent"] == {
        "result": None
    }
    # A list: one content item per element; a dict: one JSON text item, indent 2.
    listed = mcp.call("wangp_list_models", query="vace", include_availability=True)
    records = listed["structuredContent"]["result"]
    assert len(records) == len(listed["content"]) == 10  # the limit is clamped to 10
    assert [json.loads(c["text"]) for c in listed["content"]] == records
    schema = mcp.call("wangp_get_model_schema", model_type="t2v_1.3B")
    assert schema["content"][0]["text"] == json.dumps(schema["structuredContent"]["result"], indent=2)
    meta = schema["structuredContent"]["result"]["metadata"]
    assert (meta["fps"], meta["frames_minimum"], meta["frames_steps"], meta["frames_maximum"]) == (
        16,
        5,
        4,
        97,
    )
    assert meta["capabilities"]["text_to_video"] and not meta["media_inputs"]["image"]["start"]


def test_discovery_availability_search_and_loras(mcp):
    found = mcp.ok("wangp_search_models", query="text2video", include_availability=True)
    assert found["total_matches"] > found["returned"] == 10 and found["has_more"]
    assert mcp.ok("wangp_search_models", query="wan 2.1 text")["total_matches"] == 0  # a substring match
    assert mcp.ok("wangp_get_model_availability", model_type="t2v_1.3B")["available"] is True
    assert mcp.ok("wangp_get_model_availability", model_type="flux") == {
        "model_type": "flux",
        "status": "missing",
        "status_code": 0,
        "indicator": "black_square",
        "available": False,
    }
    loras = mcp.ok("wangp_list_loras", model_type="t2v_1.3B")
    assert loras["supported"] and loras["count"] == len(loras["loras"]) == 2
    defaults = mcp.ok("wangp_get_default_settings", model_type="t2v_1.3B")
    assert (defaults["resolution"], defaults["video_length"], defaults["num_inference_steps"]) == (
        "832x480",
        81,
        30,
    )


# Pages the real 12.60 answered (model ids in order), replayed against the stand-in's catalog.
CAPTURED_PAGES = [
    (
        "wangp_list_models",
        {"main_output": "video", "inputs": "image", "limit": 10},
        "animate animate2 animate2_distilled bernini bernini_1.3B fantasy flf2v_720p fun_inp fun_inp_1.3B "
        "hunyuan_1_5_480_i2v",
    ),
    (
        "wangp_list_models",
        {"include_availability": True, "offset": 20},
        "chrono_edit_distill dramabox_audio fantasy flf2v_720p flux flux2_dev flux2_dev_nvfp4 flux2_klein_4b "
        "flux2_klein_9b flux2_klein_base_4b",
    ),
    (
        "wangp_list_model_availability",
        {"family": "wan"},
        "alpha alpha2 alpha2_sf alpha_sf chrono_edit chrono_edit_distill fantasy flf2v_720p fun_inp "
        "fun_inp_1.3B i2v i2v_720p i2v_fusionix i2v_nvfp4 infinitetalk infinitetalk_multi "
        "lynx mocha moviigen multitalk",
    ),
    (
        "wangp_search_models",
        {"query": "text"},
        "ace_step_v1_5_xl flux flux_dev_kontext flux_dev_kontext_dreamomni2 flux_schnell hidream_o1 "
        "hidream_o1_dev_2604 hunyuan hunyuan_1_5_480_t2v hunyuan_1_5_480_t2v_lightx2v",
    ),
]


@pytest.mark.parametrize(
    ("tool", "arguments", "model_types"),
    CAPTURED_PAGES,
    ids=["list_video_image", "list_offset20", "availability_wan", "search_text"],
)
def test_discovery_pages_match_the_capture(mcp, tool, arguments, model_types):
    answer = mcp.ok(tool, **arguments)
    records = answer["matches"] if "matches" in answer else answer["result"]
    assert [r["model_type"] for r in records] == model_types.split()
    if tool == "wangp_search_models":
        assert answer["total_matches"] == 54


def test_upload_download_round_trip(mcp):
    data = png(40, 30)
    ticket = mcp.ok("wangp_create_gallery_upload", filename="../../etc/start.png")
    assert ticket["filename"] == "start.png" and ticket["expires_in_seconds"] == 600
    assert ticket["upload_url"].startswith("/wangp_api/gallery/upload/")
    put = mcp.http.put(ticket["upload_url"], content=data, headers={"Content-Type": "image/png"})
    item = put.json()
    assert (put.status_code, item["status"], item["size"], item["media_type"], item["selected"]) == (
        200,
        "uploaded",
        len(data),
        "image",
        True,
    )
    assert item["gallery_id"].startswith("visual:") and len(item["gallery_id"]) == len("visual:") + 12
    reuse = mcp.http.put(ticket["upload_url"], content=data)
    assert (reuse.status_code, reuse.json()) == (404, {"error": "Upload expired or not found."})
    bad = mcp.ok("wangp_create_gallery_upload", filename="bad.png")
    refused = mcp.http.put(bad["upload_url"], content=b"not a picture")
    assert refused.status_code == 400 and refused.json()["error"].startswith("cannot identify image file '")
    assert mcp.error("wangp_create_gallery_upload", filename="notes.txt").endswith(
        "filename must have a supported image, video, or audio extension"
    )
    ticket = mcp.ok("wangp_create_gallery_download", gallery_id=item["gallery_id"])
    got = mcp.http.get(ticket["download_url"])
    assert got.content == data and got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"] == 'attachment; filename="start.png"'
    assert mcp.http.get(ticket["download_url"]).status_code == 404  # one use
    assert mcp.ok("wangp_get_gallery_item", gallery_id=item["gallery_id"])["path"] == item["path"]


def test_text_to_video_job_to_success(mcp, tmp_path):
    start = mcp.ok("wangp_generate", source=T2V)
    assert start["events"][0] == {**start["events"][0], "kind": "started", "data": {"tasks": 1}}
    assert (start["webui_submission_ready"], start["webui_load_queue_token"], start["result"]) == (
        False,
        "",
        None,
    )
    snap = mcp.wait(start["job_id"])
    result = snap["result"]
    assert (result["success"], result["cancelled"], result["total_tasks"], result["successful_tasks"]) == (
        True,
        False,
        1,
        1,
    )
    kinds = [e["kind"] for e in snap["events"]]
    assert kinds[-2:] == ["output", "completed"]
    console = [e["data"]["text"] for e in snap["events"] if e["kind"] == "stream"]
    assert any("Processing request of type" in line for line in console)  # our own polls, as on the real one
    assert "CallToolRequest" in "".join(console) and console[-1].startswith("New video saved to Path: ")
    progress = [e["data"] for e in snap["events"] if e["kind"] == "progress"]
    assert [p["progress"] for p in progress] == [20, 20, 30, 41, 52, 63, 74, 95]
    assert progress[-1]["phase"] == "decoding" and progress[-1]["status"].startswith("VAE Decoding | ")
    item = result["gallery_items"][0]
    assert item["settings"]["seed"] == 7 and item["settings"]["model_type"] == "t2v_1.3B"
    path = tmp_path / "out.mp4"
    path.write_bytes(mcp.download(item["gallery_id"]).content)
    stats = videogen.probe(path)
    assert (stats.width, stats.height, stats.frames, stats.fps) == (320, 192, 17, 16)


def test_image_to_video_is_fitted_to_the_start_image(mcp, tmp_path):
    image = mcp.upload("start_4x3.png", png(400, 300))
    source = {**T2V, "model_type": "i2v", "image_start": image["gallery_id"], "num_inference_steps": 2}
    snap = mcp.ok("wangp_generate", source=source, wait=True, timeout_s=30)
    assert snap["result"]["success"], snap["result"]
    path = tmp_path / "i2v.mp4"
    path.write_bytes(mcp.download(snap["result"]["gallery_items"][0]["gallery_id"]).content)
    stats = videogen.probe(path)
    assert (stats.width, stats.height) == (288, 208)  # the capture's size for a 4:3 picture asked at 320x192


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {**T2V, "model_type": "i2v", "image_start": "/srv/x.png"},
            "Direct filesystem paths are disabled for this MCP server. Use a Gallery id for image_start, or "
            "restart with filesystem reads enabled.",
        ),
        (
            {**T2V, "model_type": "i2v", "image_start": "visual:000000000000"},
            "'Unknown WanGP gallery_id: visual:000000000000'",
        ),
    ],
)
def test_generate_refusals(mcp, source, message):
    assert mcp.error("wangp_generate", source=source) == f"Error executing tool wangp_generate: {message}"


def test_job_level_input_errors(mcp):
    unknown = mcp.ok("wangp_generate", source={"model_type": "no_such_model", "prompt": "x"}, wait=True)
    assert unknown["result"]["errors"] == [
        {
            "message": "'NoneType' object has no attribute 'get'",
            "task_index": None,
            "task_id": None,
            "stage": "runtime",
            "cancelled": False,
        }
    ]
    missing = mcp.ok("wangp_generate", source={"prompt": "no model type"}, wait=True)
    assert missing["result"]["errors"][0]["stage"] == "validation"
    assert missing["result"]["errors"][0]["message"] == "No model_type specified"
    two = [{"model_type": "flux", "prompt": "x"}, {"model_type": "flux_schnell", "prompt": "y"}]  # no weights
    result = mcp.ok("wangp_generate", source=two, wait=True)["result"]
    assert [(e["message"], e["task_index"], e["stage"]) for e in result["errors"]] == [
        (HUB_ERROR, 1, "generation"),
        (HUB_ERROR, 2, "generation"),
    ]
    assert (result["total_tasks"], result["failed_tasks"], result["success"]) == (2, 2, False)


def test_one_at_a_time_and_cancel_during_denoising(mcp):
    start = mcp.ok("wangp_generate", source={**T2V, "num_inference_steps": 200})
    while not any(
        e["kind"] == "progress" and e["data"]["current_step"]
        for e in mcp.ok("wangp_get_job", job_id=start["job_id"])["events"]
    ):
        time.sleep(0.02)
    busy = mcp.error("wangp_generate", source=T2V)  # one generation at a time, no queue
    assert busy == "Error executing tool wangp_generate: WanGP session already has a generation in progress"
    assert mcp.ok("wangp_cancel_job", job_id=start["job_id"])["cancel_requested"] is True
    snap = mcp.wait(start["job_id"])
    assert (snap["result"]["success"], snap["result"]["cancelled"]) == (False, True)
    last = [e["data"] for e in snap["events"] if e["kind"] == "progress"][-1]
    assert last["phase"] == "cancelled" and last["status"].startswith("Aborting | ")
    assert snap["result"]["errors"][0]["message"] == "Generation was cancelled"


def test_cancel_during_a_failing_model_load(start_wan2gp_mcp_standin):
    # A load is not interrupted (as captured): its failure and the cancel both land, result.cancelled false.
    mcp = Mcp(start_wan2gp_mcp_standin(load_seconds=0.6))
    start = mcp.ok("wangp_generate", source={"model_type": "flux", "prompt": "x"})
    assert mcp.ok("wangp_cancel_job", job_id=start["job_id"], event_limit=3)["cancel_requested"] is True
    result = mcp.wait(start["job_id"])["result"]
    assert [(e["stage"], e["cancelled"]) for e in result["errors"]] == [
        ("generation", False),
        ("cancelled", True),
    ]
    assert result["cancelled"] is False and result["errors"][1]["message"] == "Generation was cancelled"
    assert mcp.error("wangp_generate", source=T2V, wait=True, timeout_s=0.05) == (
        "Error executing tool wangp_generate: WanGP session job timed out"
    )


def test_postprocess_discovery_lanczos_and_rife(mcp, tmp_path):
    snap = mcp.ok("wangp_generate", source={**T2V, "num_inference_steps": 1, "video_length": 9}, wait=True)
    gid = snap["result"]["gallery_items"][0]["gallery_id"]
    found = mcp.ok("wangp_postprocess", path=gid)
    assert found["status"] == "discovery" and found["media_type"] == "video" and found["count"] == 12
    assert {"lanczos", "rife"} <= {p["id"] for p in found["processes"]}
    assert mcp.error("wangp_postprocess", path=gid, process="lanczos", parameters={"multiplier": 7}) == (
        "Error executing tool wangp_postprocess: "
        "multiplier must be one of: 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0."
    )
    assert "Direct filesystem paths are disabled" in mcp.error("wangp_postprocess", path="/srv/x.mp4")
    for process, (width, height, fps, frames) in (
        ("lanczos", (640, 384, 16, 9)),
        ("rife", (320, 192, 32, 17)),
    ):
        job = mcp.ok("wangp_postprocess", path=gid, process=process, parameters={"multiplier": 2.0})
        assert job["process"] == process and job["parameters"] == {"multiplier": 2.0}
        result = mcp.wait(job["job_id"])["result"]
        assert result["success"], result
        out = tmp_path / f"{process}.mp4"
        out.write_bytes(mcp.download(result["gallery_items"][0]["gallery_id"]).content)
        stats = videogen.probe(out)
        assert (stats.width, stats.height, round(stats.fps), stats.frames) == (width, height, fps, frames)
