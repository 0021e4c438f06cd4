"""Blender data of the extension: one PropertyGroup per concept.

- :class:`MOVIEDIR_ShotSettings` on ``Object.movie_director``: a camera object is a shot; this holds what to
  generate, the state of its job and its takes.
- :class:`MOVIEDIR_Take` (inside a shot): one generated clip kept on disk.
- :class:`MOVIEDIR_Lora` (inside a shot): one Wan2GP LoRA and its weight (WanGP's ``activated_loras`` and
  ``loras_multipliers``).
- :class:`MOVIEDIR_SceneState` on ``Scene.movie_director``: which shot the list shows, and the batch.
- :class:`MOVIEDIR_Budget` (``Scene.movie_director.budget``): the project's spending cap (see ``budget.py``).

No secret ever goes in here: keys and passwords live in the add-on preferences only, and .blend files are
saved with these groups.
"""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from . import cast_props, catalogs

#: Paths may be relative to the .blend ("//"); 4.5+ wants this flag to accept them without a warning.
_BLEND_RELATIVE = {"PATH_SUPPORTS_BLEND_RELATIVE"} if bpy.app.version >= (4, 5, 0) else set()

BACKEND_ITEMS = (
    ("WAN2GP", catalogs.BACKEND_LABELS["WAN2GP"], "Your own Wan2GP (WanGP) server"),
    ("WAVESPEED", catalogs.BACKEND_LABELS["WAVESPEED"], "WaveSpeed cloud service (billed per clip)"),
)
QUALITY_ITEMS = (
    ("PREVIEW", "Preview", "Fast and small, to judge the motion"),
    ("FINAL", "Final", "Full resolution and steps"),
)
RESOLUTION_ITEMS = (
    ("SCENE", "Scene", "The scene's output size, rounded to what the model accepts"),
    ("480p", "480p", "832 x 480"),
    ("540p", "540p", "960 x 544"),
    ("720p", "720p", "1280 x 720"),
    ("1080p", "1080p", "1920 x 1088"),
    ("480p_portrait", "480p Portrait", "480 x 832"),
    ("720p_portrait", "720p Portrait", "720 x 1280"),
    ("square", "Square", "512 x 512"),
)
STATUS_ITEMS = (
    ("IDLE", "Not Generated", "No clip has been generated for this shot yet", "DOT", 0),
    ("QUEUED", "Queued", "Waiting for a free slot on the backend", "SORTTIME", 1),
    ("RUNNING", "Generating", "The backend is working on this shot", "PLAY", 2),
    ("DONE", "Done", "The clip is in the Sequencer", "CHECKMARK", 3),
    ("FAILED", "Failed", "The last generation failed; see the error", "ERROR", 4),
    ("CANCELLED", "Cancelled", "The last generation was cancelled", "CANCEL", 5),
    ("INTERRUPTED", "Interrupted", "Blender closed while the job ran; it resumes when possible", "TIME", 6),
)
ACTIVE_STATUSES = frozenset({"QUEUED", "RUNNING"})


class MOVIEDIR_Take(bpy.types.PropertyGroup):
    """One generated clip of a shot (the file stays on disk; the strip shows one take at a time)."""

    # ``name`` (from PropertyGroup) is the label shown in lists, e.g. "Take 3 · preview".
    number: IntProperty(name="Take", min=1)
    filepath: StringProperty(name="File", subtype="FILE_PATH", options=_BLEND_RELATIVE)
    backend: StringProperty(name="Backend")
    model: StringProperty(name="Model")
    prompt: StringProperty(name="Prompt")
    seed: IntProperty(name="Seed")
    task_id: StringProperty(name="Task", description="The backend's id for the job that made this take")
    quality: StringProperty(name="Quality")
    duration: FloatProperty(name="Duration", unit="TIME_ABSOLUTE")
    fps: FloatProperty(name="Frame Rate")
    created: StringProperty(name="Created")
    # Written by the director tools (takes.py): what the take cost and the request it was made from.
    cost: FloatProperty(
        name="Cost", description="What the service charges for it, in USD (negative: unknown)", default=-1.0
    )
    cost_estimated: BoolProperty(
        name="Estimated",
        description="Reckoned from the model's price list: no quote was asked (no budget was set)",
        default=False,
    )
    settings: StringProperty(
        name="Settings", description="The request this take was made from (JSON, no secrets)"
    )
    made_by: StringProperty(
        name="Made By", description="How the take was made: generate, regenerate, retake…"
    )


