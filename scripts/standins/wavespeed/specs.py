"""Per-model request schemas, read from the same ``model_specs.json`` the provider uses.

Validation mirrors what is known of the real API: keys outside a model's schema are dropped silently
(the task is still created and billed), platform fields such as ``enable_sync_mode`` pass through,
and wrong values produce problems with the documented task error codes (1400 missing, 1401 invalid).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Body keys every model accepts that are not part of any per-model schema.
PLATFORM_KEYS = frozenset({"enable_sync_mode"})

DEFAULT_SPECS_PATH = (
    Path(__file__).resolve().parents[3]
    / "blender_movie_director"
    / "backend"
    / "wavespeed"
    / "model_specs.json"
)

CODE_MISSING = 1400
CODE_INVALID = 1401

#: Endpoint names that render like another kind (a turbo text-to-video; references drawn from text).
_KIND_ALIASES = {"text-to-video-turbo": "text-to-video", "reference-to-video": "text-to-video"}


@dataclass(frozen=True)
class Problem:
    code: int  # 1400 missing parameter, 1401 invalid parameter
    message: str


@dataclass
class Validation:
    inputs: dict[str, Any]  # only keys from the schema, as sent
    dropped: list[str]  # keys outside the schema, silently ignored
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    fields: dict[str, dict[str, Any]]
    output: str
    price_note: str

    @property
    def kind(self) -> str:
        tail = self.model_id.rsplit("/", 1)[-1]
        tail = _KIND_ALIASES.get(tail, tail)
        if tail in ("text-to-video", "image-to-video", "video-extend"):
            return tail
        return "video-to-video"

    def default(self, name: str) -> Any:
        return self.fields.get(name, {}).get("default")

    def reference_fields(self) -> list[str]:
        """The fields that take reference pictures: lists of image URLs (issue 17)."""
        fields = self.fields.items()
        return [n for n, f in fields if f.get("type") == "array" and f.get("items_media") == "image"]

    def with_defaults(self, inputs: dict[str, Any]) -> dict[str, Any]:
        full = {name: spec["default"] for name, spec in self.fields.items() if "default" in spec}
        full.update(inputs)
        return full

    def validate(self, body: dict[str, Any]) -> Validation:
        inputs = {k: v for k, v in body.items() if k in self.fields}
        dropped = [k for k in body if k not in self.fields and k not in PLATFORM_KEYS]
        result = Validation(inputs=inputs, dropped=dropped)
        for name, spec in self.fields.items():
            value = inputs.get(name)
            if value is None or (spec.get("type") == "string" and value == "" and spec.get("required")):
                if spec.get("required"):
                    result.problems.append(Problem(CODE_MISSING, f"{name} is required"))
                continue
            problem = _check_value(name, spec, value)
            if problem:
                result.problems.append(Problem(CODE_INVALID, problem))
        return result

    def request_schema(self) -> dict[str, Any]:
        keep = ("type", "enum", "minimum", "maximum", "default", "description", "maxItems")
        return {
            "type": "object",
            "properties": {n: {k: s[k] for k in keep if k in s} for n, s in self.fields.items()},
            "required": [n for n, s in self.fields.items() if s.get("required")],
            "x-order-properties": list(self.fields),
        }


def _check_value(name: str, spec: dict[str, Any], value: Any) -> str | None:
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{name} must be an array of strings"
        most = spec.get("maxItems")
        return f"{name} must have at most {most} items" if most is not None and len(value) > most else None
    type_ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }.get(kind, True)
    if not type_ok:
        return f"{name} must be of type {kind}"
    if "enum" in spec and value not in spec["enum"]:
        return f"{name} must be one of {json.dumps(spec['enum'])}"
    low, high = spec.get("minimum"), spec.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        return f"{name} must be between {low} and {high}"
    return None


def retired_ids(specs_path: Path) -> frozenset[str]:
    """Models the shared data marks retired (``model_extras.json`` beside the specs): the service no longer
    lists or runs them."""
    extras = Path(specs_path).with_name("model_extras.json")
    if not extras.is_file():
        return frozenset()
    models = json.loads(extras.read_text(encoding="utf-8"))["models"]
    return frozenset(model_id for model_id, extra in models.items() if extra.get("retired"))


def load_specs(path: Path = DEFAULT_SPECS_PATH) -> dict[str, ModelSpec]:
    """Read the model-spec file; keeps the file's model order (the catalog order). Retired models are left
    out, as the real catalog leaves them out."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    retired = retired_ids(Path(path))
    return {
        model_id: ModelSpec(
            model_id=model_id,
            fields=dict(entry["fields"]),
            output=str(entry.get("output", "")),
            price_note=str(entry.get("price", "")),
        )
        for model_id, entry in data["models"].items()
        if model_id not in retired
    }
