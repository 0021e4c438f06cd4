"""The typed error hierarchy every backend raises and every layer above understands, and the one map from an
HTTP status or a transport failure to it.

Each error carries a stable ``kind`` (what the job engine and the UI switch on), a ``user_message`` written
for a film-maker, not a developer, and what a retry may do (``retryable``, ``safe_to_resend``; the policy that
reads them is :mod:`.retry`). The same failure gets the same kind, retry decision and wording whichever
backend met it: both build their errors with :func:`error_for_status` and :func:`error_for_transport`.
Messages never contain secrets: build them with :func:`scrub_secrets` when they quote anything that came
from a request or a server.

Threading: plain values and pure functions; safe from any thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
    #: Whether the request certainly had no effect on the server (it never arrived, or was refused before
    #: anything was done), so even a request that is not idempotent (a paid submit) may be sent again.
    safe_to_resend: bool = False

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
    safe_to_resend = True  # a 429 is a refusal: nothing was created

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

    for current in _chain(exc):
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or str(current)
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# -- one map from HTTP statuses and transport failures to the errors above ------------------------------


@dataclass(frozen=True)
class Peer:
    """Whom a request went to, as a message names it: ``service`` ("WaveSpeed", "the Wan2GP server") at
    ``url``. ``secrets`` are masked out of anything quoted; ``unreachable_hint`` is added when the service
    cannot be reached at all (e.g. "Is WanGP running (python wgp.py)?")."""

    service: str
    url: str
    secrets: tuple[str, ...] = ()
    unreachable_hint: str = ""

    def __repr__(self) -> str:  # never the secrets
        return f"Peer({self.service!r}, {self.url!r})"

    @property
    def name(self) -> str:
        return f"{self.service} at {self.url}"

    @property
    def subject(self) -> str:
        """:attr:`name` opening a sentence."""
        return self.name[:1].upper() + self.name[1:]


#: Said of a non-idempotent request whose outcome is unknown, unless the backend says it better.
UNCERTAIN = "The request may have been carried out; check before sending it again."


def _while(during: str) -> str:
    return f" while {during}" if during else ""


def _detail(detail: str) -> str:
    return f": {detail.rstrip('.')}" if detail else ""  # the sentence adds its own full stop


def _said(exc: BaseException, peer: Peer) -> str:
    """What an exception says, fit for a message: secrets masked, one line, bounded."""
    text = " ".join(scrub_secrets(str(exc), *peer.secrets).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _marked(error: BackendError, *, retryable: bool, safe_to_resend: bool = False) -> BackendError:
    error.retryable = retryable
    error.safe_to_resend = safe_to_resend
    return error


def error_for_status(
    status: int,
    peer: Peer,
    *,
    during: str = "",
    detail: str = "",
    retry_after: float | None = None,
    idempotent: bool = True,
    uncertain: str = UNCERTAIN,
    remote_id: str | None = None,
    code: int | None = None,
) -> BackendError:
    """The typed error for an HTTP error status (after a backend handled what only it knows, such as which
    credentials a 401 is about). ``during``: what we were doing ("polling task 1"); ``detail``: the
    server's own words (scrubbed); ``idempotent``: False for a paid submit, where a 5xx means the task may
    exist (:class:`SubmissionUncertainError`, ``uncertain`` says what to do) rather than "try again"."""
    where, said = _while(during), _detail(detail)
    ids = {"remote_id": remote_id, "code": code}
    if status in (401, 403):
        return AuthenticationError(
            f"{peer.subject} refused the credentials (HTTP {status}){where}{said}.", **ids
        )
    if status == 402:
        return InsufficientBalanceError(f"{peer.subject} asks for payment (HTTP 402){where}{said}.", **ids)
    if status == 429:
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RateLimitError(
            f"{peer.subject} is rate-limiting requests (HTTP 429{wait}){where}{said}.",
            retry_after=retry_after,
            **ids,
        )
    if status in (400, 422):
        return ValidationError(f"{peer.subject} rejected the request (HTTP {status}){where}{said}.", **ids)
    if status == 404:
        return ServerError(f"{peer.subject} answered 'not found' (HTTP 404){where}{said}.", **ids)
    if status == 408:  # the server gave up waiting for our request: nothing was done
        return _marked(
            BackendTimeoutError(
                f"{peer.subject} timed out waiting for the request (HTTP 408){where}.", **ids
            ),
            retryable=True,
            safe_to_resend=True,
        )
    if status >= 500:
        text = f"{peer.subject} had a server error (HTTP {status}){where}{said}."
        if not idempotent:
            return SubmissionUncertainError(f"{text} {uncertain}", **ids)
        return _marked(ServerError(text, **ids), retryable=True)
    return ServerError(f"{peer.subject} answered HTTP {status}{where}{said}.", **ids)


def error_for_transport(
    exc: BaseException,
    peer: Peer,
    *,
    during: str = "",
    idempotent: bool = True,
    uncertain: str = UNCERTAIN,
    remote_id: str | None = None,
) -> BackendError | None:
    """The typed error for a failed TLS check, connection or read (httpx and what it wraps); None for any
    other exception. A failure before the request left (refused, unreachable, TLS) is safe to resend; one
    after it (timeout, dropped connection) of a request that is not ``idempotent`` means its outcome is
    unknown (:class:`SubmissionUncertainError`)."""
    import httpx

    where = _while(during)
    tls = tls_verify_failure(exc)
    if tls is not None:  # a certificate does not fix itself: never retried
        return _marked(
            BackendConnectionError(
                f"{peer.subject} did not pass the TLS certificate check ({tls}){where}; "
                "nothing was sent to it.",
                remote_id=remote_id,
            ),
            retryable=False,
            safe_to_resend=True,
        )
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        refused = any(isinstance(e, ConnectionRefusedError) for e in _chain(exc))
        why = "connection refused" if refused else _said(exc, peer)
        hint = f" {peer.unreachable_hint}" if peer.unreachable_hint else ""
        return _marked(
            BackendConnectionError(f"Cannot reach {peer.name}{where} ({why}).{hint}", remote_id=remote_id),
            retryable=True,
            safe_to_resend=True,
        )
    if isinstance(exc, httpx.TimeoutException):
        text = f"{peer.subject} did not answer in time{where}."
        if not idempotent:
            return SubmissionUncertainError(f"{text} {uncertain}", remote_id=remote_id)
        return _marked(BackendTimeoutError(text, remote_id=remote_id), retryable=True)
    if isinstance(exc, httpx.TransportError):
        text = f"Lost the connection to {peer.name}{where} ({_said(exc, peer)})."
        if not idempotent:
            return SubmissionUncertainError(f"{text} {uncertain}", remote_id=remote_id)
        return _marked(BackendConnectionError(text, remote_id=remote_id), retryable=True)
    return None
