"""Console and script API: the same job path as the buttons, callable from Blender's Python console or a
script run with ``blender -b --python``.

    import movie_director as md            # the alias the extension registers; or the bl_ext... name
    cam = bpy.data.objects["Shot_010"]
    cam.movie_director.prompt = "A lighthouse at dusk, waves crashing"
    job = md.generate_shot(cam, quality="preview")
    md.wait(job, timeout=600)               # drains while waiting: needed where timers never fire (-b)
    print(job.state, job.strip_name)

Defaults (servers, key, output folder) come from the add-on preferences, which fall back to the
``WAN2GP_URL``, ``WAVESPEED_API_KEY`` and ``WAVESPEED_BASE_URL`` environment variables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import bpy

from . import _API_NAMES
from .backend.base import GenerationResult
from .backend.errors import OfflineError
from .backend.jobs.request import ShotRef
from .backend.wan2gp.templates import Wan2GPConfigTemplates  # noqa: F401 - exported (_API_NAMES)
from .scene import budget, cast, props, shots
from .scene.config import get_preferences, output_root
from .session import drain, engine, shot_jobs, submit
from .session.cinematographer import (  # noqa: F401 - exported (_API_NAMES): the design notes' names
    Cinematographer,
    Wan2GPCinematographer,
    get_scene_shots,
)

__all__ = sorted(_API_NAMES)

ShotNotReadyError = submit.ShotNotReadyError


class Job:
    """A handle on one job. Its fields are read live from the job engine (and the shot)."""

    def __init__(self, job_id: str, shot: str = "") -> None:
        self.id = job_id
        self.shot = shot

    def __repr__(self) -> str:
        info = self.info()
        state = info.state if info else "unknown"
        return f"<movie_director.Job {self.id} shot={self.shot!r} state={state}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def info(self) -> Any:
        """The engine's snapshot (state, fraction, text, remote_id, result, error), or None if unknown."""
        manager = engine.current()
        if manager is None:
            return None
        try:
            return manager.job(self.id)
        except KeyError:
            return None

    @property
    def state(self) -> str:
        info = self.info()
        return str(info.state) if info else "unknown"

    @property
    def done(self) -> bool:
        """Finished in the engine and, when it succeeded, its clip cut into the Sequencer."""
        info = self.info()
        if info is None:
            return True
        return info.state.terminal and not _import_pending(self.id)

    @property
    def fraction(self) -> float:
        info = self.info()
        return info.fraction if info else -1.0

    @property
    def result(self) -> GenerationResult | None:
        info = self.info()
        return info.result if info else None

    @property
    def error(self) -> str:
        info = self.info()
        return info.error_message if info else ""

    @property
    def strip_name(self) -> str:
        """The Sequencer strip the job's clip went to ("" until it is there)."""
        obj = shots.find_shot(self.shot)
        if obj is None or obj.movie_director.job_id != self.id or obj.movie_director.status != "DONE":
            return ""
        return obj.movie_director.strip_name

    def cancel(self) -> bool:
        return cancel(self)

    def wait(self, timeout: float | None = None) -> Job:
        wait(self, timeout=timeout)
        return self


def _import_pending(job_id: str) -> bool:
    from .session import strip_jobs

    return shot_jobs.import_pending(job_id) or strip_jobs.import_pending(job_id)


def _camera(camera: Any) -> bpy.types.Object:
    obj = bpy.data.objects.get(camera) if isinstance(camera, str) else camera
    if not shots.is_shot(obj):
        raise ShotNotReadyError(f"{camera!r} is not a camera object (each camera is a shot).")
    return obj


def generate_shot(camera: Any, quality: str = "preview") -> Job:
    """Queue a generation for ``camera`` (an object or its name). Raises :class:`ShotNotReadyError`."""
    obj = _camera(camera)
    done = submit.submit_shot(obj, quality)
    return Job(done.job_id, obj.name)


def generate_all(
    scene: bpy.types.Scene | str | None = None, quality: str = "preview", max_cost: float | None = None
) -> list[Job]:
    """Queue every shot of ``scene`` (default: the current one) that is ready; others are skipped.

    Over the project's budget or ``max_cost`` (USD, the batch's estimated total), nothing is queued and
    :class:`ShotNotReadyError` gives the numbers."""
    scene = _scene(scene)
    submitted, _skipped = submit.submit_all(scene, quality, max_cost=max_cost)
    return [Job(s.job_id, s.shot) for s in submitted]


def _scene(scene: bpy.types.Scene | str | None) -> bpy.types.Scene:
    if isinstance(scene, str):
        scene = bpy.data.scenes[scene]
    return scene or bpy.context.scene


def set_budget(scene: bpy.types.Scene | str | None, usd: float | None) -> None:
    """Cap what the project (the scene's shots) may spend, in USD; None removes the cap. A job that would
    pass it is refused before anything is sent. Raises ValueError for 0 or less."""
    budget.set_limit(_scene(scene), usd)


