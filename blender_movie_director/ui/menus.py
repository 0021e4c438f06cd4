"""The Sequencer's strip context menu: a "Movie Director" submenu on movie and image strips.

Appended to ``SEQUENCER_MT_context_menu`` on register (removed on unregister). Every entry is an operator
whose ``poll`` explains why it is grey (e.g. "Only a shot's strip has takes").
"""

from __future__ import annotations

from typing import Any

import bpy

from . import strip_ops

STRIP_TYPES = ("MOVIE", "IMAGE")


class MOVIEDIR_MT_strip(bpy.types.Menu):
    bl_idname = "MOVIEDIR_MT_strip"
    bl_label = "Movie Director"

    def draw(self, context: bpy.types.Context) -> None:
        draw_strip_actions(self.layout, context)


def draw_strip_actions(layout: Any, context: Any) -> None:
    """The entries, in the order of the issue: generate, takes, sections, pictures, files."""
    strip = strip_ops.context_strip(context)
    layout.operator_context = "INVOKE_DEFAULT"
    op = layout.operator(
        strip_ops.MOVIEDIR_OT_strip_regenerate.bl_idname, text="Regenerate", icon="FILE_REFRESH"
    )
    op.count = 1
    op = layout.operator(
        strip_ops.MOVIEDIR_OT_strip_regenerate.bl_idname, text="Variations...", icon="DUPLICATE"
    )
    op.count = 3
    layout.separator()
    op = layout.operator(
        strip_ops.MOVIEDIR_OT_strip_switch_take.bl_idname, text="Previous Take", icon="TRIA_LEFT"
    )
    op.direction = -1
    op = layout.operator(
        strip_ops.MOVIEDIR_OT_strip_switch_take.bl_idname, text="Next Take", icon="TRIA_RIGHT"
    )
    op.direction = 1
    layout.separator()
    layout.operator(
        strip_ops.MOVIEDIR_OT_strip_retake.bl_idname, text="Retake Section...", icon="SEQ_STRIP_DUPLICATE"
    )
    layout.operator(
        strip_ops.MOVIEDIR_OT_strip_image_to_video.bl_idname,
        text="Image to Video from Here...",
        icon="IMAGE_DATA",
    )
    layout.operator(strip_ops.MOVIEDIR_OT_strip_extend.bl_idname, text="Extend...", icon="FORWARD")
    # WanGP's postprocessing (issue 16); grey over the web UI route, saying why.
    layout.operator(strip_ops.MOVIEDIR_OT_strip_finish.bl_idname, text="Finish...", icon="SHADERFX")
    layout.separator()
    layout.operator(strip_ops.MOVIEDIR_OT_strip_reveal.bl_idname, text="Reveal File", icon="FILEBROWSER")
    layout.operator(strip_ops.MOVIEDIR_OT_strip_info.bl_idname, text="Generation Info", icon="INFO")
    if strip is not None and not strip_ops.is_ours(strip):
        layout.label(text="Not made by Movie Director", icon="QUESTION")


def draw_context_menu(self: Any, context: Any) -> None:
    """Appended to SEQUENCER_MT_context_menu: the submenu, for movie and image strips only."""
    strip = strip_ops.context_strip(context)
    if strip is None or strip.type not in STRIP_TYPES:
        return
    layout = self.layout
    layout.separator()
    layout.menu(MOVIEDIR_MT_strip.bl_idname, icon="SEQUENCE")


classes = (MOVIEDIR_MT_strip,)


def register() -> None:
    menu = bpy.types.SEQUENCER_MT_context_menu
    if draw_context_menu not in getattr(menu, "_dyn_ui_initialize", lambda: [])():
        menu.append(draw_context_menu)


def unregister() -> None:
    bpy.types.SEQUENCER_MT_context_menu.remove(draw_context_menu)
