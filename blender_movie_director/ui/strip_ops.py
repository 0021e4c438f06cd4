"""Operators of the director tools: the strip actions of the Sequencer's context menu, takes, camera
motion and the storyboard. Layout to video has its own (modal) operator in :mod:`.layout_ops`.

Thin, like operators.py: they check (``poll`` says why a button is grey), build requests with
:mod:`.director_requests` and hand them to :mod:`.director_jobs`; nothing waits for a server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy.props import EnumProperty, FloatProperty, IntProperty, StringProperty

from ..backend.lazy import lazy_module
from ..blender import compat
from ..scene import catalogs, props, tool_props
from ..scene.config import get_preferences
from .shot_ops import poll_shot

# Loaded when a button or panel first runs, not when the extension is enabled.
camera_prompt = lazy_module("..scene.camera_prompt", __package__)
budget = lazy_module("..session.budget", __package__)
engine = lazy_module("..session.engine", __package__)
strip_jobs = lazy_module("..session.strip_jobs", __package__)
strip_requests = lazy_module("..requests.strip", __package__)
frames = lazy_module("..blender.frames", __package__)
shots = lazy_module("..scene.shots", __package__)
storyboard = lazy_module("..scene.storyboard", __package__)
wan2gp_offer = lazy_module("..session.wan2gp_offer", __package__)
takes = lazy_module("..scene.takes", __package__)
vse = lazy_module("..blender.vse", __package__)

BACKEND_ITEMS = (
    ("WAN2GP", catalogs.BACKEND_LABELS["WAN2GP"], "Wan2GP image to video (i2v)"),
    (
        "WAVESPEED",
        catalogs.BACKEND_LABELS["WAVESPEED"],
        "HunyuanVideo 1.5 image to video on WaveSpeed (billed per clip)",
    ),
)


def sequencer_scene(context: bpy.types.Context) -> bpy.types.Scene:
    return compat.sequencer_scene(context)


def context_strip(context: bpy.types.Context, name: str = "") -> Any:
    """The strip named ``name``, else the active strip of the Sequencer's scene."""
    scene = sequencer_scene(context)
    editor = scene.sequence_editor if scene is not None else None
    if name:
        return compat.all_strips(editor).get(name) if editor is not None else None
    strip = compat.active_strip(context)
    if strip is None and editor is not None:
        strip = editor.active_strip
    return strip


def is_ours(strip: Any) -> bool:
    """Made by Movie Director (a shot's strip, or a clip of a director action)."""
    return strip is not None and any(key.startswith(vse.PREFIX) for key in strip.keys())  # noqa: SIM118


def _poll_strip(cls: type, context: bpy.types.Context, types: tuple[str, ...] = ("MOVIE",)) -> Any:
    strip = context_strip(context)
    if strip is None:
        cls.poll_message_set("Select a strip")
        return None
    if strip.type not in types:
        kinds = " or ".join(t.lower() for t in types)
        cls.poll_message_set(f"Works on {kinds} strips")
        return None
    return strip


def _submit(op: bpy.types.Operator, planned: list[Any], scene: Any, **fields: Any) -> list[Any]:
    return [
        strip_jobs.submit(p.request, p.credentials, scene=scene.name, shot=p.shot, **fields) for p in planned
    ]


