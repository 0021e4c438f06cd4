"""Per-server state shared by every job on one Wan2GP server: connection settings, the endpoint discovery
(cached per server and process, re-done when the server restarts), a small pool of idle sessions, and what
the client has learnt about the server (its output folder).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..errors import BackendError, JobCancelledError
from ..limits import CONFIG_MAX_BYTES, capped_get
from ..retry import RetryPolicy, retry_call
from .discovery import Wan2GPEndpoints, discover
from .server_load import ServerLoad
from .session import Session
from .transport import ConnectionSettings, ProbeResult, classify, open_http, probe

log = logging.getLogger(__name__)

#: How long a stopped job's session is kept to be finalized once its server is done (a model download can
#: take minutes); then it is closed unfinished.
FINISH_GRACE = 600.0

#: Connecting to a server that may be (re)starting: 15 tries, about 25 s in all when nothing listens.
CONNECT_RETRY = RetryPolicy(attempts=15, base=0.5, cap=2.0)

#: (url, gradio app_id) -> endpoints. A restarted server has a new app_id, hence a fresh discovery.
_DISCOVERY: dict[tuple[str, str], Wan2GPEndpoints] = {}
_DISCOVERY_LOCK = threading.Lock()


def _app_id(config: dict[str, Any]) -> str:
    return str(config.get("app_id", "")) or f"nohash-{len(config.get('dependencies', []))}"


def endpoints_for_config(url: str, config: dict[str, Any]) -> Wan2GPEndpoints:
    key = (url, _app_id(config))
    with _DISCOVERY_LOCK:
        cached = _DISCOVERY.get(key)
    if cached is not None:
        return cached
    endpoints = discover(config)  # raises UnsupportedServerError with the drift report
    with _DISCOVERY_LOCK:
        _DISCOVERY[key] = endpoints
    for warning in endpoints.warnings:
        log.warning("Wan2GP at %s: %s", url, warning)
    return endpoints


class ServerContext(ServerLoad):
    """Everything one client keeps about one server."""

    #: Idle sessions kept for reuse: building a session fetches the server's /config (2.6 MB on WanGP 12.60).
    MAX_IDLE = 2
    IDLE_SECONDS = 300.0

    def __init__(self, settings: ConnectionSettings) -> None:
        super().__init__()
        self.settings = settings
        self._idle: list[Session] = []
        self.outputs_dir: str | None = None
        self.last_endpoints: Wan2GPEndpoints | None = None
        self.last_app_id: str | None = None

    # --- sessions ------------------------------------------------------------------------------------
    def new_session(self, deadline: float, cancel: threading.Event | None = None) -> Session:
        def attempt() -> Session:
            return Session(self.settings)

        # A server that is (re)starting answers within seconds to a minute: keep trying until the deadline.
        return retry_call(
            attempt,
            deadline=deadline,
            what=f"connecting to {self.settings.url}",
            cancel=cancel,
            policy=CONNECT_RETRY,
        )

    def acquire(
        self, deadline: float, cancel: threading.Event | None = None, *, fresh: bool = False
    ) -> tuple[Session, Wan2GPEndpoints]:
        """A session with no task of ours in it, and the endpoints of the server it talks to."""
        session = None
        if not fresh:
            with self._lock:
                while self._idle:
                    candidate = self._idle.pop()
                    if candidate.alive() and time.monotonic() - candidate.created < self.IDLE_SECONDS:
                        session = candidate
                        break
                    candidate.close()
        if session is None:
            session = self.new_session(deadline, cancel)
        try:
            endpoints = self.endpoints(session)
        except BaseException:
            session.close()
            raise
        return session, endpoints

    def endpoints(self, session: Session) -> Wan2GPEndpoints:
        endpoints = endpoints_for_config(self.settings.url, session.config)
        self.last_endpoints = endpoints
        self.last_app_id = _app_id(session.config)
        return endpoints

    def release(self, session: Session, *, reusable: bool) -> None:
        if reusable and session.alive():
            with self._lock:
                if len(self._idle) < self.MAX_IDLE:
                    self._idle.append(session)
                    return
        session.close()

    def close(self) -> None:
        """Close idle sessions; end every :meth:`finish_later` thread (its session closed unfinished)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for session in idle:
            session.close()
        self.end_finishers()

    def finish_later(
        self, session: Session, process: Any, endpoints: Wan2GPEndpoints, timeout: float
    ) -> None:
        """A stopped job whose server had not confirmed the abort: on a daemon thread, wait for its run to end
        (at most :data:`FINISH_GRACE` s, or until :meth:`close`), then finalize the session like the browser
        does (so WanGP does not keep it marked as running) and close it."""

        def finish() -> None:
            end = time.monotonic() + FINISH_GRACE
            while not process.done() and time.monotonic() < end:
                if self._closing.wait(0.1):
                    break
            try:
                if process.done():
                    session.call(endpoints.finalize, timeout=timeout)
                    log.info("Wan2GP at %s: a stopped job's session finished", self.settings.url)
                else:
                    log.warning(
                        "Wan2GP at %s: a stopped job's session was closed unfinished", self.settings.url
                    )
            except BackendError as err:
                log.info(
                    "Wan2GP at %s: finalizing a stopped job's session failed: %s", self.settings.url, err
                )
            finally:
                session.close()

        self.start_finisher(finish, "movie-director-wan2gp-finish")

    # --- probes --------------------------------------------------------------------------------------
    def probe(self) -> ProbeResult:
        return probe(self.settings)

    def current_app_id(self) -> str | None:
        """The running server's Gradio app id (changes on every server start); None if unreachable."""
        try:
            http = open_http(self.settings, timeout=max(self.settings.probe_timeout, 15.0))
        except BackendError:
            return None
        try:
            response = capped_get(http, f"{self.settings.url}/config", limit=CONFIG_MAX_BYTES)
            response.raise_for_status()
            return _app_id(response.json())
        except Exception as exc:
            log.info(
                "Wan2GP at %s: cannot read /config (%s)", self.settings.url, classify(exc, self.settings)
            )
            return None
        finally:
            http.close()

    def wait_until_reachable(self, deadline: float, cancel: threading.Event | None = None) -> ProbeResult:
        """Probe with backoff until the server answers or ``deadline`` passes."""
        delay = 0.25
        while True:
            result = self.probe()
            if result.reachable or time.monotonic() + delay > deadline:
                return result
            if cancel is not None and cancel.wait(delay):
                raise JobCancelledError("Cancelled while waiting for the Wan2GP server.")
            if cancel is None:
                time.sleep(delay)
            delay = min(delay * 2, 4.0)
