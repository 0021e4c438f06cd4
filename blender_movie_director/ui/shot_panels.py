"""The "Movie Director" sidebar tab, in the 3D Viewport and in the Sequencer.

The drawing lives in plain functions (``draw_shots``, ``draw_shot``, ``draw_takes``) that take a layout
and a context, so the same code serves both editors and tests can run it with a recording layout for every
shot state (Blender cannot draw without a window).
"""

from __future__ import annotations

from typing import Any

import bpy

from ..backend.lazy import lazy_module
from ..blender import compat
from ..scene import catalogs, props
from ..scene.props import STATUS_ITEMS
from . import labels
from .earlier_ops import draw_earlier
from .fix_ops import draw_fix
from .keyframe_ops import draw_keyframes
from .reference_ops import draw_references
from .shot_ops import (
    MOVIEDIR_OT_add_shot,
    MOVIEDIR_OT_allow_online_access,
    MOVIEDIR_OT_cancel_all,
    MOVIEDIR_OT_cancel_shot,
    MOVIEDIR_OT_choose_model,
    MOVIEDIR_OT_fetch_result,
    MOVIEDIR_OT_generate_all,
    MOVIEDIR_OT_generate_shot,
    MOVIEDIR_OT_open_result,
    MOVIEDIR_OT_use_take,
)
from .wan2gp_ops import draw_wan2gp

# Loaded when a button or panel first runs, not when the extension is enabled.
shots = lazy_module("..scene.shots", __package__)
submit = lazy_module("..session.submit", __package__)
capabilities = lazy_module("..backend.wavespeed.capabilities", __package__)

CATEGORY = "Movie Director"
STATUS_ICONS = {identifier: icon for identifier, _name, _desc, icon, _n in STATUS_ITEMS}


class MOVIEDIR_UL_shots(bpy.types.UIList):
    """The scene's cameras (shots), with their status."""

    bl_idname = "MOVIEDIR_UL_shots"

    def draw_item(
        self, context: Any, layout: Any, data: Any, item: Any, icon: int, active_data: Any,
        active_property: str, index: int = 0, flt_flag: int = 0,
    ) -> None:  # fmt: skip
        draw_shot_row(layout, item)

    def filter_items(self, context: Any, data: Any, propname: str) -> tuple[list[int], list[int]]:
        objects = getattr(data, propname)
        flags = [self.bitflag_filter_item if obj.type == "CAMERA" else 0 for obj in objects]
        if self.filter_name:
            pattern = self.filter_name.lower()
            flags = [f if pattern in obj.name.lower() else 0 for f, obj in zip(flags, objects, strict=True)]
        return flags, []


def draw_shot_row(layout: Any, obj: Any) -> None:
    settings = obj.movie_director
    row = layout.row(align=True)
    row.label(text=obj.name, icon="OUTLINER_OB_CAMERA")
    if props.is_active(settings):
        row.label(text=f"{settings.progress * 100:.0f}%", icon=STATUS_ICONS[settings.status])
    else:
        row.label(text="", icon=STATUS_ICONS[settings.status])


def draw_progress(layout: Any, fraction: float, text: str) -> None:
    """A progress bar where the Blender version has one (4.0+: ``layout.progress``), else a label."""
    if compat.layout_has_progress(layout):
        layout.progress(factor=fraction, type="BAR", text=text)
    else:
        layout.label(text=f"{text} ({fraction * 100:.0f}%)")


def draw_online_notice(layout: Any) -> bool:
    """Explain (with a one-click fix) why nothing can be generated while online access is off."""
    reason = shots.offline_reason()
    if not reason:
        return False
    box = layout.box()
    box.alert = True
    col = box.column(align=True)
    col.label(text="Online access is off", icon="ERROR")
    col.label(text="Movie Director needs it to reach its servers.")
    if not compat.online_access_overridden():
        col.operator(MOVIEDIR_OT_allow_online_access.bl_idname, icon="WORLD")
    else:
        col.label(text="Restart Blender without --offline-mode.")
    return True


