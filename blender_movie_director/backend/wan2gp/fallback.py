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
    ``fallback_model``. The result's metadata carries ``used_fallback``, ``primary_error`` (the primary's
    error message; also as ``fallback_reason``) and ``primary_model``."""
    first = client.generate(model=primary_model, prompt=prompt, **kwargs)
    if not can_fall_back(first):
        return mark(first, primary=first, primary_model=primary_model)
    second = client.generate(model=fallback_model, prompt=prompt, **kwargs)
    return mark(second, primary=first, primary_model=primary_model)


def can_fall_back(result: GenerationResult) -> bool:
    """Whether another model might succeed where ``result``'s failed (not after a cancel, a login or
    connection failure, or a server too old)."""
    return not result.success and result.error_kind not in _NO_FALLBACK


def mark(result: GenerationResult, *, primary: GenerationResult, primary_model: str) -> GenerationResult:
    """``result`` with the fallback facts in its metadata: ``used_fallback`` (``result`` is not the
    primary's), ``primary_error`` / ``fallback_reason`` and ``primary_model``."""
    used = result is not primary
    reason = primary.error_message if used else None
    return _with(
        result, used_fallback=used, primary_error=reason, fallback_reason=reason, primary_model=primary_model
    )


def _with(result: GenerationResult, **extra: Any) -> GenerationResult:
    return GenerationResult(
        success=result.success,
        video_path=result.video_path,
        error_message=result.error_message,
        error_kind=result.error_kind,
        metadata={**result.metadata, **extra},
    )
