"""Test-only admin API under ``/_standin/`` (deliberately outside the real ``/api/v3`` namespace).

No key needed: the server only listens on 127.0.0.1. Keys never appear in answers, only their
fingerprints (``key_id``: "key-" + the first 10 hex digits of the key's SHA-256).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .app import key_id_of
from .faults import parse_rule
from .tasks import Task

if TYPE_CHECKING:
    from .handler import Handler


def handle(h: Handler, method: str) -> None:
    parts = [p for p in h.url_path.split("/") if p][1:]  # after "_standin"
    name = parts[0] if parts else ""
    routes: dict[tuple[str, str], Callable[[Handler, list[str]], Any]] = {
        ("GET", "health"): _health,
        ("GET", "config"): _config,
        ("POST", "config"): _set_config,
        ("GET", "faults"): _faults,
        ("POST", "faults"): _add_faults,
        ("DELETE", "faults"): _clear_faults,
        ("GET", "submits"): _submits,
        ("GET", "requests"): _requests,
        ("GET", "tasks"): _tasks,
        ("POST", "expire"): _expire,
        ("POST", "reset"): _reset,
    }
    action = routes.get((method, name))
    if action is None:
        h.send_json(404, {"error": f"no admin route {method} {h.url_path}"})
        return
    try:
        result = action(h, parts[1:])
    except ValueError as exc:
        h.send_json(400, {"error": str(exc)})
        return
    if result is None:
        h.send_json(404, {"error": "not found"})
    else:
        h.send_json(200, result)


def _health(h: Handler, _: list[str]) -> dict[str, Any]:
    return {"ok": True, "pid": os.getpid(), "url": h.app.base_url, "models": len(h.app.specs)}


def _config(h: Handler, _: list[str]) -> dict[str, Any]:
    return {"config": h.app.config.to_json(), "balance": round(h.app.balance, 4)}


def _set_config(h: Handler, _: list[str]) -> dict[str, Any]:
    changes = h.json_body()
    if not isinstance(changes, dict):
        raise ValueError("send a JSON object of config keys")
    h.app.config.update(changes)
    if "balance" in changes:
        h.app.balance = h.app.config.balance
    return _config(h, [])


def _faults(h: Handler, _: list[str]) -> dict[str, Any]:
    return {"rules": h.app.faults.rules()}


def _add_faults(h: Handler, _: list[str]) -> dict[str, Any]:
    body = h.json_body()
    replace = False
    if isinstance(body, dict) and "rules" in body:
        replace = bool(body.get("replace", False))
        body = body["rules"]
    items = body if isinstance(body, list) else [body]
    rules = [parse_rule(item, key_id_of) for item in items]
    if replace:
        h.app.faults.clear()
    h.app.faults.add(rules)
    return {"added": [r.id for r in rules], "rules": h.app.faults.rules()}


def _clear_faults(h: Handler, _: list[str]) -> dict[str, Any]:
    h.app.faults.clear()
    return {"rules": []}


def _matches(entry: dict[str, Any], h: Handler, names: tuple[str, ...]) -> bool:
    return all(name not in h.query or str(entry.get(name)) == h.query[name] for name in names)


def _submits(h: Handler, _: list[str]) -> dict[str, Any]:
    entries = [e for e in h.app.submits() if _matches(e, h, ("key_id", "model", "outcome"))]
    counts: dict[str, dict[str, int]] = {}
    for entry in h.app.submits():
        slot = counts.setdefault(str(entry["key_id"]), {"attempts": 0, "created": 0})
        slot["attempts"] += 1
        slot["created"] += entry["outcome"].startswith("created")
    return {"submits": entries, "counts": counts}


def _requests(h: Handler, _: list[str]) -> dict[str, Any]:
    return {"requests": [e for e in h.app.requests() if _matches(e, h, ("route", "task_id", "method"))]}


def task_view(h: Handler, task: Task) -> dict[str, Any]:
    status = h.app.observe(task)
    origin = h.app.started
    failure = task.failure() if status == "failed" else None
    return {
        "id": task.id,
        "model": task.model,
        "key_id": task.key_id,
        "status": status,
        "inputs": task.inputs,
        "effective_inputs": task.effective,
        "price": task.price,
        "created_at": task.created_at,
        "t_submitted": round(task.submitted - origin, 4),
        "t_starts": round(task.starts - origin, 4),
        "t_finishes": round(task.finishes - origin, 4),
        "polls": task.polls,
        "failure": {"code": failure[0], "error": failure[1]} if failure else None,
        "output_url": f"{h.app.base_url}/files/outputs/{task.output_name}" if task.output_name else None,
        "documented_size": list(task.documented_size) if task.documented_size else None,
        "output_size": list(task.output_size) if task.output_size else None,
        "webhook": task.webhook,
        "nsfw": task.nsfw,
        "rendered": task.rendered.is_set(),
    }


def _tasks(h: Handler, rest: list[str]) -> dict[str, Any] | None:
    if rest:
        task = h.app.tasks.get(rest[0])
        return None if task is None else task_view(h, task)
    return {"tasks": [task_view(h, t) for t in h.app.tasks.all()]}


def _expire(h: Handler, _: list[str]) -> dict[str, Any]:
    body = h.json_body() or {}
    if not isinstance(body, dict):
        raise ValueError('send {} or {"task_ids": [...]}')
    ids = body.get("task_ids")
    if ids is None:
        return {"expired": h.app.media.expire(None)}
    return {"expired": h.app.media.expire([f"/files/outputs/{i}.mp4" for i in ids])}


def _reset(h: Handler, _: list[str]) -> dict[str, Any]:
    h.app.reset()
    return {"ok": True, "t": time.monotonic() - h.app.started}