def draw_shots(layout: Any, context: Any) -> None:
    """The shot list, Add Shot, Generate All and the batch's progress."""
    scene = context.scene
    if scene is None:
        return
    draw_online_notice(layout)
    draw_earlier(layout)  # "3 jobs from an earlier session: Resume · Discard"
    state = scene.movie_director
    layout.template_list("MOVIEDIR_UL_shots", "", scene, "objects", state, "active_shot_index", rows=4)
    row = layout.row(align=True)
    row.operator(MOVIEDIR_OT_add_shot.bl_idname, icon="ADD")
    col = layout.column(align=True)
    row = col.row(align=True)
    op = row.operator(MOVIEDIR_OT_generate_all.bl_idname, text="Preview All", icon="RENDER_ANIMATION")
    op.quality = "PREVIEW"
    op = row.operator(MOVIEDIR_OT_generate_all.bl_idname, text="Final All", icon="RENDER_RESULT")
    op.quality = "FINAL"
    fraction, finished, total = submit.batch_progress(scene)
    if total:
        running = finished < total
        draw_progress(col, fraction, f"Batch: {finished} of {total} shots done")
        if running:
            col.operator(MOVIEDIR_OT_cancel_all.bl_idname, icon="CANCEL")


def draw_shot(layout: Any, context: Any) -> None:
    """The active shot: its settings, its buttons, and its state in words."""
    obj = shots.active_shot(context)
    if obj is None:
        layout.label(text="Add a camera to make a shot", icon="INFO")
        return
    settings = obj.movie_director
    scene = context.scene
    layout.label(text=obj.name, icon="OUTLINER_OB_CAMERA")
    _draw_state(layout, obj)
    _draw_buttons(layout)
    col = layout.column()
    col.prop(settings, "prompt", text="")
    col.prop(settings, "negative_prompt", text="", icon="REMOVE")
    layout.use_property_split = True
    layout.use_property_decorate = False
    col = layout.column()
    col.prop(settings, "backend")
    if settings.backend == "WAN2GP":
        col.label(text=catalogs.WAN2GP_CREDIT_SHORT, icon="INFO")
    row = col.row(align=True, heading="Model")
    label = catalogs.model_label(settings.backend, props.shot_model(settings))
    op = row.operator(MOVIEDIR_OT_choose_model.bl_idname, text=label, icon="DOWNARROW_HLT")
    op.shot = obj.name
    col.prop(settings, "wavespeed_model" if settings.backend == "WAVESPEED" else "wan2gp_model", text="Id")
    draw_references(col, obj, context)  # the cast's pictures and this model (issue 17)
    if settings.backend == "WAN2GP":
        draw_wan2gp(col, obj, context)  # the server's mark for the model, the shot's LoRAs (issue 16)
    if settings.backend == "WAVESPEED":
        draw_sound(col, settings)
    col.prop(settings, "quality")
    col.prop(settings, "resolution")
    col.prop(settings, "use_shot_length")
    seconds = shots.shot_seconds(scene, obj)
    if settings.use_shot_length:
        rng = shots.shot_range(scene, obj)
        col.label(text=f"Frames {rng.start}-{rng.end} ({rng.source}): {seconds:.2f} s")
    else:
        col.prop(settings, "duration")
    row = col.row(heading="Seed", align=True)
    row.prop(settings, "seed", text="")
    row.prop(settings, "lock_seed", text="", icon="LOCKED" if settings.lock_seed else "UNLOCKED")
    draw_keyframes(col, obj)  # start and end images, rendered or continued (issue 17)
    col.prop(settings, "use_custom_range")
    if settings.use_custom_range:
        sub = col.column(align=True)
        sub.prop(settings, "frame_start")
        sub.prop(settings, "frame_end")


def draw_sound(layout: Any, settings: Any) -> None:
    """The shot's "With Sound" switch where its WaveSpeed model has one (a catalog lookup, no parse)."""
    model = props.shot_model(settings)
    if capabilities.sound_switch(model):
        layout.prop(settings, "with_sound")
    elif capabilities.has_sound(model):
        layout.label(text="The clip comes with sound", icon="SOUND")


def _draw_state(layout: Any, obj: Any) -> None:
    settings = obj.movie_director
    box = layout.box()
    status_name = settings.bl_rna.properties["status"].enum_items[settings.status].name
    if props.is_active(settings):
        draw_progress(box, settings.progress, f"{status_name}: {settings.progress_text or '...'}")
    elif settings.status == "FAILED":
        box.label(text=status_name, icon=STATUS_ICONS["FAILED"])
    else:
        box.label(text=submit.describe(obj), icon=STATUS_ICONS[settings.status])
    if settings.status == "FAILED" and settings.last_error:
        col = box.column(align=True)
        col.alert = True
        for line in labels.wrap(settings.last_error, 48, 8):
            col.label(text=line)
    if settings.status in ("FAILED", "CANCELLED"):
        _draw_fixes(box, obj)
    if settings.strip_name:
        box.label(text=f"Strip: {settings.strip_name}", icon="SEQUENCE")


