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
REFERENCE_TO_VIDEO = "reference-to-video"
VIDEO_EXTEND = "video-extend"

#: Short task names callers use for the tasks.
TASK_ALIASES = {
    "t2v": TEXT_TO_VIDEO,
    "i2v": IMAGE_TO_VIDEO,
    "r2v": REFERENCE_TO_VIDEO,
    "refs": REFERENCE_TO_VIDEO,
    "v2v": VIDEO_EDIT,
    "edit": VIDEO_EDIT,
    "retake": VIDEO_EDIT,
    "extend": VIDEO_EXTEND,
}

#: Field names whose value is a media URL (a local file is uploaded first). A field may also say so itself
#: (``"media": "image"``; a list field ``"items_media": "image"``).
MEDIA_FIELDS = {"image": "image", "last_image": "image", "video": "video", "audio": "audio"}

#: Request input roles (``GenerationRequest.inputs``) and the schema fields that take them when a model's
#: extras name none (``roles`` in model_extras.json).
DEFAULT_ROLE_FIELDS = {
    "image_start": ("image",),
    "image_end": ("last_image", "end_image"),
    "image_refs": ("images", "reference_images"),
    "video": ("video",),
    "video_guide": ("video",),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # "string" | "integer" | "number" | "boolean" | "array" (of media URLs)
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    has_default: bool = False
    description: str = ""
    #: Why the research could not confirm this field (None = confirmed with the model).
    unverified: str | None = None
    #: The media kind of a URL field (or of each item of a list field), when the schema entry says so.
    media: str | None = None
    #: A list field: the most items it takes.
    max_items: int | None = None

    @property
    def media_kind(self) -> str | None:
        if self.type == "array":
            return self.media
        return (self.media or MEDIA_FIELDS.get(self.name)) if self.type == "string" else None

    @property
    def is_list(self) -> bool:
        return self.type == "array"

    def allowed_text(self) -> str:
        if self.is_list:
            return f"up to {self.max_items} {self.media or 'item'}s" if self.max_items else "a list"
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
    def role_fields(self) -> dict[str, str]:
        """``{request input role: schema field}`` for the roles this model takes (``image_refs`` ->
        ``images`` on Kling 4.0 references...). A role missing here is one the model cannot take."""
        named = self.extra.get("roles", {})
        out: dict[str, str] = {}
        for role, candidates in DEFAULT_ROLE_FIELDS.items():
            field_name = named.get(role) or next((c for c in candidates if c in self.fields), None)
            if field_name in self.fields:
                out[role] = field_name
        for role, field_name in named.items():
            if field_name in self.fields:
                out[role] = field_name
        return out

    @property
    def max_references(self) -> int:
        """How many reference pictures the model takes in one request (0: none)."""
        field_name = self.role_fields.get("image_refs")
        if field_name is None:
            return 0
        return int(self.fields[field_name].max_items or 0)

    @property
    def audio_out(self) -> str:
        """``"always"``, ``"optional"`` (a ``generate_audio``/``sound`` field switches it) or ``"no"``."""
        said = self.extra.get("audio_out")
        if said is False:
            return "no"
        if self.sound_field:
            return "optional"
        return "always" if said is True else "no"

    @property
    def sound_field(self) -> str | None:
        """The field that switches the sound track on and off, if the model has one."""
        return next((n for n in ("generate_audio", "sound") if n in self.fields), None)

    @property
    def extend_model(self) -> str | None:
        """The model id of the family's own extend endpoint (Veo 3.1 Fast, Kling 4.0), if any."""
        value = self.extra.get("extend")
        return str(value) if value else None

    @property
    def retired(self) -> str:
        """Why WaveSpeed no longer serves this model ("" while it does)."""
        info = self.extra.get("retired")
        return str(info.get("why") or "retired") if isinstance(info, Mapping) else ""

    @property
    def replacement(self) -> str | None:
        """The nearest current model for a retired one."""
        info = self.extra.get("retired")
        return str(info["instead"]) if isinstance(info, Mapping) and info.get("instead") else None

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
        media=raw.get("items_media") if raw.get("type") == "array" else raw.get("media"),
        max_items=raw.get("maxItems"),
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


def max_references(model: str, *, with_start_image: bool = False) -> int:
    """How many reference pictures (the request's ``image_refs``) a shot on ``model`` can send: 0 when none.

    ``model`` is a short name or a full WaveSpeed path; an unknown one is a :class:`ValidationError`. A model
    without a references field answers for its family's reference-to-video member (Kling 4.0 text- or
    image-to-video: 10), the member the job then runs (``roles.resolve_for_roles``), unless the shot also
    sends a start picture (``with_start_image``): that keeps the image-to-video member, which takes none.
    """
    spec = resolve_model(model)
    if spec.max_references or with_start_image:
        return spec.max_references
    sibling = short_names().get(spec.short_name, {}).get(REFERENCE_TO_VIDEO)
    return all_models()[sibling].max_references if sibling else 0


__all__ = [
    "IMAGE_TO_VIDEO",
    "REFERENCE_TO_VIDEO",
    "TASK_ALIASES",
    "TEXT_TO_VIDEO",
    "VIDEO_EDIT",
    "VIDEO_EXTEND",
    "FieldSpec",
    "InputLimit",
    "ModelSpec",
    "PriceRule",
    "all_models",
    "build_spec",
    "max_references",
    "resolve_model",
    "short_names",
]
