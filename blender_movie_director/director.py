"""Registration of the director tools (strip menu, takes, camera motion, layout to video, storyboard).

registration.py registers :data:`CLASSES` with the rest and calls :func:`register` after the pointers
exist and :func:`unregister` before they go.
"""

from __future__ import annotations

from . import director_jobs, director_ops, director_panels, director_props, layout_ops, menus, takes

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
    director_jobs.register()


def unregister() -> None:
    director_jobs.unregister()
    menus.unregister()
    takes.release_previews()
    director_props.unregister_pointers()
