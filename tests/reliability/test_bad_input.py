"""Bad input, property-based (hypothesis): the settings schemas (Wan2GP) and the model specs (WaveSpeed) under
durations, resolutions, prompt lengths, unicode, empty and huge values, wrong types, unknown keys; missing,
unreadable and not-really-image input files. Each bad input gets a typed ValidationError naming its field,
before any request: checked with an audit hook on the socket module while the real clients run. What the
WaveSpeed validation lets through is checked against an independent oracle, the stand-in's own schema check
(what the service would refuse or silently drop). No network: no server runs in this module.
"""

from __future__ import annotations

import math
import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from blender_movie_director.backend.errors import ValidationError
from blender_movie_director.backend.wan2gp import catalog as wan_catalog
from blender_movie_director.backend.wan2gp.schemas import validate_settings
from blender_movie_director.backend.wavespeed.models import MEDIA_FIELDS, all_models
from blender_movie_director.backend.wavespeed.validation import prepare_request
from scripts.standins.wavespeed.specs import load_specs
from tests.reliability.netwatch import watch

BOUNDED = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: The models WaveSpeed offers (a retired one is refused whatever its values: see test_wavespeed_catalog).
MODELS = sorted(m for m, spec in all_models().items() if not spec.retired)
I2V = "wavespeed-ai/hunyuan-video-1.5/image-to-video"
ORACLE = load_specs()

WILD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "720p", "1080p", "480p", "16:9", "9:16", "1:1", "1280*720", "abc", "5", "-1"]),
    st.lists(st.integers(), max_size=3),
)
PROMPTS = st.one_of(
    st.text(min_size=0, max_size=300),
    st.sampled_from(
        ["", "   ", "\n\t", "🎬🌊 海の上の灯台", "مرحبا بالعالم", "a\u0000b", "e\u0301\u0301\u0301"]
    ),
    st.integers(min_value=4990, max_value=6000).map(lambda n: "x" * n),
    st.integers(min_value=19_990, max_value=25_000).map(lambda n: "é" * n),
)