def spent(scene: bpy.types.Scene | str | None = None) -> float:
    """What the takes of the scene's shots cost so far, in USD (quoted or estimated; takes of unknown cost
    are not counted)."""
    return budget.spent(_scene(scene)).usd


def fetch_result(camera: Any) -> Job:
    """Fetch a failed shot's result again by its task id (never submitted or billed again); the new job.
    Raises :class:`ShotNotReadyError` when there is nothing to fetch (e.g. the service refused the job)."""
    obj = _camera(camera)
    return Job(submit.fetch_result(obj), obj.name)


def jobs() -> list[Job]:
    """Every job of this session, oldest first."""
    manager = engine.current()
    if manager is None:
        return []
    return [Job(info.job_id, info.request.shot.shot) for info in manager.jobs()]


def cancel(job: Job | str) -> bool:
    """Cancel a job (a started WaveSpeed task is abandoned: it may still be billed)."""
    job_id = job.id if isinstance(job, Job) else job
    obj = shots.find_shot(job.shot) if isinstance(job, Job) else None
    if obj is not None and obj.movie_director.job_id == job_id and props.is_active(obj.movie_director):
        submit.cancel_shot(obj)
        return True
    return engine.cancel(job_id)


def wait(job_or_jobs: Job | Iterable[Job], timeout: float | None = None, poll: float = 0.05) -> list[Job]:
    """Drain events until the jobs are finished and their clips are in the Sequencer.

    Scripts run with ``blender -b`` have no event loop, so timers never fire: this keeps things moving.
    Raises ``TimeoutError`` if ``timeout`` seconds pass first.
    """
    waiting = [job_or_jobs] if isinstance(job_or_jobs, Job) else list(job_or_jobs)
    return drain.wait_for(waiting, lambda job: job.done, lambda job: job.id, timeout, poll)


def resume(timeout: float | None = 60.0) -> list[Job]:
    """Resume the jobs an earlier session left in the open file's job store, with today's preferences
    (servers, keys, output folder, limits): the Shots panel's Resume button. Opening a file never does this
    by itself. Returns handles on the jobs started (``md.wait(md.resume())``); a job that cannot run today
    fails on its shot, saying why. Waits up to ``timeout`` s for the store to be read. Raises OfflineError
    when online access is off."""
    _require_online()
    from .session import earlier

    engine.earlier(timeout)
    started = earlier.resume()
    return [Job(job_id, (engine.shot_of(job_id) or ShotRef()).shot) for job_id in started]


def discard_jobs(timeout: float | None = 60.0) -> int:
    """Forget the jobs an earlier session left in the open file's job store (the panel's Discard); returns
    how many. A paid task still running on the service is not stopped."""
    from .session import earlier

    engine.earlier(timeout)
    return earlier.discard()


# --- Wan2GP: what the server offers, and finishing a clip (issue 16) -----
def _strip(strip: Any, scene: bpy.types.Scene | str | None = None) -> Any:
    if not isinstance(strip, str):
        return strip
    from .blender import compat

    editor = compat.sequence_editor(_scene(scene))
    found = compat.all_strips(editor).get(strip) if editor is not None else None
    if found is None:
        raise ShotNotReadyError(f"No strip named {strip!r} in the Sequencer.")
    return found


def finish(strip: Any, process: str, scene: bpy.types.Scene | str | None = None, **parameters: Any) -> Job:
    """Finish the clip on ``strip`` (a strip or its name) with WanGP's ``process`` (``"lanczos"``,
    ``"rife"``…, with its ``parameters``, e.g. ``multiplier=2.0``) on the Wan2GP MCP server: the strip
    menu's Finish. The result becomes a new take of the strip's shot (``md.wait`` it). Raises
    :class:`ShotNotReadyError` saying why it cannot run (e.g. the web UI route offers no postprocessing)."""
    _require_online()
    from .requests import strip as strip_requests
    from .session import strip_jobs, wan2gp_offer

    scene = _scene(scene)
    target = _strip(strip, scene)
    prefs = get_preferences()
    offer = wan2gp_offer.finish_offer(prefs)
    known = list(offer.processes) if offer is not None and offer.state == "done" else None
    try:
        reason = wan2gp_offer.finish_reason(prefs)
        if reason:
            raise strip_requests.ActionError(reason)
        planned = strip_requests.finish(target, scene, process, parameters, processes=known, prefs=prefs)
        job = strip_jobs.submit(
            planned.request, planned.credentials, action="finish", scene=scene.name, shot=planned.shot,
            strip=target.name, place="replace", frame=int(target.frame_final_start),
            quality=str(planned.request.quality),
        )  # fmt: skip
    except (strip_requests.ActionError, engine.OutputFolderError) as exc:
        raise ShotNotReadyError(str(exc)) from exc
    return Job(job.job_id, planned.shot)


