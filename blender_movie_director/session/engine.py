"""The one JobManager of this Blender session.

Created on first use with its job store in the output folder (so a job outlives a Blender crash and can be
resumed), shut down on unregister (no worker thread survives it), and re-attached after a file is loaded.
Re-attaching reads the new file's store on the manager's own thread and starts nothing: jobs of an earlier
session wait for the user's Resume (see :mod:`.earlier`). Main thread only, except
:class:`~.backend.jobs.manager.JobManager` itself, which is thread-safe.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..backend.files import folder_problem
from ..backend.jobs.request import Backend, Credentials, GenerationRequest, ShotRef
from ..backend.jobs.store import STORE_FILE_NAME, JobStoreError

log = logging.getLogger(__name__)

_manager: Any = None
#: job id -> the shot it belongs to (by name); filled at submit and resume, read by the drain.
_job_shots: dict[str, ShotRef] = {}
#: Jobs whose end the drain has not handled yet (cheap "is anything running" for the timer).
_active: set[str] = set()


def current() -> Any:
    """The manager if one exists (never creates one: the drain must stay cheap when nothing ran)."""
    return _manager


def store_path() -> Path:
    from ..scene.config import output_root

    return Path(output_root()) / STORE_FILE_NAME


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
    """Queue ``request`` (never blocks); raises :class:`OutputFolderError` naming an unusable folder, or
    :class:`.budget.BudgetError` when it would pass its project's budget (nothing is sent then)."""
    from . import budget  # every job enters here: the shots, the batch, the strip tools, the console

    price = budget.admit(request, _active)
    problem = folder_problem(store_path().parent) or folder_problem(request.output_dir)
    if problem:
        raise OutputFolderError(problem)
    try:
        job_id = get().submit(request, credentials)
    except JobStoreError as exc:  # checked above, but a full disk or a race still ends here
        raise OutputFolderError(exc.user_message) from exc
    _job_shots[job_id] = request.shot
    _active.add(job_id)
    budget.track(job_id, request, price)
    return job_id


def refetch(job_id: str, credentials: Credentials, context: Any = None) -> str:
    """A new job fetching the failed job's result by its remote id (nothing submitted); its id.

    A job of an earlier session (known only from the store) is rebuilt with ``context`` (today's
    ``ResumeContext``), never with the servers or folders its record names."""
    ref = shot_of(job_id)
    manager = get()
    try:
        manager.job(job_id)
    except KeyError:  # from the store only: today's context, built from the preferences
        if context is None:
            from ..requests.envelope import resume_context

            context = resume_context()
        new_id = manager.refetch(job_id, context)
    else:
        new_id = manager.refetch(job_id, credentials)
    if ref is None:
        record = manager.stored(job_id)
        ref = record.request.shot if record is not None else None
    if ref is not None:
        _job_shots[new_id] = ref
    _active.add(new_id)
    return new_id


def has_active() -> bool:
    return bool(_active)


def active_ids() -> frozenset[str]:
    """The jobs whose end the drain has not handled yet."""
    return frozenset(_active)


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
    """Stop every worker thread. Unfinished jobs stay in the store, offered to a later session."""
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


def reattach() -> None:
    """After a file load: follow the new file's output folder and read its job store. Puts NOTHING on the
    network and starts nothing: the store is read on the engine's own thread, and the jobs an earlier
    session left are offered (:func:`earlier`) until the user resumes (:func:`resume`) or discards them.

    A manager with jobs still running keeps going (its events find their shots by name in the new file,
    or are dropped if the shots are gone). An idle manager whose store belongs to another folder is
    replaced. Main-thread cost: a ``stat`` of the store and, when there is one, starting that thread.
    """
    if _manager is not None and not active_jobs() and _manager.store_path != store_path():
        shutdown()
    if _manager is None and store_path().is_file():
        get()


def earlier(timeout: float = 0.0) -> Any:
    """What the store beside the open file holds from an earlier session (an ``EarlierJobs``); never
    blocks longer than ``timeout``. Without a manager: nothing."""
    from ..backend.jobs.manager import EarlierJobs

    if _manager is None:
        return EarlierJobs(loaded=True)
    return _manager.earlier(timeout)


def resume(context: Any, *, background: bool = False) -> list[str]:
    """Start the offered jobs with today's ``context`` (a ``ResumeContext`` built from the preferences);
    returns the ids of the jobs started. The others end at once, each failing on its shot with the reason.
    ``background``: on the manager's own thread (the button: the click returns at once; returns [])."""
    manager = get()
    # Before any event of theirs reaches the drain (their shots are found through the manager: shot_of).
    _active.update(record.job_id for record in manager.earlier(timeout=None).records)
    if background:
        manager.resume_in_background(context)
        return []
    return manager.resume(context)


def discard() -> int:
    """Drop the offered jobs from the store. Returns how many."""
    return 0 if _manager is None else _manager.discard()
