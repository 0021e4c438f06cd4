"""Turnaround pictures of some objects: front, three-quarter and side views on a neutral background.

Used by the cast's **Render References** (issue 17): the pictures a video model gets to keep a character,
prop or place the same from shot to shot come from the member's own 3D model. Only the given objects are
in the picture: they are linked into a throw-away scene (with its own camera and a neutral grey world),
rendered there with Workbench (solid shading, studio light, the materials' colours: fast, no GPU shader
compilation), and the scene, camera and world are removed after. The user's scene, its frame and its
objects' own collections are not touched.

Main thread only (renders synchronously: call it from an operator, never from a timer, handler or draw()).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bpy
from mathutils import Vector

from . import frames

#: (name, angle around the vertical from the front, degrees). Front looks along +Y, as Blender's Front view.
VIEWS: tuple[tuple[str, float], ...] = (("front", 0.0), ("three_quarter", 45.0), ("side", 90.0))
PREVIEW_SIZE = 512
BACKGROUND = (0.5, 0.5, 0.5)  # neutral mid grey
ELEVATION = 8.0  # degrees above the centre: a slight look down, as a person would take it
LENS = 50.0
MARGIN = 1.15  # the subject fills about 85 % of the picture


@dataclass(frozen=True)
class Picture:
    view: str  # "front" | "three_quarter" | "side"
    path: Path


def bounds(objects: Sequence[Any]) -> tuple[Vector, float]:
    """(centre, radius) of the objects' world bounding boxes at the current frame."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    points = []
    for obj in objects:
        evaluated = obj.evaluated_get(depsgraph)
        matrix = evaluated.matrix_world
        points += [matrix @ Vector(corner) for corner in evaluated.bound_box]
    if not points:
        raise ValueError("Nothing to render: no objects")
    low = Vector(tuple(min(p[i] for p in points) for i in range(3)))
    high = Vector(tuple(max(p[i] for p in points) for i in range(3)))
    centre = (low + high) / 2
    return centre, max((high - low).length / 2, 1e-3)


def render_turnaround(
    objects: Sequence[Any], folder: str | Path, stem: str, size: int = PREVIEW_SIZE
) -> list[Picture]:
    """Render ``objects`` from the front, three-quarter and side to ``folder/{stem}_{view}.png`` (square,
    ``size`` pixels), replacing earlier files of those names. Raises ValueError with no objects and
    RuntimeError when Blender writes no picture."""
    objects = list(objects)
    centre, radius = bounds(objects)
    folder = Path(folder)
    scene = bpy.data.scenes.new(frames.TEMP_SCENE_PREFIX + "_cast")
    world = bpy.data.worlds.new(frames.TEMP_SCENE_PREFIX + "_cast")
    camera_data = bpy.data.cameras.new(frames.TEMP_SCENE_PREFIX + "_cast")
    camera = bpy.data.objects.new(frames.TEMP_SCENE_PREFIX + "_cast", camera_data)
    try:
        _set_up(scene, world, camera, objects, size)
        fov = camera_data.angle
        distance = radius * MARGIN / math.sin(fov / 2)
        camera_data.clip_start = max(1e-3, distance - radius * 2)
        camera_data.clip_end = distance + radius * 2
        pictures = []
        for view, angle in VIEWS:
            _place(camera, centre, distance, angle)
            path = folder / f"{stem}_{view}.png"
            path.unlink(missing_ok=True)
            frames.render_to(scene, path, f"the {view.replace('_', '-')} reference picture", write_still=True)
            pictures.append(Picture(view, path))
        return pictures
    finally:
        for collection, item in (
            (bpy.data.scenes, scene),
            (bpy.data.objects, camera),
            (bpy.data.cameras, camera_data),
            (bpy.data.worlds, world),
        ):
            with contextlib.suppress(ReferenceError):  # already gone (a file was loaded meanwhile)
                collection.remove(item)


def _set_up(scene: Any, world: Any, camera: Any, objects: list[Any], size: int) -> None:
    for obj in objects:
        scene.collection.objects.link(obj)
    scene.collection.objects.link(camera)
    scene.camera = camera
    camera.data.lens = LENS
    camera.data.sensor_fit = "AUTO"
    world.color = BACKGROUND
    scene.world = world
    render = scene.render
    render.engine = "BLENDER_WORKBENCH"
    frames.plain_png(scene, size, size)
    render.film_transparent = False
    render.use_sequencer = False
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "MATERIAL"
    scene.display.render_aa = "8"


def _place(camera: Any, centre: Vector, distance: float, angle: float) -> None:
    """Camera on a circle around ``centre``: ``angle`` 0 is in front (at -Y), 90 at the right side (+X)."""
    a, e = math.radians(angle), math.radians(ELEVATION)
    offset = Vector((math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e))) * distance
    camera.location = centre + offset
    camera.rotation_euler = (-offset).to_track_quat("-Z", "Y").to_euler()
