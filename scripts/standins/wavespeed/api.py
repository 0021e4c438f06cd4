"""The v3 API routes: submit, poll, upload, catalog, price quote, balance."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from . import pricing, uploads
from .faults import HTTP_ACTIONS, FaultRule
from .protocol import (
    INSUFFICIENT_BALANCE,
    INVALID_KEY,
    SYNC_TIMEOUT_ERROR,
    envelope,
    error_envelope,
    task_object,
)
from .tasks import TERMINAL, Task, iso_now, new_task_id

if TYPE_CHECKING:
    from .handler import Handler

_POLL = re.compile(r"^/api/v3/predictions/([A-Za-z0-9_-]+)(/result)?/?$")
_FIXED = {
    ("GET", "/api/v3/models"): "models",
    ("GET", "/api/v3/balance"): "balance",
    ("POST", "/api/v3/model/price"): "price",
    ("POST", "/api/v3/model/pricing"): "price",
    ("POST", "/api/v3/media/upload/binary"): "upload",
    ("POST", "/api/v3/media/uploads"): "upload",
}


def route_of(method: str, path: str) -> str | None:
    if (method, path.rstrip("/")) in _FIXED:
        return _FIXED[(method, path.rstrip("/"))]
    if method == "GET" and _POLL.match(path):
        return "poll"
    if method == "POST" and not path.startswith("/api/v3/predictions"):
        return "submit"
    return None


def handle(h: Handler, method: str) -> None:
    route = route_of(method, h.url_path)
    h.entry["route"] = route
    h.entry["key_id"] = h.key_id()
    if route is None:
        h.send_json(404, error_envelope(404, f"no route for {method} {h.url_path}"))
        return
    model = h.url_path[len("/api/v3/") :].strip("/") if route == "submit" else None
    rule = h.app.faults.take(route, model, h.entry["key_id"])
    if rule is not None and not rule.create_task:
        if rule.action in HTTP_ACTIONS:
            # Log the submit before misbehaving: a hang can outlast the test's interest in it.
            record = _record_fault_submit(h, model, rule) if route == "submit" else None
            h.apply_fault(rule)
            if record is not None:
                record["http_status"] = h.entry.get("status")
            return
        h.apply_fault(rule)  # only its delay; the action shapes the task below
    if not h.app.key_ok(h.bearer_key()):
        h.send_json(401, error_envelope(401, INVALID_KEY))
        if route == "submit":
            _record(h, model, _body_or_none(h), outcome="unauthorized", status=401)
        return
    {
        "submit": lambda: submit(h, model or "", rule),
        "poll": lambda: poll(h, rule),
        "upload": lambda: uploads.handle_api(h, rule),
        "models": lambda: models(h, rule),
        "price": lambda: price(h, rule),
        "balance": lambda: balance(h, rule),
    }[route]()


# -- submit ------------------------------------------------------------------------------------------
def submit(h: Handler, model: str, rule: FaultRule | None) -> None:
    app = h.app
    spec = app.specs.get(model)
    if spec is None or model in app.config.retired_models:
        status = app.config.retired_status if spec is not None else 404
        h.send_json(status, error_envelope(status, f"Model not found: {model}"))
        _record(h, model, _body_or_none(h), outcome="unknown_model", status=status)
        return
    try:
        body = h.json_body()
    except ValueError as exc:
        body = None
        message = str(exc)
    else:
        message = "request body must be a JSON object"
    if not isinstance(body, dict):
        h.send_json(400, error_envelope(400, message))
        _record(h, model, body, outcome="rejected", status=400)
        return
    check = spec.validate(body)
    refused = _references_refused(app.specs, spec, body)
    if refused:
        h.send_json(400, error_envelope(400, refused))
        _record(h, model, body, outcome="rejected", status=400, check=check)
        return
    sync = body.get("enable_sync_mode") is True
    if check.problems and app.config.invalid_values == "submit":
        h.send_json(400, error_envelope(400, check.problems[0].message))
        _record(h, model, body, outcome="rejected", status=400, check=check)
        return
    key_id = h.entry["key_id"]
    if app.rate_limited(key_id):
        retry = app.config.rate_limit_retry_after
        h.send_error_reply(429, "Rate limit exceeded. Please slow down.", retry_after=retry)
        _record(h, model, body, outcome="rate_limited", status=429, check=check)
        return
    effective = spec.with_defaults(check.inputs)
    cost = pricing.quote(model, effective, app.billed_seconds(spec, effective))
    if not app.charge(key_id, cost):
        status = app.config.insufficient_balance_status
        h.send_json(status, error_envelope(status, INSUFFICIENT_BALANCE))
        _record(h, model, body, outcome="insufficient_balance", status=status, check=check)
        return

    cfg = app.config
    task_seconds, queue_seconds = cfg.task_seconds, cfg.queue_seconds
    if rule is not None and rule.action == "slow_task":
        task_seconds = rule.task_seconds if rule.task_seconds is not None else task_seconds
        queue_seconds = rule.queue_seconds if rule.queue_seconds is not None else queue_seconds
    submitted, starts, finishes = app.tasks.schedule(queue_seconds, task_seconds, cfg.max_concurrency)
    task = Task(
        id=new_task_id(),
        model=model,
        key_id=key_id or "",
        inputs=check.inputs,
        effective=effective,
        price=cost,
        submitted=submitted,
        starts=starts,
        finishes=finishes,
        created_at=iso_now(),
        webhook=h.query.get("webhook"),
    )
    if check.problems:
        task.planned_failure = (check.problems[0].code, check.problems[0].message)
    elif rule is not None and rule.action == "task_fail":
        task.planned_failure = (rule.task_code, rule.task_error)
    task.nsfw = rule is not None and rule.action == "nsfw"
    app.tasks.add(task)
    app.start_render(task, spec)
    h.entry["task_id"] = task.id
    record = _record(h, model, body, outcome="created", status=200, check=check, task=task)

    if rule is not None and rule.create_task and h.apply_fault(rule):
        record["outcome"] = "created+fault"
        record["fault"] = rule.id
        record["http_status"] = h.entry.get("status")
        return
    if sync:
        _answer_sync(h, task, forced_timeout=rule is not None and rule.action == "sync_timeout")
        record["http_status"] = h.entry.get("status")
        return
    h.send_json(200, envelope(task_object(task, app.observe(task), app.base_url)))


def _references_refused(specs: dict[str, Any], spec: Any, body: dict[str, Any]) -> str:
    """Reference pictures sent to a model that takes none (issue 17): a 400 naming the field, where other
    unknown keys are dropped without a word. The real service's wording is not documented: the stand-in's
    own, in its usual error shape."""
    known = {name for other in specs.values() for name in other.reference_fields()}
    own = set(spec.reference_fields())
    for key, value in body.items():
        if key in known and key not in own and value:
            return f"Invalid parameter {key}: {spec.model_id} does not take reference images"
    return ""


def _answer_sync(h: Handler, task: Task, *, forced_timeout: bool) -> None:
    app = h.app
    limit = app.config.sync_timeout
    deadline = time.monotonic() + (0 if forced_timeout else limit)
    status = app.observe(task)
    while status not in TERMINAL and time.monotonic() < deadline and not app.stopping.is_set():
        time.sleep(0.02)
        status = app.observe(task)
    if status in TERMINAL:
        h.send_json(200, envelope(task_object(task, status, app.base_url)))
        return
    if app.config.sync_timeout_reply == "504":
        h.send_error_reply(504, "Gateway Timeout", body="html")
        return
    data = task_object(task, "processing", app.base_url)
    data["code"] = 5004
    data["error"] = SYNC_TIMEOUT_ERROR.format(seconds=limit)
    h.send_json(200, envelope(data))


def _record(
    h: Handler,
    model: str | None,
    body: Any,
    *,
    outcome: str,
    status: int | None,
    check: Any = None,
    task: Task | None = None,
) -> dict[str, Any]:
    keys = list(body) if isinstance(body, dict) else []
    return h.app.log_submit(
        {
            "key_id": h.entry.get("key_id"),
            "model": model,
            "body": body,
            "raw_keys": keys,
            "dropped_keys": check.dropped if check else [],
            "problems": [p.message for p in check.problems] if check else [],
            "sync": isinstance(body, dict) and body.get("enable_sync_mode") is True,
            "webhook": h.query.get("webhook"),
            "outcome": outcome,
            "http_status": status,
            "task_id": task.id if task else None,
            "price": task.price if task else None,
        }
    )


def _body_or_none(h: Handler) -> Any:
    try:
        return h.json_body()
    except ValueError:
        return None


def _record_fault_submit(h: Handler, model: str | None, rule: FaultRule) -> dict[str, Any]:
    record = _record(h, model, _body_or_none(h), outcome="fault", status=None)
    record["fault"] = rule.id
    return record


# -- poll --------------------------------------------------------------------------------------------
def poll(h: Handler, rule: FaultRule | None) -> None:
    match = _POLL.match(h.url_path)
    assert match is not None
    task = h.app.tasks.get(match[1])
    h.entry["task_id"] = match[1]
    if task is None:
        h.send_json(404, error_envelope(404, "Prediction not found"))
        return
    task.polls += 1
    if rule is not None and h.apply_fault(rule):  # create_task rules on poll: answer after the lookup
        return
    h.send_json(200, envelope(task_object(task, h.app.observe(task), h.app.base_url)))


# -- catalog, price, balance -------------------------------------------------------------------------
def models(h: Handler, rule: FaultRule | None) -> None:
    if rule is not None and h.apply_fault(rule):
        return
    app = h.app
    data = []
    for order, spec in enumerate(app.specs.values()):
        if spec.model_id in app.config.retired_models:
            continue
        price_rule = pricing.rule_for(spec.model_id)
        data.append(
            {
                "model_id": spec.model_id,
                "name": spec.model_id.replace("/", " ").replace("-", " ").title(),
                "description": spec.output,
                "type": spec.kind,
                "base_price": price_rule.base_price,
                "formula": price_rule.formula,
                "sort_order": order,
                "api_schema": {
                    "api_schemas": [
                        {
                            "type": "model_run",
                            "method": "POST",
                            "server": app.base_url,
                            "api_path": f"/api/v3/{spec.model_id}",
                            "request_schema": spec.request_schema(),
                        }
                    ]
                },
            }
        )
    h.send_json(200, envelope(data))


def price(h: Handler, rule: FaultRule | None) -> None:
    if rule is not None and h.apply_fault(rule):
        return
    try:
        body = h.json_body()
    except ValueError as exc:
        h.send_json(400, error_envelope(400, str(exc)))
        return
    if not isinstance(body, dict) or not isinstance(body.get("model_id"), str):
        h.send_json(400, error_envelope(400, "model_id is required"))
        return
    inputs = body.get("inputs") or {}
    if not isinstance(inputs, dict):
        h.send_json(400, error_envelope(400, "inputs must be an object"))
        return
    spec = h.app.specs.get(body["model_id"])
    if spec is None or spec.model_id in h.app.config.retired_models:
        h.send_json(404, error_envelope(404, f"Model not found: {body['model_id']}"))
        return
    amount = h.app.quote(spec, inputs)
    data = {
        "model_id": spec.model_id,
        "price": amount,
        "discounted_price": amount,
        "discount_rate": 1.0,
        "currency": "USD",
    }
    if h.url_path.rstrip("/").endswith("/pricing"):  # the legacy contract answers unit_price
        data = {"model_id": spec.model_id, "unit_price": amount, "currency": "USD"}
    h.send_json(200, envelope(data))


def balance(h: Handler, rule: FaultRule | None) -> None:
    if rule is not None and h.apply_fault(rule):
        return
    h.send_json(200, envelope({"balance": round(h.app.balance, 4)}))
