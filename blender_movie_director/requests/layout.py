"""Layout to video: render the shot's frames from the scene into a control video and send it to VACE.

Blocked-out previs becomes the guide of the generated shot: the shot camera's view is rendered frame by
frame (Workbench solid for speed, or the scene's own engine) at the model's resolution, the frames are
encoded to an H.264 MP4 by Blender's own Sequencer, and the video goes to WanGP's VACE (``vace_1.3B`` /
``vace_14B``) with the chosen control type (depth, edges, pose, ...).

Why frame-sized steps on the main thread: ``bpy`` data can only be rendered on the main thread, and the
PyPI ``bpy`` module has no Blender binary to start a background ``blender -b`` with
(``bpy.app.binary_path`` is empty there). :class:`LayoutRender` renders one frame per :meth:`step`; the
modal operator (:mod:`..ui.layout_ops`) calls it from a timer event, so the UI stays responsive between frames
and Esc cancels; scripts, the CLI and tests call :meth:`LayoutRender.run`. Each step sets the render
settings it needs and puts the user's back before it returns, so nothing stays changed while the user works
between steps.

VACE needs 4n+1 frames (at least 17): the last rendered frame is repeated up to that count, and the
request asks WanGP to keep the control video's frame rate (``force_fps: control``), so the generated clip
has exactly the control video's frames at the scene's rate.
"""

from __future__ import annotations

import math
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..backend.files import safe_filename
from ..backend.jobs.request import PRIORITY_PREVIEW, Credentials, GenerationRequest, Quality, ShotRef
from ..blender import compat, frames
from ..scene import camera_prompt, shots, tool_props
from . import shot as shot_requests
from .envelope import envelope, shot_output_dir

MIN_FRAMES = 17


def control_frame_count(frames_: int) -> int:
    """The VACE frame count for ``frames_`` rendered frames: 4n+1 and at least 17 (never fewer frames)."""
    frames_ = max(1, frames_)
    return max(MIN_FRAMES, 4 * math.ceil((frames_ - 1) / 4) + 1)


@dataclass(frozen=True)
class LayoutPlan:
    scene: str
    shot: str
    start: int
    end: int  # inclusive
    width: int
    height: int
    engine: str  # "WORKBENCH" | "SCENE"
    folder: str
    fps: int
    fps_base: float

    @property
    def frames(self) -> int:
        return self.end - self.start + 1

    @property
    def control_frames(self) -> int:
        return control_frame_count(self.frames)

    @property
    def control_path(self) -> Path:
        return Path(self.folder) / "control.mp4"

    def frame_path(self, index: int) -> Path:
        return Path(self.folder) / "frames" / f"f_{index:05d}.png"


def plan(
    scene: bpy.types.Scene, obj: bpy.types.Object, quality: str = "PREVIEW", prefs: Any = None
) -> LayoutPlan:
    """What to render for shot ``obj``: its frame range at the resolution the model will be asked for."""
    import time

    settings = obj.movie_director
    tools = tool_props.of(obj)
    rng = shots.shot_range(scene, obj)
    size = shot_requests.wan2gp_resolution(scene, settings.resolution, quality.upper())
    width, height = (int(v) for v in size.split("x"))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(shot_output_dir(obj, prefs)) / "layout" / f"{safe_filename(obj.name, 'shot')}_{stamp}"
    return LayoutPlan(
        scene=scene.name,
        shot=obj.name,
        start=rng.start,
        end=rng.end,
        width=width,
        height=height,
        engine=tools.layout_engine,
        folder=str(folder),
        fps=scene.render.fps,
        fps_base=scene.render.fps_base,
    )


class _Settings:
    """Render settings a step changes, and puts back."""

    def __init__(self, scene: bpy.types.Scene) -> None:
        render = scene.render
        settings = render.image_settings
        self.values: list[tuple[Any, str, Any]] = []
        for owner, names in (
            (render, ("engine", "resolution_x", "resolution_y", "resolution_percentage", "use_sequencer",
                      "use_compositing", "filepath", "film_transparent")),
            (settings, ("file_format", "color_mode", "color_depth")),
            (scene, ("camera",)),
        ):  # fmt: skip
            for name in names:
                self.values.append((owner, name, getattr(owner, name)))
        self.media_type = getattr(settings, "media_type", None)
        self.settings = settings

    def restore(self) -> None:
        if self.media_type is not None:  # 5.0: the format list depends on the media type
            self.settings.media_type = self.media_type
        for owner, name, value in self.values:
            setattr(owner, name, value)


