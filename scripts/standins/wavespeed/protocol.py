"""The JSON shapes of the v3 API: the envelope and the task object."""

from __future__ import annotations

from typing import Any

from .tasks import Task

SYNC_TIMEOUT_ERROR = (
    "Sync mode timed out after {seconds:g} seconds. The prediction is still processing asynchronously."
)
INSUFFICIENT_BALANCE = "Insufficient balance. Please top up your account to continue."
INVALID_KEY = "Invalid API key"


def envelope(data: Any, code: int = 200, message: str = "success") -> dict[str, Any]:
    return {"code": code, "message": message, "data": data}


def error_envelope(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "data": None}


def result_url(base_url: str, task_id: str) -> str:
    return f"{base_url}/api/v3/predictions/{task_id}/result"


def task_object(task: Task, status: str, base_url: str) -> dict[str, Any]:
    """The ``data`` of submit and poll answers (docs ``shared/submit-response``, ``shared/api-result``)."""
    data: dict[str, Any] = {
        "id": task.id,
        "model": task.model,
        "outputs": [],
        "urls": {"get": result_url(base_url, task.id)},
        "has_nsfw_contents": [],
        "status": status,
        "created_at": task.created_at,
        "error": "",
        "timings": {"inference": 0},
    }
    if status in ("completed", "failed"):
        inference_ms = round((task.finishes - task.starts) * 1000)
        data["timings"] = {"inference": inference_ms}
        data["executionTime"] = inference_ms
    if status == "completed":
        data["outputs"] = [f"{base_url}/files/outputs/{task.output_name}"]
        data["has_nsfw_contents"] = [task.nsfw]
    if status == "failed":
        failure = task.failure() or (5000, "internal error")
        data["code"], data["error"] = failure
    return data
