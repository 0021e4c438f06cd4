"""P2: time to enable the extension in real Blender (the ``bpy`` module), and the heavy modules it imports.

Each sample is a fresh interpreter with a throw-away Blender user folder: ``import bpy`` (not timed), then
``addon_utils.enable(...)`` timed. Peer: the same Blender enabling an empty add-on (register/unregister do
nothing) — what enabling costs with no extension code at all. "Heavy" modules are the network and
validation stacks the extension must load only when a job runs.

Blender writes bytecode (``__pycache__``) for extensions, so every start after the first finds it: the
target row is measured that way (a bytecode folder of the run's own, warmed by one unmeasured enable). The
first start, compiling every module, is an informative row (a fresh bytecode folder per sample).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from .context import Context, child_env, run_child
from .harness import Row, Stats, interleave, ratio

FIG = "P2"
LIMIT_MS = 30.0
ADDON = "blender_movie_director"
EMPTY = "md_bench_empty_addon"
HEAVY = (
    "gradio_client",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "pydantic",
    "pydantic_core",
    "huggingface_hub",
    "requests",
    "websockets",
    "av",
    "PIL",
)


def write_empty_addon(folder: Path) -> Path:
    package = folder / EMPTY
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            bl_info = {"name": "Empty (benchmark peer)", "blender": (4, 2, 0), "category": "Development"}


            def register():
                pass


            def unregister():
                pass
            """
        ),
        encoding="utf-8",
    )
    return folder


def child(module: str) -> dict[str, Any]:
    """In a fresh interpreter: import bpy, then time enabling ``module``."""
    import importlib

    import bpy

    addon_utils = importlib.import_module("addon_utils")  # importable only once bpy has set up its paths

    def fail(exc: BaseException) -> None:
        raise exc

    assert bpy.app.version >= (4, 2, 0)
    before = set(sys.modules)
    start = time.perf_counter()
    enabled = addon_utils.enable(module, default_set=True, handle_error=fail)
    seconds = time.perf_counter() - start
    if enabled is None:
        raise RuntimeError(f"{module} did not enable")
    new = set(sys.modules) - before
    heavy = sorted(m for m in new if m.split(".")[0] in HEAVY)
    return {"seconds": seconds, "new_modules": len(new), "heavy": heavy, "blender": bpy.app.version_string}


def run(ctx: Context) -> list[Row]:
    peer_dir = write_empty_addon(ctx.folder("p2-addon"))
    user = Path(tempfile.mkdtemp(prefix="bench-blender-user-", dir=ctx.workdir))
    env = child_env(
        **{
            f"BLENDER_USER_{k}": str(user / k.lower())
            for k in ("CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES")
        }
    )
    env["PYTHONPATH"] = os.pathsep.join([str(peer_dir), env["PYTHONPATH"]])
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # this machine sets it; Blender installs do not
    env["PYTHONPYCACHEPREFIX"] = str(ctx.folder("p2-bytecode"))  # never litter the repository
    reports: dict[str, list[dict[str, Any]]] = {ADDON: [], EMPTY: []}

    def sample(module: str, cache: str | None = None) -> float:
        child = dict(env, PYTHONPYCACHEPREFIX=cache) if cache else env
        report = run_child("bench.p2_enable", "--child", module, env=child, timeout=180)
        if cache is None:
            reports[module].append(report)
        return float(report["seconds"]) * 1000

    ctx.log("P2: fresh Blender per sample")
    for module in (ADDON, EMPTY):  # writes the bytecode every later start finds
        sample(module)
    ours, peer = interleave(lambda: sample(ADDON), lambda: sample(EMPTY), ctx.repeat)
    o, p = Stats.of(ours), Stats.of(peer)
    first = Stats.of(
        [sample(ADDON, tempfile.mkdtemp(prefix="p2-cold-", dir=ctx.workdir)) for _ in range(ctx.repeat)]
    )
    heavy = sorted({m for r in reports[ADDON] for m in r["heavy"]})
    new_modules = sorted({int(r["new_modules"]) for r in reports[ADDON]})
    return [
        Row(
            FIG,
            f"Enable the extension in real Blender (bpy {reports[ADDON][0]['blender']})",
            "ms",
            o,
            p,
            "empty add-on",
            ratio(o, p),
            f"< {LIMIT_MS:.0f} ms",
            o.median < LIMIT_MS,
            note=f"bytecode cached (every start after the first), {new_modules[-1]} modules imported",
        ),
        Row(
            FIG,
            "Enable the extension, first start (no bytecode yet: every module compiled)",
            "ms",
            first,
            p,
            "empty add-on",
            ratio(first, p),
            "—",
            None,
        ),
        Row(
            FIG,
            "Heavy modules imported by enabling",
            "modules",
            Stats.of([len(heavy)] * len(ours)),
            Stats.of([0.0]),
            "empty add-on",
            None,
            "none",
            not heavy,
            note=", ".join(heavy[:8]) if heavy else "none of " + ", ".join(HEAVY[:6]) + ", …",
        ),
    ]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])), flush=True)
        os._exit(0)  # Blender's module teardown at exit is slow and irrelevant here
    else:
        sys.exit("usage: python -m bench.p2_enable --child MODULE")
