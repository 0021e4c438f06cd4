"""The Layout to Video operator: renders the layout one frame per timer tick (modal), then queues VACE.

In the UI the render runs as a modal operator: each timer event renders one frame, so Blender redraws and
takes input between frames; Esc (or right click) cancels and removes nothing but the partial frames'
use. Without an event loop (``blender -b``, the ``bpy`` module, the CLI) ``execute`` renders everything in
one go. See :mod:`..requests.layout` for why the render is not a background process.
"""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty, StringProperty

from ..backend.lazy import lazy_module
from ..scene import tool_props
from ..scene.config import get_preferences
from ..scene.props import QUALITY_ITEMS

# Loaded when a button or panel first runs, not when the extension is enabled.
layout_requests = lazy_module("..requests.layout", __package__)
shots = lazy_module("..scene.shots", __package__)
strip_jobs = lazy_module("..session.strip_jobs", __package__)

TICK_SECONDS = 0.01


def submit(obj: Any, scene: Any, layout: Any, control: Any, quality: str = "PREVIEW") -> Any:
    """Queue the VACE job; its clip becomes a take of the shot and replaces the shot's strip in place."""
    request, credentials = layout_requests.build_request(obj, scene, layout, control, quality)
    settings = obj.movie_director
    target = bpy.data.scenes.get(settings.target_scene) or scene
    return strip_jobs.submit(
        request, credentials, action="layout", scene=target.name, shot=obj.name, strip=settings.strip_name,
        place="replace", frame=layout.start, quality=quality.lower(),
    )  # fmt: skip


class MOVIEDIR_OT_layout_to_video(bpy.types.Operator):
    """Render the shot's layout (its camera view over its frames) into a control video and generate the
    shot from it with VACE: blocked-out previs becomes the guide"""

    bl_idname = "moviedir.layout_to_video"
    bl_label = "Layout to Video"
    bl_options = {"REGISTER"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    quality: EnumProperty(name="Quality", items=QUALITY_ITEMS, default="PREVIEW")

    _render: Any = None
    _timer: Any = None

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        reason = layout_requests.why_not(shots.active_shot(context), get_preferences(context))
        if reason:
            cls.poll_message_set(reason)
            return False
        return True

    def _shot(self, context: bpy.types.Context) -> Any:
        return shots.find_shot(self.shot) if self.shot else shots.active_shot(context)

    def _start(self, context: bpy.types.Context) -> tuple[Any, Any] | None:
        obj = self._shot(context)
        reason = layout_requests.why_not(obj, get_preferences(context))
        if reason:
            self.report({"ERROR"}, reason)
            return None
        scene = shots.scene_of(obj, context)
        self.shot = obj.name  # the modal steps follow this shot even if the active one changes
        self._render = layout_requests.LayoutRender(layout_requests.plan(scene, obj, self.quality))
        return obj, scene

    def _status(self, obj: Any, text: str, fraction: float) -> None:
        tools = tool_props.of(obj)
        tools.layout_status, tools.layout_progress = text, fraction

    def _submit(self, obj: Any, scene: Any) -> set[str]:
        try:
            control = self._render.finish()
            job = submit(obj, scene, self._render.plan, control, self.quality)
        except (OSError, RuntimeError, ValueError) as exc:
            self._status(obj, f"Failed: {exc}", 0.0)
            self.report({"ERROR"}, f"Layout to video failed: {exc}")
            return {"CANCELLED"}
        plan = self._render.plan
        self._status(obj, f"Control video: {plan.control_frames} frames; VACE queued", 1.0)
        self.report({"INFO"}, f"{obj.name}: layout rendered ({plan.frames} frames), {job.label} queued")
        return {"FINISHED"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        started = self._start(context)
        if started is None:
            return {"CANCELLED"}
        obj, scene = started
        try:
            while not self._render.step():
                pass
        except RuntimeError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return self._submit(obj, scene)

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        started = self._start(context)
        if started is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(TICK_SECONDS, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 100)
        self._status(started[0], "Rendering the layout", 0.0)
        return {"RUNNING_MODAL"}

    def _end(self, context: bpy.types.Context) -> None:
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()

    def modal(self, context: bpy.types.Context, event: Any) -> set[str]:
        obj = self._shot(context)
        if event.type in {"ESC", "RIGHTMOUSE"} or obj is None:
            self._end(context)
            if obj is not None:
                self._status(obj, "Layout render cancelled", 0.0)
            self.report({"WARNING"}, "Layout render cancelled")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            finished = self._render.step()
        except RuntimeError as exc:
            self._end(context)
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        plan = self._render.plan
        self._status(
            obj,
            f"Rendering the layout: frame {self._render.rendered} of {plan.frames}",
            self._render.fraction,
        )
        context.window_manager.progress_update(int(self._render.fraction * 100))
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        if not finished:
            return {"RUNNING_MODAL"}
        self._end(context)
        return self._submit(obj, shots.scene_of(obj, context))


classes = (MOVIEDIR_OT_layout_to_video,)
