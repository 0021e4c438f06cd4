"""The cast (issue 17): who stands for each member in the scene, and which members each shot sees.

The data is :mod:`.cast_props` (``scene.movie_director.cast.members``; a shot's overrides in
``camera.movie_director.cast_overrides``). This module reads it:

- :func:`member_objects`: the member's objects that can appear in a render (the member's own objects and
  its collection's, minus hidden ones: ``hide_render``, ``hide_viewport``, excluded or hidden collections).
- :func:`in_view`: the members whose objects the shot camera sees at any frame of the shot's range
  (camera and object animation included), computed by :mod:`..blender.visibility` and cached per shot;
  the cache is dropped when the scene's animation or transforms change (:func:`invalidate`, called from
  the depsgraph handler in ``registration.py``) and whenever what it was computed from differs.
- :func:`distances`: how near the camera each member in view comes over the shot (same computation and
  cache as :func:`in_view`).
- :func:`shot_cast`: the members in a shot after the shot's overrides, nearest first, as frozen records:
  what a request needs (name, kind, description, picture paths, distance), plus notes on members skipped.
- Overrides are keyed by the member's stable id (:func:`member_id`), so renaming a member keeps them.
- Picture paths are stored relative to the saved .blend when under its folder (``//...``), so a team
  sharing the project folder finds them; :func:`member_pictures` resolves them.

Main thread only (reads ``bpy.data``; detection evaluates animation, never in ``draw()``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy

from ..backend.files import safe_filename
from ..blender import turnaround, visibility
from . import shots
from .config import blend_relative, output_root

KINDS = {"CHARACTER": "character", "PROP": "prop", "PLACE": "place"}


@dataclass(frozen=True)
class CastRef:
    """One member as a shot's request sees it (plain data: safe to hand to another thread)."""

    name: str
    kind: str  # "character" | "prop" | "place"
    description: str
    pictures: tuple[str, ...]  # absolute paths, in the member's order (not checked: the request does)
    reason: str  # "in view" | "included" (the shot's override)
    #: The smallest camera-to-member distance over the shot's frames where the member is in view;
    #: ``math.inf`` for a member in the shot only by the shot's Include.
    distance: float = math.inf


@dataclass(frozen=True)
class ShotCast:
    """The members in one shot after its overrides, and why others were left out."""

    shot: str
    members: tuple[CastRef, ...]  # nearest first (equal distances: cast order)
    notes: tuple[str, ...]  # e.g. "Cast member 'Fog' has no objects and no pictures: skipped"

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]


# --- reading the data -----
def cast_of(scene: bpy.types.Scene) -> Any:
    """The scene's cast (``MOVIEDIR_Cast``)."""
    return scene.movie_director.cast


def find_member(scene: bpy.types.Scene, name: str) -> Any:
    """The member called ``name``, or None."""
    return cast_of(scene).members.get(name)


def member_pictures(member: Any) -> tuple[str, ...]:
    """The member's picture files, absolute, empty entries left out."""
    return tuple(bpy.path.abspath(p.filepath) for p in member.pictures if p.filepath.strip())


def _declared_objects(member: Any) -> list[bpy.types.Object]:
    found: dict[str, bpy.types.Object] = {}
    for slot in member.objects:
        if slot.object is not None:
            found.setdefault(slot.object.name, slot.object)
    if member.collection is not None:
        for obj in member.collection.all_objects:
            found.setdefault(obj.name, obj)
    return list(found.values())


def has_objects(member: Any) -> bool:
    """Whether anything in the scene stands for the member (hidden or not)."""
    return bool(_declared_objects(member))


def member_objects(
    scene: bpy.types.Scene, member: Any, shown: set[str] | None = None
) -> list[bpy.types.Object]:
    """The member's objects that can appear in the scene's render (hidden ones left out); ``shown``: the
    scene's renderable object names when the caller already has them."""
    shown = visibility.renderable_objects(scene) if shown is None else shown
    return [obj for obj in _declared_objects(member) if obj.name in shown]


def _groups(scene: bpy.types.Scene) -> list[tuple[str, list[bpy.types.Object]]]:
    shown = visibility.renderable_objects(scene)
    return [(m.name, member_objects(scene, m, shown)) for m in cast_of(scene).members]


# --- who is in a shot -----
#: Shot name -> (what it was computed from, member name -> distance for the members in view).
_cache: dict[str, tuple[Any, dict[str, float]]] = {}
_generation = 0

#: ID types whose change can move something in a shot's view (objects are checked by their update flags).
_RELEVANT_TYPES = frozenset({"ACTION", "CAMERA", "COLLECTION", "MESH", "CURVE", "ARMATURE", "LATTICE"})


def invalidate(depsgraph: Any = None) -> None:
    """Drop cached detections when ``depsgraph``'s updates may change what a camera sees (all of them
    when None: a file was loaded). Cheap: called from the depsgraph handler."""
    global _generation
    if depsgraph is None:
        _cache.clear()
        visibility.forget_curves()
        _generation += 1
        return
    for update in depsgraph.updates:
        id_data = update.id
        kind = getattr(id_data, "id_type", "")
        if kind == "OBJECT":
            if update.is_updated_transform or update.is_updated_geometry:
                _generation += 1
                visibility.forget_curves()
                return
        elif kind in _RELEVANT_TYPES:
            _generation += 1
            visibility.forget_curves()
            return


