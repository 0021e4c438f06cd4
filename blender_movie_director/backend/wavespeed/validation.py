"""Turn the caller's settings into the exact request body a model's schema allows, or refuse.

WaveSpeed silently drops keys outside a model's schema and still bills a default generation, and no
source says how it treats an out-of-range value. So everything is checked here, before any request:
names, types, allowed values, prompt length, input files. Nothing is rounded or dropped quietly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelUnavailableError, ValidationError
from .inputs import check_local_input
from .models import ModelSpec, all_models

#: Platform fields we never send: sync mode blocks for minutes and changes the reply shape.
FORBIDDEN_PLATFORM_FIELDS = ("enable_sync_mode",)

_ORIENTATION = {"16:9": "landscape", "9:16": "portrait", "landscape": "landscape", "portrait": "portrait"}


@dataclass
class PreparedRequest:
    """A validated request: ``payload`` holds only schema keys; local media wait in ``uploads``, keyed by
    field name, or ``name[i]`` for the i-th item of a list field (see :func:`put_upload`)."""

    spec: ModelSpec
    payload: dict[str, Any]
    uploads: dict[str, Path] = field(default_factory=dict)

    def effective(self) -> dict[str, Any]:
        """The parameters the model will use: schema defaults overlaid with what we send."""
        return {**self.spec.defaults(), **self.payload}


def put_upload(payload: dict[str, Any], key: str, url: str) -> None:
    """Put an uploaded file's URL where its local path was: ``image`` or ``images[2]``."""
    name, _, index = key.partition("[")
    if not index:
        payload[name] = url
        return
    items = list(payload[name])
    items[int(index.rstrip("]"))] = url
    payload[name] = items


def check_offered(spec: ModelSpec) -> None:
    """Refuse a model WaveSpeed no longer serves, naming the nearest current one (no request made)."""
    if not spec.retired:
        return
    instead = all_models().get(spec.replacement or "")
    hint = f" Use {instead.display_name} ({instead.model_id}) instead." if instead else " Pick another model."
    raise ModelUnavailableError(
        f"{spec.display_name} ({spec.model_id}) is no longer offered by WaveSpeed: {spec.retired}{hint}"
    )


def check_payload_keys(spec: ModelSpec, payload: Mapping[str, Any]) -> None:
    """Last line of defence before a paid POST: every key must be in the model's schema."""
    unknown = sorted(set(payload) - set(spec.fields))
    if unknown:
        raise ValidationError(
            f"Refusing to send {', '.join(unknown)} to {spec.display_name}: not in its schema "
            f"(WaveSpeed would ignore {'it' if len(unknown) == 1 else 'them'} "
            "and bill a default generation).",
            field=unknown[0],
            allowed=tuple(spec.fields),
        )
    for key, value in payload.items():
        values = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, Path) for v in values):
            raise ValidationError(f"The {key} file was not uploaded before submitting.", field=key)


def _size_tier(size: str) -> tuple[int, str]:
    w, h = (int(x) for x in size.split("*"))
    return min(w, h), ("portrait" if h > w else "landscape")


def _map_resolution_to_size(spec: ModelSpec, resolution: str, aspect: str | None) -> str:
    """``720p`` + orientation -> ``1280*720``, from the model's own size list (no table of our own)."""
    size_field = spec.fields["size"]
    assert size_field.enum is not None
    sizes = [str(s) for s in size_field.enum]
    tiers = sorted({f"{_size_tier(s)[0]}p" for s in sizes}, key=lambda t: int(t[:-1]))
    if not isinstance(resolution, str) or resolution.lower() not in tiers:
        raise ValidationError(
            f"{spec.display_name} cannot render '{resolution}'. Allowed resolutions: {', '.join(tiers)} "
            f"(sizes: {', '.join(sizes)}).",
            field="resolution",
            allowed=tuple(tiers),
        )
    if aspect is None:
        orientation = _size_tier(str(size_field.default or sizes[0]))[1]
    elif aspect in _ORIENTATION:
        orientation = _ORIENTATION[aspect]
    else:
        raise ValidationError(
            f"{spec.display_name} supports aspect ratios 16:9 and 9:16 only, not '{aspect}'.",
            field="aspect_ratio",
            allowed=("16:9", "9:16"),
        )
    tier = int(resolution.lower()[:-1])
    for s in sizes:
        if _size_tier(s) == (tier, orientation):
            return s
    raise ValidationError(
        f"{spec.display_name} has no {orientation} size at {resolution}. Allowed sizes: {', '.join(sizes)}.",
        field="size",
        allowed=tuple(sizes),
    )


