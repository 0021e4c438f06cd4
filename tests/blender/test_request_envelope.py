"""Every kind of request carries today's preferences: Request Timeout, Job Deadline, Download Limit, servers,
output folder.

Built in real Blender from a real shot and a real clip on the timeline, without running the jobs: shot
preview and final, regenerate, variations, retake, image to video from the playhead, extend, layout to
video. Before the one envelope (requests/envelope.py) only the shot request passed the Request Timeout;
the others silently used 60 s.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fixtures.blender import add_shot

pytestmark = pytest.mark.blender
ADDON = "blender_movie_director"
TIMEOUT_S = 173.0  # not the 60 s default
DEADLINE_MIN = 7.0  # not the 60 min default
DOWNLOAD_MB = 321  # not the 2048 MB default


def _every_request(bpy: ModuleType, clip: Path, tmp_path: Path) -> dict[str, Any]:
    """kind -> (request, credentials) for every request builder."""
    from blender_movie_director.blender import vse
    from blender_movie_director.requests import layout as layout_requests
    from blender_movie_director.requests import shot as shot_requests
    from blender_movie_director.requests import strip as strip_requests

    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y = 320, 192
    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="a paper boat on a pond")
    add_shot(bpy, scene, "Shot_020", 121, prompt="rain starts")
    clip_strip = vse.import_clip(
        scene, name="Shot_010", filepath=str(clip), frame_start=1, provenance={"shot": cam.name}
    )
    cam.movie_director.strip_name = clip_strip.strip_name
    strip = vse.strip_group(scene.sequence_editor, clip_strip.strip_name)[0]
    image = tmp_path / "start.png"
    picture = bpy.data.images.new("start", 32, 32)
    picture.filepath_raw, picture.file_format = str(image), "PNG"
    picture.save()

    built: dict[str, Any] = {}
    built["shot preview"] = shot_requests.build_request(cam, "PREVIEW", seed=1)
    built["shot final"] = shot_requests.build_request(cam, "FINAL", seed=1)
    regenerated = strip_requests.regenerate(strip, scene, count=1)
    built["regenerate"] = (regenerated[0].request, regenerated[0].credentials)
    for index, planned in enumerate(strip_requests.regenerate(strip, scene, count=2)):
        built[f"variation {index}"] = (planned.request, planned.credentials)
    retake = strip_requests.retake(strip, scene, 1, 60, "the boat tips over")
    built["retake"] = (retake.request, retake.credentials)
    for kind, frame in (("image to video", 10), ("extend", int(strip.frame_final_end) - 1)):
        for backend in ("WAN2GP", "WAVESPEED"):
            planned = strip_requests.image_to_video(
                strip, scene, frame, backend=backend, prompt="it sails on", seconds=2.0, image=str(image)
            )
            built[f"{kind} {backend}"] = (planned.request, planned.credentials)
    plan = layout_requests.plan(scene, cam)
    built["layout to video"] = layout_requests.build_request(cam, scene, plan, tmp_path / "control.mp4")
    return built


def test_every_request_kind_carries_the_preferences(
    blender: ModuleType, clip_factory: Any, tmp_path: Path
) -> None:
    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.request_timeout = TIMEOUT_S
    prefs.job_deadline_minutes = DEADLINE_MIN
    prefs.download_limit_mb = DOWNLOAD_MB
    prefs.wan2gp_url = "http://127.0.0.1:7999"
    prefs.wan2gp_username, prefs.wan2gp_password = "director", "wan-secret"
    prefs.wavespeed_base_url = "http://127.0.0.1:7998"
    prefs.wavespeed_api_key = "ws-secret"
    prefs.output_folder = str(tmp_path / "out")
    clip = clip_factory(24, 120)  # 5 s: retake needs a 2-16 s section

    built = _every_request(blender, clip, tmp_path)

    assert len(built) == 11
    for kind, (request, credentials) in built.items():
        backend = str(request.backend)
        assert request.request_timeout_s == TIMEOUT_S, kind
        assert request.deadline_s == DEADLINE_MIN * 60.0, kind
        assert request.max_download_bytes == DOWNLOAD_MB << 20, kind
        assert Path(request.output_dir).is_relative_to(tmp_path / "out"), kind
        if backend == "wavespeed":
            assert request.servers == ("http://127.0.0.1:7998",), kind
            assert credentials.api_key == "ws-secret", kind
        else:
            assert request.servers == ("http://127.0.0.1:7999",), kind
            assert (credentials.username, credentials.password) == ("director", "wan-secret"), kind
        assert "secret" not in str(request.to_dict()), kind


def test_a_stored_request_gets_todays_preferences(
    blender: ModuleType, clip_factory: Any, tmp_path: Path
) -> None:
    # Regenerate repeats a take's stored request: servers, timeout and deadline are today's, not the take's.
    from blender_movie_director.blender import vse
    from blender_movie_director.requests import shot as shot_requests
    from blender_movie_director.requests import strip as strip_requests
    from blender_movie_director.scene import takes

    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.wan2gp_url = "http://127.0.0.1:7001"
    prefs.output_folder = str(tmp_path / "out")
    scene = blender.context.scene
    cam = add_shot(blender, scene, "Shot_010", 1, prompt="a kite")
    old, _ = shot_requests.build_request(cam, "PREVIEW", seed=5)
    clip = vse.import_clip(
        scene,
        name="Shot_010",
        filepath=str(clip_factory(24, 48)),
        frame_start=1,
        provenance={"request": takes.request_json(old)},
    )
    strip = vse.strip_group(scene.sequence_editor, clip.strip_name)[0]
    prefs.wan2gp_url = "http://127.0.0.1:7002"
    prefs.request_timeout, prefs.job_deadline_minutes = 95.0, 12.0

    (planned,) = strip_requests.regenerate(strip, scene, count=1)

    assert planned.request.model == old.model and planned.request.prompt == old.prompt
    assert planned.request.servers == ("http://127.0.0.1:7002",)
    assert (planned.request.request_timeout_s, planned.request.deadline_s) == (95.0, 12 * 60.0)
    assert planned.request.settings["seed"] != 5
