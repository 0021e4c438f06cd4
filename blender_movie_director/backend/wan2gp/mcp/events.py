"""WanGP MCP job snapshots read as the product's progress and outcome.

A snapshot (``wangp_generate`` / ``wangp_get_job``) is ``{job_id, done, cancel_requested, events, result}``;
it is terminal when ``done`` is true and ``result`` is not null. Events (the last N of up to 500) are
``{kind, timestamp, data}``: ``status`` (text such as "Loading model …"), ``progress`` (phase, status,
current/total step), ``error``, ``completed``, and ``stream`` (console lines, ignored). Progress texts follow
the web UI route's (``step 3/6 · Denoising | 1.5s / 3.0s``, ``VAE Decoding | …``) so a shot reads the same
whichever transport ran it.

Threading: pure functions; any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...errors import BackendError, JobCancelledError, ServerError, ValidationError
from ..progress import Phase, phase_from_text


@dataclass(frozen=True)
class Update:
    """One progress change: the phase, its text, and the denoising step when known."""

    phase: Phase
    text: str
    step: int | None = None
    total: int | None = None


def is_terminal(snapshot: Any) -> bool:
    return isinstance(snapshot, Mapping) and bool(snapshot.get("done")) and snapshot.get("result") is not None


def new_events(snapshot: Any, after: float) -> list[Mapping[str, Any]]:
    """Events later than ``after`` (a timestamp), oldest first."""
    events = snapshot.get("events") if isinstance(snapshot, Mapping) else None
    out = []
    for event in events if isinstance(events, list) else []:
        stamp = event.get("timestamp") if isinstance(event, Mapping) else None
        if isinstance(stamp, (int, float)) and stamp > after:
            out.append(event)
    return out


def update_for(event: Mapping[str, Any]) -> Update | None:
    """The progress an event reports, or None (console lines, bookkeeping)."""
    kind = event.get("kind")
    data = event.get("data")
    if kind == "status" and isinstance(data, str) and data.strip():
        text = data.strip()
        return Update(phase_from_text(text, Phase.LOADING), text)
    if kind != "progress" or not isinstance(data, Mapping):
        return None
    status = str(data.get("status") or data.get("raw_phase") or "generating").strip()
    phase_name = str(data.get("phase") or "").lower()
    step, total = data.get("current_step"), data.get("total_steps")
    step = step if isinstance(step, int) and not isinstance(step, bool) else None
    total = total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None
    if phase_name == "cancelled" or "abort" in status.lower():
        return Update(Phase.ABORTING, status)
    if phase_name == "decoding":
        return Update(Phase.DECODING, status)
    phase = phase_from_text(status, Phase.GENERATING if step is not None else Phase.LOADING)
    if phase == Phase.GENERATING and step is not None and total:
        return Update(phase, f"step {step}/{total} · {status}", step, total)
    return Update(phase, status)


def outcome_error(snapshot: Mapping[str, Any], url: str) -> BackendError | None:
    """None for a success, else the typed error of a terminal snapshot. A cancellation anywhere among the
    errors (WanGP reports ``result.cancelled`` false when a cancel landed during a model load) is a cancel."""
    result = snapshot.get("result")
    result = result if isinstance(result, Mapping) else {}
    if result.get("success") and _outputs(result):
        return None
    errors = [e for e in result.get("errors") or [] if isinstance(e, Mapping)]
    cancelled = bool(result.get("cancelled")) or any(
        e.get("cancelled") or e.get("stage") == "cancelled" for e in errors
    )
    if cancelled:
        return JobCancelledError("Generation cancelled on the Wan2GP server.")
    messages = [str(e.get("message") or "") for e in errors if not e.get("cancelled")]
    message = "; ".join(m for m in messages if m)[:500]
    if any(e.get("stage") == "validation" for e in errors):
        return ValidationError(f"Wan2GP refused the task: {message or 'no reason given'}")
    if result.get("success"):
        return ServerError("Wan2GP finished without producing this video.")
    return ServerError(f"Wan2GP could not generate the video: {message or 'no reason given'}")


def _outputs(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = result.get("gallery_items")
    return [i for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def output_item(snapshot: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The job's video in the gallery (the last video item), or None."""
    result = snapshot.get("result")
    items = _outputs(result) if isinstance(result, Mapping) else []
    videos = [i for i in items if i.get("media_type") == "video" and isinstance(i.get("gallery_id"), str)]
    return videos[-1] if videos else None


__all__ = ["Update", "is_terminal", "new_events", "outcome_error", "output_item", "update_for"]
