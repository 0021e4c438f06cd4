"""Every WaveSpeed service and model entry against the stand-in, results decoded with FFmpeg (PyAV)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from blender_movie_director.backend.wavespeed.client import Timeouts, WaveSpeedClient
from blender_movie_director.backend.wavespeed.models import all_models, resolve_model
from blender_movie_director.backend.wavespeed.provider import ProviderOptions, WaveSpeedProvider
from blender_movie_director.backend.wavespeed.services import (
    HunyuanVideoService,
    LTX2FastService,
    LTX2ProService,
    LTX2RetakeService,
    WaveSpeedVideoService,
    get_wavespeed_text_to_video_service,
)
from tests.backend.test_wavespeed_support import (
    FAST_POLL,
    assert_good_result,
    decode,
    full_params,
    make_mp4,
    make_png,
    make_provider,
)
from tests.reliability.relay import Relay

pytestmark = pytest.mark.standin


def test_seed_004_example_as_written(wavespeed_standin_clean, tmp_path):
    """``await service.generate_video(prompt=…, duration=5, resolution="720p", progress_callback=cb)``."""
    server = wavespeed_standin_clean
    service = get_wavespeed_text_to_video_service(
        "hunyuan-video-1.5", client=make_provider(server), output_dir=tmp_path
    )
    assert isinstance(service, HunyuanVideoService)
    seen: list[tuple[float, str]] = []

    def cb(fraction: float, text: str) -> None:
        seen.append((fraction, text))

    async def main():
        return await service.generate_video(
            prompt="A red fox trotting through fresh snow",
            duration=5,
            resolution="720p",
            progress_callback=cb,
        )

    result = asyncio.run(main())
    assert_good_result(result, seconds=5)
    meta = result.metadata
    assert meta["prompt"] == "A red fox trotting through fresh snow"
    assert meta["model_name"] == "hunyuan-video-1.5" and meta["duration"] == 5
    assert meta["cost"] == pytest.approx(0.20) and meta["task_id"] == meta["remote_id"]
    assert set(meta["timings"]) >= {"queued", "generation", "download", "total"}
    # What went over the wire: the resolution became a size, nothing else was added.
    (submit,) = server.submits()
    assert submit["body"] == {
        "prompt": "A red fox trotting through fresh snow",
        "size": "1280*720",
        "duration": 5,
    }
    assert server.task(meta["task_id"])["documented_size"] in ("1280x720", "1280*720", [1280, 720])
    texts = [t for _, t in seen]
    assert any(t.startswith("Queued") for t in texts)
    assert any(t.startswith("Generating") and "typically" in t for t in texts)
    assert any(t.startswith("Downloading") and "MB" in t for t in texts)
    fractions = [f for f, _ in seen if f >= 0]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_hunyuan_portrait_480p_and_image_to_video(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    service = HunyuanVideoService(make_provider(server), output_dir=tmp_path)
    t2v = asyncio.run(
        service.generate_video("a kite", duration=8, resolution="480p", aspect_ratio="9:16", seed=7)
    )
    assert_good_result(t2v, seconds=8)
    assert t2v.metadata["height"] > t2v.metadata["width"]  # portrait
    assert t2v.metadata["cost"] == pytest.approx(0.16)
    image = make_png(tmp_path / "first.png")
    i2v = asyncio.run(service.generate_video("the kite rises", image=image, resolution="480p"))
    assert_good_result(i2v, seconds=5)
    assert i2v.metadata["model"] == "wavespeed-ai/hunyuan-video-1.5/image-to-video"
    bodies = [s["body"] for s in server.submits()]
    assert bodies[0] == {"prompt": "a kite", "size": "480*832", "duration": 8, "seed": 7}
    assert set(bodies[1]) == {"image", "prompt", "resolution"}
    assert bodies[1]["image"].startswith(server.url)  # uploaded first, then referenced by URL


@pytest.mark.parametrize("cls", [LTX2ProService, LTX2FastService])
def test_ltx2_text_and_image_to_video(cls, wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    service = cls(make_provider(server), output_dir=tmp_path)
    result = asyncio.run(
        service.generate_video("waves on rocks", duration=8, generate_audio=True, resolution="1080p")
    )
    decoded = assert_good_result(result, seconds=8)
    assert decoded["has_audio"] and result.metadata["has_audio"]
    silent = asyncio.run(
        service.generate_video("waves", duration=6, generate_audio=False, image=make_png(tmp_path / "i.png"))
    )
    assert not assert_good_result(silent, seconds=6)["has_audio"]
    assert silent.metadata["model"].endswith("/image-to-video")
    first, second = (s["body"] for s in server.submits())
    assert first == {"prompt": "waves on rocks", "duration": 8, "generate_audio": True}
    assert set(second) == {"image", "prompt", "duration", "generate_audio"}
    per_second = 0.06 if cls is LTX2ProService else 0.04
    assert result.metadata["cost"] == pytest.approx(8 * per_second)


def test_ltx2_refuses_what_it_cannot_do(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    service = LTX2ProService(make_provider(server), output_dir=tmp_path)
    for kwargs in ({"resolution": "720p"}, {"seed": 3}, {"duration": 12}, {"negative_prompt": "x"}):
        result = asyncio.run(service.generate_video("x", **kwargs))
        assert not result.success and result.error_kind.value == "validation", kwargs
    assert server.submits() == [] and server.requests(route="submit") == []


def test_retake_uploads_video_and_writes_window_into_prompt(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    source = make_mp4(tmp_path / "shot.mp4", seconds=4.0)
    service = LTX2RetakeService(make_provider(server), output_dir=tmp_path / "out")
    result = asyncio.run(
        service.generate_video("make it night", video=source, start_time=1, end_time=3, mode="replace_video")
    )
    assert_good_result(result, seconds=4)
    (submit,) = server.submits()
    assert submit["body"]["prompt"] == "From 1s to 3s, make it night"
    assert set(submit["body"]) == {"prompt", "video", "mode"} and submit["dropped_keys"] == []
    assert result.metadata["cost"] == pytest.approx(0.40, abs=0.02)


@pytest.mark.parametrize(
    "model", ["wan-2.6", "kling-2.5-turbo", "seedance-1.5-pro", "veo-3.1-fast", "ltx-2-19b"]
)
def test_catalog_entries_run_without_a_class(model, wavespeed_standin_clean, tmp_path):
    service = get_wavespeed_text_to_video_service(
        model, client=make_provider(wavespeed_standin_clean), output_dir=tmp_path
    )
    assert type(service) is WaveSpeedVideoService
    result = asyncio.run(
        service.generate_video("a paper boat on a pond", duration=5 if model != "veo-3.1-fast" else 4)
    )
    assert_good_result(result)


def test_wan26_image_to_video_with_full_path(wavespeed_standin_clean, tmp_path):
    service = get_wavespeed_text_to_video_service(
        "alibaba/wan-2.6/image-to-video", client=make_provider(wavespeed_standin_clean), output_dir=tmp_path
    )
    result = asyncio.run(
        service.generate_video("a boat", image=make_png(tmp_path / "b.png"), resolution="1080p")
    )
    assert_good_result(result, seconds=5)
    assert result.metadata["cost"] == pytest.approx(0.75)


#: The models WaveSpeed still serves; retired ones are refused before any request (test_wavespeed_catalog).
OFFERED = sorted(model_id for model_id, spec in all_models().items() if not spec.retired)


def test_every_model_every_field_on_the_wire(wavespeed_standin_clean, tmp_path):
    """For every model: set every field, submit through the provider, and check the stand-in received
    exactly those keys (none dropped), all inside the schema the live catalog serves."""
    server = wavespeed_standin_clean
    provider = make_provider(server)
    catalog = provider.catalog_sync()
    inputs = {"image": make_png(tmp_path / "in.png"), "video": make_mp4(tmp_path / "in.mp4", seconds=4)}
    for model_id in OFFERED:
        spec = all_models()[model_id]
        params = full_params(spec, inputs)
        result = provider.generate_sync(spec, params, output_dir=tmp_path / "out")
        assert_good_result(result)
        submit = server.submits(model=model_id)[-1]
        live_schema = catalog[model_id]["api_schema"]["api_schemas"][0]["request_schema"]["properties"]
        assert submit["dropped_keys"] == [], (model_id, submit["dropped_keys"])
        assert set(submit["body"]) <= set(spec.fields) and set(submit["body"]) <= set(live_schema)
        assert set(submit["body"]) == set(params), model_id
    assert len(server.submits()) == len(OFFERED)


def test_sync_facade_from_worker_threads(wavespeed_standin_clean, tmp_path):
    """The job engine's view: several worker threads, each calling the sync facade of one provider."""
    provider = make_provider(wavespeed_standin_clean)
    results: dict[int, object] = {}

    def work(i: int) -> None:
        results[i] = provider.generate_sync("ltx-2-fast", {"prompt": f"clip {i}"}, output_dir=tmp_path)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 3
    paths = {assert_good_result(r) and r.video_path for r in results.values()}  # type: ignore[union-attr]
    assert len(paths) == 3
    assert wavespeed_standin_clean.submit_count() == 3
    # Started together, the three jobs asked for the catalog once and shared it; no job asked for a price.
    assert len(wavespeed_standin_clean.requests(route="models")) == 1
    assert wavespeed_standin_clean.requests(route="price") == []


