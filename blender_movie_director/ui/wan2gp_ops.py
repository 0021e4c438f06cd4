"""The shot panel's Wan2GP part (issue 16): whether the server has the shot's model, and the shot's LoRAs.

* ``draw_wan2gp(layout, obj, context)``: the model's mark (on this server / not on this server, with the
  models it has), the LoRA list with Add / Remove / Choose, and Refresh from Server. It draws from the
  session's cache (:mod:`..session.wan2gp_offer`) only: no network in ``draw()``.
* Operators: ``moviedir.wan2gp_refresh`` (asks the servers in a worker thread), ``moviedir.lora_add``,
  ``moviedir.lora_remove``, ``moviedir.lora_choose`` (a search popup of the LoRAs the server listed).

Main thread only (Blender UI classes); nothing here waits for a server.
"""

from __future__ import annotations

from typing import Any

import bpy
from bpy.props import EnumProperty, IntProperty, StringProperty

from ..backend.lazy import lazy_module
from ..scene import props
from ..scene.config import get_preferences
from . import labels

shots = lazy_module("..scene.shots", __package__)
wan2gp_offer = lazy_module("..session.wan2gp_offer", __package__)


def _shot(context: bpy.types.Context, name: str = "") -> Any:
    return shots.find_shot(name) if name else shots.active_shot(context)


def _poll_wan2gp_shot(cls: type, context: bpy.types.Context, name: str = "") -> Any:
    obj = _shot(context, name)
    if obj is None:
        cls.poll_message_set("Select a camera: each camera is a shot")
        return None
    if obj.movie_director.backend != "WAN2GP":
        cls.poll_message_set("LoRAs are a Wan2GP setting: the shot's backend is not Wan2GP")
        return None
    return obj


def shot_model_type(obj: Any) -> str:
    """The Wan2GP model the shot would run (the start image's image-to-video sibling included)."""
    from ..requests import shot as shot_requests

    settings = obj.movie_director
    return shot_requests.model_for_task(
        "WAN2GP", props.shot_model(settings).strip(), bool(settings.image_input)
    )


class MOVIEDIR_UL_loras(bpy.types.UIList):
    """The shot's LoRAs: the name WanGP lists and its weight; a mark when the server lacks it."""

    bl_idname = "MOVIEDIR_UL_loras"

    def draw_item(
        self, context: Any, layout: Any, data: Any, item: Any, icon: int, active_data: Any,
        active_property: str, index: int = 0, flt_flag: int = 0,
    ) -> None:  # fmt: skip
        row = layout.row(align=True)
        listed = getattr(self, "_listed", None)
        mark = "ERROR" if listed is not None and item.name and item.name not in listed else "MODIFIER"
        row.prop(item, "name", text="", emboss=False, icon=mark)
        row.prop(item, "multiplier", text="")


