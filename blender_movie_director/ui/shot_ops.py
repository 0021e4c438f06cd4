"""Operators (``moviedir.*``): thin. They check, explain why a button is grey, and call :mod:`.submit`.

Nothing here waits for a server: generation runs in the job engine's threads and the drain timer brings
the results back.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from ..backend.lazy import lazy_module
from ..blender import compat, ticker
from ..scene import catalogs, props
from ..scene.config import get_preferences
from ..scene.props import QUALITY_ITEMS

# Loaded when a button or panel first runs, not when the extension is enabled.
shots = lazy_module("..scene.shots", __package__)
submit = lazy_module("..session.submit", __package__)
wan2gp_offer = lazy_module("..session.wan2gp_offer", __package__)
takes = lazy_module("..scene.takes", __package__)


def _shot(context: bpy.types.Context, name: str = "") -> bpy.types.Object | None:
    return shots.find_shot(name) if name else shots.active_shot(context)


def _scene_ready(cls: type, context: bpy.types.Context) -> bool:
    if context.scene is None:
        cls.poll_message_set("No scene")
        return False
    return True


def poll_shot(cls: type, context: bpy.types.Context) -> bool:
    """The poll of a button that works on the active shot (also used by the director tools' operators)."""
    if shots.active_shot(context) is None:
        cls.poll_message_set("Select a camera: each camera is a shot")
        return False
    return True


class MOVIEDIR_OT_generate_shot(bpy.types.Operator):
    """Generate a clip for the shot and cut it into the Sequencer at the shot's frame"""

    bl_idname = "moviedir.generate_shot"
    bl_label = "Generate Shot"
    bl_options = {"REGISTER"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    quality: EnumProperty(name="Quality", items=QUALITY_ITEMS, default="PREVIEW")

    @classmethod
    def description(cls, context: bpy.types.Context, properties: bpy.types.OperatorProperties) -> str:
        if properties.quality == "FINAL":
            return "Generate the shot at full quality and cut it into the Sequencer"
        return "Generate a fast, small preview of the shot and cut it into the Sequencer"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not _scene_ready(cls, context):
            return False
        reason = shots.why_not_generate(shots.active_shot(context), get_preferences(context))
        if reason:
            cls.poll_message_set(reason)
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None:
            self.report({"ERROR"}, f"No camera named '{self.shot}'" if self.shot else "No active shot")
            return {"CANCELLED"}
        try:
            done = submit.submit_shot(obj, self.quality, context=context)
        except submit.ShotNotReadyError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        backend = catalogs.backend_label(done.backend)
        self.report({"INFO"}, f"{obj.name}: {self.quality.lower()} queued on {backend} (seed {done.seed})")
        return {"FINISHED"}


_MODEL_ITEMS: dict[str, list[tuple[str, str, str]]] = {}


def _model_items(self: bpy.types.Operator, context: bpy.types.Context | None) -> list[tuple[str, str, str]]:
    # Blender keeps pointers to these strings: the lists must stay alive, hence the cache.
    backend = self.backend if self.backend else "WAN2GP"
    if backend == "WAN2GP":
        return _wan2gp_items(context)
    items = _MODEL_ITEMS.get(backend)
    if items is None:
        items = _MODEL_ITEMS[backend] = list(catalogs.models_for(backend))
    return items


def _wan2gp_items(context: bpy.types.Context | None) -> list:
    """Wan2GP models grouped by what they take, marked with what the server said (the session's cache;
    no network here: this runs while Blender draws the popup)."""
    offer = wan2gp_offer.current(get_preferences(context))
    key = f"WAN2GP@{offer.fetched_at if offer else 0.0}"
    items = _MODEL_ITEMS.get(key)
    if items is None:
        available = offer.available if offer is not None else (lambda _model: None)
        extra = [(m.model_type, m.name) for m in offer.models.values()] if offer is not None else []
        items = _MODEL_ITEMS[key] = catalogs.wan2gp_picker_items(available, extra)
    return items


class MOVIEDIR_OT_choose_model(bpy.types.Operator):
    """Pick the model from the backend's catalog (type to search)"""

    bl_idname = "moviedir.choose_model"
    bl_label = "Choose Model"
    bl_options = {"REGISTER", "UNDO"}
    bl_property = "model"

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    backend: StringProperty(name="Backend", options={"HIDDEN"})
    model: EnumProperty(name="Model", items=_model_items)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_shot(cls, context)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None:
            return {"CANCELLED"}
        self.backend = obj.movie_director.backend
        prefs = get_preferences(context)
        if self.backend == "WAN2GP" and wan2gp_offer.current(prefs) is None and not shots.offline_reason():
            wan2gp_offer.refresh(prefs, [props.shot_model(obj.movie_director)])  # marks show from next time
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None:
            self.report({"ERROR"}, "No active shot")
            return {"CANCELLED"}
        if self.backend and self.backend != obj.movie_director.backend:
            self.report({"ERROR"}, "The shot's backend changed while choosing; choose again")
            return {"CANCELLED"}
        props.set_shot_model(obj.movie_director, self.model)
        self.report({"INFO"}, f"{obj.name}: {catalogs.model_label(obj.movie_director.backend, self.model)}")
        return {"FINISHED"}


def batch_question(context: bpy.types.Context, quality: str) -> str:
    """What Preview All / Final All asks before queueing ("" when the batch's estimate is at most the
    "Confirm Batches Above ($)" preference and every price is known): the estimate and the project's spend."""
    from ..scene import budget

    estimate = submit.batch_estimate(context.scene, quality, context=context)
    if estimate.usd <= get_preferences(context).confirm_batch_above and not estimate.unknown:
        return ""
    return f"{estimate.text()}. {budget.summary(context.scene)}."


class MOVIEDIR_OT_generate_all(bpy.types.Operator):
    """Generate every shot of the scene that has a prompt (one job each; they run as the backends allow)"""

    bl_idname = "moviedir.generate_all"
    bl_label = "Generate All Shots"
    bl_options = {"REGISTER"}

    quality: EnumProperty(name="Quality", items=QUALITY_ITEMS, default="PREVIEW")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if not _scene_ready(cls, context):
            return False
        offline = shots.offline_reason()
        if offline:
            cls.poll_message_set(offline)
            return False
        cams = shots.scene_shots(context.scene)
        if not cams:
            cls.poll_message_set("The scene has no cameras: add a camera for each shot")
            return False
        if not any(c.movie_director.prompt.strip() and not props.is_active(c.movie_director) for c in cams):
            cls.poll_message_set("No shot is ready: give the shots prompts (or wait for the running ones)")
            return False
        return True

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        """Show the batch's estimated cost first and ask above the preference's threshold (issue 18)."""
        message = batch_question(context, self.quality)
        if not message:
            return self.execute(context)
        return context.window_manager.invoke_confirm(
            self, event, title=f"Queue {self.quality.title()} All?", message=message, confirm_text="Queue"
        )

    def execute(self, context: bpy.types.Context) -> set[str]:
        try:
            submitted, skipped = submit.submit_all(context.scene, self.quality, context=context)
        except submit.ShotNotReadyError as exc:  # over the budget: nothing was queued
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        for reason in skipped:
            self.report({"WARNING"}, reason)
        if not submitted:
            self.report({"ERROR"}, "No shot could be queued")
            return {"CANCELLED"}
        self.report({"INFO"}, f"{len(submitted)} shot(s) queued ({self.quality.lower()})")
        return {"FINISHED"}


class MOVIEDIR_OT_cancel_shot(bpy.types.Operator):
    """Stop the shot's generation (a paid WaveSpeed task that already started is only abandoned)"""

    bl_idname = "moviedir.cancel_shot"
    bl_label = "Cancel"
    bl_options = {"REGISTER"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj = shots.active_shot(context)
        if obj is None or not props.is_active(obj.movie_director):
            cls.poll_message_set("The shot is not generating")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None or not props.is_active(obj.movie_director):
            self.report({"WARNING"}, "That shot is not generating")
            return {"CANCELLED"}
        self.report({"INFO"}, submit.cancel_shot(obj))
        return {"FINISHED"}


class MOVIEDIR_OT_cancel_all(bpy.types.Operator):
    """Stop every running generation of the scene"""

    bl_idname = "moviedir.cancel_all"
    bl_label = "Cancel All"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.scene is None or not any(
            props.is_active(c.movie_director) for c in shots.scene_shots(context.scene)
        ):
            cls.poll_message_set("No shot is generating")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        running = [c for c in shots.scene_shots(context.scene) if props.is_active(c.movie_director)]
        for obj in running:
            submit.cancel_shot(obj)
        self.report({"INFO"}, f"Cancelling {len(running)} shot(s)")
        return {"FINISHED"}


class MOVIEDIR_OT_fetch_result(bpy.types.Operator):
    """Fetch the failed shot's result from the service again by its task id (nothing is submitted or billed
    again)"""

    bl_idname = "moviedir.fetch_result"
    bl_label = "Fetch Result"
    bl_options = {"REGISTER"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        reason = submit.fetch_reason(shots.active_shot(context))
        if reason:
            cls.poll_message_set(reason)
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        try:
            submit.fetch_result(obj, context=context)
        except submit.ShotNotReadyError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"{obj.name}: fetching task {obj.movie_director.remote_id}")
        return {"FINISHED"}


def _take(context: bpy.types.Context, index: int = -1) -> tuple[bpy.types.Object | None, object | None]:
    obj = shots.active_shot(context)
    if obj is None or not obj.movie_director.takes:
        return obj, None
    settings = obj.movie_director
    i = settings.active_take_index if index < 0 else index
    if not 0 <= i < len(settings.takes):
        return obj, None
    return obj, settings.takes[i]


class MOVIEDIR_OT_open_result(bpy.types.Operator):
    """Open the shot's clip in the system's video player"""

    bl_idname = "moviedir.open_result"
    bl_label = "Open Result"
    bl_options = {"REGISTER"}

    index: IntProperty(name="Take", default=-1, description="Take index (-1: the active take)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        _obj, take = _take(context)
        if take is None:
            cls.poll_message_set("The shot has no generated clip yet")
            return False
        if not takes.own_clip(take):
            cls.poll_message_set(takes.why_not_open(take) or "The clip cannot be opened")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        _obj, take = _take(context, self.index)
        if take is None:
            self.report({"ERROR"}, "No clip to open")
            return {"CANCELLED"}
        # The path comes from the .blend: open it only if it is a video this extension wrote (a .blend
        # naming payload.sh or an .exe would otherwise have the system run it).
        reason = takes.why_not_open(take)
        if reason:
            self.report({"ERROR"}, reason)
            return {"CANCELLED"}
        bpy.ops.wm.path_open(filepath=takes.own_clip(take))
        return {"FINISHED"}


class MOVIEDIR_OT_use_take(bpy.types.Operator):
    """Make this take the shot's current take: its strip shows the clip in place (start, channel, length
    kept)"""

    bl_idname = "moviedir.use_take"
    bl_label = "Use Take"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    index: IntProperty(name="Take", default=-1, description="Take index (-1: the active take)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj, take = _take(context)
        if take is None:
            cls.poll_message_set("The shot has no takes yet")
            return False
        if ticker.is_busy():
            cls.poll_message_set("Wait until the file is saved or the render ends")
            return False
        if props.is_active(obj.movie_director):
            cls.poll_message_set("The shot is generating; wait or cancel it first")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        settings = obj.movie_director if obj is not None else None
        index = -1 if settings is None else settings.active_take_index if self.index < 0 else self.index
        if settings is None or not 0 <= index < len(settings.takes):
            self.report({"ERROR"}, "No such take")
            return {"CANCELLED"}
        if props.is_active(settings):
            self.report({"ERROR"}, f"{obj.name} is generating; wait or cancel it first")
            return {"CANCELLED"}
        take = settings.takes[index]
        if not Path(bpy.path.abspath(take.filepath)).is_file():
            self.report({"ERROR"}, "That take's file is missing")
            return {"CANCELLED"}
        try:
            swap = takes.make_current(obj, index, context)  # keeps the strip's position and length
        except (OSError, RuntimeError, ValueError, KeyError, IndexError) as exc:
            self.report({"ERROR"}, f"The take could not be used: {exc}")
            return {"CANCELLED"}
        note = f" ({swap.note})" if swap and swap.note else ""
        self.report({"INFO"}, f"{obj.name}: now showing {take.name}{note}")
        return {"FINISHED"}


class MOVIEDIR_OT_add_shot(bpy.types.Operator):
    """Add a camera as a new shot starting at the current frame (with a timeline marker bound to it)"""

    bl_idname = "moviedir.add_shot"
    bl_label = "Add Shot"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _scene_ready(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        number = len(shots.scene_shots(scene)) + 1
        name = f"Shot_{number * 10:03d}"
        data = bpy.data.cameras.new(name)
        obj = bpy.data.objects.new(name, data)
        scene.collection.objects.link(obj)
        marker = scene.timeline_markers.new(obj.name, frame=scene.frame_current)
        marker.camera = obj
        if scene.camera is None:
            scene.camera = obj
        scene.movie_director.active_shot_index = list(scene.objects).index(obj)
        self.report({"INFO"}, f"Added {obj.name} at frame {scene.frame_current}")
        return {"FINISHED"}


class MOVIEDIR_OT_allow_online_access(bpy.types.Operator):
    """Allow Blender's online access (Preferences > System > Network) so Movie Director can reach servers"""

    bl_idname = "moviedir.allow_online_access"
    bl_label = "Allow Online Access"
    bl_options = {"REGISTER", "INTERNAL"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if compat.online_access_overridden():
            cls.poll_message_set(shots.OFFLINE_OVERRIDE_HINT)
            return False
        if compat.online_access():
            cls.poll_message_set("Online access is already allowed")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        context.preferences.system.use_online_access = True
        self.report({"INFO"}, "Online access allowed (Preferences > System > Network)")
        return {"FINISHED"}


classes = (
    MOVIEDIR_OT_generate_shot,
    MOVIEDIR_OT_choose_model,
    MOVIEDIR_OT_generate_all,
    MOVIEDIR_OT_cancel_shot,
    MOVIEDIR_OT_cancel_all,
    MOVIEDIR_OT_fetch_result,
    MOVIEDIR_OT_open_result,
    MOVIEDIR_OT_use_take,
    MOVIEDIR_OT_add_shot,
    MOVIEDIR_OT_allow_online_access,
)


def clear_caches() -> None:
    _MODEL_ITEMS.clear()