def _draw_buttons(layout: Any) -> None:
    row = layout.row(align=True)
    row.scale_y = 1.3
    op = row.operator(MOVIEDIR_OT_generate_shot.bl_idname, text="Preview", icon="PLAY")
    op.quality = "PREVIEW"
    op = row.operator(MOVIEDIR_OT_generate_shot.bl_idname, text="Final", icon="RENDER_STILL")
    op.quality = "FINAL"
    row = layout.row(align=True)
    row.operator(MOVIEDIR_OT_cancel_shot.bl_idname, text="Cancel", icon="CANCEL")
    row.operator(MOVIEDIR_OT_open_result.bl_idname, text="Open Result", icon="FILE_MOVIE")


def _draw_fixes(layout: Any, obj: Any) -> None:
    """Under the message: the button that fixes this kind of failure (scene/fixes.py), and Fetch Result
    Again whenever the service named the failed task (nothing is submitted or billed again)."""
    settings = obj.movie_director
    failed = settings.status == "FAILED"
    kind = settings.error_kind if failed else "cancelled"
    col = layout.column(align=True)
    fix = draw_fix(col, kind, remote_id=settings.remote_id, shot=obj.name, quality=settings.job_quality)
    if failed and settings.remote_id and (fix is None or fix.operator != MOVIEDIR_OT_fetch_result.bl_idname):
        op = col.operator(MOVIEDIR_OT_fetch_result.bl_idname, text="Fetch Result Again", icon="IMPORT")
        op.shot = obj.name


def draw_takes(layout: Any, context: Any) -> None:
    obj = shots.active_shot(context)
    if obj is None:
        return
    settings = obj.movie_director
    draw_budget(layout, context.scene)
    if not settings.takes:
        layout.label(text="No takes yet")
        return
    layout.template_list(  # MOVIEDIR_UL_takes: strip_panels.py (thumbnails)
        "MOVIEDIR_UL_takes", "moviedir_takes", settings, "takes", settings, "active_take_index", rows=3
    )
    take = settings.takes[min(settings.active_take_index, len(settings.takes) - 1)]
    col = layout.column(align=True)
    col.label(text=f"{take.backend} · {take.model}")
    col.label(text=f"Seed {take.seed} · {take.duration:.2f} s · {take.created}")
    if take.task_id:
        col.label(text=f"Task {take.task_id}")
    layout.operator(MOVIEDIR_OT_use_take.bl_idname, icon="LOOP_BACK")


def draw_budget(layout: Any, scene: Any) -> None:
    """The project's spend so far (every take of the scene's shots) and its budget (issue 18)."""
    from ..scene import budget

    row = layout.row(align=True)
    row.label(text=budget.summary(scene), icon="FUND")
    row.prop(scene.movie_director.budget, "use_limit", text="Budget")
    if scene.movie_director.budget.use_limit:
        row.prop(scene.movie_director.budget, "limit_usd", text="")


# --- panel classes: the same drawing in the 3D Viewport and the Sequencer -----
def panel_class(
    space: str, prefix: str, key: str, label: str, draw_fn: Any, parent: str = "", closed: bool = False
) -> type:
    """The sidebar panel ``{prefix}_PT_movie_director_{key}`` drawing ``draw_fn(layout, context)``, under
    the panel of key ``parent`` if given (also used by strip_panels.py)."""
    attrs: dict[str, Any] = {
        "bl_idname": f"{prefix}_PT_movie_director_{key}",
        "bl_label": label,
        "bl_space_type": space,
        "bl_region_type": "UI",
        "bl_category": CATEGORY,
        "draw": lambda self, context: draw_fn(self.layout, context),
    }
    if parent:
        attrs["bl_parent_id"] = f"{prefix}_PT_movie_director_{parent}"
    if closed:
        attrs["bl_options"] = {"DEFAULT_CLOSED"}
    return type(attrs["bl_idname"], (bpy.types.Panel,), attrs)


def _panels(space: str, prefix: str) -> tuple[type, ...]:
    return (
        panel_class(space, prefix, "shots", "Shots", draw_shots),
        panel_class(space, prefix, "shot", "Shot", draw_shot),
        panel_class(space, prefix, "takes", "Takes", draw_takes, parent="shot", closed=True),
    )


classes = (
    MOVIEDIR_UL_shots,
    *_panels("VIEW_3D", "VIEW3D"),
    *_panels("SEQUENCE_EDITOR", "SEQUENCER"),
)
