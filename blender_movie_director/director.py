"""Registration of the director tools (strip menu, takes, camera motion, layout to video, storyboard).

registration.py registers :data:`CLASSES` with the rest and calls :func:`register` after the pointers
exist and :func:`unregister` before they go. Their job handling (:mod:`.director_jobs`) joins the drain
when the ticker starts.
"""

from __future__ import annotations

from . import director_ops, director_panels, director_props, layout_ops, menus
from .backend.lazy import loaded

CLASSES: tuple[type, ...] = (
    *director_props.CLASSES,
    *director_ops.CLASSES,
    *layout_ops.CLASSES,
    *menus.CLASSES,
    *director_panels.CLASSES,
)


def register() -> None:
    director_props.register_pointers()
    menus.register()


def unregister() -> None:
    director_jobs = loaded(f"{__package__}.director_jobs")  # never used: nothing to undo
    if director_jobs is not None:
        director_jobs.unregister()
    takes = loaded(f"{__package__}.takes")
    if takes is not None:
        takes.release_previews()
    menus.unregister()
    director_props.unregister_pointers()
