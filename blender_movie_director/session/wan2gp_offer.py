"""What today's Wan2GP servers offer: which models they can run and which LoRAs each model has, fetched off
the main thread and cached for the session (issue 16).

The model picker, the LoRA picker and the shot panel draw from this cache only; nothing here is ever asked
of a server from ``draw()``. :func:`refresh` (called by operators: Refresh, opening the model picker, Test
Connection) reads the preferences on the main thread and starts one short-lived worker thread with plain
values; the worker asks each server ``list_models(available_only=False)`` and ``list_loras(model_type)``
through the Wan2GP client and posts one immutable :class:`Offer` into a locked table. The drain's timer
redraws the sidebars once after a change (:func:`take_changed`). :func:`join` (unregister) waits for the
worker; a stop flag ends it between two calls, and each call has the client's timeouts. Never touches
``bpy``.

What the servers answered is untrusted: names are kept as text, capped in number and length.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..backend.errors import BackendError
from .workers import Board

#: At most this many models and LoRAs per model are kept from one answer; names are cut to this length.
MAX_MODELS = 2000
MAX_LORAS = 500
MAX_NAME = 200
#: How many of the server's models a message names.
NAMED_IN_MESSAGE = 8


#: A cache key: today's Wan2GP servers and the transport preference.
Key = tuple[tuple[str, ...], str]


@dataclass(frozen=True)
class ModelOffer:
    model_type: str
    name: str
    available: bool | None  # None: this transport cannot tell (WanGP's web UI)


@dataclass(frozen=True)
class Offer:
    """One answer for today's servers and transport (``key``)."""

    key: Key
    state: str  # "fetching" | "done" | "failed"
    transport: str = ""  # what the servers speak: "web_ui" | "mcp" ("" until known)
    models: Mapping[str, ModelOffer] = field(default_factory=dict)
    loras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # model_type -> LoRA names
    lora_errors: Mapping[str, str] = field(default_factory=dict)  # model_type -> why there is no list
    error: str = ""
    fetched_at: float = 0.0

    def available(self, model_type: str) -> bool | None:
        """True / False when the servers said, None when they cannot tell or were not asked."""
        model = self.models.get(model_type)
        return None if model is None else model.available

    def available_models(self) -> list[str]:
        return sorted(m for m, offer in self.models.items() if offer.available)


_board = Board()
_lock = _board.lock  # also guards this module's tables
_offers: dict[Key, Offer] = {}
_clients: set[Any] = set()  # the worker's open clients: join() closes them to end a call in flight
_stop = threading.Event()


def key_for(prefs: Any) -> Key:
    """The cache key of today's preferences: the Wan2GP servers and the transport preference."""
    from ..requests.envelope import servers_for, transport_for

    return servers_for("WAN2GP", prefs), transport_for("WAN2GP", prefs)


def current(prefs: Any) -> Offer | None:
    """The cached answer for today's servers and transport (None: never asked). Cheap: safe in draw()."""
    with _lock:
        return _offers.get(key_for(prefs))


def running() -> bool:
    return _board.running()


def take_changed() -> bool:
    """True once after an answer came in (the drain's timer then redraws the sidebars)."""
    return _board.take_changed()


def _post(offer: Offer) -> None:
    _board.post(_offers, offer.key, offer)


def _auth(prefs: Any) -> tuple[str, str] | None:
    """Today's Wan2GP login for a worker (None: no user name), read here on the main thread."""
    from ..requests.envelope import credentials_for

    credentials = credentials_for("WAN2GP", prefs)
    return (credentials.username, credentials.password) if credentials.username else None


def _start_worker(target: Any, args: tuple[Any, ...], name: str) -> None:
    from ..blender import ticker

    ticker.start()  # the drain's tick redraws the sidebars when the answer comes in
    _stop.clear()
    _board.start(target, args, name)


def refresh(prefs: Any, model_types: Iterable[str] = (), *, timeout: float = 10.0) -> bool:
    """Ask today's servers what they offer (models, and the LoRAs of ``model_types``) in a worker thread;
    False when a fetch is already running. Main thread: reads the preferences here, never in the worker."""
    if running():
        return False
    key, auth = key_for(prefs), _auth(prefs)
    wanted = tuple(dict.fromkeys(m for m in model_types if m))
    timeout = min(timeout, float(prefs.request_timeout))
    previous = current(prefs)
    _post(
        Offer(
            key,
            "fetching",
            previous.transport if previous else "",
            previous.models if previous else {},
            previous.loras if previous else {},
            fetched_at=previous.fetched_at if previous else 0.0,
        )
    )
    kept = dict(previous.loras) if previous else {}  # LoRA lists of models not asked again stay known
    _start_worker(_fetch, (key, auth, wanted, timeout, kept), "movie-director-wan2gp-offer")
    return True


