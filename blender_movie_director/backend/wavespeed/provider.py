"""One WaveSpeed generation from settings to a checked MP4 on disk, and ``resume`` for a task submitted
earlier (after a Blender restart too). Async at heart; ``*_sync`` methods are the facade for worker
threads (each call runs its own event loop and closes that loop's connections).

Order of a generation: validate (no network) -> estimate and budget -> live catalog check -> upload local
inputs -> live price quote (only with a budget) and budget -> submit exactly once -> hand the task id to
``on_submitted`` -> poll -> download.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..base import GenerationResult, ProgressCallback
from ..errors import (
    AuthenticationError,
    BackendError,
    ModelUnavailableError,
    RateLimitError,
    SubmissionUncertainError,
    ValidationError,
)
from ..files import safe_filename
from ..media import InvalidVideoError, check_video, video_metadata
from ..retry import RetryPolicy
from .client import WaveSpeedClient
from .control import CancelFlag, Control
from .download import download_video
from .models import MEDIA_FIELDS, ModelSpec, all_models, resolve_model
from .polling import PollSchedule, Progress, output_urls, wait_for_task
from .pricing import CostEstimate, estimate_prepared
from .ratelimit import RATE_LIMIT_WAIT, wait_for_turn
from .validation import PreparedRequest, check_payload_keys, prepare_request, put_upload

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class SubmittedTask:
    """Handed to ``on_submitted`` the moment WaveSpeed names the task: persist it to resume later."""

    task_id: str
    model_id: str
    output_path: str
    submitted_at: float  # time.time()
    estimated_cost: float | None
    uncertain: bool = False  # True: the submit failed but the answer carried this id

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SubmitCallback = Callable[[SubmittedTask], None]


@dataclass(frozen=True)
class ProviderOptions:
    poll: PollSchedule = field(default_factory=PollSchedule)
    #: Ask ``GET /api/v3/models`` whether the model is still offered (and check our keys against its schema).
    check_catalog: bool = True
    catalog_ttl: float = 600.0
    #: Ask ``POST /api/v3/model/price`` for the charge before submitting: None (default) only when a budget
    #: (``max_cost``) is set, True always, False never. Without a quote, ``metadata["cost"]`` is our own
    #: estimate from the model's price rule and ``metadata["cost_source"]`` says ``"estimate"``.
    quote_price: bool | None = None
    #: Submits answered 429 were refused (nothing created): they wait their turn until the job's deadline.
    rate_limit_wait: RetryPolicy = RATE_LIMIT_WAIT
    #: Default total wait for one generation (submit to checked file), seconds.
    timeout: float = 1800.0
    output_dir: Path | None = None


def _default_output_dir() -> Path:
    return Path(tempfile.gettempdir()) / "movie-director" / "wavespeed"


class WaveSpeedProvider:
    """Generates with any model of :func:`all_models`. Errors are raised typed (:class:`BackendError`),
    each naming the task id once one exists."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        client: WaveSpeedClient | None = None,
        options: ProviderOptions | None = None,
    ) -> None:
        self.client = client or WaveSpeedClient(api_key, base_url)
        self.options = options or ProviderOptions()
        self._catalog: dict[str, dict] | None = None
        self._catalog_at = 0.0
        self._catalog_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WaveSpeedProvider({self.client!r})"

    # -- helpers -----------------------------------------------------------------------------------
    def output_path_for(self, task_id: str, output_dir: str | Path | None = None) -> Path:
        folder = Path(output_dir) if output_dir else (self.options.output_dir or _default_output_dir())
        return folder / safe_filename(f"wavespeed_{task_id}.mp4", "wavespeed_result.mp4")

    def _cached_catalog(self) -> dict[str, dict] | None:
        fresh = time.monotonic() - self._catalog_at < self.options.catalog_ttl
        return self._catalog if fresh else None

    async def catalog(self, control: Control | None = None, *, refresh: bool = False) -> dict[str, dict]:
        """The live catalog ``{model_id: entry}`` (cached for ``catalog_ttl`` seconds)."""
        control = control or Control(timeout=60)
        cached = None if refresh else self._cached_catalog()
        if cached is not None:
            return cached
        # Jobs sharing this provider run on their own threads and event loops: one of them fetches, the
        # others wait for its answer instead of asking too (ten jobs started at once made eight requests).
        while not self._catalog_lock.acquire(blocking=False):
            await control.sleep(0.02)
        try:
            cached = None if refresh else self._cached_catalog()
            if cached is not None:
                return cached
            entries = await self.client.list_models(control, retry=False)
            self._catalog = {str(e.get("model_id") or e.get("id") or ""): e for e in entries}
            self._catalog_at = time.monotonic()
            return self._catalog
        finally:
            self._catalog_lock.release()

    async def check_offered(self, spec: ModelSpec, control: Control | None = None) -> dict | None:
        """Raise :class:`ModelUnavailableError` if the live catalog no longer lists ``spec``.

        Returns the catalog entry, or None when the catalog cannot be read (then nothing is concluded).
        A bad key is raised: it would fail the submit anyway.
        """
        try:
            catalog = await self.catalog(control)
        except AuthenticationError:
            raise
        except BackendError as exc:
            log.info("model catalog not available (%s); skipping the availability check", exc.kind.value)
            return None
        entry = catalog.get(spec.model_id)
        if entry is None:
            retired = (
                " Lightricks retired this model from its own API in August 2026."
                if spec.may_be_retired
                else ""
            )
            raise ModelUnavailableError(
                f"{spec.display_name} ({spec.model_id}) is no longer offered by WaveSpeed.{retired} "
                "Pick another model."
            )
        return entry

    @staticmethod
    def check_live_schema(
        spec: ModelSpec, entry: Mapping[str, Any] | None, payload: Mapping[str, Any]
    ) -> None:
        """If the catalog entry carries the request schema, every key we send must be in it."""
        try:
            schema = entry["api_schema"]["api_schemas"][0]["request_schema"]  # type: ignore[index]
            live = set(schema["properties"])
        except (KeyError, IndexError, TypeError):
            return
        missing = sorted(set(payload) - live)
        if missing:
            raise ValidationError(
                f"WaveSpeed's current schema for {spec.display_name} has no {', '.join(missing)}; sending "
                "it would be ignored and billed as a default generation. Update Movie Director.",
                field=missing[0],
                allowed=tuple(sorted(live)),
            )

    def wants_quote(self, max_cost: float | None) -> bool:
        """Whether a job asks for a live quote: only a budget needs one, unless the options say otherwise."""
        choice = self.options.quote_price
        return max_cost is not None if choice is None else choice

    async def price(
        self,
        prepared: PreparedRequest,
        payload: Mapping[str, Any],
        control: Control,
        *,
        quote: bool = True,
    ) -> tuple[float | None, str, CostEstimate]:
        """``(usd, source, estimate)``: the live quote when asked for and it can be had, else our estimate.

        ``payload`` is the body about to be sent (uploads already replaced by their URLs), so a price
        that depends on an input video can be computed by the service.
        """
        estimate = estimate_prepared(prepared)
        if quote:
            inputs = {**prepared.spec.defaults(), **payload}
            try:
                quote = await self.client.quote_price(prepared.spec.model_id, inputs, control, retry=False)
                value = quote.get("discounted_price", quote.get("price"))
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return float(value), "quote", estimate
            except AuthenticationError:
                raise
            except BackendError as exc:
                log.info("price quote not available (%s); using the estimate", exc.kind.value)
        return estimate.usd, "estimate", estimate

    # -- generation ------------------------------------------------------------------------------
    async def generate(
        self,
        model: str | ModelSpec,
        params: Mapping[str, Any],
        *,
        output_path: str | Path | None = None,
        output_dir: str | Path | None = None,
        on_submitted: SubmitCallback | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelFlag | None = None,
        deadline: float | None = None,
        timeout: float | None = None,
        max_cost: float | None = None,
    ) -> GenerationResult:
        """Run one generation; returns a successful result or raises a typed :class:`BackendError`."""
        started = time.monotonic()
        control = Control(cancel, deadline, timeout if timeout is not None else self.options.timeout)
        spec = model if isinstance(model, ModelSpec) else resolve_model(model, task=_task_for(params))
        prepared = prepare_request(spec, params)
        reporter = Progress(progress, spec.typical_seconds)
        control.check()

        _check_budget(spec, estimate_prepared(prepared).usd, max_cost, strict=False)
        entry = await self.check_offered(spec, control) if self.options.check_catalog else None
        self.check_live_schema(spec, entry, prepared.payload)

        payload = dict(prepared.payload)
        for name, path in prepared.uploads.items():
            reporter.report(0.01, f"Uploading {path.name}")
            put_upload(payload, name, await self.client.upload(path, control))
        check_payload_keys(spec, payload)
        cost, cost_source, estimate = await self.price(
            prepared, payload, control, quote=self.wants_quote(max_cost)
        )
        _check_budget(spec, cost, max_cost, strict=True)
        control.check()

        task = await self._submit(
            spec, payload, control, reporter, output_path, output_dir, cost, on_submitted
        )
        submit_seconds = time.monotonic() - started
        task_id = control.remote_id
        assert task_id is not None
        dest = Path(output_path) if output_path else self.output_path_for(task_id, output_dir)
        meta = {
            "backend": "wavespeed",
            "model": spec.model_id,
            "model_name": spec.short_name,
            "prompt": payload.get("prompt", ""),
            "seed": payload.get("seed"),
            "remote_id": task_id,
            "task_id": task_id,
            "cost": cost,
            "cost_source": cost_source,
            "cost_estimate": str(estimate),
            "cost_confidence": estimate.confidence,
            "params": {k: v for k, v in prepared.effective().items() if not _is_media(spec, k)},
            "submitted_status": task.get("status"),
        }
        return await self._finish(spec, task_id, dest, control, reporter, meta, started, submit_seconds)

    async def _submit(
        self,
        spec: ModelSpec,
        payload: dict[str, Any],
        control: Control,
        reporter: Progress,
        output_path: str | Path | None,
        output_dir: str | Path | None,
        cost: float | None,
        on_submitted: SubmitCallback | None,
    ) -> dict:
        def announce(task_id: str, uncertain: bool) -> None:
            control.remote_id = task_id
            if on_submitted is None:
                return
            dest = Path(output_path) if output_path else self.output_path_for(task_id, output_dir)
            info = SubmittedTask(task_id, spec.model_id, str(dest), time.time(), cost, uncertain)
            try:
                on_submitted(info)
            except Exception:
                log.exception(
                    "on_submitted callback failed for task %s; continuing (the task is paid)", task_id
                )

        refusals = 0
        while True:
            try:
                task = await self.client.submit(spec.model_id, payload, control)
                break
            except SubmissionUncertainError as exc:
                if exc.remote_id:
                    announce(exc.remote_id, True)
                raise
            except RateLimitError as exc:
                # A 429 is a refusal: nothing was created, so asking again cannot bill twice.
                refusals += 1
                log.info("submit refused by the rate limit (%d); waiting for a turn", refusals)
                await wait_for_turn(exc, refusals, self.options.rate_limit_wait, control, reporter)
            except ModelUnavailableError as exc:
                raise ModelUnavailableError(
                    f"WaveSpeed does not offer {spec.display_name} ({spec.model_id}) any more. Pick another "
                    "model.",
                    code=exc.code,
                ) from None
        announce(str(task["id"]), False)
        return task

    async def _finish(
        self,
        spec: ModelSpec | None,
        task_id: str,
        dest: Path,
        control: Control,
        reporter: Progress,
        meta: dict[str, Any],
        started: float,
        submit_seconds: float | None,
    ) -> GenerationResult:
        control.remote_id = task_id
        typical = spec.typical_seconds if spec is not None else None
        outcome = await wait_for_task(self.client, task_id, control, reporter, self.options.poll, typical)
        urls = output_urls(outcome.task)
        got = await download_video(
            self.client, urls[0], dest, control, task_id=task_id, progress=reporter.downloading
        )
        reporter.report(1.0, "Done")
        server = outcome.task.get("timings") or {}
        inference = server.get("inference") if isinstance(server, Mapping) else None
        meta.update(
            model=_known_model(outcome.task.get("model")) or meta.get("model"),
            **video_metadata(got.info),
            bytes=got.size,
            output_url=urls[0],
            extra_outputs=urls[1:],
            has_nsfw_contents=list(outcome.task.get("has_nsfw_contents") or []),
            polls=outcome.polls,
            timings={
                "submit": None if submit_seconds is None else round(submit_seconds, 3),
                "queued": round(outcome.queued_seconds, 3),
                "generation": round(outcome.generation_seconds, 3),
                "download": round(got.seconds, 3),
                "total": round(time.monotonic() - started, 3),
                "inference": inference / 1000 if isinstance(inference, int | float) else None,
            },
        )
        return GenerationResult.ok(str(dest), **meta)

    async def resume(
        self,
        task_id: str,
        *,
        model: str | None = None,
        output_path: str | Path | None = None,
        output_dir: str | Path | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelFlag | None = None,
        deadline: float | None = None,
        timeout: float | None = None,
    ) -> GenerationResult:
        """Finish a task submitted earlier: poll, download, check. Nothing is submitted.

        If the file was already downloaded and is a complete MP4, it is returned without any request.
        """
        started = time.monotonic()
        control = Control(cancel, deadline, timeout if timeout is not None else self.options.timeout)
        control.remote_id = task_id
        spec = resolve_model(model) if model else None
        dest = Path(output_path) if output_path else self.output_path_for(task_id, output_dir)
        meta: dict[str, Any] = {
            "backend": "wavespeed",
            "model": spec.model_id if spec else None,
            "model_name": spec.short_name if spec else None,
            "remote_id": task_id,
            "task_id": task_id,
            "resumed": True,
        }
        if dest.is_file():
            try:
                info = check_video(dest)
            except InvalidVideoError:
                log.info("existing %s is incomplete; downloading again", dest.name)
            else:
                meta.update(video_metadata(info), already_downloaded=True)
                return GenerationResult.ok(str(dest), **meta)
        typical = spec.typical_seconds if spec else 120.0
        return await self._finish(
            spec, task_id, dest, control, Progress(progress, typical), meta, started, None
        )

    # -- sync facade for worker threads -------------------------------------------------------
    def run_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on a fresh event loop in this thread, closing that loop's connections after."""

        async def runner() -> T:
            try:
                return await coro
            finally:
                await self.client.aclose()

        return asyncio.run(runner())

    def generate_sync(
        self, model: str | ModelSpec, params: Mapping[str, Any], **kwargs: Any
    ) -> GenerationResult:
        return self.run_sync(self.generate(model, params, **kwargs))

    def resume_sync(self, task_id: str, **kwargs: Any) -> GenerationResult:
        return self.run_sync(self.resume(task_id, **kwargs))

    def catalog_sync(self) -> dict[str, dict]:
        return self.run_sync(self.catalog(refresh=True))


