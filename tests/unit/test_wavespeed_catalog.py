"""The 2026 WaveSpeed catalog (issue 18), without network: every new model's fields under Hypothesis, the
request roles mapped to each model's own fields, retired models refused, the picker's groups and prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blender_movie_director.backend.errors import ModelUnavailableError, ValidationError
from blender_movie_director.backend.jobs.cost import request_price
from blender_movie_director.backend.jobs.request import Backend, GenerationRequest
from blender_movie_director.backend.jobs.runners import WaveSpeedRunner
from blender_movie_director.backend.wavespeed.models import FieldSpec, ModelSpec, all_models, max_references
from blender_movie_director.backend.wavespeed.pricing import estimate_cost, per_second_range, per_second_text
from blender_movie_director.backend.wavespeed.roles import resolve_for_roles, role_params
from blender_movie_director.backend.wavespeed.validation import check_payload_keys, prepare_request
from blender_movie_director.scene import catalogs

#: The models issue 18 added (the research of 2026-11 had the first 13).
NEW = (
    "kwaivgi/kling-v4.0/text-to-video",
    "kwaivgi/kling-v4.0/image-to-video",
    "kwaivgi/kling-v4.0/reference-to-video",
    "kwaivgi/kling-v4.0/video-edit",
    "kwaivgi/kling-v4.0/video-extend",
    "kwaivgi/kling-v3.0-4k/text-to-video",
    "kwaivgi/kling-v3.0-4k/image-to-video",
    "bytedance/seedance-2.5/text-to-video-turbo",
    "bytedance/seedance-2.5/image-to-video",
    "alibaba/wan-3.0/text-to-video",
    "wavespeed-ai/ltx-2.3/text-to-video",
    "google/veo3.1-fast/image-to-video",
    "google/veo3.1-fast/video-extend",
)
RETIRED = ("openai/sora-2/text-to-video", "openai/sora-2/image-to-video")
URL = "https://e.invalid/in.png"


def test_new_models_are_entries_with_their_pages():
    models = all_models()
    for model_id in NEW + RETIRED:
        spec = models[model_id]
        sources = spec.extra.get("sources") or []
        assert sources == [] or all(isinstance(s, str) for s in sources)
    import json

    from blender_movie_director.backend.wavespeed.models import SPECS_FILE

    raw = json.loads(SPECS_FILE.read_text())["models"]
    for model_id in NEW + RETIRED:
        pages = [s for s in raw[model_id]["sources"] if s.startswith("https://")]
        assert pages and all("wavespeed.ai/" in p for p in pages), model_id  # WaveSpeed's own pages


def _valid(f: FieldSpec) -> st.SearchStrategy[Any]:
    if f.is_list:
        return st.lists(st.just(URL), max_size=f.max_items or 3)
    if f.media_kind:
        return st.just(URL)
    if f.enum is not None:
        return st.sampled_from(f.enum)
    if f.type == "boolean":
        return st.booleans()
    if f.type == "integer":
        return st.integers(int(f.minimum if f.minimum is not None else -5), int(f.maximum or 100))
    if f.type == "number":
        return st.floats(float(f.minimum or 0), float(f.maximum or 1), allow_nan=False)
    return st.text(st.characters(codec="utf-8", categories=["L", "N"]), min_size=1, max_size=40)


def _invalid(f: FieldSpec) -> st.SearchStrategy[Any] | None:
    """A value outside the field's table (None when the field has no table to step out of)."""
    if f.is_list and f.max_items:
        return st.lists(st.just(URL), min_size=f.max_items + 1, max_size=f.max_items + 3)
    if f.enum is not None:
        return st.sampled_from(["8k", "2:1", 7, 99, "other"]).filter(lambda v: v not in f.enum)
    if f.type in ("integer", "number") and f.maximum is not None:
        return st.integers(int(f.maximum) + 1, int(f.maximum) + 50)
    if f.type == "boolean":
        return st.sampled_from(["yes", 1, 0])
    return None


