"""The README's first command, run as a user runs it: ``scripts/demo.sh --quick`` in its own process
(set-up check, the Wan2GP stand-in it starts itself, real Blender), then its files checked: the .blend
opened in Blender (strips on the shots' frames, takes, the keyframed move, the still), the storyboard PNG
against the clips, and the rendered MP4 decoded frame by frame with PyAV.

The other two tests point the demo at servers it did not start (``--wan2gp-url``, ``--wavespeed``) and
at no server at all. They check what does not depend on the Blender version, so they carry no ``blender``
marker (CI runs the ``blender`` tests again on 4.2 and 4.5; the first test covers the demo there).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo.sh"
#: The run takes about 20 s; scripts/test.sh has created the environments before any test starts.
DEMO_DEADLINE_S = 300.0


def run_demo(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, **(env or {}))
    return subprocess.run(
        [str(DEMO), *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=DEMO_DEADLINE_S
    )


def decode(path: Path) -> tuple[list[np.ndarray], float, str]:
    """Every frame (RGB arrays), the frame rate and the codec name, by decoding the whole file."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return frames, float(stream.average_rate), stream.codec_context.name


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def resized(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BILINEAR))


def best_match(picture: np.ndarray, clip: list[np.ndarray]) -> float:
    h, w = picture.shape[:2]
    return min(mad(picture, resized(frame, w, h)) for frame in clip)


@pytest.fixture(scope="module")
def quick_demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str], float]:
    """``scripts/demo.sh --quick --output <tmp>/out``, run once for the module."""
    cwd = tmp_path_factory.mktemp("demo")
    started = time.monotonic()
    done = run_demo("--quick", "--output", "out", cwd=cwd)
    seconds = time.monotonic() - started
    assert done.returncode == 0, f"demo failed:\n{done.stdout}\n{done.stderr}"
    return cwd / "out", done, seconds


def _open_blend(bpy: ModuleType, path: Path) -> Any:
    bpy.ops.wm.open_mainfile(filepath=str(path))
    return bpy.context.scene


