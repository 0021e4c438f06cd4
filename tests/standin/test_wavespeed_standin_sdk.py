"""The official ``wavespeed`` SDK (2.0.5), pointed at the stand-in, runs tasks to completion.

This is the check that the stand-in speaks the real protocol: the SDK was written against the real
service, so anything it accepts from us has the real shape.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import wavespeed
from PIL import Image

from scripts.standins import videogen
from tests.fixtures.wavespeed_standin import WaveSpeedStandin

pytestmark = pytest.mark.standin

LTX_FAST = "lightricks/ltx-2-fast/text-to-video"
HUNYUAN = "wavespeed-ai/hunyuan-video-1.5/text-to-video"


def client(s: WaveSpeedStandin, **kwargs) -> wavespeed.Client:
    return wavespeed.Client(api_key=s.api_key, base_url=s.url, retry_interval=0.05, **kwargs)


def test_sdk_runs_a_task_to_completion(wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path) -> None:
    s = wavespeed_standin_clean
    result = client(s).run(
        HUNYUAN, {"prompt": "a red kite", "size": "832*480", "seed": 42}, poll_interval=0.05, timeout=30
    )
    (url,) = result["outputs"]
    video = s.download(url, tmp_path / "out.mp4")
    stats = videogen.probe(video)
    assert stats.frames == 5 * 24 and stats.duration == pytest.approx(5.0)
    assert stats.width / stats.height == pytest.approx(832 / 480, rel=0.02)
    (entry,) = s.submits()
    assert entry["body"] == {"prompt": "a red kite", "size": "832*480", "seed": 42}
    assert entry["key_id"] is not None and entry["outcome"] == "created"


def test_sdk_sync_mode(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    result = client(s).run(LTX_FAST, {"prompt": "sync"}, enable_sync_mode=True, timeout=30)
    assert len(result["outputs"]) == 1
    assert s.submits()[0]["body"] == {"prompt": "sync", "enable_sync_mode": True}


def test_sdk_understands_the_5004_sync_timeout(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(sync_timeout=0.1, task_seconds=0.5)
    sdk = client(s)
    outcome = sdk.run_no_throw(LTX_FAST, {"prompt": "slow"}, enable_sync_mode=True, timeout=30)
    assert outcome["status"] == "processing"
    assert outcome["outputs"] is None
    task_id = outcome["task_id"]
    assert task_id == s.tasks()[0]["id"]
    assert f"{s.url}/api/v3/predictions/{task_id}/result" in outcome["error"]
    assert s.wait(task_id)["status"] == "completed"
    assert sdk.get_result(task_id)["data"]["status"] == "completed"


def test_sdk_two_step_upload_feeds_image_to_video(
    wavespeed_standin_clean: WaveSpeedStandin, tmp_path: Path
) -> None:
    s = wavespeed_standin_clean
    image = tmp_path / "start.png"
    Image.new("RGB", (640, 360), (200, 40, 40)).save(image)
    sdk = client(s)
    url = sdk.upload(str(image))
    assert url.startswith(f"{s.url}/files/uploads/")
    assert s.download(url, tmp_path / "back.png").read_bytes() == image.read_bytes()
    result = sdk.run(
        "lightricks/ltx-2-pro/image-to-video",
        {"image": url, "prompt": "zoom"},
        poll_interval=0.05,
        timeout=30,
    )
    video = s.download(result["outputs"][0], tmp_path / "i2v.mp4")
    first = videogen.read_frame(video, 0)
    r, g, b = first.reshape(-1, 3).mean(axis=0)
    assert r > 150 and g < 90 and b < 90  # frame 0 is the uploaded picture
    assert [e["route"] for e in s.requests() if e["route"] in ("upload", "storage")] == ["upload", "storage"]


def test_sdk_retries_polls_through_server_errors(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("poll", status=503, count=2)
    s.add_fault("poll", status=429, count=1, retry_after=1)
    result = client(s).run(LTX_FAST, {"prompt": "x"}, poll_interval=0.05, timeout=30)
    assert len(result["outputs"]) == 1
    assert [p["status"] for p in s.requests(route="poll")][:3] == [503, 503, 429]
    assert s.submit_count() == 1


def test_sdk_never_resubmits_after_a_dropped_submit(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="drop", create_task=True)
    with pytest.raises(RuntimeError, match="may already"):
        client(s, max_retries=2).run(LTX_FAST, {"prompt": "paid once"}, poll_interval=0.05, timeout=30)
    assert s.submit_count(created_only=False) == 1
    (task,) = s.tasks()
    assert s.wait(task["id"])["status"] == "completed"


def test_sdk_reports_a_failed_task(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(invalid_values="task")
    with pytest.raises(RuntimeError, match="duration must be one of"):
        client(s).run(HUNYUAN, {"prompt": "x", "duration": 10}, poll_interval=0.05, timeout=30)
