"""The one job path for a shot, shared by the buttons, the batch and the console API.

Validate on the main thread, snapshot the shot into a frozen request, hand it to the job manager (which never
blocks) and mark the shot as queued. Results come back through the drain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bpy

from ..backend.errors import BackendError
from ..blender import compat
from ..requests import references as shot_references
from ..requests import shot as shot_requests
from ..requests.envelope import credentials_for
from ..scene import budget as scene_budget
from ..scene import props, shots
from ..scene.config import get_preferences
from . import budget, engine, wan2gp_offer


class ShotNotReadyError(ValueError):
    """The shot cannot be generated now; the message says why and how to fix it."""


@dataclass(frozen=True)
class Submitted:
    job_id: str
    shot: str
    quality: str
    backend: str
    seed: int


def submit_shot(
    obj: bpy.types.Object,
    quality: str = "PREVIEW",
    *,
    batch: bool = False,
    context: bpy.types.Context | None = None,
) -> Submitted:
    """Queue a generation for shot ``obj``; raises :class:`ShotNotReadyError` if it cannot run."""
    context = context or bpy.context
    quality = quality.upper()
    if quality not in ("PREVIEW", "FINAL"):
        raise ShotNotReadyError(f"Quality must be 'preview' or 'final', not {quality.lower()!r}.")
    prefs = get_preferences(context)
    reason = shots.why_not_generate(obj, prefs)
    if reason:
        raise ShotNotReadyError(reason + ".")
    scene = shots.scene_of(obj, context)
    settings = obj.movie_director
    seed = shot_requests.next_seed(settings)
    try:
        request, credentials = shot_requests.build_request(
            obj, quality, batch=batch, prefs=prefs, scene=scene, seed=seed
        )
    except shot_references.ReferenceError as exc:  # a cast picture that cannot be sent (issue 17)
        raise ShotNotReadyError(str(exc)) from exc
    except (BackendError, ValueError, TypeError) as exc:
        raise ShotNotReadyError(f"Shot '{obj.name}' has settings the backend cannot use: {exc}") from exc
    refusal = wan2gp_offer.refusal(request, prefs)  # what the server said it lacks (issue 16), no network
    if refusal:
        raise ShotNotReadyError(f"Shot '{obj.name}': {refusal}")
    try:
        job_id = engine.submit(request, credentials)
    except (engine.OutputFolderError, budget.BudgetError) as exc:
        raise ShotNotReadyError(str(exc)) from exc
    settings.seed = seed
    settings.job_id = job_id
    settings.job_quality = quality
    settings.status = "QUEUED"
    settings.progress = 0.0
    settings.progress_text = "Queued"
    settings.last_error = ""
    settings.error_kind = ""
    settings.remote_id = ""
    settings.in_batch = batch
    settings.target_scene = _sequencer_scene_name(context, scene)
    return Submitted(job_id, obj.name, quality, settings.backend, seed)


def _sequencer_scene_name(context: bpy.types.Context, scene: bpy.types.Scene) -> str:
    try:
        shown = compat.sequencer_scene(context)
    except (AttributeError, ReferenceError):
        shown = None
    return (shown or scene).name


def batch_estimate(
    scene: bpy.types.Scene,
    quality: str = "PREVIEW",
    *,
    context: bpy.types.Context | None = None,
    objs: list[bpy.types.Object] | None = None,
) -> budget.Estimate:
    """What Preview All / Final All (or the shots ``objs``) would cost, over the shots that can run: from the
    price list only, no network."""
    context = context or bpy.context
    prefs = get_preferences(context)
    requests = []
    for obj in shots.scene_shots(scene) if objs is None else objs:
        if shots.why_not_generate(obj, prefs):
            continue
        try:
            request, _credentials = shot_requests.build_request(
                obj, quality.upper(), batch=True, prefs=prefs, scene=scene, seed=0
            )
        except (BackendError, ValueError, TypeError):
            continue  # submit_all reports it as skipped
        requests.append(request)
    return budget.estimate(requests)


def check_batch(
    scene: bpy.types.Scene,
    quality: str = "PREVIEW",
    *,
    context: bpy.types.Context | None = None,
    objs: list[bpy.types.Object] | None = None,
    max_cost: float | None = None,
) -> None:
    """Raise :class:`ShotNotReadyError` (with the numbers) if the batch (every shot of ``scene``, or
    ``objs``) would pass the project's budget or ``max_cost`` USD, or has an unknown price while either is
    set."""
    try:
        if max_cost is not None or scene_budget.limit(scene) is not None:
            total = batch_estimate(scene, quality, context=context, objs=objs)
            budget.check_batch(scene, total, engine.active_ids(), max_cost=max_cost)
    except budget.BudgetError as exc:
        raise ShotNotReadyError(str(exc)) from exc


def submit_all(
    scene: bpy.types.Scene,
    quality: str = "PREVIEW",
    *,
    context: bpy.types.Context | None = None,
    max_cost: float | None = None,
) -> tuple[list[Submitted], list[str]]:
    """Queue every shot of ``scene`` that can run. Returns (submitted, reasons the others were skipped).

    The whole batch is priced first: if it would pass the project's budget or ``max_cost`` (USD), or a
    price is unknown while either is set, :class:`ShotNotReadyError` says so and NOTHING is submitted."""
    check_batch(scene, quality, context=context, max_cost=max_cost)
    submitted: list[Submitted] = []
    skipped: list[str] = []
    for obj in shots.scene_shots(scene):
        try:
            submitted.append(submit_shot(obj, quality, batch=True, context=context))
        except ShotNotReadyError as exc:
            skipped.append(str(exc))
    state = scene.movie_director
    state.batch_quality = quality.upper()
    state.batch_size = len(submitted)
    return submitted, skipped


def cancel_shot(obj: bpy.types.Object) -> str:
    """Cancel the shot's running job; returns what happened, in words."""
    settings = obj.movie_director
    if not props.is_active(settings):
        return f"Shot '{obj.name}' has no running job."
    job_id = settings.job_id
    manager = engine.current()
    known = False
    if manager is not None:
        try:
            manager.job(job_id)
            known = True
        except KeyError:
            known = False
    if not known:
        # Not running in this session (e.g. a file saved mid-job): nothing to stop, just say so.
        settings.status = "CANCELLED"
        settings.progress_text = "Cancelled (the job was not running in this Blender session)."
        settings.in_batch = False
        engine.forget_active(job_id)
        return f"Shot '{obj.name}': cancelled."
    engine.cancel(job_id, abandon_paid=True)
    settings.progress_text = "Cancelling"
    return f"Shot '{obj.name}': cancelling."