@pytest.mark.blender
@pytest.mark.standin
@pytest.mark.slow
def test_quick_demo_writes_the_film(quick_demo: Any, blender: ModuleType) -> None:
    from blender_movie_director.blender import compat, vse
    from blender_movie_director.scene import shots, storyboard

    out, done, seconds = quick_demo
    stdout = done.stdout
    # What it prints: steps, a progress bar, a summary with the files, and where the clips came from.
    for text in ("[1/8] Starting the Wan2GP stand-in", "[8/8] Saving the .blend", "100%  2/2 shots: done",
                 "2 shots, 2 takes", "from the local Wan2GP stand-in", "--wan2gp-url", "WAVESPEED_API_KEY",
                 "out/demo.blend", "out/storyboard.png", "out/demo.mp4"):  # fmt: skip
        assert text in stdout, f"{text!r} not in the demo's output:\n{stdout}"
    assert seconds < 120, f"the quick demo took {seconds:.0f} s"

    # --- the .blend: two shots, each clip cut in at its shot's first frame -----
    scene = _open_blend(blender, out / "demo.blend")
    cams = shots.scene_shots(scene)
    assert [c.name for c in cams] == ["Shot_010", "Shot_020"]
    strips = compat.all_strips(compat.sequence_editor(scene))
    clips: dict[str, list[np.ndarray]] = {}
    for cam in cams:
        settings = cam.movie_director
        assert settings.status == "DONE" and len(settings.takes) == 1
        start = shots.shot_range(scene, cam).start
        assert scene.timeline_markers[cam.name].camera == cam
        movie = strips[settings.strip_name]
        assert movie.type == "MOVIE" and movie.frame_final_start == start
        assert vse.provenance_of(movie)["shot"] == cam.name
        clip_path = Path(blender.path.abspath(movie.filepath))
        assert clip_path.is_file() and out in clip_path.parents
        assert Path(blender.path.abspath(settings.takes[0].filepath)) == clip_path
        frames, fps, _codec = decode(clip_path)
        clips[cam.name] = frames
        # 16 fps clips keep their length in seconds on the 24 fps timeline.
        assert movie.frame_final_duration == round(len(frames) / fps * 24)
    assert (strips["Shot_010"].frame_final_start, strips["Shot_020"].frame_final_start) == (1, 37)
    moving, still_shot = cams
    assert moving.animation_data is not None and moving.animation_data.action is not None
    assert "push in" in moving.movie_director.takes[0].prompt  # the move, in words, in the prompt
    still = Path(blender.path.abspath(still_shot.movie_director.image_input))
    assert still.is_file() and still.parent == out / "stills"
    assert still_shot.movie_director.takes[0].model == "i2v"
    # The first frame of the image-to-video clip is the still Blender rendered.
    from PIL import Image

    still_pixels = np.asarray(Image.open(still).convert("RGB"))
    assert mad(resized(clips["Shot_020"][0], *still_pixels.shape[1::-1]), still_pixels) < 6
    render = scene.render
    first, last = scene.frame_start, scene.frame_end
    assert render.use_sequencer and (first, last) == (1, max(int(s.frame_final_end) for s in strips) - 1)

    # --- the storyboard: one cell per shot, each showing a frame of that shot's clip -----
    board = np.asarray(Image.open(out / "storyboard.png").convert("RGB"))
    layout = storyboard.plan_layout(2, render.resolution_x / render.resolution_y)
    assert board.shape[:2] == (layout.height, layout.width)
    for i, cam in enumerate(cams):
        x, y, w, h = layout.picture_box(i)
        picture = board[y : y + h, x : x + w]
        top = h - max(16, h // 4) - 8  # the cast's small pictures sit in the lower right corner (issue 17)
        own = min(mad(picture[:top], resized(f, w, h)[:top]) for f in clips[cam.name])
        other = min(mad(picture[:top], resized(f, w, h)[:top]) for f in clips[cams[1 - i].name])
        assert own < 8 and own < other / 2, (cam.name, own, other)

    # --- the MP4: Blender's render of the edit; each shot's frames come from its own clip -----
    rendered, fps, codec = decode(out / "demo.mp4")
    assert (len(rendered), fps, codec) == (last - first + 1, 24.0, "h264")
    assert rendered[0].shape[:2] == (render.resolution_y, render.resolution_x)
    for i, cam in enumerate(cams):
        rng = shots.shot_range(scene, cam)
        frame = rendered[(rng.start + rng.end) // 2 - first]
        own = best_match(frame, clips[cam.name])
        other = best_match(frame, clips[cams[1 - i].name])
        assert own < 8 and own < other / 2, (cam.name, own, other)


@pytest.mark.standin
@pytest.mark.slow
def test_demo_runs_against_a_given_wan2gp_server_and_wavespeed(
    tmp_path: Path, wan2gp_standin: Any, wavespeed_standin: Any
) -> None:
    """--wan2gp-url uses that server (the demo starts none); --wavespeed uses WAVESPEED_API_KEY and shows
    the price first. Both servers here are stand-ins the test started."""
    before = len(list(wan2gp_standin.outputs.glob("*.mp4")))
    done = run_demo("--quick", "--wan2gp-url", wan2gp_standin.url, "--output", "w", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Starting the Wan2GP stand-in" not in done.stdout
    assert f"from your Wan2GP server at {wan2gp_standin.url}" in done.stdout
    assert len(list(wan2gp_standin.outputs.glob("*.mp4"))) == before + 2  # rendered by that server
    frames, _fps, _codec = decode(tmp_path / "w" / "demo.mp4")
    assert len(frames) > 48

    wavespeed_standin.reset()
    env = {"WAVESPEED_API_KEY": wavespeed_standin.api_key, "WAVESPEED_BASE_URL": wavespeed_standin.url}
    done = run_demo("--quick", "--wavespeed", "--output", "ws", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WaveSpeed charges about $" in done.stdout and "from WaveSpeed" in done.stdout
    models = sorted(s["model"] for s in wavespeed_standin.submits(outcome="created"))
    assert models == [
        "wavespeed-ai/hunyuan-video-1.5/image-to-video",
        "wavespeed-ai/hunyuan-video-1.5/text-to-video",
    ]
    assert wavespeed_standin.api_key not in (tmp_path / "ws" / "demo.blend").read_bytes().decode("latin-1")
    frames, _fps, _codec = decode(tmp_path / "ws" / "demo.mp4")
    assert len(frames) > 48


@pytest.mark.slow
def test_demo_says_plainly_when_the_server_does_not_answer(tmp_path: Path) -> None:
    from tests.fixtures.wan2gp_standin import free_port

    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = run_demo("--quick", "--wan2gp-url", url, "--output", "dead", cwd=tmp_path)
    assert done.returncode == 1
    assert f"Cannot reach the Wan2GP server at {url}" in done.stdout
    assert "Details: dead/logs/blender.log" in done.stdout
    assert time.monotonic() - started < 60
    assert not (tmp_path / "dead" / "demo.mp4").exists()
