"""Operators of the cast (``moviedir.cast_*``, issue 17): thin; the work is in :mod:`..scene.cast`.

Add a member from the selected objects or the active collection, add pictures from files, remove, Render
References (a blocking Workbench render of three small pictures, run by the user's click: never from a
timer), Update Cast in View (detection for every shot) and a shot's include/exclude override.
"""

from __future__ import annotations

from pathlib import Path

import bpy
from bpy.props import BoolProperty, CollectionProperty, EnumProperty, IntProperty, StringProperty

from ..backend.lazy import lazy_module
from ..scene.cast_props import KIND_ITEMS

# Loaded when a button first runs, not when the extension is enabled.
cast = lazy_module("..scene.cast", __package__)
shots = lazy_module("..scene.shots", __package__)
config = lazy_module("..scene.config", __package__)

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
SOURCE_ITEMS = (
    ("SELECTED", "Selected Objects", "The selected objects stand for the member"),
    ("COLLECTION", "Active Collection", "The active collection (and its children) stands for the member"),
)


def active_member(context: bpy.types.Context) -> object | None:
    """The member the Cast list shows, or None."""
    if context.scene is None:
        return None
    members = context.scene.movie_director.cast.members
    index = context.scene.movie_director.cast.active_member_index
    return members[index] if 0 <= index < len(members) else None


def _poll_member(cls: type, context: bpy.types.Context) -> bool:
    if active_member(context) is None:
        cls.poll_message_set("Add a cast member first")
        return False
    return True


def _member(context: bpy.types.Context, name: str) -> object | None:
    return cast.find_member(context.scene, name) if name else active_member(context)


class MOVIEDIR_OT_cast_add_member(bpy.types.Operator):
    """Add a cast member (character, prop or place) that the selected objects or the active collection
    stand for"""

    bl_idname = "moviedir.cast_add_member"
    bl_label = "Add Cast Member"
    bl_options = {"REGISTER", "UNDO"}

    source: EnumProperty(name="From", items=SOURCE_ITEMS, default="SELECTED")
    name: StringProperty(name="Name", description="Empty: the active object's or collection's name")
    kind: EnumProperty(name="Kind", items=KIND_ITEMS, default="CHARACTER")
    description: StringProperty(name="Description", description="A few words on how it looks")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.scene is None:
            cls.poll_message_set("No scene")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        objects: list = []
        collection = None
        if self.source == "COLLECTION":
            collection = context.collection
            if collection is None or collection == context.scene.collection:
                self.report({"ERROR"}, "Make a collection active in the Outliner (not the Scene Collection)")
                return {"CANCELLED"}
            default = collection.name
        else:
            objects = [o for o in (context.selected_objects or ()) if o.type != "CAMERA"]
            if not objects:
                self.report({"ERROR"}, "Select the objects that stand for the member (cameras are shots)")
                return {"CANCELLED"}
            active = context.active_object
            default = active.name if active in objects else objects[0].name
        kind = cast.KINDS[self.kind]
        name = self.name or default
        member = cast.add_member(context.scene, name, objects, collection, (), self.description, kind)
        self.report({"INFO"}, f"Cast member '{member.name}' added")
        return {"FINISHED"}


class MOVIEDIR_OT_cast_remove_member(bpy.types.Operator):
    """Remove the cast member (its objects and picture files stay)"""

    bl_idname = "moviedir.cast_remove_member"
    bl_label = "Remove Cast Member"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_member(cls, context)

    def execute(self, context: bpy.types.Context) -> set[str]:
        state = context.scene.movie_director.cast
        name = state.members[state.active_member_index].name
        state.members.remove(state.active_member_index)
        state.active_member_index = max(0, min(state.active_member_index, len(state.members) - 1))
        self.report({"INFO"}, f"Cast member '{name}' removed")
        return {"FINISHED"}


class MOVIEDIR_OT_cast_add_pictures(bpy.types.Operator):
    """Add reference pictures of the member from files"""

    bl_idname = "moviedir.cast_add_pictures"
    bl_label = "Add Pictures"
    bl_options = {"REGISTER", "UNDO"}

    directory: StringProperty(subtype="DIR_PATH", options={"HIDDEN", "SKIP_SAVE"})
    files: CollectionProperty(type=bpy.types.OperatorFileListElement, options={"HIDDEN", "SKIP_SAVE"})
    filter_image: BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})
    filter_folder: BoolProperty(default=True, options={"HIDDEN", "SKIP_SAVE"})

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return _poll_member(cls, context)

    def invoke(self, context: bpy.types.Context, event: bpy.types.Event) -> set[str]:
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        member = active_member(context)
        chosen = [Path(self.directory) / f.name for f in self.files if f.name]
        pictures = [p for p in chosen if p.suffix.lower() in PICTURE_SUFFIXES]
        if not pictures:
            self.report({"ERROR"}, f"Choose pictures ({', '.join(PICTURE_SUFFIXES)})")
            return {"CANCELLED"}
        for path in pictures:
            member.pictures.add().filepath = config.blend_relative(path)  # "//..." inside the project
        self.report({"INFO"}, f"{len(pictures)} picture(s) added to '{member.name}'")
        return {"FINISHED"}


