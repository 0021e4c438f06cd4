"""The frozen snapshot a job is made from, and the credentials that travel beside it (never inside it).

A request holds plain data only — strings, numbers, paths, names — so a worker thread never sees a Blender
object, and the request can be written to the job store and read back after a restart. Secrets are not
part of it: they are passed as :class:`Credentials`, kept in memory only, and never written anywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Backend(StrEnum):
    WAN2GP = "wan2gp"
    WAVESPEED = "wavespeed"


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

    def __post_init__(self) -> None:
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
    def from_dict(cls, data: Mapping[str, Any]) -> GenerationRequest:
        data = dict(data)
        data["shot"] = ShotRef(**data.get("shot", {}))
        data["servers"] = tuple(data.get("servers", ()))
        return cls(**data)

    def fingerprint(self) -> str:
        """Identity for de-duplication: the same work, whoever asked and whatever its priority or label."""
        data = self.to_dict()
        for volatile in ("priority", "label", "deadline_s", "request_timeout_s"):
            data.pop(volatile, None)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


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
