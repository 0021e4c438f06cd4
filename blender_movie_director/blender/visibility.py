"""What a camera sees over a range of frames: which groups of objects enter its view (issue 17's cast).

An object is in view at a frame when its bounding box meets the camera's view frustum (the frame the
render shows, between the clip distances): the eight corners are taken to camera space and the box is out
when all of them lie outside one of the frustum's six planes. A group is in view when one of its objects
is, at any of the frames; its distance is the smallest from the camera to one of its objects' box centre
over the frames where that object is in view. A keyed ``hide_render`` is followed frame by frame.

Speed, without ``scene.frame_set`` where it can be helped: an object whose transform (and its parents')
comes only from its action's F-curves is evaluated from the keyframes themselves, for all frames at once
with numpy (Bezier segments sampled densely, as Blender draws them); an object with no animation keeps its
current matrix. Only what this cannot reproduce (constraints, drivers, NLA, bone parents, an armature
deforming it, an animated lens...) is read from Blender frame by frame, and then only at those frames, with
the scene's frame restored after. Geometry is the evaluated bounding box at the current frame, or at each
frame for an object whose geometry moves (an armature or other deforming modifier, animated shape keys).

Main thread only; imports nothing of ours (a ``blender/`` helper).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import bpy

#: Bezier segments are sampled this many times, then read by linear interpolation (sub-percent error).
BEZIER_SAMPLES = 64
_SIMPLE_INTERPOLATION = frozenset({"CONSTANT", "LINEAR", "BEZIER"})
_TRANSFORM_PATHS = {
    "location": 3,
    "rotation_euler": 3,
    "rotation_quaternion": 4,
    "rotation_axis_angle": 4,
    "scale": 3,
}
_GEOMETRY_TYPES = frozenset(
    {"MESH", "CURVE", "SURFACE", "META", "FONT", "CURVES", "POINTCLOUD", "VOLUME", "GPENCIL", "GREASEPENCIL",
     "ARMATURE", "LATTICE"}
)  # fmt: skip


# --- which objects can be seen at all -----
def renderable_objects(scene: bpy.types.Scene, view_layer: Any = None) -> set[str]:
    """Names of the scene's objects that can appear in its render: not ``hide_render`` (unless it is keyed:
    then :func:`group_distances` follows it frame by frame) or ``hide_viewport``, in a collection that is
    neither excluded from the view layer nor hidden."""
    view_layer = view_layer or _view_layer(scene)
    shown: set[str] = set()

    def walk(layer_collection: Any) -> None:
        collection = layer_collection.collection
        if layer_collection.exclude or collection.hide_render or collection.hide_viewport:
            return
        for obj in collection.objects:
            if not obj.hide_viewport and (not obj.hide_render or keyed_hidden(obj)):
                shown.add(obj.name)
        for child in layer_collection.children:
            walk(child)

    walk(view_layer.layer_collection)
    return shown


def _view_layer(scene: bpy.types.Scene) -> Any:
    context_layer = getattr(bpy.context, "view_layer", None)
    if context_layer is not None and getattr(bpy.context, "scene", None) == scene:
        return context_layer
    return scene.view_layers[0]


# --- animation without frame_set -----
def _fcurves(id_data: Any) -> Any:
    """The F-curves animating ``id_data`` (its action's slot on 4.4+; ``action.fcurves`` before), or None."""
    anim = id_data.animation_data
    action = anim.action if anim is not None else None
    if action is None:
        return None
    if hasattr(action, "layers") and getattr(anim, "action_slot", None) is not None:
        if not action.layers:
            return ()
        for strip in action.layers[0].strips:
            bag = strip.channelbag(anim.action_slot)
            return bag.fcurves if bag is not None else ()
        return ()
    return action.fcurves


def _is_plain(id_data: Any) -> bool:
    """Whether ``id_data``'s animation is only its action, at full weight (no NLA, no drivers)."""
    anim = id_data.animation_data
    if anim is None:
        return True
    if anim.drivers or any(not t.mute for t in anim.nla_tracks):
        return False
    weighted = anim.action_influence < 1.0 or anim.action_blend_type != "REPLACE"
    return anim.action is None or not weighted


def _curves_of(obj: Any) -> dict[tuple[str, int], Any] | None:
    """The object's transform F-curves by (path, index); None when they cannot be evaluated here."""
    if not _is_plain(obj):
        return None
    curves = _fcurves(obj)
    found: dict[tuple[str, int], Any] = {}
    for fc in curves or ():
        if fc.mute:
            continue
        if fc.data_path not in _TRANSFORM_PATHS:
            if fc.data_path.startswith("delta_"):
                return None
            continue
        found[(fc.data_path, fc.array_index)] = fc
    return found


#: Modifiers that move an object's geometry over time (its bounding box then changes frame by frame).
_DEFORMERS = frozenset(
    {"ARMATURE", "HOOK", "CURVE", "LATTICE", "MESH_DEFORM", "SURFACE_DEFORM", "NODES", "WAVE", "DISPLACE",
     "CAST", "SIMPLE_DEFORM", "WARP", "SHRINKWRAP"}
)  # fmt: skip


def _needs_blender(obj: Any) -> bool:
    """Whether the object's placement needs Blender's own evaluation (constraints, bone parents, NLA,
    drivers; recursively through the parents), or its geometry moves (:func:`_deforms`)."""
    if _deforms(obj):
        return True
    while obj is not None:
        if obj.constraints or _curves_of(obj) is None or obj.parent_type not in ("OBJECT",):
            return True
        obj = obj.parent
    return False


def _deforms(obj: Any) -> bool:
    """Whether the object's geometry may change with the frame: a deforming modifier (an armature, a hook,
    geometry nodes...) or animated shape keys."""
    if any(m.type in _DEFORMERS and m.show_render for m in getattr(obj, "modifiers", ())):
        return True
    keys = getattr(getattr(obj, "data", None), "shape_keys", None)
    return keys is not None and keys.animation_data is not None


#: F-curve (by pointer) -> its sampled (x, y) table, or None when Blender must evaluate it. Dropped with
#: :func:`forget_curves` whenever keyframes may have changed (the cast's depsgraph handler).
_TABLES: dict[int, Any] = {}


def forget_curves() -> None:
    _TABLES.clear()


def evaluate_curve(fc: Any, frames: Any) -> Any:
    """Values of F-curve ``fc`` at ``frames`` (numpy float array), from its keyframes; Blender's own
    ``evaluate`` for what is not plain Constant/Linear/Bezier with constant extrapolation."""
    import numpy as np

    frames = np.asarray(frames, dtype=np.float64)
    key = fc.as_pointer()
    if key not in _TABLES:
        _TABLES[key] = _table(fc)
    table = _TABLES[key]
    if table is None:
        return np.array([fc.evaluate(f) for f in frames])
    return np.interp(frames, table[0], table[1])


def _table(fc: Any) -> Any:
    """(x, y) points the curve passes through, dense on Bezier segments; None when not plain."""
    import numpy as np

    points = fc.keyframe_points
    count = len(points)
    if count == 0:
        return np.zeros(1), np.zeros(1)
    modes = [k.interpolation for k in points]
    if fc.modifiers or fc.extrapolation != "CONSTANT" or not set(modes) <= _SIMPLE_INTERPOLATION:
        return None
    co = np.empty(count * 2)
    left = np.empty(count * 2)
    right = np.empty(count * 2)
    points.foreach_get("co", co)
    points.foreach_get("handle_left", left)
    points.foreach_get("handle_right", right)
    co, left, right = co.reshape(-1, 2), left.reshape(-1, 2), right.reshape(-1, 2)
    if count == 1:
        return co[:, 0], co[:, 1]
    t = np.linspace(0.0, 1.0, BEZIER_SAMPLES)[:, None]
    u = 1.0 - t
    weights = (u**3, 3 * u * u * t, 3 * u * t * t, t**3)
    xs: list[Any] = []
    ys: list[Any] = []
    for i in range(count - 1):  # one segment per pair of keys; its mode is the left key's
        x0, y0 = co[i]
        x1, y1 = co[i + 1]
        mode = modes[i]
        if mode == "CONSTANT":
            xs.append(np.array([x0, np.nextafter(x1, x0)]))
            ys.append(np.array([y0, y0]))
        elif mode == "LINEAR":
            xs.append(np.array([x0, x1]))
            ys.append(np.array([y0, y1]))
        else:
            p1, p2 = _corrected_handles(co[i], right[i], left[i + 1], co[i + 1])
            curve = weights[0] * co[i] + weights[1] * p1 + weights[2] * p2 + weights[3] * co[i + 1]
            xs.append(curve[:, 0])
            ys.append(curve[:, 1])
    xs.append(co[-1:, 0])  # the last key itself (a Constant segment stops just before it)
    ys.append(co[-1:, 1])
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def _corrected_handles(v1: Any, v2: Any, v3: Any, v4: Any) -> tuple[Any, Any]:
    """Blender's ``BKE_fcurve_correct_bezpart``: handles scaled back so they do not cross in time."""
    h1 = v1 - v2
    h2 = v4 - v3
    span = v4[0] - v1[0]
    total = abs(h1[0]) + abs(h2[0])
    if total == 0.0 or total <= span:
        return v2, v3
    fac = span / total
    return v1 - fac * h1, v4 - fac * h2


def _rotations(obj: Any, curves: dict, frames: Any) -> Any:
    """(F, 3, 3) rotation matrices of ``obj`` at ``frames`` (its rotation mode, delta rotation applied)."""
    import numpy as np

    mode = obj.rotation_mode
    n = len(frames)

    def channel(path: str, size: int, current: Any) -> Any:
        out = np.empty((n, size))
        for i in range(size):
            fc = curves.get((path, i))
            out[:, i] = evaluate_curve(fc, frames) if fc is not None else current[i]
        return out

    if mode == "QUATERNION":
        rot = _quat_matrices(channel("rotation_quaternion", 4, obj.rotation_quaternion))
    elif mode == "AXIS_ANGLE":
        rot = _axis_angle_matrices(channel("rotation_axis_angle", 4, obj.rotation_axis_angle))
    else:
        rot = _euler_matrices(channel("rotation_euler", 3, obj.rotation_euler), mode)
    if mode in ("QUATERNION", "AXIS_ANGLE"):
        delta = np.array(obj.delta_rotation_quaternion.to_matrix())
    else:
        delta = np.array(obj.delta_rotation_euler.to_matrix())
    return np.einsum("ij,fjk->fik", delta, rot)


def _euler_matrices(angles: Any, order: str) -> Any:
    import numpy as np

    c, s = np.cos(angles), np.sin(angles)
    n = len(angles)
    mats = {}
    for axis, (a, b) in enumerate(((1, 2), (0, 2), (0, 1))):
        m = np.zeros((n, 3, 3))
        m[:, axis, axis] = 1.0
        m[:, a, a] = c[:, axis]
        m[:, b, b] = c[:, axis]
        sign = -1.0 if axis != 1 else 1.0
        m[:, a, b] = sign * s[:, axis]
        m[:, b, a] = -sign * s[:, axis]
        mats["XYZ"[axis]] = m
    first, second, third = order
    return mats[third] @ mats[second] @ mats[first]


def _quat_matrices(q: Any) -> Any:
    import numpy as np

    norm = np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = (q / np.where(norm == 0.0, 1.0, norm)).T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        1,
    )