@st.composite
def _params(draw: st.DrawFn, spec: ModelSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, f in spec.fields.items():
        if f.required or draw(st.booleans()):
            out[name] = draw(_valid(f))
    return out


@pytest.mark.parametrize("model_id", NEW)
def test_every_new_field_in_its_table_passes_and_only_schema_keys_leave(model_id):
    spec = all_models()[model_id]

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(params=_params(spec))
    def check(params: dict[str, Any]) -> None:
        prepared = prepare_request(spec, params)
        assert set(prepared.payload) <= set(spec.fields)
        check_payload_keys(spec, prepared.payload)
        for name, value in prepared.payload.items():
            f = spec.fields[name]
            if f.is_list:
                assert len(value) <= (f.max_items or len(value))
            elif f.enum is not None:
                assert value in f.enum
            elif f.minimum is not None and not isinstance(value, bool):
                assert f.minimum <= value <= (f.maximum if f.maximum is not None else value)

    check()


@pytest.mark.parametrize("model_id", NEW)
def test_a_value_outside_the_table_names_the_field_before_anything_is_sent(model_id):
    spec = all_models()[model_id]
    steppable = {n: s for n, f in spec.fields.items() if (s := _invalid(f)) is not None}
    assert steppable, model_id

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(steppable)))
        params = {n: data.draw(_valid(f)) for n, f in spec.fields.items() if f.required}
        params[name] = data.draw(steppable[name])
        with pytest.raises(ValidationError) as err:
            prepare_request(spec, params)
        assert err.value.field == name
        assert name.replace("_", " ") in err.value.user_message or name in err.value.user_message

    check()


@pytest.mark.parametrize("model_id", RETIRED)
def test_retired_model_is_refused_naming_the_nearest_current_one(model_id):
    spec = all_models()[model_id]
    with pytest.raises(ModelUnavailableError) as err:
        prepare_request(spec, {"prompt": "a kite", "image": URL})
    instead = all_models()[spec.replacement]
    assert instead.model_id in err.value.user_message and not instead.retired
    assert "2026-09-24" in err.value.user_message
    price = request_price(GenerationRequest(Backend.WAVESPEED, model_id, "a kite", "/tmp/out"))
    assert price.usd is None and "no longer offered" in price.why
    assert model_id not in {row[0] for row in catalogs.wavespeed_models()}
    assert catalogs.model_label("WAVESPEED", model_id).endswith("(retired)")


def test_max_references_per_model():
    assert max_references("kwaivgi/kling-v4.0/reference-to-video") == 10
    assert max_references("kling-4.0") == 10  # the family answers for its reference member
    # Without a start picture the job runs the family's reference member (as resolve_for_roles picks it).
    assert max_references("kwaivgi/kling-v4.0/image-to-video") == 10
    runs = resolve_for_roles("kwaivgi/kling-v4.0/image-to-video", {"image_refs": "/a.png"})
    assert runs.max_references == 10
    assert max_references("kwaivgi/kling-v4.0/image-to-video", with_start_image=True) == 0
    assert max_references("google/veo3.1-fast/image-to-video") == 0
    assert max_references("bytedance/seedance-2.5/text-to-video-turbo") == 9
    assert max_references("hunyuan-video-1.5") == 0
    with pytest.raises(ValidationError):
        max_references("no-such-model")


@pytest.mark.parametrize(
    ("model", "inputs", "expected"),
    [
        (
            "kwaivgi/kling-v4.0/image-to-video",
            {"image_start": "/a.png", "image_end": "/z.png"},
            {"image": "/a.png", "last_image": "/z.png"},
        ),
        (
            "kwaivgi/kling-v3.0-4k/image-to-video",
            {"image_start": "/a.png", "image_end": "/z.png"},
            {"image": "/a.png", "end_image": "/z.png"},
        ),
        (
            "kwaivgi/kling-v4.0/reference-to-video",
            {"image_refs": "/a.png\n/b.png"},
            {"images": ["/a.png", "/b.png"]},
        ),
        (
            "bytedance/seedance-2.5/text-to-video-turbo",
            {"image_refs": "/a.png\n\n/b.png\n"},
            {"reference_images": ["/a.png", "/b.png"]},
        ),
        ("lightricks/ltx-2-retake", {"video_guide": "/v.mp4"}, {"video": "/v.mp4"}),
    ],
)
def test_request_roles_go_to_each_models_own_fields(model, inputs, expected):
    spec = all_models()[model]
    assert role_params(spec, inputs) == expected
    request = GenerationRequest(Backend.WAVESPEED, model, "a kite", "/tmp/out", inputs=inputs)
    params = WaveSpeedRunner.params_for(request, spec)
    assert {k: params[k] for k in expected} == expected and params["prompt"] == "a kite"


def test_roles_pick_the_family_member_that_takes_them():
    assert resolve_for_roles("kling-4.0", {"image_refs": "/a.png"}).task == "reference-to-video"
    assert resolve_for_roles("kling-4.0", {"image_start": "/a.png"}).task == "image-to-video"
    assert resolve_for_roles("kwaivgi/kling-v4.0/text-to-video", {}).task == "text-to-video"
    # Seedance 2.5 Turbo takes references itself: no other member is needed.
    spec = resolve_for_roles("bytedance/seedance-2.5/text-to-video-turbo", {"image_refs": "/a.png"})
    assert spec.model_id == "bytedance/seedance-2.5/text-to-video-turbo"


