"""Which models take an end image (issue 17): the Wan2GP catalog's rule against what the real WanGP 12.60
said for every model it was asked about (``media_inputs.image.end`` in the capture the MCP stand-in serves),
and the WaveSpeed side through each model's own field for the ``image_end`` role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blender_movie_director.backend.wan2gp import catalog

CAPTURE = Path(__file__).resolve().parents[2] / "scripts/standins/wan2gp_mcp/data/captured_models.json"


def test_wan2gp_rule_matches_every_captured_model() -> None:
    records = json.loads(CAPTURE.read_text())["records"]
    said = {model: record["media_inputs"]["image"]["end"] for model, record in records.items()}
    assert len(said) > 40 and any(said.values())
    assert {m: catalog.takes_end_image(m) for m in said} == said
    assert catalog.takes_end_image("no_such_model") is None


@pytest.mark.parametrize(
    ("model", "takes"),
    [
        ("kwaivgi/kling-v4.0/image-to-video", True),  # last_image
        ("kwaivgi/kling-v3.0-4k/image-to-video", True),  # end_image
        ("wavespeed-ai/hunyuan-video-1.5/image-to-video", False),
        ("wavespeed-ai/hunyuan-video-1.5/text-to-video", False),  # its i2v member takes none either
    ],
)
def test_wavespeed_models_take_an_end_image_where_they_have_the_field(model: str, takes: bool) -> None:
    from blender_movie_director.backend.wavespeed.roles import resolve_for_roles

    spec = resolve_for_roles(model, {"image_start": "", "image_end": ""})
    assert ("image_end" in spec.role_fields) is takes
