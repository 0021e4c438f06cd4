"""Reading the preferences: the add-on's package name, the defaults, and the absolute output folder.

The preferences class itself is UI (:mod:`..ui.preferences`); every reader of today's settings goes
through :func:`get_preferences` here. Main thread only (reads ``bpy.context``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bpy

from ..backend.limits import DOWNLOAD_MAX_BYTES, MiB
from ..blender import compat

if TYPE_CHECKING:
    from ..ui.preferences import MOVIEDIR_AddonPreferences

#: The extension's package ("blender_movie_director", or "bl_ext.<repo>.blender_movie_director"): the
#: preferences' ``bl_idname`` and the key of ``context.preferences.addons``.
ADDON_PACKAGE = __package__.rpartition(".")[0]

DEFAULT_WAN2GP_URL = "http://localhost:7860"
DEFAULT_WAVESPEED_BASE_URL = "https://api.wavespeed.ai"
DEFAULT_OUTPUT_FOLDER = "//movie_director/"
CONNECTION_TIMEOUT = 10.0
#: The Download Limit preference's default: the job engine's own cap (backend/limits.py), in MB.
DOWNLOAD_LIMIT_MB = DOWNLOAD_MAX_BYTES // MiB


def get_preferences(context: bpy.types.Context | None = None) -> MOVIEDIR_AddonPreferences:
    context = context or bpy.context
    return context.preferences.addons[ADDON_PACKAGE].preferences


def blend_relative(path: str | os.PathLike[str]) -> str:
    """``path`` as Blender stores a file next to the project: ``//...`` relative to the saved .blend when it
    lies in the .blend's folder (or below), so the project folder can move or be shared; else absolute.
    Read it back with ``bpy.path.abspath``."""
    text = os.fspath(path)
    if not bpy.data.filepath or text.startswith("//"):
        return text
    try:
        target = Path(text).expanduser().resolve()
        folder = Path(bpy.data.filepath).parent.resolve()
    except (OSError, RuntimeError, ValueError):
        return text
    if not target.is_relative_to(folder):
        return text
    return "//" + target.relative_to(folder).as_posix()


def output_root(prefs: Any | None = None) -> str:
    """The output folder, absolute. ``//`` needs a saved .blend; else the extension's own folder."""
    prefs = prefs or get_preferences()
    folder = prefs.output_folder.strip() or DEFAULT_OUTPUT_FOLDER
    if folder.startswith("//"):
        if not bpy.data.filepath:
            return compat.extension_user_folder(ADDON_PACKAGE, "unsaved")
        folder = bpy.path.abspath(folder)
    return os.path.normpath(Path(folder).expanduser())
