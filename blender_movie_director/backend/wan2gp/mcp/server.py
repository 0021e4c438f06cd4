"""Per-server state of a WanGP MCP server: the connection, what ``initialize`` + ``tools/list`` found (is it
WanGP, does it have every tool we call), the models it knows, and the one generation slot.

WanGP runs one generation at a time and has no queue ("WanGP session already has a generation in progress").
So jobs queue here, per server and process-wide (:class:`GenerationSlot`): a job holds the slot from its
``wangp_generate`` until the server reports the job terminal, and a stopped job whose server has not
confirmed keeps holding it from a background thread (:meth:`McpServer.finish_later`) until it does, so the
next job never meets the busy refusal from our own work.

Threading: shared by every job of one server; safe from any thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...errors import BackendError, ErrorKind, JobCancelledError
from ..server_load import ServerLoad
from ..transport import ConnectionSettings
from .errors import not_wangp
from .rpc import CLIENT_INFO, PROTOCOL_VERSION, McpConnection, StopCheck, mcp_endpoint

log = logging.getLogger(__name__)

#: The tools every job needs; a server without them is not WanGP's MCP server (or too old).
REQUIRED_TOOLS = (
    "wangp_generate",
    "wangp_get_job",
    "wangp_cancel_job",
    "wangp_create_gallery_upload",
    "wangp_create_gallery_download",
    "wangp_get_model_schema",
    "wangp_list_models",
)
#: How long a stopped job's slot is held waiting for the server to end it before it is given up.
FINISH_GRACE = 600.0
#: A server unreachable this long in a row has no job of ours running any more (it stopped or restarted): the
#: slot is released rather than held for FINISH_GRACE. If it only dropped off the network, the next job meets
#: its "already has a generation in progress" and says the server is busy (never sent twice).
UNREACHABLE_GRACE = 5.0
#: ``wangp_list_models`` returns at most 10 records a call; pages asked for at once.
PAGE = 10
PAGES_AT_ONCE = 4
#: How long the model list and schemas are trusted (a server may install models meanwhile).
CATALOG_SECONDS = 120.0


@dataclass(frozen=True)
class McpInfo:
    """What ``initialize`` and ``tools/list`` said."""

    server_name: str
    server_version: str
    protocol_version: str
    tools: frozenset[str]
    fingerprint: str
    warnings: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {"mcp_server": f"{self.server_name} (mcp {self.server_version})",
                "protocol_version": self.protocol_version, "tools": sorted(self.tools)}  # fmt: skip


class GenerationSlot:
    """A FIFO lock with queue positions: one generation at a time on one server."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._holder: object | None = None
        self._waiting: list[object] = []

    def acquire(self, owner: object, stop: StopCheck, on_wait: Callable[[int], None]) -> None:
        """Wait for the slot; ``on_wait(position)`` when it changes; raises ``stop()``'s error."""
        shown = -1
        with self._cond:
            self._waiting.append(owner)
        try:
            while True:
                with self._cond:
                    if self._holder is None and self._waiting[0] is owner:
                        self._waiting.pop(0)
                        self._holder = owner
                        return
                    position = self._waiting.index(owner) + 1
                if position != shown:
                    shown = position
                    on_wait(position)
                reason = stop()
                if reason is not None:
                    raise reason
                with self._cond:
                    self._cond.wait(0.1)
        except BaseException:
            with self._cond:
                if owner in self._waiting:
                    self._waiting.remove(owner)
                self._cond.notify_all()
            raise

    def release(self, owner: object) -> None:
        with self._cond:
            if self._holder is owner:
                self._holder = None
                self._cond.notify_all()

    @property
    def busy(self) -> int:
        with self._cond:
            return (self._holder is not None) + len(self._waiting)


_SLOTS: dict[str, GenerationSlot] = {}
_SLOTS_LOCK = threading.Lock()


def slot_for(endpoint: str) -> GenerationSlot:
    """The process-wide slot of one MCP endpoint (every client of that server shares it)."""
    key = mcp_endpoint(endpoint).rstrip("/")
    with _SLOTS_LOCK:
        return _SLOTS.setdefault(key, GenerationSlot())


@dataclass
class _Catalog:
    at: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)
    schemas: dict[str, tuple[float, Any]] = field(default_factory=dict)