def test_a_role_the_model_cannot_take_or_too_many_references_is_refused_with_the_limit():
    with pytest.raises(ValidationError) as err:
        role_params(all_models()["alibaba/wan-3.0/text-to-video"], {"image_refs": "/a.png"})
    assert err.value.field == "image_refs" and "Kling 4.0 (references)" in err.value.user_message
    with pytest.raises(ValidationError) as err:
        role_params(all_models()["google/veo3.1-fast/image-to-video"], {"image_end": "/z.png"})
    assert err.value.field == "image_end" and "last frame" in err.value.user_message
    eleven = "\n".join(f"/r{i}.png" for i in range(11))
    with pytest.raises(ValidationError) as err:
        role_params(all_models()["kwaivgi/kling-v4.0/reference-to-video"], {"image_refs": eleven})
    assert (
        err.value.field == "image_refs"
        and "at most 10" in err.value.user_message
        and "11" in err.value.user_message
    )
    request = GenerationRequest(
        Backend.WAVESPEED, "kling-4.0", "x", "/tmp/out", inputs={"image_refs": eleven}
    )
    price = request_price(request)
    assert price.usd is None and "at most 10" in price.why  # the budget check says why, before any submit


def test_local_pictures_are_checked_against_the_models_table(tmp_path: Path):
    spec = all_models()["kwaivgi/kling-v4.0/image-to-video"]
    webp = tmp_path / "first.webp"
    webp.write_bytes(b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64)
    with pytest.raises(ValidationError) as err:
        prepare_request(spec, {"image": webp})
    assert err.value.field == "image" and "JPEG, PNG" in err.value.user_message
    big = tmp_path / "huge.png"
    with big.open("wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + b"\x00" * 56)
        f.truncate(21_000_000)  # sparse: nothing is written
    with pytest.raises(ValidationError) as err:
        prepare_request(spec, {"image": URL, "keyframes": [URL, big]})
    assert err.value.field == "keyframes" and "20 MB" in err.value.user_message
    ok = tmp_path / "ok.png"
    ok.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 56)
    prepared = prepare_request(spec, {"image": ok, "keyframes": [URL, ok]})
    assert set(prepared.uploads) == {"image", "keyframes[1]"} and prepared.payload["keyframes"][0] == URL


def test_prices_per_second_from_the_price_list():
    models = all_models()
    assert per_second_range(models["kwaivgi/kling-v4.0/image-to-video"]) == (0.157, 0.235)
    assert per_second_range(models["google/veo3.1-fast/video-extend"]) == pytest.approx((0.15, 0.15))
    assert per_second_text(models["alibaba/wan-3.0/text-to-video"]) == "price unknown"
    assert estimate_cost("veo-3.1-fast", prompt="x", duration=4).usd == pytest.approx(0.60)
    assert estimate_cost("veo-3.1-fast", prompt="x", generate_audio=False).usd == pytest.approx(0.80)
    assert estimate_cost("kwaivgi/kling-v4.0/image-to-video", prompt="x", image=URL, duration=10).usd == (
        pytest.approx(1.57)
    )
    assert estimate_cost("kwaivgi/kling-v4.0/text-to-video", prompt="x", resolution="4k").usd is None


def test_picker_groups_models_by_what_they_take_with_price_per_second():
    rows = catalogs.wavespeed_models()
    groups = [label.split(":", 1)[0] for _id, label, _desc in rows]
    order = [label for _key, label in catalogs.WAVESPEED_GROUPS]
    assert groups == sorted(groups, key=order.index)  # grouped, in picker order
    assert set(groups) == set(order)  # every group has a model
    by_id = {model_id: (label, desc) for model_id, label, desc in rows}
    assert by_id["kwaivgi/kling-v4.0/image-to-video"][0] == (
        "Start image + last frame: Kling 4.0 (image to video) · $0.157-0.235/s"
    )
    assert by_id["kwaivgi/kling-v4.0/reference-to-video"][0].startswith("References: ")
    assert "references (up to 10)" in by_id["kwaivgi/kling-v4.0/reference-to-video"][1]
    assert by_id["google/veo3.1-fast/video-extend"][0] == "Extend: Veo 3.1 Fast (extend) · $0.150/s"
    assert by_id["lightricks/ltx-2-retake"][0].startswith("Video to edit: ")
    assert "sound out" in by_id["wavespeed-ai/ltx-2.3/text-to-video"][1]
    assert "sound out" not in by_id["wavespeed-ai/hunyuan-video-1.5/text-to-video"][1]
    assert "extend" in by_id["google/veo3.1-fast/text-to-video"][1].split(", ")
    for model_id, (label, _desc) in by_id.items():
        assert label.endswith(per_second_text(all_models()[model_id])), model_id
    assert len(rows) == len([s for s in all_models().values() if not s.retired])
