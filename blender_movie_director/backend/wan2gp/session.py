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

The ``Client`` is gradio_client's own with two reads replaced (:class:`_CappedClient`): ``/config`` and
``/gradio_api/info`` are streamed and cut at :data:`..limits.CONFIG_MAX_BYTES` (WanGP 12.60 sends 2.6 MB and
4.5 MB; a hostile server cannot make us hold 400 MB), and a server claiming a Gradio older than 4 is refused
(gradio_client would post its whole config to a Hugging Face Space to describe it).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import BackendError
from ..limits import CONFIG_MAX_BYTES, BodyTooLargeError, TooLargeError, capped_get
from ..tls import verify_context
from .discovery import EndpointRef
from .gradio_import import load
from .transport import ConnectionSettings, classify

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


@functools.lru_cache(maxsize=1)
def _capped_client_class() -> type:
    """gradio_client's ``Client`` whose ``/config`` and ``/info`` reads stop at the size limit."""
    import json
    import urllib.parse

    import httpx

    load()
    from gradio_client import Client
    from gradio_client import utils as gutils
    from gradio_client.exceptions import AuthenticationError

    class _CappedClient(Client):  # type: ignore[misc, valid-type]
        def _capped(self, url: str, what: str) -> Any:
            try:
                response = capped_get(
                    httpx,
                    url,
                    limit=CONFIG_MAX_BYTES,
                    headers=self.headers,
                    cookies=self.cookies,
                    verify=self.ssl_verify,
                    **self.httpx_kwargs,
                )
            except BodyTooLargeError as exc:
                raise TooLargeError(f"The Wan2GP server's {what}", exc.limit) from None
            return response

        def _get_config(self) -> dict:
            response = self._capped(urllib.parse.urljoin(self.src, gutils.CONFIG_URL), "/config")
            if response.status_code == 401:
                raise AuthenticationError(f"Could not load {self.src}: credentials were not provided.")
            if response.status_code == 429:
                raise gutils.TooManyRequestsError("Too many requests to the API, please try again later.")
            if not response.is_success:
                raise ValueError(f"Could not fetch config for {self.src}")
            self.cookies.update(
                {k: v for k, v in response.cookies.items() if v is not None and k not in self.cookies}
            )
            config = json.loads(response.content)
            if not isinstance(config, dict) or _major(config.get("version")) < 4:
                raise ValueError(f"Could not fetch config for {self.src} (not a Gradio 4+ app)")
            return config

        def _get_api_info(self) -> dict:
            url = urllib.parse.urljoin(self.src_prefixed, gutils.RAW_API_INFO_URL)
            response = self._capped(url, "API description (/gradio_api/info)")
            if not response.is_success:
                raise ValueError(f"Could not fetch api info for {self.src} (HTTP {response.status_code})")
            info = json.loads(response.content)
            for key in ("named_endpoints", "unnamed_endpoints"):  # as gradio_client keeps them
                kept = {}
                for name, endpoint in dict(info.get(key) or {}).items():
                    endpoint.pop("code_snippets", None)
                    if ("api_visibility" in endpoint and endpoint.pop("api_visibility") != "private") or (
                        endpoint.pop("show_api", True)
                    ):
                        kept[name] = endpoint
                info[key] = kept
            return info

    return _CappedClient


def _major(text: Any) -> int:
    head = str(text or "2").split(".", 1)[0]
    return int(head) if head.isdigit() else 0


class Session:
    """A gradio_client ``Client`` (one session hash, one WanGP queue)."""

    def __init__(self, settings: ConnectionSettings) -> None:
        Client = _capped_client_class()  # noqa: N806 - a class

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
        except BackendError:
            raise
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
        Job = load().client.Job  # noqa: N806 - a class

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
        self,
        ref: EndpointRef,
        *args: Any,
        timeout: float,
        trigger_id: int | None = None,
        stop: Callable[[], BackendError | None] | None = None,
    ) -> tuple[Any, Call]:
        """Submit and wait; typed errors on failure. ``stop()`` (checked every 50 ms) returns the error to
        give up with at once (cancel, deadline): the call is left to the server, the caller drops the
        session."""
        handle = self.submit(ref, *args, trigger_id=trigger_id)
        end = time.monotonic() + timeout
        if stop is not None:
            while not handle.done() and time.monotonic() < end:
                reason = stop()
                if reason is not None:
                    raise reason
                time.sleep(0.05)
        try:
            return handle.result(timeout=max(0.0, end - time.monotonic())), handle
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