def test_connections_are_reused_within_a_job(wavespeed_standin_clean, tmp_path):
    """One AsyncClient per loop, and its keep-alive connection carries the catalog, quote, submit and
    every poll: all API answers arrive on the same local TCP port."""
    provider = make_provider(wavespeed_standin_clean)
    ports: list[tuple[str, int]] = []

    async def note_port(response):
        stream = response.extensions.get("network_stream")
        address = stream.get_extra_info("client_addr") if stream is not None else None
        if response.request.url.path.startswith("/api/v3/") and address:
            ports.append((response.request.url.path, address[1]))

    async def main():
        client = provider.client.http()
        client.event_hooks["response"].append(note_port)
        result = await provider.generate("ltx-2-fast", {"prompt": "x"}, output_dir=tmp_path)
        assert provider.client.http() is client  # still the same AsyncClient for this loop
        await provider.client.aclose()
        return result

    assert_good_result(asyncio.run(main()))
    assert len(ports) >= 5, ports
    assert len({port for _, port in ports}) == 1, ports


def test_downloads_never_carry_the_key(wavespeed_standin_clean, tmp_path):
    """Output URLs are CDN links on another host: the key must not travel there. The API answers pass
    through a recording relay that points output URLs at a second relay (the "CDN"), so what arrives at
    each host is seen on the wire (the download uses its own connection, not the API's httpx client)."""
    server = wavespeed_standin_clean
    cdn = Relay(server.url)
    api = Relay(
        server.url,
        rewrite_body=lambda _path, _ctype, body: body.replace(
            f"{server.url}/files/".encode(), f"{cdn.url}/files/".encode()
        ),
    )
    try:
        client = WaveSpeedClient(server.api_key, api.url, timeouts=Timeouts(connect=2.0, read=5.0))
        provider = WaveSpeedProvider(client=client, options=ProviderOptions(poll=FAST_POLL, timeout=60.0))
        result = provider.generate_sync("ltx-2-fast", {"prompt": "x"}, output_dir=tmp_path)
        assert_good_result(result)
        downloads = cdn.requests()
        assert [r.path.startswith("/files/") for r in downloads] == [True]
        assert downloads[0].header("Authorization") is None
        assert server.api_key.encode() not in downloads[0].raw()
        api_auth = [r.header("Authorization") for r in api.requests() if r.path.startswith("/api/v3/")]
        assert api_auth and all(a == f"Bearer {server.api_key}" for a in api_auth)  # the check can fail
    finally:
        api.close()
        cdn.close()


