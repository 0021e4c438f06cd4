"""The linux-x64 extension zip, built by scripts/build_extension.py, installs and runs in real Blender.

The check runs in a Python that sees only ``bpy`` and the packages Blender itself bundles, as inside a
Blender download: gradio_client, httpx and pydantic must come from the zip's own wheels. There the installed
extension generates one shot on each backend against the stand-ins, and every module imported is recorded
(``sys.modules`` before enabling and after both clips are in the Sequencer): no module of a wheel the build
leaves out (``build_extension.NOT_BUNDLED``) may be imported, and every wheel the zip bundles must be.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.blender, pytest.mark.slow, pytest.mark.standin]
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
WHEEL_CACHE = ROOT / "build" / "wheels"
MAX_ZIP_BYTES = 5_000_000  # issue 16's target for every platform's zip


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
            "--wheel-cache",
            str(WHEEL_CACHE),
            "--cached-wheels",
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


def top_level_names(wheel: Path) -> set[str]:
    """The import names a wheel installs (its top-level packages and modules)."""
    with zipfile.ZipFile(wheel) as zf:
        heads = {name.split("/", 1)[0] for name in zf.namelist()}
    return {
        head.removesuffix(".py").split(".", 1)[0]
        for head in heads
        if not head.endswith((".dist-info", ".data")) and (head.endswith(".py") or "." not in head)
    }


def dropped_import_names() -> dict[str, str]:
    """Import name -> the NOT_BUNDLED distribution it belongs to (from the wheels the build downloaded)."""
    names: dict[str, str] = {}
    for wheel in (WHEEL_CACHE / "linux-x64").glob("*.whl"):
        distribution = build_extension.wheel_distribution(wheel.name)
        if distribution in build_extension.NOT_BUNDLED:
            names.update(dict.fromkeys(top_level_names(wheel), distribution))
    assert set(names.values()) == set(build_extension.NOT_BUNDLED), "the wheel cache lacks a dropped wheel"
    return names


def test_zip_layout(linux_zip: Path) -> None:
    with zipfile.ZipFile(linux_zip) as zf:
        names = zf.namelist()
        manifest = zf.read("blender_manifest.toml").decode()
    assert "__init__.py" in names and "backend/base.py" in names
    wheels = [n for n in names if n.endswith(".whl")]
    distributions = {build_extension.wheel_distribution(Path(w).name) for w in wheels}
    assert {"gradio-client", "httpx", "pydantic", "pydantic-core"} <= distributions
    assert not distributions & build_extension.BLENDER_BUNDLED
    assert not distributions & set(build_extension.NOT_BUNDLED)
    assert all("linux" in w or "none-any" in w for w in wheels)
    assert 'platforms = [\n  "linux-x64",' in manifest
    assert not any("/tests/" in n or "__pycache__" in n for n in names)
    assert linux_zip.stat().st_size <= MAX_ZIP_BYTES


# Runs with ``python -S``: only the standard library, the Blender-like site and the zip's wheels.
BLENDER_SCRIPT = """
import importlib, json, runpy, sys
V = json.loads(sys.argv[1])
sys.path.append(V["site"])
import bpy, addon_utils
bpy.context.preferences.system.use_online_access = True
before = set(sys.modules)
# Blender's own installer (the extension CLI), in this process to save an interpreter start.
installed = runpy.run_path(V["blender_ext"])["main"](["install-files", "--local-dir", V["repo"], V["zip"]])
assert installed == 0, "blender_ext.py install-files failed"
module_name = "bl_ext.test_repo.movie_director"
bpy.context.preferences.extensions.repos.new(
    name="test_repo", module="test_repo", custom_directory=V["repo"], source="USER")
addon_utils.extensions_refresh(ensure_wheels=True, addon_modules_pending=[module_name])
module = addon_utils.enable(module_name, default_set=True, handle_error=None)
heavy_after_enable = [m for m in ("gradio_client", "httpx", "pydantic") if m in sys.modules]
prefs = bpy.context.preferences.addons[module_name].preferences
prefs.output_folder = V["out"]
prefs.wan2gp_concurrency = 2  # the web UI and the MCP shot each on its own server, at once
prefs.wavespeed_api_key, prefs.wavespeed_base_url = V["wavespeed_key"], V["wavespeed_url"]
md = importlib.import_module(module_name + ".api")
scene = bpy.context.scene
scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
scene.frame_start, scene.frame_end = 1, 48
jobs = []
shots = (("Shot_010", 1, "WAN2GP", V["wan2gp_url"]), ("Shot_020", 17, "WAVESPEED", ""),
         ("Shot_030", 33, "WAN2GP", V["wan2gp_mcp_url"]))
