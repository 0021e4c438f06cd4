"""The shot panel's reference part (issue 17): what of the cast in view reaches the shot's model.

* ``draw_references(layout, obj, context)``: the message of a cast picture that stopped the last request
  (missing, unreadable, not a picture, too large: naming the member and the file); when the shot's model
  takes no pictures, that it does not and a button for the nearest model of the same backend that does;
  when it takes fewer than the cast has, which members were left out. It draws from what the cast
  detection and the last request already found (:func:`..requests.references.cached_plan`): no detection
  and no file read in ``draw()``.
* ``moviedir.use_reference_model``: switches the shot to that model.

Main thread only (Blender UI classes).
"""

from __future__ import annotations

import textwrap
from typing import Any

import bpy
from bpy.props import StringProperty

from ..backend.lazy import lazy_module
from ..scene import catalogs, props

shots = lazy_module("..scene.shots", __package__)
references = lazy_module("..requests.references", __package__)
shot_requests = lazy_module("..requests.shot", __package__)


def shot_run_model(obj: Any) -> str:
    """The model the shot's request would name (a start image's image-to-video sibling included)."""
    settings = obj.movie_director
    return shot_requests.model_for_task(
        settings.backend, props.shot_model(settings).strip(), bool(settings.image_input)
    )


class MOVIEDIR_OT_use_reference_model(bpy.types.Operator):
    """Switch the shot to this model: it takes the cast's reference pictures"""

    bl_idname = "moviedir.use_reference_model"
    bl_label = "Use a Model That Takes Pictures"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    model: StringProperty(name="Model", description="The model to switch to")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if shots.active_shot(context) is None:
            cls.poll_message_set("Select a camera: each camera is a shot")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = shots.find_shot(self.shot) if self.shot else shots.active_shot(context)
        if obj is None:
            self.report({"ERROR"}, f"No camera named '{self.shot}'" if self.shot else "No active shot")
            return {"CANCELLED"}
        settings = obj.movie_director
        if not self.model or references.reference_limit(settings.backend, self.model) == 0:
            self.report({"ERROR"}, f"'{self.model}' takes no reference pictures")
            return {"CANCELLED"}
        props.set_shot_model(settings, self.model)
        label = catalogs.model_label(settings.backend, self.model)
        self.report({"INFO"}, f"{obj.name}: {label}, which takes the cast's reference pictures")
        return {"FINISHED"}


def draw_references(layout: Any, obj: Any, context: Any) -> None:
    """What of the cast in view reaches the shot's model (see the module docstring)."""
    settings = obj.movie_director
    said = references.problem(obj.name)
    if said:
        col = layout.column(align=True)
        col.alert = True
        for i, line in enumerate(textwrap.wrap(said, 48)):
            col.label(text=line, icon="ERROR" if i == 0 else "BLANK1")
    plan = references.cached_plan(
        obj, context.scene, settings.backend, shot_run_model(obj), with_start_image=bool(settings.image_input)
    )
    if plan is None:
        return
    col = layout.column(align=True)
    for message in plan.messages():
        for i, line in enumerate(textwrap.wrap(message, 48)):
            col.label(text=line, icon=("ERROR" if plan.wanted else "INFO") if i == 0 else "BLANK1")
    if plan.wanted and plan.suggestion:
        label = catalogs.model_label(settings.backend, plan.suggestion)
        op = col.operator(
            MOVIEDIR_OT_use_reference_model.bl_idname, text=f"Use {label}", icon="IMAGE_REFERENCE"
        )
        op.shot = obj.name
        op.model = plan.suggestion


classes = (MOVIEDIR_OT_use_reference_model,)