def _text(value: Any) -> str:
    return str(value)[:MAX_NAME] if value is not None else ""


def _fetch(
    key: Key,
    auth: tuple[str, str] | None,
    model_types: tuple[str, ...],
    timeout: float,
    kept: Mapping[str, tuple[str, ...]] | None = None,
) -> None:
    """The worker: every server of ``key``, models then LoRAs; posts one :class:`Offer`."""
    servers, transport = key
    models: dict[str, ModelOffer] = {}
    loras: dict[str, tuple[str, ...]] = {}
    lora_errors: dict[str, str] = {}
    errors: list[str] = []
    spoken = ""
    for url in servers or ("",):
        if _stop.is_set():
            break
        try:
            spoken, found, found_loras, found_errors = _ask(url, auth, transport, model_types, timeout)
        except BackendError as exc:
            errors.append(f"{url}: {exc.user_message}")
            continue
        except Exception as exc:  # reported on the panel rather than lost in a thread
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        for model_type, offer in found.items():
            known = models.get(model_type)
            if known is None or (offer.available and not known.available):
                models[model_type] = offer  # a pool offers a model when any of its servers has it
        for model_type, names in found_loras.items():
            loras[model_type] = tuple(dict.fromkeys((*loras.get(model_type, ()), *names)))
        for model_type, message in found_errors.items():
            lora_errors.setdefault(model_type, message)
    for model_type in loras:
        lora_errors.pop(model_type, None)
    for model_type, names in (kept or {}).items():
        if model_type not in model_types:
            loras.setdefault(model_type, names)
    failed = bool(errors) and not models
    _post(
        Offer(
            key,
            "failed" if failed else "done",
            spoken,
            MappingProxyType(models),
            MappingProxyType(loras),
            MappingProxyType(lora_errors),
            "; ".join(errors),
            time.time(),
        )
    )


def _ask(
    url: str, auth: tuple[str, str] | None, transport: str, model_types: tuple[str, ...], timeout: float
) -> tuple[str, dict[str, ModelOffer], dict[str, tuple[str, ...]], dict[str, str]]:
    from ..backend.wan2gp import Wan2GPClient

    client = _open(Wan2GPClient(url or None, auth=auth, connect_timeout=timeout, transport=transport))
    try:
        records = _call(client.list_models, available_only=False)
        found: dict[str, ModelOffer] = {}
        for record in list(records)[:MAX_MODELS]:
            model_type = _text(record.model_type)
            available = record.available if isinstance(record.available, bool) else None
            found[model_type] = ModelOffer(model_type, _text(record.name) or model_type, available)
        found_loras: dict[str, tuple[str, ...]] = {}
        found_errors: dict[str, str] = {}
        for model_type in model_types:
            if _stop.is_set():
                break
            try:
                listed = _call(client.list_loras, model_type)
            except BackendError as exc:
                found_errors[model_type] = exc.user_message
                continue
            found_loras[model_type] = tuple(_text(lora.name) for lora in list(listed)[:MAX_LORAS])
        return str(getattr(client, "transport", "") or ""), found, found_loras, found_errors
    finally:
        _close(client)


def _stopped() -> BackendError | None:
    """The client's stop check: the error its call ends with once :func:`join` asked the worker to stop."""
    if not _stop.is_set():
        return None
    from ..backend.errors import JobCancelledError

    return JobCancelledError("Stopped: Movie Director is being disabled.")


def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
    """``method(*args, **kwargs)`` with the stop check when the client's method takes one (it then returns
    within 0.1 s of :func:`join`)."""
    import inspect

    if "stop" in inspect.signature(method).parameters:
        kwargs["stop"] = _stopped
    return method(*args, **kwargs)


def _open(client: Any) -> Any:
    with _lock:
        _clients.add(client)
    if _stop.is_set():  # join() ran while the client was being made
        _close(client)
    return client


def _close(client: Any) -> None:
    with _lock:
        _clients.discard(client)
    client.close()


def join(timeout: float = 15.0) -> bool:
    """Stop the worker (its open client is closed, which ends a call in flight) and wait for it
    (unregister); True if none is left."""
    _stop.set()
    with _lock:
        clients = list(_clients)
    for client in clients:
        _close(client)
    return _board.join(timeout)


def clear() -> None:
    with _lock:
        _offers.clear()
        _finish.clear()


# --- what the shot panel and submit say (main thread; the cache only) -----
def model_problem(offer: Offer | None, model_type: str) -> str:
    """Why ``model_type`` cannot run on today's servers, with the models they have; "" when it can or
    when the servers have not said."""
    if offer is None or offer.available(model_type) is not False:
        listed = offer is not None and offer.transport == "mcp" and bool(offer.models)
        if listed and model_type not in offer.models:  # WanGP's MCP server lists every model it knows
            return f"The Wan2GP server does not know the model '{model_type}'. {_has(offer)}"
        return ""
    name = offer.models[model_type].name
    return f"'{name}' ({model_type}) has no weights on this Wan2GP server. {_has(offer)}"