class MOVIEDIR_Lora(bpy.types.PropertyGroup):
    """One LoRA the shot's Wan2GP model applies (``name``: the file name as WanGP lists it)."""

    multiplier: FloatProperty(
        name="Weight", description="How strongly the LoRA acts (WanGP's multiplier; 1 is full strength)",
        default=1.0, soft_min=0.0, soft_max=2.0, min=-10.0, max=10.0, precision=2,
    )  # fmt: skip


class MOVIEDIR_ShotSettings(bpy.types.PropertyGroup):
    """What to generate for one camera (a shot), and what happened to its last job."""

    # --- what to generate ------------------------------------------------------------------------------
    prompt: StringProperty(name="Prompt", description="What happens in this shot")
    negative_prompt: StringProperty(name="Negative Prompt", description="What the clip should avoid")
    backend: EnumProperty(name="Backend", items=BACKEND_ITEMS, default="WAN2GP")
    # One model per backend, so switching the backend back and forth keeps each choice. The list to pick
    # from is the ``moviedir.choose_model`` search popup (filled from the catalogs); no Python callbacks
    # here (see the note below the classes).
    wan2gp_model: StringProperty(
        name="Wan2GP Model",
        description="Wan2GP model id (empty: the default)",
        default=catalogs.DEFAULT_MODELS["WAN2GP"]["t2v"],
    )
    wavespeed_model: StringProperty(
        name="WaveSpeed Model",
        description="WaveSpeed model id (empty: the default)",
        default=catalogs.DEFAULT_MODELS["WAVESPEED"]["t2v"],
    )
    use_shot_length: BoolProperty(
        name="Match Shot Length",
        description="Generate as many seconds as the shot lasts in the scene",
        default=True,
    )
    duration: FloatProperty(
        name="Duration", description="Seconds to generate", default=2.0, min=0.5, max=60.0,
        unit="TIME_ABSOLUTE",
    )  # fmt: skip
    resolution: EnumProperty(name="Resolution", items=RESOLUTION_ITEMS, default="SCENE")
    seed: IntProperty(name="Seed", default=0, min=0, description="Picture seed of the next generation")
    lock_seed: BoolProperty(
        name="Lock Seed",
        description="Keep this seed for every generation (off: a new random seed each time)",
        default=False,
    )
    image_input: StringProperty(
        name="Start Image",
        description="Optional picture the clip starts from (switches to an image-to-video model)",
        subtype="FILE_PATH",
        options=_BLEND_RELATIVE,
    )
    image_end: StringProperty(
        name="End Image",
        description="Optional picture the clip ends on (models that take a last frame; needs a start image)",
        subtype="FILE_PATH",
        options=_BLEND_RELATIVE,
    )
    with_sound: BoolProperty(
        name="With Sound",
        description="Ask the model for the clip's sound (models with a sound switch; sound may cost more). "
        "The sound lands in a sound strip tied to the clip's strip",
        default=True,
    )
    quality: EnumProperty(
        name="Quality", items=QUALITY_ITEMS, default="PREVIEW",
        description="Quality used by Generate All Shots",
    )  # fmt: skip
    use_custom_range: BoolProperty(
        name="Own Frame Range",
        description="Use the frame range below instead of the camera's timeline markers",
        default=False,
    )
    frame_start: IntProperty(name="Start", default=1, min=0)
    frame_end: IntProperty(name="End", default=48, min=0)
    # Wan2GP LoRAs (issue 16): sent as activated_loras + loras_multipliers over both transports.
    loras: CollectionProperty(type=MOVIEDIR_Lora)
    active_lora_index: IntProperty(name="Active LoRA", default=0, min=0)

    # --- state of the last job (written by the drain timer, shown read-only) -----------------------------
    status: EnumProperty(name="Status", items=STATUS_ITEMS, default="IDLE")
    progress: FloatProperty(name="Progress", min=0.0, max=1.0, subtype="FACTOR")
    progress_text: StringProperty(name="Progress Text")
    last_error: StringProperty(name="Last Error")
    error_kind: StringProperty(name="Error Kind")
    job_id: StringProperty(name="Job", description="The job engine's id of the last job")
    job_quality: StringProperty(name="Job Quality")
    remote_id: StringProperty(name="Remote Id", description="The backend's id of the last job")
    in_batch: BoolProperty(name="In Batch", description="Part of the running Generate All batch")
    strip_name: StringProperty(name="Strip", description="Name of the generated strip in the Sequencer")
    target_scene: StringProperty(
        name="Sequencer Scene", description="The scene whose Sequencer receives this shot's clips"
    )
    takes: CollectionProperty(type=MOVIEDIR_Take)
    # Cast members forced into or out of this shot (issue 17; who the camera sees: scene/cast.py).
    cast_overrides: CollectionProperty(type=cast_props.MOVIEDIR_CastOverride)
    active_take_index: IntProperty(name="Active Take", default=0, min=0)


