"""Facts read from WaveSpeed's own pages in the second pass over issue 18 (no network): a rate applies only
to the settings its page names (every other setting stays "price unknown", so a budget still refuses it),
and a field a model's table does not list is refused rather than sent."""

from __future__ import annotations

import pytest

from blender_movie_director.backend.errors import ValidationError
from blender_movie_director.backend.wavespeed.models import all_models
from blender_movie_director.backend.wavespeed.pricing import estimate_cost
from blender_movie_director.backend.wavespeed.validation import prepare_request

URL = "https://example.invalid/start.png"
SEEDANCE_I2V = "bytedance/seedance-2.5/image-to-video"


@pytest.mark.parametrize(("seconds", "usd"), [(4, 0.72), (5, 0.90), (30, 5.40)])
def test_seedance_25_image_to_video_480p_is_prorated_per_second(seconds: int, usd: float) -> None:
    # WaveSpeed's Seedance 2.5 API page: $0.90 per 5 s at 480p, prorated per second up to 30 s.
    estimate = estimate_cost(SEEDANCE_I2V, prompt="x", image=URL, resolution="480p", duration=seconds)
    assert estimate.usd == pytest.approx(usd)


@pytest.mark.parametrize("resolution", ["720p", "1080p", "4k"])
def test_seedance_25_image_to_video_above_480p_stays_unknown(resolution: str) -> None:
    estimate = estimate_cost(SEEDANCE_I2V, prompt="x", image=URL, resolution=resolution)
    assert estimate.usd is None and "unknown" in str(estimate)


def test_kling_40_references_720p_matches_the_model_pages_run_price() -> None:
    # The model page's playground: $0.785 per run at its defaults (5 s, 720p).
    estimate = estimate_cost("kwaivgi/kling-v4.0/reference-to-video", prompt="x", images=[URL])
    assert estimate.usd == pytest.approx(0.785)


def test_ltx_23_takes_no_aspect_ratio_so_none_is_sent() -> None:
    # WaveSpeed's LTX-2.3 text-to-video table lists prompt, resolution, duration and seed only (LTX-2 19B's
    # lists aspect_ratio too): an aspect ratio would be dropped by the service, so it is refused here.
    spec = all_models()["wavespeed-ai/ltx-2.3/text-to-video"]
    with pytest.raises(ValidationError) as caught:
        prepare_request(spec, {"prompt": "a kite", "aspect_ratio": "9:16"})
    assert caught.value.field == "aspect_ratio"
    assert prepare_request(spec, {"prompt": "a kite", "seed": 7}).payload == {"prompt": "a kite", "seed": 7}
