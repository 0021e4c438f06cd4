"""Generation and postprocess jobs of the MCP stand-in: one at a time per server, polled by snapshots.

A job runs in its own worker thread and appends events (``started``, ``status``, ``refresh_models``,
``progress``, ``stream``, ``output``, ``error``, ``completed``) with the captured texts and fields; the last
500 are kept. ``Session.start`` refuses a second job while one runs ("WanGP session already has a generation
in progress", no queue, as captured). A cancel sets ``cancel_requested`` at once; a model load is not
interrupted (it ends first, as in the real 12.60), denoising stops at the next step.

Threading: ``Session`` and ``Job`` are shared between the event loop (tool calls) and one worker thread per
job; every mutation and every snapshot holds the job's lock; ``Session._busy`` is guarded by its own lock.
Workers never touch the event loop.
"""

from __future__ import annotations

import copy
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from standins.wan2gp import catalog
from standins.wan2gp.knobs import LOAD_FAILURE_MESSAGE, Knobs
from standins.wan2gp.session import format_time

from . import models, render
from .gallery import Gallery

MAX_EVENTS = 500
BUSY_MESSAGE = "WanGP session already has a generation in progress"
TIMEOUT_MESSAGE = "WanGP session job timed out"
CANCELLED = "Generation was cancelled"
VERSION_TAG = "WanGP v12.60 by DeepBeepMeep"
# Task fields holding media (gallery ids over MCP); lists allowed for the *refs/*s ones.
MEDIA_FIELDS = (
    "image_start",
    "image_end",
    "image_refs",
    "video_guide",
    "video_mask",
    "image_guide",
    "image_mask",
    "video_source",
    "audio_guide",
    "audio_guide2",
    "audio_source",
)


class CancelledError(Exception):
    """Raised inside a worker when the job's cancel was seen."""


@dataclass
class Job:
    job_id: str
    created_at: float
    updated_at: float
    extra: dict[str, Any] = field(default_factory=dict)  # postprocess jobs add source_path, process, ...
    done: bool = False
    cancel_requested: bool = False
    result: dict[str, Any] | None = None
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: threading.Event = field(default_factory=threading.Event)

    def emit(self, kind: str, data: Any = None) -> None:
        now = time.time()
        with self.lock:
            self.events.append({"kind": kind, "timestamp": now, "data": copy.deepcopy(data)})
            self.updated_at = now

    def snapshot(self, event_limit: int | None = None) -> dict[str, Any]:
        with self.lock:
            events = list(self.events)
            if event_limit is not None:
                events = events[-event_limit:] if event_limit > 0 else []
            snap = {
                "job_id": self.job_id,
                "done": self.done,
                "cancel_requested": self.cancel_requested,
                "webui_submission_ready": False,
                "webui_load_queue_token": "",
                "created_at": self.created_at,
                "updated_at": self.updated_at,
                "events": copy.deepcopy(events),
                "result": copy.deepcopy(self.result),
            }
            snap.update(copy.deepcopy(self.extra))
            return snap

    def check_cancel(self) -> None:
        with self.lock:
            if self.cancel_requested:
                raise CancelledError()

    def finish(self, result: dict[str, Any], *, events: bool = True) -> None:
        summary = {k: v for k, v in result.items() if k != "gallery_items"}
        if events:
            self.emit("completed", summary)
        with self.lock:
            self.result = copy.deepcopy(result)
            self.done = True
            self.updated_at = time.time()
        self.finished.set()


def _error(message: str, index: int | None, stage: str, cancelled: bool = False) -> dict[str, Any]:
    return {"message": message, "task_index": index, "task_id": index, "stage": stage, "cancelled": cancelled}


def _result(
    files: list[str],
    errors: list[dict[str, Any]],
    total: int,
    ok: int,
    failed: int,
    artifacts: list[Any],
    gallery_items: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "success": not errors and ok == total,
        "cancelled": bool(errors) and all(e["cancelled"] for e in errors),
        "generated_files": files,
        "errors": errors,
        "total_tasks": total,
        "successful_tasks": ok,
        "failed_tasks": failed,
        "artifacts": artifacts,
        "gallery_items": gallery_items,
    }


def _frames(value: Any, model: catalog.ModelDef) -> int:
    """``video_length`` as frames: a number, or "<n>s" seconds (WanGP accepts both); else ValueError."""
    if isinstance(value, str) and value.strip().lower().endswith("s"):
        seconds = float(value.strip()[:-1])
        return catalog.frame_count(model, round(seconds * model.fps) + 1)
    return catalog.frame_count(model, int(value))


