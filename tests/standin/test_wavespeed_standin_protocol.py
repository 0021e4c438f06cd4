"""The WaveSpeed stand-in speaks the v3 protocol: auth, envelopes, task life cycle, schemas, prices."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.wavespeed_standin import WaveSpeedStandin, key_id

pytestmark = pytest.mark.standin

_DATA = Path(__file__).resolve().parents[2] / "blender_movie_director/backend/wavespeed"
#: The models the stand-in serves: the shared data's, less retired ones (the real catalog drops them).
SPECS = {
    model_id: entry
    for model_id, entry in json.loads((_DATA / "model_specs.json").read_text())["models"].items()
    if not json.loads((_DATA / "model_extras.json").read_text())["models"][model_id].get("retired")
}
HUNYUAN = "wavespeed-ai/hunyuan-video-1.5/text-to-video"
LTX_PRO = "lightricks/ltx-2-pro/text-to-video"
LTX_FAST = "lightricks/ltx-2-fast/text-to-video"
RETAKE = "lightricks/ltx-2-retake"
ISO_MILLIS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_missing_or_wrong_key_gets_the_401_envelope(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": s.api_key}):
        r = httpx.post(s.api_url(HUNYUAN), json={"prompt": "x"}, headers=headers)
        assert r.status_code == 401
        assert r.json() == {"code": 401, "message": "Invalid API key", "data": None}
        r = httpx.get(s.api_url("models"), headers=headers)
        assert r.status_code == 401
    assert s.tasks() == []
    assert [e["outcome"] for e in s.submits()] == ["unauthorized"] * 3
    assert s.api_key not in json.dumps(s.submits()) + json.dumps(s.requests())


def test_submit_answers_a_created_task_whose_result_url_points_at_itself(
    wavespeed_standin_clean: WaveSpeedStandin,
) -> None:
    s = wavespeed_standin_clean
    r = s.submit(HUNYUAN, {"prompt": "a lighthouse", "size": "832*480", "duration": 5, "seed": 7})
    assert r.status_code == 200
    body = r.json()
    assert (body["code"], body["message"]) == (200, "success")
    data = body["data"]
    assert data["status"] == "created"
    assert data["outputs"] == [] and data["has_nsfw_contents"] == [] and data["error"] == ""
    assert data["model"] == HUNYUAN
    assert ISO_MILLIS_Z.match(data["created_at"])
    assert data["urls"]["get"] == s.api_url(f"predictions/{data['id']}/result")
    assert "inference" in data["timings"]


def test_status_follows_the_clock_to_completed(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(queue_seconds=0.3, task_seconds=0.4)
    task_id = s.submit(LTX_FAST, {"prompt": "rain"}).json()["data"]["id"]
    seen: list[str] = []
    end = time.monotonic() + 20
    while time.monotonic() < end:
        data = s.poll(task_id).json()["data"]
        if not seen or seen[-1] != data["status"]:
            seen.append(data["status"])
        if data["status"] in ("completed", "failed"):
            break
        time.sleep(0.03)
    assert seen == ["created", "processing", "completed"]
    assert data["outputs"] == [f"{s.url}/files/outputs/{task_id}.mp4"]
    assert data["has_nsfw_contents"] == [False]
    assert data["timings"]["inference"] == 400
    view = s.task(task_id)
    assert view["t_starts"] - view["t_submitted"] == pytest.approx(0.3, abs=0.01)
    assert view["t_finishes"] - view["t_starts"] == pytest.approx(0.4, abs=0.01)


def test_the_prediction_alias_and_unknown_ids(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    done = s.run(LTX_PRO, {"prompt": "alias"})
    alias = httpx.get(s.api_url(f"predictions/{done['id']}"), headers=s.headers()).json()["data"]
    assert alias == done
    r = httpx.get(s.api_url("predictions/0123456789abcdef/result"), headers=s.headers())
    assert r.status_code == 404
    assert r.json()["code"] == 404


def test_unknown_keys_are_dropped_and_the_task_is_still_billed(
    wavespeed_standin_clean: WaveSpeedStandin,
) -> None:
    s = wavespeed_standin_clean
    before = s.balance()
    body = {"prompt": "window", "start_time": 2, "end_time": 8, "video": "data:video/mp4;base64,AAAA"}
    r = s.submit(RETAKE, {**body, "resolution": "720p"})
    assert r.status_code == 200
    entry = s.submits()[0]
    assert entry["dropped_keys"] == ["start_time", "end_time", "resolution"]
    assert entry["body"] == {**body, "resolution": "720p"}
    assert s.task(r.json()["data"]["id"])["inputs"] == {"prompt": "window", "video": body["video"]}
    assert s.balance() < before


def test_invalid_values_are_refused_at_submit_by_default(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    cases = [
        (HUNYUAN, {"prompt": "x", "duration": 10}, "duration must be one of [5, 8]"),
        (HUNYUAN, {"prompt": "x", "size": "1920*1080"}, "size must be one of"),
        (HUNYUAN, {"prompt": "x", "seed": -2}, "seed must be between -1 and 2147483647"),
        (HUNYUAN, {"prompt": "x", "duration": "5"}, "duration must be of type integer"),
        (LTX_FAST, {"prompt": "x", "duration": 7}, "duration must be one of [6, 8, 10, 12, 14, 16, 18, 20]"),
        (LTX_PRO, {"prompt": "x", "generate_audio": "yes"}, "generate_audio must be of type boolean"),
        (RETAKE, {"prompt": "x", "video": "v", "mode": "replace_all"}, "mode must be one of"),
        (LTX_PRO, {"duration": 6}, "prompt is required"),
    ]
    for model, body, message in cases:
        r = s.submit(model, body)
        assert r.status_code == 400, (model, body)
        assert r.json()["code"] == 400
        assert r.json()["message"].startswith(message)
    assert s.tasks() == []
    assert s.submit_count() == 0
    assert s.submit_count(created_only=False) == len(cases)


def test_invalid_values_as_failed_tasks(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(invalid_values="task")
    bad = s.run(HUNYUAN, {"prompt": "x", "duration": 10})
    assert bad["status"] == "failed"
    assert bad["code"] == 1401
    assert "duration" in bad["error"]
    missing = s.run(LTX_PRO, {"duration": 6})
    assert (missing["status"], missing["code"]) == ("failed", 1400)


def test_each_model_accepts_exactly_its_schema(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    for model, spec in SPECS.items():
        body = {}
        for name, field in spec["fields"].items():
            if "enum" in field:
                body[name] = field["enum"][0]
            elif field["type"] == "array":
                body[name] = [f"{name} value"]
            elif field["type"] == "boolean":
                body[name] = False
            elif field["type"] in ("integer", "number"):
                body[name] = field.get("minimum", field.get("default", 1))
            else:
                body[name] = f"{name} value"
        r = s.submit(model, {**body, "not_a_field": 1})
        assert r.status_code == 200, (model, r.text)
    for entry in s.submits():
        assert entry["dropped_keys"] == ["not_a_field"]


def test_catalog_and_retiring_a_model(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    r = httpx.get(s.api_url("models"), headers=s.headers())
    assert r.status_code == 200 and r.json()["code"] == 200
    catalog = {m["model_id"]: m for m in r.json()["data"]}
    assert list(catalog) == list(SPECS)
    schema = catalog[HUNYUAN]["api_schema"]["api_schemas"][0]["request_schema"]
    assert schema["required"] == ["prompt"]
    assert schema["x-order-properties"] == list(SPECS[HUNYUAN]["fields"])
    assert schema["properties"]["duration"]["enum"] == [5, 8]
    assert schema["properties"]["size"]["default"] == "1280*720"
    assert catalog[RETAKE]["type"] == "video-to-video"
    assert catalog[LTX_PRO]["type"] == "text-to-video"
    assert catalog[LTX_PRO]["base_price"] == 0.06

    s.retire_model(LTX_PRO)
    ids = [m["model_id"] for m in httpx.get(s.api_url("models"), headers=s.headers()).json()["data"]]
    assert LTX_PRO not in ids and LTX_FAST in ids
    r = s.submit(LTX_PRO, {"prompt": "x"})
    assert r.status_code == 404 and r.json()["code"] == 404
    assert s.submits()[-1]["outcome"] == "unknown_model"


def test_retired_models_at_start(wavespeed_standin_factory) -> None:
    s = wavespeed_standin_factory(retired_models=[LTX_PRO, LTX_FAST], retired_status=410)
    ids = [m["model_id"] for m in httpx.get(s.api_url("models"), headers=s.headers()).json()["data"]]
    assert LTX_PRO not in ids and LTX_FAST not in ids and HUNYUAN in ids
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 410


def test_price_quotes(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean

    def price(model: str, inputs: dict | None) -> dict:
        body = {"model_id": model} if inputs is None else {"model_id": model, "inputs": inputs}
        r = httpx.post(s.api_url("model/price"), json=body, headers=s.headers())
        assert r.status_code == 200 and r.json()["code"] == 200
        return r.json()["data"]

    data = price(HUNYUAN, {"prompt": "x", "size": "1280*720", "duration": 8})
    assert data == {
        "model_id": HUNYUAN,
        "price": 0.32,
        "discounted_price": 0.32,
        "discount_rate": 1.0,
        "currency": "USD",
    }
    assert price(HUNYUAN, {"prompt": "x", "size": "480*832", "duration": 5})["price"] == 0.10
    assert price(HUNYUAN, {"prompt": "x"})["price"] == 0.20  # defaults: 1280*720, 5 s
    assert price(HUNYUAN, None)["price"] == 0.10  # no inputs: the base price (floor)
    assert price(LTX_FAST, {"prompt": "x", "duration": 6})["price"] == 0.24
    assert price(LTX_PRO, {"prompt": "x", "duration": 10})["price"] == 0.60
    legacy = httpx.post(
        s.api_url("model/pricing"), json={"model_id": LTX_PRO, "inputs": {"prompt": "x"}}, headers=s.headers()
    )
    assert legacy.json()["data"]["unit_price"] == 0.36
    r = httpx.post(
        s.api_url("model/price"), json={"model_id": "nope/model", "inputs": {}}, headers=s.headers()
    )
    assert r.status_code == 404


def test_created_tasks_are_charged_and_an_empty_balance_refuses(
    wavespeed_standin_clean: WaveSpeedStandin,
) -> None:
    s = wavespeed_standin_clean
    s.configure(balance=0.5)
    assert s.submit(LTX_FAST, {"prompt": "x", "duration": 10}).status_code == 200  # 0.40
    assert s.balance() == pytest.approx(0.10)
    r = s.submit(LTX_FAST, {"prompt": "x", "duration": 6})  # 0.24 > 0.10
    assert r.status_code == 402
    assert "balance" in r.json()["message"].lower()
    assert httpx.get(s.api_url("balance"), headers=s.headers()).json()["data"] == {"balance": 0.1}
    assert len(s.tasks()) == 1


def test_submits_are_counted_per_key(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    other = "ws-second-key"
    s.configure(api_keys=[s.api_key, other])
    s.submit(LTX_FAST, {"prompt": "one"})
    s.submit(LTX_FAST, {"prompt": "two"}, key=other)
    s.submit(LTX_FAST, {"prompt": "three"}, key=other)
    assert s.submit_count(key=s.api_key) == 1
    assert s.submit_count(key=other) == 2
    counts = s.admin("GET", "submits")["counts"]
    assert counts[key_id(other)] == {"attempts": 2, "created": 2}
    assert [e["body"]["prompt"] for e in s.submits(key=other)] == ["two", "three"]


def test_sync_mode_returns_the_finished_task(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    started = time.monotonic()
    r = s.submit(LTX_FAST, {"prompt": "sync", "enable_sync_mode": True})
    assert time.monotonic() - started >= 0.35  # queue 0.1 + run 0.3
    data = r.json()["data"]
    assert data["status"] == "completed" and len(data["outputs"]) == 1
    entry = s.submits()[0]
    assert entry["sync"] is True and entry["dropped_keys"] == []


def test_sync_mode_timeout_answers_5004_and_the_task_completes(
    wavespeed_standin_clean: WaveSpeedStandin,
) -> None:
    s = wavespeed_standin_clean
    s.configure(sync_timeout=0.2, task_seconds=0.6)
    r = s.submit(LTX_FAST, {"prompt": "slow", "enable_sync_mode": True})
    assert r.status_code == 200 and r.json()["code"] == 200
    data = r.json()["data"]
    assert data["status"] == "processing" or data["status"] == "created"
    assert data["code"] == 5004
    assert data["error"].startswith("Sync mode timed out after 0.2 seconds")
    assert data["urls"]["get"].endswith(f"/predictions/{data['id']}/result")
    assert s.wait(data["id"])["status"] == "completed"


def test_sync_mode_timeout_as_gateway_504(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(sync_timeout=0.1, task_seconds=0.5, sync_timeout_reply="504")
    r = s.submit(LTX_FAST, {"prompt": "slow", "enable_sync_mode": True})
    assert r.status_code == 504
    (task,) = s.tasks()
    assert s.wait(task["id"])["status"] == "completed"


def test_max_concurrency_queues_extra_tasks(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(max_concurrency=2, queue_seconds=0.0, task_seconds=0.5)
    ids = [s.submit(LTX_FAST, {"prompt": f"t{i}"}).json()["data"]["id"] for i in range(3)]
    views = [s.task(i) for i in ids]
    assert views[2]["t_starts"] >= views[0]["t_finishes"] - 0.001
    assert [s.poll(i).json()["data"]["status"] for i in ids][2] == "created"
    assert all(s.wait(i)["status"] == "completed" for i in ids)


def test_rate_limit_per_key(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(rate_limit_per_minute=2, rate_limit_retry_after=7)
    assert [s.submit(LTX_FAST, {"prompt": "x"}).status_code for _ in range(2)] == [200, 200]
    r = s.submit(LTX_FAST, {"prompt": "x"})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert s.submit_count() == 2


def test_rate_limit_window_length_is_a_knob(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.configure(rate_limit_per_minute=1, rate_limit_window_seconds=0.6)
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 200
    first = time.monotonic()
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 429
    time.sleep(max(0.0, first + 0.7 - time.monotonic()))
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 200  # the window has moved on
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 429
    assert s.submit_count() == 2


def test_webhook_query_is_recorded(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    hook = "https://example.invalid/hook"
    r = httpx.post(s.api_url(LTX_FAST), params={"webhook": hook}, json={"prompt": "x"}, headers=s.headers())
    assert r.status_code == 200
    assert s.submits()[0]["webhook"] == hook
    assert s.task(r.json()["data"]["id"])["webhook"] == hook


def test_admin_routes_are_outside_the_api_namespace(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    assert httpx.get(s.api_url("_standin/health"), headers=s.headers()).status_code == 404
    assert httpx.get(f"{s.url}/_standin/health").json()["pid"] == s.pid
    r = httpx.post(f"{s.url}/_standin/config", json={"no_such_knob": 1})
    assert r.status_code == 400
    r = httpx.post(f"{s.url}/_standin/faults", json={"route": "poll", "action": "explode"})
    assert r.status_code == 400
