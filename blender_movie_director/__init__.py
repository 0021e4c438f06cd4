"""Movie Director: turn the shots of a Blender scene into AI-generated clips cut into the VSE.

Importing this package does not import ``bpy`` or any heavy dependency, so the bpy-free ``backend``
subpackage can be used (and tested) in plain Python. Blender calls :func:`register` / :func:`unregister`.

The console API (``generate_shot``, ``generate_all``, ``jobs``, ``cancel``, ``wait``, ``quick_video``,
``ai_video_generate``) is loaded on first use of one of those names; see :mod:`.api` and docs/api.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_API_NAMES = frozenset(
    {
        "Cinematographer",
        "Job",
        "ShotNotReadyError",
        "Wan2GPCinematographer",
        "Wan2GPConfigTemplates",
        "add_cast_member",
        "ai_video_generate",
        "cancel",
        "cast_in_shot",
        "discard_jobs",
        "fetch_result",
        "finish",
        "generate_all",
        "generate_shot",
        "get_scene_shots",
        "jobs",
        "list_loras",
        "list_models",
        "quick_video",
        "render_cast_references",
        "resume",
        "set_budget",
        "spent",
        "wait",
        "wan2gp_client",
    }
)


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        api = importlib.import_module(".api", __name__)
        return getattr(api, name)
    if name == "cli":  # inside Blender: import movie_director as md; md.cli.main() (docs/director-tools.md)
        return importlib.import_module(".cli", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API_NAMES})


def register() -> None:
    from . import registration

    registration.register()


def unregister() -> None:
    from . import registration

    registration.unregister()
