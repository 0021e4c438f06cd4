"""The usage examples of the seed documents (000, 001), run as written against a stand-in on
``localhost:7860`` — the address the examples hard-code — and checked on the decoded videos.

Only two things differ from the seed text: the control video path is a real file (the seed's
``/path/to/control.mp4`` placeholder does not exist), and the seed's dict access (``result["success"]``)
is the attribute access the issue specifies (``result.success``).
"""

from __future__ import annotations

import socket

import numpy as np
import pytest
from PIL import Image

from blender_movie_director.backend.wan2gp import reset_clients
from scripts.standins import videogen
from tests.fixtures.wan2gp_standin import start_standin, stop_standin

pytestmark = [pytest.mark.standin, pytest.mark.slow, pytest.mark.timeout(300)]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def standin_7860(tmp_path_factory):
    if _listening(7860):
        pytest.skip("port 7860 is in use (a real Wan2GP?); the seed examples hard-code localhost:7860")
    server = start_standin(
        tmp_path_factory.mktemp("wan2gp_7860"), port=7860, step_seconds=0.005, load_seconds=0.05
    )
    yield server
    stop_standin(server)


@pytest.fixture
def server_on_7860(standin_7860, tmp_path, monkeypatch):
    monkeypatch.setenv("WAN2GP_OUTPUT_DIR", str(tmp_path / "clips"))
    monkeypatch.delenv("WAN2GP_URL", raising=False)
    reset_clients()
    yield standin_7860
    reset_clients()


def test_seed_000_examples(server_on_7860, tmp_path):
    control = tmp_path / "control.mp4"
    videogen.text_video(control, prompt="a person", seed=1, width=160, height=96, frames=17, fps=16)

    # --- seed 000, as written ---
    from blender_movie_director.backend.wan2gp import get_client, quick_video

    # Singleton client access
    client = get_client("http://localhost:7860")

    # Quick preview (2s, fast)
    video_path = quick_video("A cat walking in a garden")

    # High quality (8s, best)
    result = client.generate_high_quality("Epic battle scene")

    # VACE ControlNet
    control_result = client.generate_with_control(
        prompt="Replace person with robot", control_video_path=str(control)
    )

    if result.success:
        hq_path = result.video_path
    else:
        raise AssertionError(f"Generation failed: {result.error_message}")
    # --- end of the seed's code ---

    assert get_client("http://localhost:7860") is client
    quick = videogen.probe(video_path)
    assert quick.fps == pytest.approx(30, abs=0.1) and 2.0 <= quick.duration < 2.4  # ltxv_distilled, ~2 s
    hq = videogen.probe(hq_path)
    assert (hq.width, hq.height) == (1280, 720) and 8.0 <= hq.duration < 8.3
    assert result.metadata["model"] == "t2v_2_2"
    assert control_result.success, control_result.error_message
    assert videogen.probe(control_result.video_path).frames == 17


def test_seed_001_examples(server_on_7860, tmp_path):
    image = tmp_path / "image.jpg"
    Image.fromarray(np.tile(np.array([180, 120, 60], np.uint8), (96, 160, 1))).save(image)

    # --- seed 001, as written (result["x"] -> result.x) ---
    from blender_movie_director.backend.wan2gp import Wan2GPClient
    from blender_movie_director.backend.wan2gp.catalog import recommend_models
    from blender_movie_director.backend.wan2gp.templates import apply_template

    client = Wan2GPClient("http://localhost:7860")
    assert client.connect()
    assert client.check_health()

    result = client.generate_text_to_video(prompt="A serene mountain landscape at sunset", model="hunyuan")
    assert result.success, result.error_message

    i2v = client.generate_image_to_video(
        image_path=str(image), model="hunyuan_i2v", prompt="Camera slowly zooms out"
    )
    assert i2v.success, i2v.error_message

    template_config = apply_template("character_focus", "Close-up of protagonist looking determined")
    templated = client.generate_text_to_video(template_config["prompt"], model=template_config["model"])
    assert templated.success, templated.error_message

    fallback = client.generate_with_fallback(
        prompt="Epic battle scene", primary_model="ltxv_13B", fallback_model="hunyuan"
    )
    available_models = recommend_models(12)  # 12GB VRAM
    # --- end of the seed's code ---

    assert videogen.probe(result.video_path).fps == pytest.approx(24, abs=0.1)  # Hunyuan runs at 24 fps
    frame0 = videogen.read_frame(i2v.video_path, 0)
    assert np.allclose(videogen.region_mean(frame0, (300, 150, 500, 330)), [180, 120, 60], atol=25)
    assert templated.metadata["model"] == "t2v_2_2"
    assert fallback.success and fallback.metadata["used_fallback"] is False
    assert available_models and all(isinstance(m, str) for m in available_models)