def test_progress_callback_errors_do_not_lose_the_result(wavespeed_standin_clean, tmp_path):
    def broken(fraction: float, text: str) -> None:
        raise RuntimeError("UI went away")

    service = LTX2FastService(make_provider(wavespeed_standin_clean), output_dir=tmp_path)
    result = asyncio.run(service.generate_video("x", progress_callback=broken))
    assert_good_result(result)


def test_decoder_sees_the_documented_duration_for_every_ltx_fast_length(wavespeed_standin_clean, tmp_path):
    provider = make_provider(wavespeed_standin_clean)
    spec = resolve_model("ltx-2-fast")
    for duration in (6, 12):
        started = time.monotonic()
        result = provider.generate_sync(spec, {"prompt": "x", "duration": duration}, output_dir=tmp_path)
        assert_good_result(result, seconds=duration)
        assert decode(result.video_path)["frames"] == result.metadata["frames"]
        assert time.monotonic() - started < 30


@pytest.mark.parametrize("model_id", OFFERED)
def test_keys_outside_each_schema_never_reach_the_service(model_id, wavespeed_standin, tmp_path):
    """For every model, every parameter the research lists as commonly sent but not in its schema (and
    the seed's own extras) is refused by the provider before any request is made."""
    from blender_movie_director.backend.errors import ValidationError

    server = wavespeed_standin
    before = len(server.requests())
    provider = make_provider(server)
    extras = ("audio_base64", "enable_prompt_expansion", "start_time", "end_time", "num_inference_steps")
    spec = all_models()[model_id]
    required = {n: "https://e.invalid/in" for n, f in spec.fields.items() if f.media_kind and f.required}
    tried = 0
    for name in {*spec.not_in_schema, *extras} - set(spec.fields) - {"resolution", "aspect_ratio"}:
        with pytest.raises(ValidationError) as err:
            provider.generate_sync(spec, {"prompt": "x", **required, name: "1"}, output_dir=tmp_path)
        assert err.value.field == name, (spec.model_id, name)
        tried += 1
    assert tried >= 3
    assert len(server.requests()) == before


def test_seed_004_service_built_from_the_environment(wavespeed_standin_clean, tmp_path, monkeypatch):
    """``HunyuanVideoService()`` with no arguments: key and endpoint come from the environment."""
    monkeypatch.setenv("WAVESPEED_API_KEY", wavespeed_standin_clean.api_key)
    monkeypatch.setenv("WAVESPEED_BASE_URL", wavespeed_standin_clean.url)
    service = HunyuanVideoService()
    service.output_dir = tmp_path
    assert wavespeed_standin_clean.api_key not in repr(service)

    async def main():
        try:
            return await service.generate_video(
                prompt="A fox", duration=5, resolution="720p", progress_callback=lambda f, t: None
            )
        finally:
            await service.aclose()

    assert_good_result(asyncio.run(main()), seconds=5)
