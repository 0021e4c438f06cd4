"""The frozen snapshot a job is made from, and the credentials that travel beside it (never inside it).

A request holds plain data only — strings, numbers, paths, names — so a worker thread never sees a Blender
object, and the request can be written to the job store and read back after a restart. Secrets are not
part of it: they are passed as :class:`Credentials`, kept in memory only, and never written anywhere.

A request read back from disk is untrusted: :meth:`GenerationRequest.from_dict` checks every field's type
and raises :class:`StoredDataError` (a ``ValueError``) for anything else, never another exception. Plain
data, no threads: safe on any thread.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from ..limits import DOWNLOAD_MAX_BYTES


class StoredDataError(ValueError):
    """A stored record (job store line, request) is not what this version writes: the caller skips it."""


class Backend(StrEnum):
    WAN2GP = "wan2gp"
    WAVESPEED = "wavespeed"


#: How a Wan2GP job reaches WanGP: picked from the address ("auto"), its web UI, or its MCP server.
TRANSPORTS = ("auto", "web_ui", "mcp")


class Quality(StrEnum):
    PREVIEW = "preview"
    FINAL = "final"


#: Lower runs first. A preview jumps ahead of a batch of finals.
PRIORITY_PREVIEW = 10
PRIORITY_FINAL = 50
PRIORITY_BATCH = 60


@dataclass(frozen=True)
class ShotRef:
    """Which shot/strip the job belongs to, by name (re-resolved on the main thread when events arrive)."""

    scene: str = ""
    shot: str = ""  # the camera object's name
    strip: str = ""  # the VSE strip to replace, when regenerating one


@dataclass(frozen=True)
class GenerationRequest:
    backend: Backend
    model: str
    prompt: str
    output_dir: str
    negative_prompt: str = ""
    #: Backend-specific settings (Wan2GP settings keys; WaveSpeed schema fields), JSON-serialisable values.
    settings: Mapping[str, Any] = field(default_factory=dict)
    #: Input files by role: "image_start", "image_end", "video_guide", "video_mask", "video" (retake)…
    inputs: Mapping[str, str] = field(default_factory=dict)
    shot: ShotRef = field(default_factory=ShotRef)
    quality: Quality = Quality.PREVIEW
    priority: int = PRIORITY_PREVIEW
    #: Seconds the whole job may take before it is failed with a message saying what it waited for.
    deadline_s: float = 3600.0
    #: Seconds to wait for one answer from the server (the preferences' Request Timeout).
    request_timeout_s: float = 60.0
    #: Server address(es): Wan2GP URL(s), or the WaveSpeed base URL. Empty: the backend's default.
    servers: tuple[str, ...] = ()
    #: Free text shown to the user (e.g. "Shot_010 · preview").
    label: str = ""
    #: The largest result video the job downloads, in bytes (the preference; 0: no limit).
    max_download_bytes: int = DOWNLOAD_MAX_BYTES
    #: Wan2GP only: which of WanGP's surfaces the job uses (:data:`TRANSPORTS`; the preference).
    transport: str = "auto"

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {self.transport!r}")
        object.__setattr__(self, "backend", Backend(self.backend))
        object.__setattr__(self, "quality", Quality(self.quality))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "inputs", MappingProxyType({k: str(v) for k, v in self.inputs.items()}))
        object.__setattr__(self, "servers", tuple(self.servers))
        if isinstance(self.shot, Mapping):
            object.__setattr__(self, "shot", ShotRef(**self.shot))
        json.dumps(self.to_dict())  # fail at submit time, not in the store, if a value is not plain data

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(
            backend=str(self.backend),
            quality=str(self.quality),
            settings=dict(self.settings),
            inputs=dict(self.inputs),
            servers=list(self.servers),
            shot=asdict(self.shot),
        )
        return data

    @classmethod
    def from_dict(cls, data: Any) -> GenerationRequest:
        """A request from stored plain data (JSON), every field's type checked; raises StoredDataError."""
        if not isinstance(data, Mapping):
            raise StoredDataError("the request is not an object")
        unknown = set(data) - _FIELD_NAMES
        if unknown:
            raise StoredDataError(f"unknown request fields: {', '.join(sorted(map(str, unknown)))}")
        values: dict[str, Any] = {}
        for name, check in _FIELD_CHECKS.items():
            if name in data:
                values[name] = check(name, data[name])
            elif name in _REQUIRED:
                raise StoredDataError(f"the request has no {name}")
            else:
                values[name] = _DEFAULTS[name]()
        # What __post_init__ does, without its JSON check (the values came from JSON), and every field set
        # at once: a store of 40k records loads in a fraction of the time.
        if values["transport"] not in TRANSPORTS:
            raise StoredDataError(f"the request names an unknown transport {values['transport']!r}")
        try:
            values["backend"] = Backend(values["backend"])
            values["quality"] = Quality(values["quality"])
        except ValueError as exc:  # an unknown backend or quality name
            raise StoredDataError(f"the request cannot be read: {exc}") from None
        values["settings"] = MappingProxyType(values["settings"])
        values["inputs"] = MappingProxyType(values["inputs"])
        request = object.__new__(cls)
        request.__dict__.update(values)
        return request

    def fingerprint(self) -> str:
        """Identity for de-duplication: the same work, whoever asked and whatever its priority or label."""
        data = self.to_dict()
        volatile = ("priority", "label", "deadline_s", "request_timeout_s", "max_download_bytes", "transport")
        for name in volatile:
            data.pop(name, None)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise StoredDataError(f"{name} is not text")
    return value


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise StoredDataError(f"{name} is not a number")
    return float(value)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoredDataError(f"{name} is not a whole number")
    return value


def _text_map(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise StoredDataError(f"{name} is not a map of text")
    return dict(value)


def _settings(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise StoredDataError(f"{name} is not a map")
    return dict(value)  # JSON values: plain data by construction


def _text_list(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise StoredDataError(f"{name} is not a list of text")
    return tuple(value)


def _shot(name: str, value: Any) -> ShotRef:
    if not isinstance(value, Mapping) or set(value) - {"scene", "shot", "strip"}:
        raise StoredDataError(f"{name} is not a shot reference")
    return ShotRef(**_text_map(name, value))


_FIELD_CHECKS = {
    "backend": _text,
    "model": _text,
    "prompt": _text,
    "output_dir": _text,
    "negative_prompt": _text,
    "settings": _settings,
    "inputs": _text_map,
    "shot": _shot,
    "quality": _text,
    "priority": _integer,
    "deadline_s": _number,
    "request_timeout_s": _number,
    "servers": _text_list,
    "label": _text,
    "max_download_bytes": _integer,
    "transport": _text,
}
_FIELD_NAMES = frozenset(_FIELD_CHECKS)
_DEFAULTS = {
    f.name: (f.default_factory if f.default is MISSING else (lambda value=f.default: value))
    for f in fields(GenerationRequest)
}
_REQUIRED = frozenset({"backend", "model", "prompt", "output_dir"})


@dataclass(frozen=True)
class Credentials:
    """Secrets for one backend call, read from preferences or the environment at submit time."""

    api_key: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.api_key, self.password) if s)

    def __repr__(self) -> str:
        return (
            f"Credentials(api_key={'***' if self.api_key else ''!r}, username={self.username!r}, "
            f"password={'***' if self.password else ''!r})"
        )
