"""Build the film in Blender: a small 3D set, one camera per shot (made with the extension's own Add Shot
button, so each has its timeline marker), prompts, a keyframed move, a Cycles still for the shot that
starts from a picture, and the cast (the keeper, the lighthouse) with reference pictures Blender renders of
them. Main thread, inside the ``bpy`` module.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import bpy
from mathutils import Vector

from demo.plan import LANTERN, FilmPlan, ShotPlan, Vec

STILL_SAMPLES = 16


def _material(name: str, color: tuple[float, float, float], emission: float = 0.0) -> Any:
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = (*color, 1.0)  # what Workbench shows (the cast's reference pictures)
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    bsdf.inputs["Base Color"].default_value = (*color, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.6
    if emission > 0:
        bsdf.inputs["Emission Color"].default_value = (*color, 1.0)
        bsdf.inputs["Emission Strength"].default_value = emission
    return mat


def _add(mesh: str, name: str, location: Vec, material: Any, **kwargs: Any) -> Any:
    getattr(bpy.ops.mesh, f"primitive_{mesh}_add")(location=location, **kwargs)
    obj = bpy.context.active_object
    obj.name = name
    obj.data.materials.append(material)
    return obj


def build_set(scene: Any) -> None:
    """Sea, cliff, lighthouse (tower, stripe, lantern, roof), a low sun and a dusk sky."""
    _add("plane", "Sea", (0, 0, 0), _material("Sea", (0.02, 0.06, 0.12)), size=400)
    cliff = _add("cube", "Cliff", (0, 0, 1.5), _material("Rock", (0.18, 0.15, 0.12)))
    cliff.scale = (4.0, 3.0, 1.5)
    _add("cylinder", "Tower", (0, 0, 5.5), _material("Whitewash", (0.85, 0.85, 0.8)), radius=0.6, depth=5)
    _add("cylinder", "Stripe", (0, 0, 5.5), _material("Red", (0.6, 0.05, 0.04)), radius=0.62, depth=0.7)
    _add("cylinder", "Lantern", LANTERN, _material("Lamp", (1.0, 0.75, 0.35), emission=12.0),
         radius=0.5, depth=0.8)  # fmt: skip
    _add("cone", "Roof", (0, 0, 9.2), _material("Red", (0.6, 0.05, 0.04)), radius1=0.75, depth=0.8)
    sun_data = bpy.data.lights.new("Sun", "SUN")
    sun_data.energy = 2.5
    sun_data.color = (1.0, 0.55, 0.3)
    sun = bpy.data.objects.new("Sun", sun_data)
    sun.rotation_euler = (math.radians(78), 0.0, math.radians(-120))
    scene.collection.objects.link(sun)
    world = bpy.data.worlds.new("Dusk")
    world.use_nodes = True
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (0.12, 0.08, 0.2, 1.0)
    background.inputs["Strength"].default_value = 1.0
    scene.world = world


def _aim(obj: Any, location: Vec, target: Vec) -> None:
    obj.location = location
    direction = Vector(target) - Vector(location)
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def add_shot(scene: Any, plan: ShotPlan, start: int) -> Any:
    """One shot: the extension's Add Shot (camera + marker at the current frame), then its settings."""
    scene.frame_current = start
    before = {o.name for o in scene.objects}
    assert bpy.ops.moviedir.add_shot() == {"FINISHED"}
    (name,) = {o.name for o in scene.objects} - before
    cam = scene.objects[name]
    cam.data.lens = 35.0
    _aim(cam, plan.location, plan.target)
    if plan.move_to is not None:
        end = start + plan.frames - 1
        cam.keyframe_insert("location", frame=start)
        cam.keyframe_insert("rotation_euler", frame=start)
        _aim(cam, plan.move_to, plan.target)
        cam.keyframe_insert("location", frame=end)
        cam.keyframe_insert("rotation_euler", frame=end)
    cam.movie_director.prompt = plan.prompt
    return cam


def use_image_model(cam: Any) -> None:
    """Pick the backend's image-to-video model for a shot that starts from a picture (what the Model
    button's search offers); the shot's model field otherwise keeps the text-to-video default."""
    from blender_movie_director.scene import catalogs, props

    settings = cam.movie_director
    props.set_shot_model(settings, catalogs.default_model(settings.backend, with_image=True))


