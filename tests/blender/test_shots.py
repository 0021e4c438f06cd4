"""Shots: frame ranges from markers or own settings, and the frozen request each shot makes."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.fixtures.blender import add_shot, addon_prefs

pytestmark = pytest.mark.blender


def test_frame_ranges(blender: ModuleType) -> None:
    from blender_movie_director.scene import shots

    scene = blender.context.scene
    scene.frame_start, scene.frame_end = 1, 250
    scene.render.fps = 24
    a = add_shot(blender, scene, "A", 10)
    b = add_shot(blender, scene, "B", 58)
    scene.timeline_markers.new("unbound", frame=40)  # not a camera marker: no cut
    c = blender.data.objects.new("C", blender.data.cameras.new("C"))
    scene.collection.objects.link(c)
    assert shots.shot_range(scene, a) == shots.ShotRange(10, 57, "marker")
    assert shots.shot_range(scene, b) == shots.ShotRange(58, 250, "marker")
    assert shots.shot_range(scene, c) == shots.ShotRange(1, 250, "scene")
    assert shots.shot_seconds(scene, a) == pytest.approx(2.0)
    a.movie_director.use_custom_range = True
    a.movie_director.frame_start, a.movie_director.frame_end = 100, 123
    assert shots.shot_range(scene, a) == shots.ShotRange(100, 123, "custom")
    assert shots.shot_seconds(scene, a) == pytest.approx(1.0)
    a.movie_director.use_shot_length = False
    a.movie_director.duration = 3.5
    assert shots.shot_seconds(scene, a) == 3.5
    assert [o.name for o in shots.scene_shots(scene)] == [
        "C",
        "B",
        "A",
    ]  # by start frame (C: 1, B: 58, A: 100)


def test_wan2gp_request_is_plain_data_without_secrets(blender: ModuleType, tmp_path: Path) -> None:
    from blender_movie_director.backend.jobs.request import Backend, Quality
    from blender_movie_director.requests import shot as shot_requests

    prefs = addon_prefs(blender)
    prefs.wan2gp_url = "http://127.0.0.1:7860, http://127.0.0.1:7861"
    prefs.wan2gp_username, prefs.wan2gp_password = "director", "wan-secret"
    prefs.output_folder = str(tmp_path / "out")
    scene = blender.context.scene
    scene.render.fps = 24
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 1920, 1080, 50
    cam = add_shot(blender, scene, "Shot 010/a", 1, prompt="  a heron takes off  ")
    add_shot(blender, scene, "Next", 61)
    cam.movie_director.negative_prompt = "blurry"
    request, credentials = shot_requests.build_request(cam, "preview", seed=1234)
    assert request.backend == Backend.WAN2GP and request.quality == Quality.PREVIEW
    assert request.model == "t2v_1.3B"
    assert request.prompt.startswith("a heron takes off")
    assert request.negative_prompt == "blurry"
    assert request.servers == ("http://127.0.0.1:7860", "http://127.0.0.1:7861")
    assert request.settings["seed"] == 1234
    assert request.settings["duration"] == pytest.approx(2.5)  # frames 1-60 at 24 fps
    assert request.settings["resolution"] == "832x464"  # the scene's 16:9 at preview size, multiples of 16
    assert request.settings["num_inference_steps"] < 30  # fewer steps for a preview
    assert Path(request.output_dir) == tmp_path / "out" / "Shot 010_a"
    assert (request.shot.scene, request.shot.shot) == (scene.name, "Shot 010/a")
    assert "wan-secret" not in json.dumps(request.to_dict())
    assert (credentials.username, credentials.password) == ("director", "wan-secret")
    assert "wan-secret" not in repr(credentials)
    final, _ = shot_requests.build_request(cam, "final", seed=1)
    assert final.settings["resolution"] == "1280x720" and "num_inference_steps" not in final.settings
    assert final.priority > request.priority


def test_wavespeed_request_fits_the_models_schema(
    blender: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from blender_movie_director.requests import shot as shot_requests

    monkeypatch.setenv("WAVESPEED_API_KEY", "env-key")
    scene = blender.context.scene
    scene.render.fps = 24
    scene.render.resolution_x, scene.render.resolution_y = 1080, 1920  # portrait
    cam = add_shot(blender, scene, "Shot", 1, prompt="p")
    add_shot(blender, scene, "Next", 1 + 24 * 6)  # a 6 s shot
    settings = cam.movie_director
    settings.backend = "WAVESPEED"
    request, credentials = shot_requests.build_request(cam, "final", seed=9)
    assert credentials.api_key == "env-key"
    assert request.model == "wavespeed-ai/hunyuan-video-1.5/text-to-video"
    assert request.settings == {"size": "720*1280", "duration": 8, "seed": 9}  # allowed: 5 or 8 s
    settings.wavespeed_model = "lightricks/ltx-2-fast/text-to-video"
    request, _ = shot_requests.build_request(cam, "preview", seed=9)
    # No seed field on this model; its sound switch follows the shot's With Sound (on by default).
    assert request.settings == {"duration": 6, "generate_audio": True}
    settings.with_sound = False
    request, _ = shot_requests.build_request(cam, "preview", seed=9)
    assert request.settings == {"duration": 6, "generate_audio": False}
    settings.wavespeed_model = "google/veo3.1-fast/text-to-video"
    request, _ = shot_requests.build_request(cam, "preview", seed=9)
    assert request.settings["aspect_ratio"] == "9:16" and request.settings["resolution"] == "720p"


def test_output_folder_beside_the_blend_or_in_the_user_folder(blender: ModuleType, tmp_path: Path) -> None:
    from blender_movie_director.scene import config

    addon_prefs(blender).output_folder = "//movie_director/"
    unsaved = Path(config.output_root())
    assert unsaved.is_dir() and "movie_director" in unsaved.parts
    blender.ops.wm.save_as_mainfile(filepath=str(tmp_path / "film.blend"))
    assert Path(config.output_root()) == tmp_path / "movie_director"


def test_image_input_switches_to_image_to_video(blender: ModuleType, tmp_path: Path) -> None:
    from blender_movie_director.requests import shot as shot_requests

    image = tmp_path / "start.png"
    img = blender.data.images.new("start", 32, 32)
    img.filepath_raw = str(image)
    img.file_format = "PNG"
    img.save()
    cam = add_shot(blender, blender.context.scene, "Shot", 1, prompt="p")
    cam.movie_director.wan2gp_model = ""
    cam.movie_director.image_input = str(image)
    request, _ = shot_requests.build_request(cam, "preview", seed=1)
    assert request.model == "i2v" and request.inputs == {"image_start": str(image)}
