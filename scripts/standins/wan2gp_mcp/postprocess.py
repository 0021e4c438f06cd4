"""``wangp_postprocess``: discovery of the processes WanGP 12.60 offers for a gallery item, and running them.

Discovery answers are the captured lists (``data/postprocess.json``: 12 processes for a video, 8 for an
image). The stand-in really runs ``lanczos`` (spatial resize) and ``rife`` (frame interpolation, here linear
blends); every other process needs model weights, so its job fails like WanGP without them (the Hub message).
A run is a job of the session (one at a time), with the captured extra snapshot fields and progress text.

Threading: ``discover``/``validate`` are pure; ``start`` hands the work to ``jobs.Session`` (worker thread).
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from standins.wan2gp.knobs import LOAD_FAILURE_MESSAGE

from . import render
from .jobs import VERSION_TAG, Job, Session, _error, _result

DATA_FILE = Path(__file__).with_name("data") / "postprocess.json"
RUNNABLE = ("lanczos", "rife")


@lru_cache(maxsize=1)
def _processes() -> dict[str, list[dict[str, Any]]]:
    with open(DATA_FILE, encoding="utf-8") as f:
        data = json.load(f)
    return {"video": data["video"], "image": data["image"]}


def processes_for(media_type: str) -> list[dict[str, Any]]:
    return [dict(p) for p in _processes().get(media_type, [])]


def discover(item: dict[str, Any]) -> dict[str, Any]:
    procs = processes_for(item["media_type"])
    return {
        "status": "discovery",
        "path": item["path"],
        "media_type": item["media_type"],
        "processes": procs,
        "count": len(procs),
    }


def _fmt(value: Any) -> str:
    return str(float(value)) if isinstance(value, int | float) else str(value)


def validate(item: dict[str, Any], process: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The process record after checking its parameters (messages in the captured form)."""
    for proc in processes_for(item["media_type"]):
        if proc["id"] == process:
            break
    else:
        ids = ", ".join(p["id"] for p in processes_for(item["media_type"]))
        raise ValueError(f"Unknown process '{process}' for {item['media_type']}. Available: {ids}.")
    for param in proc["parameters"]:
        name = param["name"]
        if name not in parameters:
            if param.get("required"):
                raise ValueError(f"{name} is required.")
            continue
        allowed = param.get("enum")
        if allowed is not None:
            try:
                ok = float(parameters[name]) in [float(a) for a in allowed]
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError(f"{name} must be one of: {', '.join(_fmt(a) for a in allowed)}.")
    return proc


def start(session: Session, item: dict[str, Any], proc: dict[str, Any], parameters: dict[str, Any]) -> Job:
    extra = {
        "source_path": item["path"],
        "media_type": item["media_type"],
        "process": proc["id"],
        "process_label": proc["label"],
        "parameters": parameters,
    }
    return session.start(lambda job: _run(session, job, item, proc, parameters), extra)


def _run(
    session: Session, job: Job, item: dict[str, Any], proc: dict[str, Any], parameters: dict[str, Any]
) -> None:
    job.emit("started", {"tasks": 1})
    label = "Upsampling" if proc["type"] in ("spatial_upsampling", "temporal_upsampling") else "Processing"
    job.emit(
        "progress",
        {
            "phase": "inference",
            "status": f"{label} - Starting",
            "progress": 15,
            "current_step": None,
            "total_steps": None,
            "raw_phase": f"{label} - Starting",
            "unit": None,
        },
    )
    source = Path(item["path"])
    if proc["id"] not in RUNNABLE:
        time.sleep(session.knobs.load_seconds)
        err = _error(LOAD_FAILURE_MESSAGE, 1, "generation")
        job.emit("error", err)
        job.finish(_result([], [err], 1, 0, 1, [], []))
        return
    target = session.knobs.outputs / f"{source.stem}_post{source.suffix}"
    multiplier = float(parameters["multiplier"])
    time.sleep(session.knobs.step_seconds)
    if proc["id"] == "lanczos":
        render.lanczos(source, target, multiplier)
        key, tag = "spatial_upsampling", f"lanczos{_fmt(multiplier).removesuffix('.0')}"
    else:
        render.interpolate(source, target, int(multiplier))
        key, tag = "temporal_upsampling", f"rife{_fmt(multiplier).removesuffix('.0')}"
    with job.lock:
        cancelled = job.cancel_requested
    if cancelled:
        target.unlink(missing_ok=True)
        err = _error("Generation was cancelled", 1, "cancelled", True)
        job.emit("error", err)
        job.finish(_result([], [err], 1, 0, 1, [], []))
        return
    job.emit("output")
    settings = {"type": f"{VERSION_TAG} - Post Processing", "client_id": f"api_{time.time_ns()}_1", key: tag}
    new_item = session.gallery.add(str(target), item["media_type"], selected=False, settings=settings)
    job.finish(_result([str(target)], [], 1, 1, 0, [], [new_item]))