class MOVIEDIR_OT_cast_remove_picture(bpy.types.Operator):
    """Remove the picture from the member (the file stays)"""

    bl_idname = "moviedir.cast_remove_picture"
    bl_label = "Remove Picture"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    index: IntProperty(name="Picture", default=-1, description="-1: the active picture")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        member = active_member(context)
        if member is None or not member.pictures:
            cls.poll_message_set("The member has no pictures")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        member = active_member(context)
        index = member.active_picture_index if self.index < 0 else self.index
        if not 0 <= index < len(member.pictures):
            self.report({"ERROR"}, "No such picture")
            return {"CANCELLED"}
        member.pictures.remove(index)
        member.active_picture_index = max(0, min(index, len(member.pictures) - 1))
        return {"FINISHED"}


class MOVIEDIR_OT_cast_render_references(bpy.types.Operator):
    """Render front, three-quarter and side pictures of the member from its own objects (only they are
    visible, on a neutral background) into the output folder; they replace its earlier rendered ones"""

    bl_idname = "moviedir.cast_render_references"
    bl_label = "Render References"
    bl_options = {"REGISTER", "UNDO"}

    member: StringProperty(name="Member", description="Cast member name (empty: the active one)")

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        member = active_member(context)
        if member is None:
            cls.poll_message_set("Add a cast member first")
            return False
        if not cast.has_objects(member):
            cls.poll_message_set("The member has no objects to render (it only has pictures)")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        member = _member(context, self.member)
        if member is None:
            self.report({"ERROR"}, f"No cast member named '{self.member}'")
            return {"CANCELLED"}
        try:
            paths = cast.render_references(context.scene, member)
        except (cast.CastError, OSError, RuntimeError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self.report({"INFO"}, f"{member.name}: {len(paths)} reference pictures in {paths[0].parent}")
        return {"FINISHED"}


class MOVIEDIR_OT_cast_update(bpy.types.Operator):
    """Find which cast members each shot's camera sees over the shot's frames"""

    bl_idname = "moviedir.cast_update"
    bl_label = "Update Cast in View"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        if context.scene is None or not context.scene.movie_director.cast.members:
            cls.poll_message_set("The scene has no cast: add members in the Cast panel")
            return False
        return True

    def execute(self, context: bpy.types.Context) -> set[str]:
        found = cast.update_all(context.scene)
        seen = sum(len(names) for names in found.values())
        self.report({"INFO"}, f"{len(found)} shot(s) checked: {seen} appearance(s) of cast members")
        return {"FINISHED"}


OVERRIDE_CHOICES = (
    ("AUTO", "Auto", "In the shot when the camera sees it"),
    ("INCLUDE", "Include", "Always in this shot"),
    ("EXCLUDE", "Exclude", "Never in this shot"),
)


class MOVIEDIR_OT_cast_override(bpy.types.Operator):
    """Choose whether the member is in this shot: as the camera sees it, always, or never"""

    bl_idname = "moviedir.cast_override"
    bl_label = "Cast Member in Shot"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    shot: StringProperty(name="Shot", description="Camera object name (empty: the active shot)")
    member: StringProperty(name="Member")
    mode: EnumProperty(name="In Shot", items=OVERRIDE_CHOICES, default="AUTO")

    def execute(self, context: bpy.types.Context) -> set[str]:
        obj = shots.find_shot(self.shot) if self.shot else shots.active_shot(context)
        member = cast.find_member(context.scene, self.member)
        if obj is None or member is None:
            self.report({"ERROR"}, "No such shot or cast member")
            return {"CANCELLED"}
        cast.set_override(obj, member, "" if self.mode == "AUTO" else self.mode)
        return {"FINISHED"}


classes = (
    MOVIEDIR_OT_cast_add_member,
    MOVIEDIR_OT_cast_remove_member,
    MOVIEDIR_OT_cast_add_pictures,
    MOVIEDIR_OT_cast_remove_picture,
    MOVIEDIR_OT_cast_render_references,
    MOVIEDIR_OT_cast_update,
    MOVIEDIR_OT_cast_override,
)
