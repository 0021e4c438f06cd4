"""Issue 16 in real Blender: the N-panel over WanGP's MCP server (the MCP stand-in in its own process).

A shot lists the server's LoRAs, generates with one (the server's gallery keeps the settings it received),
is finished (upscale) from the strip menu's operator into a new take, and a second generation is
cancelled; the model picker groups the models by what they take and marks what the server has; a model or
LoRA the server lacks is refused before submit; over the web UI route Finish is grey, saying why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.fixtures.blender import activate_shot, add_shot, addon_prefs, drain_until, grey_because

pytestmark = [pytest.mark.blender, pytest.mark.standin]

LORA = "standin_film_grain.safetensors"  # the MCP stand-in lists it for t2v_1.3B (its default knobs)


@pytest.fixture
def mcp_ready(blender: ModuleType, wan2gp_mcp_standin: Any, tmp_path: Path) -> Any:
    from blender_movie_director.session import wan2gp_offer

    prefs = addon_prefs(blender)
    prefs.wan2gp_url = wan2gp_mcp_standin.url
    prefs.wan2gp_transport = "MCP"
    prefs.output_folder = str(tmp_path / "out")
    scene = blender.context.scene
    scene.render.fps, scene.render.fps_base = 16, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, 17
    wan2gp_offer.clear()
    yield wan2gp_mcp_standin
    wan2gp_offer.join()
    wan2gp_offer.clear()


def _refresh(bpy: ModuleType) -> Any:
    """The panel's Refresh from Server, then the drain until the answer is in the cache."""
    from blender_movie_director.scene.config import get_preferences
    from blender_movie_director.session import wan2gp_offer

    assert bpy.ops.moviedir.wan2gp_refresh() == {"FINISHED"}
    drain_until(lambda: not wan2gp_offer.running(), timeout=30)
    offer = wan2gp_offer.current(get_preferences())
    assert offer is not None and offer.state == "done", offer
    return offer


def _gallery(url: str) -> list[dict[str, Any]]:
    """The server's own record of what it made and the settings it received (``wangp_list_gallery``)."""
    import httpx

    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "wangp_list_gallery", "arguments": {"limit": 50}}}  # fmt: skip
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    answer = httpx.post(url + "/", json=body, headers=headers, timeout=10).json()
    return answer["result"]["structuredContent"]["result"]


