"""The 2026 WaveSpeed models against the stand-in (issue 18): keyframes and references travel as lists of
uploaded URLs in each model's own fields, the stand-in lists the new models from the shared data, and a
retired model or one reference too many is refused before any request."""

from __future__ import annotations

import pytest

from blender_movie_director.backend.errors import ModelUnavailableError, ValidationError
from blender_movie_director.backend.jobs.request import Backend, GenerationRequest
from blender_movie_director.backend.jobs.runners import WaveSpeedRunner
from blender_movie_director.backend.wavespeed.models import all_models
from blender_movie_director.backend.wavespeed.roles import resolve_for_roles
from tests.backend.test_wavespeed_support import assert_good_result, make_png, make_provider

pytestmark = pytest.mark.standin


def test_last_frame_and_keyframes_are_uploaded_into_their_own_fields(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    provider = make_provider(server, quote_price=True)  # the stand-in prices it from the shared rate table
    frames = [make_png(tmp_path / f"k{i}.png") for i in range(4)]
    result = provider.generate_sync(
        "kwaivgi/kling-v4.0/image-to-video",
        {
            "prompt": "a dancer",
            "image": frames[0],
            "last_image": frames[3],
            "keyframes": frames[1:3],
            "duration": 3,
        },
        output_dir=tmp_path / "out",
    )
    assert_good_result(result, seconds=3)
    (submit,) = server.submits()
    body = submit["body"]
    assert submit["dropped_keys"] == []
    assert set(body) == {"prompt", "image", "last_image", "keyframes", "duration"}
    assert len(body["keyframes"]) == 2 and all(url.startswith(server.url) for url in body["keyframes"])
    assert len({body["image"], body["last_image"], *body["keyframes"]}) == 4  # four uploads, four URLs
    assert len(server.requests(route="upload")) == 4
    assert result.metadata["cost"] == pytest.approx(3 * 0.157) and result.metadata["cost_source"] == "quote"
    assert "keyframes" not in result.metadata["params"]  # upload URLs stay out of the take's metadata


def test_a_shots_references_reach_the_reference_model_as_a_list(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    refs = "\n".join(str(make_png(tmp_path / f"cast{i}.png")) for i in range(3))
    request = GenerationRequest(
        Backend.WAVESPEED, "kling-4.0", "@Image1 walks in", str(tmp_path), inputs={"image_refs": refs}
    )
    spec = resolve_for_roles(request.model, request.inputs)
    assert spec.model_id == "kwaivgi/kling-v4.0/reference-to-video"
    result = make_provider(server).generate_sync(
        spec, WaveSpeedRunner.params_for(request, spec), output_dir=tmp_path / "out"
    )
    assert_good_result(result)
    (submit,) = server.submits()
    assert set(submit["body"]) == {"prompt", "images"} and len(submit["body"]["images"]) == 3
    assert submit["dropped_keys"] == []


def test_refused_before_any_request_retired_model_and_one_reference_too_many(
    wavespeed_standin_clean, tmp_path
):
    server = wavespeed_standin_clean
    provider = make_provider(server)
    with pytest.raises(ModelUnavailableError, match=r"Seedance 2\.5 Turbo"):
        provider.generate_sync("openai/sora-2/text-to-video", {"prompt": "x"}, output_dir=tmp_path)
    pictures = [make_png(tmp_path / f"r{i}.png") for i in range(10)]
    with pytest.raises(ValidationError) as err:
        provider.generate_sync(
            "bytedance/seedance-2.5/text-to-video-turbo",
            {"prompt": "x", "reference_images": pictures},
            output_dir=tmp_path,
        )
    assert err.value.field == "reference_images" and "at most 9" in err.value.user_message
    assert server.requests() == []  # no catalog check, no upload, no submit


def test_the_standin_lists_the_offered_models_from_the_same_data(wavespeed_standin_clean):
    catalog = make_provider(wavespeed_standin_clean).catalog_sync()
    offered = {m for m, spec in all_models().items() if not spec.retired}
    assert set(catalog) == offered
    schema = catalog["kwaivgi/kling-v4.0/reference-to-video"]["api_schema"]["api_schemas"][0][
        "request_schema"
    ]
    assert schema["properties"]["images"] == {
        "type": "array",
        "maxItems": 10,
        "description": all_models()["kwaivgi/kling-v4.0/reference-to-video"].fields["images"].description,
    }