def _has(offer: Offer) -> str:
    names = [offer.models[m].name for m in offer.available_models()]
    if not names:
        return "The server has no model ready to run."
    more = f" and {len(names) - NAMED_IN_MESSAGE} more" if len(names) > NAMED_IN_MESSAGE else ""
    return "It has: " + ", ".join(names[:NAMED_IN_MESSAGE]) + more + "."


def lora_problem(offer: Offer | None, model_type: str, names: Iterable[str]) -> str:
    """Which of the LoRAs ``names`` the server does not have for ``model_type`` ("" when all are there or
    the server's list is not known)."""
    listed = offer.loras.get(model_type) if offer is not None else None
    if listed is None:
        return ""
    missing = [n for n in names if n not in listed]
    if not missing:
        return ""
    have = ", ".join(listed[:NAMED_IN_MESSAGE]) if listed else "none"
    return (
        f"LoRA {', '.join(repr(n) for n in missing)} is not on the Wan2GP server for {model_type} "
        f"(it has: {have})."
    )


def refusal(request: Any, prefs: Any) -> str:
    """Why a Wan2GP request would fail on today's servers, from what they said (no network); ""."""
    if str(request.backend) != "wan2gp":
        return ""
    offer = current(prefs)
    problem = model_problem(offer, request.model)
    if problem:
        return problem
    return lora_problem(offer, request.model, request.settings.get("activated_loras") or ())


# --- Finish: what WanGP's postprocessing offers for video clips (the strip menu's Finish) -----
MAX_PROCESSES = 100


@dataclass(frozen=True)
class FinishOffer:
    """The server's answer to "what can you do to a video clip" (``wangp_postprocess`` discovery)."""

    key: Key
    state: str  # "fetching" | "done" | "failed"
    processes: tuple[Mapping[str, Any], ...] = ()  # id, label, description, type, media, parameters
    error: str = ""


_finish: dict[Key, FinishOffer] = {}


def finish_offer(prefs: Any) -> FinishOffer | None:
    """The cached answer for today's servers and transport (None: never asked). Cheap: safe in draw()."""
    with _lock:
        return _finish.get(key_for(prefs))


def finish_reason(prefs: Any) -> str:
    """Why Finish cannot run on today's servers, from the preferences and what the servers said ("")."""
    from ..requests.strip import finish_refusal

    reason = finish_refusal(prefs)
    if reason:
        return reason
    offer = current(prefs)
    if offer is not None and offer.transport == "web_ui":
        return (
            "Finish needs WanGP's MCP server (wgp.py --mcp): the Wan2GP server in the preferences is WanGP's "
            "web UI, which offers no postprocessing to other programs."
        )
    finish = finish_offer(prefs)
    return finish.error if finish is not None and finish.state == "failed" else ""


def refresh_finish(prefs: Any, video_path: str, *, timeout: float = 30.0) -> bool:
    """Ask the first server what it can do to the clip ``video_path`` (it is uploaded for that) in a worker
    thread; False when a fetch is already running. Main thread."""
    if running():
        return False
    key, auth = key_for(prefs), _auth(prefs)
    timeout = min(timeout, float(prefs.request_timeout))
    with _lock:
        _finish[key] = FinishOffer(key, "fetching")
    _start_worker(_fetch_finish, (key, auth, video_path, timeout), "movie-director-wan2gp-finish")
    return True


def _plain(value: Any, depth: int = 0) -> Any:
    """An untrusted JSON value kept as plain data, its strings cut and its lists capped."""
    if depth > 4:
        return None
    if isinstance(value, str):
        return value[: MAX_NAME * 4]
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k)[:MAX_NAME]: _plain(v, depth + 1) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in list(value)[:50]]
    return str(value)[:MAX_NAME]


def _fetch_finish(key: Key, auth: tuple[str, str] | None, video_path: str, timeout: float) -> None:
    from ..backend.wan2gp import Wan2GPClient

    servers, transport = key
    error = ""
    processes: tuple[Mapping[str, Any], ...] = ()
    try:
        client = _open(
            Wan2GPClient(
                servers[0] if servers else None, auth=auth, connect_timeout=timeout, transport=transport
            )
        )
        try:
            found = _call(client.finish_processes, video_path)
        finally:
            _close(client)
        processes = tuple(
            MappingProxyType(_plain(p))
            for p in list(found)[:MAX_PROCESSES]
            if isinstance(p, Mapping) and p.get("id")
        )
    except BackendError as exc:
        error = exc.user_message
    except Exception as exc:  # reported in the menu rather than lost in a thread
        error = f"{type(exc).__name__}: {exc}"
    _board.post(_finish, key, FinishOffer(key, "failed" if error else "done", processes, error))