def wan2gp_client(url: str | None = None) -> Any:
    """A Wan2GP client for ``url`` (default: the first server of the preferences) with the preferences'
    login and transport: ``client.list_models(available_only=False)``, ``client.list_loras(model_type)``,
    ``client.finish_processes(path)``. Its calls wait for the server: use it from scripts, and
    ``client.close()`` it when done."""
    _require_online()
    from .backend.wan2gp import Wan2GPClient
    from .requests.envelope import credentials_for, transport_for

    prefs = get_preferences()
    credentials = credentials_for("WAN2GP", prefs)
    return Wan2GPClient(
        url or prefs.wan2gp_urls()[0],
        auth=(credentials.username, credentials.password) if credentials.username else None,
        transport=transport_for("WAN2GP", prefs),
        connect_timeout=float(prefs.request_timeout),
    )


def list_models(available_only: bool = False, url: str | None = None) -> list[Any]:
    """The Wan2GP server's video models (records with ``model_type``, ``name``, ``available``, ``inputs``);
    ``available_only``: only those whose weights the server has. Waits for the server."""
    client = wan2gp_client(url)
    try:
        return list(client.list_models(available_only=available_only))
    finally:
        client.close()


def list_loras(model_type: str, url: str | None = None) -> list[Any]:
    """The LoRAs the Wan2GP server has for ``model_type`` (records with ``name``: what a shot's LoRA list
    takes). Needs WanGP's MCP server. Waits for the server."""
    client = wan2gp_client(url)
    try:
        return list(client.list_loras(model_type))
    finally:
        client.close()


# --- the cast (issue 17) -----
def _objects(items: Iterable[Any]) -> list[bpy.types.Object]:
    found = []
    for item in items:
        obj = bpy.data.objects.get(item) if isinstance(item, str) else item
        if obj is None:
            raise ValueError(f"No object named {item!r}")
        found.append(obj)
    return found


def add_cast_member(
    name: str,
    objects: Iterable[Any] = (),
    collection: Any = None,
    images: Iterable[str] = (),
    description: str = "",
    kind: str = "character",
    scene: bpy.types.Scene | str | None = None,
) -> str:
    """Add a cast member to ``scene`` (default: the current one): a ``kind`` ("character", "prop" or
    "place") that ``objects`` and/or ``collection`` (objects or names) stand for, with ``images`` as its
    reference pictures. Returns its name (made unique: "Keeper.001" when "Keeper" is taken). Raises
    ValueError for an unknown object, collection or kind."""
    target = _scene(scene)
    found = _objects(objects)
    group = bpy.data.collections.get(collection) if isinstance(collection, str) else collection
    if isinstance(collection, str) and group is None:
        raise ValueError(f"No collection named {collection!r}")
    return cast.add_member(target, name, found, group, images, description, kind).name


def render_cast_references(name: str, scene: bpy.types.Scene | str | None = None) -> list[str]:
    """Render the member's front, three-quarter and side pictures from its own objects (Workbench, 512 px,
    only its objects visible, neutral background) into ``<output folder>/cast``; they replace its earlier
    rendered pictures. Blocks while Blender renders. Returns the files. Raises ValueError (a
    ``cast.CastError``) for an unknown member or one with nothing visible to render."""
    target = _scene(scene)
    member = cast.find_member(target, name)
    if member is None:
        raise cast.CastError(f"No cast member named {name!r}")
    return [str(path) for path in cast.render_references(target, member)]


def cast_in_shot(camera: Any) -> list[str]:
    """The names of the cast members in the shot: those the camera sees at some frame of the shot's range
    (camera and object animation included, hidden objects not), plus the shot's included ones, minus its
    excluded ones; nearest first (by the member's smallest distance to the camera over the shot's frames where
    it is in view; included members it never sees last, in cast order)."""
    return cast.names_in_shot(_camera(camera))


# --- the backend functions, with the preferences' defaults -----
def _require_online() -> None:
    reason = shots.offline_reason()
    if reason:
        raise OfflineError(reason + ".")


def quick_video(prompt: str, url: str | None = None, **kwargs: Any) -> str:
    """Generate a short preview on Wan2GP and return the file path (blocks until it is done)."""
    _require_online()
    from .backend.wan2gp import quick_video as backend_quick_video

    prefs = get_preferences()
    url = url or prefs.wan2gp_urls()[0]
    kwargs.setdefault("output_dir", output_root(prefs))
    return backend_quick_video(prompt, url=url, **kwargs)


async def ai_video_generate(prompt: str, provider: str = "wavespeed", **kwargs: Any) -> GenerationResult:
    """``await`` one generation on WaveSpeed or Wan2GP (see ``backend.generate``), preferences filled in."""
    _require_online()
    from .backend.generate import ai_video_generate as backend_generate

    prefs = get_preferences()
    if provider == "wavespeed":
        kwargs.setdefault("api_key", prefs.effective_wavespeed_api_key())
        kwargs.setdefault("base_url", prefs.effective_wavespeed_base_url())
    else:
        kwargs.setdefault("url", prefs.wan2gp_urls()[0])
    kwargs.setdefault("output_dir", output_root(prefs))
    return await backend_generate(prompt, provider=provider, **kwargs)
