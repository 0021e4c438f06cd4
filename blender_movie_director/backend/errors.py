"""The typed error hierarchy every backend raises and every layer above understands.

Each error carries a stable ``kind`` (what the job engine and the UI switch on) and a ``user_message``
written for a film-maker, not a developer. Messages never contain secrets: build them with
:func:`scrub_secrets` when they quote anything that came from a request or a server.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    CONNECTION = "connection"
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    VALIDATION = "validation"
    SERVER = "server"
    UNSUPPORTED_SERVER = "unsupported_server"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    MODERATION = "moderation"
    MODEL_UNAVAILABLE = "model_unavailable"
    SUBMISSION_UNCERTAIN = "submission_uncertain"
    OFFLINE = "offline"
    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


class BackendError(Exception):
    """Base class. ``str(err)`` is the user-facing message."""

    kind: ErrorKind = ErrorKind.SERVER
    #: Whether retrying the same call later may succeed (never implies resubmitting a paid task).
    retryable: bool = False

    def __init__(self, user_message: str, *, remote_id: str | None = None, code: int | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        #: The server's id for the task (WaveSpeed task id, Wan2GP output file) when one is known.
        self.remote_id = remote_id
        #: The service's own error code (e.g. WaveSpeed 1401) when it gave one.
        self.code = code

    def __repr__(self) -> str:
        extra = "".join(
            f", {name}={value!r}"
            for name, value in (("remote_id", self.remote_id), ("code", self.code))
            if value
        )
        return f"{type(self).__name__}({self.user_message!r}{extra})"


class BackendConnectionError(BackendError, ConnectionError):
    kind = ErrorKind.CONNECTION
    retryable = True


class AuthenticationError(BackendError):
    kind = ErrorKind.AUTH


class RateLimitError(BackendError):
    kind = ErrorKind.RATE_LIMIT
    retryable = True

    def __init__(self, user_message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(user_message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ValidationError(BackendError, ValueError):
    """Settings rejected before (or by) the service. ``field`` and ``allowed`` say how to fix it."""

    kind = ErrorKind.VALIDATION

    def __init__(
        self,
        user_message: str,
        *,
        field: str | None = None,
        allowed: tuple[object, ...] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(user_message, **kwargs)  # type: ignore[arg-type]
        self.field = field
        self.allowed = allowed


class ServerError(BackendError):
    kind = ErrorKind.SERVER


class UnsupportedServerError(BackendError):
    """The server answers but its API is not one this version of Movie Director can drive."""

    kind = ErrorKind.UNSUPPORTED_SERVER


class InsufficientBalanceError(BackendError):
    kind = ErrorKind.INSUFFICIENT_BALANCE


class ModerationError(BackendError):
    kind = ErrorKind.MODERATION


class ModelUnavailableError(BackendError):
    """The model exists in our catalog but the service no longer offers it."""

    kind = ErrorKind.MODEL_UNAVAILABLE


class SubmissionUncertainError(BackendError):
    """A submit failed in a way that may still have created (and billed) the task. Never resubmit blindly."""

    kind = ErrorKind.SUBMISSION_UNCERTAIN


class OfflineError(BackendError):
    """Blender's online access is off, so no request was made."""

    kind = ErrorKind.OFFLINE


class JobCancelledError(BackendError):
    kind = ErrorKind.CANCELLED


class BackendTimeoutError(BackendError, TimeoutError):
    kind = ErrorKind.TIMEOUT
    retryable = True


class JobInterruptedError(BackendError):
    """The process running the job went away (restart, crash) and the job could not be resumed."""

    kind = ErrorKind.INTERRUPTED


def scrub_secrets(text: str, *secrets: str | None) -> str:
    """Return ``text`` with every non-empty secret replaced by a fixed mask."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def tls_verify_failure(exc: BaseException) -> str | None:
    """The reason, when ``exc`` (or what caused it) is a failed TLS certificate check; else None.

    Such a failure is not transient: retrying cannot help, and the message should say so plainly.
    """
    import ssl

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or str(current)
        current = current.__cause__ or current.__context__
    return None
