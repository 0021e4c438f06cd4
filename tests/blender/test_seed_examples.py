"""Every Python example of the design notes (seeds 000, 001 and 004, kept verbatim in tests/data/seeds/)
runs in real Blender against the stand-ins, and the videos it makes are decoded and checked (issue 19).

The examples are read from the seed files and run in order, one namespace per seed. Exactly these lines
differ from the seed text (each replacement must match its block once, or the test fails):

* 000 block 0: ``control_video_path="/path/to/control.mp4"`` -> a real control clip (placeholder path).
* 001 block 0: ``from .wan2gp_client import Wan2GPClient`` ->
  ``from blender_movie_director.backend.wan2gp import Wan2GPClient``: the notes import a module they
  planned beside them; the client lives in the backend package (the same first line seed 000 uses).
* 001 block 2: ``image_path="/path/to/image.jpg"`` -> a real still (placeholder path).
* 001 block 3: ``from .wan2gp_cinematographer import Wan2GPCinematographer`` ->
  ``from movie_director import Wan2GPCinematographer``: the console API's name (``md.``).
* 001 block 6: ``from .wan2gp_templates import Wan2GPConfigTemplates`` ->
  ``from movie_director import Wan2GPConfigTemplates``.
* 004 block 1: ``from .video_generation.wavespeed_provider import get_wavespeed_text_to_video_service`` ->
  ``from blender_movie_director.backend.wavespeed.services import get_wavespeed_text_to_video_service``.

The notes also use names they never import, as if written inside a module that had them; the namespace
starts with those the product has: ``bpy``, ``time``, ``get_scene_shots`` (``md.get_scene_shots``), and for
004's service sketch ``Any``, ``Callable``, ``Dict``, ``Optional`` and ``WaveSpeedClient``. Two names have no
product counterpart and are not supplied: ``get_generation_progress`` and ``classify_error`` (the shot's
``progress`` and a result's ``error_kind`` answer them; docs/api.md maps them). So 001's
``monitor_generation_progress`` is defined but not called (its loop writes ``generation_progress``, which
the product keeps itself), and ``log_generation_details`` is called with a successful result (only its
failure branch calls ``classify_error``).

The seeds hard-code ``http://localhost:7860`` (000, 001), so the Wan2GP stand-in runs on that port; the
test is skipped when something else listens there. WaveSpeed comes from ``WAVESPEED_API_KEY`` /
``WAVESPEED_BASE_URL``, as the product reads it.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from scripts.standins import videogen
from tests.fixtures.blender import add_shot
from tests.fixtures.wan2gp_standin import start_standin, stop_standin

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(300)]

ADDON = "blender_movie_director"
SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
#: (block index, the seed's text, what runs instead) per seed; see the module docstring for why.
ADAPTED: dict[str, list[tuple[int, str, str]]] = {
    "000": [(0, 'control_video_path="/path/to/control.mp4"', "control_video_path=CONTROL_VIDEO")],
    "001": [
        (
            0,
            "from .wan2gp_client import Wan2GPClient",
            "from blender_movie_director.backend.wan2gp import Wan2GPClient",
        ),
        (2, 'image_path="/path/to/image.jpg"', "image_path=START_IMAGE"),
        (
            3,
            "from .wan2gp_cinematographer import Wan2GPCinematographer",
            "from movie_director import Wan2GPCinematographer",
        ),
        (
            6,
            "from .wan2gp_templates import Wan2GPConfigTemplates",
            "from movie_director import Wan2GPConfigTemplates",
        ),
    ],
    "004": [
        (
            1,
            "from .video_generation.wavespeed_provider import get_wavespeed_text_to_video_service",
            "from blender_movie_director.backend.wavespeed.services import "
            "get_wavespeed_text_to_video_service",
        )
    ],
}
BLOCKS = {"000": 2, "001": 12, "004": 2}


def seed_blocks(seed: str) -> list[str]:
    """The seed's ```python blocks with the adapted lines replaced (each must occur exactly once)."""
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    blocks = re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) == BLOCKS[seed], f"seed {seed} has {len(blocks)} Python examples"
    for index, old, new in ADAPTED[seed]:
        assert blocks[index].count(old) == 1, (seed, index, old)
        blocks[index] = blocks[index].replace(old, new)
    return blocks


