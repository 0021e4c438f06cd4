"""The model catalog (catalog.py) against WanGP 12.60's own defaults, and the settings schema's validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blender_movie_director.backend.errors import ValidationError
from blender_movie_director.backend.wan2gp import catalog
from blender_movie_director.backend.wan2gp.catalog import CONTROL_MODES, Category, Task
from blender_movie_director.backend.wan2gp.schemas import GenerationSettings, validate_settings
from blender_movie_director.backend.wan2gp.templates import PROMPT_TEMPLATES, apply_template

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = ROOT / "scripts" / "standins" / "wan2gp" / "data" / "model_defaults.json"


@pytest.fixture(scope="module")
def wangp_defaults() -> dict:
    return json.loads(DEFAULTS.read_text())


def test_catalog_has_every_wangp_model(wangp_defaults):
    assert set(catalog.all_models()) == set(wangp_defaults["models"])
    assert len(catalog.all_models()) == 217


def test_catalog_defaults_match_wangp_files(wangp_defaults):
    for model_id, info in catalog.all_models().items():
        raw = wangp_defaults["models"][model_id]
        settings = raw.get("settings", {})
        assert info.architecture == raw["architecture"], model_id
        assert info.default_steps == int(settings.get("num_inference_steps", 30)), model_id
        if info.is_video:
            assert info.default_frames == int(settings.get("video_length", 81)), model_id
            if "resolution" in settings:
                assert info.default_resolution == settings["resolution"], model_id


@pytest.mark.parametrize(
    ("model", "fps", "rule"),
    [
        ("t2v_1.3B", 16, "4n+1 (at least 5)"),
        ("vace_14B", 16, "4n+1 (at least 17)"),
        ("ltxv_distilled", 30, "8n+1 (at least 17)"),
        ("ltx2_22B_distilled", 24, "8n+1 (at least 17)"),
        ("ti2v_2_2", 24, "4n+1 (at least 5)"),
        ("fantasy", 23, "4n+1 (at least 5)"),
        ("multitalk", 25, "4n+1 (at least 5)"),
        ("animate", 30, "4n+1 (at least 5)"),
        ("hunyuan", 24, "4n+1 (at least 5)"),
    ],
)
def test_family_fps_and_frame_rules(model, fps, rule):
    info = catalog.get_model(model)
    assert info.fps == fps
    assert info.frame_rule == rule
    assert info.valid_frames(info.default_frames) == info.default_frames


def test_valid_frames_rounds_up():
    wan = catalog.get_model("t2v_1.3B")
    assert [wan.valid_frames(n) for n in (1, 5, 6, 80, 81, 82)] == [5, 5, 9, 81, 81, 85]
    ltx = catalog.get_model("ltxv_distilled")
    assert [ltx.valid_frames(n) for n in (16, 17, 18, 60)] == [17, 17, 25, 65]
    assert ltx.frames_for_seconds(2.0) == 65
    assert catalog.get_model("t2v_2_2").frames_for_seconds(8.0) == 129


def test_tasks_and_categories():
    assert catalog.get_model("t2v_1.3B").task == Task.T2V
    assert catalog.get_model("i2v").task == Task.I2V
    assert catalog.get_model("vace_14B").task == Task.VACE
    assert catalog.get_model("multitalk").task == Task.AVATAR
    assert catalog.get_model("lucy_edit").task == Task.EDIT
    assert catalog.get_model("flux").task == Task.IMAGE and not catalog.get_model("flux").is_video
    assert catalog.get_model("ltxv_distilled").category == Category.FAST
    assert catalog.get_model("t2v_2_2").category == Category.HIGH_QUALITY
    assert catalog.get_model("vace_1.3B").category == Category.CONTROL
    fast = set(catalog.models_in_category("fast", task="t2v"))
    assert fast >= {"t2v_sf", "t2v_fusionix", "hunyuan_t2v_fast"}
    for model in (catalog.QUICK_MODEL, catalog.HIGH_QUALITY_MODEL, catalog.DEFAULT_VACE_MODEL):
        assert catalog.get_model(model).is_video


def test_recommend_models_by_vram():
    small = catalog.recommend_models(6)
    assert small and all(catalog.get_model(m).min_vram_gb <= 6 for m in small)
    assert "t2v_1.3B" in catalog.recommend_models(6, limit=20)
    big = catalog.recommend_models(24)
    assert catalog.get_model(big[0]).category == Category.HIGH_QUALITY
    assert all(catalog.get_model(m).task == Task.VACE for m in catalog.recommend_models(12, task="vace"))
    assert catalog.recommend_models(1)  # below every model: the smallest ones anyway


def test_unknown_model_messages():
    assert "ltxv_distilled" in catalog.unknown_model_message("ltxv_13B_distilled")
    assert "LoRA" in catalog.unknown_model_message("causvid")
    assert "t2v_1.3B" in catalog.unknown_model_message("t2v_1.3b")


def test_templates():
    settings = apply_template("character_focus", "a detective lights a cigarette")
    assert "a detective lights a cigarette" in settings["prompt"]
    assert catalog.get_model(settings["model"]).is_video
    assert all(catalog.get_model(t.model).is_video for t in PROMPT_TEMPLATES.values())
    with pytest.raises(KeyError, match="establishing_shot"):
        apply_template("nope", "x")


# --- schema -------------------------------------------------------------------------------------------


def test_frame_count_rounded_up_and_said():
    s = validate_settings(model="t2v_1.3B", prompt="a cat", video_length=80)
    assert s.video_length == 81
    assert "rounded up to 81" in s.notes[0] and "4n+1" in s.notes[0]
    assert validate_settings(model="t2v_1.3B", prompt="a cat", video_length=81).notes == []


def test_duration_becomes_frames():
    s = validate_settings(model="ltxv_distilled", prompt="a cat", duration=2)
    assert s.video_length == 65 and s.duration is None
    assert s.resolved()["duration"] == pytest.approx(65 / 30, abs=1e-3)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("720p", "1280x720"), ("480p", "832x480"), ("832x480", "832x480"), ("160X96", "160x96")],
)
def test_resolution_names(given, expected):
    assert validate_settings(model="t2v", prompt="x", resolution=given).resolution == expected


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"model": "t2v_13B"}, "model", "Did you mean 't2v_1.3B'"),
        ({"model": "flux"}, "model", "image model"),
        ({"resolution": "720"}, "resolution", "832x480"),
        ({"resolution": "830x480"}, "resolution", "multiple of 16"),
        ({"resolution": "32x32"}, "resolution", "outside"),
        ({"prompt": "   "}, "prompt", "empty"),
        ({"steps": 4}, "steps", "num_inference_steps"),
        ({"seed": -7}, "seed", "greater than or equal to -1"),
        ({"video_length": 81, "duration": 5}, "duration", "not both"),
        ({"extra": {"flow_shfit": 3}}, "extra", "flow_shift"),
        ({"extra": {"prompt": "x"}}, "extra", "named setting"),
        ({"model": "i2v"}, "image_start", "set image_start"),
        ({"model": "vace_1.3B"}, "video_guide", "video_guide or image_refs"),
    ],
)
def test_bad_settings_have_clear_messages(bad, field, words):
    with pytest.raises(ValidationError) as info:
        validate_settings({"model": "t2v_1.3B", "prompt": "a cat", **bad})
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith("Invalid Wan2GP settings:")


def test_missing_and_wrong_input_files(tmp_path):
    with pytest.raises(ValidationError, match="input file not found") as info:
        validate_settings(model="i2v", prompt="x", image_start=tmp_path / "missing.png")
    assert info.value.field == "image_start"
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValidationError, match="not a supported file type"):
        validate_settings(model="i2v", prompt="x", image_start=text)


def test_task_dict_for_i2v_and_vace(tmp_path):
    image = tmp_path / "start.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n fake")  # a PNG by its signature; the server decodes the rest
    guide, mask = tmp_path / "guide.mp4", tmp_path / "mask.mp4"
    guide.write_bytes(b"x")
    mask.write_bytes(b"x")
    i2v = validate_settings(model="i2v", prompt="waves", image_start=image, seed=7).to_task()
    assert i2v["image_prompt_type"] == "S" and i2v["image_start"] == str(image) and i2v["seed"] == 7
    assert "video_length" not in i2v  # unset values fall back to the server's model defaults
    vace = validate_settings(
        model="vace_1.3B", prompt="robot", video_guide=guide, video_mask=mask, image_refs=[image],
        video_prompt_type=CONTROL_MODES["pose"] + "AI",
    ).to_task()  # fmt: skip
    assert vace["video_prompt_type"] == "PVAI"
    assert vace["image_refs"] == [str(image)] and vace["video_mask"] == str(mask)
    auto = validate_settings(model="vace_1.3B", prompt="robot", video_guide=guide, image_refs=[image])
    assert auto.to_task()["video_prompt_type"] == "VI"


def test_unknown_model_allowed_on_request():
    s = validate_settings(model="my_finetune", prompt="x", allow_unknown_model=True, video_length=33)
    assert s.to_task()["model_type"] == "my_finetune" and s.notes == []


def test_revalidate_with_overrides_keeps_values():
    base = validate_settings(model="t2v_1.3B", prompt="a cat", duration=3)
    again = validate_settings(base, seed=5)
    assert again.video_length == base.video_length and again.seed == 5
    assert isinstance(again, GenerationSettings)
