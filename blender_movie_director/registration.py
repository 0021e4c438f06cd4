"""The composition root: registers the extension. Imported only by ``register()``/``unregister()``.

It registers every ``ui`` module's ``classes`` (and the scene's PropertyGroups), the file and render
handlers and the one timer, and hands :mod:`.blender.ticker` its work (the drain and its consumers, loaded
when something first needs them). Order matters: PropertyGroups before the pointers to them; on the way out
the timer and the job engine stop first (no worker thread may outlive the extension), then handlers,
pointers and classes go. Main thread only.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import bpy
from bpy.app.handlers import persistent

from .backend.lazy import loaded
from .blender import ticker
from .scene import config, props, tool_props
from .ui import (
    cast_ops,
    cast_panels,
    earlier_ops,
    fix_ops,
    keyframe_ops,
    layout_ops,
    menus,
    preferences,
    reference_ops,
    shot_ops,
    shot_panels,
    strip_ops,
    strip_panels,
    wan2gp_ops,
)

CLASSES: tuple[type, ...] = (
    *props.classes, *tool_props.classes, *preferences.classes, *shot_ops.classes, *strip_ops.classes,
    *layout_ops.classes, *menus.classes, *shot_panels.classes, *strip_panels.classes, *earlier_ops.classes,
    *cast_ops.classes, *cast_panels.classes, *fix_ops.classes, *reference_ops.classes, *wan2gp_ops.classes,
    *keyframe_ops.classes,
)  # fmt: skip

#: Every function this extension may register with ``bpy.app.timers`` (timers cannot be enumerated, so
#: unregister() and the tests use this list to prove none is left running).
TIMER_FUNCTIONS: tuple = (ticker.timer,)

#: ``import movie_director as md`` works in Blender's console whatever repository the extension is in.
CONSOLE_ALIAS = "movie_director"


def _loaded(name: str) -> ModuleType | None:
    """Our module ``name`` if it has run (the job engine and the tools' work load on first use, not here)."""
    return loaded(f"{__package__}.{name}")


def _start_drain() -> Callable[[], float]:
    """The ticker's work, loaded when something first has work for it: the drain and its consumers."""
    from .session import drain, shot_jobs, strip_jobs

    strip_jobs.register()  # offered each event first: it takes its own jobs' events
    shot_jobs.register()  # then the shots take the rest
    return drain.timer


@persistent
def _on_save_pre(*_args: object) -> None:
    ticker.set_busy("save", True)


@persistent
def _on_save_post(*_args: object) -> None:
    ticker.set_busy("save", False)
    engine = _loaded("session.engine")
    if engine is not None:
        engine.follow_output_folder()


@persistent
def _on_save_post_fail(*_args: object) -> None:
    ticker.set_busy("save", False)


@persistent
def _on_render_init(*_args: object) -> None:
    ticker.set_busy("render", True)


@persistent
def _on_render_end(*_args: object) -> None:
    ticker.set_busy("render", False)


@persistent
def _on_depsgraph_update(_scene: object, depsgraph: object) -> None:
    """Something moved or was re-animated: the cast detections it may change are dropped (issue 17). Only
    once the cast module is in use; cheap (reads the update list, computes nothing)."""
    cast = _loaded("scene.cast")
    if cast is not None:
        cast.invalidate(depsgraph)


@persistent
def _on_load_post(*_args: object) -> None:
    ticker.clear_busy()
    _on_depsgraph_update(None, None)  # another file: no cast detection of the last one holds
    references = _loaded("requests.references")
    if references is not None:
        references.forget()  # nor its shots' picture messages and distances (issue 17)
    if _loaded("session.engine") is not None or _job_store_exists():
        # Reads the store on the engine's own thread and starts nothing (jobs of an earlier session wait
        # for the user's Resume); shots saved mid-job are marked once the store is read (earlier.tick).
        from .session import earlier, engine

        engine.reattach()
        earlier.mark_shots()
    else:
        mark_orphaned_shots()


def _job_store_exists() -> bool:
    """A job store beside the loaded file: an earlier session may have left jobs to offer."""
    from .backend.jobs.store import STORE_FILE_NAME

    return (Path(config.output_root()) / STORE_FILE_NAME).is_file()


def mark_orphaned_shots() -> int:
    """Shots saved mid-job, with no job store beside the file: say so instead of spinning forever."""
    count = 0
    for obj in bpy.data.objects:
        if obj.type != "CAMERA":
            continue
        settings = obj.movie_director
        if not props.is_active(settings):
            continue
        settings.status = "INTERRUPTED"
        settings.progress_text = "Blender closed while this shot was generating; generate it again."
        settings.in_batch = False
        count += 1
    return count


HANDLERS = {
    "save_pre": _on_save_pre,
    "save_post": _on_save_post,
    "save_post_fail": _on_save_post_fail,  # 4.3+; without it a failed save would block imports until reload
    "render_init": _on_render_init,
    "render_complete": _on_render_end,
    "render_cancel": _on_render_end,
    "load_post": _on_load_post,
    "depsgraph_update_post": _on_depsgraph_update,
}


_registered = False


def _unregister_at_exit() -> None:
    # The bpy *module* (PyPI wheel) crashes (4.2) or hangs (4.5) at interpreter exit when operators or
    # handlers are still registered; Blender itself unregisters add-ons before it quits, the module does not.
    if _registered:
        unregister()


def register() -> None:
    global _registered
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    props.register_pointers()
    tool_props.register_pointers()
    menus.register()
    for name, fn in HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name, None)
        if handlers is not None and fn not in handlers:
            handlers.append(fn)
    for fn in TIMER_FUNCTIONS:
        if not bpy.app.timers.is_registered(fn):
            bpy.app.timers.register(fn, first_interval=ticker.IDLE_INTERVAL, persistent=True)
    ticker.install(_start_drain)
    package = sys.modules[__package__]
    sys.modules.setdefault(CONSOLE_ALIAS, package)
    _registered = True
    if not bpy.app.binary_path:  # running as the bpy module, not inside a Blender executable
        atexit.register(_unregister_at_exit)


def unregister() -> None:
    global _registered
    _registered = False
    atexit.unregister(_unregister_at_exit)
    for fn in TIMER_FUNCTIONS:
        if bpy.app.timers.is_registered(fn):
            bpy.app.timers.unregister(fn)
    ticker.stop()
    ticker.install(None)
    stops = (
        ("session.engine", "shutdown"),
        ("session.connection", "join"),
        ("session.wan2gp_offer", "join"),
        ("session.shot_jobs", "unregister"),
        ("session.drain", "reset"),
    )
    for name, stop in stops:
        module = _loaded(name)
        if module is not None:
            getattr(module, stop)()
    ticker.clear_busy()
    if sys.modules.get(CONSOLE_ALIAS) is sys.modules.get(__package__):
        del sys.modules[CONSOLE_ALIAS]
    for name, fn in HANDLERS.items():
        handlers = getattr(bpy.app.handlers, name, None)
        if handlers is not None and fn in handlers:
            handlers.remove(fn)
    strip_jobs = _loaded("session.strip_jobs")  # never used: nothing to undo
    if strip_jobs is not None:
        strip_jobs.unregister()
    takes = _loaded("scene.takes")
    if takes is not None:
        takes.release_previews()
    menus.unregister()
    tool_props.unregister_pointers()
    props.unregister_pointers()
    shot_ops.clear_caches()
    wan2gp_ops.clear_caches()
    strip_ops.clear_caches()
    for cls in reversed(CLASSES):
        if getattr(cls, "is_registered", True):
            bpy.utils.unregister_class(cls)