class Session:
    """The server-wide WanGP session: its jobs, its loaded model and the one-generation-at-a-time rule."""

    def __init__(self, knobs: Knobs, options: models.Options, gallery: Gallery) -> None:
        self.knobs = knobs
        self.options = options
        self.gallery = gallery
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._busy: Job | None = None
        self.loaded_model: str | None = None

    # -- bookkeeping ---------------------------------------------------------------------------------
    def console(self, stream: str, text: str) -> None:
        """A console line of the server: a ``stream`` event of the running job, if any."""
        with self._lock:
            job = self._busy
        if job is not None and not job.finished.is_set():
            job.emit("stream", {"stream": stream, "text": text})

    def job(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise KeyError(f"Unknown WanGP job_id: {job_id}")
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.job(job_id)
        with job.lock:
            job.cancel_requested = True
            job.updated_at = time.time()
        return job

    def start(self, worker: Callable[[Job], None], extra: dict[str, Any] | None = None) -> Job:
        now = time.time()
        job = Job(job_id=uuid.uuid4().hex, created_at=now, updated_at=now, extra=extra or {})
        with self._lock:
            if self._busy is not None and not self._busy.finished.is_set():
                raise RuntimeError(BUSY_MESSAGE)
            self._busy = job
            self._jobs[job.job_id] = job
        threading.Thread(
            target=self._run, args=(job, worker), name=f"wangp-job-{job.job_id[:8]}", daemon=True
        ).start()
        return job

    def _run(self, job: Job, worker: Callable[[Job], None]) -> None:
        try:
            worker(job)
        except Exception as exc:  # a stand-in bug must still end the job, with the error on record
            job.finish(_result([], [_error(str(exc), None, "runtime")], 1, 0, 0, [], []), events=False)

    # -- generation ----------------------------------------------------------------------------------
    def prepare_tasks(self, source: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Task settings with media gallery ids resolved to paths (raises the captured refusals)."""
        raw = source if isinstance(source, list) else [source]
        tasks = []
        for entry in raw:
            params = dict(entry.get("params") if isinstance(entry.get("params"), dict) else entry)
            for name in MEDIA_FIELDS:
                value = params.get(name)
                if isinstance(value, str) and value:
                    params[name] = self.gallery.resolve(value, name)
                elif isinstance(value, list):
                    params[name] = [self.gallery.resolve(v, name) if isinstance(v, str) else v for v in value]
            tasks.append(params)
        return tasks

    def generate(self, tasks: list[dict[str, Any]]) -> Job:
        return self.start(lambda job: self._generate(job, tasks))

    def _generate(self, job: Job, tasks: list[dict[str, Any]]) -> None:
        job.emit("started", {"tasks": len(tasks)})
        # Like the real session: an unknown model type fails before any task starts (no error event).
        for params in tasks:
            if params.get("model_type") and not models.exists(str(params["model_type"])):
                err = _error("'NoneType' object has no attribute 'get'", None, "runtime")
                job.finish(_result([], [err], len(tasks), 0, 0, [], []), events=False)
                return
        files: list[str] = []
        errors: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        artifacts: list[dict[str, Any]] = []
        ok = failed = 0
        for index, params in enumerate(tasks, start=1):
            task_errors = self._task(job, index, params, files, items, artifacts)
            errors += task_errors
            if task_errors:
                failed += 1
            else:
                ok += 1
            if any(e["cancelled"] for e in task_errors):
                break
        job.finish(_result(files, errors, len(tasks), ok, failed, artifacts, items))

    def _task(
        self,
        job: Job,
        index: int,
        params: dict[str, Any],
        files: list[str],
        items: list[dict[str, Any]],
        artifacts: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        model_type = params.get("model_type")
        if not model_type:
            err = _error("No model_type specified", index, "validation")
            job.emit("error", err)
            return [err]
        model = catalog.get_model_def(str(model_type))
        assert model is not None  # checked in _generate
        settings = {**models.generation_settings(model.model_type), **params}
        errors: list[dict[str, Any]] = []
        try:
            self._load(job, model)
        except RuntimeError as exc:
            errors.append(_error(str(exc), index, "generation"))
            job.emit("error", errors[-1])
        with job.lock:
            cancelled = job.cancel_requested
        if cancelled:
            errors.append(_error(CANCELLED, index, "cancelled", True))
            job.emit("error", errors[-1])
        if errors:
            return errors
        started = time.time()
        try:
            path = self._denoise_and_write(job, model, settings)
        except CancelledError:
            err = _error(CANCELLED, index, "cancelled", True)
            job.emit("output")
            job.emit("error", err)
            return [err]
        except (ValueError, TypeError, OSError) as exc:
            err = _error(str(exc), index, "generation")
            job.emit("error", err)
            return [err]
        self.console("stdout", f"New video saved to Path: {path}")
        job.emit("output")
        files.append(str(path))
        item_settings = self._item_settings(model, params, settings, started)
        items.append(self.gallery.add(str(path), _media_type(model), selected=False, settings=item_settings))
        api = params.get("_api") if isinstance(params.get("_api"), dict) else {}
        if api.get("return_media"):
            artifacts.append(_artifact(path, model, item_settings["client_id"]))
        return []

    def _load(self, job: Job, model: catalog.ModelDef) -> None:
        if self.loaded_model == model.model_type:
            return
        self.loaded_model = None
        job.emit("status", f"Loading model {model.name}...")
        time.sleep(self.knobs.load_seconds)  # a load is not interrupted by a cancel (as captured)
        if self.knobs.fail_load or model.model_type not in self.options.available:
            raise RuntimeError(LOAD_FAILURE_MESSAGE)  # what WanGP says without the weights, offline
        self.loaded_model = model.model_type
        job.emit("status", "Model loaded")
        job.emit("refresh_models", str(time.time()))

    def _denoise_and_write(self, job: Job, model: catalog.ModelDef, settings: dict[str, Any]) -> Path:
        frames = _frames(settings.get("video_length", 81), model)
        steps = max(1, int(settings.get("num_inference_steps") or 30))
        seed = int(settings.get("seed") if settings.get("seed") is not None else -1)
        if seed < 0:
            seed = random.randint(0, 999_999_999)
            settings["seed"] = seed
        start = time.time()

        def progress(step: int, phase: str = "inference", raw: str = "Denoising", status: str = "") -> None:
            job.emit(
                "progress",
                {
                    "phase": phase,
                    "status": status,
                    "progress": 20 + int(65 * step / steps) if phase != "decoding" else 95,
                    "current_step": step,
                    "total_steps": steps,
                    "raw_phase": raw,
                    "unit": None,
                },
            )

        progress(0, status="Encoding Prompt")
        progress(0, status="Denoising | 0.0s")
        denoise_start = time.time()
        for step in range(1, steps + 1):
            time.sleep(self.knobs.step_seconds)
            elapsed = time.time() - start
            spent = time.time() - denoise_start
            estimate = denoise_start - start + spent * steps / step
            text = f"{format_time(elapsed)} / {format_time(max(elapsed, estimate))}"
            with job.lock:
                cancel = job.cancel_requested
            if cancel:
                job.emit(
                    "progress",
                    {
                        "phase": "cancelled",
                        "status": f"Aborting | {text}",
                        "progress": 0,
                        "current_step": None,
                        "total_steps": None,
                        "raw_phase": "Aborting",
                        "unit": None,
                    },
                )
                raise CancelledError()
            if step == steps:
                progress(step, "decoding", "VAE Decoding", f"VAE Decoding | {text}")
            else:
                progress(step, status=f"Denoising | {text}")
        path = render.output_path(self.knobs.outputs, settings, seed, model)
        render.write_generation(path, model, settings, seed, frames)
        return path

    def _item_settings(
        self, model: catalog.ModelDef, params: dict[str, Any], settings: dict[str, Any], started: float
    ) -> dict[str, Any]:
        now = time.time()
        out: dict[str, Any] = {"client_id": f"api_{time.time_ns()}_1"}
        shown = {**models.default_settings(model.model_type), **params}
        for key, value in shown.items():
            if key == "_api" or key in MEDIA_FIELDS:
                continue
            value = settings.get(key, value)  # e.g. the seed actually used
            if isinstance(value, str | int | float | bool | list) or value is None:
                out[key] = value
        out.update(
            model_type=model.model_type,
            type=f"{VERSION_TAG} - {model.name}",
            settings_version=catalog.SETTINGS_VERSION,
            generation_time=max(1, round(now - started)),
            creation_date=datetime.fromtimestamp(now).strftime("%Y-%m-%dT%H:%M:%S"),
            creation_timestamp=int(now),
        )
        return out

    # -- waiting -------------------------------------------------------------------------------------
    @staticmethod
    def wait(job: Job, timeout_s: float | None) -> None:
        """Block (in a worker thread) until the job ends; TimeoutError with the captured text."""
        if not job.finished.wait(timeout_s):
            raise TimeoutError(TIMEOUT_MESSAGE)


def _media_type(model: catalog.ModelDef) -> str:
    return {"image": "image", "audio": "audio"}.get(model.output, "video")


def _artifact(path: Path, model: catalog.ModelDef, client_id: str) -> dict[str, Any]:
    return {
        "path": str(path),
        "media_type": _media_type(model),
        "client_id": client_id,
        "hdr": False,
        "audio_sampling_rate": 16000,
        "fps": float(model.fps),
        "has_video_tensor_uint8": model.output == "video",
        "has_video_tensor_hdr": False,
        "has_audio_tensor": model.output == "audio",
        "has_flashvsr_continue_cache": False,
    }
