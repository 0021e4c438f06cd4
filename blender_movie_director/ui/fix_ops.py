"""The fix button under a failed job's message, and the one operator a fix needed that Blender lacks.

:func:`draw_fix` looks the failure's kind up in :mod:`..scene.fixes` and draws that button (no I/O: it reads
the table and the job's stored facts only). ``moviedir.open_preferences`` opens the add-on's preferences:
Blender's ``preferences.addon_show(module=...)`` (4.2-5.0) expands the add-on only when it is in Blender's
add-on list (installed, or an extension) and otherwise returns FINISHED doing nothing, and on 5.0 it reads
``context.screen.areas`` and opens a window (which fails where there is none). This operator calls it where
it can work and else does the same steps itself, so the button always lands on the Add-ons section searched
for Movie Director.

Main thread only.
"""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import StringProperty

from ..backend.lazy import lazy_module
from ..scene.config import ADDON_PACKAGE

# Loaded when a panel first draws a failed job, not when the extension is enabled.
fixes = lazy_module("..scene.fixes", __package__)

#: The name Blender's add-on list shows (blender_manifest.toml ``name``), used to search for it.
ADDON_NAME = "Movie Director"


def draw_fix(
    layout: Any, kind: str, *, remote_id: str = "", shot: str = "", quality: str = "", shot_job: bool = True
) -> Any:
    """Draw the button that fixes a failure of ``kind`` and return its :class:`..scene.fixes.Fix` (None:
    there is none, see scene/fixes.py)."""
    fix = fixes.fix_for(kind, remote_id=remote_id, shot=shot, shot_job=shot_job)
    if fix is None:
        return None
    op = layout.operator(fix.operator, text=fix.label, icon=fix.icon)
    for name, value in fixes.properties(fix, shot=shot, quality=quality).items():
        setattr(op, name, value)
    return fix


class MOVIEDIR_OT_open_preferences(bpy.types.Operator):
    """Open Movie Director's preferences (servers, keys, timeouts, output folder)"""

    bl_idname = "moviedir.open_preferences"
    bl_label = "Open Preferences"
    bl_options = {"INTERNAL"}

    setting: StringProperty(name="Setting", description="What to check there, said in the report")

    def execute(self, context: bpy.types.Context) -> set[str]:
        import addon_utils

        addon_utils.modules(refresh=False)  # what addon_show needs; reads Blender's cached add-on list
        listed = ADDON_PACKAGE in addon_utils.addons_fake_modules
        can_show = bpy.ops.screen.userpref_show.poll()  # False without a window (background, tests)
        if listed and can_show:
            bpy.ops.preferences.addon_show(module=ADDON_PACKAGE)  # also expands the add-on's entry
        else:
            # Not in Blender's add-on list (loaded from a source folder), or no window: the same steps.
            context.preferences.active_section = "ADDONS"
            context.window_manager.addon_search = ADDON_NAME
            if can_show:
                bpy.ops.screen.userpref_show("INVOKE_DEFAULT")
        where = f"Edit > Preferences > Add-ons > {ADDON_NAME}"
        self.report({"INFO"}, f"{where}: check {self.setting}" if self.setting else where)
        return {"FINISHED"}


classes = (MOVIEDIR_OT_open_preferences,)