class SeedRun:
    """Runs one seed's examples in order in one namespace; ``finish()`` checks that all of them ran."""

    def __init__(self, seed: str, namespace: dict[str, Any]) -> None:
        self.seed = seed
        self.blocks = seed_blocks(seed)
        self.ns = namespace
        self.next = 0

    def run(self, upto: int) -> dict[str, Any]:
        """Run the examples up to and including ``upto``."""
        while self.next <= upto:
            code = compile(self.blocks[self.next], f"<seed {self.seed}, example {self.next}>", "exec")
            exec(code, self.ns)
            self.next += 1
        return self.ns

    def finish(self) -> None:
        assert self.next == len(self.blocks), f"seed {self.seed}: examples {self.next}.. did not run"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def standin_7860(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if _listening(7860):
        pytest.skip("port 7860 is in use (a real Wan2GP?); the seed examples hard-code localhost:7860")
    server = start_standin(tmp_path_factory.mktemp("wan2gp_7860"), port=7860, step_seconds=0.002)
    yield server
    stop_standin(server)


@pytest.fixture
def seed_world(
    blender: ModuleType, standin_7860: Any, wavespeed_standin: Any, tmp_path: Path, monkeypatch: Any
) -> Iterator[ModuleType]:
    """Blender with the extension, the preferences at their defaults (Wan2GP at localhost:7860) and
    WaveSpeed from the environment; the backend clients' own folder in ``tmp_path``."""
    from blender_movie_director.backend.wan2gp import reset_clients

    monkeypatch.delenv("WAN2GP_URL", raising=False)
    monkeypatch.setenv("WAN2GP_OUTPUT_DIR", str(tmp_path / "clients"))
    monkeypatch.setenv("WAVESPEED_API_KEY", wavespeed_standin.api_key)
    monkeypatch.setenv("WAVESPEED_BASE_URL", wavespeed_standin.url)
    prefs = blender.context.preferences.addons[ADDON].preferences
    prefs.output_folder = str(tmp_path / "out")
    reset_clients()
    yield blender
    reset_clients()


def _scene_01(bpy: ModuleType) -> Any:
    """Scene "Scene_01" at 24 fps, 320x192: Shot_010, Shot_020 (WaveSpeed), Shot_030 (no prompt) in timeline
    order, though made in the opposite order."""
    scene = bpy.context.scene
    scene.name = "Scene_01"
    scene.render.fps, scene.render.fps_base = 24, 1.0
    scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage = 320, 192, 100
    scene.frame_start, scene.frame_end = 1, 48
    add_shot(bpy, scene, "Shot_030", 33)
    wavespeed = add_shot(bpy, scene, "Shot_020", 17, prompt="A lighthouse beam sweeping the fog")
    wavespeed.movie_director.backend = "WAVESPEED"
    cam = add_shot(bpy, scene, "Shot_010", 1, prompt="A fishing boat leaving the harbour at dawn")
    bpy.context.view_layer.objects.active = cam
    return scene


def _shot_clip(path: str, seed: int) -> Any:
    """The decoded clip's facts; checks the stand-in's seed mark, so the clip is this job's."""
    stats = videogen.probe(path)
    last = videogen.read_frame(path, stats.frames - 1)
    mark = videogen.region_mean(last, videogen.marker_box(stats.width, stats.height))
    assert np.allclose(mark, videogen.seed_color(seed), atol=30), (path, mark, seed)
    return stats


def test_seed_000_examples(seed_world: ModuleType, tmp_path: Path, capsys: Any) -> None:
    control = tmp_path / "control.mp4"
    videogen.text_video(control, prompt="a person", seed=1, width=160, height=96, frames=17, fps=16)
    seed = SeedRun("000", {"CONTROL_VIDEO": str(control)})

    ns = seed.run(0)  # get_client, quick_video, generate_high_quality, generate_with_control
    assert ns["client"] is ns["get_client"]("http://localhost:7860")
    quick = videogen.probe(ns["video_path"])
    assert quick.fps == pytest.approx(30, abs=0.1) and 2.0 <= quick.duration < 2.4  # LTX distilled, ~2 s
    controlled = ns["result"]
    assert controlled["success"], controlled["error"]
    assert videogen.probe(controlled["video_path"]).frames == 17  # follows the control clip

    ns = seed.run(1)  # the error-handling example: attribute access, as the seed writes it
    seed.finish()
    high = videogen.probe(ns["video_path"])
    assert ns["video_path"] == ns["result"].video_path and ns["result"].metadata["model"] == "t2v_2_2"
    assert (high.width, high.height) == (1280, 720) and 8.0 <= high.duration < 8.3
    assert "Generation failed" not in capsys.readouterr().out


def test_seed_001_examples(seed_world: ModuleType, tmp_path: Path, capsys: Any) -> None:
    import movie_director as md

    from blender_movie_director.backend.wan2gp.templates import PROMPT_TEMPLATES
    from blender_movie_director.blender import compat

    bpy = seed_world
    scene = _scene_01(bpy)
    still = tmp_path / "image.jpg"
    Image.fromarray(np.tile(np.array([180, 120, 60], np.uint8), (96, 160, 1))).save(still)
    namespace = {"START_IMAGE": str(still), "bpy": bpy, "time": time, "get_scene_shots": md.get_scene_shots}
    seed = SeedRun("001", namespace)

    ns = seed.run(1)  # connect, health check, text to video; results read as dicts
    out = capsys.readouterr().out
    assert "Connected to Wan2GP service" in out and "Wan2GP service is healthy" in out
    assert f"Video generated: {ns['result']['video_path']}" in out
    assert videogen.probe(ns["result"]["video_path"]).fps == pytest.approx(24, abs=0.1)  # Hunyuan: 24 fps

    ns = seed.run(2)  # image to video from a real still
    assert f"Video generated: {ns['result']['video_path']}" in capsys.readouterr().out
    first = videogen.read_frame(ns["result"]["video_path"], 0)
    assert np.allclose(videogen.region_mean(first, (300, 150, 500, 330)), [180, 120, 60], atol=25)

    ns = seed.run(3)  # the Cinematographer: the active shot, preview then final, the one job path
    cam = bpy.data.objects["Shot_010"]
    assert ns["shot_obj"] == cam and isinstance(ns["cinematographer"], md.Cinematographer)
    preview, final = ns["preview_result"], ns["final_result"]
    assert preview["success"] and final["success"], (preview["error"], final["error"])
    # 16 frames at 24 fps = 0.67 s -> Wan 2.1 1.3B at 16 fps, 4n+1 frames -> 13, at the scene's 320x192.
    for result in (preview, final):
        clip = _shot_clip(result.video_path, result.metadata["seed"])
        assert (clip.width, clip.height, clip.frames) == (320, 192, 13) and clip.fps == pytest.approx(16)
    takes = cam.movie_director.takes
    assert [(t.filepath, t.quality) for t in takes] == [
        (preview.video_path, "preview"),
        (final.video_path, "final"),
    ]

    ns = seed.run(4)  # the batch: Scene_01's shots in timeline order, one on WaveSpeed, one refused
    out = capsys.readouterr().out
    assert [item["shot"].name for item in ns["results"]] == ["Shot_010", "Shot_020", "Shot_030"]
    wan, wave, refused = (item["result"] for item in ns["results"])
    assert wan["success"] and wave["success"], (wan["error"], wave["error"])
    assert wan["metadata"]["backend"] == "wan2gp" and wave["metadata"]["backend"] == "wavespeed"
    _shot_clip(wan.video_path, wan.metadata["seed"])
    assert videogen.probe(wave.video_path).duration >= 4.9  # the model's shortest clip: 5 s
    assert not refused["success"] and "has no prompt" in refused["error"]
    assert "Shot Shot_010 generated successfully" in out and "Shot Shot_020 generated successfully" in out
    assert f"Shot Shot_030 failed: {refused['error']}" in out
    strips = {s.name for s in compat.all_strips(compat.sequence_editor(scene)) if s.type == "MOVIE"}
    assert strips == {"Shot_010", "Shot_020"}

    ns = seed.run(5)  # camera control: the seed's movement names, in the model's own words, this job only
    moved = ns["result"]
    assert moved["success"], moved["error"]
    assert moved["metadata"]["prompt"] == (
        "A fishing boat leaving the harbour at dawn. Camera movement: pan right, zoom in."
    )
    _shot_clip(moved.video_path, moved.metadata["seed"])
    tools = cam.movie_director_tools
    assert (tools.camera_motion, tools.camera_motion_auto, tools.use_camera_motion) == ("", True, True)

    ns = seed.run(6)  # a template, then the backend client with its prompt and model
    template = PROMPT_TEMPLATES["character_focus"]
    prompt = template.apply("Close-up of protagonist looking determined")
    assert dict(ns["template_config"]) == {
        "prompt": prompt,
        "negative_prompt": template.negative_prompt,
        "model": "t2v_2_2",
    }
    templated = ns["result"]
    assert templated["success"] and templated["metadata"]["model"] == "t2v_2_2"
    assert templated["metadata"]["prompt"] == prompt

    ns = seed.run(7)  # fallback through the job engine: the primary model works, so no fallback
    fell = ns["result"]
    assert fell["success"] and fell.get("used_fallback") is False and fell["primary_error"] is None
    assert fell["metadata"]["model"] == "ltxv_13B"
    assert videogen.probe(fell.video_path).fps == pytest.approx(30)  # LTX Video: 30 fps
    assert "Used fallback model" not in capsys.readouterr().out

    ns = seed.run(11)  # connection recovery, VRAM choice, monitoring and debug helpers (definitions)
    seed.finish()
    assert ns["available_models"] == ["hunyuan", "ltxv_13B_distilled"]
    recovered = ns["safe_generation"]("A gull over the breakwater", "t2v_1.3B")
    assert recovered["success"] and videogen.probe(recovered["video_path"]).frames > 0
    ns["log_generation_details"](templated)
    out = capsys.readouterr().out
    assert "Model: t2v_2_2\n" in out and f"Prompt: {prompt}\n" in out


def test_seed_001_fallback_and_camera_words_where_the_example_cannot_reach(
    seed_world: ModuleType, capsys: Any
) -> None:
    """The examples' other branches: a primary model the server lacks falls back (``used_fallback``,
    ``primary_error``), and a camera that moves keeps its own move where it says more."""
    import movie_director as md

    bpy = seed_world
    _scene_01(bpy)
    cinematographer = md.Wan2GPCinematographer()
    assert cinematographer.setup_connection() and "localhost:7860" in cinematographer.connection_message
    wavespeed = md.Cinematographer("WAVESPEED")
    assert wavespeed.setup_connection() and "key accepted" in wavespeed.connection_message
    result = cinematographer.generate_with_fallback(
        prompt="Epic battle scene",
        primary_model="finetune_not_on_server",
        fallback_model="t2v_1.3B",
        duration=1,
    )
    # The seed's own lines, on this result:
    if result.get("used_fallback"):
        print(f"Used fallback model due to: {result['primary_error']}")
    assert result["success"] and result["metadata"]["model"] == "t2v_1.3B"
    assert "finetune_not_on_server" in result["primary_error"]
    assert f"Used fallback model due to: {result['primary_error']}" in capsys.readouterr().out
    assert videogen.probe(result.video_path).frames == 17  # 1 s at 16 fps, 4n+1

    cam = bpy.data.objects["Shot_010"]  # pans left by itself: the animation wins over "pan_right"
    cam.rotation_euler = (1.5708, 0.0, 0.0)
    cam.keyframe_insert("rotation_euler", frame=1)
    cam.rotation_euler = (1.5708, 0.0, 0.6)
    cam.keyframe_insert("rotation_euler", frame=16)
    moved = cinematographer.generate_with_camera_control(cam, ["zoom_in", "pan_right"])
    assert moved["success"], moved["error"]
    assert moved["metadata"]["prompt"].endswith("Camera movement: fast pan left, zoom in.")
    assert cam.movie_director_tools.camera_motion_auto is True

    bpy.context.preferences.system.use_online_access = False
    assert not cinematographer.setup_connection()
    assert "online access" in cinematographer.connection_message.lower()
    offline = cinematographer.generate_shot_preview(cam)
    assert not offline["success"] and offline["error_kind"] == "offline"


def test_seed_004_examples(seed_world: ModuleType, wavespeed_standin: Any, tmp_path: Path) -> None:
    from blender_movie_director.backend.wavespeed.client import WaveSpeedClient
    from blender_movie_director.backend.wavespeed.services import HunyuanVideoService

    namespace = {
        "Any": Any,
        "Callable": Callable,
        "Dict": typing.Dict,  # noqa: UP006 - the seed's spelling
        "Optional": typing.Optional,
        "WaveSpeedClient": WaveSpeedClient,
    }
    seed = SeedRun("004", namespace)
    ns = seed.run(0)  # the service sketch: its names are the product's
    sketch = ns["HunyuanVideoService"]()
    product = HunyuanVideoService()
    assert sketch.MODEL_PATH == product.MODEL_PATH == "wavespeed-ai/hunyuan-video-1.5/text-to-video"
    assert sketch.MODEL_NAME == product.MODEL_NAME
    assert sketch.client.base_url == wavespeed_standin.url

    ns = seed.run(1)  # the unified entry point, routed to the product's service
    seed.finish()
    seen: list[tuple[float, str]] = []
    result = asyncio.run(
        ns["_generate_text_to_video_wavespeed"](
            "A red fox trotting through fresh snow",
            model="hunyuan-video-1.5",
            progress_callback=lambda fraction, text: seen.append((fraction, text)),
            duration=5,
            resolution="480p",
            output_dir=str(tmp_path / "wavespeed"),
        )
    )
    assert result["success"], result["error"]
    meta = result["metadata"]
    assert meta["model_name"] == "hunyuan-video-1.5" and meta["duration"] == 5 and meta["cost"] > 0
    clip = videogen.probe(result["video_path"])
    assert (clip.width, clip.height) == (meta["width"], meta["height"])
    assert clip.width > clip.height  # 16:9; the stand-in draws small, and documents the size it stands for
    assert "480" in str(wavespeed_standin.task(meta["task_id"])["documented_size"])
    assert clip.duration == pytest.approx(5, abs=0.1)
    assert seen and seen[-1][0] == 1.0