def _axis_angle_matrices(aa: Any) -> Any:
    import numpy as np

    angle = aa[:, 0]
    axis = aa[:, 1:]
    norm = np.linalg.norm(axis, axis=1, keepdims=True)
    axis = axis / np.where(norm == 0.0, 1.0, norm)
    half = angle / 2.0
    quats = np.concatenate([np.cos(half)[:, None], axis * np.sin(half)[:, None]], axis=1)
    return _quat_matrices(quats)


class _Placements:
    """World matrices of objects at a set of frames, each evaluated once."""

    def __init__(self, scene: bpy.types.Scene, frames: Sequence[int]) -> None:
        import numpy as np

        self.scene = scene
        self.frames = np.asarray(frames, dtype=np.float64)
        self._memo: dict[str, Any] = {}
        self._from_blender: dict[str, Any] = {}
        self.boxes: dict[str, Any] = {}  # (F, 8, 4) corners of deforming objects, frame by frame

    def world(self, objects: Iterable[Any]) -> list[Any]:
        """(F, 4, 4) world matrices for each object (a (1, 4, 4) when it does not move)."""
        objects = list(objects)
        slow = [o for o in objects if o.name not in self._memo and _needs_blender(o)]
        if slow:
            self._read_from_blender(slow)
        return [self._world(o) for o in objects]

    def _world(self, obj: Any) -> Any:
        import numpy as np

        memo = self._memo.get(obj.name)
        if memo is not None:
            return memo
        if obj.name in self._from_blender:
            result = self._from_blender[obj.name]
        elif not _moves(obj):
            result = np.array(obj.matrix_world)[None]
        else:
            curves = _curves_of(obj) or {}
            basis = self._basis(obj, curves)
            if obj.parent is None:
                result = basis
            else:
                parent = self._world(obj.parent)
                result = parent @ np.array(obj.matrix_parent_inverse)[None] @ basis
        self._memo[obj.name] = result
        return result

    def _basis(self, obj: Any, curves: dict) -> Any:
        import numpy as np

        n = len(self.frames)
        loc = np.empty((n, 3))
        scale = np.empty((n, 3))
        for i in range(3):
            fc = curves.get(("location", i))
            loc[:, i] = evaluate_curve(fc, self.frames) if fc is not None else obj.location[i]
            fc = curves.get(("scale", i))
            scale[:, i] = evaluate_curve(fc, self.frames) if fc is not None else obj.scale[i]
        loc += np.array(obj.delta_location)
        scale *= np.array(obj.delta_scale)
        mat = np.zeros((n, 4, 4))
        mat[:, :3, :3] = _rotations(obj, curves, self.frames) * scale[:, None, :]
        mat[:, :3, 3] = loc
        mat[:, 3, 3] = 1.0
        return mat

    def _read_from_blender(self, objects: list[Any]) -> None:
        """Blender's own evaluation, frame by frame (the floor this module otherwise avoids)."""
        import numpy as np

        scene = self.scene
        current, subframe = scene.frame_current, scene.frame_subframe
        count = len(self.frames)
        out = {o.name: np.empty((count, 4, 4)) for o in objects}
        deformed = [o for o in objects if _deforms(o)]
        boxes = {o.name: np.ones((count, 8, 4)) for o in deformed}
        try:
            for i, frame in enumerate(self.frames):
                scene.frame_set(int(frame))
                for obj in objects:
                    out[obj.name][i] = np.array(obj.matrix_world)
                if deformed:
                    depsgraph = bpy.context.evaluated_depsgraph_get()
                    for obj in deformed:
                        corners = obj.evaluated_get(depsgraph).bound_box
                        boxes[obj.name][i, :, :3] = [tuple(c) for c in corners]
        finally:
            scene.frame_set(current, subframe=subframe)
        self._from_blender.update(out)
        self.boxes.update(boxes)


