"""Blender data of the cast (issue 17): the people, props and places that recur across shots.

- :class:`MOVIEDIR_CastMember`: one member (``name`` from PropertyGroup): its kind, a short description,
  reference pictures (file paths) and the Blender objects and/or collection that stand for it.
- :class:`MOVIEDIR_Cast` on ``Scene.movie_director.cast``: the scene's members and the list's pick.
- :class:`MOVIEDIR_CastOverride` in ``Object.movie_director.cast_overrides`` (a shot): a member forced into
  or out of the shot, by the member's stable id (``uid``: renaming the member keeps its overrides), whatever
  the camera sees.

Like :mod:`.props` (which hangs these groups on the scene and the shots), the classes carry no Python
functions (the 4.2 ``bpy`` module crashes at exit otherwise); what reads them lives in :mod:`.cast`. No
secrets here: saved with the .blend. Main thread only.
"""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

#: Paths may be relative to the .blend ("//"); 4.5+ wants this flag to accept them without a warning.
_BLEND_RELATIVE = {"PATH_SUPPORTS_BLEND_RELATIVE"} if bpy.app.version >= (4, 5, 0) else set()

KIND_ITEMS = (
    ("CHARACTER", "Character", "A person or creature that appears in several shots", "USER", 0),
    ("PROP", "Prop", "An object that must look the same in every shot", "OBJECT_DATA", 1),
    ("PLACE", "Place", "A location or set", "WORLD", 2),
)
OVERRIDE_ITEMS = (
    ("INCLUDE", "Include", "Always in this shot, whatever the camera sees", "ADD", 0),
    ("EXCLUDE", "Exclude", "Never in this shot, whatever the camera sees", "REMOVE", 1),
)


class MOVIEDIR_CastObject(bpy.types.PropertyGroup):
    """One Blender object that stands for a member (a pointer, so renaming the object keeps it)."""

    object: PointerProperty(name="Object", type=bpy.types.Object)


class MOVIEDIR_CastPicture(bpy.types.PropertyGroup):
    """One reference picture of a member."""

    filepath: StringProperty(name="Picture", subtype="FILE_PATH", options=_BLEND_RELATIVE)
    rendered: BoolProperty(
        name="Rendered", description="Rendered by Render References (replaced when they are rendered again)"
    )
    view: StringProperty(name="View", description="Which side a rendered picture shows (front, ...)")


class MOVIEDIR_CastMember(bpy.types.PropertyGroup):
    """A character, prop or place of the film, and what stands for it in the scene."""

    # ``name`` (from PropertyGroup) is the member's name: the prompt uses it.
    uid: StringProperty(
        name="Id", options={"HIDDEN"},
        description="Set once when the member is added; the shots' overrides are keyed by it",
    )  # fmt: skip
    kind: EnumProperty(name="Kind", items=KIND_ITEMS, default="CHARACTER")
    description: StringProperty(
        name="Description", description="A few words on how it looks (added to the prompt of its shots)"
    )
    objects: CollectionProperty(type=MOVIEDIR_CastObject)
    collection: PointerProperty(
        name="Collection", type=bpy.types.Collection,
        description="A collection whose objects (and its children's) stand for the member",
    )  # fmt: skip
    pictures: CollectionProperty(type=MOVIEDIR_CastPicture)
    active_picture_index: IntProperty(name="Active Picture", default=0, min=0)


class MOVIEDIR_Cast(bpy.types.PropertyGroup):
    """The scene's cast."""

    members: CollectionProperty(type=MOVIEDIR_CastMember)
    active_member_index: IntProperty(name="Active Member", default=0, min=0)


class MOVIEDIR_CastOverride(bpy.types.PropertyGroup):
    """A shot's choice for one member (``name``: the member's ``uid``)."""

    mode: EnumProperty(name="In Shot", items=OVERRIDE_ITEMS, default="INCLUDE")


#: Registered by :mod:`.props` before the groups that point to them.
classes = (
    MOVIEDIR_CastObject,
    MOVIEDIR_CastPicture,
    MOVIEDIR_CastMember,
    MOVIEDIR_Cast,
    MOVIEDIR_CastOverride,
)
