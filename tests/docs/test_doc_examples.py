"""Every ```python block of README.md and docs/**/*.md runs here, as written (see tests/docs/doc_blocks.py
for the markers that say what a block needs: Blender, the Wan2GP stand-in, the WaveSpeed stand-in).

Blocks run in a fresh namespace with the working folder and every output folder in ``tmp_path``; top-level
``await`` is allowed (the block then runs in its own event loop). Blender blocks run in the real ``bpy``
module with the extension enabled, its preferences pointed at the stand-ins. Shell blocks are not run; the
scripts they call must exist, and the demo's options must be ones it accepts.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.docs.doc_blocks import PYTHON_FENCES, ROOT, SHELL_FENCES, Block, all_blocks

#: Few blocks may be marked not to run (fragments); a growing number means examples are rotting.
MAX_SKIPPED = 3
PYTHON_BLOCKS = all_blocks(PYTHON_FENCES)
SHELL_BLOCKS = all_blocks(SHELL_FENCES)
ADDON = "blender_movie_director"


def _param(block: Block) -> Any:
    marks = [pytest.mark.timeout(240)]
    if "blender" in block.needs:
        marks.append(pytest.mark.blender)
    if block.needs & {"wan2gp", "wan2gp-mcp", "wavespeed"}:
        marks += [pytest.mark.standin, pytest.mark.slow]
    if block.skip:
        marks.append(pytest.mark.skip(reason=f"marked in the docs: {block.skip}"))
    return pytest.param(block, id=block.id, marks=marks)


def _run(code: str, filename: str, namespace: dict[str, Any]) -> None:
    compiled = compile(code, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    if compiled.co_flags & inspect.CO_COROUTINE:
        asyncio.run(eval(compiled, namespace))  # an awaitable when the block uses top-level await
    else:
        exec(compiled, namespace)


@pytest.mark.parametrize("block", [_param(b) for b in PYTHON_BLOCKS])
def test_python_example_runs(
    block: Block, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not block.marker_error, f"{block.id}: {block.marker_error}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAN2GP_OUTPUT_DIR", str(tmp_path / "wan2gp_out"))
    for name in ("WAN2GP_URL", "WAVESPEED_API_KEY", "WAVESPEED_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    if "wan2gp" in block.needs:
        monkeypatch.setenv("WAN2GP_URL", request.getfixturevalue("wan2gp_standin").url)
    if "wan2gp-mcp" in block.needs:  # Auto transport: an address ending in /mcp is WanGP's MCP server
        monkeypatch.setenv("WAN2GP_URL", request.getfixturevalue("wan2gp_mcp_standin").url)
    if "wavespeed" in block.needs:
        standin = request.getfixturevalue("wavespeed_standin")
        monkeypatch.setenv("WAVESPEED_API_KEY", standin.api_key)
        monkeypatch.setenv("WAVESPEED_BASE_URL", standin.url)
    if "blender" in block.needs:
        bpy = request.getfixturevalue("blender")
        bpy.context.preferences.addons[ADDON].preferences.output_folder = str(tmp_path / "out")
    try:
        _run(block.code, block.id, {"__name__": "__doc_example__"})
    finally:
        if block.needs & {"wan2gp", "wan2gp-mcp"}:
            from blender_movie_director.backend.wan2gp import reset_clients

            reset_clients()


def test_few_blocks_are_marked_not_to_run() -> None:
    skipped = [b.id for b in PYTHON_BLOCKS if b.skip]
    assert len(skipped) <= MAX_SKIPPED, f"too many examples marked not to run: {skipped}"
    bad = [f"{b.id}: {b.marker_error}" for b in PYTHON_BLOCKS if b.marker_error]
    assert not bad, bad
    assert PYTHON_BLOCKS, "no python examples found"


# --- shell blocks -----
_ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def _commands(block: Block) -> list[list[str]]:
    """The command lines of a shell block (comments, prompts and env assignments removed)."""
    out = []
    text = block.code.replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip().removeprefix("$ ")
        if not line or line.startswith("#"):
            continue
        words = shlex.split(line)
        while words and _ENV_ASSIGNMENT.match(words[0]):
            words = words[1:]
        if words:
            out.append(words)
    return out


def _demo_options() -> set[str]:
    help_text = subprocess.run(
        [str(ROOT / "scripts" / "demo.sh"), "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return set(re.findall(r"--[a-z0-9-]+", help_text))


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in SHELL_BLOCKS])
def test_shell_example_names_real_commands(block: Block) -> None:
    for words in _commands(block):
        scripts = [w for w in words if w.startswith(("scripts/", ".ci/", ".venvs/"))]
        for word in scripts:
            path = ROOT / word.replace(".venvs/blender-5.0/", f".venvs/blender-{_version()}/")
            if word.startswith(".venvs/"):
                continue  # created by scripts/test.sh; its python is checked by every test run
            assert path.exists(), f"{block.id}: {word} does not exist"
            if words[0] == word:
                assert os.access(path, os.X_OK), f"{block.id}: {word} is not executable"
        if words[0] == "scripts/demo.sh":
            unknown = {w.split("=")[0] for w in words[1:] if w.startswith("--")} - _demo_options()
            assert not unknown, f"{block.id}: scripts/demo.sh has no option {sorted(unknown)}"


def _version() -> str:
    return os.environ.get("MD_BLENDER_VERSION", "5.0")
