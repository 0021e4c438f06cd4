"""Reference pictures in the stand-ins (issue 17): the tiles they draw and what they refuse.

The shared writer (scripts/standins/videogen.py) draws each reference picture a service received into its
own 32x32 box along the bottom of every frame, so a test decodes a frame and sees which pictures arrived, in
which order. The Wan2GP stand-in does what WanGP 12.60 does with ``image_refs``: kept only where the model
takes them (``fix_settings`` drops the I/K letters elsewhere, and ``validate_settings`` then drops the
pictures without a word), refused with WanGP's own words where the model takes exactly one. Movie
Director's own check (``backend/wan2gp/schemas.py``) refuses them before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blender_movie_director.backend.errors import ValidationError
from blender_movie_director.backend.wan2gp import Wan2GPClient, validate_settings
from scripts.standins import videogen
from scripts.standins.wan2gp import queue_files

COLOURS = [(220, 40, 40), (40, 200, 60), (40, 60, 220)]
SMALL = {"resolution": "160x96", "video_length": 5, "num_inference_steps": 2}


def _pictures(folder, colours=COLOURS, size=(40, 64)) -> list:
    paths = []
    for i, colour in enumerate(colours):
        path = folder / f"ref{i}.png"
        Image.new("RGB", size, colour).save(path)
        paths.append(path)
    return paths


def tiles_seen(frame: np.ndarray, count: int) -> list[tuple[float, float, float]]:
    """The mean colour inside each of the first ``count`` tile boxes of a decoded frame."""
    height, width = frame.shape[:2]
    return [
        videogen.region_mean(frame, box, 10) for box in videogen.reference_tile_boxes(width, height, count)
    ]


def assert_tiles(frame: np.ndarray, pictures: list) -> None:
    seen = tiles_seen(frame, len(pictures))
    assert len(seen) == len(pictures)
    for got, picture in zip(seen, pictures, strict=True):
        want = videogen.reference_tile_mean(picture, inset=10)
        assert np.allclose(got, want, atol=16), (got, want)


# --- the shared writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("writer", ["text", "image", "control"])
def test_every_writer_draws_the_pictures_in_order_on_every_frame(tmp_path, writer):
    refs = _pictures(tmp_path)
    out = tmp_path / "out.mp4"
    common = {"prompt": "a keeper", "seed": 5, "width": 192, "height": 112, "fps": 8, "refs": refs}
    if writer == "text":
        videogen.text_video(out, frames=3, **common)
    elif writer == "image":
        start = Image.new("RGB", (192, 112), (120, 120, 120))
        videogen.image_video(out, start_image=start, frames=3, **common)
    else:
        guide = tmp_path / "guide.mp4"
        videogen.text_video(guide, prompt="g", seed=1, width=192, height=112, frames=3, fps=8)
        videogen.control_video(out, control_video=guide, **{k: v for k, v in common.items()})
    for frame in videogen.read_frames(out):
        assert_tiles(frame, refs)


def test_no_references_no_tiles_and_the_boxes_leave_the_frame_marker_alone(tmp_path):
    out = tmp_path / "plain.mp4"
    videogen.text_video(out, prompt="a keeper", seed=5, width=192, height=112, frames=1, fps=8)
    for got in tiles_seen(videogen.read_frame(out, 0), 3):
        assert not any(np.allclose(got, c, atol=30) for c in COLOURS)
    boxes = videogen.reference_tile_boxes(96, 64, 10)
    marker = videogen.marker_box(96, 64)[2]
    assert boxes and all(x0 > marker for x0, _, _, _ in boxes)
    assert len(boxes) < 10  # only as many as fit


# --- what the Wan2GP stand-in keeps, as WanGP does ------------------------------------------------------


def _parse(params: dict, folder) -> tuple[list, str | None]:
    return queue_files.parse_task_manifest([{"id": 1, "params": params}], folder, None, "[test]")


@pytest.mark.parametrize(
    ("model", "count", "kept", "error"),
    [
        ("phantom_1.3B", 2, 2, None),
        ("t2v_1.3B", 2, 0, None),  # WanGP drops them without a word
        ("standin", 2, 0, "Only one Image Reference (a person) is supported for the moment by this model"),
        ("standin", 1, 1, None),
    ],
)
def test_wan2gp_standin_keeps_references_only_where_wangp_does(tmp_path, model, count, kept, error):
    refs = [str(p) for p in _pictures(tmp_path)[:count]]
    queue, problem = _parse(
        {"model_type": model, "prompt": "x", "image_refs": refs, "video_prompt_type": "I"}, tmp_path
    )
    if error:
        assert not queue and problem == error
        return
    params = queue[0]["params"]
    assert len(params.get("image_refs") or []) == kept
    assert ("I" in params["video_prompt_type"]) == bool(kept)


def test_mcp_standin_describes_reference_models_as_wangp_does(monkeypatch):
    """Models the capture has no record of take the reference flags WanGP's infer_media_inputs gives them."""
    monkeypatch.syspath_prepend(
        str(Path(__file__).resolve().parents[2] / "scripts")
    )  # as wan2gp-standin runs it
    from standins.wan2gp_mcp import models

    image = {m: models.record(m)["media_inputs"]["image"] for m in ("phantom_1.3B", "lynx", "t2v")}
    assert image["phantom_1.3B"]["reference"] and image["phantom_1.3B"]["multiple_references"]
    assert image["lynx"]["single_reference"] and not image["lynx"]["multiple_references"]
    assert not image["t2v"]["reference"]


