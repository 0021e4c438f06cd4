"""The WaveSpeed models as data: request fields, allowed values, defaults, price rules, limits.

Loaded from two JSON files beside this module: ``model_specs.json`` (the research copy of each model's
request schema, the shape ``GET /api/v3/models`` serves) and ``model_extras.json`` (our additions: short
names, price rules, typical times, limits, unverified fields). A model is an entry, never a class.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import ValidationError

_HERE = Path(__file__).resolve().parent
SPECS_FILE = _HERE / "model_specs.json"
EXTRAS_FILE = _HERE / "model_extras.json"

TEXT_TO_VIDEO = "text-to-video"
IMAGE_TO_VIDEO = "image-to-video"
VIDEO_EDIT = "video-edit"

#: Short task names callers use for the three tasks.
TASK_ALIASES = {
    "t2v": TEXT_TO_VIDEO,
    "i2v": IMAGE_TO_VIDEO,
    "v2v": VIDEO_EDIT,
    "edit": VIDEO_EDIT,
    "retake": VIDEO_EDIT,
}

#: Field names whose value is a media URL (a local file is uploaded first).
MEDIA_FIELDS = {"image": "image", "last_image": "image", "video": "video", "audio": "audio"}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # "string" | "integer" | "number" | "boolean"
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    has_default: bool = False
    description: str = ""
    #: Why the research could not confirm this field (None = confirmed with the model).
    unverified: str | None = None

    @property
    def media_kind(self) -> str | None:
        return MEDIA_FIELDS.get(self.name) if self.type == "string" else None

    def allowed_text(self) -> str:
        if self.enum is not None:
            return ", ".join(str(v) for v in self.enum)
        if self.minimum is not None or self.maximum is not None:
            low = "..." if self.minimum is None else self.minimum
            high = "..." if self.maximum is None else self.maximum
            return f"{low} to {high}"
        return self.type


@dataclass(frozen=True)
class InputLimit:
    kinds: tuple[str, ...]
    max_bytes: int
    confidence: str


@dataclass(frozen=True)
class PriceRule:
    per: str  # "second" | "generation"
    seconds: str | None  # "duration" | "input_video" | None
    rates: tuple[tuple[Mapping[str, Any], float], ...]
    min_seconds: float | None
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    short_name: str
    display_name: str
    task: str
    fields: Mapping[str, FieldSpec]
    not_in_schema: tuple[str, ...]
    price_rule: PriceRule
    confidence: str
    typical_seconds: float
    typical_seconds_confidence: str
    prompt_max_chars: int
    prompt_max_chars_confidence: str
    inputs: Mapping[str, InputLimit]
    fixed_resolution: str | None = None
    may_be_retired: bool = False
    availability_note: str = ""
    output: str = ""
    price_text: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(name for name, f in self.fields.items() if f.required)

    def defaults(self) -> dict[str, Any]:
        return {name: f.default for name, f in self.fields.items() if f.has_default}

    def __str__(self) -> str:
        return self.display_name


def _field(name: str, raw: Mapping[str, Any], unverified: str | None) -> FieldSpec:
    enum = raw.get("enum")
    return FieldSpec(
        name=name,
        type=str(raw.get("type", "string")),
        required=bool(raw.get("required", False)),
        enum=tuple(enum) if enum is not None else None,
        minimum=raw.get("minimum"),
        maximum=raw.get("maximum"),
        default=raw.get("default"),
        has_default="default" in raw,
        description=str(raw.get("description", "")),
        unverified=unverified,
    )


def _price_rule(raw: Mapping[str, Any]) -> PriceRule:
    return PriceRule(
        per=raw["per"],
        seconds=raw.get("seconds"),
        rates=tuple((MappingProxyType(dict(r["when"])), float(r["usd"])) for r in raw.get("rates", [])),
        min_seconds=raw.get("min_seconds"),
        confidence=raw.get("confidence", "unverified"),
        note=raw.get("note", ""),
    )


def _inputs(defaults: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, InputLimit]:
    merged = {**defaults, **own}
    return {
        kind: InputLimit(tuple(v["kinds"]), int(v["max_bytes"]), v.get("confidence", "unverified"))
        for kind, v in merged.items()
    }


def build_spec(
    model_id: str, spec: Mapping[str, Any], extra: Mapping[str, Any], defaults: Mapping[str, Any]
) -> ModelSpec:
    unverified = extra.get("unverified_fields", {})
    fields = {name: _field(name, raw, unverified.get(name)) for name, raw in spec["fields"].items()}
    typical = extra.get("typical_seconds", {"value": 120, "confidence": "guess"})
    return ModelSpec(
        model_id=model_id,
        short_name=extra.get("short_name", model_id),
        display_name=extra.get("display_name", model_id),
        task=extra.get("task", TEXT_TO_VIDEO),
        fields=MappingProxyType(fields),
        not_in_schema=tuple(spec.get("not_in_schema", ())),
        price_rule=_price_rule(
            extra.get("price_rule", {"per": "second", "rates": [], "confidence": "unverified"})
        ),
        confidence=str(spec.get("confidence", "unverified")),
        typical_seconds=float(typical["value"]),
        typical_seconds_confidence=str(typical.get("confidence", "guess")),
        prompt_max_chars=int(extra.get("prompt_max_chars", defaults["prompt_max_chars"])),
        prompt_max_chars_confidence=str(
            extra.get("prompt_max_chars_confidence", defaults["prompt_max_chars_confidence"])
        ),
        inputs=MappingProxyType(_inputs(defaults["inputs"], extra.get("inputs", {}))),
        fixed_resolution=extra.get("fixed_resolution"),
        may_be_retired=bool(extra.get("may_be_retired", False)),
        availability_note=str(spec.get("availability_note", "")),
        output=str(spec.get("output", "")),
        price_text=str(spec.get("price", "")),
        extra=MappingProxyType(dict(extra)),
    )


@cache
def all_models() -> Mapping[str, ModelSpec]:
    """Every model we know, keyed by its WaveSpeed model id (the path after ``/api/v3/``)."""
    specs = json.loads(SPECS_FILE.read_text(encoding="utf-8"))["models"]
    extras_doc = json.loads(EXTRAS_FILE.read_text(encoding="utf-8"))
    extras, defaults = extras_doc["models"], extras_doc["defaults"]
    return MappingProxyType(
        {
            model_id: build_spec(model_id, spec, extras.get(model_id, {}), defaults)
            for model_id, spec in specs.items()
        }
    )


def short_names() -> dict[str, dict[str, str]]:
    """``{short_name: {task: model_id}}``."""
    out: dict[str, dict[str, str]] = {}
    for spec in all_models().values():
        out.setdefault(spec.short_name, {})[spec.task] = spec.model_id
    return out


def resolve_model(name: str, task: str | None = None) -> ModelSpec:
    """Find a model by full WaveSpeed path (``lightricks/ltx-2-pro/text-to-video``) or short name.

    A short name names a family; ``task`` picks its text-to-video (default), image-to-video or video-edit
    member. An unknown name is a :class:`ValidationError` listing the known names.
    """
    models = all_models()
    task = TASK_ALIASES.get(task, task) if task is not None else None
    key = name.strip().strip("/")
    if key.startswith("api/v3/"):
        key = key[len("api/v3/") :]
    if key in models:
        spec = models[key]
        if task is not None and spec.task != task:
            sibling = short_names().get(spec.short_name, {}).get(task)
            if sibling is None:
                raise ValidationError(
                    f"{spec.display_name} is a {spec.task} model and has no {task} variant.",
                    field="model",
                )
            return models[sibling]
        return spec
    family = short_names().get(key.lower())
    if family:
        if task is None:
            task = TEXT_TO_VIDEO if TEXT_TO_VIDEO in family else next(iter(family))
        if task in family:
            return models[family[task]]
        raise ValidationError(
            f"'{name}' has no {task} variant (it offers: {', '.join(sorted(family))}).",
            field="model",
            allowed=tuple(sorted(family)),
        )
    known = tuple(sorted(short_names()))
    raise ValidationError(
        f"Unknown WaveSpeed model '{name}'. Known models: {', '.join(known)} "
        "(or their full WaveSpeed paths).",
        field="model",
        allowed=known,
    )


__all__ = [
    "IMAGE_TO_VIDEO",
    "TASK_ALIASES",
    "TEXT_TO_VIDEO",
    "VIDEO_EDIT",
    "FieldSpec",
    "InputLimit",
    "ModelSpec",
    "PriceRule",
    "all_models",
    "build_spec",
    "resolve_model",
    "short_names",
]