class MOVIEDIR_OT_wan2gp_refresh(bpy.types.Operator):
    """Ask the Wan2GP servers which models they can run and which LoRAs the shot's model has (in the
    background; the panel shows the answer)"""

    bl_idname = "moviedir.wan2gp_refresh"
    bl_label = "Refresh from Server"
    bl_options = {"REGISTER"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        reason = shots.offline_reason()
        if reason:
            cls.poll_message_set(reason)
            return False
        if wan2gp_offer.running():
            cls.poll_message_set("The servers are being asked")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        wanted = [shot_model_type(obj)] if obj is not None and obj.movie_director.backend == "WAN2GP" else []
        wan2gp_offer.refresh(get_preferences(context), wanted)
        self.report({"INFO"}, "Asking the Wan2GP servers what they offer")
        return {"FINISHED"}


class MOVIEDIR_OT_lora_add(bpy.types.Operator):
    """Add a LoRA to the shot (type its name as the server lists it, or use Choose)"""

    bl_idname = "moviedir.lora_add"
    bl_label = "Add LoRA"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    name: StringProperty(name="LoRA", description="The LoRA's name as WanGP lists it")
    multiplier: bpy.props.FloatProperty(name="Weight", default=1.0)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_wan2gp_shot(cls, context) is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None or obj.movie_director.backend != "WAN2GP":
            self.report({"ERROR"}, "No Wan2GP shot")
            return {"CANCELLED"}
        settings = obj.movie_director
        lora = settings.loras.add()
        lora.name, lora.multiplier = self.name.strip(), self.multiplier
        settings.active_lora_index = len(settings.loras) - 1
        return {"FINISHED"}


class MOVIEDIR_OT_lora_remove(bpy.types.Operator):
    """Remove the selected LoRA from the shot"""

    bl_idname = "moviedir.lora_remove"
    bl_label = "Remove LoRA"
    bl_options = {"REGISTER", "UNDO"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    index: IntProperty(name="Index", default=-1, description="Row to remove (-1: the selected one)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj = _poll_wan2gp_shot(cls, context)
        if obj is None:
            return False
        if not obj.movie_director.loras:
            cls.poll_message_set("The shot has no LoRA")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None or not obj.movie_director.loras:
            self.report({"ERROR"}, "The shot has no LoRA")
            return {"CANCELLED"}
        settings = obj.movie_director
        index = settings.active_lora_index if self.index < 0 else self.index
        if not 0 <= index < len(settings.loras):
            self.report({"ERROR"}, f"No LoRA at row {index + 1}")
            return {"CANCELLED"}
        settings.loras.remove(index)
        settings.active_lora_index = max(0, min(index, len(settings.loras) - 1))
        return {"FINISHED"}


#: Blender keeps pointers to enum item strings: every list handed out stays alive until unregister.
_LORA_ITEMS: dict[tuple[str, tuple[str, ...]], list[tuple[str, str, str]]] = {}


def _lora_items(self: Any, context: bpy.types.Context | None) -> list[tuple[str, str, str]]:
    listed = tuple(self.listed.split("\n")) if self.listed else ()
    key = (self.model_type, listed)
    items = _LORA_ITEMS.get(key)
    if items is None:
        items = _LORA_ITEMS[key] = [
            (n, n, f"A LoRA for {self.model_type} on the Wan2GP server") for n in listed
        ]
    return items


def clear_caches() -> None:
    _LORA_ITEMS.clear()


class MOVIEDIR_OT_lora_choose(bpy.types.Operator):
    """Pick a LoRA the Wan2GP server has for the shot's model (type to search); it is added to the shot"""

    bl_idname = "moviedir.lora_choose"
    bl_label = "Choose LoRA"
    bl_options = {"REGISTER", "UNDO"}
    bl_property = "lora"

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    model_type: StringProperty(name="Model", options={"HIDDEN"})
    listed: StringProperty(name="Listed", options={"HIDDEN"})
    lora: EnumProperty(name="LoRA", items=_lora_items)

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        obj = _poll_wan2gp_shot(cls, context)
        if obj is None:
            return False
        offer = wan2gp_offer.current(get_preferences(context))
        model_type = shot_model_type(obj)
        if offer is None or (model_type not in offer.loras and model_type not in offer.lora_errors):
            cls.poll_message_set("Refresh from Server first: the server's LoRA list is not known yet")
            return False
        if model_type in offer.lora_errors:
            cls.poll_message_set(offer.lora_errors[model_type])
            return False
        if not offer.loras[model_type]:
            cls.poll_message_set(f"The Wan2GP server has no LoRA for {model_type}")
            return False
        return True

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        obj = _shot(context, self.shot)
        offer = wan2gp_offer.current(get_preferences(context))
        if obj is None or offer is None:
            return {"CANCELLED"}
        self.model_type = shot_model_type(obj)
        self.listed = "\n".join(offer.loras.get(self.model_type, ()))
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = _shot(context, self.shot)
        if obj is None or not self.lora:
            self.report({"ERROR"}, "No LoRA chosen")
            return {"CANCELLED"}
        settings = obj.movie_director
        if any(lora.name == self.lora for lora in settings.loras):
            self.report({"INFO"}, f"{obj.name} already uses {self.lora}")
            return {"CANCELLED"}
        lora = settings.loras.add()
        lora.name = self.lora
        settings.active_lora_index = len(settings.loras) - 1
        self.report({"INFO"}, f"{obj.name}: LoRA {self.lora}")
        return {"FINISHED"}


def draw_wan2gp(layout: Any, obj: Any, context: Any) -> None:
    """Under the model: what the server said about it, and the shot's LoRAs (from the cache only)."""
    from ..scene import catalogs

    settings = obj.movie_director
    offer = wan2gp_offer.current(get_preferences(context))
    model_type = shot_model_type(obj)
    col = layout.column(align=True)
    row = col.row(align=True)
    state = offer.available(model_type) if offer is not None else None
    if offer is None:
        row.label(text="Server not asked yet", icon="QUESTION")
    elif offer.state == "fetching":
        row.label(text="Asking the server…", icon="TIME")
    elif offer.state == "failed":
        row.label(text="The server did not answer", icon="ERROR")
    elif state is None and offer.transport == "web_ui":
        row.label(text="WanGP's web UI does not say which models it has", icon="INFO")
    else:
        row.label(text=f"Model {catalogs.AVAILABILITY_WORDS[state]}", icon=catalogs.AVAILABILITY_ICONS[state])
    op = row.operator(MOVIEDIR_OT_wan2gp_refresh.bl_idname, text="", icon="FILE_REFRESH")
    op.shot = obj.name
    problem = wan2gp_offer.model_problem(offer, model_type)
    lora_problem = wan2gp_offer.lora_problem(offer, model_type, [n for n, _ in props.shot_loras(settings)])
    error = offer.error if offer is not None and offer.state == "failed" else ""
    for text in (problem, lora_problem, error):
        if text:
            box = col.box()
            box.alert = True
            for line in labels.wrap(text, 48, 6):
                box.label(text=line)
    col = layout.column(align=True)
    col.label(text="LoRAs")
    row = col.row()
    MOVIEDIR_UL_loras._listed = offer.loras.get(model_type) if offer is not None else None
    row.template_list(
        MOVIEDIR_UL_loras.bl_idname, "", settings, "loras", settings, "active_lora_index", rows=2
    )
    side = row.column(align=True)
    op = side.operator(MOVIEDIR_OT_lora_choose.bl_idname, text="", icon="VIEWZOOM")
    op.shot = obj.name
    op = side.operator(MOVIEDIR_OT_lora_add.bl_idname, text="", icon="ADD")
    op.shot = obj.name
    op = side.operator(MOVIEDIR_OT_lora_remove.bl_idname, text="", icon="REMOVE")
    op.shot = obj.name


classes = (
    MOVIEDIR_UL_loras,
    MOVIEDIR_OT_wan2gp_refresh,
    MOVIEDIR_OT_lora_add,
    MOVIEDIR_OT_lora_remove,
    MOVIEDIR_OT_lora_choose,
)
