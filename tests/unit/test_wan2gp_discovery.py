"""Endpoint discovery against the surface captured from the real WanGP 12.60 server.

``tests/data/wan2gp/real-endpoints.json`` holds the client-relevant dependencies of the real app's ``/config``
(647 dependencies in all, with a hidden Edit tab holding second copies of the same functions). It is rebuilt
here into the ``/config`` shape Gradio serves, so the discovery code reads exactly what it reads live.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from blender_movie_director.backend.errors import UnsupportedServerError
from blender_movie_director.backend.wan2gp.discovery import discover, wan2gp_version

REAL = Path(__file__).resolve().parents[1] / "data" / "wan2gp" / "real-endpoints.json"


def real_config() -> dict:
    """The real app's ``/config``, restricted to the listeners a client needs.

    Two facts come from ``wgp-real-endpoints.md`` section 2 rather than the JSON: the load chain's
    ``lambda_49`` (#337, between load_queue_action and init_process_queue_if_any) and the component both
    ``activate_status`` listeners write (status trigger textbox #645; wgp.py ``outputs=[status_trigger]``).
    Output ids the JSON only counts get fresh synthetic ids.
    """
    data = json.loads(REAL.read_text())
    components: dict[int, dict] = {}
    deps = []
    synthetic = iter(range(100_000, 200_000))

    def component(cid, ctype, label=None):
        if cid is not None and cid not in components:
            components[cid] = {"id": cid, "type": ctype or "html", "props": {"label": label}}

    for dep in data["client_relevant_dependencies"]:
        targets = []
        for trig in dep["triggers"]:
            if trig["event"] == "then":
                continue
            component(trig["component_id"], trig["component"] or "blocks", trig["label"])
            targets.append([trig["component_id"], trig["event"]])
        for inp in dep["inputs"]:
            component(inp["component_id"], inp["component"], inp["label"])
        if dep["api_name"].startswith("activate_status"):
            outputs = [645]
        else:
            outputs = [next(synthetic) for _ in range(dep["outputs"])]
        for out in outputs:
            component(out, "textbox" if out == 645 else "html")
        deps.append(
            {
                "id": dep["fn_index"],
                "api_name": dep["api_name"],
                "targets": targets,
                "inputs": [i["component_id"] for i in dep["inputs"]],
                "outputs": outputs,
                "trigger_after": dep["trigger_after"],
                "trigger_mode": dep["trigger_mode"],
                "types": dep["types"],
                "collects_event_data": dep["collects_event_data"],
                "show_api": True,
            }
        )
    deps.append(
        {"id": 337, "api_name": "lambda_49", "targets": [], "inputs": [], "outputs": [], "trigger_after": 336,
         "types": {"generator": False, "cancel": False}, "collects_event_data": False, "show_api": True}
    )  # fmt: skip
    components[1] = {
        "id": 1,
        "type": "markdown",
        "props": {
            "value": '<div align=center><H1>Wan<SUP style="color: #2563eb;">GP</SUP> v12.60 <FONT SIZE=4>'
        },
    }
    deps.sort(key=lambda d: d["id"])
    return {
        "version": "5.29.0",
        "title": "WanGP",
        "components": list(components.values()),
        "dependencies": deps,
    }


def test_finds_the_real_load_chain_and_upload_button():
    ep = discover(real_config())
    assert ep.upload_trigger_id == 791
    assert (ep.load_queue.fn_index, ep.load_queue.api_name) == (336, "load_queue_action")
    assert (ep.init_queue.fn_index, ep.init_queue.api_name) == (338, "init_process_queue_if_any")
    assert (ep.activate_status.fn_index, ep.activate_status.api_name) == (339, "activate_status_1")
    assert (ep.process_tasks.fn_index, ep.process_tasks.api_name) == (340, "process_tasks_1")
    assert (ep.finalize.fn_index, ep.finalize.api_name) == (341, "finalize_generation_with_state")
    assert ep.unload is not None and ep.unload.api_name == "unload_model_if_needed_1"


def test_picks_the_main_tab_copies_not_the_edit_tab():
    ep = discover(real_config())
    assert (ep.refresh_status.fn_index, ep.refresh_status.api_name) == (93, "refresh_status_async")
    assert (ep.abort.fn_index, ep.abort.api_name) == (113, "abort_generation")
    assert (ep.abort_by_client_id.fn_index, ep.abort_by_client_id.api_name) == (114, "abort_generation_1")
    assert (ep.clear_queue.fn_index, ep.clear_queue.api_name) == (354, "clear_queue_action")
    assert ep.warnings == ()


def test_reads_versions_and_fingerprint_is_stable():
    cfg = real_config()
    ep = discover(cfg)
    assert ep.gradio_version == "5.29.0"
    assert ep.wan2gp_version == "12.60"
    assert discover(copy.deepcopy(cfg)).fingerprint == ep.fingerprint
    assert len(ep.fingerprint) == 16


def test_renamed_endpoints_are_found_by_function_and_wiring():
    """A release that registers listeners in another order shifts every suffix; discovery must not care."""
    cfg = real_config()
    renames = {
        "load_queue_action": "load_queue_action_3",
        "process_tasks_1": "process_tasks_7",
        "activate_status_1": "activate_status_4",
        "process_tasks": "process_tasks_1",
        "refresh_status_async": "refresh_status_async_2",
        "abort_generation": "abort_generation_5",
        "clear_queue_action": "clear_queue_action_9",
    }
    for dep in cfg["dependencies"]:
        dep["api_name"] = renames.get(dep["api_name"], dep["api_name"])
    ep = discover(cfg)
    assert ep.process_tasks.api_name == "process_tasks_7" and ep.process_tasks.fn_index == 340
    assert ep.activate_status.api_name == "activate_status_4"
    assert ep.load_queue.api_name == "load_queue_action_3"
    assert ep.refresh_status.api_name == "refresh_status_async_2"
    assert ep.abort.api_name == "abort_generation_5"
    assert ep.fingerprint != discover(real_config()).fingerprint


def test_missing_upload_button_is_one_clear_unsupported_error():
    cfg = real_config()
    for dep in cfg["dependencies"]:
        if dep["api_name"] == "load_queue_action":
            dep["targets"] = [t for t in dep["targets"] if t[1] != "upload"]
    with pytest.raises(UnsupportedServerError) as info:
        discover(cfg)
    message = str(info.value)
    assert message.startswith("This Wan2GP version is not supported:")
    assert "upload button" in message and "WanGP 12.60" in message and "gradio 5.29.0" in message


def test_every_gap_is_listed_in_the_same_error():
    cfg = real_config()
    cfg["dependencies"] = [
        d for d in cfg["dependencies"] if not d["api_name"].startswith(("finalize_generation", "clear_queue"))
    ]
    with pytest.raises(UnsupportedServerError) as info:
        discover(cfg)
    message = str(info.value)
    assert "finalize_generation_with_state" in message and "clear_queue_action" in message


def test_changed_signature_is_drift():
    cfg = real_config()
    for dep in cfg["dependencies"]:
        if dep["api_name"] == "process_tasks_1":
            dep["inputs"] = [*dep["inputs"], 647]  # now also takes a textbox
    with pytest.raises(UnsupportedServerError, match="process_tasks_1 now takes inputs"):
        discover(cfg)


def test_unsupported_gradio_major_and_empty_app():
    cfg = real_config()
    cfg["version"] = "3.50.2"
    with pytest.raises(UnsupportedServerError, match=r"gradio 3\.50\.2"):
        discover(cfg)
    with pytest.raises(UnsupportedServerError, match="no Gradio events"):
        discover({"version": "5.29.0", "components": [], "dependencies": []})


def test_missing_status_stream_is_only_a_warning():
    cfg = real_config()
    cfg["dependencies"] = [d for d in cfg["dependencies"] if not d["api_name"].startswith("refresh_status")]
    ep = discover(cfg)
    assert ep.refresh_status is None
    assert any("progress" in w for w in ep.warnings)


def test_gradio6_private_listener_is_not_used():
    cfg = real_config()
    for dep in cfg["dependencies"]:
        dep.pop("show_api", None)
        dep["api_visibility"] = "private" if dep["api_name"] == "abort_generation" else "public"
    ep = discover(cfg)
    assert ep.abort.api_name == "abort_generation_2"  # the only other plain abort left


def test_layout_tab_decides_between_copies():
    """With layout information, the listener in the upload button's tab wins even if registered later."""
    cfg = real_config()
    cfg["components"] += [
        {"id": 5000, "type": "tabitem", "props": {}},
        {"id": 5001, "type": "tabitem", "props": {}},
    ]
    cfg["layout"] = {
        "id": 0,
        "children": [
            {"id": 5000, "children": [{"id": 1709}, {"id": 1720}]},  # Edit-tab buttons, placed first
            {"id": 5001, "children": [{"id": 791}, {"id": 781}, {"id": 792}]},
        ],
    }
    ep = discover(cfg)
    assert ep.abort.fn_index == 113 and ep.clear_queue.fn_index == 354
    cfg["layout"]["children"][0]["children"] = [{"id": 1709}, {"id": 1720}, {"id": 791}]
    cfg["layout"]["children"][1]["children"] = [{"id": 781}, {"id": 792}]
    ep = discover(cfg)
    assert ep.abort.fn_index == 467 and ep.clear_queue.fn_index == 547


def test_wan2gp_version_absent():
    assert wan2gp_version({"components": [{"id": 1, "props": {"value": "Hello"}}]}) is None