def _moves(obj: Any) -> bool:
    """Whether the object or a parent has transform F-curves."""
    while obj is not None:
        if _curves_of(obj):
            return True
        obj = obj.parent
    return False


# --- the camera's frustum -----
def _camera_moves(camera: Any) -> bool:
    data = camera.data
    anim = getattr(data, "animation_data", None)
    return anim is not None and (anim.action is not None or bool(anim.drivers))


def _frustum(scene: bpy.types.Scene, camera: Any) -> tuple[bool, tuple[float, ...]]:
    """(orthographic, (xmin, xmax, ymin, ymax, clip_start, clip_end)) of the camera at the current frame;
    the frame's bounds are per unit of depth when perspective."""
    data = camera.data
    corners = [tuple(v) for v in data.view_frame(scene=scene)]
    xs = [c[0] for c in corners]
    ys = [c[1] for c in corners]
    ortho = data.type == "ORTHO"
    depth = 1.0 if ortho else abs(corners[0][2]) or 1.0
    bounds = (min(xs) / depth, max(xs) / depth, min(ys) / depth, max(ys) / depth)
    return ortho, (*bounds, float(data.clip_start), float(data.clip_end))


def _frustums(scene: bpy.types.Scene, camera: Any, frames: list[int]) -> tuple[bool, Any]:
    """The camera's frustum at each frame, (F, 6), when its lens is animated (Blender evaluates each
    frame); else (1, 6)."""
    import numpy as np

    if not _camera_moves(camera):
        ortho, bounds = _frustum(scene, camera)
        return ortho, np.array([bounds])
    current, subframe = scene.frame_current, scene.frame_subframe
    rows = []
    try:
        for frame in frames:
            scene.frame_set(frame)
            ortho, bounds = _frustum(scene, camera)
            rows.append(bounds)
    finally:
        scene.frame_set(current, subframe=subframe)
    return ortho, np.array(rows)