class _StripAction:
    strip: StringProperty(name="Strip", description="Strip name (empty: the active strip)")

    def resolve(self, context: bpy.types.Context) -> tuple[Any, Any]:
        strip = context_strip(context, self.strip)
        if strip is None:
            raise strip_requests.ActionError(
                f"No strip named '{self.strip}'" if self.strip else "Select a strip."
            )
        return strip, sequencer_scene(context)

    def run(self, context: bpy.types.Context) -> set[str]:
        try:
            return self.act(context, *self.resolve(context))
        except (strip_requests.ActionError, engine.OutputFolderError, budget.BudgetError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        return self.run(context)

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        raise NotImplementedError


class MOVIEDIR_OT_strip_regenerate(_StripAction, bpy.types.Operator):
    """Generate the strip's clip again with the same settings and a new seed; it replaces the clip in place"""

    bl_idname = "moviedir.strip_regenerate"
    bl_label = "Regenerate"
    bl_options = {"REGISTER"}

    count: IntProperty(
        name="Takes", default=1, min=1, max=tool_props.MAX_VARIATIONS,
        description="How many new takes (more than one: variations, kept as takes; the strip is unchanged)",
    )  # fmt: skip

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = _poll_strip(cls, context)
        if strip is None:
            return False
        if takes.shot_of_strip(strip) is None and strip_requests.stored_request(strip) is None:
            cls.poll_message_set("This strip was not made by Movie Director: there are no settings to repeat")
            return False
        return True

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        if self.count > 1:
            return context.window_manager.invoke_props_dialog(self)
        return self.execute(context)

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        planned = strip_requests.regenerate(strip, scene, self.count)
        if self.count == 1:
            _submit(self, planned, scene, action="regenerate", strip=strip.name, place="replace",
                    frame=int(strip.frame_final_start))  # fmt: skip
            self.report({"INFO"}, f"{strip.name}: regenerating (new seed)")
        else:
            if not planned[0].shot:
                raise strip_requests.ActionError(
                    "Variations are kept as takes of a shot: use them on a shot's strip."
                )
            _submit(self, planned, scene, action="variation", strip=strip.name, place="take")
            self.report({"INFO"}, f"{strip.name}: {self.count} variations queued (they appear as takes)")
        return {"FINISHED"}


class MOVIEDIR_OT_strip_switch_take(_StripAction, bpy.types.Operator):
    """Show the shot's previous or next take in this strip (same position and length)"""

    bl_idname = "moviedir.strip_switch_take"
    bl_label = "Switch Take"
    bl_options = {"REGISTER", "UNDO"}

    direction: IntProperty(name="Direction", default=1, min=-1, max=1, description="-1: previous, 1: next")

    @classmethod
    def description(cls, context: bpy.types.Context, properties: Any) -> str:
        which = "previous" if properties.direction < 0 else "next"
        return f"Show the shot's {which} take in this strip (same position and length)"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = _poll_strip(cls, context)
        if strip is None:
            return False
        obj = takes.shot_of_strip(strip)
        if obj is None:
            cls.poll_message_set("Only a shot's strip has takes")
            return False
        if len(obj.movie_director.takes) < 2:
            cls.poll_message_set("The shot has only one take")
            return False
        return True

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        obj = takes.shot_of_strip(strip)
        if obj is None:
            raise strip_requests.ActionError("Only a shot's strip has takes.")
        try:
            index, swap = takes.step(obj, -1 if self.direction < 0 else 1, context)
        except (IndexError, FileNotFoundError, KeyError) as exc:
            raise strip_requests.ActionError(str(exc)) from exc
        take = obj.movie_director.takes[index]
        note = f" ({swap.note})" if swap and swap.note else ""
        self.report({"INFO"}, f"{obj.name}: {take.name}{note}")
        return {"FINISHED"}


def _default_section(context: bpy.types.Context, strip: Any) -> tuple[int, int]:
    """The preview range if it overlaps the strip, else 3 s from the playhead (inside the strip)."""
    scene = sequencer_scene(context)
    first, last = int(strip.frame_final_start), int(strip.frame_final_end) - 1
    if scene.use_preview_range:
        start, end = max(first, scene.frame_preview_start), min(last, scene.frame_preview_end)
        if start < end:
            return start, end
    fps = scene.render.fps / scene.render.fps_base
    start = min(max(scene.frame_current, first), last)
    end = min(last, start + round(3 * fps) - 1)
    return start, end


class MOVIEDIR_OT_strip_retake(_StripAction, bpy.types.Operator):
    """Regenerate a marked section (2-16 s) of the clip with LTX-2 Retake on WaveSpeed: picture, sound or
    both. The section is the preview range (or the frames given here); the result replaces the clip"""

    bl_idname = "moviedir.strip_retake"
    bl_label = "Retake Section"
    bl_options = {"REGISTER"}

    frame_start: IntProperty(name="From Frame", description="First timeline frame of the section")
    frame_end: IntProperty(name="To Frame", description="Last timeline frame of the section")
    prompt: StringProperty(name="Prompt", description="What happens in the section")
    mode: EnumProperty(name="Replace", items=tool_props.RETAKE_MODES, default="replace_video")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_strip(cls, context) is not None

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        strip = context_strip(context, self.strip)
        if strip is None:
            return {"CANCELLED"}
        self.frame_start, self.frame_end = _default_section(context, strip)
        self.prompt = self.prompt or strip_requests.strip_prompt(strip)
        return context.window_manager.invoke_props_dialog(self, width=420)

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        planned = strip_requests.retake(
            strip, scene, self.frame_start, self.frame_end, self.prompt, self.mode
        )
        _submit(self, [planned], scene, action="retake", strip=strip.name, place="replace",
                frame=int(strip.frame_final_start), quality="final")  # fmt: skip
        self.report({"INFO"}, f"{strip.name}: retake queued on WaveSpeed ({planned.request.prompt[:40]}…)")
        return {"FINISHED"}


class _FromPicture(_StripAction):
    backend: EnumProperty(name="Backend", items=BACKEND_ITEMS, default="WAN2GP")
    prompt: StringProperty(name="Prompt", description="What happens in the new clip")
    seconds: FloatProperty(
        name="Seconds", default=3.0, min=0.5, max=20.0, description="Length of the new clip"
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_strip(cls, context, ("MOVIE", "IMAGE")) is not None

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        strip = context_strip(context, self.strip)
        if strip is None:
            return {"CANCELLED"}
        self.prompt = self.prompt or strip_requests.strip_prompt(strip)
        self.backend = strip_requests.default_backend(strip)
        return context.window_manager.invoke_props_dialog(self, width=420)


class MOVIEDIR_OT_strip_image_to_video(_FromPicture, bpy.types.Operator):
    """Make a new clip that starts on the frame under the playhead (Wan2GP i2v or HunyuanVideo 1.5 i2v);
    it is cut in at the playhead, above the strip"""

    bl_idname = "moviedir.strip_image_to_video"
    bl_label = "Image to Video from Here"
    bl_options = {"REGISTER"}

    frame: IntProperty(name="Frame", default=-1, description="Timeline frame (-1: the playhead)")

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        frame = scene.frame_current if self.frame < 0 else self.frame
        planned = strip_requests.image_to_video(
            strip, scene, frame, backend=self.backend, prompt=self.prompt, seconds=self.seconds
        )
        _submit(self, [planned], scene, action="i2v", strip=strip.name, place="new", frame=frame)
        self.report({"INFO"}, f"{strip.name}: image to video from frame {frame} queued")
        return {"FINISHED"}


class MOVIEDIR_OT_strip_extend(_FromPicture, bpy.types.Operator):
    """Continue the clip, cut in right after it: with the service's own extend endpoint where the clip's model
    has one (Veo 3.1 Fast, Kling 4.0 on WaveSpeed), else a new clip starting on the strip's last frame"""

    bl_idname = "moviedir.strip_extend"
    bl_label = "Extend"
    bl_options = {"REGISTER"}

    endpoint: StringProperty(options={"HIDDEN", "SKIP_SAVE"})  # found in invoke: draw() parses nothing

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        strip = context_strip(context, self.strip)
        self.endpoint = strip_requests.extend_endpoint(strip) if strip is not None else ""
        return super().invoke(context, event)

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        for name in ("backend", "prompt", "seconds"):
            layout.prop(self, name)
        if self.endpoint and self.backend == "WAVESPEED":
            layout.label(text=f"Uses the service's own extend: {self.endpoint}", icon="INFO")

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        last = int(strip.frame_final_end) - 1
        if self.backend == "WAVESPEED" and strip_requests.extend_endpoint(strip):
            extension = strip_requests.extend_clip(strip, scene, prompt=self.prompt, seconds=self.seconds)
            _submit(self, [extension.planned], scene, action="extend", strip=strip.name, place="new",
                    frame=last + 1, skip=extension.skip_seconds)  # fmt: skip
            self.report({"INFO"}, f"{strip.name}: extension queued on {extension.planned.request.model}")
            return {"FINISHED"}
        planned = strip_requests.image_to_video(
            strip, scene, last, backend=self.backend, prompt=self.prompt, seconds=self.seconds
        )
        _submit(self, [planned], scene, action="extend", strip=strip.name, place="new", frame=last + 1)
        self.report({"INFO"}, f"{strip.name}: extension queued (from frame {last})")
        return {"FINISHED"}


#: Blender keeps pointers to enum item strings: every list handed out stays alive until unregister.
_FINISH_ITEMS: dict[tuple[Any, ...], list[tuple[str, str, str]]] = {}


def _finish_processes(context: bpy.types.Context | None) -> list[Any]:
    offer = wan2gp_offer.finish_offer(get_preferences(context))
    return list(offer.processes) if offer is not None and offer.state == "done" else []


def _process_items(self: Any, context: bpy.types.Context | None) -> list[tuple[str, str, str]]:
    processes = _finish_processes(context)
    key = ("process", *(str(p.get("id")) for p in processes))
    if key not in _FINISH_ITEMS:
        _FINISH_ITEMS[key] = [
            (str(p.get("id")), str(p.get("label") or p.get("id")), str(p.get("description") or ""))
            for p in processes
        ] or [("", "Nothing offered", "The server offered no process for video clips")]
    return _FINISH_ITEMS[key]


def _multiplier_items(self: Any, context: bpy.types.Context | None) -> list[tuple[str, str, str]]:
    process = next((p for p in _finish_processes(context) if p.get("id") == self.choice), None)
    fields = process.get("parameters") or [] if process is not None else []
    field = next((f for f in fields if hasattr(f, "get") and f.get("name") == "multiplier"), None)
    allowed = [v for v in (field or {}).get("enum") or [] if isinstance(v, int | float)]
    key = ("multiplier", *allowed)
    if key not in _FINISH_ITEMS:
        _FINISH_ITEMS[key] = [(f"{v:g}", f"{v:g}x", f"Scale by {v:g}") for v in allowed] or [
            ("", "None", "This process takes no multiplier")
        ]
    return _FINISH_ITEMS[key]


def clear_caches() -> None:
    _FINISH_ITEMS.clear()


class MOVIEDIR_OT_strip_finish(_StripAction, bpy.types.Operator):
    """Finish the clip with WanGP's postprocessing on its MCP server (upscale, frame interpolation…: what
    the server offers for the clip); the result is a new take of the strip's shot"""

    bl_idname = "moviedir.strip_finish"
    bl_label = "Finish"
    bl_options = {"REGISTER"}

    process: StringProperty(name="Process", description="WanGP's process id (empty: the one chosen below)")
    choice: EnumProperty(name="Process", items=_process_items)
    multiplier: EnumProperty(name="Multiplier", items=_multiplier_items)
    parameters: StringProperty(
        name="Parameters", description='Further parameters as JSON, e.g. {"multiplier": 2.0}', default=""
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if _poll_strip(cls, context) is None:
            return False
        reason = shots.offline_reason() or wan2gp_offer.finish_reason(get_preferences(context))
        if reason:
            cls.poll_message_set(reason)
            return False
        return True

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        strip = context_strip(context, self.strip)
        if strip is None:
            return {"CANCELLED"}
        self.strip = strip.name
        prefs = get_preferences(context)
        offer = wan2gp_offer.finish_offer(prefs)
        if offer is not None and offer.state == "done":
            return context.window_manager.invoke_props_dialog(self, width=420)
        if offer is None or offer.state == "failed":
            wan2gp_offer.refresh_finish(prefs, frames.strip_filepath(strip))
        # Wait for the answer without blocking Blender, then open the dialog again.
        self._timer = context.window_manager.event_timer_add(0.1, window=context.window)
        context.window_manager.modal_handler_add(self)
        self.report({"INFO"}, "Asking the Wan2GP server what it can do to this clip")
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: Any) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        offer = wan2gp_offer.finish_offer(get_preferences(context))
        if offer is not None and offer.state == "fetching":
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        if offer is None or offer.state == "failed":
            self.report({"ERROR"}, offer.error if offer is not None else "The Wan2GP server did not answer")
            return {"CANCELLED"}
        bpy.ops.moviedir.strip_finish("INVOKE_DEFAULT", strip=self.strip)
        return {"FINISHED"}

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        import json

        process = self.process or self.choice
        try:
            parameters = json.loads(self.parameters) if self.parameters.strip() else {}
        except ValueError as exc:
            raise strip_requests.ActionError(f"The parameters are not JSON: {exc}") from exc
        if not isinstance(parameters, dict):
            raise strip_requests.ActionError('Give the parameters as a JSON object: {"multiplier": 2.0}.')
        processes = _finish_processes(context) or None
        if not self.process and self.multiplier and "multiplier" not in parameters:
            parameters["multiplier"] = float(self.multiplier)
        planned = strip_requests.finish(strip, scene, process, parameters, processes=processes)
        _submit(self, [planned], scene, action="finish", strip=strip.name, place="replace",
                frame=int(strip.frame_final_start), quality=str(planned.request.quality))  # fmt: skip
        self.report({"INFO"}, f"{strip.name}: finish ({process}) queued on the Wan2GP server")
        return {"FINISHED"}


def open_path(path: str) -> None:
    """Open a file or folder with the system's handler (a separate function so tests can watch it)."""
    bpy.ops.wm.path_open(filepath=path)


class MOVIEDIR_OT_strip_reveal(_StripAction, bpy.types.Operator):
    """Show the strip's file in the system's file browser"""

    bl_idname = "moviedir.strip_reveal"
    bl_label = "Reveal File"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        strip = _poll_strip(cls, context, ("MOVIE", "IMAGE", "SOUND"))
        if strip is None:
            return False
        path = _file_of(strip)
        if not path or not Path(path).exists():
            cls.poll_message_set(f"The file is missing: {path}")
            return False
        return True

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        path = _file_of(strip)
        if not path or not Path(path).exists():
            raise strip_requests.ActionError(f"The file is missing: {path}")
        folder = str(Path(path).parent)
        open_path(folder)
        self.report({"INFO"}, f"{Path(path).name} is in {folder}")
        return {"FINISHED"}


def _file_of(strip: Any) -> str:
    if strip.type == "SOUND":
        return bpy.path.abspath(strip.sound.filepath) if strip.sound else ""
    return frames.strip_filepath(strip)


def generation_info(strip: Any) -> list[tuple[str, str]]:
    """(label, value) rows describing how the strip's clip was made (file facts for other strips)."""
    rows: list[tuple[str, str]] = [("Strip", strip.name)]
    path = _file_of(strip)
    if path:
        rows.append(("File", path))
    meta = vse.provenance_of(strip)
    obj = takes.shot_of_strip(strip)
    if obj is not None:
        rows.append(("Shot", obj.name))
        take = takes.current_take(obj)
        if take is not None:
            rows.append(("Take", f"{take.name} ({takes_count(obj)} in all)"))
    labels = (
        ("made_by", "Made by"), ("backend", "Backend"), ("model", "Model"), ("prompt", "Prompt"),
        ("seed", "Seed"), ("quality", "Quality"), ("task_id", "Task"), ("job_id", "Job"),
        ("source", "From strip"), ("source_fps", "Clip frame rate"), ("seconds", "Clip length"),
    )  # fmt: skip
    for key, label in labels:
        if key in meta and meta[key] not in ("", None):
            value = meta[key]
            if key == "source_fps":
                value = f"{float(value):g} fps"
            elif key == "seconds":
                value = f"{float(value):.2f} s"
            rows.append((label, str(value)))
    cost = meta.get("cost")
    if obj is not None and takes.current_take(obj) is not None:
        take = takes.current_take(obj)
        cost = take.cost
        if "made_by" not in meta:
            rows.insert(1, ("Made by", take.made_by or "generate"))
    if isinstance(cost, int | float):
        rows.append(("Cost", f"${cost:.2f}" if cost >= 0 else "unknown"))
    if len(rows) <= 2:
        rows.append(("Made by", "not Movie Director"))
    span = f"frames {int(strip.frame_final_start)}-{int(strip.frame_final_end) - 1}, channel {strip.channel}"
    rows.append(("On the timeline", span))
    return rows


def takes_count(obj: Any) -> int:
    return len(obj.movie_director.takes)


class MOVIEDIR_OT_strip_info(_StripAction, bpy.types.Operator):
    """Show how the strip's clip was made: backend, model, prompt, seed, cost, task"""

    bl_idname = "moviedir.strip_info"
    bl_label = "Generation Info"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_strip(cls, context, ("MOVIE", "IMAGE", "SOUND")) is not None

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        return context.window_manager.invoke_popup(self, width=480)

    def draw(self, context: bpy.types.Context) -> None:
        strip = context_strip(context, self.strip)
        if strip is None:
            return
        col = self.layout.column(align=True)
        for label, value in generation_info(strip):
            row = col.row()
            row.label(text=label)
            row.label(text=value)

    def act(self, context: bpy.types.Context, strip: Any, scene: Any) -> set[str]:
        rows = generation_info(strip)
        self.report({"INFO"}, " · ".join(f"{label}: {value}" for label, value in rows))
        return {"FINISHED"}


class MOVIEDIR_OT_read_camera(bpy.types.Operator):
    """Read the shot camera's moves from its animation and write them as words for the prompt"""

    bl_idname = "moviedir.read_camera"
    bl_label = "Read Camera"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return poll_shot(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = shots.find_shot(self.shot) if self.shot else shots.active_shot(context)
        if obj is None:
            self.report({"ERROR"}, "No such shot")
            return {"CANCELLED"}
        scene = shots.scene_of(obj, context)
        words = camera_prompt.read_camera(scene, obj, props.shot_model(obj.movie_director))
        self.report({"INFO"}, f"{obj.name}: {words}")
        return {"FINISHED"}


class MOVIEDIR_OT_storyboard(bpy.types.Operator):
    """Write a PNG contact sheet of the scene's shots (a frame of each current take, name, prompt, model,
    length) for review"""

    bl_idname = "moviedir.storyboard"
    bl_label = "Write Storyboard"
    bl_options = {"REGISTER"}

    filepath: StringProperty(name="File", subtype="FILE_PATH", description="Empty: the output folder")
    cell_width: IntProperty(name="Cell Width", default=tool_props.CELL_WIDTH, min=96, max=1920)
    open_after: bpy.props.BoolProperty(name="Open", default=False, description="Open the sheet when written")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.scene is None or not shots.scene_shots(context.scene):
            cls.poll_message_set("The scene has no shots (cameras)")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        scene = context.scene
        path = bpy.path.abspath(self.filepath) if self.filepath else str(storyboard.default_path(scene))
        try:
            board = storyboard.write_storyboard(scene, path, cell_width=self.cell_width)
        except (ValueError, OSError, RuntimeError) as exc:
            self.report({"ERROR"}, f"The storyboard could not be written: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Storyboard of {len(board.cells)} shots: {board.path}")
        if self.open_after:
            open_path(str(board.path))
        return {"FINISHED"}


class MOVIEDIR_OT_cancel_director_job(bpy.types.Operator):
    """Stop this job (a WaveSpeed task that already started is only abandoned: it is still billed)"""

    bl_idname = "moviedir.cancel_director_job"
    bl_label = "Cancel Job"
    bl_options = {"REGISTER", "INTERNAL"}

    job_id: StringProperty(name="Job")

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not strip_jobs.cancel(self.job_id):
            self.report({"WARNING"}, "That job is not running")
            return {"CANCELLED"}
        return {"FINISHED"}


classes = (
    MOVIEDIR_OT_strip_regenerate,
    MOVIEDIR_OT_strip_switch_take,
    MOVIEDIR_OT_strip_retake,
    MOVIEDIR_OT_strip_image_to_video,
    MOVIEDIR_OT_strip_extend,
    MOVIEDIR_OT_strip_finish,
    MOVIEDIR_OT_strip_reveal,
    MOVIEDIR_OT_strip_info,
    MOVIEDIR_OT_read_camera,
    MOVIEDIR_OT_storyboard,
    MOVIEDIR_OT_cancel_director_job,
)
