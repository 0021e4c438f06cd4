"""Types shared by every backend: the one result shape, progress callbacks, and the error hierarchy.

Nothing here imports ``bpy`` or any heavy dependency, so it is safe to import at register time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import (
    AuthenticationError,
    BackendConnectionError,
    BackendError,
    BackendTimeoutError,
    ErrorKind,
    InsufficientBalanceError,
    JobCancelledError,
    JobInterruptedError,
    ModelUnavailableError,
    ModerationError,
    OfflineError,
    RateLimitError,
    ServerError,
    SubmissionUncertainError,
    UnsupportedServerError,
    ValidationError,
    scrub_secrets,
)

#: ``callback(fraction, text)``: fraction in [0, 1] (or a negative number when unknown), text for humans.
ProgressCallback = Callable[[float, str], None]

#: Keys a backend puts in :attr:`GenerationResult.metadata` when it knows them.
METADATA_KEYS = (
    "backend",  # "wan2gp" | "wavespeed"
    "model",  # model id as the service names it
    "prompt",
    "seed",
    "width",
    "height",
    "frames",
    "fps",
    "duration",  # seconds
    "remote_id",  # WaveSpeed task id / Wan2GP server file name
    "server_file",
    "cost",  # USD, when the service bills
    "timings",  # {"queued": s, "generation": s, "download": s, "total": s}
)


#: The keys a result reads as a mapping, besides its metadata's (see :class:`GenerationResult`).
RESULT_KEYS = ("success", "video_path", "error", "error_message", "error_kind", "metadata")


@dataclass(frozen=True)
class GenerationResult(Mapping[str, Any]):
    """What every generation returns, whichever backend ran it.

    ``success`` is True exactly when ``video_path`` names a complete, checked video file.

    Attribute access is the API (``result.success``, ``result.error_message``). For scripts written
    against the design notes it also reads as a read-only mapping: ``result["success"]``,
    ``result["video_path"]``, ``result["error"]`` (the user-facing message, None on success),
    ``result["error_kind"]``, ``result["metadata"]``, and any metadata key at the top level
    (``result.get("used_fallback")``, ``result["primary_error"]``) unless it is one of those names.
    """

    success: bool
    video_path: str | None = None
    error_message: str | None = None
    error_kind: ErrorKind | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        if self.success and not self.video_path:
            raise ValueError("a successful GenerationResult needs a video_path")
        if not self.success and not self.error_message:
            raise ValueError("a failed GenerationResult needs an error_message")

    @classmethod
    def ok(cls, video_path: str, **metadata: Any) -> GenerationResult:
        return cls(success=True, video_path=video_path, metadata=metadata)

    @classmethod
    def failed(cls, error: BackendError, **metadata: Any) -> GenerationResult:
        return cls(success=False, error_message=error.user_message, error_kind=error.kind, metadata=metadata)

    # --- the read-only mapping view (the seed documents' ``result["success"]``) -----
    def __getitem__(self, key: str) -> Any:
        if key in ("error", "error_message"):
            return self.error_message
        if key in RESULT_KEYS:
            return getattr(self, key)
        return self.metadata[key]

    def __iter__(self) -> Iterator[str]:
        yield from RESULT_KEYS
        yield from (key for key in self.metadata if key not in RESULT_KEYS)

    def __len__(self) -> int:
        return len(RESULT_KEYS) + sum(1 for key in self.metadata if key not in RESULT_KEYS)

    def raise_for_error(self) -> str:
        """Return the video path, or raise the typed error this result carries."""
        if self.success:
            assert self.video_path is not None
            return self.video_path
        raise _ERROR_BY_KIND.get(self.error_kind, BackendError)(self.error_message or "generation failed")


_ERROR_BY_KIND: dict[ErrorKind | None, type[BackendError]] = {
    ErrorKind.CONNECTION: BackendConnectionError,
    ErrorKind.AUTH: AuthenticationError,
    ErrorKind.RATE_LIMIT: RateLimitError,
    ErrorKind.VALIDATION: ValidationError,
    ErrorKind.SERVER: ServerError,
    ErrorKind.UNSUPPORTED_SERVER: UnsupportedServerError,
    ErrorKind.INSUFFICIENT_BALANCE: InsufficientBalanceError,
    ErrorKind.MODERATION: ModerationError,
    ErrorKind.MODEL_UNAVAILABLE: ModelUnavailableError,
    ErrorKind.SUBMISSION_UNCERTAIN: SubmissionUncertainError,
    ErrorKind.OFFLINE: OfflineError,
    ErrorKind.CANCELLED: JobCancelledError,
    ErrorKind.TIMEOUT: BackendTimeoutError,
    ErrorKind.INTERRUPTED: JobInterruptedError,
}

__all__ = [
    "METADATA_KEYS",
    "AuthenticationError",
    "BackendConnectionError",
    "BackendError",
    "BackendTimeoutError",
    "ErrorKind",
    "GenerationResult",
    "InsufficientBalanceError",
    "JobCancelledError",
    "JobInterruptedError",
    "ModelUnavailableError",
    "ModerationError",
    "OfflineError",
    "ProgressCallback",
    "RateLimitError",
    "ServerError",
    "SubmissionUncertainError",
    "UnsupportedServerError",
    "ValidationError",
    "scrub_secrets",
]
