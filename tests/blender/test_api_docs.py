"""docs/api.md's script example runs as written, in a fresh Blender, against the Wan2GP stand-in."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _doc_block(marker: str) -> str:
    """The first ```python block after the line containing ``marker``."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    after = text[text.index(marker) :]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_make_film_example_runs(wan2gp_standin: Any, tmp_path: Path) -> None:
    example = _doc_block("`make_film.py` (runnable")
    finder = _doc_block("If the alias is taken by something else")
    script = tmp_path / "make_film.py"
    script.write_text(example, encoding="utf-8")
    # What Blender does before running a script with the extension enabled and --online-mode.
    preamble = textwrap.dedent(
        f"""
        import runpy, sys
        sys.path.insert(0, {str(ROOT)!r})
        import bpy, addon_utils
        bpy.context.preferences.system.use_online_access = True
        addon_utils.enable("blender_movie_director", default_set=True, handle_error=None)
        prefs = bpy.context.preferences.addons["blender_movie_director"].preferences
        prefs.output_folder = {str(tmp_path / "out")!r}
        """
    )
    check_finder = finder + "\nassert md.generate_shot and md.wait\n"
    run = f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    env = dict(os.environ, WAN2GP_URL=wan2gp_standin.url)  # the preference is empty: the variable is used
    out = subprocess.run(
        [sys.executable, "-c", preamble + check_finder + run],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = out.stdout.splitlines()
    for shot in ("Shot_010", "Shot_020", "Shot_030"):
        assert any(line.startswith(f"{shot} succeeded {shot}") for line in lines), out.stdout
    assert "[(1, 'Shot_010'), (49, 'Shot_020'), (97, 'Shot_030')]" in lines
