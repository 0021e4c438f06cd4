"""The stand-in's knobs: set at start from the command line, changed at run time by the admin API."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from typing import Any

INVALID_VALUE_MODES = ("submit", "task")
SYNC_TIMEOUT_REPLIES = ("5004", "504")


@dataclass
class Config:
    """Everything a test may want to vary. Field names are the admin API's keys."""

    #: Bearer keys the server accepts.
    api_keys: list[str] = field(default_factory=lambda: ["ws-standin-key"])
    #: Seconds a task stays ``created`` before it starts (queue time).
    queue_seconds: float = 0.2
    #: Seconds a task stays ``processing`` (its "inference" time).
    task_seconds: float = 2.0
    #: Tasks running at once per server (Bronze accounts: 2); 0 = no limit. Extra tasks stay ``created``.
    max_concurrency: int = 0
    #: Where an out-of-range value or a missing required field is refused: at submit (HTTP 400)
    #: or as a task that fails with data.code 1401 (1400 for a missing field). The real choice is unknown.
    invalid_values: str = "submit"
    #: Model ids taken out of the catalog; submitting to them answers ``retired_status``.
    retired_models: list[str] = field(default_factory=list)
    retired_status: int = 404
    #: Account balance in USD; every created task is charged its quoted price.
    balance: float = 1000.0
    #: HTTP status (and envelope code) for "insufficient balance" (undocumented: 402 is a guess).
    insufficient_balance_status: int = 402
    #: Seconds a sync-mode POST waits before giving up (the real service: 90).
    sync_timeout: float = 90.0
    #: How a sync-mode timeout is answered: "5004" (HTTP 200, data.code 5004, status processing)
    #: or "504" (a gateway timeout; the task still completes).
    sync_timeout_reply: str = "5004"
    #: Seconds after completion an output URL stays downloadable (None: 7 days, like the real service).
    output_ttl: float | None = None
    #: HTTP status of a download after its URL expired.
    expired_status: int = 404
    #: Output video frame rate and longest side in pixels (real outputs are 480p..4k; ours stay tiny).
    fps: int = 24
    max_side: int = 192
    #: Submits per key per minute before answering 429 (0 = no limit; real Bronze tier: 2 videos/min).
    rate_limit_per_minute: int = 0
    #: Length of that rate window in seconds (the real service: a minute; tests shorten it).
    rate_limit_window_seconds: float = 60.0
    #: Retry-After header (seconds) sent with the rate-limit 429; None sends no header.
    rate_limit_retry_after: float | None = None

    def copy(self) -> Config:
        return copy.deepcopy(self)

    def to_json(self) -> dict[str, Any]:
        data = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}
        data["api_keys"] = len(self.api_keys)  # never echo keys
        return data

    def update(self, changes: dict[str, Any]) -> None:
        """Apply admin changes; raises ``ValueError`` naming the first bad key or value."""
        names = {f.name: f for f in fields(self)}
        staged = self.copy()
        for key, value in changes.items():
            if key not in names:
                raise ValueError(f"unknown config key {key!r}")
            setattr(staged, key, _coerce(key, value, getattr(self, key)))
        staged.check()
        for key in changes:
            setattr(self, key, getattr(staged, key))

    def check(self) -> None:
        if self.invalid_values not in INVALID_VALUE_MODES:
            raise ValueError(f"invalid_values must be one of {INVALID_VALUE_MODES}")
        if self.sync_timeout_reply not in SYNC_TIMEOUT_REPLIES:
            raise ValueError(f"sync_timeout_reply must be one of {SYNC_TIMEOUT_REPLIES}")
        if self.queue_seconds < 0 or self.task_seconds < 0 or self.sync_timeout < 0:
            raise ValueError("times must be >= 0")
        if self.rate_limit_window_seconds <= 0:
            raise ValueError("rate_limit_window_seconds must be > 0")
        if self.fps < 1 or self.max_side < 16:
            raise ValueError("fps must be >= 1 and max_side >= 16")
        if not self.api_keys:
            raise ValueError("at least one api key is needed")


def _coerce(key: str, value: Any, current: Any) -> Any:
    if key in ("api_keys", "retired_models"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{key} must be a list of strings")
        return list(value)
    if value is None:
        if key in ("output_ttl", "rate_limit_retry_after"):
            return None
        raise ValueError(f"{key} may not be null")
    if isinstance(current, bool) or isinstance(value, bool):
        raise ValueError(f"{key} has the wrong type")
    if isinstance(current, int) and not isinstance(current, bool) and key not in ("balance",):
        if not isinstance(value, int):
            raise ValueError(f"{key} must be an integer")
        return value
    if isinstance(current, float) or key in ("output_ttl", "rate_limit_retry_after", "balance"):
        if not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number")
        return float(value)
    if isinstance(current, str):
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string")
        return value
    raise ValueError(f"{key} cannot be set")
