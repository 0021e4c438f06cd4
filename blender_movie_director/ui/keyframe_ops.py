"""The shot's keyframe buttons (issue 17), beside its Start Image and End Image:

* ``moviedir.render_keyframe``: render the shot's first frame (``which="START"``) or last frame (``"END"``)
  through its camera and make it the start or end image;
* ``moviedir.continue_from_previous``: **Continue from Previous Shot**, the start image becomes the last
  frame of the previous shot's current take on the timeline.

Both render with Blender inside the operator (what F12 does too), never in a timer, handler or draw().
Main thread only (Blender UI classes).
"""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty, StringProperty

from ..backend.lazy import lazy_module
from ..scene.config import get_preferences
from .shot_ops import poll_shot

shots = lazy_module("..scene.shots", __package__)
keyframes = lazy_module("..requests.keyframes", __package__)


def _shot(op: Any, context: bpy.types.Context) -> Any:
    obj = shots.find_shot(op.shot) if op.shot else shots.active_shot(context)
    if obj is None:
        op.report({"ERROR"}, f"No camera named '{op.shot}'" if op.shot else "No active shot")
    return obj


class MOVIEDIR_OT_render_keyframe(bpy.types.Operator):
    """Render the shot's first or last frame through its camera and use it as the start or end image"""

    bl_idname = "moviedir.render_keyframe"
    bl_label = "Render Shot Frame"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    which: EnumProperty(
        name="Which",
        items=(
            ("START", "First Frame", "Render the shot's first frame: the start image"),
            ("END", "Last Frame", "Render the shot's last frame: the end image"),
        ),
        default="START",
    )

    poll = classmethod(poll_shot)

    @classmethod
    def description(cls, context: bpy.types.Context, properties: Any) -> str:
        if properties.which == "END":
            return "Render the shot's last frame through its camera and use it as the end image"
        return "Render the shot's first frame through its camera and use it as the start image"

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(self, context)
        if obj is None:
            return {"CANCELLED"}
        try:
            path = keyframes.render_keyframe(obj, shots.scene_of(obj, context), self.which, get_preferences())
        except keyframes.KeyframeError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        word = "Start" if self.which == "START" else "End"
        self.report({"INFO"}, f"{word} image of {obj.name}: {path.name}")
        return {"FINISHED"}


class MOVIEDIR_OT_continue_from_previous(bpy.types.Operator):
    """Start this shot on the last frame of the previous shot's current take on the timeline"""

    bl_idname = "moviedir.continue_from_previous"
    bl_label = "Continue from Previous Shot"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")

    poll = classmethod(poll_shot)

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(self, context)
        if obj is None:
            return {"CANCELLED"}
        try:
            path = keyframes.continue_from_previous(obj, shots.scene_of(obj, context), get_preferences())
        except keyframes.KeyframeError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"{obj.name} starts on {path.name}")
        return {"FINISHED"}


def draw_keyframes(layout: Any, obj: Any) -> None:
    """The shot's Start Image and End Image, each with its render button (and Continue from Previous Shot
    beside the start), and a warning when the shot's model takes no end image (catalog data, no file read)."""
    from .reference_ops import shot_run_model

    settings = obj.movie_director
    row = layout.row(align=True)
    row.prop(settings, "image_input")
    op = row.operator(MOVIEDIR_OT_render_keyframe.bl_idname, text="", icon="RENDER_STILL")
    op.shot, op.which = obj.name, "START"
    op = row.operator(MOVIEDIR_OT_continue_from_previous.bl_idname, text="", icon="FRAME_PREV")
    op.shot = obj.name
    row = layout.row(align=True)
    row.prop(settings, "image_end")
    op = row.operator(MOVIEDIR_OT_render_keyframe.bl_idname, text="", icon="RENDER_STILL")
    op.shot, op.which = obj.name, "END"
    if settings.image_end and not keyframes.takes_last_frame(settings.backend, shot_run_model(obj)):
        layout.label(text="This model takes no end image: clear it or pick one that does", icon="ERROR")


classes = (MOVIEDIR_OT_render_keyframe, MOVIEDIR_OT_continue_from_previous)