def test_shot_lists_loras_generates_finishes_and_cancels_over_mcp(
    blender: ModuleType, mcp_ready: Any
) -> None:
    from blender_movie_director.backend.media import probe_video
    from blender_movie_director.blender import compat
    from blender_movie_director.scene.config import get_preferences
    from blender_movie_director.session import wan2gp_offer
    from blender_movie_director.ui import strip_ops

    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a red ball bouncing")
    activate_shot(blender, cam)
    settings = cam.movie_director
    # The LoRA picker is grey until the server was asked; then it offers what the server listed.
    assert grey_because(blender.ops.moviedir.lora_choose).startswith("Refresh from Server first")
    offer = _refresh(blender)
    assert offer.transport == "mcp"
    assert LORA in offer.loras["t2v_1.3B"]
    op = blender.ops.moviedir.lora_choose
    assert op(lora=LORA, model_type="t2v_1.3B", listed="\n".join(offer.loras["t2v_1.3B"])) == {"FINISHED"}
    settings.loras[0].multiplier = 0.8
    # Generate from the panel's button: the LoRA reaches the server as WanGP's settings keys.
    assert blender.ops.moviedir.generate_shot(quality="PREVIEW") == {"FINISHED"}
    drain_until(lambda: settings.status in ("DONE", "FAILED", "CANCELLED"), timeout=60)
    assert settings.status == "DONE", settings.last_error
    made = [item for item in _gallery(mcp_ready.url) if item.get("settings", {}).get("prompt")]
    received = made[-1]["settings"]
    assert received["activated_loras"] == [LORA] and received["loras_multipliers"] == "0.8"
    first = probe_video(settings.takes[0].filepath)
    # Finish: upscale the strip's clip x2 on the server; the result is the shot's new, current take.
    strip_name = settings.strip_name
    editor = compat.sequence_editor(scene)
    editor.active_strip = compat.all_strips(editor)[strip_name]  # the strip menu acts on the active strip
    # The Finish dialog offers what the server said it can do to a video clip (asked in a worker).
    assert wan2gp_offer.refresh_finish(get_preferences(), settings.takes[0].filepath)
    drain_until(lambda: not wan2gp_offer.running(), timeout=30)
    assert "lanczos" in [item[0] for item in strip_ops._process_items(None, blender.context)]
    multipliers = strip_ops._multiplier_items(SimpleNamespace(choice="lanczos"), blender.context)
    assert [item[0] for item in multipliers][:3] == ["1", "1.5", "2"]
    finish = blender.ops.moviedir.strip_finish
    with pytest.raises(RuntimeError, match=re.escape("'multiplier' of 'lanczos' must be one of: 1, 1.5, 2")):
        finish(strip=strip_name, process="lanczos", parameters='{"multiplier": 9.0}')  # refused, nothing sent
    assert finish(strip=strip_name, choice="lanczos", multiplier="2") == {
        "FINISHED"
    }  # as the dialog sends it
    drain_until(lambda: len(settings.takes) == 2 or _failed_strip_job(), timeout=60)
    assert not _failed_strip_job(), _failed_strip_job()
    take = settings.takes[1]
    assert take.made_by == "finish" and settings.active_take_index == 1
    finished = probe_video(take.filepath)
    assert (finished.width, finished.height) == (first.width * 2, first.height * 2)
    strip = compat.all_strips(compat.sequence_editor(scene))[settings.strip_name]
    assert Path(blender.path.abspath(strip.filepath)).resolve() == Path(take.filepath).resolve()
    # Cancel: the panel's Cancel ends a running generation on the server.
    assert blender.ops.moviedir.generate_shot(quality="PREVIEW") == {"FINISHED"}
    assert blender.ops.moviedir.cancel_shot() == {"FINISHED"}
    drain_until(lambda: settings.status in ("DONE", "FAILED", "CANCELLED"), timeout=60)
    assert settings.status == "CANCELLED", settings.last_error
    assert len(settings.takes) == 2


def _failed_strip_job() -> str:
    from blender_movie_director.session import strip_jobs

    return "; ".join(j.error for j in strip_jobs.jobs() if j.state == "failed")


def test_picker_groups_models_and_marks_what_the_server_has(blender: ModuleType, mcp_ready: Any) -> None:
    from blender_movie_director.scene import catalogs
    from blender_movie_director.ui import shot_ops

    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a quiet harbour")
    activate_shot(blender, cam)
    unasked = {item[0]: item for item in shot_ops._wan2gp_items(blender.context)}
    assert unasked["t2v_1.3B"][3] == "BLANK1" and "availability not known" in unasked["t2v_1.3B"][2]
    offer = _refresh(blender)
    import movie_director as md  # the console API asks the same server the same question

    assert {m.model_type for m in md.list_models(available_only=True)} == set(offer.available_models())
    assert [lora.name for lora in md.list_loras("t2v_1.3B")] == list(offer.loras["t2v_1.3B"])
    items = shot_ops._wan2gp_items(blender.context)
    by_id = {item[0]: item for item in items}
    # Grouped by what the model takes, in the catalog's group order.
    groups = [label for _key, label, _tasks in catalogs.WAN2GP_INPUT_GROUPS] + ["Other"]
    order = [groups.index(item[1].split(": ", 1)[0]) for item in items]
    assert order == sorted(order)
    assert by_id["t2v_1.3B"][1].startswith("Text: ") and by_id["i2v"][1].startswith("Start image: ")
    assert by_id["vace_1.3B"][1].startswith("Control video: ")
    # Marked with what the server said: the stand-in has weights for t2v_1.3B, not for t2v_2_2.
    assert offer.available("t2v_1.3B") is True and by_id["t2v_1.3B"][3] == "CHECKMARK"
    assert offer.available("t2v_2_2") is False and by_id["t2v_2_2"][3] == "CANCEL"
    assert "not on this server" in by_id["t2v_2_2"][2]
    # A model the server lacks is said on the shot before submit, with the models it has.
    cam.movie_director.wan2gp_model = "t2v_2_2"
    labels = _panel_labels(blender)
    assert "Model not on this server" in labels
    assert any(line.startswith("'Wan2.2 Text2video 14B' (t2v_2_2) has no") for line in labels), labels
    with pytest.raises(RuntimeError, match=re.escape("has no weights on this Wan2GP server. It has: ")):
        blender.ops.moviedir.generate_shot(quality="PREVIEW")
    assert cam.movie_director.status == "IDLE"
    # A LoRA it does not list is refused too.
    cam.movie_director.wan2gp_model = "t2v_1.3B"
    blender.ops.moviedir.lora_add(name="nowhere.safetensors")
    with pytest.raises(RuntimeError, match=re.escape("'nowhere.safetensors' is not on the Wan2GP server")):
        blender.ops.moviedir.generate_shot(quality="PREVIEW")
    assert "Model on this server" in _panel_labels(blender)


