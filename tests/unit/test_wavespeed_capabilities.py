"""Which WaveSpeed models return sound, which field switches it, which endpoint extends their clips, and
what the switch does to a request's price (issue 18). Plain Python, from the shipped catalog data."""

from __future__ import annotations

import pytest

from blender_movie_director.backend.jobs.cost import request_price
from blender_movie_director.backend.jobs.request import Backend, GenerationRequest
from blender_movie_director.backend.wavespeed import capabilities
from blender_movie_director.backend.wavespeed.models import all_models

VEO = "google/veo3.1-fast/text-to-video"


@pytest.mark.parametrize(
    ("model", "switch", "default_sound", "extend"),
    [
        (VEO, "generate_audio", True, "google/veo3.1-fast/video-extend"),
        ("lightricks/ltx-2-fast/image-to-video", "generate_audio", True, ""),
        ("wavespeed-ai/ltx-2-19b/text-to-video", "", True, ""),  # "with audio", no switch
        ("wavespeed-ai/hunyuan-video-1.5/text-to-video", "", False, ""),
        ("kwaivgi/kling-v2.5-turbo-pro/text-to-video", "", False, ""),
        ("no/such/model", "", False, ""),
    ],
)
def test_sound_and_extend_per_model(model: str, switch: str, default_sound: bool, extend: str) -> None:
    assert capabilities.sound_switch(model) == switch
    assert capabilities.has_sound(model) is default_sound
    if switch:
        assert capabilities.has_sound(model, {switch: False}) is False
    found = capabilities.extend_model(model)
    assert (found.model_id if found else "") == extend


def test_every_extend_endpoint_takes_a_video_and_a_prompt() -> None:
    for spec in all_models().values():
        found = capabilities.extend_model(spec.model_id)
        if found is not None:
            assert found.fields["video"].required and "prompt" in found.fields, found.model_id
            assert capabilities.extend_model(found.model_id) is found  # an extension extends again


def test_sound_costs_what_the_price_list_says() -> None:
    def price(sound: bool) -> float | None:
        request = GenerationRequest(
            backend=Backend.WAVESPEED, model=VEO, prompt="waves", output_dir="out",
            settings={"duration": 4, "resolution": "720p", "generate_audio": sound},
        )  # fmt: skip
        return request_price(request).usd

    loud, quiet = price(True), price(False)
    assert loud is not None and quiet is not None and loud > quiet > 0
