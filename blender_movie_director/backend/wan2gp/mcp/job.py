"""One generation through WanGP's MCP server, on its own thread: :class:`McpJob` (the surface of
:class:`..job.Wan2GPJob`: ``status``, ``result``, ``outcome``, ``abort``, ``remote_ids``, done callbacks).

1. connect: ``initialize`` + ``tools/list`` (a server without WanGP's tools is refused, typed);
2. validate against the server, which checks little itself: the model must be one it knows
   (``wangp_get_model_schema``; else the models it has are named), frame counts within its limits, inputs
   the model takes (the prompt and number types were checked client-side already);
3. wait for the server's one generation slot (:class:`.server.GenerationSlot`: queued client-side);
4. upload the inputs (gallery ids replace local paths), ``wangp_generate(wait=False)``, sent once: a
   timeout or lost answer there is ``submission_uncertain``, never sent again (``wait=True`` with
   ``timeout_s`` is never used: a timeout there loses the job id while the job runs on);
5. poll ``wangp_get_job`` (progress texts as the web UI route's), until terminal;
6. download the gallery item (one-use URL, size limit, stop within 0.1 s) and check the MP4.

Stopping (abort, cancel event, deadline) sends ``wangp_cancel_job`` and ends the job within a second
whatever the server does: a server still loading the model (WanGP finishes a load before it looks at a
cancel) is left to end on its own while :meth:`.server.McpServer.finish_later` holds the slot for it. A cancel
that lands during a load ends with ``result.cancelled`` false and a "Generation was cancelled" error: that
is a cancel (:mod:`.events`).

Threading: the job's thread does all its I/O; ``abort()``, ``status()``, ``result()`` are safe from any
thread.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from ...base import GenerationResult
from ...errors import BackendError, JobInterruptedError, ValidationError
from ...media import video_metadata
from ...retry import RetryPolicy, retry_call
from ..catalog import MEDIA_KEYS
from ..job import STOP_WAIT, Wan2GPJob
from ..progress import Phase, RemoteIds
from . import transfer
from .errors import from_tool, unknown_model
from .events import is_terminal, new_events, outcome_error, output_item, update_for
from .rpc import ToolError

log = logging.getLogger(__name__)

#: Polls start quick (a short job ends within a few of them) and back off to this.
_POLL = 0.25
_FIRST_POLL = 0.05
#: Events asked for per poll (the server keeps 500; console lines are among them).
EVENT_LIMIT = 60
#: Keys of the web UI route's task that mean nothing to the MCP server (it names outputs itself).
_WEB_ONLY = ("client_id", "output_filename")
CONNECT_RETRY = RetryPolicy(attempts=6, base=0.5, cap=2.0)


class McpJob(Wan2GPJob):
    """A generation on a WanGP MCP server. Create it with ``Wan2GPClient.submit`` (transport "mcp")."""

    _job_id: str | None = None

    def clear(self) -> bool:
        """The MCP server has no queue of ours to clear: the same as :meth:`abort`."""
        return self.abort()

    # --- helpers ------------------------------------------------------------------------------------------
    @property
    def _url(self) -> str:
        return self._server.settings.url

    def _tool(self, name: str, arguments: dict[str, Any], **kwargs: Any) -> Any:
        try:
            return self._server.conn.call_tool(name, arguments, **kwargs)
        except ToolError as err:
            raise from_tool(err, self._url, model=str(self._task.get("model_type", ""))) from None

    # --- the pipeline -------------------------------------------------------------------------------------
    def _pipeline(self) -> GenerationResult:
        self._deadline = self._started + self._options.deadline_seconds
        stop = self._stop_error
        timings: dict[str, float] = {}
        server = self._server
        self._set(Phase.CONNECTING, f"connecting to {self._url}")
        retry_call(
            lambda: server.discover(stop), deadline=self._deadline, what=f"connecting to {self._url}",
            cancel=self._options.cancel_event or self._abort, policy=CONNECT_RETRY,
        )  # fmt: skip
        self._validate(stop)
        queued = time.monotonic()
        server.slot.acquire(self, stop, self._queued)
        timings["queued"] = round(time.monotonic() - queued, 3)
        held = True
        try:
            t0 = time.monotonic()
            snap = self._submit(stop)
            timings["upload"] = round(time.monotonic() - t0, 3)
            job_id = snap.get("job_id") if isinstance(snap, dict) else None
            if not isinstance(job_id, str) or not job_id:
                from ...errors import UnsupportedServerError

                raise UnsupportedServerError(
                    "The Wan2GP MCP server started no job (its answer has no job id)."
                )
            self._job_id = job_id
            self._set_remote(RemoteIds(server_url=self._url, session_hash="", client_id=self.token,
                                       server_file="", transport="mcp", job_id=job_id))  # fmt: skip
            t1 = time.monotonic()
            final, stopped = self._follow(job_id, snap)
            server.slot.release(self)
            held = False
            timings["generation"] = round(time.monotonic() - t1, 3)
            error = outcome_error(final, self._url)
            if stopped is not None and error is not None:
                raise stopped  # our cancel or deadline is the outcome, whatever the stopped run reported
            if error is not None:
                raise self._explained(error)
            item = output_item(final)
            if item is None:
                from ...errors import ServerError

                raise ServerError(
                    f"Wan2GP finished without producing this video. Last status: {self.status().text}"
                )
            self._set(Phase.DOWNLOADING, "downloading the video")
            t2 = time.monotonic()
            fetched = transfer.download(
                server.conn, str(item["gallery_id"]), self._options.output_dir, stem=self.token,
                max_bytes=self._server.settings.download_max_bytes, stop=stop,
            )  # fmt: skip
            timings["download"] = round(time.monotonic() - t2, 3)
            timings["total"] = round(time.monotonic() - self._started, 3)
            path = str(item.get("path") or "")
            self._set_remote(RemoteIds(**{**self._remote.__dict__, "server_path": path or None}))  # type: ignore[union-attr]
            metadata = {
                **self._base_metadata,
                **video_metadata(fetched.info),
                "server_file": fetched.filename,
                "server_path": path,
                "remote_id": job_id,
                "job_id": job_id,
                "gallery_id": item["gallery_id"],
                "transport": "mcp",
                "local_copy": False,
                "bytes": fetched.bytes,
                "timings": timings,
            }
            return GenerationResult.ok(str(fetched.path), **metadata)
        finally:
            if held and not self._handed_off:
                server.slot.release(self)

    _handed_off = False

    def _submit(self, stop: Any) -> Any:
        """Upload the inputs and start the generation; returns the first snapshot."""
        source = self._source(stop)
        stopping = stop()
        if stopping is not None:
            raise stopping  # nothing started on the server yet
        self._set(Phase.UPLOADING, "sending the task to Wan2GP")
        # Sent once, without the stop (a generation started unseen would hold the server): the request
        # timeout bounds it; a lost answer is submission_uncertain, never sent again.
        return self._tool("wangp_generate", {"source": source, "wait": False}, idempotent=False)

    def _failure_metadata(self, err: BackendError) -> dict[str, Any]:
        meta = dict(self._base_metadata, transport="mcp")
        if self._job_id:
            meta.update(remote_id=self._job_id, job_id=self._job_id)
        return meta

    def _queued(self, position: int) -> None:
        self._set(
            Phase.QUEUED, f"waiting for the Wan2GP server (position {position})", queue_position=position
        )

    # --- step 2: validate against the server ---------------------------------------------------------------
    def _validate(self, stop: Any) -> None:
        model = str(self._task.get("model_type", ""))
        schema = self._schema(model, stop)
        if not isinstance(schema, dict):
            records = self._server.model_records(stop)
            video = [r for r in records if "video" in (r.get("main_output") or r.get("outputs") or [])]
            ready = [
                str(r.get("model_type")) for r in video if (r.get("availability") or {}).get("available")
            ]
            raise unknown_model(model, self._url, ready or [str(r.get("model_type")) for r in video])
        meta = schema.get("metadata") if isinstance(schema.get("metadata"), dict) else schema
        self._check_weights(model, stop)
        frames = self._task.get("video_length")
        low, high = meta.get("frames_minimum"), meta.get("frames_maximum")
        if isinstance(frames, int) and isinstance(low, int) and frames < low:
            raise ValidationError(
                f"'{model}' on this Wan2GP server makes at least {low} frames; {frames} were asked for.",
                field="video_length",
            )
        if (
            isinstance(frames, int)
            and isinstance(high, int)
            and frames > high
            and not meta.get("sliding_window")
        ):
            raise ValidationError(
                f"'{model}' on this Wan2GP server makes at most {high} frames; {frames} were asked for.",
                field="video_length",
            )
        media = meta.get("media_inputs")
        if isinstance(media, dict):
            image, video = media.get("image") or {}, media.get("video") or {}
            takes = {"image_start": image.get("start"), "image_end": image.get("end"),
                     "image_refs": image.get("reference"), "video_guide": video.get("control"),
                     "video_mask": video.get("mask") or image.get("mask")}  # fmt: skip
            for key, accepted in takes.items():
                if self._task.get(key) and accepted is False:
                    raise ValidationError(
                        f"'{model}' on this Wan2GP server takes no {key.replace('_', ' ')}; "
                        "remove it or pick "
                        "a model that does.",
                        field=key,
                    )

    _weights_missing = False

    def _check_weights(self, model: str, stop: Any) -> None:
        """Whether the model's weights are on the server (WanGP downloads missing ones first, which may take
        long or fail offline): said in the progress text now, and in the message if the load fails."""
        info = self._server.info
        if info is None or "wangp_get_model_availability" not in info.tools:
            return
        try:
            answer = self._tool("wangp_get_model_availability", {"model_type": model}, stop=stop)
        except BackendError as err:
            if err.kind.value in ("cancelled", "timeout"):
                raise
            log.info("Wan2GP MCP availability of %s unknown: %s", model, err)
            return
        if isinstance(answer, dict) and answer.get("available") is False:
            self._weights_missing = True
            self._set(
                Phase.LOADING,
                f"'{model}' has no weights on the Wan2GP server yet: WanGP downloads them first",
            )

    def _explained(self, error: BackendError) -> BackendError:
        """A failed run of a model without weights on the server: say so, with the models that are ready."""
        if not self._weights_missing or error.kind.value != "server":
            return error
        model = str(self._task.get("model_type", ""))
        try:
            records = self._server.model_records()
        except BackendError:
            records = []
        ready = [
            str(r.get("model_type"))
            for r in records
            if "video" in (r.get("main_output") or []) and (r.get("availability") or {}).get("available")
        ]
        from ...errors import ModelUnavailableError

        shown = f" Models ready there: {', '.join(ready[:12])}." if ready else ""
        return ModelUnavailableError(
            f"The Wan2GP server has no weights for '{model}' and could not get them "
            f"({error.user_message.removeprefix('Wan2GP could not generate the video: ')}).{shown}"
        )

    def _schema(self, model: str, stop: Any) -> Any:
        try:
            return self._server.model_schema(model, stop)
        except ToolError as err:
            raise from_tool(err, self._url, model=model) from None

    # --- step 4: inputs and the source -------------------------------------------------------------------
    def _source(self, stop: Any) -> dict[str, Any]:
        source = {k: v for k, v in self._task.items() if k not in _WEB_ONLY}
        keys = [key for key in MEDIA_KEYS if source.get(key)]
        if keys:
            self._set(Phase.UPLOADING, "sending the inputs to Wan2GP")
        for key in keys:
            value = source[key]
            paths = value if isinstance(value, list) else [value]
            ids = []
            for n, raw in enumerate(paths):
                path = Path(raw)
                name = f"{self.token}_{key}_{n}{path.suffix.lower()}"
                try:
                    ids.append(transfer.upload(self._server.conn, path, stop=stop, name=name))
                except ToolError as err:
                    raise from_tool(err, self._url) from None
            source[key] = ids if isinstance(value, list) else ids[0]
        return source

    # --- step 5: follow the job -----------------------------------------------------------------------------
    def _follow(self, job_id: str, snap: Any) -> tuple[dict[str, Any], BackendError | None]:
        """Poll until terminal; returns (terminal snapshot, our stop error if we stopped it). A stop the
        server does not confirm within :data:`STOP_WAIT` hands the slot to a finisher and raises."""
        seen = 0.0
        last_answer = time.monotonic()
        stopped: BackendError | None = None
        stopped_at = 0.0
        interval = _FIRST_POLL
        while True:
            for event in new_events(snap, seen):
                seen = max(seen, float(event["timestamp"]))
                update = update_for(event)
                if update is not None and stopped is None:
                    self._set(update.phase, update.text, step=update.step, total=update.total)
            if is_terminal(snap):
                return snap, stopped
            if stopped is None:
                stopped = self._stop_error()
                if stopped is not None:
                    stopped_at = time.monotonic()
                    self._loading_when_stopped = self.status().phase == Phase.LOADING
                    text = (
                        "deadline reached, stopping Wan2GP"
                        if stopped.kind.value == "timeout"
                        else "stopping Wan2GP"
                    )
                    if self._loading_when_stopped:
                        text += " (WanGP finishes loading the model first)"
                    self._set(Phase.ABORTING, text)
                    late = self._late(stopped_at, stopped)
                    try:
                        snap = self._tool(
                            "wangp_cancel_job", {"job_id": job_id, "event_limit": EVENT_LIMIT}, stop=late
                        )
                        continue
                    except BackendError as err:
                        if err is not stopped:
                            log.warning("Wan2GP MCP cancel of %s failed: %s", job_id, err)
            if stopped is not None and time.monotonic() - stopped_at > STOP_WAIT:
                self._handed_off = True
                self._server.finish_later(job_id, self)
                raise self._left_running_error(stopped)
            if stopped is None:
                self._pause(interval)
                interval = min(_POLL, interval * 2)
            else:
                time.sleep(0.05)
            try:
                snap = self._tool(
                    "wangp_get_job", {"job_id": job_id, "event_limit": EVENT_LIMIT},
                    stop=self._stop_error if stopped is None else self._late(stopped_at, stopped),
                )  # fmt: skip
                last_answer = time.monotonic()
            except JobInterruptedError:
                self.server_gone = True  # the server forgot the job: it restarted
                raise
            except BackendError as err:
                if stopped is not None and err is stopped:
                    continue  # out of time waiting for the confirmation: handled above
                if stopped is None and self._stop_error() is not None:
                    continue  # the poll was cut by our stop: the loop sends the cancel
                if not err.retryable:
                    raise
                if time.monotonic() - last_answer > self._options.watchdog_seconds:
                    self.server_gone = True
                    raise JobInterruptedError(
                        f"The Wan2GP server at {self._url} stopped answering during the generation."
                    ) from err
                log.info("Wan2GP MCP poll of %s failed (%s); asking again", job_id, err)

    @staticmethod
    def _late(since: float, error: BackendError) -> Any:
        return lambda: error if time.monotonic() - since > STOP_WAIT else None


__all__ = ["McpJob"]


def recover(
    server: Any, job_id: str, output_dir: Path, *, stop: Any = None, max_bytes: int = 0
) -> GenerationResult:
    """Follow a job an earlier session started (until it ends; ``stop()`` ends the wait within 0.1 s) and
    fetch its clip: after Blender restarted, nothing is sent again."""
    url = server.settings.url
    try:
        server.discover(stop)
        while True:
            try:
                snap = server.conn.call_tool("wangp_get_job", {"job_id": job_id, "event_limit": 0}, stop=stop)
            except ToolError as err:
                raise from_tool(err, url) from None
            if is_terminal(snap):
                break
            for _ in range(10):
                reason = stop() if stop is not None else None
                if reason is not None:
                    raise reason
                time.sleep(0.1)
        error = outcome_error(snap, url)
        if error is not None:
            raise error
        item = output_item(snap)
        if item is None:
            from ...errors import ServerError

            raise ServerError("The Wan2GP job ended without a video to fetch.")
        fetched = transfer.download(
            server.conn, str(item["gallery_id"]), output_dir, stem=f"md_{job_id[:16]}", max_bytes=max_bytes,
            stop=stop,
        )  # fmt: skip
    except BackendError as err:
        return GenerationResult.failed(err, backend="wan2gp", remote_id=job_id, transport="mcp")
    return GenerationResult.ok(
        str(fetched.path), backend="wan2gp", remote_id=job_id, job_id=job_id, transport="mcp",
        server_file=fetched.filename, **video_metadata(fetched.info), recovered=True,
    )  # fmt: skip


class AutoJob(McpJob):
    """A job whose client has not decided its transport yet (``auto`` and an address without ``/mcp``):
    its own thread asks (the probe blocks, so :meth:`Wan2GPClient.submit` does not), then runs the web UI
    pipeline or the MCP one."""

    _on_mcp = False

    def __init__(self, client: Any, task: dict[str, Any], token: str, options: Any, metadata: dict[str, Any]):
        super().__init__(client._server, task, token, options, metadata)
        self._client = client

    def clear(self) -> bool:
        return Wan2GPJob.clear(self)  # WanGP's Clear Queue on the web UI; the MCP pipeline ignores the flag

    def _failure_metadata(self, err: BackendError) -> dict[str, Any]:
        if self._on_mcp:
            return McpJob._failure_metadata(self, err)
        return Wan2GPJob._failure_metadata(self, err)

    def _pipeline(self) -> GenerationResult:
        self._set(Phase.CONNECTING, f"connecting to {self._client.url}")
        if self._client.transport != "mcp":
            return Wan2GPJob._pipeline(self)
        web, mcp = self._server, self._client._mcp_server()
        mcp.job_started()
        self._server = mcp
        web.job_finished()
        self._on_mcp = True
        self._base_metadata["transport"] = "mcp"
        return McpJob._pipeline(self)