def _box_corners(obj: Any, depsgraph: Any) -> Any:
    import numpy as np

    if obj.type in _GEOMETRY_TYPES:
        evaluated = obj.evaluated_get(depsgraph) if depsgraph is not None else obj
        corners = np.array([tuple(c) for c in evaluated.bound_box], dtype=np.float64)
    else:
        corners = np.zeros((8, 3))  # no geometry: the object's origin
    return np.concatenate([corners, np.ones((8, 1))], axis=1)


def groups_in_view(
    scene: bpy.types.Scene, camera: Any, groups: Sequence[Sequence[Any]], frames: Iterable[int]
) -> list[bool]:
    """For each group of objects, whether ``camera`` sees one of them at one of ``frames``."""
    return [distance < math.inf for distance in group_distances(scene, camera, groups, frames)]


def group_distances(
    scene: bpy.types.Scene, camera: Any, groups: Sequence[Sequence[Any]], frames: Iterable[int]
) -> list[float]:
    """For each group of objects, the smallest distance from ``camera`` to one of its objects (the centre
    of its bounding box) over the ``frames`` where that object is in view; ``math.inf`` when none is."""
    import numpy as np

    frames = list(frames)
    everyone = [obj for group in groups for obj in group]
    if not frames or not everyone:
        return [math.inf] * len(groups)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    placements = _Placements(scene, frames)
    ortho, frustum = _frustums(scene, camera, frames)
    xmin, xmax, ymin, ymax, near, far = (frustum[:, i : i + 1] for i in range(6))  # (F or 1, 1)
    (cam_world,) = placements.world([camera])
    to_camera = _affine_inverse(cam_world)  # (F or 1, 4, 4)
    unique = list({obj.name: obj for obj in everyone}.values())
    count = len(frames)
    worlds = np.stack([np.broadcast_to(w, (count, 4, 4)) for w in placements.world(unique)])  # (K, F, 4, 4)
    corners = np.stack(  # (K, F, 8, 4): a deforming object's box frame by frame, else its box now
        [np.broadcast_to(placements.boxes.get(obj.name, _box_corners(obj, depsgraph)), (count, 8, 4))
         for obj in unique]
    )  # fmt: skip
    local = np.matmul(to_camera[None] @ worlds, corners.transpose(0, 1, 3, 2))  # (K, F, 4, 8)
    x, y, z = local[:, :, 0], local[:, :, 1], local[:, :, 2]
    xmin, xmax, ymin, ymax, near, far = (b[None] for b in (xmin, xmax, ymin, ymax, near, far))
    if ortho:
        planes = (x - xmin, xmax - x, y - ymin, ymax - y, -z - near, far + z)
    else:
        planes = (x + xmin * z, -x - xmax * z, y + ymin * z, -y - ymax * z, -z - near, far + z)
    outside = np.zeros(x.shape[:2], dtype=bool)  # (K, F)
    for plane in planes:
        outside |= (plane < 0.0).all(axis=2)
    outside |= np.stack([_hidden_at(obj, placements.frames) for obj in unique])
    centre = local[:, :, :3].mean(axis=3)  # (K, F, 3) in camera space: the camera is at the origin
    far_away = np.where(outside, np.inf, np.linalg.norm(centre, axis=2)).min(axis=1)  # (K,)
    nearest = {obj.name: float(d) for obj, d in zip(unique, far_away, strict=True)}
    return [min((nearest[obj.name] for obj in group), default=math.inf) for group in groups]


