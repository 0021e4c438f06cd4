"""Sidebar parts of the director tools, in the 3D Viewport and the Sequencer:

- the takes list with thumbnails (``MOVIEDIR_UL_takes``, used by the Takes panel of panels.py);
- "Camera Motion" and "Layout to Video" under the Shot panel;
- "Director" (storyboard button and the director jobs with their progress) under the Shots panel.

Drawing never renders or decodes: a take's thumbnail is Blender's own MOVIE preview (scene/takes.py).
"""

from __future__ import annotations

from typing import Any

import bpy

from ..backend.lazy import lazy_module
from ..scene import tool_props
from .fix_ops import draw_fix
from .shot_panels import draw_progress, panel_class

# Loaded when a button or panel first runs, not when the extension is enabled.
strip_jobs = lazy_module("..session.strip_jobs", __package__)
shots = lazy_module("..scene.shots", __package__)
takes = lazy_module("..scene.takes", __package__)


class MOVIEDIR_UL_takes(bpy.types.UIList):
    """The shot's takes with a thumbnail of their middle frame, seed and cost."""

    bl_idname = "MOVIEDIR_UL_takes"

    def draw_item(
        self, context: Any, layout: Any, data: Any, item: Any, icon: int, active_data: Any,
        active_property: str, index: int = 0, flt_flag: int = 0,
    ) -> None:  # fmt: skip
        draw_take_row(layout, data, item, index)


def draw_take_row(layout: Any, settings: Any, take: Any, index: int) -> None:
    row = layout.row(align=True)
    thumb = takes.icon_id(take)
    current = index == settings.active_take_index
    if thumb:
        row.label(text="", icon_value=thumb)
    row.label(text=take.name, icon="CHECKMARK" if current else "BLANK1")
    cost = f" · {takes.cost_text(take)}" if take.cost >= 0 else ""
    row.label(text=f"seed {take.seed}{cost}")


def draw_take_details(layout: Any, context: Any) -> None:
    """The selected take's thumbnail and facts (below the list)."""
    obj = shots.active_shot(context)
    if obj is None or not obj.movie_director.takes:
        return
    settings = obj.movie_director
    index = min(settings.active_take_index, len(settings.takes) - 1)
    take = settings.takes[index]
    thumb = takes.icon_id(take)
    if thumb:
        layout.template_icon(icon_value=thumb, scale=6.0)
    col = layout.column(align=True)
    cost = takes.cost_text(take, unknown="cost unknown")
    col.label(text=f"{take.made_by or 'generate'} · {cost}")
    for role, path in takes.stored_inputs(take).items():  # what Regenerate would send again
        col.label(text=f"{role.replace('_', ' ')}: {path}", icon="FILE_IMAGE" if "image" in role else "FILE")
    op = layout.operator("moviedir.use_take", icon="LOOP_BACK")
    op.shot, op.index = obj.name, index


def draw_camera_motion(layout: Any, context: Any) -> None:
    obj = shots.active_shot(context)
    if obj is None:
        return
    tools = tool_props.of(obj)
    layout.prop(tools, "use_camera_motion")
    col = layout.column()
    col.active = tools.use_camera_motion
    col.prop(tools, "camera_motion", text="")
    row = col.row(align=True)
    row.operator("moviedir.read_camera", icon="CAMERA_DATA").shot = obj.name
    row.prop(tools, "camera_motion_auto", text="", icon="LINKED" if tools.camera_motion_auto else "UNLINKED")
    if tools.camera_moves:
        col.label(text=tools.camera_moves, icon="ORIENTATION_VIEW")


def draw_layout_video(layout: Any, context: Any) -> None:
    obj = shots.active_shot(context)
    if obj is None:
        return
    tools = tool_props.of(obj)
    layout.use_property_split = True
    layout.use_property_decorate = False
    col = layout.column()
    col.prop(tools, "layout_model")
    col.prop(tools, "control_type")
    col.prop(tools, "layout_engine")
    if tools.layout_status:
        col.label(text=tools.layout_status, icon="RENDER_ANIMATION")
    op = layout.operator("moviedir.layout_to_video", icon="RENDER_ANIMATION")
    op.shot = obj.name


def draw_director(layout: Any, context: Any) -> None:
    layout.operator("moviedir.storyboard", icon="IMAGE_PLANE")
    jobs = strip_jobs.jobs()
    if not jobs:
        return
    col = layout.column(align=True)
    for job in reversed(jobs[-8:]):
        box = col.box()
        row = box.row(align=True)
        icon = {"done": "CHECKMARK", "failed": "ERROR", "cancelled": "CANCEL"}.get(job.state, "TIME")
        row.label(text=job.label, icon=icon)
        if not job.finished:
            row.operator("moviedir.cancel_director_job", text="", icon="X").job_id = job.job_id
            draw_progress(box, job.fraction, job.text)
        else:
            sub = box.row()
            sub.alert = job.state == "failed"
            sub.label(text=job.text[:120])
            if job.state == "failed":  # the button that fixes this kind of failure, if there is one
                draw_fix(box, job.error_kind, shot=job.shot, shot_job=False)


def _panels(space: str, prefix: str) -> tuple[type, ...]:
    return (
        panel_class(space, prefix, "take_details", "Selected Take", draw_take_details, "takes", closed=True),
        panel_class(space, prefix, "camera_motion", "Camera Motion", draw_camera_motion, "shot", closed=True),
        panel_class(space, prefix, "layout_video", "Layout to Video", draw_layout_video, "shot", closed=True),
        panel_class(space, prefix, "director", "Director", draw_director, "shots", closed=True),
    )


classes = (
    MOVIEDIR_UL_takes,
    *_panels("VIEW_3D", "VIEW3D"),
    *_panels("SEQUENCE_EDITOR", "SEQUENCER"),
)
