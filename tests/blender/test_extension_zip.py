"""The linux-x64 extension zip, built by scripts/build_extension.py, installs and runs in real Blender.

The check runs in a Python that sees only ``bpy`` and the packages Blender itself bundles, as inside a
Blender download: gradio_client, httpx and pydantic must come from the zip's own wheels.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.blender, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import build_extension  # noqa: E402

# Import names of the distributions in build_extension.BLENDER_BUNDLED, plus bpy itself.
BLENDER_PYTHON_PACKAGES = (
    "bpy",
    "numpy",
    "numpy.libs",
    "requests",
    "certifi",
    "urllib3",
    "idna",
    "charset_normalizer",
    "zstandard",
)


@pytest.fixture(scope="session")
def linux_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_extension.py"),
            "--platform",
            "linux-x64",
            "--output-dir",
            str(out),
        ],
        check=True,
        timeout=600,
    )
    (archive,) = out.glob("movie_director-*-linux_x64.zip")
    return archive


def blender_like_site(tmp_path: Path) -> Path:
    """A folder holding only bpy and what Blender bundles, linked from this venv."""
    site = tmp_path / "blender_site"
    site.mkdir()
    site_packages = Path(importlib.util.find_spec("bpy").submodule_search_locations[0]).parent
    for name in BLENDER_PYTHON_PACKAGES:
        if (site_packages / name).exists():
            (site / name).symlink_to(site_packages / name)
    return site


def test_zip_layout(linux_zip: Path) -> None:
    with zipfile.ZipFile(linux_zip) as zf:
        names = zf.namelist()
        manifest = zf.read("blender_manifest.toml").decode()
    assert "__init__.py" in names and "backend/base.py" in names
    wheels = [n for n in names if n.endswith(".whl")]
    distributions = {build_extension.wheel_distribution(Path(w).name) for w in wheels}
    assert {"gradio-client", "httpx", "pydantic", "pydantic-core"} <= distributions
    assert not distributions & build_extension.BLENDER_BUNDLED
    assert all("linux" in w or "none-any" in w for w in wheels)
    assert 'platforms = [\n  "linux-x64",' in manifest
    assert not any("/tests/" in n or "__pycache__" in n for n in names)


def test_installed_zip_enables_with_bundled_wheels(linux_zip: Path, tmp_path: Path) -> None:
    repo_dir = tmp_path / "repo"
    repo_dir.mkdir()
    blender_ext = build_extension.find_blender_ext(None)
    installed = subprocess.run(
        [sys.executable, str(blender_ext), "install-files", "--local-dir", str(repo_dir), str(linux_zip)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    script = (
        textwrap.dedent(
            """
        import json, sys
        sys.path.append(SITE)
        import bpy, addon_utils
        module_name = "bl_ext.test_repo.movie_director"
        bpy.context.preferences.extensions.repos.new(
            name="test_repo", module="test_repo", custom_directory=REPO, source="USER")
        addon_utils.extensions_refresh(ensure_wheels=True, addon_modules_pending=[module_name])
        module = addon_utils.enable(module_name, default_set=True, handle_error=None)
        heavy_after_enable = [m for m in ("gradio_client", "httpx", "pydantic") if m in sys.modules]
        prefs = bpy.context.preferences.addons[module_name].preferences
        prefs.wan2gp_url = "http://127.0.0.1:7999"
        import gradio_client, httpx, pydantic, pydantic_core
        from gradio_client import Client
        print(json.dumps({
            "module": module.__name__ if module else None,
            "heavy_after_enable": heavy_after_enable,
            "url": prefs.effective_wan2gp_url(),
            "paths": {m.__name__: m.__file__ for m in (gradio_client, httpx, pydantic, pydantic_core)},
        }))
        """
        )
        .replace("SITE", repr(str(blender_like_site(tmp_path))))
        .replace("REPO", repr(str(repo_dir)))
    )
    env = {**os.environ, "BLENDER_USER_EXTENSIONS": str(tmp_path / "user_extensions")}
    out = subprocess.run(
        [sys.executable, "-S", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["module"] == "bl_ext.test_repo.movie_director"
    assert report["heavy_after_enable"] == []
    assert report["url"] == "http://127.0.0.1:7999"
    wheel_site = str(tmp_path / "user_extensions" / ".local")
    for name, path in report["paths"].items():
        assert path.startswith(wheel_site), f"{name} was imported from {path}, not from the zip's wheels"