class McpServer(ServerLoad):
    """Everything one client keeps about one WanGP MCP server."""

    def __init__(self, settings: ConnectionSettings, endpoint: str | None = None) -> None:
        self.settings = settings
        self.conn = McpConnection(settings, endpoint)
        self.slot = slot_for(self.conn.endpoint)
        super().__init__()
        self.info: McpInfo | None = None
        self._catalog = _Catalog()

    @property
    def url(self) -> str:
        return self.conn.endpoint

    # --- discovery ------------------------------------------------------------------------------------
    def ping(self, timeout: float | None = None) -> None:
        self.conn.request("ping", timeout=timeout or self.settings.probe_timeout)

    def discover(self, stop: StopCheck | None = None, *, fresh: bool = False) -> McpInfo:
        """``initialize`` + ``tools/list``; raises :class:`UnsupportedServerError` for a server without
        WanGP's tools. Cached per server until ``fresh``. No ``notifications/initialized``: WanGP's server
        is stateless and answers it with an empty 202, a round trip for nothing."""
        if self.info is not None and not fresh:
            return self.info
        init = self.conn.request(
            "initialize",
            {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": CLIENT_INFO},
            stop=stop,
        )
        listed = self.conn.request("tools/list", stop=stop)
        tools = listed.get("tools") if isinstance(listed, dict) else None
        names = {str(t.get("name")) for t in tools or [] if isinstance(t, dict)}
        missing = [name for name in REQUIRED_TOOLS if name not in names]
        if missing:
            raise not_wangp(self.url, missing)
        server = init.get("serverInfo") if isinstance(init, dict) else None
        server = server if isinstance(server, dict) else {}
        warnings = []
        if str(server.get("name", "")) != "WanGP":
            warnings.append(f"the MCP server calls itself '{server.get('name', '')}', not 'WanGP'")
        digest = hashlib.sha256(json.dumps(sorted(names)).encode()).hexdigest()[:16]
        self.info = McpInfo(
            server_name=str(server.get("name", "")),
            server_version=str(server.get("version", "")),
            protocol_version=str(init.get("protocolVersion", "")) if isinstance(init, dict) else "",
            tools=frozenset(names),
            fingerprint=digest,
            warnings=tuple(warnings),
        )
        for warning in warnings:
            log.warning("Wan2GP MCP at %s: %s", self.url, warning)
        return self.info

    # --- models ---------------------------------------------------------------------------------------
    def model_records(self, stop: StopCheck | None = None, *, fresh: bool = False) -> list[dict[str, Any]]:
        """Every model record with availability (``wangp_list_models`` pages of at most 10)."""
        with self._lock:
            cached = self._catalog
            if not fresh and cached.records and time.monotonic() - cached.at < CATALOG_SECONDS:
                return list(cached.records)
        records: list[dict[str, Any]] = []

        def page(offset: int) -> list[dict[str, Any]]:
            rows = self.conn.call_tool(
                "wangp_list_models", {"limit": PAGE, "offset": offset, "include_availability": True}
            )
            return [r for r in (rows if isinstance(rows, list) else []) if isinstance(r, dict)]

        # Pages of 10 (WanGP clamps the limit), 4 at a time: 217 models take 6 rounds, not 22 calls in a row.
        def wave_of(offsets: list[int]) -> list[list[dict[str, Any]]]:
            pages: list[Any] = [None] * len(offsets)

            def one(i: int, offset: int) -> None:
                try:
                    pages[i] = page(offset)
                except BaseException as exc:  # raised below, on the round's thread
                    pages[i] = exc

            threads = [
                threading.Thread(target=one, args=(i, o), name="wan2gp-mcp-models", daemon=True)
                for i, o in enumerate(offsets)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for item in pages:
                if isinstance(item, BaseException):
                    raise item
            return pages

        offset, done = 0, False
        while not done and offset < 5000:
            wave = [offset + PAGE * i for i in range(PAGES_AT_ONCE)]
            # One round of pages at a time, on daemon threads: ``stop`` ends the wait within 0.1 s.
            for rows in self.conn.stoppable(lambda wave=wave: wave_of(wave), stop):
                records += rows
                if len(rows) < PAGE:
                    done = True
                    break
            offset = wave[-1] + PAGE
        with self._lock:
            self._catalog.records = records
            self._catalog.at = time.monotonic()
        return list(records)

    def model_schema(self, model: str, stop: StopCheck | None = None) -> Any:
        """``wangp_get_model_schema``'s value (None: the server does not know the model); cached."""
        now = time.monotonic()
        with self._lock:
            hit = self._catalog.schemas.get(model)
        if hit is not None and now - hit[0] < CATALOG_SECONDS:
            return hit[1]
        schema = self.conn.call_tool("wangp_get_model_schema", {"model_type": model}, stop=stop)
        with self._lock:
            self._catalog.schemas[model] = (now, schema)
        return schema

    # --- stopped jobs -----------------------------------------------------------------------------------
    def finish_later(self, job_id: str, owner: object, on_end: Callable[[], None] | None = None) -> None:
        """Keep the slot while a stopped job ends on the server (polled every 0.25 s, at most
        :data:`FINISH_GRACE` s, :data:`UNREACHABLE_GRACE` s of a server that cannot be reached, or until
        :meth:`close`), then release it."""

        def closing() -> BackendError | None:
            return JobCancelledError("The add-on closed the connection.") if self._closing.is_set() else None

        def finish() -> None:
            end = time.monotonic() + FINISH_GRACE
            unreachable_since: float | None = None
            try:
                while time.monotonic() < end and not self._closing.is_set():
                    try:
                        snap = self.conn.call_tool(
                            "wangp_get_job", {"job_id": job_id, "event_limit": 0}, stop=closing
                        )
                    except BackendError as err:
                        log.info("Wan2GP MCP at %s: a stopped job could not be followed: %s", self.url, err)
                        if not err.retryable:
                            return
                        if err.kind is ErrorKind.CONNECTION:
                            unreachable_since = unreachable_since or time.monotonic()
                            if time.monotonic() - unreachable_since >= UNREACHABLE_GRACE:
                                return
                    else:
                        unreachable_since = None
                        if isinstance(snap, dict) and snap.get("done") and snap.get("result") is not None:
                            log.info("Wan2GP MCP at %s: a stopped job ended", self.url)
                            return
                    if self._closing.wait(0.25):
                        return
            finally:
                self.slot.release(owner)
                if on_end is not None:
                    on_end()

        self.start_finisher(finish, "movie-director-wan2gp-mcp-finish")

    def close(self) -> None:
        self.end_finishers()
        self.conn.close()


__all__ = ["REQUIRED_TOOLS", "GenerationSlot", "McpInfo", "McpServer", "slot_for"]
