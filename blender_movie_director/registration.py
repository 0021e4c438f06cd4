"""Registers the extension's classes with Blender. Imported only by ``register()``/``unregister()``."""

from __future__ import annotations

import bpy

from . import prefs

CLASSES: tuple[type, ...] = (*prefs.CLASSES,)

#: Every function this extension may register with ``bpy.app.timers`` (timers cannot be enumerated, so
#: unregister() and the tests use this list to prove none is left running).
TIMER_FUNCTIONS: tuple = ()


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)


def unregister() -> None:
    for fn in TIMER_FUNCTIONS:
        if bpy.app.timers.is_registered(fn):
            bpy.app.timers.unregister(fn)
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
