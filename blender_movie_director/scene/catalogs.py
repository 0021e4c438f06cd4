"""Every backend label the user reads: backend names and model lists, from the backends' own catalogs
(loaded on first use, then cached).

Nothing here touches a network: the catalogs are data shipped with the backends. Importing this module is
cheap (the property groups use :data:`BACKEND_LABELS` at enable time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

#: The backends' display names, by the preferences' and shots' spelling.
BACKEND_LABELS = {"WAN2GP": "Wan2GP", "WAVESPEED": "WaveSpeed"}

#: The Wan2GP backend drives WanGP, DeepBeepMeep's separate project: say so where it is set up and chosen
#: (preferences, shot panel; README "Credits"). Naming it is a credit, not a claim of endorsement.
WAN2GP_CREDIT = "Wan2GP backend: uses WanGP by DeepBeepMeep (github.com/deepbeepmeep/Wan2GP)"
WAN2GP_CREDIT_SHORT = "Uses WanGP by DeepBeepMeep"


def backend_label(backend: str) -> str:
    """``"Wan2GP"`` / ``"WaveSpeed"`` for a backend in any spelling (``"wavespeed"``, ``Backend.WAN2GP``)."""
    return BACKEND_LABELS.get(str(backend).upper(), str(backend))


#: Default model per backend for text-to-video and image-to-video shots.
DEFAULT_MODELS = {
    "WAN2GP": {"t2v": "t2v_1.3B", "i2v": "i2v"},
    "WAVESPEED": {
        "t2v": "wavespeed-ai/hunyuan-video-1.5/text-to-video",
        "i2v": "wavespeed-ai/hunyuan-video-1.5/image-to-video",
    },
}


@cache
def wan2gp_models() -> tuple[tuple[str, str, str], ...]:
    """``(id, label, description)`` for every Wan2GP video model WanGP lists, best quality first."""
    from ..backend.wan2gp import catalog

    order = {"high_quality": 0, "standard": 1, "fast": 2, "control": 3, "specialized": 4}
    models = [m for m in catalog.all_models().values() if m.is_video and m.visible]
    models.sort(key=lambda m: (order.get(m.category.value, 9), m.name.lower()))
    return tuple(
        (
            m.id,
            m.name,
            f"{m.id}: {m.task.value}, {m.fps} fps, {m.category.value.replace('_', ' ')}, "
            f"about {m.min_vram_gb} GB VRAM",
        )
        for m in models
    )


#: The WaveSpeed model picker's groups, in picker order: what a model takes (its richest input).
WAVESPEED_GROUPS = (
    ("text", "Text"),
    ("start_image", "Start image"),
    ("last_frame", "Start image + last frame"),
    ("references", "References"),
    ("video_edit", "Video to edit"),
    ("extend", "Extend"),
)


def wavespeed_group(spec: Any) -> tuple[str, str]:
    """``(key, label)`` of a WaveSpeed model's picker group (a ``backend.wavespeed`` ModelSpec)."""
    roles = spec.role_fields
    if spec.task == "video-extend":
        key = "extend"
    elif spec.task == "video-edit":
        key = "video_edit"
    elif "image_refs" in roles:
        key = "references"
    elif "image_end" in roles:
        key = "last_frame"
    elif "image_start" in roles:
        key = "start_image"
    else:
        key = "text"
    return key, dict(WAVESPEED_GROUPS)[key]


def wavespeed_traits(spec: Any) -> tuple[str, ...]:
    """What a WaveSpeed model takes and gives, in words: "text", "start image", "last frame",
    "references (up to 10)", "video to edit", "sound out", "extend"."""
    roles = spec.role_fields
    out = ["text"] if "prompt" in spec.fields else []
    out += [
        word for role, word in (("image_start", "start image"), ("image_end", "last frame")) if role in roles
    ]
    if spec.max_references:
        out.append(f"references (up to {spec.max_references})")
    if spec.task in ("video-edit", "video-extend"):
        out.append("video to edit" if spec.task == "video-edit" else "video to extend")
    if spec.audio_out != "no":
        out.append("sound out" if spec.audio_out == "always" else "sound out (switch)")
    if spec.extend_model:
        out.append("extend")
    return tuple(out)