class LayoutRender:
    """Renders a :class:`LayoutPlan` one frame per :meth:`step`, then :meth:`finish` encodes the video."""

    def __init__(self, layout: LayoutPlan) -> None:
        self.plan = layout
        self.next_frame = layout.start
        self.rendered = 0
        Path(layout.folder, "frames").mkdir(parents=True, exist_ok=True)

    @property
    def done(self) -> bool:
        return self.next_frame > self.plan.end

    @property
    def fraction(self) -> float:
        return self.rendered / max(1, self.plan.frames)

    def _scene_and_camera(self) -> tuple[bpy.types.Scene, bpy.types.Object]:
        scene = bpy.data.scenes.get(self.plan.scene)
        obj = shots.find_shot(self.plan.shot)
        if scene is None or obj is None:
            raise RuntimeError(
                f"The shot '{self.plan.shot}' or its scene is gone; the layout render stopped."
            )
        return scene, obj

    def step(self) -> bool:
        """Render the next frame; True once every frame is rendered."""
        if self.done:
            return True
        scene, obj = self._scene_and_camera()
        saved = _Settings(scene)
        current, subframe = scene.frame_current, scene.frame_subframe
        try:
            render = scene.render
            if self.plan.engine == "WORKBENCH":
                render.engine = "BLENDER_WORKBENCH"
                render.use_compositing = False
            render.resolution_x, render.resolution_y = self.plan.width, self.plan.height
            render.resolution_percentage = 100
            render.use_sequencer = False  # the 3D scene, not the edit
            render.film_transparent = False
            settings = render.image_settings
            if hasattr(settings, "media_type"):
                settings.media_type = "IMAGE"
            settings.file_format, settings.color_mode, settings.color_depth = "PNG", "RGB", "8"
            scene.camera = obj
            frames.render_still(scene, self.plan.frame_path(self.rendered), frame=self.next_frame)
        finally:
            saved.restore()
            scene.frame_set(current, subframe=subframe)
        self.rendered += 1
        self.next_frame += 1
        return self.done

    def finish(self) -> Path:
        """Pad to the VACE frame count and encode the control video (H.264 MP4, the scene's frame rate)."""
        if not self.done:
            raise RuntimeError("The layout is not fully rendered yet.")
        last = self.plan.frame_path(self.rendered - 1)
        for index in range(self.rendered, self.plan.control_frames):
            shutil.copyfile(last, self.plan.frame_path(index))
        return encode_frames(
            [self.plan.frame_path(i) for i in range(self.plan.control_frames)],
            self.plan.control_path,
            width=self.plan.width,
            height=self.plan.height,
            fps=self.plan.fps,
            fps_base=self.plan.fps_base,
        )

    def run(self) -> Path:
        """Render every frame and encode (blocking: for scripts, ``blender -b`` and tests)."""
        while not self.step():
            pass
        return self.finish()


def encode_frames(
    paths: list[Path], out: Path, *, width: int, height: int, fps: int, fps_base: float = 1.0
) -> Path:
    """PNG frames (one folder) -> H.264 MP4 with Blender's own encoder."""
    if not paths:
        raise ValueError("No frames to encode.")
    with frames.temp_scene(width, height, frames.TEMP_SCENE_PREFIX + "_encode") as scene:
        scene.render.fps, scene.render.fps_base = fps, fps_base
        top = compat.top_level_strips(compat.sequence_editor(scene))
        strip = top.new_image(name="frames", filepath=str(paths[0]), channel=1, frame_start=1)
        for path in paths[1:]:
            strip.elements.append(path.name)
        scene.frame_start, scene.frame_end = 1, len(paths)
        compat.set_video_output(scene, "MPEG4", "H264")
        return frames.render_to(scene, out, "the control video", animation=True)


def build_request(
    obj: bpy.types.Object,
    scene: bpy.types.Scene,
    layout: LayoutPlan,
    control: Path,
    quality: str = "PREVIEW",
    prefs: Any = None,
    seed: int | None = None,
) -> tuple[GenerationRequest, Credentials]:
    """The VACE request for a rendered layout (Wan2GP only: VACE is a WanGP model family)."""
    from ..backend.wan2gp.catalog import CONTROL_MODES, get_model
    from ..scene.config import get_preferences

    prefs = prefs or get_preferences()
    tools = tool_props.of(obj)
    settings = obj.movie_director
    model = tools.layout_model
    seed = random.randint(0, shot_requests.SEED_MAX) if seed is None else seed
    values: dict[str, Any] = {
        "resolution": f"{layout.width}x{layout.height}",
        "video_length": layout.control_frames,
        "seed": seed,
        "video_prompt_type": CONTROL_MODES[tools.control_type],
        "extra": {"force_fps": "control"},
    }
    info = get_model(model)
    if quality.upper() == "PREVIEW" and info is not None and info.default_steps > 8:
        values["num_inference_steps"] = max(8, round(info.default_steps * 0.4))
    shot = ShotRef(scene=scene.name, shot=obj.name, strip=settings.strip_name)
    return envelope("WAN2GP", shot=shot, obj=obj, prefs=prefs).request(
        model=model,
        prompt=camera_prompt.prompt_for(obj, scene, settings.prompt.strip(), model),
        negative_prompt=settings.negative_prompt.strip(),
        settings=values,
        inputs={"video_guide": str(control)},
        quality=Quality(quality.lower()),
        priority=PRIORITY_PREVIEW,
        label=f"{obj.name} · layout to video ({tools.control_type})",
    )


def why_not(obj: Any, prefs: Any) -> str:
    """Why layout to video cannot run for ``obj`` now ("" when it can)."""
    if not shots.is_shot(obj):
        return "Select a camera: each camera is a shot"
    if not obj.movie_director.prompt.strip():
        return f"Shot '{obj.name}' has no prompt: describe what happens in it"
    return shots.offline_reason() or shots.backend_reason("WAN2GP", prefs)
