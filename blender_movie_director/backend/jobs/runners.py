"""The two backend runners: how a frozen request becomes a call to the Wan2GP client or WaveSpeed provider.

Each is loaded on first use (they import gradio_client / httpx / pydantic) and runs on a worker thread.
Servers and the output folder come from the request, which for a job of an earlier session the job
manager has rebuilt with today's preferences (``resume.rebuild``): a runner never reads them from a record.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ..base import GenerationResult
from ..errors import JobCancelledError
from .request import Backend, GenerationRequest
from .runner import RunContext, Runner, StopReason
from .store import JobRecord

#: How long a cancelled Wan2GP job may take to confirm the server stopped (it stops within a step).
ABORT_CONFIRM_S = 30.0
#: The settings key that makes a Wan2GP request a finish (WanGP's postprocessing of ``inputs["video"]``).
FINISH_KEY = "postprocess"


class Wan2GPRunner:
    """Runs jobs on one Wan2GP server, or on a pool when the request names several."""

    can_cancel_remote = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[tuple[str, ...], str, str, bool, int, str], Any] = {}

    def _client_for(self, ctx: RunContext, *, local_copy: bool = True) -> Any:
        """The client for the request's servers (a job of an earlier session has today's, see resume.py).
        ``local_copy=False``: results are fetched through the server, never copied from a local path."""
        from ..wan2gp import Wan2GPClient, Wan2GPPool

        urls = ctx.request.servers or ("",)
        creds = ctx.credentials
        cap = ctx.request.max_download_bytes
        # "auto" | "web_ui" | "mcp" (the preference; a request from before the field reads as "auto")
        transport = str(getattr(ctx.request, "transport", "") or "auto")
        key = (urls, creds.username, creds.password, local_copy, cap, transport)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                auth = (creds.username, creds.password) if creds.username else None
                kwargs: dict[str, Any] = {
                    "auth": auth,
                    "output_dir": ctx.request.output_dir,
                    "download_max_bytes": cap,
                    "transport": transport,
                }
                if not local_copy:
                    kwargs["local_copy"] = False
                if len(urls) > 1:
                    client = Wan2GPPool(urls, **kwargs)
                else:
                    client = Wan2GPClient(urls[0] or None, **kwargs)
                self._clients[key] = client
            return client

    @staticmethod
    def settings_for(request: GenerationRequest) -> dict[str, Any]:
        settings = dict(request.settings)
        settings.update(model=request.model, prompt=request.prompt)
        if request.negative_prompt:
            settings["negative_prompt"] = request.negative_prompt
        for role, path in request.inputs.items():
            if role == "image_refs":
                settings[role] = [p for p in path.split("\n") if p]
            else:
                settings[role] = path
        return settings

    def run(self, ctx: RunContext) -> GenerationResult:
        client = self._client_for(ctx)
        abort = threading.Event()

        reported: set[tuple[str, str]] = set()

        def remote_ids(ids: Any) -> None:
            if ids.transport == "mcp":  # the MCP server's job id: resume() follows it there
                if ids.job_id and (ids.job_id, "") not in reported:
                    reported.add((ids.job_id, ""))
                    ctx.set_remote_id(ids.job_id, "mcp_job", server_url=ids.server_url)
                return
            # Reported again once the server's output folder is known: resume() needs it after a restart.
            known = (ids.server_file or "", ids.outputs_dir or "")
            if known[0] and known not in reported:
                reported.add(known)
                details = {"outputs_dir": known[1]} if known[1] else {}
                ctx.set_remote_id(ids.server_file, "server_file", **details)

        finish = ctx.request.settings.get(FINISH_KEY)
        if finish is not None:
            job = self._submit_finish(client, ctx, finish, remote_ids, abort)
        else:
            job = client.submit(
                self.settings_for(ctx.request),
                output_dir=ctx.request.output_dir,
                progress=ctx.progress,
                on_remote_ids=remote_ids,
                cancel_event=abort,
                deadline=max(1.0, ctx.remaining()),
            )
        return self._wait(ctx, job, abort)

    @staticmethod
    def _submit_finish(client: Any, ctx: RunContext, finish: Any, remote_ids: Any, abort: Any) -> Any:
        """A finish request (``settings["postprocess"] = {"process": id, "parameters": {...}}``, the clip in
        ``inputs["video"]``): WanGP's postprocessing over MCP; a pool uses its first server."""
        from ..errors import ValidationError

        video = ctx.request.inputs.get("video")
        if not isinstance(finish, dict) or not isinstance(finish.get("process"), str) or not video:
            raise ValidationError(
                "A finish request needs settings['postprocess'] = {'process': …, 'parameters': {…}} and the "
                "clip in inputs['video'].",
                field="postprocess",
            )
        target = getattr(client, "clients", [client])[0]
        parameters = finish.get("parameters")
        return target.submit_finish(
            video,
            finish["process"],
            dict(parameters) if isinstance(parameters, dict) else {},
            output_dir=ctx.request.output_dir,
            progress=ctx.progress,
            on_remote_ids=remote_ids,
            cancel_event=abort,
            deadline=max(1.0, ctx.remaining()),
        )

    @staticmethod
    def _wait(ctx: RunContext, job: Any, abort: threading.Event) -> GenerationResult:
        from ..wan2gp import WaitTimeoutError

        while True:
            try:
                return job.result(timeout=0.25)
            except WaitTimeoutError:
                pass
            if ctx.should_stop():
                break
        # Cancel, deadline or shutdown: stop the work on the GPU (the server's own abort in the job's
        # session), then wait for the server to confirm so no generation is left running unseen.
        abort.set()
        ctx.progress(-1.0, "Stopping on the Wan2GP server")
        try:
            job.result(timeout=ABORT_CONFIRM_S)
        except WaitTimeoutError:
            ctx.log("The Wan2GP server did not confirm the abort in time.", "warning")
        except JobCancelledError:
            pass
        raise JobCancelledError(f"Stopped ({ctx.stop_reason}).", remote_id=ctx.remote_id or None)

    def resumable(self, record: JobRecord) -> str:
        if record.remote_kind in ("server_file", "mcp_job") and record.remote_id:
            return ""
        return (
            "Blender closed before the Wan2GP server had taken this job, so there is nothing to resume. "
            "Generate the shot again."
        )

    def resume(self, ctx: RunContext) -> GenerationResult:
        """Fetch the stored job's server file from today's servers (the request was rebuilt with them).

        The stored output folder on the server is only a hint, sent to the server, which decides what it
        hands out: the file is always fetched through the server, never copied from a path on this machine
        a stored record names."""
        assert ctx.record is not None
        client = self._client_for(ctx, local_copy=False)
        clients = getattr(client, "clients", [client])  # a pool: ask each of its servers
        if ctx.record.remote_kind == "mcp_job":
            return self._resume_mcp(ctx, clients)
        hint = ctx.record.metadata.get("outputs_dir")
        outputs_dir = (hint if isinstance(hint, str) else "") or os.environ.get("WAN2GP_SERVER_OUTPUTS")
        result: GenerationResult | None = None
        for candidate in clients:
            ctx.check()
            ctx.progress(-1.0, f"Looking for {ctx.record.remote_id} on {candidate.url}")
            result = candidate.recover(
                ctx.record.remote_id,
                outputs_dir=outputs_dir,
                output_dir=ctx.request.output_dir,
                stop=lambda: _stop_error(ctx),  # cancel, deadline, shutdown end the download within 0.1 s
            )
            if result.success:
                return result
        assert result is not None
        return result

    @staticmethod
    def _resume_mcp(ctx: RunContext, clients: list[Any]) -> GenerationResult:
        """Follow a job an earlier session started on an MCP server (today's servers; the one that took it
        first) and fetch its clip."""
        assert ctx.record is not None
        stored = ctx.record.metadata.get("server_url")
        result: GenerationResult | None = None
        for candidate in sorted(clients, key=lambda c: c.url != stored):
            ctx.check()
            ctx.progress(-1.0, f"Looking for the job on {candidate.url}")
            result = candidate.recover_job(
                ctx.record.remote_id, output_dir=ctx.request.output_dir, stop=lambda: _stop_error(ctx)
            )
            if result.success:
                return result
        assert result is not None
        return result

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            for one in getattr(client, "clients", [client]):
                one.close()


