"""Jobs from an earlier session: the offer after a file load, and the user's Resume or Discard.

Opening a file puts nothing on the network. The engine reads the job store beside the file on its own
thread (:func:`.engine.reattach`); this module turns what it found into what the Shots panel shows ("3 jobs
from an earlier session: Resume · Discard", the damaged-line notices, Blender's own distrust of the file),
marks the shots whose jobs wait for that click, and on the click builds today's ``ResumeContext`` from
the preferences (``requests.envelope.resume_context``), never from the store.

Main thread only (reads ``bpy`` and the preferences); :func:`tick` is called by the drain's timer and costs a
flag check once the offer is known.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import bpy

from ..backend.jobs.manager import EarlierJobs
from ..requests import envelope
from ..scene import props, shots
from . import engine

WAITING_TEXT = "A job from an earlier session: Resume it in the Shots panel, or generate again."

#: The offer the shots were last marked for (so :func:`tick` marks them once per load).
_marked: EarlierJobs | None = None


def offer() -> EarlierJobs:
    """What the store beside the open file holds from an earlier session (never blocks)."""
    return engine.earlier()


def untrusted_reason() -> str:
    """Why Blender itself does not trust the open file ("" when it does), for the line beside Resume.

    Blender's own rule (``BKE_autoexec_match``): a file's scripts run when "Auto Run Python Scripts" is on
    and the file is not under one of the excluded paths (a prefix, or a glob pattern). Blender 4.2 to 5.0
    expose the same properties for it, so no version switch is needed (blender/compat.py)."""
    if getattr(bpy.app, "autoexec_fail", False):
        return "Blender blocked this file's scripts: check who wrote it before you resume its jobs."
    filepaths = bpy.context.preferences.filepaths
    if not filepaths.use_scripts_auto_execute:
        return "Blender does not trust this file (auto-run of scripts is off): check who wrote it."
    path = bpy.data.filepath
    for excluded in bpy.context.preferences.autoexec_paths:
        pattern = bpy.path.abspath(excluded.path) if excluded.path else ""
        if pattern and (fnmatch.fnmatch(path, pattern) if excluded.use_glob else path.startswith(pattern)):
            return "This file is in a folder Blender does not trust: check who wrote it before you resume."
    return ""


def resume(prefs: Any | None = None, *, background: bool = False) -> list[str]:
    """The user's word: start the offered jobs with today's context. Returns the ids of the jobs started
    (the others failed, each on its shot with the reason); ``background`` (the button): checked and started
    on the engine's own thread, returns []. Raises OfflineError when online access is off."""
    from ..backend.errors import OfflineError

    offline = shots.offline_reason()
    if offline:
        raise OfflineError(offline)
    return engine.resume(envelope.resume_context(prefs), background=background)


def discard() -> int:
    """Drop the offered jobs from the store; their shots stop waiting. Returns how many."""
    records = offer().records
    count = engine.discard()
    ids = {r.job_id for r in records}
    for settings in _shot_settings():
        if settings.job_id in ids and settings.status == "INTERRUPTED":
            settings.progress_text = "Discarded: generate the shot again to make a new clip."
    return count


def tick() -> bool:
    """From the drain's timer: once the store's offer is known, mark the shots it concerns. True when it
    changed what the panel shows (the caller redraws the sidebars)."""
    global _marked
    current = offer()
    if not current.loaded or current is _marked:
        return False
    _marked = current
    mark_shots(current)
    return True


def mark_shots(current: EarlierJobs | None = None) -> int:
    """Shots saved mid-job: a job the engine runs is left alone; one the store offers waits for Resume; one
    nobody knows is interrupted, saying so (instead of spinning forever). Returns how many were marked."""
    current = current or offer()
    manager = engine.current()
    offered = {r.job_id for r in current.records}
    count = 0
    for settings in _shot_settings():
        if not props.is_active(settings):
            continue
        if manager is not None:
            try:
                manager.job(settings.job_id)
                continue
            except KeyError:
                pass
        if not current.loaded and engine.store_path().is_file():
            continue  # still reading the store: decided when it is read (tick)
        settings.status = "INTERRUPTED"
        settings.in_batch = False
        settings.progress_text = WAITING_TEXT if settings.job_id in offered else _lost_text()
        count += 1
    return count


def _lost_text() -> str:
    return "Blender closed while this shot was generating, and no job for it was found; generate it again."


def _shot_settings() -> list[Any]:
    return [obj.movie_director for obj in bpy.data.objects if obj.type == "CAMERA"]
