"""Try one model, fall back to another: for servers that lack a model, or a model that runs out of memory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..base import GenerationResult
from ..errors import ErrorKind

if TYPE_CHECKING:
    from .client import Wan2GPClient

#: Failures another model cannot fix (the user stopped it, the server is gone, the login is wrong).
_NO_FALLBACK = {ErrorKind.CANCELLED, ErrorKind.AUTH, ErrorKind.CONNECTION, ErrorKind.UNSUPPORTED_SERVER}


def generate_with_fallback(
    client: Wan2GPClient, prompt: str, primary_model: str, fallback_model: str, **kwargs: Any
) -> GenerationResult:
    """Run ``primary_model``; if it fails for a reason a different model might avoid, run
    ``fallback_model``. The result's metadata carries ``used_fallback``, ``fallback_reason`` (the primary's
    error message) and ``primary_model``."""
    first = client.generate(model=primary_model, prompt=prompt, **kwargs)
    if first.success or first.error_kind in _NO_FALLBACK:
        return _with(first, used_fallback=False, fallback_reason=None, primary_model=primary_model)
    second = client.generate(model=fallback_model, prompt=prompt, **kwargs)
    return _with(second, used_fallback=True, fallback_reason=first.error_message, primary_model=primary_model)


def _with(result: GenerationResult, **extra: Any) -> GenerationResult:
    return GenerationResult(
        success=result.success,
        video_path=result.video_path,
        error_message=result.error_message,
        error_kind=result.error_kind,
        metadata={**result.metadata, **extra},
    )