def _key(scene: bpy.types.Scene, camera: bpy.types.Object, groups: list[tuple[str, list]]) -> Any:
    rng = shots.shot_range(scene, camera)
    render = scene.render
    return (
        _generation,
        scene.name,
        rng.start,
        rng.end,
        render.resolution_x,
        render.resolution_y,
        render.pixel_aspect_x,
        render.pixel_aspect_y,
        tuple((name, tuple(o.name for o in objs)) for name, objs in groups),
    )


def distances(
    camera: bpy.types.Object, scene: bpy.types.Scene | None = None, *, fresh: bool = True
) -> dict[str, float]:
    """Member name -> its smallest distance to ``camera`` over the frames of the shot's range where the
    camera sees it, for the members it sees (cached; a copy). ``fresh=False`` reuses the keyframe tables
    of the shots just computed (:func:`update_all`)."""
    scene = scene or shots.scene_of(camera)
    groups = _groups(scene)
    key = _key(scene, camera, groups)
    cached = _cache.get(camera.name)
    if cached is not None and cached[0] == key:
        return dict(cached[1])
    if fresh:
        visibility.forget_curves()
    rng = shots.shot_range(scene, camera)
    found = visibility.group_distances(
        scene, camera, [objs for _name, objs in groups], range(rng.start, rng.end + 1)
    )
    near = {name: d for (name, _objs), d in zip(groups, found, strict=True) if d < math.inf}
    _cache[camera.name] = (key, near)
    return dict(near)


def in_view(
    camera: bpy.types.Object, scene: bpy.types.Scene | None = None, *, fresh: bool = True
) -> frozenset[str]:
    """The names of the members whose objects ``camera`` sees at some frame of its shot's range."""
    return frozenset(distances(camera, scene, fresh=fresh))


def cached_distances(
    camera: bpy.types.Object, scene: bpy.types.Scene | None = None
) -> dict[str, float] | None:
    """What :func:`distances` last found for ``camera`` if nothing it depends on changed since, else None
    (for ``draw()``, which must not compute: this only compares)."""
    cached = _cache.get(camera.name)
    if cached is None or cached[0][0] != _generation:
        return None
    scene = scene or shots.scene_of(camera)
    groups = _groups(scene)
    return dict(cached[1]) if cached[0] == _key(scene, camera, groups) else None


def cached_in_view(camera: bpy.types.Object, scene: bpy.types.Scene | None = None) -> frozenset[str] | None:
    """The names :func:`in_view` last found for ``camera`` if nothing changed since, else None (draw())."""
    near = cached_distances(camera, scene)
    return None if near is None else frozenset(near)


def update_all(scene: bpy.types.Scene) -> dict[str, frozenset[str]]:
    """Detect the cast of every shot of ``scene`` (the Update Cast operator); shot name -> members."""
    visibility.forget_curves()
    return {cam.name: in_view(cam, scene, fresh=False) for cam in shots.scene_shots(scene)}


def member_id(member: Any) -> str:
    """The member's stable id (set once, when it is added; renaming keeps it): what overrides are keyed by.
    A member without one (made by hand through ``members.add()``) is keyed by its name until it gets one."""
    return member.uid or member.name


def ensure_id(member: Any) -> str:
    """Give ``member`` its id if it has none (writes: not from ``draw()``); returns it."""
    if not member.uid:
        member.uid = uuid.uuid4().hex
    return member.uid


def _resolve(camera: bpy.types.Object, member: Any) -> Any:
    """The member record for ``member`` (the record itself, or its name in the shot's scene), or None."""
    if not isinstance(member, str):
        return member
    scene = shots.scene_of(camera) or bpy.context.scene
    return find_member(scene, member) if scene is not None else None


def override(camera: bpy.types.Object, member: Any) -> str:
    """The shot's choice for ``member`` (the record, or its name): "INCLUDE", "EXCLUDE" or "" (the camera
    decides)."""
    record = _resolve(camera, member)
    if record is None:
        return ""
    row = camera.movie_director.cast_overrides.get(member_id(record))
    return row.mode if row is not None else ""


def set_override(camera: bpy.types.Object, member: Any, mode: str) -> None:
    """Force ``member`` (the record, or its name) into ("INCLUDE") or out of ("EXCLUDE") the shot; ""
    gives the choice back to the camera. Raises :class:`CastError` for an unknown member."""
    record = _resolve(camera, member)
    if record is None:
        raise CastError(f"No cast member named {member!r}")
    rows = camera.movie_director.cast_overrides
    old = rows.find(member_id(record))
    key = ensure_id(record)
    if old >= 0 and rows[old].name != key:
        rows[old].name = key  # keyed by the name before the member had an id
    index = rows.find(key)
    if not mode:
        if index >= 0:
            rows.remove(index)
        return
    row = rows[index] if index >= 0 else rows.add()
    row.name, row.mode = key, mode


