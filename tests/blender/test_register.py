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
#: The job engine and what only a button or panel needs: loaded on first use, not by enabling.
ON_FIRST_USE = tuple(
    f"blender_movie_director.{name}"
    for name in (
        "session.drain",
        "session.engine",
        "session.strip_jobs",
        "backend.jobs.events",
        "scene.shots",
        "session.submit",
        "scene.takes",
        "requests.strip",
        "requests.layout",
        "requests.shot",
        "requests.envelope",
        "session.shot_jobs",
        "scene.fixes",
    )
)


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
        def executed_modules():
            return [m for m in {ON_FIRST_USE!r}
                    if m in sys.modules and type(sys.modules[m]).__name__ != "_LazyModule"]
        executed = executed_modules()
        from blender_movie_director.scene import shots
        from blender_movie_director.blender import ticker
        started = ticker.started()
        addon_utils.disable("blender_movie_director", default_set=True, handle_error=None)
        executed += executed_modules()  # disabling must not load them either
        addon_utils.enable("blender_movie_director", default_set=True, handle_error=None)
        shots.offline_reason()  # first use of a lazily loaded module runs it
        print(json.dumps({{"enabled": module is not None, "seconds": elapsed,
                          "heavy": [m for m in {HEAVY!r} if m in sys.modules],
                          "executed": executed, "ticker_started": started,
                          "shots_loaded": "OFFLINE_HINT" in vars(shots)}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["enabled"]
    assert report["heavy"] == []
    assert report["executed"] == [] and not report["ticker_started"]
    assert report["shots_loaded"]


def test_preferences_are_readable_and_writable(blender: ModuleType) -> None:
    prefs = blender.context.preferences.addons["blender_movie_director"].preferences
    assert type(prefs).bl_idname == "blender_movie_director"
    assert prefs.output_folder == "//movie_director/"
    assert (prefs.wan2gp_concurrency, prefs.wavespeed_concurrency) == (1, 8)
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
