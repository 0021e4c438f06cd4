"""Fault rules: scripted misbehaviour for the next matching requests.

A rule matches a route (and optionally a model and a key); it fires ``count`` times (None: forever)
after letting ``after`` matching requests through. Rules are checked in the order they were added; the
first one that fires wins. The admin API (``POST /_standin/faults``) and ``--fault`` take the same JSON.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

ROUTES = ("submit", "poll", "upload", "storage", "download", "models", "price", "balance", "any")

#: action -> what it does (also the docs' table)
ACTIONS = {
    "status": "answer HTTP `status` (with `retry_after` header if set; body `body`: json|html|empty)",
    "envelope": "answer HTTP 200 with envelope code `code` (default 500) and `message`",
    "insufficient_balance": "answer the insufficient-balance error (`status` or the configured status)",
    "hang": "read the request, then send nothing for `hang_seconds` and close",
    "drop": "close the connection without an answer (`rst`: reset instead of a clean close)",
    "delay": "wait `delay` seconds, then answer normally",
    "truncate": "download: full Content-Length header, only `fraction` of the bytes, then close",
    "throttle": "download: send at `bytes_per_second`",
    "task_fail": "submit: create the task normally; it fails with `task_code` / `task_error`",
    "slow_task": "submit: the created task takes `task_seconds` (and `queue_seconds` if set)",
    "sync_timeout": "sync submit: answer the sync-mode timeout at once (the task keeps running)",
    "nsfw": "submit: the task completes with has_nsfw_contents [true]",
}

#: Actions that replace the HTTP answer (handled by the request handler before the route runs).
HTTP_ACTIONS = ("status", "envelope", "insufficient_balance", "hang", "drop")

_ids = itertools.count(1)


@dataclass
class FaultRule:
    route: str
    action: str = "status"
    model: str | None = None
    key_id: str | None = None
    count: int | None = 1
    after: int = 0
    status: int | None = None
    retry_after: float | str | None = None
    message: str | None = None
    body: str = "json"
    code: int = 500
    hang_seconds: float = 30.0
    rst: bool = False
    delay: float = 0.0
    fraction: float = 0.5
    bytes_per_second: int = 65536
    task_code: int = 5000
    task_error: str = "Internal server error: the inference worker crashed"
    task_seconds: float | None = None
    queue_seconds: float | None = None
    create_task: bool = False
    id: int = 0
    hits: int = 0
    passed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_rule(data: dict[str, Any], key_id_of: Any) -> FaultRule:
    """Build a rule from admin JSON; ``key`` (a raw key) is stored only as its fingerprint."""
    if not isinstance(data, dict):
        raise ValueError("a fault rule must be a JSON object")
    data = dict(data)
    if "key" in data:
        data["key_id"] = key_id_of(str(data.pop("key")))
    if "action" not in data:
        data["action"] = "status" if "status" in data else ""
    allowed = {f.name for f in fields(FaultRule)} - {"id", "hits", "passed"}
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    rule = FaultRule(**data)
    if rule.route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}")
    if rule.action not in ACTIONS:
        raise ValueError(f"action must be one of {sorted(ACTIONS)}")
    if rule.action == "status" and not isinstance(rule.status, int):
        raise ValueError("action 'status' needs an integer status")
    if rule.body not in ("json", "html", "empty"):
        raise ValueError("body must be json, html or empty")
    if rule.count is not None and rule.count < 0:
        raise ValueError("count must be >= 0 or null")
    if not 0 <= rule.fraction < 1:
        raise ValueError("fraction must be in [0, 1)")
    rule.id = next(_ids)
    return rule


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def add(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules.extend(rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_json() for r in self._rules]

    def take(self, route: str, model: str | None, key_id: str | None) -> FaultRule | None:
        """The rule that fires for this request, if any (consumes one use of it)."""
        with self._lock:
            for rule in self._rules:
                if rule.route not in (route, "any"):
                    continue
                if rule.model is not None and rule.model != model:
                    continue
                if rule.key_id is not None and rule.key_id != key_id:
                    continue
                if rule.count is not None and rule.hits >= rule.count:
                    continue
                if rule.passed < rule.after:
                    rule.passed += 1
                    continue
                rule.hits += 1
                return rule
            return None
