"""The Cast panel (the scene's members) and the shot's "Cast in Shot" sub-panel (issue 17).

Drawing only: the detection of who a camera sees runs in the Update Cast in View operator (or when a
request is built); ``draw()`` shows what was last found (``cast.cached_in_view``), and says so when
something changed since. Both editors' sidebars, like :mod:`.shot_panels` (same panel factory).
"""

from __future__ import annotations

from typing import Any

import bpy

from ..backend.lazy import lazy_module
from .cast_ops import (
    MOVIEDIR_OT_cast_add_member,
    MOVIEDIR_OT_cast_add_pictures,
    MOVIEDIR_OT_cast_override,
    MOVIEDIR_OT_cast_remove_member,
    MOVIEDIR_OT_cast_remove_picture,
    MOVIEDIR_OT_cast_render_references,
    MOVIEDIR_OT_cast_update,
    active_member,
)
from .shot_panels import panel_class

cast = lazy_module("..scene.cast", __package__)
shots = lazy_module("..scene.shots", __package__)

KIND_ICONS = {"CHARACTER": "USER", "PROP": "OBJECT_DATA", "PLACE": "WORLD"}


class MOVIEDIR_UL_cast(bpy.types.UIList):
    """The scene's cast members."""

    bl_idname = "MOVIEDIR_UL_cast"

    def draw_item(
        self, context: Any, layout: Any, data: Any, item: Any, icon: int, active_data: Any,
        active_property: str, index: int = 0, flt_flag: int = 0,
    ) -> None:  # fmt: skip
        row = layout.row(align=True)
        row.prop(item, "name", text="", emboss=False, icon=KIND_ICONS.get(item.kind, "USER"))
        row.label(text=f"{len(item.pictures)}", icon="IMAGE_DATA")


def draw_cast(layout: Any, context: Any) -> None:
    """The members, Add / Remove, and the active member: kind, description, objects, pictures."""
    scene = context.scene
    if scene is None:
        return
    state = scene.movie_director.cast
    row = layout.row()
    row.template_list("MOVIEDIR_UL_cast", "", state, "members", state, "active_member_index", rows=3)
    col = row.column(align=True)
    op = col.operator(MOVIEDIR_OT_cast_add_member.bl_idname, text="", icon="ADD")
    op.source = "SELECTED"
    op = col.operator(MOVIEDIR_OT_cast_add_member.bl_idname, text="", icon="OUTLINER_COLLECTION")
    op.source = "COLLECTION"
    col.operator(MOVIEDIR_OT_cast_remove_member.bl_idname, text="", icon="REMOVE")
    member = active_member(context)
    if member is None:
        layout.label(text="Add the selected objects or a collection as a member", icon="INFO")
        return
    col = layout.column()
    col.prop(member, "kind")
    col.prop(member, "description", text="", icon="TEXT")
    box = layout.box()
    stand_ins = [slot.object.name for slot in member.objects if slot.object is not None]
    box.label(text="Objects: " + (", ".join(stand_ins) if stand_ins else "none"), icon="OBJECT_DATA")
    box.prop(member, "collection")
    if not cast.has_objects(member) and not member.pictures:
        box.label(text="No objects and no pictures: left out of every shot", icon="ERROR")
    box = layout.box()
    row = box.row(align=True)
    row.label(text=f"Pictures ({len(member.pictures)})", icon="IMAGE_DATA")
    row.operator(MOVIEDIR_OT_cast_add_pictures.bl_idname, text="", icon="FILEBROWSER")
    col = box.column(align=True)
    for index, picture in enumerate(member.pictures):
        line = col.row(align=True)
        name = picture.filepath.replace("\\", "/").rsplit("/", 1)[-1] or "(empty)"
        line.label(text=name, icon="RENDER_STILL" if picture.rendered else "FILE_IMAGE")
        op = line.operator(MOVIEDIR_OT_cast_remove_picture.bl_idname, text="", icon="X", emboss=False)
        op.index = index
    op = box.operator(MOVIEDIR_OT_cast_render_references.bl_idname, icon="RENDER_STILL")
    op.member = member.name
    layout.operator(MOVIEDIR_OT_cast_update.bl_idname, icon="FILE_REFRESH")


def draw_shot_cast(layout: Any, context: Any) -> None:
    """Who is in the active shot: each member, whether the camera sees it, and its override."""
    scene = context.scene
    obj = shots.active_shot(context)
    if scene is None or obj is None:
        return
    members = list(scene.movie_director.cast.members)
    if not members:
        layout.label(text="No cast: add members in the Cast panel", icon="INFO")
        return
    seen = cast.cached_in_view(obj, scene)
    if seen is None:
        row = layout.row()
        row.label(text="Not checked since the last change", icon="QUESTION")
        row.operator(MOVIEDIR_OT_cast_update.bl_idname, text="Update", icon="FILE_REFRESH")
        seen = frozenset()
        known = False
    else:
        known = True
    ordered = sorted(members, key=lambda m: (m.name not in seen, members.index(m)))
    col = layout.column(align=True)
    for member in ordered:
        choice = cast.override(obj, member) or "AUTO"
        visible = member.name in seen
        inside = choice == "INCLUDE" or (choice == "AUTO" and visible)
        row = col.row(align=True)
        where = "in view" if visible else ("not in view" if known else "?")
        row.label(text=f"{member.name} ({where})", icon="CHECKBOX_HLT" if inside else "CHECKBOX_DEHLT")
        for mode, label in (("AUTO", "Auto"), ("INCLUDE", "In"), ("EXCLUDE", "Out")):
            op = row.operator(MOVIEDIR_OT_cast_override.bl_idname, text=label, depress=choice == mode)
            op.shot, op.member, op.mode = obj.name, member.name, mode


def _panels(space: str, prefix: str) -> tuple[type, ...]:
    return (
        panel_class(space, prefix, "cast", "Cast", draw_cast, closed=True),
        panel_class(space, prefix, "shot_cast", "Cast in Shot", draw_shot_cast, parent="shot", closed=True),
    )


classes = (
    MOVIEDIR_UL_cast,
    *_panels("VIEW_3D", "VIEW3D"),
    *_panels("SEQUENCE_EDITOR", "SEQUENCER"),
)
