"""The stand-in's pure parts, without a server: schema checks, prices, sizes, retake windows, the clock."""

from __future__ import annotations

import time

import pytest

from scripts.standins.wavespeed import pricing
from scripts.standins.wavespeed.cli import build_parser, config_from
from scripts.standins.wavespeed.config import Config
from scripts.standins.wavespeed.faults import FaultBook, parse_rule
from scripts.standins.wavespeed.render import documented_size, edit_window, has_audio, small_size
from scripts.standins.wavespeed.specs import load_specs
from scripts.standins.wavespeed.tasks import TaskStore, iso_now

SPECS = load_specs()


def test_validation_drops_unknown_keys_and_codes_problems() -> None:
    spec = SPECS["wavespeed-ai/hunyuan-video-1.5/text-to-video"]
    check = spec.validate({"prompt": "x", "enable_sync_mode": True, "resolution": "720p", "duration": 8})
    assert check.inputs == {"prompt": "x", "duration": 8}
    assert check.dropped == ["resolution"]
    assert check.problems == []
    check = spec.validate({"duration": True, "seed": 2**31})
    assert [(p.code, p.message) for p in check.problems] == [
        (1400, "prompt is required"),
        (1401, "duration must be of type integer"),
        (1401, "seed must be between -1 and 2147483647"),
    ]
    assert spec.validate({"prompt": ""}).problems[0].code == 1400


def test_number_ranges_and_booleans() -> None:
    kling = SPECS["kwaivgi/kling-v2.5-turbo-pro/text-to-video"]
    assert kling.validate({"prompt": "x", "guidance_scale": 0.7}).problems == []
    assert (
        kling.validate({"prompt": "x", "guidance_scale": 1.5})
        .problems[0]
        .message.startswith("guidance_scale")
    )
    ltx = SPECS["lightricks/ltx-2-pro/text-to-video"]
    assert ltx.validate({"prompt": "x", "generate_audio": 1}).problems[0].code == 1401


@pytest.mark.parametrize(
    ("prompt", "window"),
    [
        ("From 2s to 8s, make it night", (2.0, 8.0)),
        ("from 1.5 s to 3 s: rain", (1.5, 3.0)),
        ("between 3s\u20137s, make it nighttime", (3.0, 7.0)),
        ("between 3 and 6 seconds the car turns red", (3.0, 6.0)),
        ("2s-4s slow motion", (2.0, 4.0)),
        ("no window here", (0.0, 10.0)),
        ("From 8s to 2s, backwards", (0.0, 10.0)),
        ("From 4s to 30s, past the end", (4.0, 10.0)),
    ],
)
def test_retake_window_from_the_prompt(prompt: str, window: tuple[float, float]) -> None:
    assert edit_window(prompt, 10.0) == window


def test_documented_and_small_sizes() -> None:
    ltx = SPECS["lightricks/ltx-2-fast/text-to-video"]
    assert documented_size(ltx, {"duration": 6}, None) == (1920, 1080)
    hunyuan = SPECS["wavespeed-ai/hunyuan-video-1.5/text-to-video"]
    assert documented_size(hunyuan, {"size": "480*832"}, None) == (480, 832)
    i2v = SPECS["wavespeed-ai/hunyuan-video-1.5/image-to-video"]
    assert documented_size(i2v, {"resolution": "720p"}, (600, 900)) == (720, 1088)
    seedance = SPECS["bytedance/seedance-v1.5-pro/text-to-video"]
    assert documented_size(seedance, {"resolution": "480p", "aspect_ratio": "9:16"}, None) == (480, 848)
    assert small_size((1920, 1080), 192) == (192, 108)
    assert small_size((480, 832), 192) == (110, 192)
    assert all(v % 2 == 0 for v in small_size((832, 480), 100))