class MOVIEDIR_Budget(bpy.types.PropertyGroup):
    """The project's spending cap: no job is queued that would take the takes' spend past it."""

    use_limit: BoolProperty(
        name="Budget", description="Refuse any job that would take this project's spend past the limit"
    )
    limit_usd: FloatProperty(
        name="Limit ($)", description="The most this project may spend on cloud clips, in USD",
        default=5.0, min=0.01, soft_max=1000.0, precision=2,
    )  # fmt: skip


class MOVIEDIR_SceneState(bpy.types.PropertyGroup):
    """Per-scene UI and batch state (not shot settings: those live on each camera)."""

    active_shot_index: IntProperty(
        name="Active Shot", description="Index into the scene's objects of the shot shown", default=0
    )
    batch_quality: EnumProperty(name="Batch Quality", items=QUALITY_ITEMS, default="PREVIEW")
    batch_size: IntProperty(name="Batch Size", default=0, min=0)
    budget: PointerProperty(type=MOVIEDIR_Budget)
    cast: PointerProperty(type=cast_props.MOVIEDIR_Cast)  # issue 17 (scene/cast.py)


# The PropertyGroups above hold no methods or properties on purpose: the 4.2 bpy module crashes at exit once
# a PropertyGroup class carrying a Python function (method, property, callback) was registered. Helpers:


def is_active(settings: MOVIEDIR_ShotSettings) -> bool:
    """Whether the shot's job is queued or running."""
    return settings.status in ACTIVE_STATUSES


def shot_model(settings: MOVIEDIR_ShotSettings) -> str:
    """The model id for the shot's backend (the backend's default when the field is empty)."""
    chosen = settings.wavespeed_model if settings.backend == "WAVESPEED" else settings.wan2gp_model
    return chosen.strip() or catalogs.default_model(settings.backend, with_image=bool(settings.image_input))


def shot_loras(settings: MOVIEDIR_ShotSettings) -> list[tuple[str, float]]:
    """The shot's Wan2GP LoRAs as ``(name, multiplier)``, in list order, unnamed rows left out."""
    return [(lora.name.strip(), float(lora.multiplier)) for lora in settings.loras if lora.name.strip()]


def set_shot_model(settings: MOVIEDIR_ShotSettings, model_id: str) -> None:
    if settings.backend == "WAVESPEED":
        settings.wavespeed_model = model_id
    else:
        settings.wan2gp_model = model_id


classes = (
    *cast_props.classes,
    MOVIEDIR_Take,
    MOVIEDIR_Lora,
    MOVIEDIR_ShotSettings,
    MOVIEDIR_Budget,
    MOVIEDIR_SceneState,
)


def register_pointers() -> None:
    bpy.types.Object.movie_director = PointerProperty(type=MOVIEDIR_ShotSettings)
    bpy.types.Scene.movie_director = PointerProperty(type=MOVIEDIR_SceneState)


def unregister_pointers() -> None:
    for owner in (bpy.types.Scene, bpy.types.Object):
        if hasattr(owner, "movie_director"):
            del owner.movie_director
