"""Queue files through the stand-in with plain gradio_client: t2v, i2v, VACE, LTX, defaults, progress."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from scripts.standins import videogen
from scripts.standins.wan2gp import catalog
from tests.standin import wan2gp_driver as drv

pytestmark = pytest.mark.standin

EMPTY_HTML = "Queue is empty."
NAME_RE = re.compile(r"^\d{4}-\d\d-\d\d-\d\dh\d\dm\d\ds_seed(\d+)_(.*)\.mp4$")


@pytest.fixture
def client(wan2gp_standin, tmp_path):
    c = drv.connect(wan2gp_standin.url, tmp_path / "downloads")
    yield c
    c.close()


def corner_close(frame: np.ndarray, seed: int, tol: float = 12.0) -> bool:
    h, w = frame.shape[:2]
    got = videogen.region_mean(frame, videogen.marker_box(w, h))
    return all(abs(g - e) <= tol for g, e in zip(got, videogen.seed_color(seed), strict=True))


def test_plain_submit_without_trigger_id_ignores_the_upload(client, tmp_path):
    task = drv.write_json(tmp_path / "t.json", {"model_type": "t2v_1.3B", "prompt": "ignored", "seed": 1})
    assert client.predict(handle_file(str(task)), api_name="/load_queue_action") is None
    assert client.predict(api_name="/process_tasks_1") == (None, None, None)  # empty queue: returns at once


def test_text_to_video_json(client, wan2gp_standin, tmp_path):
    prompt = "A red fox trotting through fresh snow at dawn, cinematic"
    task = {
        "model_type": "t2v_1.3B",
        "prompt": prompt,
        "resolution": "160x96",
        "video_length": 19,
        "num_inference_steps": 6,
        "seed": 42,
    }
    run = drv.run_queue(client, drv.write_json(tmp_path / "t2v.json", task))
    assert run.load_logs == [("Loaded 1 task(s)", "info")]
    assert EMPTY_HTML in run.load_result["value"]  # queue[0] is the running slot
    assert run.process_error is None
    assert len(run.process_job.outputs()) == 2  # start + one output
    final = run.final
    assert final[0] == 0 and final[2] == "[]" and final[3] == -1
    assert final[5] == {"visible": False, "value": "", "__type__": "update"}
    videos = run.gallery_videos()
    assert len(videos) == 1 and final[1]["selected_index"] == 0
    name = Path(videos[0]).name
    match = NAME_RE.match(name)
    assert match and match.group(1) == "42" and match.group(2) == prompt
    on_server = wan2gp_standin.outputs / name
    assert on_server.is_file() and on_server.read_bytes() == Path(videos[0]).read_bytes()
    stats = videogen.probe(videos[0])
    assert (stats.width, stats.height, stats.fps, stats.frames) == (160, 96, 16.0, 17)  # 19 → 4n+1 = 17
    assert stats.codec == "h264" and not stats.has_audio
    frames = videogen.read_frames(videos[0])
    assert all(corner_close(f, 42) for f in frames)
    assert [videogen.frame_index_mark(f) for f in frames] == [i % 8 for i in range(17)]


def test_minimal_task_gets_the_real_defaults(client, tmp_path):
    run = drv.run_queue(
        client,
        drv.write_json(
            tmp_path / "min.json", {"model_type": "t2v_1.3B", "prompt": "defaults", "num_inference_steps": 2}
        ),
    )
    assert run.process_error is None
    stats = videogen.probe(run.gallery_videos()[0])
    assert (stats.width, stats.height, stats.frames, stats.fps) == (832, 480, 81, 16.0)
    seed = int(NAME_RE.match(Path(run.gallery_videos()[0]).name).group(1))  # seed -1 → a random seed
    assert corner_close(videogen.read_frame(run.gallery_videos()[0], 0), seed)


def _picture(path: Path, color_a: tuple[int, int, int], color_b: tuple[int, int, int]) -> Path:
    arr = np.zeros((48, 64, 3), dtype=np.uint8)
    arr[:, :32] = color_a
    arr[:, 32:] = color_b
    arr[:8, :] = (255, 255, 255)
    Image.fromarray(arr).save(path)
    return path


def test_image_to_video_zip_starts_and_ends_on_the_images(client, tmp_path):
    start = _picture(tmp_path / "start.png", (200, 30, 30), (30, 30, 200))
    end = _picture(tmp_path / "end.png", (30, 200, 30), (230, 230, 40))
    params = {
        "model_type": "i2v",
        "prompt": "the picture comes alive",
        "resolution": "160x96",
        "video_length": 9,
        "num_inference_steps": 4,
        "seed": 7,
        "image_prompt_type": "SE",
        "image_start": "task5_image_start_0.png",
        "image_end": "task5_image_end_0.png",
    }
    queue_zip = drv.write_queue_zip(
        tmp_path / "i2v.zip",
        [{"id": 5, "params": params}],
        {"task5_image_start_0.png": start, "task5_image_end_0.png": end},
    )
    run = drv.run_queue(client, queue_zip)
    assert run.load_logs == [("Loaded 1 task(s)", "info")]
    assert run.process_error is None
    video = run.gallery_videos()[0]
    stats = videogen.probe(video)
    # Like WanGP, 160x96 is a pixel budget the 4:3 start picture (64x48) is fitted into, on a 16 px grid.
    assert (stats.width, stats.height, stats.frames, stats.fps) == (144, 112, 9, 16.0)
    frames = videogen.read_frames(video)
    assert videogen.mean_abs_diff(frames[0], videogen.resize_rgb(start, 144, 112)) < 6
    assert videogen.mean_abs_diff(frames[-1], videogen.resize_rgb(end, 144, 112)) < 6
    assert videogen.mean_abs_diff(frames[0], videogen.resize_rgb(end, 144, 112)) > 40
    assert videogen.mean_abs_diff(frames[4], frames[0]) > 10  # motion in between


def test_image_to_video_size_follows_wangps_fit_rule():
    # Seen on the real 12.60: a 4:3 picture asked at 320x192 gave 288x208 (wgp-standin-fidelity.md item 8).
    assert catalog.fit_to_image(320, 192, 640, 480, 16) == (288, 208)
    assert catalog.fit_to_image(320, 192, 480, 640, 16) == (208, 288)  # portrait keeps its aspect
    assert catalog.fit_to_image(832, 480, 1280, 720, 16) == (848, 480)  # 16:9 into the 832x480 budget
    assert catalog.fit_to_image(832, 480, 1280, 720, 32) == (832, 480)  # 5B Wan: 32 px grid
    assert catalog.vae_block_size(catalog.get_model_def("i2v")) == 16
    assert catalog.vae_block_size(catalog.get_model_def("ti2v_2_2")) == 32


def test_json_upload_drops_attachments(client, tmp_path):
    start = _picture(tmp_path / "start.png", (200, 30, 30), (30, 30, 200))
    base = {
        "model_type": "i2v",
        "prompt": "json with an image path",
        "image_prompt_type": "S",
        "resolution": "64x48",
        "video_length": 5,
        "num_inference_steps": 1,
        "seed": 9,
    }
    # A path that does not resolve is dropped before validation: the start image is missing.
    _, logs = drv.load_queue(
        client, drv.write_json(tmp_path / "a.json", {**base, "image_start": "missing.png"})
    )
    assert logs == [("Failed to load queue: You must provide a Start Image", "warning")]
    # A path that resolves passes validation, then the JSON safety rule sets it to None (wgp.py:2137).
    run = drv.run_queue(client, drv.write_json(tmp_path / "b.json", {**base, "image_start": str(start)}))
    assert run.load_logs == [("Loaded 1 task(s)", "info")]
    first = videogen.read_frame(run.gallery_videos()[0], 0)
    assert videogen.mean_abs_diff(first, videogen.resize_rgb(start, 64, 48)) > 40


def test_vace_zip_follows_the_control_video(client, tmp_path):
    control = tmp_path / "control.mp4"
    videogen.text_video(control, prompt="control", seed=3, width=128, height=64, frames=13, fps=16)
    params = {
        "model_type": "vace_1.3B",
        "prompt": "a dancer in the rain",
        "resolution": "160x96",
        "video_length": 81,
        "num_inference_steps": 3,
        "seed": 11,
        "video_prompt_type": "PV",
        "video_guide": "task1_video_guide_0.mp4",
    }
    queue_zip = drv.write_queue_zip(
        tmp_path / "vace.zip", [{"id": 1, "params": params}], {"task1_video_guide_0.mp4": control}
    )
    run = drv.run_queue(client, queue_zip)
    assert run.process_error is None, run.process_error
    video = run.gallery_videos()[0]
    stats = videogen.probe(video)
    assert (stats.width, stats.height, stats.frames) == (160, 96, 13)
    out_frames, control_frames = videogen.read_frames(video), videogen.read_frames(control)
    tint = np.array(videogen.seed_color(11), dtype=np.float32)
    for i, (out, ctl) in enumerate(zip(out_frames, control_frames, strict=True)):
        expected = (0.75 * videogen.resize_rgb(ctl, 160, 96).astype(np.float32) + 0.25 * tint).astype(
            np.uint8
        )
        side = videogen.marker_box(160, 96)[2]
        # Compare below the seed marker square (the only overlay).
        assert videogen.mean_abs_diff(out[side:], expected[side:]) < 8, i
    assert corner_close(out_frames[0], 11)


def test_ltx_families_use_their_frame_rate_and_frame_rule(client, tmp_path):
    base = {"resolution": "128x64", "video_length": 20, "num_inference_steps": 2, "seed": 5}
    tasks = [
        {**base, "model_type": "ltx2_distilled", "prompt": "ltx two"},
        {**base, "model_type": "ltxv_distilled", "prompt": "ltx video"},
    ]
    run = drv.run_queue(client, drv.write_json(tmp_path / "ltx.json", tasks))
    assert run.load_logs == [("Loaded 2 task(s)", "info")]
    videos = run.gallery_videos()
    assert len(videos) == 2
    ltx2, ltxv = videogen.probe(videos[0]), videogen.probe(videos[1])
    assert (ltx2.fps, ltx2.frames, ltx2.has_audio) == (24.0, 17, True)  # 20 → 8n+1 = 17
    assert (ltxv.fps, ltxv.frames, ltxv.has_audio) == (30.0, 17, False)


def test_progress_reaches_the_client_with_real_status_texts(client, tmp_path):
    tasks = [
        {
            "model_type": "t2v",
            "prompt": f"progress {i}",
            "resolution": "64x48",
            "video_length": 5,
            "num_inference_steps": 30,
            "seed": i,
        }
        for i in (1, 2)
    ]
    run = drv.run_queue(client, drv.write_json(tmp_path / "p.json", tasks))
    assert run.process_error is None
    assert len(run.gallery_videos()) == 2
    steps = [p for p in run.progress if p[1] == 30]
    assert len(steps) >= 2, run.progress
    pattern = re.compile(r"^Prompt ([12])/2 - (Denoising|VAE Decoding) \| \d+\.\ds( / \d+\.\ds)?$")
    assert all(pattern.match(desc) for _, _, desc in steps), steps
    assert {pattern.match(desc).group(1) for _, _, desc in steps} == {"1", "2"}
    assert all(0 <= index <= 30 for index, _, _ in steps)
    statuses = run.refresh_job.outputs()
    assert statuses and all(isinstance(s, str) for s in statuses)


def test_load_messages_match_the_real_app(client, tmp_path):
    def load(name: str, data) -> list:
        path = tmp_path / name
        if isinstance(data, str):
            path.write_text(data)
        else:
            drv.write_json(path, data)
        _, logs = drv.load_queue(client, path)
        client.predict(api_name="/clear_queue_action")
        return logs

    assert load("a.json", {"model_type": "no_such_model", "prompt": "x"}) == [
        ("Failed to load queue: Settings must contain 'model_type'", "warning")
    ]
    assert load(
        "b.json", {"model_type": "no_such_model", "base_model_type": "no_such_base", "prompt": "x"}
    ) == [("Failed to load queue: Unknown model type: no_such_model", "warning")]
    assert load("c.json", {"model_type": "no_such_model", "base_model_type": "t2v", "prompt": "x"}) == [
        ("Loaded 1 task(s)", "info")
    ]
    assert load(
        "d.json", [{"model_type": "t2v_1.3B", "prompt": "ok"}, {"model_type": "nope", "prompt": "x"}]
    ) == [("Loaded 1 task(s)", "info")]
    assert load("e.json", {"prompt": "no model"}) == [
        ("Failed to load queue: Settings must contain 'model_type'", "warning")
    ]
    bad = load("f.json", "{not json")
    assert len(bad) == 1 and bad[0][0].startswith(
        "Failed to load queue: Invalid JSON: Expecting property name"
    )
    png = tmp_path / "q.png"
    Image.new("RGB", (4, 4)).save(png)
    with pytest.raises(AppError, match="Invalid file type"):
        drv.load_queue(client, png)


def test_second_load_merges_and_outputs_are_served(client, wan2gp_standin, tmp_path):
    a = drv.write_json(
        tmp_path / "a.json",
        {
            "model_type": "t2v_1.3B",
            "prompt": "first",
            "resolution": "64x48",
            "video_length": 5,
            "num_inference_steps": 1,
            "seed": 3,
        },
    )
    _, logs = drv.load_queue(client, a)
    assert logs == [("Loaded 1 task(s)", "info")]
    result, logs = drv.load_queue(client, a)
    assert logs == [("Merged 1 task(s) with existing 1 task(s)", "info")]
    assert "first" in result["value"] and "<table>" in result["value"]
    run = drv.finish_queue(client, drv.Run(None, [], client.submit(api_name="/process_tasks_1"), None))
    assert run.process_error is None
    client.predict(api_name="/init_process_queue_if_any")
    videos = run.gallery_videos()
    assert len(videos) == 2
    on_server = wan2gp_standin.outputs / Path(videos[0]).name
    reply = httpx.get(f"{wan2gp_standin.url}/gradio_api/file={on_server}", timeout=30)
    assert reply.status_code == 200 and reply.content == on_server.read_bytes()


def test_save_queue_returns_a_download_of_the_session_queue(client, wan2gp_standin, tmp_path):
    job = client.submit(api_name="/save_queue_action")
    assert job.result(timeout=10) == ""
    assert drv.logs(job) == [("Queue is empty. Nothing to save.", "info")]
    start = _picture(tmp_path / "start.png", (10, 200, 10), (200, 10, 10))
    params = {"model_type": "i2v", "prompt": "saved task", "image_start": "task3_image_start_0.png"}
    queue_zip = drv.write_queue_zip(
        tmp_path / "q.zip", [{"id": 3, "params": params}], {"task3_image_start_0.png": start}
    )
    _, logs = drv.load_queue(client, queue_zip)
    assert logs == [("Loaded 1 task(s)", "info")]
    payload = json.loads(client.predict(api_name="/save_queue_action"))
    assert payload["filename"] == "queue.zip" and payload["url"].startswith("/wangp_api/download/")
    reply = httpx.get(wan2gp_standin.url + payload["url"], timeout=30)
    assert reply.status_code == 200
    with zipfile.ZipFile(io.BytesIO(reply.content)) as zf:
        assert sorted(zf.namelist()) == ["queue.json", "task3_image_start_0.png"]
        saved = json.loads(zf.read("queue.json"))
    assert [(t["id"], t["params"]["prompt"], t["params"]["image_start"]) for t in saved] == [
        (3, "saved task", "task3_image_start_0.png")
    ]
    assert saved[0]["params"]["video_length"] == 81  # factory defaults were merged at load
    assert httpx.get(wan2gp_standin.url + payload["url"], timeout=30).status_code == 404  # one use
    client.predict(api_name="/clear_queue_action")
