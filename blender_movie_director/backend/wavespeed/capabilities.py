"""What a WaveSpeed model gives besides its picture: whether its clip has sound, which field switches the
sound on and off, and which of the service's endpoints extends its clips (issue 18).

All of it is read from the catalog data (``model_extras.json``: ``audio_out``, ``audio_switch``, ``extend``;
``model_specs.json``: the fields and the ``output`` text), never asked of the service. Where the extras say
nothing, the schema decides: a boolean ``generate_audio`` or ``sound`` field is the switch, an ``output`` that
mentions audio means sound, and the family's ``.../video-extend`` entry is the extend endpoint.
Pure Python, no bpy; any thread (the catalog is cached).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ValidationError
from .models import ModelSpec, all_models, resolve_model

#: Boolean schema fields that switch a model's sound, in the order they are looked for.
SWITCH_FIELDS = ("generate_audio", "sound", "enable_audio")
EXTEND_TASK = "video-extend"


def spec_of(model: str) -> ModelSpec | None:
    """The catalog entry of ``model`` (full path or short name), None for a model we do not know."""
    try:
        return resolve_model(model) if model else None
    except ValidationError:
        return None


def sound_switch(model: str | ModelSpec) -> str:
    """The request field that turns the clip's sound on or off ("" when the model has no such switch)."""
    spec = spec_of(model) if isinstance(model, str) else model
    if spec is None:
        return ""
    named = spec.extra.get("audio_switch")
    if isinstance(named, str) and named in spec.fields:
        return named
    for name in SWITCH_FIELDS:
        field = spec.fields.get(name)
        if field is not None and field.type == "boolean":
            return name
    return ""


def audio_out(spec: ModelSpec) -> bool:
    """Whether the model's clips can carry sound at all (with its switch on, where it has one)."""
    said = spec.extra.get("audio_out")
    if isinstance(said, bool):
        return said
    if sound_switch(spec):
        return True
    text = spec.output.lower()
    return "audio" in text and "no audio" not in text


def has_sound(model: str | ModelSpec, params: Mapping[str, Any] | None = None) -> bool:
    """Whether a clip made with ``params`` comes with sound (the switch's default applies when unset)."""
    spec = spec_of(model) if isinstance(model, str) else model
    if spec is None or not audio_out(spec):
        return False
    switch = sound_switch(spec)
    if not switch:
        return True
    value = (params or {}).get(switch)
    if value is None:
        field = spec.fields[switch]
        value = field.default if field.has_default else False
    return bool(value)


def extend_model(model: str) -> ModelSpec | None:
    """The service's own extend endpoint for clips of ``model`` (None: the model has none; Extend then makes
    a new image-to-video clip from the last frame, as before)."""
    spec = spec_of(model)
    if spec is None:
        return None
    models = all_models()
    if spec.task == EXTEND_TASK:
        return spec  # extending an extension: the same endpoint again
    named = spec.extra.get("extend")
    if isinstance(named, Mapping):
        named = named.get("model_id")
    candidates = [named] if isinstance(named, str) and named else []
    candidates.append(spec.model_id.rsplit("/", 1)[0] + "/" + EXTEND_TASK)
    for candidate in candidates:
        found = models.get(candidate)
        if found is not None and "video" in found.fields and not getattr(found, "retired", ""):
            return found
    return None


__all__ = [
    "EXTEND_TASK", "SWITCH_FIELDS", "audio_out", "extend_model", "has_sound", "sound_switch", "spec_of",
]  # fmt: skip