def _panel_labels(bpy: ModuleType) -> list[str]:
    """The shot panel drawn into a recording layout (strict: real UILayout methods, icons, properties)."""
    from blender_movie_director.ui import shot_panels, wan2gp_ops
    from tests.blender.recording_layout import RecordingLayout

    layout = RecordingLayout(bpy)
    shot_panels.draw_shot(layout, bpy.context)
    lists = [c.args[0] for c in layout.find("template_list")]
    assert wan2gp_ops.MOVIEDIR_UL_loras.bl_idname in lists
    ops = {idname for idname, _text, _props in layout.operators()}
    assert {
        "moviedir.lora_choose",
        "moviedir.lora_add",
        "moviedir.lora_remove",
        "moviedir.wan2gp_refresh",
    } <= ops
    return layout.labels()


def test_finish_is_grey_over_the_web_ui_route(blender: ModuleType, mcp_ready: Any, clip_factory) -> None:
    from blender_movie_director.blender import compat

    scene = blender.context.scene
    editor = compat.sequence_editor(scene)
    strip = compat.top_level_strips(editor).new_movie(
        name="clip", filepath=str(clip_factory(16, 17)), channel=1, frame_start=1
    )
    editor.active_strip = strip
    assert blender.ops.moviedir.strip_finish.poll()
    addon_prefs(blender).wan2gp_transport = "WEB_UI"
    reason = grey_because(blender.ops.moviedir.strip_finish)
    assert reason.startswith("Finish needs WanGP's MCP server (wgp.py --mcp)") and "Web UI" in reason


def test_shot_loras_become_wangp_settings(blender: ModuleType, tmp_path: Path) -> None:
    """The shot's LoRA rows are the request's activated_loras + loras_multipliers, in order, both routes."""
    from blender_movie_director.requests import shot as shot_requests

    addon_prefs(blender).output_folder = str(tmp_path / "out")
    cam = add_shot(blender, blender.context.scene, "Shot_010", 1, prompt="rain on a window")
    activate_shot(blender, cam)
    for name, weight in (("a.safetensors", 1.0), ("", 0.5), ("b.safetensors", 0.75)):
        assert blender.ops.moviedir.lora_add(name=name, multiplier=weight) == {"FINISHED"}
    assert blender.ops.moviedir.lora_remove(index=1) == {"FINISHED"}  # the unnamed row
    for transport in ("WEB_UI", "MCP"):
        addon_prefs(blender).wan2gp_transport = transport
        request, _ = shot_requests.build_request(cam, "PREVIEW")
        assert request.transport == transport.lower()
        assert request.settings["activated_loras"] == ["a.safetensors", "b.safetensors"]
        assert request.settings["loras_multipliers"] == "1 0.75"
        assert json.loads(json.dumps(request.to_dict()))["transport"] == transport.lower()
