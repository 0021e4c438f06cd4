"""Per-shot settings of the director tools, on ``Object.movie_director_tools`` (a camera is a shot).

Kept apart from the shot settings (``Object.movie_director``, :mod:`.props`) because they belong to other
features: the camera-motion words appended to the prompt, and layout-to-video (VACE) options.
No secrets here (saved with the .blend).
"""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, PointerProperty, StringProperty

#: What the director tools' operators offer (kept here, with the other choices, so that defining the
#: operators does not load the modules that carry them out).
RETAKE_MODES = (
    ("replace_video", "Video", "Replace the picture in the section, keep the sound"),
    ("replace_audio", "Audio", "Replace the sound in the section, keep the picture"),
    ("replace_audio_and_video", "Audio and Video", "Replace both in the section"),
)
MAX_VARIATIONS = 8
CELL_WIDTH = 320  # storyboard cell width in pixels

#: WanGP's VACE control types (``backend.wan2gp.catalog.CONTROL_MODES``), as the UI offers them.
CONTROL_ITEMS = (
    ("depth", "Depth", "Follow the layout's depth (WanGP extracts a depth map from the control video)"),
    ("canny", "Edges", "Follow the layout's outlines (Canny edges)"),
    ("pose", "Pose", "Follow the poses of figures in the layout"),
    ("shapes", "Shapes", "Follow the layout's shapes"),
    ("flow", "Motion", "Follow the layout's motion (optical flow)"),
    ("raw", "Raw Picture", "Use the rendered layout as it is"),
    ("recolor", "Recolor", "Keep the layout's picture and restyle its colours"),
    ("pose_depth", "Pose + Depth", "Follow poses and depth"),
)
VACE_MODEL_ITEMS = (
    ("vace_1.3B", "VACE 1.3B", "Wan 2.1 VACE 1.3B: fast, small GPUs"),
    ("vace_14B", "VACE 14B", "Wan 2.1 VACE 14B: best quality, large GPUs"),
)
LAYOUT_ENGINE_ITEMS = (
    ("WORKBENCH", "Solid (fast)", "Render the layout with Workbench solid shading: quick, enough as a guide"),
    ("SCENE", "Scene's Engine", "Render the layout with the scene's own render engine and settings"),
)

# Writes by the extension itself must not count as the user editing the words.
_writing = False


def _motion_edited(self: Any, context: bpy.types.Context) -> None:
    if not _writing:
        self.camera_motion_auto = False


def write_motion(settings: Any, words: str, summary: str) -> None:
    """Set the machine-made motion words (keeps them following the camera)."""
    global _writing
    _writing = True
    try:
        settings.camera_motion = words
        settings.camera_moves = summary
        settings.camera_motion_auto = True
    finally:
        _writing = False


class MOVIEDIR_DirectorSettings(bpy.types.PropertyGroup):
    use_camera_motion: BoolProperty(
        name="Camera Motion in Prompt",
        description="Describe the camera's animation over the shot in words and add them to the prompt",
        default=True,
    )
    camera_motion: StringProperty(
        name="Camera Motion",
        description=(
            "Words added to the prompt, read from the camera's animation. Edit them freely; "
            "'Read Camera' writes them again from the animation"
        ),
        update=_motion_edited,
    )
    camera_motion_auto: BoolProperty(
        name="Follow Camera",
        description="The words are rewritten from the camera's animation before each generation",
        default=True,
    )
    camera_moves: StringProperty(name="Moves", description="The moves found in the camera's animation")
    layout_model: EnumProperty(name="VACE Model", items=VACE_MODEL_ITEMS, default="vace_1.3B")
    control_type: EnumProperty(
        name="Control", items=CONTROL_ITEMS, default="depth",
        description="How the generated shot follows the rendered layout",
    )  # fmt: skip
    layout_engine: EnumProperty(name="Layout Render", items=LAYOUT_ENGINE_ITEMS, default="WORKBENCH")
    layout_progress: FloatProperty(name="Layout Progress", min=0.0, max=1.0, subtype="FACTOR")
    layout_status: StringProperty(name="Layout Status")


classes = (MOVIEDIR_DirectorSettings,)
POINTER = "movie_director_tools"


def register_pointers() -> None:
    setattr(bpy.types.Object, POINTER, PointerProperty(type=MOVIEDIR_DirectorSettings))


def unregister_pointers() -> None:
    if hasattr(bpy.types.Object, POINTER):
        delattr(bpy.types.Object, POINTER)


def of(obj: Any) -> MOVIEDIR_DirectorSettings:
    return getattr(obj, POINTER)
