"""The ``movie-director`` command line on a saved .blend, each command in its own process (as a user runs
it), against the Wan2GP stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import add_shot

pytestmark = pytest.mark.blender
ROOT = Path(__file__).resolve().parents[2]


def _film(bpy: ModuleType, path: Path) -> Path:
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, 48
    add_shot(bpy, scene, "Shot_010", 1, prompt="a kite over hills")
    add_shot(bpy, scene, "Shot_020", 25, prompt="the kite lands")
    bpy.ops.wm.save_as_mainfile(filepath=str(path), copy=True)
    return path


def _run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "blender_movie_director", *args],
        capture_output=True, text=True, timeout=timeout, env=full, cwd=ROOT,
    )  # fmt: skip


def _shots(blend: Path) -> dict[str, Any]:
    done = _run("list", str(blend), "--json")
    assert done.returncode == 0, done.stderr
    return {row["shot"]: row for row in json.loads(done.stdout)["shots"]}


def test_list_and_usage_errors(blender: ModuleType, tmp_path: Path) -> None:
    blend = _film(blender, tmp_path / "film.blend")
    table = _run("list", str(blend))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["Shot", "Frames", "Sec"]
    assert lines[1].split()[:4] == ["Shot_010", "1-24", "1.00", "wan2gp"]
    assert lines[2].split()[:2] == ["Shot_020", "25-48"]
    rows = _shots(blend)
    assert rows["Shot_010"]["status"] == "IDLE" and rows["Shot_010"]["prompt"] == "a kite over hills"
    missing = _run("list", str(tmp_path / "nope.blend"))
    assert missing.returncode == 2 and "No such .blend file" in missing.stderr
    unknown = _run("generate", str(blend), "--shot", "Shot_999")
    assert unknown.returncode == 2
    assert "No shot named 'Shot_999'" in unknown.stderr and "Shot_010, Shot_020" in unknown.stderr
    bad = _run("frobnicate")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_inside_blender_the_open_file_and_args_after_double_dash(blender: ModuleType, tmp_path: Path) -> None:
    # What `blender -b film.blend --python-expr "import movie_director as md; md.cli.main()" -- list --json`
    # does, in the bpy module (it has no blender binary): the file is already open, the extension enabled,
    # and the command comes after "--"; the exit code is the command's.
    blend = _film(blender, tmp_path / "film.blend")
    script = (
        "import sys, bpy, addon_utils\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "addon_utils.enable('blender_movie_director', default_set=True)\n"
        f"bpy.ops.wm.open_mainfile(filepath={str(blend)!r})\n"
        "sys.argv = ['blender', '-b', '--python-expr', '...', '--', 'list', '--json']\n"
        "import movie_director as md\n"
        "md.cli.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout[done.stdout.index("{") :]  # after Blender's own "Read blend" line, as in blender -b
    assert [row["shot"] for row in json.loads(output)["shots"]] == ["Shot_010", "Shot_020"]
    script = script.replace("'list', '--json'", "'generate', '--shot', 'Shot_404'")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 2 and "No shot named 'Shot_404'" in done.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("movie-director")
    assert script.is_file(), "pip install -e . (scripts/test.sh does it) installs the console script"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "generate" in done.stdout and "storyboard" in done.stdout


@pytest.mark.standin
def test_generate_named_shot_then_all_then_storyboard(
    blender: ModuleType, wan2gp_standin: Any, tmp_path: Path
) -> None:
    blend = _film(blender, tmp_path / "film.blend")
    env = {"WAN2GP_URL": wan2gp_standin.url}
    one = _run("generate", str(blend), "--shot", "Shot_020", "--quality", "preview", env=env)
    assert one.returncode == 0, one.stderr
    assert "Shot_020: done, take 1 in strip 'Shot_020'" in one.stdout
    assert "Saved " in one.stdout
    assert "1/1 shots" in one.stderr and "[####" in one.stderr  # the progress bar
    rows = _shots(blend)
    assert (rows["Shot_020"]["status"], rows["Shot_020"]["takes"]) == ("DONE", 1)
    assert (rows["Shot_010"]["status"], rows["Shot_010"]["takes"]) == ("IDLE", 0)
    clips = sorted((tmp_path / "movie_director" / "Shot_020").glob("*.mp4"))
    assert len(clips) == 1  # the output folder is beside the .blend
    both = _run("generate", str(blend), env=env)
    assert both.returncode == 0, both.stderr
    rows = _shots(blend)
    assert rows["Shot_010"]["takes"] == 1 and rows["Shot_020"]["takes"] == 2
    board = _run("storyboard", str(blend), "--out", str(tmp_path / "board.png"))
    assert board.returncode == 0, board.stderr
    assert board.stdout.strip() == f"Storyboard: {tmp_path / 'board.png'} (670x396, 2 shots)"
    image = blender.data.images.load(str(tmp_path / "board.png"))
    try:
        assert tuple(image.size) == (670, 396)
    finally:
        blender.data.images.remove(image)
    copy = _run("save", str(blend), "--as", str(tmp_path / "copy.blend"))
    assert copy.returncode == 0 and (tmp_path / "copy.blend").is_file()
    assert _shots(tmp_path / "copy.blend")["Shot_020"]["takes"] == 2


@pytest.mark.standin
def test_generate_failure_exits_non_zero_with_the_reason(
    blender: ModuleType, start_wan2gp_standin: Any, tmp_path: Path
) -> None:
    blend = _film(blender, tmp_path / "film.blend")
    broken = start_wan2gp_standin(fail_load=True, load_seconds=0.1)
    done = _run("generate", str(blend), "--shot", "Shot_010", "--no-save", env={"WAN2GP_URL": broken.url})
    assert done.returncode == 1
    assert "Shot_010: failed:" in done.stderr and "1 of 1 shot(s) failed." in done.stderr
    assert _shots(blend)["Shot_010"]["status"] == "IDLE"  # --no-save: the file is unchanged
    # WaveSpeed without a key: the shot cannot start, and the message says how to fix it.
    nokey = _run("generate", str(blend), "--backend", "wavespeed", "--no-save", env={"WAVESPEED_API_KEY": ""})
    assert nokey.returncode == 1
    assert "WaveSpeed has no API key" in nokey.stderr
