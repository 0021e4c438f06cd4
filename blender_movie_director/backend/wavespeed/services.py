"""The service shape of seed 004: one object per model family with ``generate_video(...)``.

Models are data (:mod:`.models`); these classes only name a default model and translate the few
arguments that are not plain schema fields (the Retake edit window goes into the prompt). Any other
catalog entry (Wan 2.6, Kling 2.5 Turbo, Seedance 1.5 Pro, Veo 3.1 Fast...) runs through
:class:`WaveSpeedVideoService` directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ..base import GenerationResult, ProgressCallback
from ..errors import BackendError, ValidationError
from .control import CancelFlag
from .models import IMAGE_TO_VIDEO, TEXT_TO_VIDEO, VIDEO_EDIT, ModelSpec, resolve_model
from .pricing import CostEstimate, estimate_cost
from .provider import ProviderOptions, SubmitCallback, WaveSpeedProvider


class WaveSpeedVideoService:
    """Generate with one WaveSpeed model family. ``generate_video`` never raises for service errors: it
    returns a failed :class:`GenerationResult` whose metadata keeps the task id when one exists."""

    MODEL_NAME: ClassVar[str] = ""

    def __init__(
        self,
        client: WaveSpeedProvider | None = None,
        *,
        model: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        options: ProviderOptions | None = None,
        output_dir: str | Path | None = None,
    ) -> None:
        self.provider = client or WaveSpeedProvider(api_key, base_url, options=options)
        self.model = model or self.MODEL_NAME
        if not self.model:
            raise ValidationError("WaveSpeedVideoService needs a model name.", field="model")
        self.spec = resolve_model(self.model)  # fails fast on an unknown name
        self.output_dir = output_dir

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.spec.model_id!r}, provider={self.provider!r})"

    @property
    def MODEL_PATH(self) -> str:  # noqa: N802 - the seed's name for it
        return self.spec.model_id

    def spec_for(self, params: dict[str, Any]) -> ModelSpec:
        """The family member for these inputs: image -> image-to-video, video -> video-edit."""
        if params.get("video") is not None:
            return resolve_model(self.model, task=VIDEO_EDIT)
        if params.get("image") is not None:
            return resolve_model(self.model, task=IMAGE_TO_VIDEO)
        if self.spec.task != TEXT_TO_VIDEO:
            return self.spec
        return resolve_model(self.model, task=TEXT_TO_VIDEO)

    def to_params(self, prompt: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """Caller arguments -> model parameters (schema names plus ``resolution``/``aspect_ratio``)."""
        return {"prompt": prompt, **params}

    def estimate_cost(self, prompt: str | None = "estimate", **params: Any) -> CostEstimate:
        values = self.to_params(prompt, params)
        return estimate_cost(self.spec_for(values), **values)

    async def generate_video(
        self,
        prompt: str | None = None,
        *,
        progress_callback: ProgressCallback | None = None,
        on_submitted: SubmitCallback | None = None,
        cancel: CancelFlag | None = None,
        deadline: float | None = None,
        timeout: float | None = None,
        output_path: str | Path | None = None,
        output_dir: str | Path | None = None,
        max_cost: float | None = None,
        **params: Any,
    ) -> GenerationResult:
        """Generate one clip. ``params`` are the model's fields (``duration``, ``seed``…) plus
        ``resolution`` / ``aspect_ratio`` where the model takes a size; ``None`` means "model default"."""
        meta: dict[str, Any] = {
            "backend": "wavespeed",
            "model": self.spec.model_id,
            "model_name": self.spec.short_name,
            "prompt": prompt,
        }
        task_ids: list[str] = []

        def remember(task: Any) -> None:
            task_ids.append(task.task_id)
            if on_submitted is not None:
                on_submitted(task)

        try:
            values = self.to_params(prompt, params)
            spec = self.spec_for(values)
            meta["model"] = spec.model_id
            return await self.provider.generate(
                spec,
                values,
                output_path=output_path,
                output_dir=output_dir or self.output_dir,
                on_submitted=remember,
                progress=progress_callback,
                cancel=cancel,
                deadline=deadline,
                timeout=timeout,
                max_cost=max_cost,
            )
        except BackendError as exc:
            remote_id = exc.remote_id or (task_ids[-1] if task_ids else None)
            return GenerationResult.failed(
                exc, **meta, remote_id=remote_id, task_id=remote_id, error_code=exc.code
            )

    async def resume(self, task_id: str, **kwargs: Any) -> GenerationResult:
        """Finish a task submitted earlier (see :meth:`WaveSpeedProvider.resume`); never raises for
        service errors."""
        kwargs.setdefault("output_dir", self.output_dir)
        try:
            return await self.provider.resume(task_id, **kwargs)
        except BackendError as exc:
            return GenerationResult.failed(
                exc, backend="wavespeed", remote_id=task_id, task_id=task_id, error_code=exc.code
            )

    async def aclose(self) -> None:
        await self.provider.client.aclose()


class HunyuanVideoService(WaveSpeedVideoService):
    """HunyuanVideo 1.5: text-to-video (``size``; ``resolution`` 480p/720p maps to it) and image-to-video
    (give ``image``: a local file or URL)."""

    MODEL_NAME = "hunyuan-video-1.5"

    async def generate_video(  # type: ignore[override]
        self,
        prompt: str | None = None,
        duration: int | None = None,
        resolution: str | None = None,
        negative_prompt: str | None = None,
        seed: int | None = None,
        image: str | Path | None = None,
        aspect_ratio: str | None = None,
        **kwargs: Any,
    ) -> GenerationResult:
        return await super().generate_video(
            prompt,
            duration=duration,
            resolution=resolution,
            negative_prompt=negative_prompt,
            seed=seed,
            image=image,
            aspect_ratio=aspect_ratio,
            **kwargs,
        )


class _LTX2Service(WaveSpeedVideoService):
    """LTX-2 Pro/Fast: prompt, duration and ``generate_audio`` only; always 1080p (``resolution`` may
    be given as "1080p" and is otherwise refused). Give ``image`` for image-to-video."""

    async def generate_video(  # type: ignore[override]
        self,
        prompt: str | None = None,
        duration: int | None = None,
        generate_audio: bool | None = None,
        image: str | Path | None = None,
        **kwargs: Any,
    ) -> GenerationResult:
        return await super().generate_video(
            prompt, duration=duration, generate_audio=generate_audio, image=image, **kwargs
        )


class LTX2ProService(_LTX2Service):
    MODEL_NAME = "ltx-2-pro"


class LTX2FastService(_LTX2Service):
    MODEL_NAME = "ltx-2-fast"


class LTX2RetakeService(WaveSpeedVideoService):
    """LTX-2 Retake: regenerate part of a video. The schema has ``video``, ``prompt`` and ``mode`` only;
    the edit window is written into the prompt ("From 2s to 8s, ...")."""

    MODEL_NAME = "ltx-2-retake"

    def to_params(self, prompt: str | None, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        start, end = params.pop("start_time", None), params.pop("end_time", None)
        if (start is None) != (end is None):
            raise ValidationError(
                "Give both start_time and end_time for the edit window, or neither.", field="start_time"
            )
        if start is not None:
            prompt = retake_prompt(prompt, start, end)
        return {"prompt": prompt, **params}

    async def generate_video(  # type: ignore[override]
        self,
        prompt: str | None = None,
        video: str | Path | None = None,
        mode: str | None = None,
        start_time: float | None = None,
        end_time: float | None = None,
        **kwargs: Any,
    ) -> GenerationResult:
        return await super().generate_video(
            prompt, video=video, mode=mode, start_time=start_time, end_time=end_time, **kwargs
        )


def retake_prompt(prompt: str | None, start_time: float, end_time: float) -> str:
    """The LTX-2 Retake prompt with its edit window written in front ("From 2s to 8s, ..."), the way the
    model takes it (its schema has no time fields). Raises ValidationError for a bad window."""
    for name, value in (("start_time", start_time), ("end_time", end_time)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValidationError(f"{name} must be a number of seconds >= 0, not {value!r}.", field=name)
    if end_time <= start_time:
        raise ValidationError(
            f"The edit window must end after it starts ({start_time:g}s to {end_time:g}s).", field="end_time"
        )
    return f"From {start_time:g}s to {end_time:g}s, {(prompt or '').strip()}"


_SERVICES: dict[str, type[WaveSpeedVideoService]] = {
    cls.MODEL_NAME: cls for cls in (HunyuanVideoService, LTX2ProService, LTX2FastService, LTX2RetakeService)
}


def get_wavespeed_text_to_video_service(
    model: str = "hunyuan-video-1.5", **kwargs: Any
) -> WaveSpeedVideoService:
    """The service for ``model`` (short name or full WaveSpeed path). ``kwargs`` go to the constructor
    (``api_key``, ``base_url``, ``options``, ``output_dir`` or a shared ``client`` provider)."""
    spec = resolve_model(model)
    cls = _SERVICES.get(spec.short_name, WaveSpeedVideoService)
    return cls(model=model if cls is WaveSpeedVideoService else spec.model_id, **kwargs)


__all__ = [
    "HunyuanVideoService",
    "LTX2FastService",
    "LTX2ProService",
    "LTX2RetakeService",
    "WaveSpeedVideoService",
    "get_wavespeed_text_to_video_service",
]