def _hidden_at(obj: Any, frames: Any) -> Any:
    """(F,) whether the object is hidden from the render at each of ``frames``: its keyed ``hide_render``
    followed frame by frame (its action's F-curve; drivers and NLA are not), else its value now."""
    import numpy as np

    curve = _hide_curve(obj)
    if curve is None:
        return np.full(len(frames), bool(obj.hide_render))
    return evaluate_curve(curve, frames) >= 0.5


def _hide_curve(obj: Any) -> Any:
    """The object's ``hide_render`` F-curve (unmuted), or None."""
    for fc in _fcurves(obj) or ():
        if fc.data_path == "hide_render" and not fc.mute:
            return fc
    return None


def keyed_hidden(obj: Any) -> bool:
    """Whether ``obj``'s ``hide_render`` is keyframed (then it is checked frame by frame, not now)."""
    return obj.animation_data is not None and _hide_curve(obj) is not None


def _affine_inverse(matrices: Any) -> Any:
    """Inverses of (N, 4, 4) affine matrices (no LAPACK call per matrix: adjugate of the 3 x 3 part)."""
    import numpy as np

    a = matrices[:, :3, :3]
    c0, c1, c2 = a[:, :, 0], a[:, :, 1], a[:, :, 2]
    rows = np.stack([np.cross(c1, c2), np.cross(c2, c0), np.cross(c0, c1)], axis=1)
    det = np.einsum("ni,ni->n", c0, rows[:, 0])
    inv3 = rows / np.where(det == 0.0, 1e-12, det)[:, None, None]
    out = np.zeros_like(matrices, dtype=np.float64)
    out[:, :3, :3] = inv3
    out[:, :3, 3] = -np.einsum("nij,nj->ni", inv3, matrices[:, :3, 3])
    out[:, 3, 3] = 1.0
    return out
