"""Shot jobs: the drain's consumer for jobs a shot waits for (Generate, Generate All, md.generate_shot).

Each event of a job is written to the shot whose ``job_id`` it is (status, progress, errors); a finished
clip is cut in at the shot's start (replacing the shot's earlier strip in place) and becomes a new take,
made current. Threading contract: main thread only, called by :func:`.drain.drain`; shots are found again
by name for every event, so a file load, a rename or a deleted camera never leaves a dangling pointer
(stale RNA is guarded with ``ReferenceError``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import bpy

from ..backend.base import GenerationResult
from ..backend.jobs.events import (
    Cancelled,
    Failed,
    JobEvent,
    Log,
    Progress,
    Queued,
    RemoteId,
    Started,
    Succeeded,
)
from ..backend.jobs.request import ShotRef
from ..blender import compat, vse
from ..scene import props, shots, takes
from . import drain, engine
from .drain import DrainReport


@dataclass
class _Import:
    job_id: str
    ref: ShotRef
    result: GenerationResult
    quality: str


_imports: deque[_Import] = deque()


# --- applying events -----
def _settings_for(job_id: str, ref: ShotRef | None = None) -> tuple[Any, Any] | None:
    """(camera object, its settings) for the job, if the shot still exists and still waits for this job."""
    ref = ref or engine.shot_of(job_id)
    if ref is None:
        return None
    obj = shots.find_shot(ref.shot)
    if obj is None:
        return None
    try:
        settings = obj.movie_director
        if settings.job_id != job_id:
            return None  # the shot has moved on to a newer job
    except ReferenceError:
        return None
    return obj, settings


def consume(event: JobEvent, report: DrainReport) -> bool:
    """Apply ``event`` to the shot waiting for its job. The last consumer: it takes every event (one whose
    shot is gone or has moved on to a newer job is dropped here)."""
    found = _settings_for(event.job_id)
    if isinstance(event, Failed | Cancelled) or (found is None and isinstance(event, Succeeded)):
        engine.forget_active(event.job_id)
    if found is None:
        return True
    obj, settings = found
    report.shots.add(obj.name)
    report.applied += 1
    if isinstance(event, Progress):
        # Only changed values are written: every write tags the object for the depsgraph.
        if settings.status != "RUNNING":
            settings.status = "RUNNING"
        if event.fraction >= 0:
            settings.progress = min(1.0, max(0.0, event.fraction))
        if event.text and settings.progress_text != event.text:
            settings.progress_text = event.text
    elif isinstance(event, Queued):
        settings.status = "QUEUED"
        settings.progress = 0.0
        settings.progress_text = f"Queued ({event.position} ahead)" if event.position else "Queued"
    elif isinstance(event, Started):
        settings.status = "RUNNING"
        settings.progress_text = "Starting"
    elif isinstance(event, RemoteId):
        settings.remote_id = event.remote_id
    elif isinstance(event, Log):
        if event.level in ("warning", "error"):
            settings.progress_text = event.text
    elif isinstance(event, Succeeded):
        settings.progress = 1.0
        settings.progress_text = "Adding the clip to the Sequencer"
        ref = engine.shot_of(event.job_id) or ShotRef(shot=obj.name)
        _imports.append(_Import(event.job_id, ref, event.result, settings.job_quality))
    elif isinstance(event, Failed):
        settings.status = "FAILED"
        settings.last_error = event.message or "The generation failed."
        settings.error_kind = str(event.error_kind)
        settings.progress_text = ""
        settings.in_batch = False
    elif isinstance(event, Cancelled):
        settings.status = "CANCELLED"
        settings.progress_text = event.reason
        settings.last_error = event.reason if event.remote_may_finish else ""
        settings.in_batch = False
    return True


# --- importing finished clips -----
def _import(item: _Import, report: DrainReport) -> None:
    engine.forget_active(item.job_id)
    found = _settings_for(item.job_id, item.ref)
    if found is None:
        return  # the shot is gone or moved on: the file stays on disk, nothing to cut
    obj, settings = found
    report.shots.add(obj.name)
    result = item.result
    meta = dict(result.metadata)
    if not meta.get("remote_id") and settings.remote_id:
        meta["remote_id"] = settings.remote_id  # the server's task id, heard from a RemoteId event
    quality = item.quality.lower()
    # The take first (its number goes on the strip), taken back if the clip cannot be cut in.
    take = takes.add_take(
        obj, filepath=str(result.video_path), metadata=meta, request=_request_of(item.job_id),
        quality=quality, made_by="generate", seconds=0.0, fallback=_shot_facts(settings),
    )  # fmt: skip
    try:
        scene = bpy.data.scenes.get(item.ref.scene) or shots.scene_of(obj)
        target = bpy.data.scenes.get(settings.target_scene) or scene
        start = shots.shot_range(scene, obj).start
        replace = settings.strip_name if vse.strip_group(_editor(target), settings.strip_name) else ""
        clip = vse.import_clip(
            target,
            name=obj.name,
            filepath=str(result.video_path),
            frame_start=start,
            provenance=takes.provenance(obj, take, job_id=item.job_id),
            replace=replace,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        settings.takes.remove(len(settings.takes) - 1)
        settings.status = "FAILED"
        settings.last_error = f"The clip could not be added to the Sequencer: {exc}"
        settings.error_kind = "import"
        settings.in_batch = False
        return
    take.duration = clip.seconds
    settings.active_take_index = len(settings.takes) - 1
    settings.strip_name = clip.strip_name
    settings.status = "DONE"
    settings.progress = 1.0
    settings.progress_text = clip.note or f"{clip.seconds:.2f} s on channel {clip.channel}"
    settings.last_error = ""
    settings.error_kind = ""
    settings.in_batch = False
    report.imported.append(clip.strip_name)


def _request_of(job_id: str) -> Any:
    """The request the engine ran for ``job_id`` (None if it no longer knows the job)."""
    manager = engine.current()
    try:
        return manager.job(job_id).request if manager is not None else None
    except KeyError:
        return None


def _shot_facts(settings: Any) -> dict[str, Any]:
    """The shot's own settings, for a take whose request the engine no longer knows."""
    return {
        "backend": settings.backend.lower(), "model": props.shot_model(settings), "prompt": settings.prompt,
        "seed": settings.seed, "task_id": settings.remote_id,
    }  # fmt: skip


def _editor(scene: bpy.types.Scene) -> Any:
    return compat.sequence_editor(scene)


def idle(report: DrainReport) -> None:
    """Cut finished clips in, at most ``report.max_imports`` (the drain calls this only while no file is
    being saved and no render runs)."""
    for _ in range(min(report.max_imports, len(_imports))):
        _import(_imports.popleft(), report)
    report.deferred += len(_imports)


def pending() -> int:
    """Finished clips still waiting to be cut in."""
    return len(_imports)


def import_pending(job_id: str) -> bool:
    return any(item.job_id == job_id for item in _imports)


def reset() -> None:
    """Forget deferred work (unregister)."""
    _imports.clear()


def register() -> None:
    drain.add_consumer(consume, idle, pending)


def unregister() -> None:
    drain.remove_consumer(consume)
    reset()
