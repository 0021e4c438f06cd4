"""What an extension can leave behind in Blender: classes, handlers, menu/panel draw functions, timers."""

from __future__ import annotations

from types import ModuleType

PACKAGE_PREFIXES = ("blender_movie_director", "bl_ext.")


def _ours(fn: object) -> bool:
    module = getattr(fn, "__module__", "") or ""
    return module.startswith(PACKAGE_PREFIXES)


def _subclasses(base: type) -> set[type]:
    found: set[type] = set()
    stack = [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def snapshot(bpy: ModuleType) -> dict[str, set[str]]:
    classes = {
        cls.__qualname__ for cls in _subclasses(bpy.types.bpy_struct) if _ours(cls) and cls.is_registered
    }
    handlers = {
        f"{name}:{fn.__qualname__}"
        for name in dir(bpy.app.handlers)
        if isinstance(getattr(bpy.app.handlers, name), list)
        for fn in getattr(bpy.app.handlers, name)
        if _ours(fn)
    }
    draw_functions = set()
    for name in dir(bpy.types):
        cls = getattr(bpy.types, name)
        draw = getattr(cls, "draw", None)
        # Menus and panels that were appended to keep their draw functions in ``draw._draw_funcs``.
        appended = getattr(draw, "_draw_funcs", None) or ()
        draw_functions |= {f"{name}:{fn.__qualname__}" for fn in appended if _ours(fn)}
    return {"classes": classes, "handlers": handlers, "draw_functions": draw_functions}


def registered_timers(bpy: ModuleType, addon: ModuleType) -> set[str]:
    """Timers are not enumerable in Blender; the extension lists the functions it may register."""
    from blender_movie_director import registration

    return {fn.__qualname__ for fn in registration.TIMER_FUNCTIONS if bpy.app.timers.is_registered(fn)}
