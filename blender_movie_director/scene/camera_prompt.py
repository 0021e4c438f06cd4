"""Camera-driven prompts: sample the shot camera in Blender, read its moves (:mod:`.camera_motion`), and
add the words the chosen model understands to the prompt.

Sampling sets the scene to each sampled frame (so constraints, parents and drivers count, e.g. a Track To
orbit) and puts the frame back afterwards. At most :data:`MAX_SAMPLES` frames are evaluated per shot.
Main thread only.
"""

from __future__ import annotations

from typing import Any

import bpy

from . import camera_motion, shots, tool_props
from .camera_motion import CameraSample, MotionAnalysis

MAX_SAMPLES = 25


def _sample(obj: bpy.types.Object, frame: float) -> CameraSample:
    matrix = obj.matrix_world
    rotation = matrix.to_3x3().normalized()
    forward = -rotation.col[2]
    up = rotation.col[1]
    data = obj.data
    # Orthographic: only the ratio counts for zoom, so any value proportional to 1/ortho_scale will do.
    focal = 1000.0 / max(1e-6, data.ortho_scale) if data.type == "ORTHO" else float(data.lens)
    return CameraSample(
        frame=float(frame),
        location=tuple(matrix.translation),
        forward=tuple(forward),
        up=tuple(up),
        focal_length=focal,
    )


def sample_frames(start: int, end: int, max_samples: int = MAX_SAMPLES) -> list[int]:
    """Frames to sample in [start, end]: all of them, or ``max_samples`` spread evenly (ends included)."""
    count = end - start + 1
    if count <= max_samples:
        return list(range(start, end + 1))
    step = (count - 1) / (max_samples - 1)
    return sorted({start + round(i * step) for i in range(max_samples)})


def sample_camera(
    scene: bpy.types.Scene, obj: bpy.types.Object, start: int, end: int, max_samples: int = MAX_SAMPLES
) -> list[CameraSample]:
    """The camera's world transform and lens at frames of [start, end]; the scene's frame is restored."""
    current, subframe = scene.frame_current, scene.frame_subframe
    samples = []
    try:
        for frame in sample_frames(start, max(start, end), max_samples):
            scene.frame_set(frame)
            samples.append(_sample(obj, frame))
    finally:
        scene.frame_set(current, subframe=subframe)
    return samples


def analyze_shot(scene: bpy.types.Scene, obj: bpy.types.Object) -> MotionAnalysis:
    rng = shots.shot_range(scene, obj)
    fps = scene.render.fps / scene.render.fps_base
    return camera_motion.analyze(sample_camera(scene, obj, rng.start, rng.end), fps)


def summary(analysis: MotionAnalysis) -> str:
    """The moves for the UI, e.g. 'dolly in 2.0, pan left 30.0°'."""
    text = ", ".join(m.label for m in analysis.moves)
    return text + (" (moves, but ends where it started)" if analysis.wobble else "")


def _animated(id_block: Any) -> bool:
    data = getattr(id_block, "animation_data", None)
    return data is not None and (data.action is not None or len(data.drivers) > 0 or len(data.nla_tracks) > 0)


def is_animated(obj: bpy.types.Object) -> bool:
    """Whether anything can move the camera or its lens: keyframes, drivers, constraints, a moving parent."""
    if _animated(obj.data):
        return True
    node = obj
    while node is not None:
        if _animated(node) or len(node.constraints) > 0:
            return True
        node = node.parent
    return False


NOT_ANIMATED = "the camera is not animated"


def read_camera(scene: bpy.types.Scene, obj: bpy.types.Object, model: str) -> str:
    """Analyse the shot camera and write the words for ``model`` into its settings; returns them.

    A camera nothing animates gives no words: it is a placeholder more often than a locked-off shot, and
    "static" words would fight a prompt that asks for a camera move. Animate it (even with one key) to
    get "static shot" words.
    """
    if not is_animated(obj):
        tool_props.write_motion(tool_props.of(obj), "", NOT_ANIMATED)
        return ""
    analysis = analyze_shot(scene, obj)
    words = camera_motion.describe(analysis, camera_motion.family_for_model(model))
    tool_props.write_motion(tool_props.of(obj), words, summary(analysis))
    return words


def prompt_for(obj: bpy.types.Object, scene: bpy.types.Scene, prompt: str, model: str) -> str:
    """``prompt`` with the shot's camera-motion words added (unless switched off).

    Words that follow the camera are read again first (the animation or the model may have changed);
    words the user edited are used as they are.
    """
    settings = tool_props.of(obj)
    if not settings.use_camera_motion:
        return prompt
    words = settings.camera_motion
    if settings.camera_motion_auto:
        words = read_camera(scene, obj, model)
    return camera_motion.append_to_prompt(prompt, words)
