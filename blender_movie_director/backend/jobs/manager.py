"""JobManager: the one way work is started, whoever asks (N-panel, strip menu, console, CLI, batch).

See the package docstring for the threading contract. In short: ``submit`` only records the job and queues
it; worker threads (a limited number per backend, created on first use) run it through the backend's runner;
every change becomes an immutable event that ``drain`` hands out in order.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..base import GenerationResult
from ..errors import BackendError, ErrorKind, scrub_secrets
from .events import (
    Cancelled,
    Failed,
    JobEvent,
    JobState,
    Log,
    Progress,
    Queued,
    RemoteId,
    Started,
    Succeeded,
)
from .request import Backend, Credentials, GenerationRequest
from .resume import NotResumableError, ResumeContext, rebuild
from .runner import RunContext, Runner, StopReason
from .store import JobRecord, JobStore

log = logging.getLogger(__name__)

#: WaveSpeed: 8 at once also suits Bronze accounts (2 videos a minute): a refused submit waits its turn
#: (``backend/wavespeed/ratelimit.py``) and WaveSpeed queues the tasks beyond the account's concurrency.
DEFAULT_LIMITS = {Backend.WAN2GP: 1, Backend.WAVESPEED: 8}
#: Jobs of an earlier session taken up per hold of the manager's lock while resuming.
RESUME_BATCH = 256


@dataclass(frozen=True)
class JobInfo:
    """A snapshot of one job, safe to hand to any thread."""

    job_id: str
    request: GenerationRequest
    state: JobState
    fraction: float
    text: str
    remote_id: str
    result: GenerationResult | None
    error_kind: str
    error_message: str


class ManagerClosedError(RuntimeError):
    """The manager has been shut down (Blender is closing, or the extension is being disabled)."""


@dataclass(frozen=True)
class EarlierJobs:
    """What the store holds from an earlier session: offered to the user, started only by ``resume``."""

    #: False while the store is still being read (on its own thread).
    loaded: bool = False
    #: Unfinished jobs, oldest first: queued ones and ones the service had taken.
    records: tuple[JobRecord, ...] = ()
    #: For the user: damaged lines that were skipped, a store that could not be read.
    notices: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.records)


class _Job:
    def __init__(self, job_id: str, request: GenerationRequest, credentials: Credentials, order: int) -> None:
        self.job_id = job_id
        self.request = request
        self.credentials = credentials
        self.order = order
        self.state = JobState.QUEUED
        self.seq = 0
        self.fraction = -1.0
        self.text = "Queued"
        self.remote_id = ""
        self.result: GenerationResult | None = None
        self.error_kind = ""
        self.error_message = ""
        self.ctx: RunContext | None = None
        #: Queue position (absolute) of this job's newest event while it is an undrained Progress.
        self.pending_progress: int | None = None
        self.record: JobRecord | None = None  # set when resuming a job from an earlier session

    @functools.cached_property
    def fingerprint(self) -> str:
        """The request's identity for the duplicate check (made on first use: resuming thousands of fetched
        jobs never needs it)."""
        return self.request.fingerprint()

    def info(self) -> JobInfo:
        return JobInfo(
            self.job_id,
            self.request,
            self.state,
            self.fraction,
            self.text,
            self.remote_id,
            self.result,
            self.error_kind,
            self.error_message,
        )


class JobManager:
    def __init__(
        self,
        store_path: str | Path | None = None,
        runners: Mapping[Backend, Runner] | None = None,
        limits: Mapping[Backend | str, int] | None = None,
    ) -> None:
        self._store = JobStore(store_path, load=False)
        self._runners: dict[Backend, Runner] = dict(runners or {})
        self._limits = dict(DEFAULT_LIMITS)
        for backend, n in (limits or {}).items():
            self._limits[Backend(backend)] = max(1, int(n))
        self._lock = threading.RLock()
        self._work = threading.Condition(self._lock)
        self._events: deque[JobEvent] = deque()
        self._drained = 0  # events handed out so far: absolute position of self._events[0]
        self._jobs: dict[str, _Job] = {}
        self._queues: dict[Backend, list[tuple[int, int, str]]] = {b: [] for b in Backend}
        self._workers: dict[Backend, list[threading.Thread]] = {b: [] for b in Backend}
        self._order = itertools.count()
        self._closed = False
        #: Fingerprint -> newest job with that request, for an O(1) duplicate check in ``submit``.
        self._by_fingerprint: dict[str, str] = {}
        self._earlier = EarlierJobs(loaded=store_path is None)
        self._offered = threading.Event()  # set once ``_earlier`` holds what the store had
        self._loader: threading.Thread | None = None
        #: Short-lived threads of the manager's own (a background resume); joined by ``shutdown``.
        self._helpers: list[threading.Thread] = []
        if store_path is None:
            self._store.load()
            self._offered.set()
        else:
            # Reading a large store takes a fraction of a second: never on the caller's (main) thread.
            self._loader = threading.Thread(target=self._load_store, name="movie-director-store", daemon=True)
            self._loader.start()

    @property
    def store_path(self) -> Path | None:
        return self._store.path

    def _load_store(self) -> None:
        """The loader thread: read the store, then offer its unfinished jobs (never start them)."""
        try:
            report = self._store.load()
            records = tuple(sorted(self._store.unfinished(), key=lambda r: r.submitted_at))
            notices = report.notices
        except Exception as exc:  # a bug here must not leave the panel waiting: say it, keep going
            log.exception("reading the job store failed")
            records, notices = (), (f"The job store could not be read: {type(exc).__name__}: {exc}",)
        with self._lock:
            self._earlier = EarlierJobs(True, records, notices)
            self._work.notify_all()
        self._offered.set()

    # -- the caller's side (any thread; never blocks on the network) ----------------------------------------
    def submit(self, request: GenerationRequest, credentials: Credentials | None = None) -> str:
        """Queue ``request`` and return its job id; an identical unfinished request returns the same id.
        Raises ``JobStoreError`` (a BackendError naming the folder) when the job store cannot be written."""
        with self._lock:
            self._ensure_open()
            same = self._by_fingerprint.get(request.fingerprint())
            if same is not None and not self._jobs[same].state.terminal:
                return same
            job = _Job(uuid.uuid4().hex[:12], request, credentials or Credentials(), next(self._order))
            self._store.put(JobRecord(job.job_id, request))  # may raise JobStoreError: before any state
            self._jobs[job.job_id] = job
            self._by_fingerprint[job.fingerprint] = job.job_id
            self._enqueue(job)
            return job.job_id

    def cancel(self, job_id: str, *, abandon_paid: bool = False) -> bool:
        """Cancel a job. A queued job is dropped. A running job is cancelled on the server where the service
        can do that; a paid task that cannot be stopped is only abandoned (polling stops, its id is kept)
        when ``abandon_paid`` is True. Returns whether the job is now stopping or stopped."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.terminal:
                return False
            if job.state == JobState.QUEUED:
                self._finish(job, JobState.CANCELLED, event=Cancelled, reason="Cancelled before it started.")
                return True
            runner = self._runner_for(job.request.backend)
            assert job.ctx is not None
            if runner.can_cancel_remote:
                job.ctx.request_stop(StopReason.CANCEL)
                return True
            if not abandon_paid:
                self._emit(
                    job,
                    Log,
                    level="warning",
                    text=(
                        "WaveSpeed cannot stop a task once it has started; it will finish (and is billed). "
                        "Abandon it to stop waiting for it."
                    ),
                )
                return False
            job.ctx.request_stop(StopReason.ABANDON)
            return True

    def drain(self, max_n: int | None = None) -> list[JobEvent]:
        """Events since the last call, oldest first; never blocks."""
        with self._lock:
            n = len(self._events) if max_n is None else min(max_n, len(self._events))
            self._drained += n
            return [self._events.popleft() for _ in range(n)]

    def pending_events(self) -> int:
        return len(self._events)

    def job(self, job_id: str) -> JobInfo:
        with self._lock:
            return self._jobs[job_id].info()

    def jobs(self) -> list[JobInfo]:
        with self._lock:
            return [job.info() for job in sorted(self._jobs.values(), key=lambda j: j.order)]

    def wait(self, job_ids: Iterable[str], timeout: float | None = None) -> bool:
        """Block until the jobs are finished (for scripts and tests); True if they all are."""
        ids = list(job_ids)
        end = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not all(self._jobs[i].state.terminal for i in ids):
                remaining = None if end is None else end - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._work.wait(0.2 if remaining is None else min(0.2, remaining))
            return True

    def set_limit(self, backend: Backend | str, n: int) -> None:
        with self._lock:
            self._limits[Backend(backend)] = max(1, int(n))
            self._start_workers(Backend(backend))
            self._work.notify_all()

    # -- jobs an earlier session left in the store (offered, never started without the caller's word) ------
    def earlier(self, timeout: float = 0.0) -> EarlierJobs:
        """The unfinished jobs the store holds from an earlier session, and the store's notices (damaged
        lines). Never blocks longer than ``timeout``: ``loaded`` is False while the store is still read."""
        self._offered.wait(timeout)
        with self._lock:
            return self._earlier

    def resume(self, context: ResumeContext) -> list[str]:
        """Take up the jobs :meth:`earlier` offers, rebuilt with today's ``context`` (servers, credentials,
        output folder, timeouts, download cap: never the stored ones). Paid tasks are resumed by id, never
        resubmitted; jobs that never started are submitted again; a job that cannot run with today's
        context fails with the reason. Waits for the store to be read. Returns the ids of the jobs started.

        Linear, and the lock is held only a few milliseconds at a time (the path checks run without it),
        so ``drain`` on the main thread never waits long, even for thousands of jobs."""
        self._offered.wait()
        with self._lock:
            self._ensure_open()
            records, self._earlier = self._earlier.records, replace(self._earlier, records=())
            runners = {b: self._runner_for(b) for b in {r.request.backend for r in records}}
        prepared: list[tuple[JobRecord, GenerationRequest, str]] = []
        for record in records:
            try:
                request = rebuild(record, context)
            except NotResumableError as why:
                prepared.append((record, record.request, why.user_message))
                continue
            fresh = record.state == JobState.QUEUED and not record.remote_id
            why_not = "" if fresh else runners[record.request.backend].resumable(record)
            prepared.append((record, request, why_not))
        started: list[str] = []
        for first in range(0, len(prepared), RESUME_BATCH):
            with self._lock:
                self._ensure_open()
                failures: list[tuple[_Job, str]] = []
                for record, request, why_not in prepared[first : first + RESUME_BATCH]:
                    if record.job_id in self._jobs:
                        continue
                    backend = record.request.backend
                    job = _Job(record.job_id, request, context.credentials_for(backend), next(self._order))
                    job.remote_id = record.remote_id
                    self._jobs[job.job_id] = job
                    if why_not:
                        failures.append((job, why_not))
                        continue
                    if record.remote_id:
                        job.record = replace(record, request=request)
                    else:
                        self._by_fingerprint.setdefault(job.fingerprint, job.job_id)
                    self._enqueue(job)
                    started.append(job.job_id)
                self._fail_all(failures)
        return started

    def resume_in_background(self, context: ResumeContext) -> None:
        """:meth:`resume` on a thread of the manager's own (the Resume button: the click returns at once;
        the jobs' events reach the drain as usual). ``shutdown`` waits for it."""
        thread = threading.Thread(
            target=self._resume_quietly, args=(context,), name="movie-director-resume", daemon=True
        )
        with self._lock:
            self._ensure_open()
            self._helpers.append(thread)
        thread.start()

    def _resume_quietly(self, context: ResumeContext) -> None:
        try:
            self.resume(context)
        except ManagerClosedError:
            log.info("the job manager was shut down while resuming; the rest stay in the store")
        except Exception:  # a bug: the offered jobs stay in the store for the next session; say so
            log.exception("resuming the jobs of an earlier session failed")

    def stored(self, job_id: str) -> JobRecord | None:
        """The store's record of a job (this session's or an earlier one's); waits for the store's read."""
        return self._store.get(job_id)

    def discard(self) -> int:
        """Drop the jobs :meth:`earlier` offers from the store (which is compacted); returns how many."""
        self._offered.wait()
        with self._lock:
            records, self._earlier = self._earlier.records, replace(self._earlier, records=())
        return self._store.discard(r.job_id for r in records)

    def refetch(self, job_id: str, context: ResumeContext | Credentials | None = None) -> str:
        """Start a new job that fetches a failed job's result from the service by its remote id (a paid task
        that finished while its download, or the polling, gave up). Nothing is submitted. A job of this
        session keeps its request (made from today's preferences) and takes ``Credentials``; a job known only
        from the store (an earlier session) needs a :class:`ResumeContext` and is rebuilt with it. Raises
        KeyError for an unknown job, ValueError with the reason in words when there is nothing to fetch."""
        self._store.wait_loaded()
        with self._lock:
            self._ensure_open()
            record = self._store.get(job_id)
            if record is None:
                raise KeyError(job_id)
            if record.state != JobState.FAILED or not record.remote_id:
                raise ValueError("only a failed job that the service had taken can be fetched again")
            backend = record.request.backend
            if isinstance(context, ResumeContext):
                try:
                    request = rebuild(record, context)
                except NotResumableError as why:
                    raise ValueError(str(why)) from None
                credentials = context.credentials_for(backend)
            elif job_id in self._jobs:
                request, credentials = self._jobs[job_id].request, context or Credentials()
            else:
                raise ValueError("a job from an earlier session is fetched again only with today's settings")
            record = replace(record, request=request)
            why_not = self._runner_for(backend).resumable(record)
            if why_not:
                raise ValueError(why_not)
            job = _Job(uuid.uuid4().hex[:12], request, credentials, next(self._order))
            job.remote_id = record.remote_id
            job.record = JobRecord(
                job.job_id,
                request,
                JobState.RUNNING,
                remote_id=record.remote_id,
                remote_kind=record.remote_kind,
                server=record.server,
                metadata=record.metadata,
            )
            self._jobs[job.job_id] = job
            self._store.put(job.record)
            self._enqueue(job)
            return job.job_id

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop every worker and release the runners. Running jobs stay in the store for a later ``resume()``.
        Returns True if every thread ended within ``timeout``."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            for job in self._jobs.values():
                if job.state == JobState.RUNNING and job.ctx is not None:
                    job.ctx.request_stop(StopReason.SHUTDOWN)
            self._work.notify_all()
            workers = [t for threads in self._workers.values() for t in threads]
            if self._loader is not None:
                workers.append(self._loader)
            workers += self._helpers
        end = time.monotonic() + timeout
        for thread in workers:
            thread.join(max(0.0, end - time.monotonic()))
        for runner in self._runners.values():
            runner.close()
        return not any(t.is_alive() for t in workers)

    # -- internals (called with the lock held unless noted) ------------------------------------------------
    def _ensure_open(self) -> None:
        if self._closed:
            raise ManagerClosedError("the job manager has been shut down")

    def _enqueue(self, job: _Job) -> None:
        backend = job.request.backend
        heapq.heappush(self._queues[backend], (job.request.priority, job.order, job.job_id))
        position = len(self._queues[backend]) - 1  # entries ahead or beside it (cancelled ones until popped)
        self._emit(job, Queued, position=position)
        self._start_workers(backend)
        self._work.notify_all()

    def _runner_for(self, backend: Backend) -> Runner:
        runner = self._runners.get(backend)
        if runner is None:
            from .runners import default_runner

            runner = self._runners[backend] = default_runner(backend)
        return runner

    def _start_workers(self, backend: Backend) -> None:
        alive = [t for t in self._workers[backend] if t.is_alive()]
        while len(alive) < self._limits[backend] and self._queues[backend]:
            thread = threading.Thread(
                target=self._worker,
                args=(backend,),
                name=f"movie-director-{backend}-{len(alive)}",
                daemon=True,
            )
            alive.append(thread)
            thread.start()
        self._workers[backend] = alive

    def _emit(self, job: _Job, event_type: type[JobEvent], **fields: Any) -> None:
        pending = job.pending_progress
        if event_type is Progress and pending is not None and pending >= self._drained:
            # Nobody has seen the job's previous progress yet: the newer one replaces it (same place, same
            # seq), so a fast server cannot flood the main thread with stale progress.
            index = pending - self._drained
            self._events[index] = Progress(job_id=job.job_id, seq=job.seq, time=time.time(), **fields)
            return
        job.seq += 1
        self._events.append(event_type(job_id=job.job_id, seq=job.seq, time=time.time(), **fields))
        job.pending_progress = self._drained + len(self._events) - 1 if event_type is Progress else None
        self._work.notify_all()

    def _finish(self, job: _Job, state: JobState, *, event: type[JobEvent], **fields: Any) -> None:
        self._store.update(job.job_id, **self._end(job, state, fields))
        self._emit(job, event, **fields)

    def _fail_all(self, failures: list[tuple[_Job, str]]) -> None:
        """Fail jobs of an earlier session that cannot run today: one write to the store for all of them."""
        ended = []
        for job, message in failures:
            fields = {"error_kind": ErrorKind.INTERRUPTED, "message": message, "remote_id": job.remote_id}
            ended.append((job, fields, self._end(job, JobState.FAILED, fields)))
        self._store.update_many((job.job_id, changes) for job, _, changes in ended)
        for job, fields, _ in ended:
            self._emit(job, Failed, **fields)

    def _end(self, job: _Job, state: JobState, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Set the job's end state; the store changes that record it."""
        job.state = state
        changes: dict[str, Any] = {"state": state}
        if state == JobState.SUCCEEDED:
            assert job.result is not None
            changes.update(video_path=job.result.video_path or "", metadata=dict(job.result.metadata))
            job.fraction, job.text = 1.0, "Done"
        elif state == JobState.FAILED:
            job.error_kind, job.error_message = str(fields["error_kind"]), fields["message"]
            changes.update(error_kind=job.error_kind, error_message=job.error_message)
            job.text = job.error_message
        elif state == JobState.CANCELLED:
            job.text = fields["reason"]
        return changes

    # -- worker threads -----------------------------------------------------------------------------------
    def _worker(self, backend: Backend) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._queues[backend]:
                    self._work.wait()
                if self._closed:
                    return
                if sum(t.is_alive() for t in self._workers[backend]) > self._limits[backend]:
                    self._workers[backend].remove(threading.current_thread())
                    return
                _, _, job_id = heapq.heappop(self._queues[backend])
                job = self._jobs[job_id]
                if job.state != JobState.QUEUED:
                    continue  # cancelled while queued
                job.state = JobState.RUNNING
                job.text = "Starting"
                job.ctx = self._context_for(job)
                self._store.update(job.job_id, state=JobState.RUNNING)
                self._emit(job, Started, server=",".join(job.request.servers))
                runner = self._runner_for(backend)
            self._run(job, runner)

    def _context_for(self, job: _Job) -> RunContext:
        def progress(fraction: float, text: str) -> None:
            with self._lock:
                job.fraction, job.text = fraction, text
                self._emit(job, Progress, fraction=fraction, text=text)

        def log_line(text: str, level: str) -> None:
            with self._lock:
                self._emit(job, Log, text=self._scrub(job, text), level=level)

        def remote_id(value: str, kind: str, details: dict[str, str]) -> None:
            with self._lock:
                job.remote_id = value
                stored = self._store.get(job.job_id)
                metadata = {**(stored.metadata if stored else {}), **details}
                self._store.update(job.job_id, remote_id=value, remote_kind=kind, metadata=metadata)
                self._emit(job, RemoteId, remote_id=value, remote_kind=kind)

        return RunContext(job.job_id, job.request, job.credentials, progress, log_line, remote_id, job.record)

    def _run(self, job: _Job, runner: Runner) -> None:
        ctx = job.ctx
        assert ctx is not None
        error: BackendError | None = None
        result: GenerationResult | None = None
        try:
            result = runner.resume(ctx) if job.record is not None else runner.run(ctx)
        except BackendError as exc:
            error = exc
        except Exception as exc:  # a bug in a runner or client: the user still gets a message on the shot
            log.exception("job %s failed unexpectedly", job.job_id)
            error = BackendError(f"Unexpected error: {type(exc).__name__}: {exc}")
        with self._lock:
            if ctx.stop_reason == StopReason.SHUTDOWN:
                job.state = JobState.INTERRUPTED  # the store keeps RUNNING, for a later resume()
                return
            if result is not None and result.success:
                job.result = result
                self._finish(job, JobState.SUCCEEDED, event=Succeeded, result=result)
            elif ctx.stop_reason in (StopReason.CANCEL, StopReason.ABANDON):
                abandoned = ctx.stop_reason == StopReason.ABANDON
                reason = (
                    f"Abandoned; the paid task {ctx.remote_id} may still finish on the server."
                    if abandoned and ctx.remote_id
                    else "Cancelled."
                )
                self._finish(
                    job,
                    JobState.CANCELLED,
                    event=Cancelled,
                    reason=reason,
                    remote_may_finish=abandoned and bool(ctx.remote_id),
                )
            elif ctx.stop_reason == StopReason.DEADLINE:
                self._finish(
                    job,
                    JobState.FAILED,
                    event=Failed,
                    error_kind=ErrorKind.TIMEOUT,
                    remote_id=ctx.remote_id,
                    message=f"Gave up after {job.request.deadline_s:.0f} s waiting for {ctx.waiting_for}.",
                )
            else:
                kind = error.kind if error else (result.error_kind if result else None) or ErrorKind.SERVER
                message = error.user_message if error else (result.error_message if result else "")
                self._finish(
                    job,
                    JobState.FAILED,
                    event=Failed,
                    error_kind=kind,
                    message=self._scrub(job, message or "The generation failed."),
                    remote_id=ctx.remote_id,
                )

    @staticmethod
    def _scrub(job: _Job, text: str) -> str:
        return scrub_secrets(text, *job.credentials.secrets())