def closed_url() -> str:
    """An address where nothing listens (bound, never listening), so any request would show as a connect."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def assert_clear(err: ValidationError, *names: str) -> None:
    message = str(err)
    assert message.strip(), "an empty message"
    assert err.kind.value == "validation"
    assert err.field, f"no field named in {message!r}"
    if names:
        assert err.field in names, (err.field, names, message)
    stem = err.field.split("_")[0].split(".")[0]
    assert stem.lower() in message.lower(), (err.field, message)


# --- WaveSpeed model specs ------------------------------------------------------------------------------
GOOD_PROMPTS = st.text(min_size=1, max_size=200).filter(lambda t: bool(t.strip()))
T2V_MODELS = [m for m in MODELS if all_models()[m].task == "text-to-video"]


def _good_value(f: Any) -> st.SearchStrategy[Any]:
    if f.enum is not None:
        return st.sampled_from(list(f.enum))
    if f.type == "boolean":
        return st.booleans()
    if f.type in ("integer", "number") and f.minimum is not None and f.maximum is not None:
        return st.integers(int(f.minimum), int(f.maximum))
    if f.type == "integer":
        return st.integers(-(2**31), 2**31)
    return st.text(max_size=30)


@st.composite
def wavespeed_params(draw: st.DrawFn, models: list[str] = MODELS) -> tuple[str, dict[str, Any]]:
    """Mostly plausible settings with wild values mixed in (one field in four), sometimes a stray key."""
    model_id = draw(st.sampled_from(models))
    spec = all_models()[model_id]
    params: dict[str, Any] = {}
    for name, f in spec.fields.items():
        if name in MEDIA_FIELDS or (name != "prompt" and not draw(st.booleans())):
            continue
        wild = draw(st.integers(0, 3)) == 0
        if name in ("prompt", "negative_prompt"):
            params[name] = draw(PROMPTS if wild else GOOD_PROMPTS)
        else:
            params[name] = draw(WILD if wild else _good_value(f))
    if draw(st.integers(0, 5)) == 0:
        stray = ["resolution", "aspect_ratio", "fps", "width", "steps", "enable_sync_mode"]
        params[draw(st.sampled_from(stray))] = draw(WILD)
    return model_id, params


@BOUNDED
@given(wavespeed_params(T2V_MODELS))
def test_wavespeed_validation_refuses_clearly_or_sends_what_the_service_accepts(
    case: tuple[str, dict[str, Any]],
) -> None:
    model_id, params = case
    spec = all_models()[model_id]
    try:
        prepared = prepare_request(spec, params)
    except ValidationError as err:
        assert_clear(err)
        event(f"refused: {err.field}")
        return
    event("accepted")
    payload = prepared.payload
    oracle = ORACLE[model_id].validate(payload)
    assert oracle.dropped == [], f"the service would silently drop {oracle.dropped}"
    problems = [p for p in oracle.problems if not p.message.startswith(tuple(MEDIA_FIELDS))]
    assert problems == [], f"the service would refuse {payload}: {problems}"
    for name in ("prompt", "negative_prompt"):
        if isinstance(payload.get(name), str):
            assert len(payload[name]) <= spec.prompt_max_chars


@FEW
@given(wavespeed_params())
def test_wavespeed_refusals_happen_before_any_request(case: tuple[str, dict[str, Any]]) -> None:
    from blender_movie_director.backend.wavespeed.provider import WaveSpeedProvider

    model_id, params = case
    try:
        prepare_request(all_models()[model_id], params)
    except ValidationError:
        pass
    else:
        assume(False)  # only bad input here: good input would (rightly) go on to the network
    provider = WaveSpeedProvider("ws-test-key-never-used", closed_url())
    with watch() as net, pytest.raises(ValidationError) as err:
        provider.generate_sync(model_id, params)
    assert net.silent, net
    assert_clear(err.value)


# --- Wan2GP settings schema ------------------------------------------------------------------------------
VIDEO_MODELS = sorted(m.id for m in wan_catalog.all_models().values() if m.is_video and m.task.value == "t2v")
RESOLUTIONS = st.one_of(
    st.sampled_from(["720p", "480p", "1080p", "832x480", "160x96", "100x100", "64x64", "4112x16"]),
    st.tuples(st.integers(-100, 5000), st.integers(-100, 5000)).map(lambda wh: f"{wh[0]}x{wh[1]}"),
    st.text(max_size=20),
)
FIELDS = {
    "prompt": PROMPTS,
    "resolution": st.one_of(st.none(), RESOLUTIONS),
    "duration": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10_000)),
    "video_length": st.one_of(st.none(), st.integers(-10, 5000)),
    "num_inference_steps": st.one_of(st.none(), st.integers(-5, 500)),
    "seed": st.one_of(st.integers(-(2**40), 2**40), st.just(-1)),
    "guidance_scale": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
}


GOOD_WAN2GP = {
    "prompt": GOOD_PROMPTS,
    "resolution": st.one_of(
        st.sampled_from(["720p", "480p", "540p"]),
        st.tuples(st.integers(4, 120), st.integers(4, 120)).map(lambda wh: f"{wh[0] * 16}x{wh[1] * 16}"),
    ),
    "duration": st.floats(min_value=0.1, max_value=20),
    "video_length": st.integers(1, 300),
    "num_inference_steps": st.integers(1, 60),
    "guidance_scale": st.floats(min_value=0, max_value=20),
}


@st.composite
def wan2gp_settings(draw: st.DrawFn) -> dict[str, Any]:
    wild_model = draw(st.integers(0, 5)) == 0
    model = st.text(max_size=20) if wild_model else st.sampled_from(VIDEO_MODELS)
    values: dict[str, Any] = {"model": draw(model)}
    for name, strategy in FIELDS.items():
        if name == "prompt" or draw(st.booleans()):
            wild = draw(st.integers(0, 3)) == 0
            values[name] = draw(strategy if wild else GOOD_WAN2GP.get(name, strategy))
    if draw(st.integers(0, 5)) == 0:
        values[draw(st.sampled_from(["steps", "frames", "width", "extra"]))] = draw(WILD)
    return {k: v for k, v in values.items() if v is not None}


@BOUNDED
@given(wan2gp_settings())
def test_wan2gp_schema_refuses_clearly_or_gives_a_task_wangp_can_run(values: dict[str, Any]) -> None:
    try:
        valid = validate_settings(values)
    except ValidationError as err:
        assert_clear(err)
        event(f"refused: {err.field}")
        return
    event("accepted")
    task = valid.to_task()
    assert task["prompt"].strip() and len(task["prompt"]) <= 20_000
    info = wan_catalog.get_model(task["model_type"])
    assert info is not None and info.is_video
    if "resolution" in task:
        width, height = (int(v) for v in re.fullmatch(r"(\d+)x(\d+)", task["resolution"]).groups())
        assert 64 <= width <= 4096 and 64 <= height <= 4096 and width % 16 == 0 and height % 16 == 0
    if "video_length" in task:
        assert info.valid_frames(task["video_length"]) == task["video_length"]
    if "guidance_scale" in task:
        assert math.isfinite(task["guidance_scale"])
    assert -1 <= task["seed"] <= 2**32 - 1


@FEW
@given(wan2gp_settings())
def test_wan2gp_refusals_happen_before_any_request(values: dict[str, Any]) -> None:
    from blender_movie_director.backend.wan2gp import Wan2GPClient

    try:
        validate_settings(values)
    except ValidationError:
        pass
    else:
        assume(False)
    client = Wan2GPClient(closed_url(), output_dir=Path(os.devnull).parent / "nonexistent-md-test")
    with watch() as net:
        result = client.generate(values)
    client.close()
    assert net.silent, net
    assert not result.success and result.error_kind.value == "validation", result


# --- input files ------------------------------------------------------------------------------------------
def _png(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (32, 24), (200, 40, 40)).save(path)
    return path


def bad_files(folder: Path) -> dict[str, Path]:
    """Input files that must be refused, each for its own reason."""
    folder.mkdir(parents=True, exist_ok=True)
    text = folder / "notes.png"
    text.write_text("this is not a picture", encoding="utf-8")
    empty = folder / "empty.png"
    empty.write_bytes(b"")
    video = folder / "clip.png"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)  # an MP4 named .png
    unreadable = folder / "unreadable.png"
    # A file every read of which fails (EIO), even for root: chmod 000 would not stop root.
    unreadable.symlink_to("/proc/self/mem")
    return {
        "missing": folder / "missing.png",
        "a folder": folder,
        "text named .png": text,
        "empty": empty,
        "video named .png": video,
        "unreadable": unreadable,
    }


@pytest.mark.parametrize(
    "which", ["missing", "a folder", "text named .png", "empty", "video named .png", "unreadable"]
)
def test_bad_input_files_are_refused_before_any_request(which: str, tmp_path: Path) -> None:
    from blender_movie_director.backend.wan2gp import Wan2GPClient
    from blender_movie_director.backend.wavespeed.provider import WaveSpeedProvider

    path = bad_files(tmp_path / "inputs")[which]
    assert _png(tmp_path / "good.png").stat().st_size > 0
    provider = WaveSpeedProvider("ws-test-key-never-used", closed_url())
    client = Wan2GPClient(closed_url(), output_dir=tmp_path / "out")
    with watch() as net:
        with pytest.raises(ValidationError) as ws_err:
            provider.generate_sync(I2V, {"prompt": "x", "image": path})
        result = client.generate(model="i2v", prompt="x", image_start=path)
    client.close()
    assert net.silent, net
    assert_clear(ws_err.value, "image")
    assert not result.success and result.error_kind.value == "validation", result.error_message
    assert "image_start" in result.error_message, result.error_message
    assert path.name in str(ws_err.value) and path.name in result.error_message


@FEW
@given(st.binary(min_size=0, max_size=256))
@example(b"")
@example(b"\x89PNG\r\n\x1a\n")
@example(b"\xff\xd8\xff\xe0")
@example(b"GIF89a")
@example(b"II*\x00")
@example(b"BM")
@example(b"RIFF\x00\x00\x00\x00WEBPVP8 ")
@example(b"RIFF\x00\x00\x00\x00WAVEfmt ")
@example(b"\x00\x00\x00\x18ftypmp42")
@example(b"%PDF-1.7")
def test_random_bytes_named_png_are_an_image_or_refused(tmp_path_factory: Any, blob: bytes) -> None:
    """Accepted exactly when the first bytes are a picture format the backend takes (the decoder has the
    last word on the rest); refused with a ValidationError otherwise."""
    from blender_movie_director.backend.media import sniff_kind
    from blender_movie_director.backend.wan2gp.schemas import _IMAGE_KINDS

    path = tmp_path_factory.mktemp("blob") / "start.png"
    path.write_bytes(blob)
    kind = sniff_kind(blob[:64])
    spec = all_models()[I2V]
    for accepted, check in (
        (spec.inputs["image"].kinds, lambda: prepare_request(spec, {"prompt": "x", "image": path})),
        (_IMAGE_KINDS, lambda: validate_settings(model="i2v", prompt="x", image_start=path)),
    ):
        if blob and kind in accepted:
            check()
        else:
            with pytest.raises(ValidationError):
                check()
