"""A request's input roles (``image_start``, ``image_end``, ``image_refs``...) as one model's own fields.

Each model names the field that takes each role (``model_extras.json`` ``roles``, else the usual names):
Kling 4.0 takes the last frame as ``last_image``, Kling 3.0 4K as ``end_image``; references go to
``images`` on Kling 4.0 and to ``reference_images`` on Seedance 2.5. A role the model has no field for is
refused here, naming the role and the models that take it, before anything is uploaded or paid for.

Pure data, no I/O; any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ValidationError
from .models import IMAGE_TO_VIDEO, REFERENCE_TO_VIDEO, ModelSpec, all_models, resolve_model, short_names

#: How each role reads in a message.
ROLE_NAMES = {
    "image_start": "a start picture",
    "image_end": "a last frame",
    "image_keyframes": "keyframes",
    "image_refs": "reference pictures",
    "video": "a video to edit",
    "video_guide": "a guide video",
}


def split_list(value: Any) -> list[str]:
    """A list role as stored in a request (newline-separated paths) or already a list."""
    if isinstance(value, str):
        return [p for p in value.split("\n") if p.strip()]
    return [str(p) for p in value]


def resolve_for_roles(model: str, roles: Mapping[str, Any]) -> ModelSpec:
    """The member of ``model``'s family that takes these roles: a start picture picks the family's
    image-to-video member, references (without a start picture) its reference-to-video member, when the
    named model itself has no field for them."""
    spec = resolve_model(model)
    family = short_names().get(spec.short_name, {})
    wanted = None
    if "image_start" in roles and "image_start" not in spec.role_fields:
        wanted = IMAGE_TO_VIDEO
    elif "image_refs" in roles and "image_refs" not in spec.role_fields and "image_start" not in roles:
        wanted = REFERENCE_TO_VIDEO
    if wanted and wanted in family:
        return all_models()[family[wanted]]
    return spec


def models_taking(role: str) -> tuple[str, ...]:
    """Display names of the offered models that take ``role``."""
    return tuple(
        sorted({s.display_name for s in all_models().values() if role in s.role_fields and not s.retired})
    )


def role_params(spec: ModelSpec, roles: Mapping[str, Any]) -> dict[str, Any]:
    """``{field: value}`` for the request's input roles; a list role becomes a list.

    Raises :class:`ValidationError` (``field`` = the role) for a role ``spec`` cannot take, and for more
    references than its field holds.
    """
    fields = spec.role_fields
    out: dict[str, Any] = {}
    for role, value in roles.items():
        name = fields.get(role)
        if name is None:
            if role in spec.fields:  # a caller that already uses the schema's own name
                out[role] = value
                continue
            takers = models_taking(role)
            hint = f" Models that do: {', '.join(takers)}." if takers else ""
            raise ValidationError(
                f"{spec.display_name} cannot take {ROLE_NAMES.get(role, role)} ({role}).{hint}",
                field=role,
                allowed=tuple(sorted(fields)),
            )
        f = spec.fields[name]
        if f.is_list:
            items = split_list(value)
            if f.max_items is not None and len(items) > f.max_items:
                raise ValidationError(
                    f"{spec.display_name} takes at most {f.max_items} {ROLE_NAMES.get(role, role)} "
                    f"({name}); this shot has {len(items)}.",
                    field=role,
                    allowed=(0, f.max_items),
                )
            out[name] = items
        else:
            out[name] = value
    return out


__all__ = ["ROLE_NAMES", "models_taking", "resolve_for_roles", "role_params", "split_list"]
