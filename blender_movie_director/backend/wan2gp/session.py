"""One Gradio session on a Wan2GP server: a ``gradio_client.Client`` and the calls made through it.

WanGP keeps its queue, abort flag and output list in a per-session ``gr.State``, so every step of one
generation (load queue, process, abort, finalize) must go through the same session, and two generations
must not share one. A :class:`Session` is that unit.

Two things plain ``Client.submit`` cannot do are done here with gradio_client's own building blocks
(``new_helper`` + ``Endpoint.make_end_to_end_fn``, the route gradio_client itself uses):

* send ``trigger_id`` with the queue join, which WanGP's ``load_queue_action`` needs to read the uploaded
  file instead of taking its autoload branch;
* read every ``gr.Info``/``gr.Warning`` log message (``job.status()`` keeps only the latest status, and the
  load's log arrives in the same burst as completion).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from ..tls import verify_context
from .discovery import EndpointRef
from .transport import ConnectionSettings, classify, quiet_telemetry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogMessage:
    text: str
    level: str  # "info" | "warning" | "success" …


class Call:
    """One submitted event: its status, log messages and outputs, read without blocking."""

    def __init__(self, job: Any, helper: Any, name: str) -> None:
        self._job = job
        self._helper = helper
        self.name = name
        self._logs: list[LogMessage] = []
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.last_activity = self.started

    def _drain(self) -> None:
        # gradio_client's worker thread fills this asyncio.Queue with put_nowait() and nobody awaits it;
        # get_nowait() pops from its deque, which is safe to do from another thread in CPython.
        updates = self._helper.updates
        while True:
            try:
                update = updates.get_nowait()
            except asyncio.QueueEmpty:
                return
            self.last_activity = time.monotonic()
            log = getattr(update, "log", None)
            if log:
                self._logs.append(LogMessage(str(log[0]), str(log[1])))

    def logs(self) -> list[LogMessage]:
        with self._lock:
            self._drain()
            return list(self._logs)

    def status(self) -> Any:
        with self._lock:
            self._drain()
        return self._job.status()

    def outputs(self) -> list[Any]:
        return list(self._job.outputs())

    def done(self) -> bool:
        return self._job.done()

    def result(self, timeout: float | None = None) -> Any:
        try:
            return self._job.result(timeout=timeout)
        finally:
            with self._lock:
                self._drain()

    def exception(self) -> BaseException | None:
        return self._job.exception(timeout=0) if self._job.done() else None


class Session:
    """A gradio_client ``Client`` (one session hash, one WanGP queue)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        quiet_telemetry()
        from gradio_client import Client

        self.settings = settings
        self.created = time.monotonic()
        try:
            self.client = Client(
                settings.url,
                verbose=False,
                auth=settings.auth,
                headers=dict(settings.headers),
                httpx_kwargs=settings.httpx_kwargs(),
                download_files=False,  # we fetch the one output ourselves: local copy or verified stream
                ssl_verify=verify_context(),  # full verification, without reloading the CA bundle each call
                analytics_enabled=False,
            )
        except Exception as exc:
            raise classify(exc, settings, during="connecting") from exc
        self.closed = False

    @property
    def config(self) -> dict[str, Any]:
        return self.client.config

    @property
    def session_hash(self) -> str:
        return str(self.client.session_hash)

    @property
    def cookies(self) -> dict[str, str]:
        return dict(self.client.cookies)

    def alive(self) -> bool:
        """False once the heartbeat stream died (server stopped or restarted since this session began)."""
        heartbeat = getattr(self.client, "heartbeat", None)
        return not self.closed and (heartbeat is None or heartbeat.is_alive())

    def submit(self, ref: EndpointRef, *args: Any, trigger_id: int | None = None) -> Call:
        """Queue one event in this session; never blocks on the server."""
        from gradio_client.client import Job

        client = self.client
        try:
            helper = client.new_helper(ref.fn_index, headers={"x-gradio-user": "api"})
            run = client.endpoints[ref.fn_index].make_end_to_end_fn(helper)
        except Exception as exc:
            raise classify(exc, self.settings, during=f"preparing {ref.route}") from exc
        extra = {"trigger_id": trigger_id} if trigger_id is not None else {}
        future = client.executor.submit(run, *args, **extra)
        # No cancel function on purpose: gradio's cancel stops the generator but not WanGP's worker thread.
        return Call(Job(future, communicator=helper, verbose=False), helper, ref.api_name)

    def call(
        self, ref: EndpointRef, *args: Any, timeout: float, trigger_id: int | None = None
    ) -> tuple[Any, Call]:
        """Submit and wait; typed errors on failure."""
        handle = self.submit(ref, *args, trigger_id=trigger_id)
        try:
            return handle.result(timeout=timeout), handle
        except TimeoutError as exc:
            from ..errors import BackendTimeoutError

            raise BackendTimeoutError(
                f"Wan2GP did not answer {ref.route} within {timeout:g} s (server busy or stuck)."
            ) from exc
        except Exception as exc:
            raise classify(exc, self.settings, during=f"calling {ref.route}") from exc

    def close(self) -> None:
        """Stop the heartbeat; gradio_client's close() waits up to 1 s, so it runs on a daemon thread."""
        if self.closed:
            return
        self.closed = True
        client = self.client
        threading.Thread(
            target=_close_quietly, args=(client,), name="wan2gp-session-close", daemon=True
        ).start()


def _close_quietly(client: Any) -> None:
    try:
        client.close()
        # gradio_client only shuts its three pools down in __del__; a closed session must not keep threads.
        for name in ("executor", "helper_executor", "stream_executor"):
            executor = getattr(client, name, None)
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
    except Exception as exc:  # closing a dead session must not raise into a worker; it is logged
        log.debug("closing a Wan2GP session failed: %r", exc)