@cache
def wavespeed_models() -> tuple[tuple[str, str, str], ...]:
    """``(id, label, description)`` for the WaveSpeed models still offered, grouped by what they take
    ("Start image + last frame: Kling 4.0 (image to video) · $0.157-0.235/s"), each with its price per
    second from the shipped price list. Retired models are left out."""
    from ..backend.wavespeed import models
    from ..backend.wavespeed.pricing import per_second_text

    order = {key: i for i, (key, _label) in enumerate(WAVESPEED_GROUPS)}
    rows = [spec for spec in models.all_models().values() if not spec.retired]
    rows.sort(key=lambda s: (order[wavespeed_group(s)[0]], s.display_name.lower()))
    return tuple(
        (
            s.model_id,
            f"{wavespeed_group(s)[1]}: {s.display_name} · {per_second_text(s)}",
            f"{s.model_id}: takes {', '.join(wavespeed_traits(s))}",
        )
        for s in rows
    )


def models_for(backend: str) -> tuple[tuple[str, str, str], ...]:
    return wavespeed_models() if backend == "WAVESPEED" else wan2gp_models()


def default_model(backend: str, with_image: bool = False) -> str:
    return DEFAULT_MODELS.get(backend, DEFAULT_MODELS["WAN2GP"])["i2v" if with_image else "t2v"]


def model_label(backend: str, model_id: str) -> str:
    if backend == "WAVESPEED":
        from ..backend.wavespeed import models

        spec = models.all_models().get(model_id)
        if spec is not None:
            return f"{spec.display_name} (retired)" if spec.retired else spec.display_name
    for mid, label, _ in models_for(backend):
        if mid == model_id:
            return label
    return model_id


#: The Wan2GP model picker's groups: what a model takes, from its catalog task (issue 16), in picker order.
WAN2GP_INPUT_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("text", "Text", ("t2v",)),
    ("text_or_image", "Text or start image", ("ti2v",)),
    ("start_image", "Start image", ("i2v",)),
    ("start_end_image", "Start and end image", ("flf2v",)),
    ("references", "References", ("ref2v",)),
    ("control_video", "Control video", ("vace", "control", "edit")),
    ("audio", "Audio", ("avatar",)),
)
#: The picker's mark for what the server said: has the weights / lacks them / not known (not asked yet,
#: or WanGP's web UI, which cannot tell).
AVAILABILITY_ICONS = {True: "CHECKMARK", False: "CANCEL", None: "BLANK1"}
AVAILABILITY_WORDS = {True: "on this server", False: "not on this server", None: "availability not known"}


def wan2gp_input_group(model_id: str) -> tuple[str, str]:
    """``(key, label)`` of the picker group of a Wan2GP model (``("other", "Other")`` for ids the shipped
    catalog does not know: a finetune or plugin model on the server)."""
    from ..backend.wan2gp import catalog

    info = catalog.get_model(model_id)
    task = info.task.value if info is not None else ""
    for key, label, tasks in WAN2GP_INPUT_GROUPS:
        if task in tasks:
            return key, label
    return "other", "Other"


@cache
def wan2gp_grouped() -> tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...]:
    """The picker's groups ``(key, label, models)``, each model ``(id, label, description)`` as in
    :func:`wan2gp_models` (best quality first); empty groups left out."""
    rows = wan2gp_models()
    out = []
    for key, label, _tasks in WAN2GP_INPUT_GROUPS:
        members = tuple(row for row in rows if wan2gp_input_group(row[0])[0] == key)
        if members:
            out.append((key, label, members))
    return tuple(out)


def wan2gp_picker_items(
    available: Callable[[str], bool | None], extra: Iterable[tuple[str, str]] = ()
) -> list[tuple[str, str, str, str, int]]:
    """Enum items of the Wan2GP model picker: grouped by what the model takes ("Start image: Wan2.1 …"),
    each marked with what the server said (``available(model_id)``: True / False / None). ``extra``:
    ``(id, name)`` of models the server offers that the shipped catalog lacks (group "Other")."""
    items: list[tuple[str, str, str, str, int]] = []
    for _key, group, members in wan2gp_grouped():
        for model_id, label, description in members:
            state = available(model_id)
            text = f"{description} · {AVAILABILITY_WORDS[state]}"
            items.append((model_id, f"{group}: {label}", text, AVAILABILITY_ICONS[state], len(items)))
    known = {item[0] for item in items}
    for model_id, name in extra:
        if model_id not in known:
            state = available(model_id)
            text = f"{model_id}: offered by the server · {AVAILABILITY_WORDS[state]}"
            items.append((model_id, f"Other: {name}", text, AVAILABILITY_ICONS[state], len(items)))
            known.add(model_id)
    return items