def _translate(spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
    """Map the common vocabulary (``resolution``, ``aspect_ratio``) onto a model's own fields."""
    fields = spec.fields
    if "size" in fields and "resolution" not in fields:
        resolution = params.pop("resolution", None)
        aspect = params.pop("aspect_ratio", None) if "aspect_ratio" not in fields else None
        if resolution is not None:
            if params.get("size") is not None:
                raise ValidationError(
                    f"Give either size or resolution for {spec.display_name}, not both.", field="size"
                )
            params["size"] = _map_resolution_to_size(spec, resolution, aspect)
        elif aspect is not None and params.get("size") is None:
            default = str(fields["size"].default or fields["size"].enum[0])  # type: ignore[index]
            params["size"] = _map_resolution_to_size(spec, f"{_size_tier(default)[0]}p", aspect)
    if spec.fixed_resolution and "resolution" not in fields:
        resolution = params.pop("resolution", None)
        if resolution is not None and str(resolution).lower() != spec.fixed_resolution:
            raise ValidationError(
                f"{spec.display_name} always renders {spec.fixed_resolution}; resolution '{resolution}' "
                "is not available.",
                field="resolution",
                allowed=(spec.fixed_resolution,),
            )
    return params


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_list(spec: ModelSpec, name: str, value: Any) -> list[Any]:
    f = spec.fields[name]
    if isinstance(value, str | Path) or not isinstance(value, list | tuple):
        raise ValidationError(
            f"{spec.display_name}: {name} must be a list of pictures, not {value!r}.", field=name
        )
    if f.max_items is not None and len(value) > f.max_items:
        raise ValidationError(
            f"{spec.display_name} takes at most {f.max_items} {name.replace('_', ' ')}; got {len(value)}.",
            field=name,
            allowed=(0, f.max_items),
        )
    for item in value:
        if not isinstance(item, str | Path):
            raise ValidationError(
                f"{spec.display_name}: each of {name} must be a file or URL, not {item!r}.", field=name
            )
    return list(value)


def _check_value(spec: ModelSpec, name: str, value: Any) -> Any:
    f = spec.fields[name]
    label = f"{spec.display_name}: {name}"
    if f.is_list:
        return _check_list(spec, name, value)
    if f.type == "integer":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise ValidationError(
                f"{label} must be a whole number, not {value!r}.", field=name, allowed=f.enum
            )
    elif f.type == "number":
        if not (_is_int(value) or isinstance(value, float)):
            raise ValidationError(f"{label} must be a number, not {value!r}.", field=name)
    elif f.type == "boolean":
        if not isinstance(value, bool):
            raise ValidationError(f"{label} must be true or false, not {value!r}.", field=name)
    elif f.type == "string" and not (isinstance(value, str) or (f.media_kind and isinstance(value, Path))):
        raise ValidationError(f"{label} must be text, not {value!r}.", field=name)
    if f.enum is not None and value not in f.enum:
        raise ValidationError(
            f"{label} must be one of {f.allowed_text()}; got {value!r}.", field=name, allowed=f.enum
        )
    if (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
        raise ValidationError(
            f"{label} must be between {f.minimum} and {f.maximum}; got {value!r}.",
            field=name,
            allowed=(f.minimum, f.maximum),
        )
    return value


def _check_text(spec: ModelSpec, name: str, value: str) -> str:
    if name in ("prompt", "negative_prompt") and len(value) > spec.prompt_max_chars:
        raise ValidationError(
            f"The {name.replace('_', ' ')} is {len(value)} characters; {spec.display_name} accepts at most "
            f"{spec.prompt_max_chars}.",
            field=name,
        )
    if name == "prompt" and spec.fields[name].required and not value.strip():
        raise ValidationError(f"{spec.display_name} needs a prompt.", field=name)
    return value


def _check_media(spec: ModelSpec, name: str, value: str | Path) -> str | Path:
    kind = spec.fields[name].media_kind
    assert kind is not None
    text = str(value)
    if isinstance(value, str) and text.startswith(("https://", "http://")):
        return text
    if isinstance(value, str) and "://" in text:
        raise ValidationError(
            f"The {name} must be an http(s) URL or a local file, not '{text[:40]}'.", field=name
        )
    path = Path(value).expanduser()
    limit = spec.inputs.get(kind)
    if limit is None:
        raise ValidationError(f"{spec.display_name} cannot take a local {kind} file.", field=name)
    check_local_input(path, name, kind, limit)
    return path.resolve()


def prepare_request(spec: ModelSpec, params: Mapping[str, Any]) -> PreparedRequest:
    """Validate ``params`` (schema names plus ``resolution``/``aspect_ratio`` where they map) for ``spec``.

    ``None`` means "not set". Returns the body to send (no defaults filled in: the model applies its own)
    and the local files to upload first. A retired model is refused first.
    """
    check_offered(spec)
    values = _translate(spec, {k: v for k, v in params.items() if v is not None})
    for name in FORBIDDEN_PLATFORM_FIELDS:
        if name in values:
            raise ValidationError(
                f"{name} is not supported: Movie Director always submits and polls.", field=name
            )
    unknown = sorted(set(values) - set(spec.fields))
    if unknown:
        allowed = tuple(spec.fields)
        hint = ""
        if spec.fixed_resolution:
            hint = f" It always renders {spec.fixed_resolution}."
        raise ValidationError(
            f"{spec.display_name} does not take {', '.join(unknown)}. It takes: {', '.join(allowed)}.{hint}",
            field=unknown[0],
            allowed=allowed,
        )
    missing = [name for name in spec.required_fields if name not in values]
    if missing:
        raise ValidationError(f"{spec.display_name} needs {', '.join(missing)}.", field=missing[0], code=1400)
    payload: dict[str, Any] = {}
    uploads: dict[str, Path] = {}
    for name in spec.fields:  # schema order
        if name not in values:
            continue
        value = _check_value(spec, name, values[name])
        if spec.fields[name].is_list:
            value = [_check_media(spec, name, item) for item in value]
            uploads.update({f"{name}[{i}]": v for i, v in enumerate(value) if isinstance(v, Path)})
            if not value:
                continue  # an empty list is "not set"
        elif spec.fields[name].media_kind:
            value = _check_media(spec, name, value)
            if isinstance(value, Path):
                uploads[name] = value
        elif isinstance(value, str):
            value = _check_text(spec, name, value)
        payload[name] = value
    return PreparedRequest(spec=spec, payload=payload, uploads=uploads)


__all__ = [
    "FORBIDDEN_PLATFORM_FIELDS",
    "PreparedRequest",
    "check_offered",
    "check_payload_keys",
    "prepare_request",
    "put_upload",
]