def _ref(member: Any, reason: str, distance: float = math.inf) -> CastRef:
    return CastRef(
        name=member.name,
        kind=KINDS.get(member.kind, "character"),
        description=member.description.strip(),
        pictures=member_pictures(member),
        reason=reason,
        distance=distance,
    )


def shot_cast(camera: bpy.types.Object, scene: bpy.types.Scene | None = None) -> ShotCast:
    """The members in ``camera``'s shot after its overrides, nearest first, as frozen records.

    A member is in when the camera sees one of its objects (:func:`in_view`) or the shot includes it; a
    shot's exclusion wins over the camera. A member with no objects and no pictures is skipped with a note.
    Order: by :attr:`CastRef.distance` (an included member the camera never sees last), ties in cast order.
    """
    scene = scene or shots.scene_of(camera)
    near = distances(camera, scene)
    members: list[CastRef] = []
    notes: list[str] = []
    for member in cast_of(scene).members:
        if not has_objects(member) and not member_pictures(member):
            notes.append(f"Cast member '{member.name}' has no objects and no pictures: skipped")
            continue
        choice = override(camera, member)
        if choice == "EXCLUDE":
            continue
        distance = near.get(member.name, math.inf)
        if choice == "INCLUDE":
            members.append(_ref(member, "included", distance))
        elif member.name in near:
            members.append(_ref(member, "in view", distance))
    members.sort(key=lambda ref: ref.distance)  # stable: equal distances keep cast order
    return ShotCast(shot=camera.name, members=tuple(members), notes=tuple(notes))


def names_in_shot(camera: bpy.types.Object, scene: bpy.types.Scene | None = None) -> list[str]:
    """The names of the members in the shot after its overrides, nearest first (``md.cast_in_shot``)."""
    return shot_cast(camera, scene).names


def shots_with(scene: bpy.types.Scene, member: str) -> list[str]:
    """The shots ``member`` is in (after overrides), in timeline order."""
    return [cam.name for cam in shots.scene_shots(scene) if member in names_in_shot(cam, scene)]


def unique_name(scene: bpy.types.Scene, wanted: str, taken: Iterable[str] = ()) -> str:
    """``wanted``, or ``wanted.001``... when a member already has that name."""
    used = {m.name for m in cast_of(scene).members} | set(taken)
    if wanted not in used:
        return wanted
    n = 1
    while f"{wanted}.{n:03d}" in used:
        n += 1
    return f"{wanted}.{n:03d}"


# --- reference pictures -----
class CastError(ValueError):
    """A cast request that cannot be done, in words for the film-maker."""


def references_folder() -> Path:
    """Where rendered reference pictures go: ``<output folder>/cast``."""
    return Path(output_root()) / "cast"


def render_references(scene: bpy.types.Scene, member: Any, size: int = turnaround.PREVIEW_SIZE) -> list[Path]:
    """Render the member's turnaround (front, three-quarter, side) from its own objects into the output
    folder; the pictures replace the member's earlier rendered ones (pictures from files stay). Blocks:
    call it from an operator. Raises :class:`CastError` when the member has nothing visible to render."""
    objects = member_objects(scene, member)
    if not objects:
        why = "all of them are hidden" if has_objects(member) else "it has no objects or collection"
        raise CastError(f"Cast member '{member.name}' cannot be rendered: {why}")
    stem = safe_filename(member.name, default="member")
    made = turnaround.render_turnaround(objects, references_folder(), stem, size=size)
    pictures = member.pictures
    for index in reversed(range(len(pictures))):
        if pictures[index].rendered:
            pictures.remove(index)
    for picture in made:
        row = pictures.add()
        row.filepath, row.rendered, row.view = blend_relative(picture.path), True, picture.view
    return [picture.path for picture in made]


def add_member(
    scene: bpy.types.Scene,
    name: str,
    objects: Iterable[Any] = (),
    collection: Any = None,
    images: Iterable[str] = (),
    description: str = "",
    kind: str = "character",
) -> Any:
    """A new member (``name`` made unique) standing for ``objects`` and/or ``collection``, with ``images``
    as its pictures. Raises :class:`CastError` for an empty name or an unknown kind."""
    name = name.strip()
    if not name:
        raise CastError("A cast member needs a name")
    kinds = {v: k for k, v in KINDS.items()}
    key = kinds.get(kind.lower()) if isinstance(kind, str) else None
    if key is None:
        raise CastError(f"Unknown kind {kind!r}: use one of {', '.join(KINDS.values())}")
    cast = cast_of(scene)
    member = cast.members.add()
    member.name = unique_name(scene, name, ())
    ensure_id(member)
    member.kind, member.description = key, description
    for obj in objects:
        member.objects.add().object = obj
    member.collection = collection
    for image in images:
        member.pictures.add().filepath = blend_relative(image)
    cast.active_member_index = len(cast.members) - 1
    return member
