"""The Wan2GP model catalog as data: every WanGP 12.60 model id with its family, task, fps, frame rule,
defaults and a category, plus the queries the rest of Movie Director asks of it.

The rows come from :mod:`.catalog_data` (generated from WanGP's own defaults files). Nothing here talks to a
server; a server may know models this catalog does not (finetunes, plugins) — see ``allow_unknown_model`` in
:mod:`.schemas`. Prompt templates live in :mod:`.templates`, the model fallback in :mod:`.fallback`.

Threading: immutable data and pure queries (the parsed catalog is cached once); safe from any thread.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from .catalog_data import MODEL_ROWS, REFERENCE_ROWS


class Task(StrEnum):
    T2V = "t2v"  # text to video
    I2V = "i2v"  # image (start frame) to video
    TI2V = "ti2v"  # text or image to video
    FLF2V = "flf2v"  # first and last frame to video
    VACE = "vace"  # control video (pose, depth, inpaint…) + reference images
    CONTROL = "control"  # other motion-transfer models (animate, SCAIL, SteadyDancer)
    REF2V = "ref2v"  # identity / subject references
    AVATAR = "avatar"  # audio-driven people
    EDIT = "edit"  # video to video
    IMAGE = "image"
    AUDIO = "audio"


class Category(StrEnum):
    FAST = "fast"
    STANDARD = "standard"
    HIGH_QUALITY = "high_quality"
    CONTROL = "control"
    SPECIALIZED = "specialized"


VIDEO_TASKS = frozenset(t for t in Task if t not in (Task.IMAGE, Task.AUDIO))
#: Tasks whose models need a start image.
IMAGE_TASKS = frozenset({Task.I2V, Task.FLF2V})


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    architecture: str
    family: str
    task: Task
    fps: int
    frames_minimum: int
    frames_step: int
    default_resolution: str
    default_frames: int
    default_steps: int
    default_guidance: float
    default_flow_shift: float | None
    category: Category
    min_vram_gb: int
    visible: bool

    @property
    def is_video(self) -> bool:
        return self.task in VIDEO_TASKS

    @property
    def frame_rule(self) -> str:
        """Human form of the frame rule, e.g. ``4n+1 (at least 5)``."""
        offset = self.frames_minimum % self.frames_step if self.frames_step > 1 else 0
        return f"{self.frames_step}n+{offset} (at least {self.frames_minimum})"

    def valid_frames(self, frames: int) -> int:
        """The smallest frame count >= ``frames`` that this model accepts."""
        if frames <= self.frames_minimum or self.frames_step <= 1:
            return max(frames, self.frames_minimum)
        k = math.ceil((frames - self.frames_minimum) / self.frames_step)
        return self.frames_minimum + k * self.frames_step

    def frames_for_seconds(self, seconds: float) -> int:
        """Frames needed for at least ``seconds`` of video at this model's fps."""
        return self.valid_frames(max(1, math.ceil(seconds * self.fps - 1e-9)))


#: Ids used by older WanGP releases or by the seed documents, and what to use instead.
LEGACY_ALIASES: dict[str, str] = {
    "ltxv_13B_distilled": "ltxv_distilled",
    "hunyuan_fast": "hunyuan_t2v_fast",
    "hunyuan_t2v": "hunyuan",
    "vace_14B_fusionix_2_2": "vace_14B_2_2",
}
#: Ids that no longer name a model at all, with the reason.
RETIRED_MODELS: dict[str, str] = {
    "causvid": "CausVid is no longer a model in WanGP; it is a LoRA accelerator for the Wan 14B models "
    "(use activated_loras, or pick a fast model such as t2v_sf).",
}

#: Models the convenience methods use.
QUICK_MODEL = "ltxv_distilled"  # 6 steps, the fastest general-purpose text-to-video model
QUICK_SECONDS = 2.0
HIGH_QUALITY_MODEL = "t2v_2_2"  # Wan 2.2 text-to-video 14B at full steps
HIGH_QUALITY_SECONDS = 8.0
HIGH_QUALITY_RESOLUTION = "1280x720"
DEFAULT_T2V_MODEL = "t2v_1.3B"
DEFAULT_I2V_MODEL = "i2v"
DEFAULT_VACE_MODEL = "vace_1.3B"


def _model(row: tuple) -> ModelInfo:
    """One row of :data:`.catalog_data.MODEL_ROWS` (the fields in :class:`ModelInfo`'s order)."""
    fields = dict(zip((f.name for f in dataclasses.fields(ModelInfo)), row, strict=True))
    return ModelInfo(**{**fields, "task": Task(fields["task"]), "category": Category(fields["category"])})