def build(plan: FilmPlan) -> tuple[Any, list[Any]]:
    """The set and the shots in the current (empty) file; returns (scene, cameras in timeline order)."""
    scene = bpy.context.scene
    scene.name = plan.title
    render = scene.render
    render.resolution_x, render.resolution_y, render.resolution_percentage = plan.width, plan.height, 100
    render.fps, render.fps_base = plan.fps, 1.0
    scene.frame_start, scene.frame_end = 1, plan.frames
    build_set(scene)
    build_keeper()
    cameras = [add_shot(scene, shot, start) for shot, start in zip(plan.shots, plan.starts(), strict=True)]
    scene.frame_current = 1
    return scene, cameras


def render_still(scene: Any, camera: Any, path: Path, frame: int) -> Path:
    """Render the set through ``camera`` at ``frame`` with Cycles on the CPU (works without a GPU or a
    display) to a PNG at the scene's size; the scene's camera, frame and output settings are put back."""
    render = scene.render
    saved = (scene.camera, scene.frame_current, render.engine, render.filepath,
             render.image_settings.file_format, render.use_sequencer)  # fmt: skip
    try:
        scene.camera = camera
        scene.frame_set(frame)
        render.engine = "CYCLES"
        scene.cycles.device = "CPU"
        scene.cycles.samples = STILL_SAMPLES
        render.image_settings.file_format = "PNG"
        render.use_sequencer = False
        path.parent.mkdir(parents=True, exist_ok=True)
        render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
    finally:
        scene.camera, current, render.engine, render.filepath = saved[0], saved[1], saved[2], saved[3]
        render.image_settings.file_format, render.use_sequencer = saved[4], saved[5]
        scene.frame_set(current)
    if not path.is_file():
        raise RuntimeError(f"Blender did not write the still {path}")
    return path


# --- the cast (issue 17): the keeper and the lighthouse, each with pictures Blender renders of it -----
KEEPER_DESCRIPTION = "an old lighthouse keeper with a grey beard, a yellow oilskin raincoat and a dark cap"
LIGHTHOUSE_DESCRIPTION = "a white stone lighthouse with one red stripe, a glowing lantern room and a red roof"
LIGHTHOUSE_PARTS = ("Tower", "Stripe", "Lantern", "Roof")
KEEPER_PARTS = ("Keeper Coat", "Keeper Head", "Keeper Cap", "Keeper Beard")


def build_keeper(location: Vec = (1.6, -1.9, 3.0)) -> list[Any]:
    """A simple figure of primitives standing on the cliff top by the tower: raincoat, head, cap, boots."""
    x, y, z = location
    coat = _add("cone", "Keeper Coat", (x, y, z + 0.55), _material("Oilskin", (0.9, 0.7, 0.05)),
                radius1=0.32, radius2=0.16, depth=1.1)  # fmt: skip
    head = _add("uv_sphere", "Keeper Head", (x, y, z + 1.28), _material("Skin", (0.85, 0.62, 0.5)),
                radius=0.17, segments=16, ring_count=8)  # fmt: skip
    cap = _add("cylinder", "Keeper Cap", (x, y, z + 1.45), _material("Cap", (0.05, 0.05, 0.08)),
               radius=0.18, depth=0.1)  # fmt: skip
    beard = _add("cone", "Keeper Beard", (x, y - 0.12, z + 1.12), _material("Beard", (0.6, 0.6, 0.6)),
                 radius1=0.13, depth=0.22, rotation=(math.pi, 0.0, 0.0))  # fmt: skip
    return [coat, head, cap, beard]


def build_cast(scene: Any, keeper: list[Any], picture_size: int) -> dict[str, list[str]]:
    """The film's cast of two, their reference pictures rendered by Blender from their own models, and
    which shots each is in (what each camera sees over its frames); member name -> shot names."""
    import movie_director as md

    from blender_movie_director.scene import cast

    parts = [scene.objects[name] for name in LIGHTHOUSE_PARTS]
    md.add_cast_member("Keeper", objects=keeper, description=KEEPER_DESCRIPTION, kind="character")
    md.add_cast_member("Lighthouse", objects=parts, description=LIGHTHOUSE_DESCRIPTION, kind="place")
    for member in cast.cast_of(scene).members:
        cast.render_references(scene, member, size=picture_size)
    return {m.name: cast.shots_with(scene, m.name) for m in cast.cast_of(scene).members}
