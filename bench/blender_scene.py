"""Inside a fresh interpreter with the real ``bpy`` module: the extension enabled, a scene of shots, the
session's job engine with a local runner, and real MP4 clips — what P1 and P7 measure the drain against.

The runner is a load generator, not a server stand-in: these figures measure what Blender's main thread
does with job events and finished clips (``drain``, the VSE import), which starts after a runner returns.
Jobs, threads, events and the job store are the real ``JobManager``'s. Shots and clips are made with the
test fixtures' own helpers (``tests.fixtures.blender.add_shot`` / ``write_clip``).
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADDON = "blender_movie_director"


def _raise(exc: BaseException) -> None:
    raise exc


def fresh_blender(workdir: Path) -> Any:
    """Factory-fresh Blender with the extension enabled and its output folder in ``workdir``."""
    user = Path(tempfile.mkdtemp(prefix="user-", dir=workdir))
    for kind in ("CONFIG", "SCRIPTS", "EXTENSIONS", "DATAFILES"):
        os.environ.setdefault(f"BLENDER_USER_{kind}", str(user / kind.lower()))
    import bpy

    addon_utils = importlib.import_module("addon_utils")  # importable only once bpy has set up its paths
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.preferences.system.use_online_access = True
    if addon_utils.enable(ADDON, default_set=True, handle_error=_raise) is None:
        raise RuntimeError("the extension did not enable")
    prefs = bpy.context.preferences.addons[ADDON].preferences
    prefs.output_folder = str(workdir / "out")
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    return bpy


def make_shots(bpy: Any, count: int, spacing: int) -> list[Any]:
    from tests.fixtures.blender import add_shot

    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 1 + count * spacing
    return [add_shot(bpy, scene, f"Shot_{i:03d}", 1 + i * spacing, prompt=f"shot {i}") for i in range(count)]


def make_clips(folder: Path, count: int, fps: int = 16, frames: int = 32) -> list[Path]:
    from tests.fixtures.blender import write_clip

    folder.mkdir(parents=True, exist_ok=True)
    return [write_clip(folder / f"clip_{i:03d}.mp4", fps, frames) for i in range(count)]


@dataclass
class LocalRunner:
    """Per job: progress at ``hz`` for ``seconds_for(job number)`` seconds, then one of ``clips``."""

    clips: list[Path]
    seconds_for: Callable[[int], float] = lambda n: 0.0
    hz: float = 10.0
    can_cancel_remote: bool = True
    _numbers: dict[str, int] = field(default_factory=dict)

    def run(self, ctx: Any) -> Any:
        from blender_movie_director.backend.base import GenerationResult

        number = self._numbers.setdefault(ctx.job_id, len(self._numbers))
        seconds = self.seconds_for(number)
        steps = int(seconds * self.hz)
        for step in range(steps):
            ctx.progress(step / max(1, steps), f"Denoising {step + 1}/{steps}")
            if ctx.wait(1.0 / self.hz):
                ctx.check()
        clip = self.clips[number % len(self.clips)]
        seed = int(ctx.request.settings.get("seed", 0))
        return GenerationResult.ok(
            str(clip), backend=str(ctx.request.backend), model=ctx.request.model, prompt=ctx.request.prompt,
            seed=seed, fps=16, remote_id=f"local-{ctx.job_id}",
        )  # fmt: skip

    def resume(self, ctx: Any) -> Any:
        return self.run(ctx)

    def resumable(self, record: Any) -> str:
        return ""

    def close(self) -> None:
        """Nothing to release."""


def use_engine(workdir: Path, runner: LocalRunner, limit: int) -> Any:
    from blender_movie_director.backend.jobs.manager import JobManager
    from blender_movie_director.backend.jobs.request import Backend
    from blender_movie_director.session import engine

    manager = JobManager(
        workdir / "out" / "jobs.jsonl",
        runners={Backend.WAN2GP: runner, Backend.WAVESPEED: runner},
        limits={Backend.WAN2GP: limit, Backend.WAVESPEED: limit},
    )
    engine.use_manager(manager)
    return manager
