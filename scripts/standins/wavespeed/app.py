"""The stand-in's state: config, tasks, files, faults, the account balance and the request logs."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import pricing
from .config import Config
from .faults import FaultBook
from .media import MediaStore
from .render import RenderError, image_dimensions, make_plan, probe_seconds, render
from .specs import ModelSpec
from .tasks import Task, TaskStore

#: Inputs that name media by URL (fetched by the service before it runs the model).
MEDIA_FIELDS = ("image", "video", "audio", "last_image")


def key_id_of(key: str) -> str:
    """A stable, non-secret name for an API key, used in every log and admin answer."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:10]


class App:
    def __init__(self, config: Config, specs: dict[str, ModelSpec], data_dir: Path, port: int) -> None:
        self.start_config = config.copy()
        self.config = config
        self.specs = specs
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.tasks = TaskStore()
        self.media = MediaStore(data_dir)
        self.faults = FaultBook()
        self.stopping = threading.Event()
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._submits: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._rate: dict[str, deque[float]] = {}
        self.balance = config.balance
        self._renderer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")

    # -- keys ------------------------------------------------------------------------------------
    def key_ok(self, key: str | None) -> bool:
        return key is not None and key in self.config.api_keys

    # -- logs ------------------------------------------------------------------------------------
    def clock(self) -> float:
        return round(time.monotonic() - self.started, 4)

    def log_request(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            entry["seq"] = len(self._requests) + 1
            entry["t"] = self.clock()
            self._requests.append(entry)
        return entry

    def log_submit(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            entry["seq"] = len(self._submits) + 1
            entry["t"] = self.clock()
            self._submits.append(entry)
        return entry

    def submits(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._submits)

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    # -- account ---------------------------------------------------------------------------------
    def rate_limited(self, key_id: str) -> bool:
        limit = self.config.rate_limit_per_minute
        if limit <= 0:
            return False
        now = time.monotonic()
        with self._lock:
            window = self._rate.setdefault(key_id, deque())
            while window and window[0] <= now - self.config.rate_limit_window_seconds:
                window.popleft()
            return len(window) >= limit

    def charge(self, key_id: str, price: float) -> bool:
        """Take ``price`` from the balance; False (nothing taken) when the balance is too low."""
        with self._lock:
            if price > self.balance + 1e-9:
                return False
            self.balance = round(self.balance - price, 6)
            self._rate.setdefault(key_id, deque()).append(time.monotonic())
            return True

    # -- tasks -----------------------------------------------------------------------------------
    def billed_seconds(self, spec: ModelSpec, effective: dict[str, Any]) -> float | None:
        if spec.kind == "video-to-video":
            video = self.media.resolve_input(str(effective.get("video") or ""), self.port)
            if video is None:
                return None
            try:
                return probe_seconds(video)
            except RenderError:
                return None
        duration = effective.get("duration")
        return (
            float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else 5.0
        )

    def start_render(self, task: Task, spec: ModelSpec) -> None:
        if task.planned_failure:
            task.rendered.set()
            return
        fps, max_side = self.config.fps, self.config.max_side
        self._renderer.submit(self._render_job, task, spec, fps, max_side)

    def _render_job(self, task: Task, spec: ModelSpec, fps: int, max_side: int) -> None:
        try:
            image = self._input_file(task, "image")
            video = self._input_file(task, "video")
            plan = make_plan(
                spec,
                task.effective,
                task.id,
                fps=fps,
                max_side=max_side,
                image_size=image_dimensions(image) if image else None,
                source_seconds=probe_seconds(video) if video else None,
            )
            task.documented_size, task.output_size = plan.documented, plan.size
            out = self.media.output_path(task.id)
            part = out.with_name(f"{task.id}.part.mp4")
            # The last frame (issue 17): Kling 4.0 names it last_image, Kling 3.0 4K end_image.
            end = self._input_file(task, "last_image") or self._input_file(task, "end_image")
            refs = self._reference_files(task, spec)
            render(part, spec, task.effective, plan, image, video, refs, end_image=end)
            part.replace(out)
            self.media.add_output(task.id, ttl=None)
            task.output_name = out.name
        except RenderError as exc:
            task.render_failure = (exc.code, str(exc))
        except Exception as exc:  # the stand-in's own bug: fail the task loudly, keep serving
            traceback.print_exc(file=sys.stderr)
            task.render_failure = (5000, f"stand-in render error: {type(exc).__name__}: {exc}")
        finally:
            task.rendered.set()

    def _reference_files(self, task: Task, spec: ModelSpec) -> list[Path]:
        """The reference pictures the task names (lists of image URLs), fetched like any input, in order."""
        files = []
        for name in spec.reference_fields():
            for url in task.effective.get(name) or []:
                path = self.media.resolve_input(str(url), self.port)
                if path is None:
                    raise RenderError(1402, f"Failed to download {name}: the media URL is not reachable")
                files.append(path)
        return files

    def _input_file(self, task: Task, name: str) -> Path | None:
        url = task.effective.get(name)
        if not url:
            return None
        path = self.media.resolve_input(str(url), self.port)
        if path is None:
            raise RenderError(1402, f"Failed to download {name}: the media URL is not reachable")
        return path

    def observe(self, task: Task) -> str:
        """The task's status now; starts an output's expiry clock the first time it is seen completed."""
        status = task.status(time.monotonic())
        if status == "completed" and task.output_name:
            stored = self.media.lookup(f"/files/outputs/{task.output_name}")
            ttl = self.config.output_ttl
            if stored is not None and stored.expires is None and ttl is not None:
                stored.expires = (task.completed_mono or time.monotonic()) + ttl
        return status

    def quote(self, spec: ModelSpec, raw_inputs: dict[str, Any]) -> float:
        inputs = {k: v for k, v in raw_inputs.items() if k in spec.fields}
        if not inputs:
            return pricing.quote(spec.model_id, {}, None)
        effective = spec.with_defaults(inputs)
        return pricing.quote(spec.model_id, effective, self.billed_seconds(spec, effective))

    # -- admin -----------------------------------------------------------------------------------
    def reset(self) -> None:
        # Renders of forgotten tasks would only slow the next test: drop the queued ones.
        old, self._renderer = self._renderer, ThreadPoolExecutor(max_workers=2, thread_name_prefix="render")
        old.shutdown(wait=False, cancel_futures=True)
        self.faults.clear()
        self.tasks.clear()
        self.media.clear()
        self.config = self.start_config.copy()
        with self._lock:
            self._submits.clear()
            self._requests.clear()
            self._rate.clear()
            self.balance = self.config.balance

    def shutdown(self) -> None:
        self.stopping.set()
        self._renderer.shutdown(wait=False, cancel_futures=True)
