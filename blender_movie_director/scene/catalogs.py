"""Every backend label the user reads: backend names and model lists, from the backends' own catalogs
(loaded on first use, then cached).

Nothing here touches a network: the catalogs are data shipped with the backends. Importing this module is
cheap (the property groups use :data:`BACKEND_LABELS` at enable time).
"""

from __future__ import annotations

from functools import cache

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


@cache
def wavespeed_models() -> tuple[tuple[str, str, str], ...]:
    """``(id, label, description)`` for the WaveSpeed text- and image-to-video models."""
    from ..backend.wavespeed import models

    rows = [
        spec
        for spec in models.all_models().values()
        if spec.task in (models.TEXT_TO_VIDEO, models.IMAGE_TO_VIDEO)
    ]
    rows.sort(key=lambda s: (s.short_name, s.task))
    return tuple((s.model_id, f"{s.display_name}", f"{s.model_id} ({s.task})") for s in rows)


def models_for(backend: str) -> tuple[tuple[str, str, str], ...]:
    return wavespeed_models() if backend == "WAVESPEED" else wan2gp_models()


def default_model(backend: str, with_image: bool = False) -> str:
    return DEFAULT_MODELS.get(backend, DEFAULT_MODELS["WAN2GP"])["i2v" if with_image else "t2v"]


def model_label(backend: str, model_id: str) -> str:
    for mid, label, _ in models_for(backend):
        if mid == model_id:
            return label
    return model_id