@lru_cache(maxsize=1)
def _catalog() -> dict[str, ModelInfo]:
    return {row[0]: _model(row) for row in MODEL_ROWS}


def all_models() -> dict[str, ModelInfo]:
    """Every model id WanGP 12.60 ships, mapped to its info (a copy; safe to modify)."""
    return dict(_catalog())


def video_model_ids() -> list[str]:
    return [m.id for m in _catalog().values() if m.is_video]


def get_model(model_id: str) -> ModelInfo | None:
    return _catalog().get(model_id)


#: Families whose image-to-video models also take a last frame (WanGP's image prompt type "E"): the schemas
#: captured from WanGP 12.60 say ``media_inputs.image.end`` for ``i2v`` and ``ltx2_22B_distilled``, not for
#: ``t2v_1.3B`` or ``vace_1.3B``.
END_IMAGE_FAMILIES = frozenset({"wan", "ltx2", "ltxv"})
#: Other models that take one (captured: Chrono Edit's image edit).
END_IMAGE_MODELS = frozenset({"chrono_edit", "chrono_edit_distill"})


def takes_end_image(model_id: str) -> bool | None:
    """Whether the model takes a last frame (``image_end``): first-last-frame models, the image-to-video
    models of :data:`END_IMAGE_FAMILIES` and :data:`END_IMAGE_MODELS`; None for an id the catalog lacks."""
    info = get_model(model_id)
    if info is None:
        return None
    if info.task == Task.FLF2V or model_id in END_IMAGE_MODELS:
        return True
    return info.task in (Task.I2V, Task.TI2V) and info.family in END_IMAGE_FAMILIES


def suggest_models(model_id: str, n: int = 3) -> list[str]:
    """Close matches for a mistyped id, and the replacement for a renamed one."""
    suggestions = []
    if model_id in LEGACY_ALIASES:
        suggestions.append(LEGACY_ALIASES[model_id])
    lowered = {m.lower(): m for m in _catalog()}
    for match in difflib.get_close_matches(model_id.lower(), list(lowered), n=n, cutoff=0.6):
        if lowered[match] not in suggestions:
            suggestions.append(lowered[match])
    return suggestions[:n]


def unknown_model_message(model_id: str) -> str:
    if model_id in RETIRED_MODELS:
        return f"'{model_id}' is not a Wan2GP model any more: {RETIRED_MODELS[model_id]}"
    if model_id in LEGACY_ALIASES:
        return (
            f"'{model_id}' is an old Wan2GP model id; this Wan2GP version calls it "
            f"'{LEGACY_ALIASES[model_id]}'."
        )
    hint = suggest_models(model_id)
    tail = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    return f"Unknown Wan2GP model '{model_id}'.{tail} See catalog.video_model_ids() for the full list."


def models_in_category(category: Category | str, task: Task | str | None = None) -> list[str]:
    category = Category(category)
    wanted = Task(task) if task is not None else None
    return [
        m.id
        for m in _catalog().values()
        if m.category == category and m.visible and (wanted is None or m.task == wanted)
    ]


#: Category order for recommendations: what a film-maker usually wants first.
_CATEGORY_RANK = {Category.HIGH_QUALITY: 0, Category.STANDARD: 1, Category.FAST: 2, Category.CONTROL: 3}


def recommend_models(vram_gb: float, task: Task | str = Task.T2V, limit: int = 6) -> list[str]:
    """Models for ``task`` that fit ``vram_gb`` of GPU memory, best quality first.

    Memory needs are rough (from the parameter count); WanGP's offloading profiles stretch them.
    Below every model's need, the smallest models for the task are returned anyway.
    """
    wanted = Task(task)
    tasks = {wanted, Task.TI2V} if wanted in (Task.T2V, Task.I2V) else {wanted}
    candidates = [
        m for m in _catalog().values() if m.task in tasks and m.visible and m.category != Category.SPECIALIZED
    ]
    fitting = [m for m in candidates if m.min_vram_gb <= vram_gb]
    if not fitting:
        smallest = min((m.min_vram_gb for m in candidates), default=0)
        fitting = [m for m in candidates if m.min_vram_gb == smallest]
    fitting.sort(key=lambda m: (_CATEGORY_RANK.get(m.category, 9), -m.min_vram_gb, m.default_steps, m.id))
    return [m.id for m in fitting[:limit]]


