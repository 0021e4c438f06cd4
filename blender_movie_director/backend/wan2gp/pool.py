"""Several Wan2GP servers used as one: each job goes to the server with the shortest queue, and a job whose
server dies is re-run on another one. Each server may speak either transport (web UI or MCP, see
``Wan2GPClient.transport``; the pool's ``transport`` setting applies to all).

Shortest queue = ``Wan2GPClient.load()``: the server's waiting Gradio events (``/gradio_api/queue/status``,
every session) plus this pool's own jobs in flight there; over MCP, the server's generation slot (its
running job and the jobs queued for it in this process). A job is re-run elsewhere only when that cannot
duplicate work: its task never reached the first server, or that server went away (unreachable or restarted,
which drops every session's queue), or the server refused it before anything started. A server that failed
is skipped for ``cooldown`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from ..base import GenerationResult
from ..errors import BackendConnectionError, BackendError, ErrorKind, JobInterruptedError
from .client import Wan2GPClient
from .job import WaitTimeoutError, Wan2GPJob
from .progress import JobStatus, Phase

log = logging.getLogger(__name__)


class PoolJob:
    """A job that may move between servers. Same surface as :class:`Wan2GPJob`."""

    def __init__(self, pool: Wan2GPPool, settings: Any, kwargs: dict[str, Any]) -> None:
        self._pool = pool
        self._settings = settings
        self._kwargs = kwargs
        self._lock = threading.Lock()
        self._current: Wan2GPJob | None = None
        self._done = threading.Event()
        self._abort = threading.Event()
        self._result: GenerationResult | None = None
        self._error: BackendError | None = None
        self.servers_tried: list[str] = []
        self._thread = threading.Thread(target=self._run, name="wan2gp-pool-job", daemon=True)

    def start(self) -> PoolJob:
        self._thread.start()
        return self

    @property
    def server_url(self) -> str | None:
        return self.servers_tried[-1] if self.servers_tried else None

    @property
    def current(self) -> Wan2GPJob | None:
        with self._lock:
            return self._current

    def status(self) -> JobStatus:
        job = self.current
        if job is None:
            return JobStatus(Phase.PENDING, 0.0, "choosing a Wan2GP server", 0.0)
        return job.status()

    def done(self) -> bool:
        return self._done.is_set()

    @property
    def remote_ids(self) -> Any:
        job = self.current
        return job.remote_ids if job is not None else None

    def outcome(self, timeout: float | None = None) -> GenerationResult:
        """Like :meth:`result`, but a failure comes back as a failed GenerationResult."""
        try:
            return self.result(timeout)
        except WaitTimeoutError:
            raise
        except BackendError as err:
            return GenerationResult.failed(err, backend="wan2gp", servers_tried=list(self.servers_tried))

    def _cancelled(self) -> bool:
        event = self._kwargs.get("cancel_event")
        return self._abort.is_set() or (event is not None and event.is_set())

    def abort(self) -> bool:
        self._abort.set()
        job = self.current
        return job.abort() if job is not None else True

    def result(self, timeout: float | None = None) -> GenerationResult:
        if not self._done.wait(timeout):
            raise WaitTimeoutError(
                f"The pooled Wan2GP job is still running after {timeout:g} s; it continues."
            )
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _run(self) -> None:
        excluded: set[str] = set()
        last_error: BackendError | None = None
        while not self._cancelled():
            with self._pool.dispatch_lock:  # pick and start together, so parallel submits see each other
                client = self._pool.pick(excluded)
                if client is None:
                    break
                self.servers_tried.append(client.url)
                try:
                    job = client.submit(self._settings, **self._kwargs)
                except BackendError as err:  # validation: the same on every server
                    self._error = err
                    self._done.set()
                    return
            with self._lock:
                self._current = job
            if self._cancelled():
                job.abort()
            try:
                result = job.result()
            except BackendError as err:
                last_error = err
                # Nothing reached the server yet and the server is the problem (unreachable, or a 5xx):
                # another server may run it.
                server_side = isinstance(err, BackendConnectionError) or (
                    err.kind is ErrorKind.SERVER and err.retryable
                )
                movable = server_side and job.remote_ids is None
                movable = movable or (isinstance(err, JobInterruptedError) and job.server_gone)
                # A refusal before anything started (an MCP server busy with another program's generation).
                movable = movable or (err.safe_to_resend and job.remote_ids is None)
                if not movable or self._cancelled():
                    self._error = err
                    self._done.set()
                    return
                log.warning("Wan2GP server %s failed (%s); moving the job to another server", client.url, err)
                self._pool.mark_down(client.url)
                excluded.add(client.url)
                continue
            self._result = GenerationResult(
                success=True, video_path=result.video_path,
                metadata={**result.metadata, "servers_tried": list(self.servers_tried)},
            )  # fmt: skip
            self._done.set()
            return
        from ..errors import JobCancelledError

        if self._cancelled():
            self._error = JobCancelledError("Generation cancelled.")
        else:
            self._error = last_error or BackendConnectionError("No Wan2GP server of the pool is reachable.")
        self._done.set()


class Wan2GPPool:
    """``Wan2GPPool(["http://gpu1:7860", "http://gpu2:7860"], output_dir=…)``; client options apply to all."""

    def __init__(self, urls: Iterable[str], *, cooldown: float = 30.0, **client_kwargs: Any) -> None:
        self.clients = [Wan2GPClient(url, **client_kwargs) for url in urls]
        if not self.clients:
            raise ValueError("Wan2GPPool needs at least one server URL")
        self.cooldown = cooldown
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.dispatch_lock = threading.Lock()

    def mark_down(self, url: str) -> None:
        with self._lock:
            self._down_until[url] = time.monotonic() + self.cooldown

    def loads(self) -> dict[str, int | None]:
        """Queue length per server (None = unreachable): waiting events plus this pool's running jobs."""
        return {client.url: client.load() for client in self.clients}

    def pick(self, exclude: set[str] = frozenset()) -> Wan2GPClient | None:  # type: ignore[assignment]
        now = time.monotonic()
        with self._lock:
            down = {url for url, until in self._down_until.items() if until > now}
        candidates = [c for c in self.clients if c.url not in exclude and c.url not in down]
        best: tuple[int, int, Wan2GPClient] | None = None
        for order, client in enumerate(candidates):
            load = client.load()
            if load is None:
                self.mark_down(client.url)
                continue
            if best is None or (load, order) < (best[0], best[1]):
                best = (load, order, client)
        return best[2] if best else None

    def submit(self, settings: Any = None, **kwargs: Any) -> PoolJob:
        return PoolJob(self, settings, kwargs).start()

    def generate(self, settings: Any = None, **kwargs: Any) -> GenerationResult:
        job = self.submit(settings, **kwargs)
        try:
            return job.result()
        except BackendError as err:
            return GenerationResult.failed(err, backend="wan2gp", servers_tried=job.servers_tried)

    def close(self) -> None:
        for client in self.clients:
            client.close()