class WaveSpeedRunner:
    """Runs jobs on WaveSpeed (or a compatible endpoint). A submitted task cannot be cancelled there."""

    can_cancel_remote = False

    @staticmethod
    def params_for(request: GenerationRequest, spec: Any) -> dict[str, Any]:
        """The request as WaveSpeed parameters: each input role goes to the model's own field for it
        (``backend/wavespeed/roles.py``); the provider then refuses any key outside the schema."""
        from ..wavespeed.roles import role_params

        params = dict(request.settings)
        params["prompt"] = request.prompt
        if request.negative_prompt and "negative_prompt" in spec.fields:
            params["negative_prompt"] = request.negative_prompt
        params.update(role_params(spec, request.inputs))
        return params

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._providers: dict[tuple[str, str, float, int], Any] = {}

    def _provider(self, ctx: RunContext) -> Any:
        """One provider per account, address and timeout, shared by the jobs: its catalog check is then
        made once per 10 minutes instead of once per job (P4). It keeps one connection pool per event loop,
        so worker threads can share it."""
        from ..wavespeed.client import Timeouts, WaveSpeedClient
        from ..wavespeed.provider import WaveSpeedProvider

        base_url = ctx.request.servers[0] if ctx.request.servers else ""
        wait = ctx.request.request_timeout_s
        cap = ctx.request.max_download_bytes
        key = (base_url, ctx.credentials.api_key, wait, cap)
        with self._lock:
            provider = self._providers.get(key)
            if provider is None:
                timeouts = Timeouts(connect=min(10.0, wait), read=wait, submit=wait, download_read=wait)
                client = WaveSpeedClient(
                    ctx.credentials.api_key or None,
                    base_url or None,
                    timeouts=timeouts,
                    download_max_bytes=cap,
                )
                provider = self._providers[key] = WaveSpeedProvider(client=client)
            return provider

    def run(self, ctx: RunContext) -> GenerationResult:
        from ..wavespeed.roles import resolve_for_roles

        spec = resolve_for_roles(ctx.request.model, ctx.request.inputs)
        provider = self._provider(ctx)
        return provider.generate_sync(
            spec,
            self.params_for(ctx.request, spec),
            output_dir=ctx.request.output_dir,
            on_submitted=lambda task: ctx.set_remote_id(task.task_id, "task"),
            progress=ctx.progress,
            cancel=_StopFlag(ctx),
            deadline=ctx.deadline,
        )

    def resumable(self, record: JobRecord) -> str:
        if record.remote_id:
            return ""
        return (
            "Blender closed while this job was being sent to WaveSpeed, so it is not known whether the task "
            "was created. It was not sent again, to avoid paying twice; check your WaveSpeed dashboard."
        )

    def resume(self, ctx: RunContext) -> GenerationResult:
        assert ctx.record is not None
        provider = self._provider(ctx)
        return provider.resume_sync(
            ctx.record.remote_id,
            model=ctx.request.model,
            output_dir=ctx.request.output_dir,
            progress=ctx.progress,
            cancel=_StopFlag(ctx),
            deadline=ctx.deadline,
        )

    def close(self) -> None:
        """Forget the providers (each job's event loop already closed its connections)."""
        with self._lock:
            self._providers.clear()


def _stop_error(ctx: RunContext) -> JobCancelledError | None:
    """The error a transfer ends with once the job must stop (its kind is settled by the stop reason)."""
    if not ctx.should_stop():
        return None
    return JobCancelledError(f"Stopped ({ctx.stop_reason}).", remote_id=ctx.remote_id or None)


class _StopFlag:
    """The provider's cancel flag: set on abandon, deadline or shutdown; a plain cancel cannot stop a task."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx

    def is_set(self) -> bool:
        return self._ctx.should_stop() and self._ctx.stop_reason != StopReason.CANCEL


def default_runner(backend: Backend) -> Runner:
    return Wan2GPRunner() if Backend(backend) == Backend.WAN2GP else WaveSpeedRunner()
