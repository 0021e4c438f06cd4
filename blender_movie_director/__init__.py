"""Movie Director: turn the shots of a Blender scene into AI-generated clips cut into the VSE.

Importing this package does not import ``bpy`` or any heavy dependency, so the bpy-free ``backend``
subpackage can be used (and tested) in plain Python. Blender calls :func:`register` / :func:`unregister`.
"""

from __future__ import annotations


def register() -> None:
    from . import registration

    registration.register()


def unregister() -> None:
    from . import registration

    registration.unregister()