for name, frame, backend, server in shots:
    if server:  # a request takes the server of the moment: one shot over the web UI, one over MCP
        prefs.wan2gp_url = server
    camera = bpy.data.objects.new(name, bpy.data.cameras.new(name))
    scene.collection.objects.link(camera)
    scene.timeline_markers.new(name, frame=frame).camera = camera
    camera.movie_director.prompt = "a lighthouse at dusk"
    camera.movie_director.backend = backend
    if name == "Shot_010":  # a 4-step Lightning model: the web UI stand-in's job costs 4 steps, not 12
        camera.movie_director.wan2gp_model = "t2v_sf"
    jobs.append(md.generate_shot(camera))
md.wait(jobs, timeout=120)
shots = {
    j.shot: [j.state, bpy.data.objects[j.shot].movie_director.last_error, j.strip_name,
             (j.result.metadata if j.result else {}).get("transport", "")] for j in jobs
}
gradio_client = sys.modules["gradio_client"]
print(json.dumps({
    "module": module.__name__ if module else None,
    "heavy_after_enable": heavy_after_enable,
    "shots": shots,
    "hub_in_gradio_client": gradio_client.client.huggingface_hub.__doc__ or "",
    "imported": {
        name: getattr(sys.modules[name], "__file__", None) or ""
        for name in sorted(set(sys.modules) - before)
        if sys.modules.get(name) is not None
    },
}))
"""


def run_installed(
    linux_zip: Path, tmp_path: Path, *, wan2gp: Any, wan2gp_mcp: Any, wavespeed: Any
) -> dict[str, Any]:
    repo_dir = tmp_path / "repo"
    repo_dir.mkdir()
    values = {
        "blender_ext": str(build_extension.find_blender_ext(None)),
        "zip": str(linux_zip),
        "site": str(blender_like_site(tmp_path)),
        "repo": str(repo_dir),
        "out": str(tmp_path / "out"),
        "wan2gp_url": wan2gp.url,
        "wan2gp_mcp_url": wan2gp_mcp.url,
        "wavespeed_url": wavespeed.url,
        "wavespeed_key": wavespeed.api_key,
    }
    env = {**os.environ, "BLENDER_USER_EXTENSIONS": str(tmp_path / "user_extensions")}
    out = subprocess.run(
        [sys.executable, "-S", "-c", BLENDER_SCRIPT, json.dumps(values)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_installed_zip_runs_both_backends_on_bundled_wheels_only(
    linux_zip: Path,
    tmp_path: Path,
    wan2gp_standin: Any,
    wan2gp_mcp_standin: Any,
    wavespeed_standin: Any,
) -> None:
    report = run_installed(
        linux_zip, tmp_path, wan2gp=wan2gp_standin, wan2gp_mcp=wan2gp_mcp_standin, wavespeed=wavespeed_standin
    )
    assert report["module"] == "bl_ext.test_repo.movie_director"
    assert report["heavy_after_enable"] == []
    for shot, (state, error, strip, _transport) in report["shots"].items():
        assert (state, error) == ("succeeded", ""), shot
        assert strip == shot
    # Both Wan2GP transports ran: Shot_010 over the web UI (gradio_client), Shot_030 over MCP (httpx).
    assert [report["shots"][s][3] for s in ("Shot_010", "Shot_030")] == ["", "mcp"]
    # gradio_client ran with the package's stand-in for huggingface_hub (not installed in the zip).
    assert "gradio_import" in report["hub_in_gradio_client"]

    imported: dict[str, str] = report["imported"]
    wheel_site = str(tmp_path / "user_extensions" / ".local")
    extension_dir = str(tmp_path / "repo")
    allowed_roots = (
        wheel_site,
        extension_dir,
        str(tmp_path / "blender_site"),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["platstdlib"],
        str(Path(importlib.util.find_spec("bpy").submodule_search_locations[0])),
    )
    for name, path in imported.items():
        if Path(path).is_absolute():  # built-ins have no file, namespace packages no real one
            assert path.startswith(allowed_roots), f"{name} was imported from {path}"
    tops = {name.split(".", 1)[0] for name in imported}
    tops_from_wheels = {
        name.split(".", 1)[0] for name, path in imported.items() if path.startswith(wheel_site)
    }
    dropped = dropped_import_names()
    assert not tops & set(dropped), {t: dropped[t] for t in tops & set(dropped)}

    with zipfile.ZipFile(linux_zip) as zf:
        bundled = [n for n in zf.namelist() if n.endswith(".whl")]
        tmp_wheels = tmp_path / "wheels"
        zf.extractall(tmp_wheels, members=bundled)
    never = [w for w in bundled if not top_level_names(tmp_wheels / w) & tops_from_wheels]
    assert never == [], f"bundled but never imported: {never}"
