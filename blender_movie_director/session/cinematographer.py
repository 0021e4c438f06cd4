"""The design notes' Cinematographer: a script drives a scene's shots and gets each one's result back.

``Cinematographer`` is a thin script-side face on the one job path: every shot goes through
:func:`.submit.submit_shot` (the Preview / Final buttons' path, whatever the shot's backend: Wan2GP or
WaveSpeed), and the results are waited for the way ``md.wait`` waits (:func:`.drain.wait_for`), so the clips
are cut into the Sequencer and become takes exactly as a click would make them. ``Wan2GPCinematographer``
(the seed document's name) is the same class with Wan2GP as the backend of the work that has no shot:
``setup_connection`` and ``generate_with_fallback``.

Results are :class:`~.backend.base.GenerationResult` (attribute access, and ``result["success"]`` for
the design notes' scripts). A shot that cannot run (no prompt, online access off, ...) gives a failed
result saying why instead of raising, so one bad shot never stops a batch.

Threading contract: main thread only, in scripts and the Python console. Every method blocks until its
jobs end (that is the point of a script API); no button or panel calls this module, since the UI must
never wait. Online access is respected: while it is off, nothing here touches the network.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import bpy

from ..backend.base import GenerationResult
from ..backend.errors import BackendError, ErrorKind
from ..backend.jobs.request import PRIORITY_FINAL, PRIORITY_PREVIEW, Quality, ShotRef
from ..backend.wan2gp import fallback
from ..requests import shot as shot_requests
from ..requests.envelope import envelope
from ..scene import camera_motion, camera_prompt, props, shots, tool_props
from ..scene.config import CONNECTION_TIMEOUT, get_preferences
from . import connection, drain, engine, shot_jobs, submit

#: The design notes' quality words -> the product's two qualities. "standard" (their middle tier,
#: "balanced quality and speed") is a preview: the product has a preview and a final, nothing between.
QUALITIES = {
    "preview": "PREVIEW",
    "quick": "PREVIEW",
    "fast": "PREVIEW",
    "draft": "PREVIEW",
    "standard": "PREVIEW",
    "final": "FINAL",
    "high": "FINAL",
    "high_quality": "FINAL",
    "best": "FINAL",
}
BACKENDS = ("WAN2GP", "WAVESPEED")


def get_scene_shots(scene_or_name: bpy.types.Scene | str | None = None) -> list[bpy.types.Object]:
    """The shots (cameras) of a scene, or of the scene named so, in timeline order (default: the current
    scene). Raises ``KeyError`` naming the scenes there are for an unknown name."""
    scene = scene_or_name
    if scene is None:
        scene = bpy.context.scene
    elif isinstance(scene, str):
        found = bpy.data.scenes.get(scene)
        if found is None:
            known = ", ".join(s.name for s in bpy.data.scenes)
            raise KeyError(f"No scene named {scene_or_name!r}. Scenes: {known}")
        scene = found
    return shots.scene_shots(scene)


def quality_of(word: str) -> str:
    """``"PREVIEW"`` or ``"FINAL"`` for a quality word (see :data:`QUALITIES`)."""
    key = str(word).strip().lower().replace(" ", "_")
    if key not in QUALITIES and key.upper() not in ("PREVIEW", "FINAL"):
        raise ValueError(f"Unknown quality {word!r}. Known: {', '.join(QUALITIES)}")
    return QUALITIES.get(key, key.upper())


def _failed(message: str, kind: ErrorKind, **metadata: Any) -> GenerationResult:
    return GenerationResult(success=False, error_message=message, error_kind=kind, metadata=metadata)


def _refused(message: str, **metadata: Any) -> GenerationResult:
    """A job that never started: offline, or the shot or its settings cannot run."""
    kind = ErrorKind.OFFLINE if shots.offline_reason() else ErrorKind.VALIDATION
    return _failed(message, kind, **metadata)


class Cinematographer:
    """Generate shots from a script and return their results (see the module docstring).

    ``backend`` (``"WAN2GP"`` or ``"WAVESPEED"``) is for the work that has no shot: the connection check
    and :meth:`generate_with_fallback`. Shots always run on their own backend setting. ``timeout`` is
    how many seconds each call waits for its jobs (None: no limit; then ``TimeoutError``, as ``md.wait``).
    """

    def __init__(self, backend: str = "WAN2GP", *, timeout: float | None = 600.0) -> None:
        backend = backend.upper()
        if backend not in BACKENDS:
            raise ValueError(f"Unknown backend {backend!r}. Known: {', '.join(BACKENDS)}")
        self.backend = backend
        self.timeout = timeout
        #: The last :meth:`setup_connection` answer, in words ("" before the first).
        self.connection_message = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(backend={self.backend!r}, timeout={self.timeout!r})"

    # --- the connection -----
    def setup_connection(self, timeout: float | None = None) -> bool:
        """Ask the configured server (Wan2GP: every address in the preferences; WaveSpeed: the key and
        endpoint) whether it answers; True when it does. Blocks up to about ``timeout`` s per server (a
        script may wait; the preferences' Test Connection button runs the same check in a thread). While
        online access is off this returns False without contacting anything. The answer, in words, is
        kept in :attr:`connection_message`."""
        offline = shots.offline_reason()
        prefs = get_preferences()
        reason = offline or shots.backend_reason(self.backend, prefs)
        if reason:
            self.connection_message = reason
            return False
        limit = min(CONNECTION_TIMEOUT, prefs.request_timeout) if timeout is None else timeout
        try:
            if self.backend == "WAVESPEED":
                ok, text = connection.check_wavespeed(
                    prefs.effective_wavespeed_api_key(), prefs.effective_wavespeed_base_url(), limit
                )
            else:
                ok, text = connection.check_wan2gp(
                    prefs.wan2gp_urls(), prefs.wan2gp_username, prefs.wan2gp_password, limit
                )
        except BackendError as exc:
            ok, text = False, exc.user_message
        self.connection_message = text
        return ok

    # --- shots -----
    def generate_shot(self, shot_obj: Any, quality: str = "preview") -> GenerationResult:
        """One shot through the one job path (the Preview / Final button's), waited for."""
        submitted = self._submit(shot_obj, quality)
        if isinstance(submitted, GenerationResult):
            return submitted
        return self._wait([submitted])[0]

    def generate_shot_preview(self, shot_obj: Any) -> GenerationResult:
        """The shot at preview quality (the Preview button), waited for."""
        return self.generate_shot(shot_obj, "preview")

    def generate_shot_final(self, shot_obj: Any) -> GenerationResult:
        """The shot at final quality (the Final button), waited for."""
        return self.generate_shot(shot_obj, "final")

    def generate_scene_batch(
        self, scene_shots: Iterable[Any] | bpy.types.Scene | str, quality: str = "standard"
    ) -> list[dict[str, Any]]:
        """Every shot at once (each on its own backend, as many at a time as the preferences allow), then
        wait for all: ``[{"shot": obj, "result": result}, ...]`` in the order given. ``scene_shots`` may
        also be a scene or a scene's name (its shots in timeline order)."""
        if isinstance(scene_shots, str | bpy.types.Scene):
            scene_shots = get_scene_shots(scene_shots)
        started = [(obj, self._submit(obj, quality)) for obj in scene_shots]
        jobs = [job for _obj, job in started if isinstance(job, str)]
        done = dict(zip(jobs, self._wait(jobs), strict=True))
        return [
            {"shot": obj, "result": job if isinstance(job, GenerationResult) else done[job]}
            for obj, job in started
        ]

    def generate_with_camera_control(
        self, shot_obj: Any, camera_movements: Sequence[str], quality: str = "preview"
    ) -> GenerationResult:
        """The shot with ``camera_movements`` (``["zoom_in", "pan_right"]``; see
        :data:`.camera_motion.NAMED_MOVES`) as the camera-motion words of its prompt, in the phrasing of
        the shot's model. The camera's own animation wins where it says more (a move it makes keeps its
        direction and speed; its other moves stay). Only this job uses the words: the shot's own
        camera-motion settings are left as they were. Raises ``ValueError`` for an unknown movement name."""
        requested = camera_motion.moves_from_names(list(camera_movements))
        obj = self._object(shot_obj)
        if not shots.is_shot(obj):
            return _refused(f"{shot_obj!r} is not a camera object (each camera is a shot).")
        scene = shots.scene_of(obj)
        settings = obj.movie_director
        model = shot_requests.model_for_task(
            settings.backend, props.shot_model(settings).strip(), bool(settings.image_input)
        )
        own = camera_prompt.analyze_shot(scene, obj) if camera_prompt.is_animated(obj) else None
        moves = camera_motion.with_requested(requested, own)
        words = camera_motion.describe(moves, camera_motion.family_for_model(model))
        tools = tool_props.of(obj)
        kept = (tools.camera_motion, tools.camera_motion_auto, tools.use_camera_motion)
        try:
            tools.use_camera_motion = True
            tools.camera_motion = words  # an edit: "Follow Camera" switches off for this submit
            tools.camera_motion_auto = False
            submitted = self._submit(obj, quality)  # the request is a snapshot: taken here
        finally:
            tools.camera_motion, tools.camera_motion_auto, tools.use_camera_motion = kept
        if isinstance(submitted, GenerationResult):
            return submitted
        return self._wait([submitted])[0]

    # --- a prompt, no shot -----
    def generate_with_fallback(
        self,
        prompt: str,
        primary_model: str,
        fallback_model: str,
        *,
        quality: str = "preview",
        duration: float | None = None,
        **settings: Any,
    ) -> GenerationResult:
        """Generate ``prompt`` with ``primary_model`` on this cinematographer's backend; if that fails for
        a reason another model might avoid (not a cancel, a login or connection failure), with
        ``fallback_model``. The result carries ``used_fallback``, ``primary_error`` (the first model's
        message) and ``primary_model`` in its metadata (and so ``result.get("used_fallback")``).

        The job runs in the job engine like a shot's (the output folder's ``director`` folder, today's
        servers, key, deadline and limits) at the current scene's aspect; ``duration`` (seconds) defaults
        to the model's own length; other ``settings`` are the backend's fields. Nothing is cut into the
        Sequencer: there is no shot."""
        first = self._prompt_job(prompt, primary_model, quality, duration, settings)
        if fallback.can_fall_back(first):
            second = self._prompt_job(prompt, fallback_model, quality, duration, settings)
            return fallback.mark(second, primary=first, primary_model=primary_model)
        return fallback.mark(first, primary=first, primary_model=primary_model)

    def _prompt_job(
        self, prompt: str, model: str, quality: str, duration: float | None, settings: dict[str, Any]
    ) -> GenerationResult:
        prefs = get_preferences()
        reason = shots.offline_reason() or shots.backend_reason(self.backend, prefs)
        if reason:
            return _refused(reason + ".", model=model)
        level = quality_of(quality)
        scene = bpy.context.scene
        seed = random.randint(0, shot_requests.SEED_MAX)
        if self.backend == "WAVESPEED":
            extra = shot_requests.wavespeed_settings(model, scene, level, duration or 5.0, seed)
        else:
            shape = SimpleNamespace(resolution="SCENE")  # the scene's aspect, as a shot's default
            extra = shot_requests.wan2gp_settings(model, scene, shape, level, duration or 0.0, seed)
            if duration is None:
                del extra["duration"]  # the model's own length
        wrap = envelope(self.backend, shot=ShotRef(scene=scene.name), prefs=prefs)
        try:
            request, credentials = wrap.request(
                model=model,
                prompt=prompt,
                settings={**extra, **settings},
                quality=Quality(level.lower()),
                priority=PRIORITY_PREVIEW if level == "PREVIEW" else PRIORITY_FINAL,
                label=f"{model} · {level.lower()}",
            )
            job_id = engine.submit(request, credentials)
        except (BackendError, engine.OutputFolderError, ValueError, TypeError) as exc:
            message = exc.user_message if isinstance(exc, BackendError) else str(exc)
            return _refused(message, model=model)
        return self._wait([job_id])[0]

    # --- the one job path and the wait -----
    @staticmethod
    def _object(shot_obj: Any) -> Any:
        return bpy.data.objects.get(shot_obj) if isinstance(shot_obj, str) else shot_obj

    def _submit(self, shot_obj: Any, quality: str) -> str | GenerationResult:
        """The job id, or a failed result saying why the shot cannot run."""
        level = quality_of(quality)
        obj = self._object(shot_obj)
        try:
            name = obj.name if obj is not None else str(shot_obj)
        except ReferenceError:  # a deleted object
            name = str(shot_obj)
        try:
            return submit.submit_shot(obj, level).job_id
        except submit.ShotNotReadyError as exc:
            return _refused(str(exc), shot=name)

    def _wait(self, job_ids: list[str]) -> list[GenerationResult]:
        """Drain until the jobs ended and their clips are in the Sequencer (``md.wait``'s loop)."""
        drain.wait_for(job_ids, _finished, str, self.timeout)
        return [_result(job_id) for job_id in job_ids]


class Wan2GPCinematographer(Cinematographer):
    """The seed document's name: a :class:`Cinematographer` whose connection check and fallback use
    Wan2GP. Shots still run on their own backend (a WaveSpeed shot goes to WaveSpeed)."""

    def __init__(self, *, timeout: float | None = 600.0) -> None:
        super().__init__("WAN2GP", timeout=timeout)


def _finished(job_id: str) -> bool:
    manager = engine.current()
    if manager is None:
        return True
    try:
        info = manager.job(job_id)
    except KeyError:
        return True
    return info.state.terminal and not shot_jobs.import_pending(job_id)


def _result(job_id: str) -> GenerationResult:
    """The engine's result of a finished job; a failed one made from its error when it has none."""
    manager = engine.current()
    try:
        info = manager.job(job_id) if manager is not None else None
    except KeyError:
        info = None
    if info is None:
        return _failed("The job is no longer known to this Blender session.", ErrorKind.INTERRUPTED)
    if info.result is not None:
        return info.result
    try:
        kind = ErrorKind(info.error_kind) if info.error_kind else None
    except ValueError:
        kind = None
    message = info.error_message or f"The job ended without a result ({info.state})."
    return _failed(message, kind or ErrorKind.SERVER, remote_id=info.remote_id)
