"""The one JobManager of this Blender session.

Created on first use with its job store in the output folder (so a job outlives a Blender crash and can be
resumed), shut down on unregister (no worker thread survives it), and re-attached after a file is loaded.
Main thread only, except :class:`~.backend.jobs.manager.JobManager` itself, which is thread-safe.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..backend.files import folder_problem
from ..backend.jobs.request import Backend, Credentials, GenerationRequest, ShotRef
from ..backend.jobs.store import STORE_FILE_NAME

log = logging.getLogger(__name__)

_manager: Any = None
#: job id -> the shot it belongs to (by name); filled at submit and recover, read by the drain.
_job_shots: dict[str, ShotRef] = {}
#: Jobs whose end the drain has not handled yet (cheap "is anything running" for the timer).
_active: set[str] = set()


def current() -> Any:
    """The manager if one exists (never creates one: the drain must stay cheap when nothing ran)."""
    return _manager


def store_path() -> Path:
    from ..scene import shots

    return Path(shots.output_root()) / STORE_FILE_NAME


def get() -> Any:
    """The manager, created on first use."""
    global _manager
    if _manager is None:
        from ..backend.jobs.manager import JobManager
        from ..blender import ticker
        from ..scene.config import get_preferences

        prefs = get_preferences()
        ticker.start()  # its events reach Blender through the drain
        _manager = JobManager(
            store_path(),
            limits={Backend.WAN2GP: prefs.wan2gp_limit(), Backend.WAVESPEED: prefs.wavespeed_concurrency},
        )
    return _manager


def use_manager(manager: Any) -> None:
    """Make ``manager`` the session's manager (tests and benchmarks bring their own runners).

    The previous one is shut down first.
    """
    global _manager
    shutdown()
    _manager = manager
    if manager is not None:
        from ..blender import ticker

        ticker.start()


class OutputFolderError(ValueError):
    """The output folder (the preference, or a job's own folder in it) cannot take results; says which."""


def submit(request: GenerationRequest, credentials: Credentials) -> str:
    """Queue ``request`` (never blocks); raises :class:`OutputFolderError` naming an unusable folder."""
    problem = folder_problem(store_path().parent) or folder_problem(request.output_dir)
    if problem:
        raise OutputFolderError(problem)
    job_id = get().submit(request, credentials)
    _job_shots[job_id] = request.shot
    _active.add(job_id)
    return job_id


def refetch(job_id: str, credentials: Credentials) -> str:
    """A new job fetching the failed job's result by its remote id (nothing submitted); its id."""
    ref = shot_of(job_id)
    new_id = get().refetch(job_id, credentials)
    if ref is not None:
        _job_shots[new_id] = ref
    _active.add(new_id)
    return new_id


def has_active() -> bool:
    return bool(_active)


def forget_active(job_id: str) -> None:
    _active.discard(job_id)


def shot_of(job_id: str) -> ShotRef | None:
    ref = _job_shots.get(job_id)
    if ref is None and _manager is not None:
        try:
            ref = _manager.job(job_id).request.shot
        except KeyError:
            return None
        _job_shots[job_id] = ref
    return ref


def cancel(job_id: str, *, abandon_paid: bool = True) -> bool:
    if _manager is None:
        return False
    return _manager.cancel(job_id, abandon_paid=abandon_paid)


def active_jobs() -> list[Any]:
    if _manager is None:
        return []
    return [info for info in _manager.jobs() if not info.state.terminal and info.state != "interrupted"]


def apply_limits(prefs: Any) -> None:
    if _manager is not None:
        _manager.set_limit(Backend.WAN2GP, prefs.wan2gp_limit())
        _manager.set_limit(Backend.WAVESPEED, prefs.wavespeed_concurrency)


def shutdown(timeout: float = 10.0) -> bool:
    """Stop every worker thread. Unfinished jobs stay in the store for a later ``recover``."""
    global _manager
    manager, _manager = _manager, None
    _job_shots.clear()
    _active.clear()
    if manager is None:
        return True
    clean = manager.shutdown(timeout=timeout)
    if not clean:
        log.warning("Movie Director: some job threads did not stop within %.0f s", timeout)
    return clean


def follow_output_folder() -> bool:
    """After a save: an idle manager whose store is not in the (possibly new) output folder is let go, so the
    next job's record lands beside the .blend and a later session finds it. Returns whether it was."""
    if _manager is None or has_active() or active_jobs() or _manager.store_path == store_path():
        return False
    shutdown()
    return True


def reattach() -> list[str]:
    """After a file load: follow the new file's output folder, and resume its unfinished jobs.

    A manager with jobs still running keeps going (its events find their shots by name in the new file,
    or are dropped if the shots are gone). An idle manager whose store belongs to another folder is
    replaced. Jobs an earlier session left unfinished are resumed if online access allows it.
    """
    from ..scene import shots
    from ..scene.config import get_preferences

    if _manager is not None and not active_jobs() and _manager.store_path != store_path():
        shutdown()
    if shots.offline_reason():
        return []
    if _manager is None and not store_path().is_file():
        return []
    prefs = get_preferences()
    manager = get()
    resumed = manager.recover(lambda backend: shots.credentials_for(str(backend).upper(), prefs))
    for job_id in resumed:
        shot_of(job_id)
        _active.add(job_id)
    return resumed