#: Reference roles a cast can fill (see :data:`.catalog_data.REFERENCE_ROWS`).
CAST_ROLES = ("subjects", "person")


@dataclass(frozen=True)
class ReferenceSlot:
    """What a model does with reference pictures (``image_refs``): how many (0: WanGP sets no limit), their
    role and where in WanGP's source the fact comes from."""

    most: int
    role: str
    source: str

    @property
    def for_cast(self) -> bool:
        return self.role in CAST_ROLES


@lru_cache(maxsize=1)
def _reference_slots() -> dict[str, ReferenceSlot]:
    return {arch: ReferenceSlot(most, role, source) for arch, most, role, source in REFERENCE_ROWS}


def reference_slot(model_id: str) -> ReferenceSlot | None:
    """The model's reference slot, or None when it takes no reference pictures (or is unknown)."""
    info = get_model(model_id)
    return _reference_slots().get(info.architecture) if info is not None else None


def cast_reference_limit(model_id: str) -> int | None:
    """How many cast pictures the model takes: 0 none, None no limit, else the count."""
    slot = reference_slot(model_id)
    if slot is None or not slot.for_cast:
        return 0
    return slot.most or None


def cast_reference_models() -> list[str]:
    """The visible video models that take a cast's pictures."""
    return [m.id for m in _catalog().values() if m.visible and m.is_video and cast_reference_limit(m.id) != 0]


def nearest_cast_model(model_id: str) -> str:
    """The model nearest ``model_id`` that takes a cast's pictures: the same family first, then the closest
    memory need, then subjects over a single person, then the same category; "" when there is none."""
    here = get_model(model_id)
    candidates = [get_model(m) for m in cast_reference_models() if m != model_id]
    if not candidates:
        return ""

    def distance(m: ModelInfo | None) -> tuple:
        assert m is not None
        slot = _reference_slots()[m.architecture]
        if here is None:
            return (0, 0, slot.role != "subjects", m.task != Task.REF2V, m.id)
        return (
            m.family != here.family,
            abs(m.min_vram_gb - here.min_vram_gb),
            slot.role != "subjects",
            m.task != Task.REF2V,
            m.category != here.category,
            m.id,
        )

    best = min(candidates, key=distance)
    assert best is not None
    return best.id


#: Control modes of :meth:`Wan2GPClient.generate_with_control` and the video_prompt_type letters they set.
CONTROL_MODES: dict[str, str] = {
    "pose": "PV",
    "aligned_pose": "OV",
    "depth": "DV",
    "canny": "EV",
    "shapes": "SV",
    "flow": "LV",
    "recolor": "CV",
    "inpaint": "MV",
    "keep": "UV",
    "raw": "V",
    "pose_depth": "PDV",
}

#: Settings keys that hold media (file paths); WanGP's loader treats them specially.
MEDIA_KEYS = (
    "image_start",
    "image_end",
    "image_refs",
    "video_guide",
    "video_mask",
    "video_source",
    "audio_guide",
)

#: Named resolutions the seeds and the UI use, mapped to Wan2GP's "WxH".
RESOLUTION_PRESETS: dict[str, str] = {
    "480p": "832x480",
    "480p_portrait": "480x832",
    "540p": "960x544",
    "540p_portrait": "544x960",
    "720p": "1280x720",
    "720p_portrait": "720x1280",
    "1080p": "1920x1088",
    "1080p_portrait": "1088x1920",
    "square": "512x512",
    "square_720": "720x720",
}

__all__ = [
    "CAST_ROLES",
    "DEFAULT_I2V_MODEL",
    "DEFAULT_T2V_MODEL",
    "DEFAULT_VACE_MODEL",
    "HIGH_QUALITY_MODEL",
    "HIGH_QUALITY_RESOLUTION",
    "HIGH_QUALITY_SECONDS",
    "IMAGE_TASKS",
    "LEGACY_ALIASES",
    "QUICK_MODEL",
    "QUICK_SECONDS",
    "RESOLUTION_PRESETS",
    "RETIRED_MODELS",
    "VIDEO_TASKS",
    "Category",
    "ModelInfo",
    "ReferenceSlot",
    "Task",
    "all_models",
    "cast_reference_limit",
    "cast_reference_models",
    "get_model",
    "models_in_category",
    "nearest_cast_model",
    "recommend_models",
    "reference_slot",
    "suggest_models",
    "unknown_model_message",
    "video_model_ids",
]
