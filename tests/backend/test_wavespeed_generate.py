"""``ai_video_generate``: one call, either backend, one result type (both backends' stand-ins)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from blender_movie_director.backend.base import GenerationResult
from blender_movie_director.backend.generate import ai_video_generate
from tests.backend.test_wavespeed_support import assert_good_result, decode

pytestmark = pytest.mark.standin


def test_wavespeed_route_with_explicit_endpoint(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    seen: list[tuple[float, str, int]] = []

    async def main():
        loop_thread = threading.get_ident()
        result = await ai_video_generate(
            "A red fox trotting through fresh snow", provider="wavespeed", model="hunyuan-video-1.5",
            progress_callback=lambda f, t: seen.append((f, t, threading.get_ident())),
            api_key=server.api_key, base_url=server.url, output_dir=tmp_path, duration=5, resolution="720p",
        )  # fmt: skip
        return result, loop_thread

    result, loop_thread = asyncio.run(main())
    assert isinstance(result, GenerationResult)
    assert_good_result(result, seconds=5)
    assert result.metadata["model"] == "wavespeed-ai/hunyuan-video-1.5/text-to-video"
    assert seen and all(tid == loop_thread for _, _, tid in seen)
    assert server.submits()[0]["body"]["size"] == "1280*720"


def test_wavespeed_route_from_environment(wavespeed_standin_clean, tmp_path, monkeypatch):
    server = wavespeed_standin_clean
    monkeypatch.setenv("WAVESPEED_API_KEY", server.api_key)
    monkeypatch.setenv("WAVESPEED_BASE_URL", server.url)
    result = asyncio.run(
        ai_video_generate(
            "waves", model="lightricks/ltx-2-fast/text-to-video", output_dir=tmp_path, duration=6
        )
    )
    assert_good_result(result, seconds=6)


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"provider": "sora"}, "validation"),
        ({"model": "no-such-model"}, "validation"),
        ({"model": "ltx-2-pro", "resolution": "720p"}, "validation"),
    ],
)
def test_failures_come_back_as_results(kwargs, kind, wavespeed_standin_clean, monkeypatch):
    monkeypatch.setenv("WAVESPEED_API_KEY", wavespeed_standin_clean.api_key)
    monkeypatch.setenv("WAVESPEED_BASE_URL", wavespeed_standin_clean.url)
    result = asyncio.run(ai_video_generate("x", **kwargs))
    assert not result.success and result.error_kind.value == kind and result.error_message
    assert wavespeed_standin_clean.requests(route="submit") == []


def test_wan2gp_route(wan2gp_standin, tmp_path):
    seen: list[int] = []

    async def main():
        loop_thread = threading.get_ident()
        result = await ai_video_generate(
            "A red fox trotting through snow", provider="wan2gp", model="t2v_1.3B",
            progress_callback=lambda f, t: seen.append(threading.get_ident()),
            url=wan2gp_standin.url, output_dir=tmp_path, seed=5, resolution="160x96", video_length=9,
            num_inference_steps=4,
        )  # fmt: skip
        await asyncio.sleep(0)  # let relayed progress calls run
        return result, loop_thread

    result, loop_thread = asyncio.run(main())
    assert isinstance(result, GenerationResult)
    assert result.success, result.error_message
    decoded = decode(result.video_path)
    assert (decoded["width"], decoded["height"], decoded["frames"]) == (160, 96, 9)
    assert result.metadata["backend"] == "wan2gp" and result.metadata["model"] == "t2v_1.3B"
    assert result.metadata["prompt"] == "A red fox trotting through snow"
    assert seen and set(seen) == {loop_thread}


def test_wan2gp_route_validation_failure_is_a_result(wan2gp_standin, tmp_path):
    result = asyncio.run(
        ai_video_generate(
            "x", provider="wan2gp", model="no-such-wan-model", url=wan2gp_standin.url, output_dir=tmp_path
        )
    )
    assert not result.success and result.error_kind.value == "validation"
