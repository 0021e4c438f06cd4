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
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..base import GenerationResult, ProgressCallback
from ..errors import BackendError, JobInterruptedError, ServerError
from ..limits import DOWNLOAD_MAX_BYTES
from ..media import video_metadata
from . import catalog, fallback
from .cache import ResultCache, cache_key
from .catalog import CONTROL_MODES
from .download import ServerFile, StopCheck, fetch_video
from .job import JobOptions, Wan2GPJob
from .progress import RemoteIds
from .server import ServerContext
from .transport import ConnectionSettings, resolve_url

if TYPE_CHECKING:  # pydantic loads with the first request to validate, not with the connection
    from .mcp.finish import FinishJob
    from .mcp.models import LoraRecord, ModelRecord
    from .mcp.server import McpServer
    from .schemas import GenerationSettings

log = logging.getLogger(__name__)
JobT = TypeVar("JobT", bound=Wan2GPJob)

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
    #: Which of WanGP's surfaces the client speaks to this server: "web_ui" (Gradio) or "mcp".
    transport: str = "web_ui"


#: The transport choices (the preference): decide from the address and a probe, or use one surface.
TRANSPORTS = ("auto", "web_ui", "mcp")


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
        transport: str = "auto",
    ) -> None:
        self.url = resolve_url(url)
        choice = (transport or "auto").strip().lower().replace("-", "_").replace("webui", "web_ui")
        if choice not in TRANSPORTS:
            from ..errors import ValidationError

            raise ValidationError(
                f"Unknown Wan2GP transport '{transport}'. Use one of: {', '.join(TRANSPORTS)}.",
                field="transport",
                allowed=TRANSPORTS,
            )
        #: The preference: "auto" (an address ending in /mcp is MCP; else a probe decides), "web_ui", "mcp".
        self.transport_setting = choice
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
        self._mcp: McpServer | None = None
        self._transport: str | None = choice if choice != "auto" else None
        if self._transport is None and urllib.parse.urlsplit(self.url).path.rstrip("/").endswith("/mcp"):
            self._transport = "mcp"

    def __repr__(self) -> str:
        return f"Wan2GPClient(url={self.url!r}, auth={'(user, ***)' if self._settings.auth else None})"

    # --- transport -----------------------------------------------------------------------------------------
    @property
    def transport(self) -> str:
        """Either "web_ui" or "mcp": the setting, the address (``…/mcp``), or (auto) a probe: the web UI's
        queue status first, then an MCP ``ping``. An unreachable server is not decided (asked again next
        time) and reads as "web_ui". The probe blocks (once per client): ask from a worker thread."""
        return self._decide()

    def _decide(self, stop: Callable[[], BackendError | None] | None = None) -> str:
        """:attr:`transport`; ``stop()`` (cancel, shutdown) ends a probe in progress within 0.1 s."""
        if self._transport is None:
            decided = self._mcp_server().conn.stoppable(self._probe_transport, stop)
            if decided is None:
                return "web_ui"
            self._transport = decided
        return self._transport

    def _probe_transport(self) -> str | None:
        if self._server.probe().reachable:
            return "web_ui"
        try:
            self._mcp_server().ping()
        except BackendError:
            return None
        return "mcp"

    def _mcp_server(self) -> McpServer:
        with self._lock:
            if self._mcp is None:
                from .mcp.server import McpServer

                self._mcp = McpServer(self._settings)
            return self._mcp

    def _uses_mcp(self) -> bool:
        return self.transport == "mcp"

    # --- connection --------------------------------------------------------------------------------------
    def connect(self) -> bool:
        """Open a session, discover the endpoints and check this Wan2GP version is supported.

        Returns True; raises a typed error (connection, auth, unsupported server) otherwise. Blocks for
        about a second on a real WanGP (its /config is large); call it from a worker thread. Over MCP:
        ``initialize`` + ``tools/list`` (a server without WanGP's tools is refused).
        """
        if self._uses_mcp():
            self._mcp_server().discover(fresh=True)
            return True
        probe = self._server.probe()
        if not probe.reachable and probe.error is not None:
            raise probe.error  # fail fast: connect() answers "is it there?", jobs wait for a restart
        deadline = time.monotonic() + max(30.0, self._settings.connect_timeout * 3)
        session, _ = self._server.acquire(deadline)
        self._server.release(session, reusable=True)
        return True

    def check_health(self) -> bool:
        """True when the server answers (a tiny request; never raises)."""
        if self._uses_mcp():
            try:
                self._mcp_server().ping()
            except BackendError:
                return False
            return True
        return self._server.probe().reachable

    def get_server_status(self) -> ServerStatus:
        """Versions, endpoint fingerprint and queue state. Never raises: problems go into ``error``."""
        if self._uses_mcp():
            return self._mcp_status()
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

    def _mcp_status(self) -> ServerStatus:
        server = self._mcp_server()
        started = time.monotonic()
        active = server.active_jobs
        try:
            server.ping()
        except BackendError as err:
            latency = round((time.monotonic() - started) * 1000, 1)
            return ServerStatus(self.url, False, error=err.user_message, active_jobs=active,
                                latency_ms=latency, transport="mcp")  # fmt: skip
        latency = round((time.monotonic() - started) * 1000, 1)
        try:
            info = server.discover()
        except BackendError as err:
            return ServerStatus(self.url, True, error=err.user_message, active_jobs=active,
                                latency_ms=latency, transport="mcp")  # fmt: skip
        return ServerStatus(
            url=self.url,
            reachable=True,
            fingerprint=info.fingerprint,
            queue_size=server.slot.busy,
            active_jobs=active,
            endpoints=info.describe(),
            warnings=info.warnings,
            latency_ms=latency,
            transport="mcp",
        )

    def load(self) -> int | None:
        """How busy the server is, for a pool: its waiting work plus this process's jobs there (None:
        unreachable). Web UI: Gradio's queue (every session) plus this client's jobs; MCP: the generation
        slot's holder and waiters (shared by every client of this process)."""
        if self._uses_mcp():
            server = self._mcp_server()
            try:
                server.ping()
            except BackendError:
                return None
            return server.slot.busy
        probe = self._server.probe()
        return (probe.queue_size or 0) + self.active_jobs if probe.reachable else None

    def close(self) -> None:
        """Abort nothing, but drop idle sessions (running jobs keep theirs until they end)."""
        self._server.close()
        if self._mcp is not None:
            self._mcp.close()

    @property
    def active_jobs(self) -> int:
        return self._server.active_jobs + (self._mcp.active_jobs if self._mcp is not None else 0)

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
        # None: not decided yet (auto, an address without /mcp): the job's thread probes, submit never blocks.
        mcp = None if self._transport is None else self._transport == "mcp"
        if mcp:
            metadata["transport"] = "mcp"

        def remember(result: GenerationResult) -> None:
            if key is not None:
                cache.put(key, result)

        options = self._job_options(
            folder,
            deadline,
            progress,
            on_remote_ids,
            cancel_event,
            remember,
            allow_local_copy=self.local_copy,
        )
        if mcp is None:
            from .mcp.job import AutoJob

            job: Wan2GPJob = AutoJob(self, task, token, options, metadata)
        elif mcp:
            from .mcp.job import McpJob

            job = McpJob(self._mcp_server(), task, token, options, metadata)  # type: ignore[arg-type]
        else:
            job = Wan2GPJob(self._server, task, token, options, metadata)
        return self._track(job).start()

    def _job_options(
        self,
        folder: Path,
        deadline: float | None,
        progress: ProgressCallback | None,
        on_remote_ids: Callable[[RemoteIds], None] | None,
        cancel_event: threading.Event | None,
        on_success: Callable[[GenerationResult], None] | None = None,
        *,
        allow_local_copy: bool,
    ) -> JobOptions:
        """A job's options from the call's arguments and this client's timeouts (generate and finish)."""
        return JobOptions(
            output_dir=folder,
            deadline_seconds=float(deadline if deadline is not None else self.timeout),
            call_timeout=self._settings.read_timeout,
            watchdog_seconds=self.watchdog_seconds,
            progress=progress,
            on_remote_ids=on_remote_ids,
            cancel_event=cancel_event,
            on_success=on_success,
            allow_local_copy=allow_local_copy,
        )

    def _track(self, job: JobT) -> JobT:
        """Keep ``job`` among this client's running jobs until it is done (abort_all, clear_queue)."""
        with self._lock:
            self._jobs.add(job)
        job.add_done_callback(self._forget)
        return job

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

    # --- what the server offers (MCP) ------------------------------------------------------------------
    # These block (worker threads only); ``stop()`` returns the error to end with (cancel, unregister): each
    # returns within 0.1 s of it naming one.
    def list_models(
        self, available_only: bool = False, *, stop: StopCheck | None = None
    ) -> list[ModelRecord]:
        """The server's video models: ``model_type``, ``name``, ``available`` (its weights are on the server;
        None over the web UI route, which cannot tell: the shipped catalog is listed), ``inputs``."""
        from .mcp.models import records_from_catalog, records_from_mcp

        if self._decide(stop) != "mcp":
            return [] if available_only else records_from_catalog()
        return records_from_mcp(self._mcp_server().model_records(stop), available_only=available_only)

    def list_loras(self, model_type: str, *, stop: StopCheck | None = None) -> list[LoraRecord]:
        """The LoRAs the server has for ``model_type`` (``.name`` goes into ``activated_loras``)."""
        from .mcp.errors import from_tool, needs_mcp
        from .mcp.models import loras_from_mcp
        from .mcp.rpc import ToolError

        if self._decide(stop) != "mcp":
            raise needs_mcp("Listing the server's LoRAs")
        server = self._mcp_server()
        server.discover(stop)
        try:
            answer = server.conn.call_tool("wangp_list_loras", {"model_type": model_type}, stop=stop)
        except ToolError as err:
            raise from_tool(err, self.url, model=model_type) from None
        return loras_from_mcp(answer)

    def finish_processes(
        self, video_path: str | Path, *, stop: StopCheck | None = None
    ) -> list[dict[str, Any]]:
        """The postprocessing WanGP offers for this clip (upscalers, frame interpolation…), as WanGP lists
        them (``id``, ``label``, ``description``, ``type``, ``media``, ``parameters``)."""
        from .mcp.errors import needs_mcp
        from .mcp.finish import processes

        if self._decide(stop) != "mcp":
            raise needs_mcp("Finishing a clip")
        return processes(self._mcp_server(), video_path, stop=stop)

    def submit_finish(
        self,
        video_path: str | Path,
        process: str,
        parameters: dict[str, Any] | None = None,
        *,
        output_dir: str | Path | None = None,
        progress: ProgressCallback | None = None,
        on_remote_ids: Callable[[RemoteIds], None] | None = None,
        cancel_event: threading.Event | None = None,
        deadline: float | None = None,
    ) -> FinishJob:
        """Start WanGP's ``process`` (e.g. "lanczos" with ``{"multiplier": 2.0}``) on a clip; returns the job
        at once (its result is the new clip). Over the web UI route: a typed refusal."""
        from .mcp.errors import needs_mcp
        from .mcp.finish import FinishJob

        if not self._uses_mcp():
            raise needs_mcp("Finishing a clip")
        token = f"md_{uuid.uuid4().hex[:16]}"
        task = {"video": str(video_path), "process": process, "parameters": dict(parameters or {})}
        metadata = {"backend": "wan2gp", "server_url": self.url, "client_id": token, "transport": "mcp",
                    "finish": {"process": process, "parameters": dict(parameters or {})}, "from_cache": False,
                    "source_video": str(video_path)}  # fmt: skip
        folder = Path(output_dir) if output_dir is not None else self.output_dir
        options = self._job_options(
            folder, deadline, progress, on_remote_ids, cancel_event, allow_local_copy=False
        )
        job = FinishJob(self._mcp_server(), task, token, options, metadata)  # type: ignore[arg-type]
        self._track(job).start()
        return job

    def finish(self, video_path: str | Path, process: str, parameters: dict[str, Any] | None = None,
               **kwargs: Any) -> GenerationResult:  # fmt: skip
        """Finish a clip and wait. Never raises for a failed finish: check ``result.success``."""
        try:
            job = self.submit_finish(video_path, process, parameters, **kwargs)
        except BackendError as err:
            return GenerationResult.failed(err, backend="wan2gp", server_url=self.url)
        return job.outcome()

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
    def recover_job(
        self,
        job_id: str,
        *,
        output_dir: str | Path | None = None,
        stop: Callable[[], BackendError | None] | None = None,
    ) -> GenerationResult:
        """Fetch the clip of a job an earlier session started on this MCP server (waits for it to end;
        nothing is sent again). ``stop()`` returns the error to end with (cancel, deadline) within 0.1 s."""
        from .mcp.errors import needs_mcp
        from .mcp.job import recover

        if not self._uses_mcp():
            return GenerationResult.failed(needs_mcp("Following a job by its MCP job id"), backend="wan2gp")
        target = Path(output_dir) if output_dir else self.output_dir
        return recover(
            self._mcp_server(), job_id, target, stop=stop, max_bytes=self._settings.download_max_bytes
        )

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
