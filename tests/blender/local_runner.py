"""A backend runner for the job engine that makes real MP4 clips locally (no server).

Used where the Blender layer is under test and the backend is not (drain, panels, state): the job manager,
its threads and events are the real ones; only the network part is replaced, because what these tests check
happens after the runner returns. The end-to-end tests use the real runners against the stand-ins.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from blender_movie_director.backend.base import GenerationResult
from blender_movie_director.backend.errors import JobCancelledError, ServerError
from blender_movie_director.backend.jobs.runner import RunContext
from blender_movie_director.backend.jobs.store import JobRecord
from tests.fixtures.blender import write_clip


@dataclass
class ClipRunner:
    """Writes a ``fps`` x ``frames`` clip per job after ``steps`` progress events.

    ``gate``: when given, the job waits (in short, cancellable slices) until it is set. ``fail``: the job
    raises this message as a server error instead.
    """

    fps: int = 16
    frames: int = 32
    steps: int = 4
    gate: threading.Event | None = None
    fail: str = ""
    can_cancel_remote: bool = True
    runs: list[str] = field(default_factory=list)

    def run(self, ctx: RunContext) -> GenerationResult:
        self.runs.append(ctx.job_id)
        for step in range(self.steps):
            ctx.progress(step / self.steps, f"Denoising {step + 1}/{self.steps}")
        ctx.set_remote_id(f"local-{ctx.job_id}", "task")
        if self.gate is not None:
            while not self.gate.is_set():
                if ctx.wait(0.02):
                    raise JobCancelledError("Stopped.")
        ctx.check()
        if self.fail:
            raise ServerError(self.fail)
        folder = Path(ctx.request.output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = write_clip(folder / f"{ctx.job_id}.mp4", self.fps, self.frames)
        seed = int(ctx.request.settings.get("seed", 0))
        return GenerationResult.ok(
            str(path), backend=str(ctx.request.backend), model=ctx.request.model, prompt=ctx.request.prompt,
            seed=seed, fps=self.fps, remote_id=f"local-{ctx.job_id}",
        )  # fmt: skip

    def resume(self, ctx: RunContext) -> GenerationResult:
        return self.run(ctx)

    def resumable(self, record: JobRecord) -> str:
        return ""

    def close(self) -> None:
        """Nothing to release."""
