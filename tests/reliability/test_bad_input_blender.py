"""Bad input through the Blender path (the Generate operator on a shot), both backends: a missing start image
greys the button with the reason; a start image that is not a picture, or a prompt longer than the model
takes, fails the shot with a validation message naming the problem, and no socket is opened for it
(audit hook); a prompt in any script goes through to a clip and back into the strip's provenance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.blender import grey_because
from tests.reliability.netwatch import watch
from tests.reliability.studio import Studio, ThreadWatch

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(240)]

UNICODE_PROMPT = "🎬 灯台、夜の海 — مرحبا — Ελληνικά — e\u0301 — \u200bzero width"


@pytest.fixture
def both(studio: Studio, ws: Any, wan2gp_standin: Any) -> Studio:
    studio.use_wavespeed(ws)
    studio.use_wan2gp(wan2gp_standin.url)
    return studio


@pytest.mark.parametrize("backend", ["WAVESPEED", "WAN2GP"])
def test_bad_start_image_and_huge_prompt(
    both: Studio, backend: str, tmp_path: Path, threads: ThreadWatch
) -> None:
    from blender_movie_director import api

    studio = both
    cam = studio.shot("Shot_010", backend=backend, prompt="a lighthouse")
    studio.activate(cam)
    cam.movie_director.image_input = str(tmp_path / "nowhere.png")
    assert "does not exist" in grey_because(studio.bpy.ops.moviedir.generate_shot)
    with pytest.raises(api.ShotNotReadyError, match="does not exist"):
        api.generate_shot(cam)
    fake = tmp_path / "still.png"
    fake.write_text("a note, not a picture", encoding="utf-8")
    cam.movie_director.image_input = str(fake)
    with watch() as net:
        assert studio.generate(cam) == {"FINISHED"}
        assert studio.settle(cam) == "FAILED"
    assert net.silent, net
    settings = cam.movie_director
    assert settings.error_kind == "validation" and "still.png" in settings.last_error, settings.last_error
    assert "not" in settings.last_error  # says what is wrong with it, not just its name
    cam.movie_director.image_input = ""
    limit = 5000 if backend == "WAVESPEED" else 20_000
    cam.movie_director.prompt = "long " * (limit // 5 + 10)
    with watch() as net:
        assert studio.generate(cam) == {"FINISHED"}
        assert studio.settle(cam) == "FAILED"
    assert net.silent, net
    assert settings.error_kind == "validation", settings.last_error
    assert "prompt" in settings.last_error.lower(), settings.last_error
    assert studio.assert_consistent() == {}
    threads.assert_none_left()


@pytest.mark.parametrize("backend", ["WAVESPEED", "WAN2GP"])
def test_prompt_in_any_script_makes_a_clip(both: Studio, backend: str, threads: ThreadWatch) -> None:
    from blender_movie_director.blender import vse

    studio = both
    cam = studio.shot("Shot_010", backend=backend, prompt=UNICODE_PROMPT)
    assert studio.generate(cam) == {"FINISHED"}
    assert studio.settle(cam) == "DONE", cam.movie_director.last_error
    strips = studio.assert_consistent()
    (strip,) = strips.values()
    assert vse.provenance_of(strip)["prompt"].startswith(UNICODE_PROMPT)
    threads.assert_none_left()


@pytest.mark.parametrize("backend", ["WAVESPEED", "WAN2GP"])
def test_a_real_start_image_runs_the_image_to_video_model(
    both: Studio, backend: str, tmp_path: Path, threads: ThreadWatch
) -> None:
    """The control case for the bad images above: a real PNG goes through, on the image-to-video model."""
    from PIL import Image

    from blender_movie_director.blender import vse

    studio = both
    picture = tmp_path / "start.png"
    Image.new("RGB", (160, 96), (30, 90, 200)).save(picture)
    cam = studio.shot("Shot_010", backend=backend, prompt="the sea from a window")
    cam.movie_director.image_input = str(picture)
    assert studio.generate(cam) == {"FINISHED"}
    assert studio.settle(cam) == "DONE", cam.movie_director.last_error
    (strip,) = studio.assert_consistent().values()
    model = vse.provenance_of(strip)["model"]
    assert model in ("wavespeed-ai/hunyuan-video-1.5/image-to-video", "i2v"), model
    threads.assert_none_left()
