"""The stand-in's Gradio surface against the real WanGP 12.60 /config (tests/data/wan2gp)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.standin import wan2gp_driver as drv

pytestmark = pytest.mark.standin

ROOT = Path(__file__).resolve().parents[2]
REAL_ENDPOINTS = ROOT / "tests" / "data" / "wan2gp" / "real-endpoints.json"
SHARED_DEFAULTS = ROOT.parent / "shared" / "wan2gp" / "model-defaults.json"
BUNDLED_DEFAULTS = ROOT / "scripts" / "standins" / "wan2gp" / "data" / "model_defaults.json"
# The functions a client calls, by name.
CLIENT_API_NAMES = [
    "refresh_status_async",
    "abort_generation",
    "abort_generation_1",
    "init_generate",
    "process_prompt_and_add_tasks",
    "update_status",
    "process_prompt_and_add_tasks_1",
    "prepare_generate_media",
    "activate_status",
    "process_tasks",
    "finalize_generation",
    "unload_model_if_needed",
    "load_queue_action",
    "init_process_queue_if_any",
    "activate_status_1",
    "process_tasks_1",
    "finalize_generation_with_state",
    "unload_model_if_needed_1",
    "clear_queue_action",
    "refresh_status_async_1",
    "abort_generation_2",
    "abort_generation_3",
    "clear_queue_action_1",
]


# Output component ids and one trigger that the capture above does not list, read from the real /config by
# the same run (research note wgp-standin-fidelity.md, item 3): api_name -> output component ids.
REAL_OUTPUT_IDS = {
    "process_tasks_1": [773, 664, 666],  # preview trigger, output trigger, refresh-models trigger
    "process_tasks": [773, 664, 666],
    "clear_queue_action": [785],  # the queue HTML
    "abort_generation": [781, 785],
    "save_queue_action": [789],  # the zip download payload
    "lambda_51": [770, 783],  # current-task column ({"visible": false}), queue accordion ({"open": false})
}
REAL_REFRESH_GALLERY_TRIGGER = (664, "change")
REAL_HEADER = '<div align=center><H1>Wan<SUP style="color: #2563eb;">GP</SUP> v12.60 <FONT SIZE=4>by <I>'


def real_dependencies() -> list[dict]:
    return json.loads(REAL_ENDPOINTS.read_text())["client_relevant_dependencies"]


def get_config(url: str) -> dict:
    return httpx.get(url + "/config", timeout=30).json()


def test_client_dependencies_match_the_real_app_exactly(wan2gp_standin):
    config = get_config(wan2gp_standin.url)
    deps = {d["api_name"]: d for d in config["dependencies"]}
    components = {c["id"]: c for c in config["components"]}
    for real in real_dependencies():
        name = real["api_name"]
        ours = deps.get(name)
        assert ours is not None, f"missing /{name}"
        assert ours["id"] == real["fn_index"], name
        assert [tuple(t) for t in ours["targets"]] == [
            (t["component_id"], t["event"]) for t in real["triggers"]
        ], name
        for trigger in real["triggers"]:
            if trigger["component"] is not None:
                assert components[trigger["component_id"]]["type"] == trigger["component"], name
        assert ours["trigger_after"] == real["trigger_after"], name
        assert ours["trigger_mode"] == real["trigger_mode"], name
        assert ours["types"] == real["types"], name
        assert ours["collects_event_data"] == real["collects_event_data"], name
        assert ours["inputs"] == [i["component_id"] for i in real["inputs"]], name
        assert [components[i]["type"] for i in ours["inputs"]] == [i["component"] for i in real["inputs"]], (
            name
        )
        assert len(ours["outputs"]) == real["outputs"], name
    assert len(config["dependencies"]) == 647
    assert config["title"] == "WanGP"
    assert config["version"].startswith("5.29")


def test_output_ids_and_version_header_are_the_real_ones(wan2gp_standin):
    config = get_config(wan2gp_standin.url)
    deps = {d["api_name"]: d for d in config["dependencies"]}
    for name, outputs in REAL_OUTPUT_IDS.items():
        assert deps[name]["outputs"] == outputs, name
    assert [tuple(t) for t in deps["refresh_gallery"]["targets"]] == [REAL_REFRESH_GALLERY_TRIGGER]
    components = {c["id"]: c for c in config["components"]}
    assert [components[i]["type"] for i in deps["lambda_51"]["outputs"]] == ["column", "accordion"]
    header = next(c for c in config["components"] if c["id"] == 1)
    assert header["type"] == "markdown" and header["props"]["value"].startswith(REAL_HEADER)


def test_client_reads_the_wangp_version(wan2gp_standin):
    from blender_movie_director.backend.wan2gp.discovery import discover

    assert discover(get_config(wan2gp_standin.url)).wan2gp_version == "12.60"


def test_chains_follow_the_real_order_by_name(wan2gp_standin):
    config = get_config(wan2gp_standin.url)
    by_id = {d["id"]: d for d in config["dependencies"]}

    def chain_from(first: str) -> list[str]:
        dep = next(d for d in config["dependencies"] if d["api_name"] == first)
        names = [dep["api_name"]]
        while True:
            nxt = [d for d in config["dependencies"] if d.get("trigger_after") == dep["id"]]
            if not nxt:
                return names
            dep = nxt[0]
            names.append(dep["api_name"])

    assert chain_from("load_queue_action") == [
        "load_queue_action", "lambda_49", "init_process_queue_if_any", "activate_status_1", "process_tasks_1",
        "finalize_generation_with_state", "unload_model_if_needed_1",
    ]  # fmt: skip
    assert chain_from("validate_wizard_prompt_16") == [
        "validate_wizard_prompt_16", "save_inputs_16", "process_prompt_and_add_tasks_1",
        "prepare_generate_media",
        "activate_status", "process_tasks", "finalize_generation", "lambda_48", "unload_model_if_needed",
    ]  # fmt: skip
    assert chain_from("validate_wizard_prompt_15") == [
        "validate_wizard_prompt_15",
        "save_inputs_15",
        "process_prompt_and_add_tasks",
        "update_status",
    ]
    assert chain_from("clear_queue_action") == ["clear_queue_action", "lambda_51"]
    # Save Queue is registered just before Clear Queue in wgp.py (inferred position, not in the capture).
    save = chain_from("save_queue_action")
    assert len(save) == 3 and save[1].startswith("js_fn") and save[2] == "lambda_50"
    # init_generate's output is the hidden textbox whose change starts the Generate chain.
    init = next(d for d in config["dependencies"] if d["api_name"] == "init_generate")
    start = next(d for d in config["dependencies"] if d["api_name"] == "validate_wizard_prompt_16")
    assert start["targets"] == [[init["outputs"][0], "change"]]
    assert by_id[336]["api_name"] == "load_queue_action"


def test_api_info_parameters_of_the_queue_route(wan2gp_standin, tmp_path):
    client = drv.connect(wan2gp_standin.url, tmp_path)
    try:
        api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert [p["parameter_name"] for p in api["/load_queue_action"]["parameters"]] == ["filepath"]
        assert api["/load_queue_action"]["parameters"][0]["component"] == "Uploadbutton"
        assert [p["parameter_name"] for p in api["/abort_generation_1"]["parameters"]] == ["client_id"]
        assert api["/abort_generation"]["parameters"] == []
        for name in (
            "/process_tasks_1",
            "/init_process_queue_if_any",
            "/activate_status_1",
            "/clear_queue_action",
        ):
            assert api[name]["parameters"] == [], name
        assert len(api["/process_tasks_1"]["returns"]) == 3
        assert len(api["/finalize_generation_with_state"]["returns"]) == 6
        assert len(api["/refresh_status_async"]["returns"]) == 1
        for name in CLIENT_API_NAMES:
            assert "/" + name in api, name
    finally:
        client.close()


def test_bundled_model_catalog_is_the_shared_one():
    if not SHARED_DEFAULTS.exists():
        pytest.skip("shared/wan2gp/model-defaults.json not available")
    bundled = json.loads(BUNDLED_DEFAULTS.read_text())
    assert bundled == json.loads(SHARED_DEFAULTS.read_text())
    assert len(bundled["models"]) == 217


@pytest.mark.slow
def test_shifted_registration_renames_the_endpoints(start_wan2gp_standin, tmp_path):
    standin = start_wan2gp_standin(shift_endpoints=1, compact=True)
    config = get_config(standin.url)
    names = {d["api_name"] for d in config["dependencies"]}
    for name in (
        "load_queue_action_1",
        "process_tasks_2",
        "activate_status_2",
        "finalize_generation_with_state_1",
        "abort_generation_2",
        "refresh_status_async_1",
        "clear_queue_action_1",
    ):
        assert name in names, name
    load = next(d for d in config["dependencies"] if d["api_name"] == "load_queue_action_1")
    assert [t[1] for t in load["targets"]] == ["upload", "load", "change"]
    # The old name now belongs to a plugin-like event that ignores the upload.
    client = drv.connect(standin.url, tmp_path)
    try:
        task = drv.write_json(tmp_path / "t.json", {"model_type": "t2v_1.3B", "prompt": "renamed"})
        with pytest.raises(KeyError):
            drv.upload_trigger_id(client, "/load_queue_action")
        _, logs = drv.load_queue(client, task, api_name="/load_queue_action_1")
        assert ("Loaded 1 task(s)", "info") in logs
    finally:
        client.close()


@pytest.mark.slow
def test_compact_mode_keeps_every_client_api_name(start_wan2gp_standin):
    standin = start_wan2gp_standin(compact=True)
    config = get_config(standin.url)
    names = [d["api_name"] for d in config["dependencies"]]
    for name in CLIENT_API_NAMES:
        assert name in names, name
    assert len(config["dependencies"]) < 647
