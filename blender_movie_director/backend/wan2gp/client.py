"""``Wan2GPClient``: typed, thread-safe access to one Wan2GP (WanGP) web UI.

Blocking calls (``generate*``, ``connect``) are meant for worker threads and scripts; from Blender's main
thread use :meth:`Wan2GPClient.submit`, which returns a :class:`Wan2GPJob` at once and runs the generation
on its own thread. Every network call has a timeout and every job an overall deadline.

Example::

    client = Wan2GPClient("http://localhost:7860")
    result = client.generate_text_to_video("A red fox trotting through snow", model="t2v_1.3B")
    if result.success:
        print(result.video_path, result.metadata["frames"])
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..base import GenerationResult, ProgressCallback
from ..errors import BackendError, JobInterruptedError, ServerError
from ..limits import DOWNLOAD_MAX_BYTES
from ..media import video_metadata
from . import catalog, fallback
from .cache import ResultCache, cache_key
from .catalog import CONTROL_MODES
from .download import ServerFile, fetch_video
from .job import JobOptions, Wan2GPJob
from .progress import RemoteIds
from .server import ServerContext
from .transport import ConnectionSettings, resolve_url

if TYPE_CHECKING:  # pydantic loads with the first request to validate, not with the connection
    from .schemas import GenerationSettings

log = logging.getLogger(__name__)

#: Prompt used by image-to-video when the caller gives none (WanGP requires one).
DEFAULT_I2V_PROMPT = "The scene comes to life with natural, subtle motion; steady camera."


def default_output_dir() -> Path:
    env = os.environ.get("WAN2GP_OUTPUT_DIR")
    return Path(env) if env else Path(tempfile.gettempdir()) / "movie_director" / "wan2gp"


@dataclass(frozen=True)
class ServerStatus:
    """What :meth:`Wan2GPClient.get_server_status` reports."""

    url: str
    reachable: bool
    gradio_version: str | None = None
    wan2gp_version: str | None = None
    fingerprint: str | None = None
    queue_size: int | None = None  # events waiting on the server (all sessions)
    active_jobs: int = 0  # this client's jobs in flight
    endpoints: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    error: str | None = None
    latency_ms: float | None = None


class Wan2GPClient:
    """One Wan2GP server. Thread-safe; every job runs in its own Gradio session."""

    def __init__(
        self,
        url: str | None = None,
        auth: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 3600.0,
        *,
        output_dir: str | Path | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        watchdog_seconds: float = 90.0,
        use_cache: bool = True,
        local_copy: bool = True,
        server_outputs_dir: str | None = None,
        download_max_bytes: int = DOWNLOAD_MAX_BYTES,
    ) -> None:
        self.url = resolve_url(url)
        self.timeout = float(timeout)
        self.output_dir = Path(output_dir) if output_dir is not None else default_output_dir()
        self.watchdog_seconds = float(watchdog_seconds)
        self.use_cache = use_cache
        #: Copy outputs straight from disk when the server runs on this machine (else always stream).
        self.local_copy = local_copy
        self._settings = ConnectionSettings(
            url=self.url,
            auth=tuple(auth) if auth else None,  # type: ignore[arg-type]
            headers=dict(headers or {}),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            download_max_bytes=download_max_bytes,
        )
        self._server = ServerContext(self._settings)
        #: WanGP's output folder on the server (its ``save_path``), for :meth:`recover` after a crash.
        self._server.outputs_dir = server_outputs_dir or os.environ.get("WAN2GP_SERVER_OUTPUTS") or None
        self._jobs: set[Wan2GPJob] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Wan2GPClient(url={self.url!r}, auth={'(user, ***)' if self._settings.auth else None})"

    # --- connection --------------------------------------------------------------------------------------
    def connect(self) -> bool:
        """Open a session, discover the endpoints and check this Wan2GP version is supported.

        Returns True; raises a typed error (connection, auth, unsupported server) otherwise. Blocks for
        about a second on a real WanGP (its /config is large); call it from a worker thread.
        """
        probe = self._server.probe()
        if not probe.reachable and probe.error is not None:
            raise probe.error  # fail fast: connect() answers "is it there?", jobs wait for a restart
        deadline = time.monotonic() + max(30.0, self._settings.connect_timeout * 3)
        session, _ = self._server.acquire(deadline)
        self._server.release(session, reusable=True)
        return True

    def check_health(self) -> bool:
        """True when the server answers (a tiny request; never raises)."""
        return self._server.probe().reachable

    def get_server_status(self) -> ServerStatus:
        """Versions, endpoint fingerprint and queue state. Never raises: problems go into ``error``."""
        started = time.monotonic()
        probe = self._server.probe()
        latency = round((time.monotonic() - started) * 1000, 1)
        if not probe.reachable:
            error = probe.error.user_message if probe.error else "unreachable"
            return ServerStatus(
                self.url, False, error=error, active_jobs=self._server.active_jobs, latency_ms=latency
            )
        try:
            if self._server.last_endpoints is None:
                self.connect()
        except BackendError as err:
            return ServerStatus(self.url, True, queue_size=probe.queue_size, error=err.user_message,
                                active_jobs=self._server.active_jobs, latency_ms=latency)  # fmt: skip
        ep = self._server.last_endpoints
        assert ep is not None
        return ServerStatus(
            url=self.url,
            reachable=True,
            gradio_version=ep.gradio_version or None,
            wan2gp_version=ep.wan2gp_version,
            fingerprint=ep.fingerprint,
            queue_size=probe.queue_size,
            active_jobs=self._server.active_jobs,
            endpoints=ep.describe(),
            warnings=ep.warnings,
            latency_ms=latency,
        )

    def close(self) -> None:
        """Abort nothing, but drop idle sessions (running jobs keep theirs until they end)."""
        self._server.close()

    @property
    def active_jobs(self) -> int:
        return self._server.active_jobs

    # --- generation ----------------------------------------------------------------------------------------
    def submit(
        self,
        settings: GenerationSettings | dict[str, Any] | None = None,
        *,
        output_dir: str | Path | None = None,
        progress: ProgressCallback | None = None,
        on_remote_ids: Callable[[RemoteIds], None] | None = None,
        cancel_event: threading.Event | None = None,
        deadline: float | None = None,
        fresh: bool = False,
        **overrides: Any,
    ) -> Wan2GPJob:
        """Start a generation and return at once.

        ``settings`` (or keyword settings) are validated first (typed ``ValidationError``). ``deadline`` is
        seconds from now (default: the client's ``timeout``). ``cancel_event``, when set, aborts the job on
        the server. ``on_remote_ids`` receives the job's server-side ids as soon as the task is loaded.
        ``fresh=True`` skips the result cache.
        """
        from .schemas import validate_settings

        validated = validate_settings(settings, **overrides)
        task = validated.to_task()
        if task["seed"] < 0:
            seed_given = False
            task["seed"] = random.randint(0, 2**31 - 1)
        else:
            seed_given = True
        folder = Path(output_dir) if output_dir is not None else self.output_dir
        token = f"md_{uuid.uuid4().hex[:16]}"
        task["client_id"] = token
        task["output_filename"] = token
        resolved = validated.resolved()
        metadata: dict[str, Any] = {
            "backend": "wan2gp",
            "model": validated.model,
            "prompt": validated.prompt,
            "seed": task["seed"],
            "resolution": resolved["resolution"],
            "requested_frames": resolved["frames"],
            "server_url": self.url,
            "client_id": token,
            "notes": list(validated.notes),
            "from_cache": False,
        }
        key = cache_key(task) if (self.use_cache and seed_given) else None
        cache = ResultCache(folder)
        if key is not None and not fresh:
            hit = cache.get(key)
            if hit is not None:
                if progress is not None:
                    progress(1.0, "from cache")
                return Wan2GPJob.finished(self._server, hit, token)
        if key is not None:
            metadata["cache_key"] = key

        def remember(result: GenerationResult) -> None:
            if key is not None:
                cache.put(key, result)

        options = JobOptions(
            output_dir=folder,
            deadline_seconds=float(deadline if deadline is not None else self.timeout),
            call_timeout=self._settings.read_timeout,
            watchdog_seconds=self.watchdog_seconds,
            progress=progress,
            on_remote_ids=on_remote_ids,
            cancel_event=cancel_event,
            on_success=remember,
            allow_local_copy=self.local_copy,
        )
        job = Wan2GPJob(self._server, task, token, options, metadata)
        with self._lock:
            self._jobs.add(job)
        job.add_done_callback(self._forget)
        return job.start()

    def _forget(self, job: Wan2GPJob) -> None:
        with self._lock:
            self._jobs.discard(job)

    def generate(
        self, settings: GenerationSettings | dict[str, Any] | None = None, **kwargs: Any
    ) -> GenerationResult:
        """Generate and wait. Never raises for a failed generation: check ``result.success``."""
        try:
            job = self.submit(settings, **kwargs)
        except BackendError as err:
            return GenerationResult.failed(err, backend="wan2gp", server_url=self.url)
        return job.outcome()

    def generate_text_to_video(
        self, prompt: str, model: str = catalog.DEFAULT_T2V_MODEL, **kwargs: Any
    ) -> GenerationResult:
        return self.generate(model=model, prompt=prompt, **kwargs)

    def generate_image_to_video(
        self,
        image_path: str | Path,
        model: str = catalog.DEFAULT_I2V_MODEL,
        prompt: str | None = None,
        end_image_path: str | Path | None = None,
        **kwargs: Any,
    ) -> GenerationResult:
        return self.generate(
            model=model,
            prompt=prompt or DEFAULT_I2V_PROMPT,
            image_start=image_path,
            image_end=end_image_path,
            **kwargs,
        )

    def generate_with_control(
        self,
        prompt: str,
        control_video_path: str | Path,
        mode: str = "pose",
        mask_path: str | Path | None = None,
        reference_images: Iterable[str | Path] = (),
        model: str = catalog.DEFAULT_VACE_MODEL,
        **kwargs: Any,
    ) -> GenerationResult:
        """VACE: follow a control video (``mode``: pose, depth, canny, inpaint, raw, …)."""
        if mode not in CONTROL_MODES:
            from ..errors import ValidationError

            err = ValidationError(
                f"Unknown control mode '{mode}'. Use one of: {', '.join(CONTROL_MODES)}.",
                field="mode",
                allowed=tuple(CONTROL_MODES),
            )
            return GenerationResult.failed(err, backend="wan2gp", server_url=self.url)
        refs = [Path(p) for p in reference_images]
        flags = CONTROL_MODES[mode] + ("A" if mask_path else "") + ("I" if refs else "")
        return self.generate(
            model=model,
            prompt=prompt,
            video_guide=control_video_path,
            video_mask=mask_path,
            image_refs=refs,
            video_prompt_type=flags,
            **kwargs,
        )

    def generate_quick(self, prompt: str, **kwargs: Any) -> GenerationResult:
        """The fastest general model, about two seconds of video."""
        kwargs.setdefault("model", catalog.QUICK_MODEL)
        if "video_length" not in kwargs:
            kwargs.setdefault("duration", catalog.QUICK_SECONDS)
        return self.generate(prompt=prompt, **kwargs)

    def generate_high_quality(self, prompt: str, **kwargs: Any) -> GenerationResult:
        """The best text-to-video model at 720p, about eight seconds."""
        kwargs.setdefault("model", catalog.HIGH_QUALITY_MODEL)
        kwargs.setdefault("resolution", catalog.HIGH_QUALITY_RESOLUTION)
        if "video_length" not in kwargs:
            kwargs.setdefault("duration", catalog.HIGH_QUALITY_SECONDS)
        return self.generate(prompt=prompt, **kwargs)

    def generate_with_fallback(
        self, prompt: str, primary_model: str, fallback_model: str, **kwargs: Any
    ) -> GenerationResult:
        """Try ``primary_model``; on failure run ``fallback_model``. ``metadata['used_fallback']`` and
        ``metadata['fallback_reason']`` say what happened. Cancellation is not retried."""
        return fallback.generate_with_fallback(self, prompt, primary_model, fallback_model, **kwargs)

    # --- queue control -------------------------------------------------------------------------------------
    def _active(self) -> list[Wan2GPJob]:
        with self._lock:
            return [job for job in self._jobs if not job.done()]

    def abort_all(self) -> int:
        """Abort every running job of this client (each in its own session). Returns how many."""
        return sum(job.abort() for job in self._active())

    def clear_queue(self) -> int:
        """Empty this client's queue: jobs still waiting are dropped, running ones stopped through WanGP's
        Clear Queue action in their session. Returns how many jobs were affected."""
        return sum(job.clear() for job in self._active())

    # --- recovery ------------------------------------------------------------------------------------------
    def recover(
        self,
        server_file: str | None = None,
        *,
        server_path: str | None = None,
        outputs_dir: str | None = None,
        output_dir: str | Path | None = None,
        stop: Callable[[], BackendError | None] | None = None,
    ) -> GenerationResult:
        """Fetch a video a job left on the server (after Blender or the job engine restarted).

        Give ``server_path`` (:attr:`RemoteIds.server_path`, known once the job finished) or ``server_file``
        (:attr:`RemoteIds.server_file`, known as soon as the task was loaded) with the server's output folder
        (``outputs_dir``, :attr:`RemoteIds.outputs_dir`, or the client's ``server_outputs_dir``).
        ``stop()`` returns the error to end the download with (cancel, deadline): it ends within 0.1 s.
        """
        folder = outputs_dir or self._server.outputs_dir
        if server_path is None and server_file and folder:
            separator = "\\" if "\\" in folder else "/"
            server_path = folder.rstrip("/\\") + separator + server_file
        name = server_file or (server_path or "").replace("\\", "/").rsplit("/", 1)[-1]
        if server_path is None:
            err = JobInterruptedError(
                f"Cannot look for '{name}': the Wan2GP server's output folder is not known "
                "(set server_outputs_dir on the client)."
            )
            return GenerationResult.failed(err, backend="wan2gp", server_file=name)
        remote = ServerFile(path=server_path)
        target = Path(output_dir) if output_dir else self.output_dir
        try:
            downloaded = fetch_video(
                remote,
                self._settings,
                target,
                allow_local_copy=self.local_copy,
                local_root=self._server.outputs_dir,  # today's settings, never the stored hint
                max_bytes=self._settings.download_max_bytes,
                stop=stop,
            )
        except ServerError as err:
            return GenerationResult.failed(
                JobInterruptedError(
                    f"'{name}' could not be recovered from the Wan2GP server: {err.user_message}"
                ),
                backend="wan2gp",
                server_file=name,
            )
        except BackendError as err:
            return GenerationResult.failed(err, backend="wan2gp", server_file=name)
        return GenerationResult.ok(
            str(downloaded.path),
            backend="wan2gp",
            server_file=name,
            server_path=server_path,
            remote_id=name,
            **video_metadata(downloaded.info),
            recovered=True,
        )
