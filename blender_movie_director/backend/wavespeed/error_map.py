"""WaveSpeed answers -> typed errors. HTTP status and the envelope ``code`` are both checked, because
the API sometimes reports an error inside an HTTP 200 body, and a failed task arrives as HTTP 200 with
``data.status == "failed"`` and a task error code (docs ``error-codes``). Statuses WaveSpeed gives no meaning
of its own (429, 5xx, 404…) get the wording both backends share (:mod:`..errors`).

Threading: pure functions; safe from any thread."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import (
    AuthenticationError,
    BackendError,
    BackendTimeoutError,
    InsufficientBalanceError,
    ModelUnavailableError,
    ModerationError,
    Peer,
    ServerError,
    ValidationError,
    scrub_secrets,
)
from ..errors import error_for_status as shared_error_for_status

TASK_CODES = {
    1200: "content moderation",
    1400: "missing parameter",
    1401: "invalid parameter",
    1402: "media URL not reachable",
    1403: "task execution failed",
    1405: "task failed",
    5000: "internal server error",
    5003: "service unavailable",
    5004: "timed out on the server",
}
#: ``data.code`` 5004 next to a non-terminal status means "still processing" (sync-mode timeout reply).
STILL_PROCESSING = 5004

_BALANCE = re.compile(r"balance|credit|insufficient|top.?up|quota exceeded|payment", re.IGNORECASE)
_MAX_MESSAGE = 300


def clean_message(text: Any, *secrets: str | None) -> str:
    """A server message fit for the user: secrets masked, one line, bounded length."""
    message = " ".join(str(text or "").split())
    message = scrub_secrets(message, *secrets)
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def error_for_status(
    status: int,
    message: str,
    peer: Peer,
    *,
    during: str = "",
    code: int | None = None,
    retry_after: float | None = None,
    remote_id: str | None = None,
) -> BackendError:
    """The typed error for an HTTP status (or an envelope code used like one) of an idempotent request.

    What only WaveSpeed says (which key, the balance, its settings codes) is worded here; every other status
    gets the wording both backends share (:func:`..errors.error_for_status`)."""
    where = f" while {during}" if during else ""
    detail = f": {message.rstrip('.')}" if message else ""  # the sentence adds its own full stop
    if status in (401, 403) and not _BALANCE.search(message):
        return AuthenticationError(
            f"{peer.subject} refused the API key (HTTP {status}){where}{detail}. Check the key in the "
            "preferences.",
            remote_id=remote_id,
            code=code,
        )
    if status == 402 or (400 <= status < 500 and _BALANCE.search(message)):
        return InsufficientBalanceError(
            f"Your WaveSpeed balance is too low{detail}. Top up at wavespeed.ai, then try again.",
            remote_id=remote_id,
            code=code,
        )
    if status in (400, 422) or (code is not None and 1400 <= code <= 1402):
        return ValidationError(f"WaveSpeed rejected the settings{detail}.", remote_id=remote_id, code=code)
    return shared_error_for_status(
        status, peer, during=during, detail=message, retry_after=retry_after, remote_id=remote_id, code=code
    )


def model_not_found(model_id: str, message: str) -> ModelUnavailableError:
    detail = f" ({message})" if message else ""
    return ModelUnavailableError(
        f"WaveSpeed does not offer '{model_id}' (any more){detail}. Pick another model.", code=404
    )


def task_failure(
    data: Mapping[str, Any], task_id: str, scrub: Callable[[Any], str] = clean_message
) -> BackendError:
    """The typed error for a task that ended in ``failed`` / ``cancelled`` / ``timeout`` / ``deleted``."""
    status = str(data.get("status") or "failed")
    raw_code = data.get("code")
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    error_text = scrub(data.get("error"))
    meaning = TASK_CODES.get(code or 0, "")
    head = f"WaveSpeed task {task_id} {status}"
    if code:
        head += f" (code {code}{', ' + meaning if meaning else ''})"
    message = f"{head}: {error_text}" if error_text else head
    if code == 1200:
        return ModerationError(
            message + ". Change the prompt or input; nothing can be retried as is.",
            remote_id=task_id,
            code=code,
        )
    if code in (1400, 1401, 1402):
        return ValidationError(message + ".", remote_id=task_id, code=code)
    if _BALANCE.search(error_text):
        return InsufficientBalanceError(message + ".", remote_id=task_id, code=code)
    if status == "timeout" or code == STILL_PROCESSING:
        return BackendTimeoutError(message + ".", remote_id=task_id, code=code)
    error = ServerError(message + ".", remote_id=task_id, code=code)
    # 5xxx: the service failed, a new submit may succeed (the caller decides; we never resubmit).
    error.retryable = code is not None and code >= 5000
    return error


__all__ = [
    "STILL_PROCESSING",
    "TASK_CODES",
    "clean_message",
    "error_for_status",
    "model_not_found",
    "task_failure",
]