def test_audio_per_model() -> None:
    assert has_audio(SPECS["lightricks/ltx-2-pro/text-to-video"], {"generate_audio": True})
    assert not has_audio(SPECS["lightricks/ltx-2-pro/text-to-video"], {"generate_audio": False})
    assert not has_audio(SPECS["wavespeed-ai/hunyuan-video-1.5/text-to-video"], {})
    assert not has_audio(SPECS["kwaivgi/kling-v2.5-turbo-pro/text-to-video"], {})
    assert has_audio(SPECS["wavespeed-ai/ltx-2-19b/text-to-video"], {})


def test_prices_for_every_model() -> None:
    for model_id, spec in SPECS.items():
        rule = pricing.rule_for(model_id)
        # Hand-written for the first models; the 2026 ones are priced from the shared rate tables.
        assert (
            rule is pricing.RULES.get(model_id)
            or "model_extras.json" in rule.formula
            or (rule is pricing._FALLBACK)
        ), model_id
        full = spec.with_defaults({"prompt": "x"})
        assert pricing.quote(model_id, full, 5.0) >= rule.base_price - 1e-9, model_id
        assert pricing.quote(model_id, {}, None) == rule.base_price
    wan = "alibaba/wan-2.6/text-to-video"
    assert pricing.quote(wan, {"size": "1920*1080"}, 10) == 1.5
    assert pricing.quote(wan, {"size": "1280*720"}, 15) == 1.5
    veo = "google/veo3.1-fast/text-to-video"
    assert pricing.quote(veo, {"generate_audio": False}, 8) == 0.8


def test_concurrency_schedule_waits_for_a_free_slot() -> None:
    store = TaskStore()
    plans = [store.schedule(0.0, 1.0, 2) for _ in range(4)]
    starts = [p[1] - plans[0][0] for p in plans]
    assert starts[0] == pytest.approx(0, abs=0.01) and starts[1] == pytest.approx(0, abs=0.01)
    assert starts[2] == pytest.approx(1, abs=0.01) and starts[3] == pytest.approx(1, abs=0.01)
    unlimited = TaskStore().schedule(0.5, 1.0, 0)
    assert unlimited[1] - unlimited[0] == pytest.approx(0.5)


def test_fault_rules_fire_count_times_after_skipping() -> None:
    book = FaultBook()
    book.add([parse_rule({"route": "poll", "status": 503, "count": 2, "after": 1}, str)])
    fired = [book.take("poll", None, None) is not None for _ in range(5)]
    assert fired == [False, True, True, False, False]
    with pytest.raises(ValueError, match="action"):
        parse_rule({"route": "poll", "action": "explode"}, str)
    with pytest.raises(ValueError, match="route"):
        parse_rule({"route": "everything", "status": 500}, str)
    with pytest.raises(ValueError, match="unknown fault fields"):
        parse_rule({"route": "poll", "status": 500, "colour": "red"}, str)


def test_config_updates_are_checked_and_atomic() -> None:
    config = Config()
    config.update({"task_seconds": 1, "output_ttl": None, "retired_models": ["a/b"]})
    assert config.task_seconds == 1.0 and config.retired_models == ["a/b"]
    with pytest.raises(ValueError):
        config.update({"task_seconds": 0.5, "invalid_values": "never"})
    assert config.task_seconds == 1.0  # nothing applied
    with pytest.raises(ValueError):
        config.update({"max_concurrency": "2"})
    assert "ws-standin-key" not in str(config.to_json())


def test_rate_window_knob_from_the_command_line_and_checked() -> None:
    assert Config().rate_limit_window_seconds == 60.0  # the real service counts per minute
    args = build_parser().parse_args(["--rate-limit-per-minute", "2", "--rate-limit-window-seconds", "1.5"])
    config = config_from(args)
    assert (config.rate_limit_per_minute, config.rate_limit_window_seconds) == (2, 1.5)
    with pytest.raises(ValueError, match="rate_limit_window_seconds"):
        config.update({"rate_limit_window_seconds": 0})
    assert config.rate_limit_window_seconds == 1.5


def test_created_at_format() -> None:
    stamp = iso_now()
    assert stamp.endswith("Z") and len(stamp) == len("2026-01-01T00:00:00.000Z")
    assert time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