#: Failures where the service refused the job's content or settings: its task has no result to fetch.
_NOTHING_TO_FETCH = frozenset({"moderation", "validation"})


def fetch_reason(obj: bpy.types.Object | None) -> str:
    """Why the shot's failed job cannot be fetched again ("" when it can)."""
    if obj is None or not shots.is_shot(obj):
        return "Select a camera: each camera is a shot"
    settings = obj.movie_director
    if settings.status != "FAILED" or not settings.remote_id or not settings.job_id:
        return "Only a failed shot whose task reached the service can be fetched again"
    if settings.error_kind in _NOTHING_TO_FETCH:
        return "The service refused this job's content or settings: there is no result to fetch"
    return shots.offline_reason()


def fetch_result(obj: bpy.types.Object, *, context: bpy.types.Context | None = None) -> str:
    """Fetch the failed job's result again by its task id (never submitted or billed again); the new job id.
    Raises :class:`ShotNotReadyError` when there is nothing to fetch."""
    reason = fetch_reason(obj)
    if reason:
        raise ShotNotReadyError(reason + ".")
    settings = obj.movie_director
    credentials = credentials_for(settings.backend, get_preferences(context or bpy.context))
    try:
        job_id = engine.refetch(settings.job_id, credentials)
    except (KeyError, ValueError) as exc:
        raise ShotNotReadyError(f"The result of '{obj.name}' cannot be fetched again: {exc}.") from exc
    settings.job_id = job_id
    settings.status = "QUEUED"
    settings.progress = 0.0
    settings.progress_text = f"Fetching the result of task {settings.remote_id}"
    settings.last_error = ""
    settings.error_kind = ""
    return job_id


def batch_progress(scene: bpy.types.Scene) -> tuple[float, int, int]:
    """(overall fraction, shots finished, shots in the batch) of the scene's Generate All batch."""
    members = [obj for obj in shots.scene_shots(scene) if obj.movie_director.in_batch]
    total = scene.movie_director.batch_size
    if total <= 0:
        return 0.0, 0, 0
    running = sum(obj.movie_director.progress for obj in members)
    finished = max(0, total - len(members))
    return min(1.0, (finished + running) / total), finished, total


def describe(obj: Any) -> str:
    """The shot's state in one line of words (status, progress, error)."""
    settings = obj.movie_director
    status = settings.bl_rna.properties["status"].enum_items[settings.status].name
    if settings.status == "FAILED":
        return f"{status}: {settings.last_error}"
    if props.is_active(settings):
        percent = f" {settings.progress * 100:.0f}%" if settings.progress > 0 else ""
        return f"{status}{percent}: {settings.progress_text}" if settings.progress_text else status + percent
    return f"{status}: {settings.progress_text}" if settings.progress_text else status
