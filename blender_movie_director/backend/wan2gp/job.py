"""One generation on a Wan2GP server, run on its own thread: :class:`Wan2GPJob`.

The pipeline is WanGP's "Load Queue" chain, called step by step in one session (the browser runs these
``.then`` steps itself; the server does not):

1. upload the queue file to ``load_queue_action`` with the upload button's ``trigger_id`` and confirm
   WanGP's "Loaded 1 task(s)" message (the returned HTML is not reliable);
2. ``init_process_queue_if_any`` → ``activate_status`` → ``refresh_status_async`` (progress stream)
   and ``process_tasks`` (the generation);
3. ``finalize_generation_with_state`` — always, even after an error, or the session stays "running" —
   then ``unload_model_if_needed`` like the browser;
4. take the output (named after the task's ``output_filename``) from the gallery, copy or stream it into
   the output folder and check it is a playable MP4.

Steps before ``process_tasks`` may be retried in a fresh session (nothing runs until ``process_tasks``);
after it, nothing is ever re-sent. Cancellation calls WanGP's own abort in this session.

Stopping (abort, cancel event, deadline) ends the job within a second from the client's side, whatever the
server does: the abort is sent without waiting for its answer, and a server that has not stopped within
:data:`STOP_WAIT` (WanGP finishes a model load before it looks at an abort) is left to finish on its own:
the session is handed to :meth:`ServerContext.finish_later`, which finalizes and closes it once the server
is done.
An abort or deadline wins over the error the stopped run reports (a load that fails after an abort is
``cancelled``, after the deadline ``timeout``). Downloads stop within 0.1 s (:func:`.download.fetch_video`).

Threading: the job's thread is the only one that talks to its session. ``abort()``, ``status()`` and
``result()`` are safe from any thread; the progress callback runs on the job's thread.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..base import GenerationResult, ProgressCallback
from ..errors import (
    BackendConnectionError,
    BackendError,
    BackendTimeoutError,
    JobCancelledError,
    JobInterruptedError,
    ModelUnavailableError,
    ServerError,
    UnsupportedServerError,
    ValidationError,
)
from ..media import video_metadata
from .discovery import Wan2GPEndpoints
from .download import ServerFile, fetch_video, file_data_items
from .progress import (
    JobStatus,
    Phase,
    RemoteIds,
    fraction_for,
    phase_from_text,
    read_progress_units,
)
from .server import ServerContext
from .session import Call, LogMessage, Session
from .taskfile import write_queue_file

log = logging.getLogger(__name__)

_LOADED = re.compile(r"\b(?:Loaded|Merged)\s+(\d+)\s+task", re.IGNORECASE)
_POLL = 0.2
#: gradio_client status codes of an event that has not started running on the server.
_WAITING = frozenset({"IN_QUEUE", "JOINING_QUEUE", "STARTING", "SENDING_DATA"})
#: How long the job waits for the server to confirm a stop before it ends anyway (the server keeps the
#: abort; the session is finished in the background).
STOP_WAIT = 0.5


class _StillRunningError(BackendTimeoutError):
    """The server did not confirm an abort in time: its session must not be finalized under it."""


class WaitTimeoutError(BackendTimeoutError):
    """``result(timeout)`` ran out; the job itself keeps running."""


class JobOptions:
    """Per-job knobs the client passes in (plain values, safe to hand to a worker thread)."""

    def __init__(
        self,
        *,
        output_dir: Path,
        deadline_seconds: float,
        call_timeout: float,
        watchdog_seconds: float,
        progress: ProgressCallback | None = None,
        on_remote_ids: Callable[[RemoteIds], None] | None = None,
        cancel_event: threading.Event | None = None,
        on_success: Callable[[GenerationResult], None] | None = None,
        allow_local_copy: bool = True,
    ) -> None:
        self.output_dir = output_dir
        self.deadline_seconds = deadline_seconds
        self.call_timeout = call_timeout
        self.watchdog_seconds = watchdog_seconds
        self.progress = progress
        self.on_remote_ids = on_remote_ids
        self.cancel_event = cancel_event
        self.on_success = on_success
        self.allow_local_copy = allow_local_copy


class Wan2GPJob:
    """A generation in progress. Create it with ``Wan2GPClient.submit``."""

    def __init__(
        self,
        server: ServerContext,
        task: dict[str, Any],
        token: str,
        options: JobOptions,
        metadata: dict[str, Any],
    ) -> None:
        self._server = server
        self._task = task
        self.token = token
        self._options = options
        self._base_metadata = metadata
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._abort = threading.Event()
        self._stop_with_clear = False
        self._deadline = float("inf")
        #: (session, process) when the server had not stopped in time: finished by the server context.
        self._left_running: tuple[Session, Call] | None = None
        self._dequeued = False  # the abort took the task out of a queue it had not left
        self._loading_when_stopped = False
        #: True when the job failed because its server went away (so re-running elsewhere is safe).
        self.server_gone = False
        self._result: GenerationResult | None = None
        self._error: BackendError | None = None
        self._started = time.monotonic()
        self._status = JobStatus(Phase.PENDING, 0.0, "waiting to start", 0.0)
        self._remote: RemoteIds | None = None
        self._callbacks: list[Callable[[Wan2GPJob], None]] = []
        self._thread: threading.Thread | None = None

    # --- public surface ------------------------------------------------------------------------------
    @classmethod
    def finished(cls, server: ServerContext, result: GenerationResult, token: str = "") -> Wan2GPJob:
        """A job that is already done (a cache hit)."""
        options = JobOptions(output_dir=Path(), deadline_seconds=0, call_timeout=0, watchdog_seconds=0)
        job = cls(server, {}, token, options, dict(result.metadata))
        job._result = result
        job._status = JobStatus(Phase.DONE, 1.0, "from cache", 0.0)
        job._done.set()
        return job

    def start(self) -> Wan2GPJob:
        self._thread = threading.Thread(target=self._run, name=f"wan2gp-{self.token}", daemon=True)
        self._server.job_started()
        self._thread.start()
        return self

    def status(self) -> JobStatus:
        with self._lock:
            status = self._status
        if not status.done:
            status = JobStatus(
                status.phase, status.fraction, status.text, time.monotonic() - self._started, status.step,
                status.total, status.queue_position, status.remote,
            )  # fmt: skip
        return status

    @property
    def remote_ids(self) -> RemoteIds | None:
        with self._lock:
            return self._remote

    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> GenerationResult:
        """The finished result; raises the job's typed error, or :class:`WaitTimeoutError` (job continues)."""
        if not self._done.wait(timeout):
            raise WaitTimeoutError(f"The Wan2GP job is still running after {timeout:g} s; it continues.")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def outcome(self, timeout: float | None = None) -> GenerationResult:
        """Like :meth:`result` but never raises for the job's own failure: a failed GenerationResult."""
        try:
            return self.result(timeout)
        except WaitTimeoutError:
            raise
        except BackendError as err:
            return GenerationResult.failed(err, **self._failure_metadata(err))

    def abort(self) -> bool:
        """Stop this generation with WanGP's own abort, in the session that owns it.

        Returns at once; :meth:`result` then raises :class:`JobCancelledError` once the server has stopped
        (within one denoising step; a model load in progress is not interrupted by WanGP). Never uses
        gradio's ``job.cancel()``, which stops the stream but not WanGP's worker.
        """
        if self._done.is_set():
            return False
        self._abort.set()
        return True

    cancel = abort

    def clear(self) -> bool:
        """Like :meth:`abort`, but through WanGP's Clear Queue action in this job's session."""
        self._stop_with_clear = True
        return self.abort()

    def add_done_callback(self, fn: Callable[[Wan2GPJob], None]) -> None:
        """Call ``fn(job)`` (on the job's thread, or at once if done)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(fn)
                return
        fn(self)

    # --- internals: state --------------------------------------------------------------------------------
    def _set(
        self,
        phase: Phase,
        text: str | None = None,
        *,
        step: int | None = None,
        total: int | None = None,
        queue_position: int | None = None,
    ) -> None:
        with self._lock:
            old = self._status
            if phase in (Phase.FAILED, Phase.CANCELLED):
                fraction = old.fraction
            else:
                fraction = max(old.fraction, fraction_for(phase, step, total))
            new = JobStatus(
                phase=phase,
                fraction=round(fraction, 4),
                text=text if text is not None else old.text,
                elapsed=time.monotonic() - self._started,
                step=step if step is not None else (old.step if phase == old.phase else None),
                total=total if total is not None else (old.total if phase == old.phase else None),
                queue_position=queue_position,
                remote=self._remote,
            )
            changed = (new.phase, new.fraction, new.text) != (old.phase, old.fraction, old.text)
            self._status = new
        if changed and self._options.progress is not None:
            try:
                self._options.progress(new.fraction, new.text)
            except Exception:  # a UI callback must not kill the generation; it is logged with its traceback
                log.exception("Wan2GP progress callback failed")

    def _set_remote(self, remote: RemoteIds) -> None:
        with self._lock:
            self._remote = remote
        if self._options.on_remote_ids is not None:
            try:
                self._options.on_remote_ids(remote)
            except Exception:
                log.exception("Wan2GP on_remote_ids callback failed")

    def _cancel_requested(self) -> bool:
        event = self._options.cancel_event
        return self._abort.is_set() or (event is not None and event.is_set())

    def _stop_error(self, now: float | None = None) -> BackendError | None:
        """Why the job must stop now (cancel, then deadline), as the error it ends with; None to go on."""
        if self._cancel_requested():
            return JobCancelledError("Generation cancelled on the Wan2GP server.")
        if (time.monotonic() if now is None else now) > self._deadline:
            return BackendTimeoutError(
                f"The generation passed its {self._options.deadline_seconds:g} s deadline and was stopped."
            )
        return None

    def _pause(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking at once on a cancel."""
        event = self._options.cancel_event
        (event if event is not None else self._abort).wait(seconds)

    def _finish(self, result: GenerationResult | None, error: BackendError | None) -> None:
        if error is not None:
            phase = Phase.CANCELLED if isinstance(error, JobCancelledError) else Phase.FAILED
            self._set(phase, error.user_message)
        else:
            self._set(Phase.DONE, "done")
        with self._lock:
            self._result, self._error = result, error
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        if self._thread is not None:
            self._server.job_finished()
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                log.exception("Wan2GP done callback failed")

    def _failure_metadata(self, err: BackendError) -> dict[str, Any]:
        meta = dict(self._base_metadata)
        remote = self.remote_ids
        if remote is not None:
            meta.update(remote_id=remote.server_file, server_file=remote.server_file)
        return meta

    # --- internals: the pipeline ---------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            result = self._pipeline()
        except BackendError as err:
            if err.remote_id is None and self._remote is not None:
                err.remote_id = self._remote.server_file
            self._finish(None, err)
            return
        except Exception as exc:  # a bug of ours: report it typed, keep the traceback in the log
            log.exception("Wan2GP job %s crashed", self.token)
            self._finish(None, ServerError(f"Movie Director's Wan2GP client failed unexpectedly: {exc!r}"))
            return
        if self._options.on_success is not None:
            try:
                self._options.on_success(result)
            except Exception:
                log.exception("Wan2GP on_success hook failed")
        self._finish(result, None)

    def _pipeline(self) -> GenerationResult:
        deadline = self._started + self._options.deadline_seconds
        self._deadline = deadline
        timings: dict[str, float] = {}
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="wan2gp-task-") as tmp:
            queue_file = write_queue_file(self._task, Path(tmp), self.token)
            session, endpoints = self._load_with_retries(queue_file, deadline)
        timings["upload"] = round(time.monotonic() - t0, 3)
        clean = False
        try:
            if self._cancel_requested():
                # Nothing runs until process_tasks is called: dropping the session drops the task.
                raise JobCancelledError("Generation cancelled before it started on the Wan2GP server.")
            t1 = time.monotonic()
            gallery, run_error, stopped = self._process(session, endpoints, deadline, timings)
            aborted = stopped is not None
            timings["generation"] = round(time.monotonic() - t1, 3)
            outcome = self._pick_output(gallery, run_error, stopped)
            self._set(Phase.DOWNLOADING, "downloading the video")
            t2 = time.monotonic()
            downloaded = fetch_video(
                outcome,
                self._server.settings,
                self._options.output_dir,
                cookies=session.cookies,
                allow_local_copy=self._options.allow_local_copy,
                local_root=self._server.outputs_dir,  # today's settings: never a path the server named
                max_bytes=self._server.settings.download_max_bytes,
                stop=self._stop_error,
            )
            timings["download"] = round(time.monotonic() - t2, 3)
            timings["total"] = round(time.monotonic() - self._started, 3)
            clean = not aborted
            if self._remote is not None:
                # The gallery hands out Gradio's cached copy; WanGP's own output folder stays as configured.
                self._set_remote(RemoteIds(**{**self._remote.__dict__, "server_path": outcome.path}))
            info = downloaded.info
            metadata = {
                **self._base_metadata,
                **video_metadata(info),
                "server_file": outcome.name,
                "server_path": outcome.path,
                "remote_id": outcome.name,
                "session_hash": session.session_hash,
                "local_copy": downloaded.local_copy,
                "bytes": downloaded.bytes,
                "timings": timings,
            }
            return GenerationResult.ok(str(downloaded.path), **metadata)
        finally:
            if self._left_running is not None:
                self._server.finish_later(*self._left_running, endpoints, self._options.call_timeout)
            else:
                self._server.release(session, reusable=clean)

    # --- step 1: load the queue file ---------------------------------------------------------------
    def _load_with_retries(self, queue_file: Path, deadline: float) -> tuple[Session, Wan2GPEndpoints]:
        from .gradio_import import load

        handle_file = load().handle_file

        delay = 0.5
        attempt = 0
        while True:
            attempt += 1
            if self._cancel_requested():
                raise JobCancelledError("Generation cancelled before it reached the Wan2GP server.")
            self._set(Phase.CONNECTING, f"connecting to {self._server.settings.url}")
            session, endpoints = self._server.acquire(deadline, self._options.cancel_event)
            try:
                self._set(Phase.UPLOADING, "sending the task to Wan2GP")
                _, call = session.call(
                    endpoints.load_queue, handle_file(str(queue_file)), timeout=self._options.call_timeout,
                    trigger_id=endpoints.upload_trigger_id, stop=self._stop_error,
                )  # fmt: skip
                self._check_loaded(call.logs())
            except BackendError as err:
                session.close()  # the session may hold half a task; a fresh one starts clean
                stopping = self._stop_error()
                if stopping is not None:
                    raise stopping from None  # nothing runs before process_tasks: dropping the session is all
                if not err.retryable or attempt >= 4 or time.monotonic() + delay > deadline:
                    raise
                log.info("Wan2GP load attempt %d failed (%s); retrying in a new session", attempt, err)
                self._pause(delay)
                delay = min(delay * 2, 8.0)
                continue
            self._set_remote(
                RemoteIds(
                    server_url=self._server.settings.url,
                    session_hash=session.session_hash,
                    client_id=self.token,
                    server_file=f"{self.token}.mp4",
                    outputs_dir=self._server.outputs_dir,
                )
            )
            return session, endpoints

    def _check_loaded(self, logs: list[LogMessage]) -> None:
        for message in logs:
            match = _LOADED.search(message.text)
            if match:
                if int(match.group(1)) < 1:
                    raise ServerError("Wan2GP loaded no task from the queue file.")
                return
        warnings = [m.text for m in logs if m.level.lower() in ("warning", "error")]
        model = self._task.get("model_type", "")
        for text in warnings:
            if "model_type" in text or "Unknown model type" in text:
                raise ModelUnavailableError(
                    f"This Wan2GP server does not know the model '{model}' ({text}). It may be an older or "
                    "newer WanGP release, or the model is not installed there."
                )
        if warnings:
            raise ValidationError(f"Wan2GP refused the task: {'; '.join(warnings)}")
        raise UnsupportedServerError(
            "This Wan2GP version is not supported: it ignored the uploaded queue file (no 'Loaded N task(s)' "
            "message). Movie Director needs WanGP's Load Queue button to read uploads (WanGP 12.x)."
        )

    # --- step 2: run ---------------------------------------------------------------------------------------
    def _process(
        self, session: Session, endpoints: Wan2GPEndpoints, deadline: float, timings: dict[str, float]
    ) -> tuple[Any, BackendError | None, BackendError | None]:
        """Run the task; returns (gallery, the run's own error, the stop error if we stopped it)."""
        timeout = self._options.call_timeout
        # Cancel and deadline hold here too: nothing runs before process_tasks, the session is dropped.
        session.call(endpoints.init_queue, timeout=timeout, stop=self._stop_error)
        activated, _ = session.call(endpoints.activate_status, timeout=timeout, stop=self._stop_error)
        refresh: Call | None = None
        if endpoints.refresh_status is not None and activated not in (None, ""):
            refresh = session.submit(endpoints.refresh_status)
        process = session.submit(endpoints.process_tasks)
        self._set(Phase.QUEUED, "waiting for the Wan2GP server")
        run_error, stopped = self._watch(session, endpoints, process, refresh, deadline, timings)
        if stopped is not None and not process.done() and not self._dequeued:
            # The server has not stopped yet (a model load runs to its end first): end the job now, and
            # leave the session, with the abort in it, to be finalized once the server is done.
            self._left_running = (session, process)
            raise self._left_running_error(stopped)
        if isinstance(run_error, (JobInterruptedError, BackendConnectionError, _StillRunningError)):
            raise run_error  # the session is gone with the server, or still busy: nothing to finalize
        self._set(Phase.FINALIZING, "collecting the result")
        try:
            gallery, _ = session.call(endpoints.finalize, timeout=timeout)
        except BackendError:
            if stopped is not None:
                raise stopped from None  # the stop is the outcome, not the failed clean-up after it
            raise
        if endpoints.unload is not None:
            try:
                session.call(endpoints.unload, timeout=timeout)
            except BackendError as err:  # only frees GPU memory; the result is already safe
                log.info("Wan2GP unload_model_if_needed failed: %s", err)
        return gallery, run_error, stopped

    def _left_running_error(self, stopped: BackendError) -> BackendError:
        loading = "loading the model" if self._loading_when_stopped else "working"
        note = (
            f" The Wan2GP server was still {loading}; it drops the task when it gets to the abort, and "
            "Movie Director no longer waits for it."
        )
        stopped.user_message += note
        stopped.args = (stopped.user_message,)
        return stopped

    def _watch(
        self,
        session: Session,
        endpoints: Wan2GPEndpoints,
        process: Call,
        refresh: Call | None,
        deadline: float,
        timings: dict[str, float],
    ) -> tuple[BackendError | None, BackendError | None]:
        """Follow the run until ``process_tasks`` ends, or until a stop the server has not confirmed within
        :data:`STOP_WAIT`. Returns (error of the run, the stop error when we stopped it)."""
        abort_sent_at: float | None = None
        abort_call: Call | None = None
        stopped: BackendError | None = None
        last_seen = time.monotonic()
        last_text = ""
        queued_since = time.monotonic()
        started_running: float | None = None
        self._dequeued = False
        self._loading_when_stopped = False
        while not process.done():
            now = time.monotonic()
            if stopped is None:
                stopped = self._stop_error(now)
                if stopped is not None:
                    timed_out = isinstance(stopped, BackendTimeoutError)
                    text = "deadline reached, stopping Wan2GP" if timed_out else "stopping Wan2GP"
                    self._loading_when_stopped = self.status().phase == Phase.LOADING
                    if self._loading_when_stopped:
                        text += " (WanGP finishes loading the model first)"
                    self._set(Phase.ABORTING, text)
                    abort_call = self._send_abort(session, endpoints)
                    abort_sent_at = now
            if abort_sent_at is not None:
                waiting = getattr(getattr(process.status(), "code", None), "value", "") in _WAITING
                if started_running is None and waiting and abort_call is not None and abort_call.done():
                    # Still waiting for the GPU: the abort removed the task from this session's queue, so
                    # when Gradio gets to process_tasks it finds nothing to run. No need to wait for that.
                    self._dequeued = True
                    if isinstance(stopped, BackendTimeoutError):
                        stopped = BackendTimeoutError(
                            f"The generation was still waiting for the Wan2GP server when its "
                            f"{self._options.deadline_seconds:g} s deadline passed."
                        )
                    return None, stopped
                if time.monotonic() - abort_sent_at > STOP_WAIT:
                    return None, stopped  # not confirmed in time: the caller leaves the session to finish
                time.sleep(0.05)
                continue
            status = process.status()
            code = getattr(getattr(status, "code", None), "value", "")
            activity = max(process.last_activity, refresh.last_activity if refresh else 0.0)
            if activity > last_seen:
                last_seen = activity
            if code in _WAITING:
                rank = getattr(status, "rank", None)
                position = int(rank) + 1 if isinstance(rank, int) else None
                text = "waiting for the Wan2GP server" + (f" (position {position})" if position else "")
                if abort_sent_at is None:
                    self._set(Phase.QUEUED, text, queue_position=position)
            else:
                if started_running is None:
                    started_running = now
                    timings["queued"] = round(now - queued_since, 3)
                if abort_sent_at is None:
                    last_text = self._follow_refresh(refresh, last_text)
            if now - last_seen > self._options.watchdog_seconds:
                self._watchdog(session)
                last_seen = time.monotonic()
            self._pause(min(_POLL, max(0.01, self._deadline - time.monotonic())))
        error = process.exception()
        if refresh is not None and abort_sent_at is None:
            self._follow_refresh(refresh, last_text)
        if error is None:
            return None, stopped
        if stopped is not None:
            return None, stopped  # the stopped run's own error (e.g. the load failing) is not the outcome
        return self._run_error(error, session), None

    def _follow_refresh(self, refresh: Call | None, last_text: str) -> str:
        if refresh is None:
            self._set(Phase.GENERATING, "generating (no progress reported by this server)")
            return last_text
        step, total, desc = read_progress_units(getattr(refresh.status(), "progress_data", None))
        outputs = refresh.outputs()
        text = str(outputs[-1]) if outputs and outputs[-1] not in (None, "") else last_text
        shown = desc or text or "generating"
        phase = phase_from_text(shown, Phase.LOADING if step is None else Phase.GENERATING)
        if step is not None and total and phase == Phase.GENERATING:
            self._set(phase, f"step {step}/{total} · {shown}", step=step, total=total)
        else:
            self._set(phase, shown)
        return text

    def _send_abort(self, session: Session, endpoints: Wan2GPEndpoints) -> Call | None:
        """Queue WanGP's abort (or Clear Queue) in this session without waiting for its answer: WanGP
        answers it only once a model load ends."""
        try:
            if self._stop_with_clear:
                return session.submit(endpoints.clear_queue)
            if endpoints.abort_by_client_id is not None:
                return session.submit(endpoints.abort_by_client_id, self.token)
            return session.submit(endpoints.abort)
        except BackendError as err:
            log.warning("Wan2GP abort request failed: %s", err)
            return None

    def _watchdog(self, session: Session) -> None:
        """Nothing heard for a while: is the server still there? (Model loads are silent for minutes.)"""
        result = self._server.probe()
        if not result.reachable:
            grace = time.monotonic() + 10.0
            result = self._server.wait_until_reachable(grace, self._options.cancel_event)
        if not result.reachable:
            self.server_gone = True
            raise JobInterruptedError(
                f"The Wan2GP server at {self._server.settings.url} stopped answering during the generation.",
            )
        log.debug("Wan2GP watchdog: server alive, still waiting (session %s)", session.session_hash)

    def _run_error(self, error: BaseException, session: Session) -> BackendError:
        from .gradio_import import load

        gexc = load().exceptions

        if isinstance(error, gexc.AppError):
            message = str(getattr(error, "message", "") or error)
            return ServerError(f"Wan2GP could not generate the video: {message}")
        # The stream ended without a result: the server went away, restarted, or the network dropped.
        probe = self._server.wait_until_reachable(time.monotonic() + 5.0, self._options.cancel_event)
        if not probe.reachable:
            self.server_gone = True
            return JobInterruptedError(
                f"The Wan2GP server at {self._server.settings.url} went away during the generation; "
                "the clip was not made."
            )
        if self._server.current_app_id() not in (None, self._server.last_app_id):
            self.server_gone = True  # a restarted WanGP forgets every session's queue
            return JobInterruptedError(
                f"The Wan2GP server at {self._server.settings.url} restarted during the generation; "
                "the clip was not made."
            )
        return JobInterruptedError(
            f"Lost the connection to the Wan2GP server at {self._server.settings.url} during the generation. "
            f"The server may still finish '{self.token}.mp4'; Movie Director can fetch it later."
        )

    # --- step 3: the output --------------------------------------------------------------------------------
    def _pick_output(
        self, gallery: Any, run_error: BackendError | None, stopped: BackendError | None
    ) -> ServerFile:
        items = [
            f for f in file_data_items(gallery) if f.name.lower().endswith((".mp4", ".mov", ".mkv", ".webm"))
        ]
        ours = [f for f in items if f.name.startswith(self.token)]
        if ours and run_error is None:
            return ours[-1]  # finished before the stop landed: the clip is whole, keep it
        if stopped is not None:
            raise stopped  # our cancel or deadline is the outcome, whatever the stopped run reported
        if run_error is not None:
            raise run_error
        raise ServerError(
            "Wan2GP finished without producing this video"
            + (f" (its gallery holds {len(items)} other file(s))." if items else ".")
            + f" Last status: {self.status().text}"
        )