def _is_media(spec: ModelSpec, name: str) -> bool:
    field = spec.fields.get(name)
    return name in MEDIA_FIELDS or (field is not None and field.media_kind is not None)


def _known_model(model_id: Any) -> str | None:
    """The task's own model id when it is one we know (a resumed task may not say which member it was)."""
    return model_id if isinstance(model_id, str) and model_id in all_models() else None


def _check_budget(spec: ModelSpec, cost: float | None, max_cost: float | None, *, strict: bool) -> None:
    """Refuse above ``max_cost``; an unknown price is refused only once no quote can tell (``strict``)."""
    if max_cost is None or (cost is None and not strict) or (cost is not None and cost <= max_cost):
        return
    shown = "unknown" if cost is None else f"${cost:.2f}"
    raise ValidationError(
        f"{spec.display_name} would cost {shown}, above the limit of ${max_cost:.2f}; nothing was submitted.",
        field="max_cost",
    )


def _task_for(params: Mapping[str, Any]) -> str | None:
    if params.get("video") is not None:
        return "video-edit"
    if params.get("image") is not None:
        return "image-to-video"
    return None


def known_model_ids() -> tuple[str, ...]:
    return tuple(all_models())


__all__ = ["ProviderOptions", "SubmitCallback", "SubmittedTask", "WaveSpeedProvider", "known_model_ids"]
