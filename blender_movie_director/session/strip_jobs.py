"""Strip jobs: the drain's consumer for the jobs the strip tools start (regenerate, variations, retake,
image to video, extend, layout to video), and where their clips go when they are done.

Threading contract (the same as drain.py's): these jobs run in the job engine's worker threads like any
shot job; their events come back only through :func:`.drain.drain`, which offers each event to
:func:`consume` before the shot consumer (main thread). Takes and strip provenance are built by
:mod:`..scene.takes` (the same builder as shot jobs use). Finished clips are cut in by :func:`idle`,
which the drain calls only while no file is being saved and no render is running. Scenes, shots and strips
are found again by name.

Where a clip goes (``place``):
- ``"replace"``: the strip that was acted on shows the new clip in place (start, channel, length kept);
  for a shot's strip the clip is also a new take, made current.
- ``"take"``: a new take of the shot only (variations: the strip keeps what it shows).
- ``"new"``: a new strip at ``frame`` on the lowest free channel (image to video at the playhead, extend
  after the strip's end).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import bpy

from ..backend.base import GenerationResult
from ..backend.jobs.events import Cancelled, Failed, JobEvent, Log, Progress, Queued, Started, Succeeded
from ..backend.jobs.request import Credentials, GenerationRequest
from ..backend.media import probe_video
from ..blender import compat, vse
from ..scene import shots, takes
from . import drain, engine
from .drain import DrainReport

log = logging.getLogger(__name__)

#: Finished jobs kept for the job list.
KEEP_FINISHED = 20
ACTION_LABELS = {
    "regenerate": "Regenerate",
    "variation": "Variation",
    "retake": "Retake",
    "i2v": "Image to Video",
    "extend": "Extend",
    "layout": "Layout to Video",
    "finish": "Finish",
}


@dataclass
class DirectorJob:
    job_id: str
    action: str
    request: GenerationRequest
    scene: str
    shot: str = ""
    strip: str = ""
    place: str = "replace"
    frame: int = 0
    skip: float = 0.0  # seconds at the start of the result left out ("new" only: an extend endpoint's input)
    quality: str = "preview"
    state: str = "queued"  # queued, running, done, failed, cancelled
    fraction: float = 0.0
    text: str = "Queued"
    error: str = ""
    error_kind: str = ""  # the ErrorKind value of a failure (scene/fixes.py: the button that fixes it)
    result_strip: str = ""
    result_path: str = ""
    note: str = ""
    finished_at: float = 0.0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    @property
    def label(self) -> str:
        what = self.shot or self.strip or self.scene
        return f"{ACTION_LABELS.get(self.action, self.action)} · {what}"


_jobs: dict[str, DirectorJob] = {}
_finished: deque[tuple[str, GenerationResult]] = deque()


def submit(
    request: GenerationRequest, credentials: Credentials, *, action: str, scene: str, **fields: Any
) -> DirectorJob:
    """Hand ``request`` to the job engine as a director job (never blocks)."""
    job_id = engine.submit(request, credentials)
    job = DirectorJob(job_id=job_id, action=action, request=request, scene=scene, **fields)
    _jobs[job_id] = job
    _prune()
    return job


def jobs() -> list[DirectorJob]:
    return list(_jobs.values())


def active() -> list[DirectorJob]:
    return [j for j in _jobs.values() if not j.finished]


def get(job_id: str) -> DirectorJob | None:
    return _jobs.get(job_id)


def cancel(job_id: str) -> bool:
    job = _jobs.get(job_id)
    if job is None or job.finished:
        return False
    job.text = "Cancelling"
    return engine.cancel(job_id, abandon_paid=True)


def reset() -> None:
    """Forget everything (unregister; the engine is shut down separately)."""
    _jobs.clear()
    _finished.clear()


def _prune() -> None:
    done = [j for j in _jobs.values() if j.finished]
    for job in sorted(done, key=lambda j: j.finished_at)[: max(0, len(done) - KEEP_FINISHED)]:
        del _jobs[job.job_id]


# --- events (main thread, from the drain) -----
def consume(event: JobEvent, report: DrainReport) -> bool:
    """Apply ``event`` if it belongs to a strip job (then True: the shot consumer must not see it)."""
    job = _jobs.get(event.job_id)
    if job is None:
        return False
    if isinstance(event, Queued):
        job.text = f"Queued ({event.position} ahead)" if event.position else "Queued"
    elif isinstance(event, Started):
        job.state, job.text = "running", "Starting"
    elif isinstance(event, Progress):
        job.state = "running"
        if event.fraction >= 0:
            job.fraction = min(1.0, max(0.0, event.fraction))
        job.text = event.text or job.text
    elif isinstance(event, Log):
        if event.level in ("warning", "error"):
            job.text = event.text
    elif isinstance(event, Succeeded):
        job.fraction, job.text = 1.0, "Adding the clip to the Sequencer"
        _finished.append((job.job_id, event.result))
    elif isinstance(event, Failed):
        job.error_kind = str(event.error_kind)
        _end(job, "failed", event.message or "The generation failed.")
    elif isinstance(event, Cancelled):
        _end(job, "cancelled", event.reason or "Cancelled")
    report.changed = True
    return True


def _end(job: DirectorJob, state: str, text: str) -> None:
    job.state, job.text = state, text
    if state == "failed":
        job.error = text
    job.finished_at = time.monotonic()
    engine.forget_active(job.job_id)


def idle(report: DrainReport) -> None:
    """Cut finished clips in, at most ``report.max_imports`` (the drain calls this when no save or render
    runs)."""
    for _ in range(min(report.max_imports, len(_finished))):
        job_id, result = _finished.popleft()
        job = _jobs.get(job_id)
        if job is None:
            engine.forget_active(job_id)
            continue
        try:
            _finish(job, result)
        except (OSError, RuntimeError, ValueError, KeyError, IndexError) as exc:
            _end(job, "failed", f"The clip could not be added to the Sequencer: {exc}")
        report.changed = True
    report.deferred += len(_finished)


def import_pending(job_id: str) -> bool:
    """Whether the job finished and its clip still waits to be cut in (``md.wait`` keeps draining)."""
    return any(pending_id == job_id for pending_id, _ in _finished)


def pending() -> int:
    """Finished clips still waiting to be cut in."""
    return len(_finished)


def _finish(job: DirectorJob, result: GenerationResult) -> None:
    path = str(result.video_path)
    meta = dict(result.metadata)
    scene = bpy.data.scenes.get(job.scene)
    if scene is None:
        raise KeyError(f"The scene '{job.scene}' is gone; the clip stays at {path}")
    info = probe_video(path)
    seconds = info.frames / info.fps if info.fps > 0 and info.frames else info.duration
    obj = shots.find_shot(job.shot) if job.shot else None
    take = None
    if obj is not None:
        take = takes.add_take(
            obj, filepath=path, metadata=meta, request=job.request, quality=job.quality, made_by=job.action,
            seconds=seconds,
        )  # fmt: skip
        provenance = takes.provenance(obj, take, job_id=job.job_id)
    else:
        facts = takes.clip_facts(meta, job.request)
        provenance = takes.strip_provenance(facts, made_by=job.action, source=job.strip, job_id=job.job_id)
    job.result_path = path
    editor = compat.sequence_editor(scene)
    if job.place == "replace" and job.strip and compat.all_strips(editor).get(job.strip) is not None:
        swap = takes.swap_clip(scene, job.strip, path, provenance)
        job.result_strip = swap.strip_name
        job.note = swap.note
        if obj is not None and take is not None:
            settings = obj.movie_director
            if settings.strip_name == job.strip:
                settings.strip_name = swap.strip_name
            settings.active_take_index = len(settings.takes) - 1
    elif job.place in ("replace", "new"):
        name = (job.strip or job.shot) if job.place == "replace" else f"{job.strip or job.shot} {job.action}"
        clip = vse.import_clip(
            scene, name=name, filepath=path, frame_start=job.frame, provenance=provenance,
            skip_seconds=job.skip if job.place == "new" else 0.0,
        )  # fmt: skip
        job.result_strip = clip.strip_name
        if obj is not None and take is not None and job.place == "replace":
            obj.movie_director.strip_name = clip.strip_name
            obj.movie_director.active_take_index = len(obj.movie_director.takes) - 1
    _end(
        job,
        "done",
        f"Done: {job.result_strip or (take.name if take else path)}" + (f" ({job.note})" if job.note else ""),
    )


# --- waiting (scripts, CLI, tests: no timers fire there) -----
def wait(jobs_: Iterable[DirectorJob], timeout: float | None = None, poll: float = 0.05) -> list[DirectorJob]:
    """Drain until every job is finished and its clip is cut in; TimeoutError after ``timeout`` s."""
    return drain.wait_for(jobs_, lambda job: job.finished, lambda job: job.label, timeout, poll)


def register() -> None:
    drain.add_consumer(consume, idle, pending)


def unregister() -> None:
    drain.remove_consumer(consume)
    reset()
