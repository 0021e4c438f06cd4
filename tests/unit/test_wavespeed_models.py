"""WaveSpeed model data, validation and payload mapping (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blender_movie_director.backend.errors import ValidationError
from blender_movie_director.backend.wavespeed.models import (
    EXTRAS_FILE,
    SPECS_FILE,
    all_models,
    resolve_model,
    short_names,
)
from blender_movie_director.backend.wavespeed.validation import check_payload_keys, prepare_request

MODELS = sorted(all_models())
#: The models WaveSpeed still serves (a retired one is refused before validation: test_wavespeed_catalog).
OFFERED = sorted(m for m, spec in all_models().items() if not spec.retired)


def test_every_spec_entry_has_extras_and_vice_versa():
    specs = json.loads(SPECS_FILE.read_text())["models"]
    extras = json.loads(EXTRAS_FILE.read_text())["models"]
    assert set(specs) == set(extras)
    for model_id in specs:
        assert extras[model_id]["short_name"]
        assert extras[model_id]["price_rule"]["per"] in ("second", "generation")
        for name in extras[model_id].get("unverified_fields", {}):
            assert name in specs[model_id]["fields"], (model_id, name)
        for rate in extras[model_id]["price_rule"]["rates"]:
            for field, value in rate["when"].items():
                spec_field = specs[model_id]["fields"][field]
                assert value in spec_field.get("enum", [True, False]), (model_id, field, value)


def test_the_issue_models_are_entries():
    names = short_names()
    for short in (
        "hunyuan-video-1.5",
        "ltx-2-pro",
        "ltx-2-fast",
        "ltx-2-retake",
        "wan-2.6",
        "kling-2.5-turbo",
        "seedance-1.5-pro",
        "veo-3.1-fast",
    ):
        assert short in names, short
    assert set(names["hunyuan-video-1.5"]) == {"text-to-video", "image-to-video"}
    assert names["ltx-2-retake"] == {"video-edit": "lightricks/ltx-2-retake"}


@pytest.mark.parametrize(
    ("name", "task", "expected"),
    [
        ("hunyuan-video-1.5", None, "wavespeed-ai/hunyuan-video-1.5/text-to-video"),
        ("hunyuan-video-1.5", "image-to-video", "wavespeed-ai/hunyuan-video-1.5/image-to-video"),
        ("HunYuan-Video-1.5", None, "wavespeed-ai/hunyuan-video-1.5/text-to-video"),
        ("ltx-2-pro", None, "lightricks/ltx-2-pro/text-to-video"),
        ("ltx-2-fast", "image-to-video", "lightricks/ltx-2-fast/image-to-video"),
        ("ltx-2-retake", None, "lightricks/ltx-2-retake"),
        ("lightricks/ltx-2-pro/text-to-video", None, "lightricks/ltx-2-pro/text-to-video"),
        ("/api/v3/lightricks/ltx-2-retake", None, "lightricks/ltx-2-retake"),
        ("lightricks/ltx-2-pro/text-to-video", "image-to-video", "lightricks/ltx-2-pro/image-to-video"),
        ("veo-3.1-fast", None, "google/veo3.1-fast/text-to-video"),
        ("ltx-2-pro", "i2v", "lightricks/ltx-2-pro/image-to-video"),
        ("hunyuan-video-1.5", "t2v", "wavespeed-ai/hunyuan-video-1.5/text-to-video"),
        ("ltx-2-retake", "retake", "lightricks/ltx-2-retake"),
    ],
)
def test_resolve_model(name, task, expected):
    assert resolve_model(name, task=task).model_id == expected


def test_unknown_model_lists_known_names():
    with pytest.raises(ValidationError) as err:
        resolve_model("sora-9")
    assert "hunyuan-video-1.5" in str(err.value)
    assert "ltx-2-pro" in err.value.allowed
    with pytest.raises(ValidationError, match="image-to-video"):
        resolve_model("ltx-2-retake", task="image-to-video")


def test_seed_example_maps_resolution_to_size():
    spec = resolve_model("hunyuan-video-1.5")
    req = prepare_request(spec, {"prompt": "a fox", "duration": 5, "resolution": "720p"})
    assert req.payload == {"prompt": "a fox", "size": "1280*720", "duration": 5}


@pytest.mark.parametrize(
    ("resolution", "aspect", "size"),
    [
        ("480p", None, "832*480"),
        ("480p", "9:16", "480*832"),
        ("720p", "9:16", "720*1280"),
        ("720p", "16:9", "1280*720"),
        ("720P", "portrait", "720*1280"),
    ],
)
def test_hunyuan_sizes(resolution, aspect, size):
    spec = resolve_model("hunyuan-video-1.5")
    req = prepare_request(spec, {"prompt": "x", "resolution": resolution, "aspect_ratio": aspect})
    assert req.payload["size"] == size
    assert set(req.payload) == {"prompt", "size"}


def test_wan26_resolution_maps_to_its_own_sizes():
    spec = resolve_model("wan-2.6")
    assert prepare_request(spec, {"prompt": "x", "resolution": "1080p"}).payload["size"] == "1920*1080"
    with pytest.raises(ValidationError) as err:
        prepare_request(spec, {"prompt": "x", "resolution": "480p"})
    assert err.value.allowed == ("720p", "1080p")


@pytest.mark.parametrize(
    ("params", "field", "allowed_part"),
    [
        ({"duration": 10}, "duration", "5, 8"),  # the docs prose says 10; the schema does not
        ({"duration": 5.5}, "duration", None),  # never rounded
        ({"duration": "5"}, "duration", None),
        ({"duration": True}, "duration", None),
        ({"resolution": "1080p"}, "resolution", "480p, 720p"),
        ({"aspect_ratio": "1:1", "resolution": "720p"}, "aspect_ratio", "16:9"),
        ({"size": "1920*1080"}, "size", "832*480"),
        ({"seed": -2}, "seed", None),
        ({"seed": 2**31}, "seed", None),
        ({"generate_audio": True}, "generate_audio", "prompt"),  # not a Hunyuan field
        ({"enable_sync_mode": True}, "enable_sync_mode", None),
        ({"size": "1280*720", "resolution": "720p"}, "size", None),
    ],
)
def test_hunyuan_rejects_with_allowed_values(params, field, allowed_part):
    spec = resolve_model("hunyuan-video-1.5")
    with pytest.raises(ValidationError) as err:
        prepare_request(spec, {"prompt": "x", **params})
    assert err.value.field == field
    if allowed_part:
        assert allowed_part in str(err.value)


def test_integral_float_duration_is_not_rounding():
    spec = resolve_model("hunyuan-video-1.5")
    assert prepare_request(spec, {"prompt": "x", "duration": 8.0}).payload["duration"] == 8


def test_ltx2_takes_only_prompt_duration_audio():
    spec = resolve_model("ltx-2-pro")
    req = prepare_request(
        spec, {"prompt": "x", "duration": 8, "generate_audio": False, "resolution": "1080p"}
    )
    assert req.payload == {"prompt": "x", "duration": 8, "generate_audio": False}
    for bad in (
        {"resolution": "720p"},
        {"seed": 1},
        {"negative_prompt": "y"},
        {"duration": 12},
        {"aspect_ratio": "16:9"},
    ):
        with pytest.raises(ValidationError):
            prepare_request(spec, {"prompt": "x", **bad})
    fast = resolve_model("ltx-2-fast")
    assert prepare_request(fast, {"prompt": "x", "duration": 20}).payload["duration"] == 20
    with pytest.raises(ValidationError, match="6, 8, 10, 12, 14, 16, 18, 20"):
        prepare_request(fast, {"prompt": "x", "duration": 7})


def test_retake_window_is_prompt_text_not_fields():
    from blender_movie_director.backend.wavespeed.services import LTX2RetakeService

    service = LTX2RetakeService(api_key="k", base_url="http://127.0.0.1:9")
    params = service.to_params("make it night", {"start_time": 2, "end_time": 8, "video": "https://x/v.mp4"})
    req = prepare_request(service.spec_for(params), params)
    assert req.payload == {"prompt": "From 2s to 8s, make it night", "video": "https://x/v.mp4"}
    with pytest.raises(ValidationError):
        service.to_params("x", {"start_time": 8, "end_time": 2})
    with pytest.raises(ValidationError):
        service.to_params("x", {"start_time": 2})
    with pytest.raises(ValidationError, match="replace_audio_and_video"):
        prepare_request(service.spec, {"prompt": "x", "video": "https://x/v.mp4", "mode": "replace_all"})
    with pytest.raises(ValidationError, match="does not take start_time"):
        prepare_request(service.spec, {"prompt": "x", "video": "https://x/v.mp4", "start_time": 2})


def test_required_and_prompt_limits():
    kling = resolve_model("kling-2.5-turbo")
    with pytest.raises(ValidationError, match="needs prompt"):
        prepare_request(kling, {"duration": 5})
    with pytest.raises(ValidationError, match="needs a prompt"):
        prepare_request(kling, {"prompt": "   "})
    prepare_request(kling, {"prompt": "a" * 2500})
    with pytest.raises(ValidationError, match="2500"):
        prepare_request(kling, {"prompt": "a" * 2501})
    with pytest.raises(ValidationError, match="guidance_scale"):
        prepare_request(kling, {"prompt": "x", "guidance_scale": 1.5})


def test_check_payload_keys_is_the_last_guard():
    spec = resolve_model("lightricks/ltx-2-retake")
    check_payload_keys(spec, {"prompt": "x", "video": "https://v"})
    with pytest.raises(ValidationError, match="start_time"):
        check_payload_keys(spec, {"prompt": "x", "video": "https://v", "start_time": 2})
    with pytest.raises(ValidationError, match="not uploaded"):
        check_payload_keys(spec, {"prompt": "x", "video": Path("/tmp/v.mp4")})


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 30),
    st.floats(-2, 30, allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["720p", "480p", "1080p", "16:9", "9:16", "1280*720", "832*480", "replace_audio"]),
)
_NAMES = st.sampled_from(
    sorted(
        {n for spec in all_models().values() for n in spec.fields}
        | {
            "resolution",
            "aspect_ratio",
            "start_time",
            "end_time",
            "fps",
            "enable_sync_mode",
            "num_inference_steps",
            "loras",
            "model",
        }
    )
)


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(OFFERED), params=st.dictionaries(_NAMES, _VALUES, max_size=6))
def test_no_key_outside_the_schema_ever_leaves_validation(model, params):
    """Whatever a caller passes, a payload either contains schema keys only or is refused."""
    spec = all_models()[model]
    params = {k: v for k, v in params.items() if k not in ("image", "video", "audio", "last_image")}
    params.setdefault("prompt", "a prompt")
    try:
        req = prepare_request(spec, params)
    except ValidationError as exc:
        assert exc.field, exc
        return
    assert set(req.payload) <= set(spec.fields)
    check_payload_keys(spec, req.payload)
    for name, value in req.payload.items():
        f = spec.fields[name]
        if f.enum is not None:
            assert value in f.enum
        if f.minimum is not None:
            assert value >= f.minimum
        if f.maximum is not None:
            assert value <= f.maximum


def test_model_data_needs_no_network_library():
    """Validation and estimates must be importable where httpx is not loaded (UI code, register time)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import blender_movie_director.backend.generate\n"
        "from blender_movie_director.backend.wavespeed import estimate_cost, resolve_model, prepare_request\n"
        "estimate_cost('ltx-2-pro', prompt='x')\n"
        "assert 'httpx' not in sys.modules, 'httpx imported'\n"
        "assert 'bpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