def test_wan2gp_standin_wants_a_picture_when_asked_for_one(tmp_path):
    queue, problem = _parse({"model_type": "phantom_1.3B", "prompt": "x", "video_prompt_type": "I"}, tmp_path)
    assert not queue and problem == "You must provide at least one Reference Image"


# --- end to end through the real client -----------------------------------------------------------------


@pytest.mark.standin
@pytest.mark.timeout(120)
@pytest.mark.parametrize(("transport", "model"), [("web_ui", "phantom_1.3B"), ("mcp", "vace_1.3B")])
def test_references_reach_the_wan2gp_standin_frames(request, tmp_path, transport, model):
    """Over the web UI (queue zip) and over WanGP's MCP server (gallery uploads) alike; on MCP a model the
    stand-in has weights for, like a fresh WanGP install."""
    server = request.getfixturevalue("wan2gp_standin" if transport == "web_ui" else "wan2gp_mcp_standin")
    refs = _pictures(tmp_path)
    client = Wan2GPClient(server.url, output_dir=tmp_path / "out", timeout=60, transport=transport)
    try:
        result = client.generate(model=model, prompt="a keeper", image_refs=refs, seed=3, **SMALL)
    finally:
        client.close()
    assert result.success, result.error_message
    assert_tiles(videogen.read_frame(result.video_path, -1), refs)


@pytest.mark.parametrize(
    ("model", "count", "words"),
    [("t2v_1.3B", 1, "takes no reference pictures"), ("lynx", 2, "takes at most 1 reference picture")],
)
def test_movie_director_refuses_references_before_sending(tmp_path, model, count, words):
    refs = _pictures(tmp_path)[:count]
    with pytest.raises(ValidationError, match=words) as caught:
        validate_settings(model=model, prompt="x", image_refs=refs)
    assert caught.value.field == "image_refs"


# --- the WaveSpeed stand-in -----------------------------------------------------------------------------

KLING_REFS = "kwaivgi/kling-v4.0/reference-to-video"
KLING_TEXT = "kwaivgi/kling-v4.0/text-to-video"


@pytest.mark.standin
def test_references_reach_the_wavespeed_standin_frames(wavespeed_standin_clean, tmp_path):
    s = wavespeed_standin_clean
    refs = _pictures(tmp_path)
    urls = [s.upload(p) for p in refs]
    data = s.run(KLING_REFS, {"prompt": "@Image1 walks past @Image2", "images": urls, "duration": 3})
    assert data["status"] == "completed", data
    video = s.download(data["outputs"][0], tmp_path / "out.mp4")
    assert_tiles(videogen.read_frame(video, 0), refs)


@pytest.mark.standin
def test_wavespeed_standin_refuses_references_on_a_model_that_takes_none(wavespeed_standin_clean, tmp_path):
    s = wavespeed_standin_clean
    url = s.upload(_pictures(tmp_path)[0])
    response = s.submit(KLING_TEXT, {"prompt": "a keeper", "images": [url]})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and body["data"] is None
    assert "images" in body["message"] and KLING_TEXT in body["message"]
    assert s.submits()[-1]["outcome"] == "rejected"
