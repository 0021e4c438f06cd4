"""WaveSpeed cost estimates, input-file checks, error mapping, cancel/deadline (no network)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from PIL import Image

from blender_movie_director.backend.errors import (
    AuthenticationError,
    BackendTimeoutError,
    InsufficientBalanceError,
    JobCancelledError,
    ModerationError,
    Peer,
    RateLimitError,
    ServerError,
    ValidationError,
)
from blender_movie_director.backend.media import sniff_kind
from blender_movie_director.backend.wavespeed.control import Control
from blender_movie_director.backend.wavespeed.error_map import error_for_status, task_failure
from blender_movie_director.backend.wavespeed.models import resolve_model
from blender_movie_director.backend.wavespeed.pricing import estimate_cost
from blender_movie_director.backend.wavespeed.validation import prepare_request
from tests.backend.test_wavespeed_support import make_mp4


@pytest.mark.parametrize(
    ("model", "params", "usd", "confidence"),
    [
        ("hunyuan-video-1.5", {"duration": 5, "resolution": "720p"}, 0.20, "confirmed"),
        ("hunyuan-video-1.5", {}, 0.20, "confirmed"),  # defaults: 1280*720, 5 s
        ("hunyuan-video-1.5", {"duration": 8, "resolution": "480p"}, 0.16, "confirmed"),
        ("ltx-2-pro", {}, 0.36, "confirmed"),
        ("ltx-2-pro", {"duration": 10}, 0.60, "confirmed"),
        ("ltx-2-fast", {}, 0.24, "confirmed"),
        ("ltx-2-fast", {"duration": 20}, 0.80, "confirmed"),
        ("wan-2.6", {"size": "1920*1080", "duration": 15}, 2.25, "confirmed"),
        ("kling-2.5-turbo", {"duration": 10}, 0.70, "likely"),
        ("seedance-1.5-pro", {"duration": 10}, 0.52, "confirmed"),
        ("seedance-1.5-pro", {"resolution": "480p", "generate_audio": False}, 0.06, "confirmed"),
        ("veo-3.1-fast", {}, 1.20, "confirmed"),
        ("veo-3.1-fast", {"generate_audio": False, "resolution": "720p"}, 0.80, "confirmed"),
    ],
)
def test_documented_prices(model, params, usd, confidence):
    estimate = estimate_cost(model, prompt="x", **params)
    assert estimate.usd == pytest.approx(usd)
    assert estimate.confidence == confidence
    assert f"${usd:.2f}" in str(estimate)


def test_unknown_prices_are_none_not_zero():
    assert estimate_cost("seedance-1.5-pro", prompt="x", resolution="1080p").usd is None
    assert estimate_cost("veo-3.1-fast", prompt="x", resolution="4k").usd is None
    assert estimate_cost("ltx-2-19b", prompt="x").usd is None
    assert "unknown" in str(estimate_cost("ltx-2-19b", prompt="x"))


def test_invalid_settings_have_no_price():
    with pytest.raises(ValidationError):
        estimate_cost("hunyuan-video-1.5", prompt="x", duration=10)


def test_retake_price_follows_the_input_video(tmp_path):
    video = make_mp4(tmp_path / "in.mp4", seconds=4.0, fps=8)
    estimate = estimate_cost("ltx-2-retake", prompt="x", video=str(video))
    assert estimate.billed_seconds == pytest.approx(4.0, abs=0.2)
    assert estimate.usd == pytest.approx(0.40, abs=0.02)
    url_only = estimate_cost("ltx-2-retake", prompt="x", video="https://example.invalid/v.mp4")
    assert url_only.usd is None
    assert estimate_cost("ltx-2-retake", prompt="x", video="https://e/v.mp4", input_seconds=6).usd == 0.6


def test_input_files_checked_by_content(tmp_path):
    png = tmp_path / "frame.png"
    Image.new("RGB", (32, 32), "red").save(png)
    jpeg_named_png = tmp_path / "photo.png"
    Image.new("RGB", (32, 32), "blue").save(jpeg_named_png, format="JPEG")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    spec = resolve_model("hunyuan-video-1.5", task="image-to-video")
    req = prepare_request(spec, {"image": str(png)})
    assert req.uploads == {"image": png.resolve()} and "image" in req.payload
    assert sniff_kind(jpeg_named_png.read_bytes()[:64]) == "jpeg"
    prepare_request(spec, {"image": jpeg_named_png})
    with pytest.raises(ValidationError, match="JPEG, PNG"):
        prepare_request(spec, {"image": str(text)})
    with pytest.raises(ValidationError, match="does not exist"):
        prepare_request(spec, {"image": str(tmp_path / "missing.png")})
    with pytest.raises(ValidationError, match="http"):
        prepare_request(spec, {"image": "ftp://host/x.png"})
    retake = resolve_model("ltx-2-retake")
    with pytest.raises(ValidationError, match="MP4"):
        prepare_request(retake, {"prompt": "x", "video": str(png)})


def test_input_size_limit(tmp_path):
    from dataclasses import replace

    from blender_movie_director.backend.wavespeed.models import InputLimit

    spec = resolve_model("ltx-2-retake")
    small = replace(spec, inputs={"video": InputLimit(("mp4",), 1000, "unverified")})
    video = make_mp4(tmp_path / "big.mp4", seconds=2, fps=8)
    assert video.stat().st_size > 1000
    with pytest.raises(ValidationError, match="at most"):
        prepare_request(small, {"prompt": "x", "video": str(video)})


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (401, "Invalid API key", AuthenticationError),
        (403, "forbidden", AuthenticationError),
        (402, "", InsufficientBalanceError),
        (400, "Insufficient balance", InsufficientBalanceError),
        (403, "insufficient credit", InsufficientBalanceError),
        (429, "", RateLimitError),
        (400, "duration must be one of", ValidationError),
        (500, "", ServerError),
        (503, "", ServerError),
    ],
)
def test_status_mapping(status, message, cls):
    peer = Peer("WaveSpeed", "https://api.wavespeed.ai")
    error = error_for_status(status, message, peer, retry_after=2 if status == 429 else None)
    assert type(error) is cls
    assert error.retryable == (status in (429, 500, 503))


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (1200, ModerationError),
        (1400, ValidationError),
        (1401, ValidationError),
        (1402, ValidationError),
        (5000, ServerError),
        (1403, ServerError),
        (5004, BackendTimeoutError),
    ],
)
def test_task_failure_codes(code, cls):
    error = task_failure({"status": "failed", "code": code, "error": "boom"}, "t-1")
    assert type(error) is cls
    assert error.remote_id == "t-1" and error.code == code
    assert "t-1" in str(error) and str(code) in str(error)
    assert error.retryable == (code == 5000 or cls is BackendTimeoutError)


def test_task_failure_scrubs_secrets():
    error = task_failure(
        {"status": "failed", "error": "bad key sk-SECRET"}, "t", lambda t: str(t).replace("sk-SECRET", "***")
    )
    assert "sk-SECRET" not in str(error) and "***" in str(error)


def test_control_cancel_and_deadline():
    flag = threading.Event()
    control = Control(cancel=flag)

    async def main():
        threading.Timer(0.15, flag.set).start()
        t0 = time.monotonic()
        with pytest.raises(JobCancelledError, match="nothing was billed"):
            await control.sleep(10)
        return time.monotonic() - t0

    assert asyncio.run(main()) < 1.0
    control.remote_id = "abc"
    assert "abc" in str(control.cancelled_error()) and control.cancelled_error().remote_id == "abc"

    late = Control(timeout=0.2)
    late.remote_id = "t9"

    async def wait_long():
        await late.guard(asyncio.sleep(5))

    t0 = time.monotonic()
    with pytest.raises(BackendTimeoutError) as err:
        asyncio.run(wait_long())
    assert time.monotonic() - t0 < 1.0 and err.value.remote_id == "t9"
    assert Control(deadline=time.monotonic() + 100, timeout=1).remaining() <= 1
