"""Enable, use and disable the extension in the real Blender Python module."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from .registration_state import registered_timers, snapshot

pytestmark = pytest.mark.blender
ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("gradio_client", "pydantic", "httpx", "huggingface_hub", "pydantic_core")


def test_enable_imports_nothing_heavy() -> None:
    # A fresh interpreter: other tests in this process have imported the backends on purpose.
    script = textwrap.dedent(
        f"""
        import json, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        import bpy, addon_utils
        start = time.perf_counter()
        module = addon_utils.enable("blender_movie_director", default_set=True, handle_error=None)
        elapsed = time.perf_counter() - start
        print(json.dumps({{"enabled": module is not None, "seconds": elapsed,
                          "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["enabled"]
    assert report["heavy"] == []


def test_preferences_are_readable_and_writable(blender: ModuleType) -> None:
    prefs = blender.context.preferences.addons["blender_movie_director"].preferences
    assert type(prefs).bl_idname == "blender_movie_director"
    assert prefs.output_folder == "//movie_director/"
    assert (prefs.wan2gp_concurrency, prefs.wavespeed_concurrency) == (1, 2)
    prefs.wan2gp_url = "http://gpu-box:7860"
    prefs.wavespeed_api_key = "ws-secret"
    assert prefs.effective_wan2gp_url() == "http://gpu-box:7860"
    assert prefs.effective_wavespeed_api_key() == "ws-secret"
    assert prefs.bl_rna.properties["wavespeed_api_key"].subtype == "PASSWORD"
    assert prefs.bl_rna.properties["wan2gp_password"].subtype == "PASSWORD"


def test_preferences_fall_back_to_environment(blender: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    prefs = blender.context.preferences.addons["blender_movie_director"].preferences
    monkeypatch.setenv("WAN2GP_URL", "http://env-host:7861")
    monkeypatch.setenv("WAVESPEED_API_KEY", "env-key")
    monkeypatch.setenv("WAVESPEED_BASE_URL", "http://127.0.0.1:9999")
    assert prefs.effective_wan2gp_url() == "http://env-host:7861"
    assert prefs.effective_wavespeed_api_key() == "env-key"
    assert prefs.effective_wavespeed_base_url() == "http://127.0.0.1:9999"
    monkeypatch.delenv("WAN2GP_URL")
    assert prefs.effective_wan2gp_url() == "http://localhost:7860"


def test_unregister_leaves_nothing_behind(bpy_module: ModuleType) -> None:
    import addon_utils

    bpy = bpy_module
    bpy.ops.wm.read_factory_settings(use_empty=True)
    before = snapshot(bpy)
    module = addon_utils.enable("blender_movie_director", default_set=True, handle_error=None)
    during = snapshot(bpy)
    assert "MOVIEDIR_AddonPreferences" in during["classes"]
    addon_utils.disable("blender_movie_director", default_set=True, handle_error=None)
    assert snapshot(bpy) == before
    assert registered_timers(bpy, module) == set()
    assert "blender_movie_director" not in bpy.context.preferences.addons


def test_enable_disable_cycles(bpy_module: ModuleType) -> None:
    import addon_utils

    bpy = bpy_module
    bpy.ops.wm.read_factory_settings(use_empty=True)
    for _ in range(3):
        assert addon_utils.enable("blender_movie_director", default_set=True, handle_error=None) is not None
        addon_utils.disable("blender_movie_director", default_set=True, handle_error=None)
    assert not hasattr(bpy.types, "MOVIEDIR_AddonPreferences")
