"""Project-wide test set-up.

Blender keeps user preferences, extensions and scripts under the user's home; tests point all of it at a
throw-away folder before ``bpy`` is first imported, so a test run never reads or changes the developer's
own Blender set-up (and two runs never see each other's state).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_USER_ROOT = tempfile.mkdtemp(prefix="movie_director_blender_user_")
atexit.register(shutil.rmtree, _USER_ROOT, ignore_errors=True)  # runs after bpy's own exit handlers
for _kind in ("CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES"):
    os.environ.setdefault(f"BLENDER_USER_{_kind}", str(Path(_USER_ROOT) / _kind.lower()))
# gradio_client and huggingface_hub would otherwise phone home from tests.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

pytest_plugins: list[str] = [
    "tests.fixtures.blender",
    "tests.fixtures.wavespeed_standin",
    "tests.fixtures.wan2gp_standin",
    "tests.fixtures.wan2gp_mcp_standin",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/blender runs inside Blender: mark it so CI can run it per Blender version."""
    blender_dir = Path(__file__).parent / "blender"
    for item in items:
        if blender_dir in Path(item.fspath).parents:
            item.add_marker(pytest.mark.blender)
