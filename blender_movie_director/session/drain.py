"""The one place job events reach Blender: the plain :func:`drain` function and the timer that calls it.

Threading contract
------------------
- Worker threads never touch ``bpy``. They post immutable events; the only reader is :func:`drain`, which
  runs on the main thread (from the persistent timer, or called directly by ``md.wait()`` and tests — timers
  never fire in the ``bpy`` module or in ``blender -b``).
- Shots and scenes are found again by name for every batch of events, so a file load, a rename or a deleted
  camera never leaves a dangling pointer; stale RNA is guarded with ``ReferenceError``.
- Sequencer edits (importing a finished clip) wait while a file is being saved or a render runs.

Cost per tick: one lock-protected ``deque`` pop on the manager, progress coalesced to the last value per job,
at most ``max_imports`` clip imports, and a redraw only of the sidebars that show shots, only when something
changed.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
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
from ..blender import ticker, vse
from ..scene import props, shots, takes
from . import engine

log = logging.getLogger(__name__)

MAX_EVENTS_PER_TICK = 512
#: One clip per tick: a new_movie alone is 5-7 ms of a 16.7 ms frame; ticks with two took 27-50 ms (P1).
MAX_IMPORTS_PER_TICK = 1


@dataclass
class _Import:
    job_id: str
    ref: ShotRef
    result: GenerationResult
    quality: str


_imports: deque[_Import] = deque()

#: Other owners of jobs (the director tools, strip_jobs.py): ``consume(event) -> bool`` is offered each
#: event first and keeps those it returns True for; ``idle(report)`` runs once per drain while no save or
#: render is running (their Sequencer edits).
_consumers: list[tuple[Callable[[JobEvent], bool], Callable[[DrainReport], None]]] = []


def add_consumer(consume: Callable[[JobEvent], bool], idle: Callable[[DrainReport], None]) -> None:
    if all(c is not consume for c, _ in _consumers):
        _consumers.append((consume, idle))


def remove_consumer(consume: Callable[[JobEvent], bool]) -> None:
    _consumers[:] = [(c, i) for c, i in _consumers if c is not consume]


@dataclass
class DrainReport:
    events: int = 0
    applied: int = 0  # events that reached a shot (progress coalesced: at most one per job per tick)
    imported: list[str] = field(default_factory=list)  # strip names
    shots: set[str] = field(default_factory=set)  # shot names whose state changed
    deferred: int = 0  # imports still waiting (busy, or over the per-tick cap)


def pending_imports() -> int:
    return len(_imports)


def reset() -> None:
    """Forget deferred work (unregister)."""
    ticker.clear_busy()
    _imports.clear()


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


def _apply(event: JobEvent, report: DrainReport) -> None:
    found = _settings_for(event.job_id)
    if isinstance(event, Failed | Cancelled) or (found is None and isinstance(event, Succeeded)):
        engine.forget_active(event.job_id)
    if found is None:
        return
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


def _apply_events(events: list[JobEvent], report: DrainReport) -> None:
    """Apply in order, but only the newest progress of each job (older ones are overwritten anyway)."""
    latest_progress: dict[str, Progress] = {}
    for event in events:
        if isinstance(event, Progress):
            latest_progress[event.job_id] = event
            continue
        pending = latest_progress.pop(event.job_id, None)
        if pending is not None and not isinstance(event, Succeeded | Failed | Cancelled):
            _apply(pending, report)
        _apply(event, report)
    for event in latest_progress.values():
        _apply(event, report)


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
    try:
        scene = bpy.data.scenes.get(item.ref.scene) or shots.scene_of(obj)
        number = max((t.number for t in settings.takes), default=0) + 1
        provenance = {
            "backend": str(meta.get("backend") or settings.backend.lower()),
            "model": str(meta.get("model") or props.shot_model(settings)),
            "prompt": str(meta.get("prompt") or settings.prompt),
            "seed": int(meta.get("seed", settings.seed) or 0),
            "task_id": str(meta.get("remote_id") or settings.remote_id or ""),
            "job_id": item.job_id,
            "take": number,
            "quality": item.quality.lower(),
            "shot": obj.name,
        }
        target = bpy.data.scenes.get(settings.target_scene) or scene
        start = shots.shot_range(scene, obj).start
        replace = settings.strip_name if vse.strip_group(_editor(target), settings.strip_name) else ""
        clip = vse.import_clip(
            target,
            name=obj.name,
            filepath=str(result.video_path),
            frame_start=start,
            provenance=provenance,
            replace=replace,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        settings.status = "FAILED"
        settings.last_error = f"The clip could not be added to the Sequencer: {exc}"
        settings.error_kind = "import"
        settings.in_batch = False
        return
    take = settings.takes.add()
    take.number = number
    take.name = f"Take {number} · {item.quality.lower()}"
    take.filepath = str(result.video_path)
    take.backend = provenance["backend"]
    take.model = provenance["model"]
    take.prompt = provenance["prompt"]
    take.seed = provenance["seed"]
    take.task_id = provenance["task_id"]
    take.quality = item.quality.lower()
    take.duration = clip.seconds
    take.fps = float(meta.get("fps") or 0.0)
    take.created = time.strftime("%Y-%m-%d %H:%M:%S")
    takes.fill_from_job(take, item.job_id, meta)
    settings.active_take_index = len(settings.takes) - 1
    settings.strip_name = clip.strip_name
    settings.status = "DONE"
    settings.progress = 1.0
    settings.progress_text = clip.note or f"{clip.seconds:.2f} s on channel {clip.channel}"
    settings.last_error = ""
    settings.error_kind = ""
    settings.in_batch = False
    report.imported.append(clip.strip_name)


def _editor(scene: bpy.types.Scene) -> Any:
    from ..blender import compat

    return compat.sequence_editor(scene)


# --- redraw -----
_REDRAW_SPACES = frozenset({"VIEW_3D", "SEQUENCE_EDITOR"})


def redraw_sidebars() -> int:
    """Redraw the sidebars (UI regions) of 3D views and Sequencers; returns how many were tagged."""
    tagged = 0
    wm = bpy.context.window_manager
    if wm is None:
        return 0
    for window in wm.windows:
        for area in window.screen.areas:
            if area.type in _REDRAW_SPACES:
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()
                        tagged += 1
    return tagged


# --- the drain -----
def drain(max_events: int = MAX_EVENTS_PER_TICK, max_imports: int = MAX_IMPORTS_PER_TICK) -> DrainReport:
    """Apply pending job events to the shots and import finished clips. Cheap when there is nothing to do."""
    report = DrainReport()
    manager = engine.current()
    if manager is not None:
        events = manager.drain(max_events)
        report.events = len(events)
        if events and _consumers:
            events = [e for e in events if not any(consume(e) for consume, _ in _consumers)]
        if events:
            _apply_events(events, report)
    if not ticker.is_busy():  # the save/render guard: set by handlers that run before the drain loads
        for _ in range(min(max_imports, len(_imports))):
            _import(_imports.popleft(), report)
        for _consume, idle in list(_consumers):
            idle(report)
    report.deferred = len(_imports)
    if report.shots:
        redraw_sidebars()
    return report


def redraw_preferences() -> None:
    wm = bpy.context.window_manager
    for window in wm.windows if wm is not None else ():
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()


def timer() -> float:
    """One tick of :func:`.ticker.timer` once started (never raises: a dead timer would stop every update)."""
    from . import connection

    try:
        drain()
        if connection.take_changed():
            redraw_preferences()
    except Exception:
        log.exception("Movie Director: the job update failed; it will retry")
    return ticker.ACTIVE_INTERVAL if _imports or engine.has_active() else ticker.IDLE_INTERVAL
