"""Fault injection: every scripted failure the provider must survive really happens on the wire."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fixtures.wavespeed_standin import WaveSpeedStandin

pytestmark = pytest.mark.standin

LTX_FAST = "lightricks/ltx-2-fast/text-to-video"


def test_429_with_and_without_retry_after(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", status=429, retry_after=2)
    s.add_fault("submit", status=429)
    first, second = s.submit(LTX_FAST, {"prompt": "x"}), s.submit(LTX_FAST, {"prompt": "x"})
    assert (first.status_code, first.headers.get("Retry-After")) == (429, "2")
    assert (second.status_code, second.headers.get("Retry-After")) == (429, None)
    assert first.json()["code"] == 429
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 200  # both rules used up
    assert [e["outcome"] for e in s.submits()] == ["fault", "fault", "created"]
    assert s.submit_count() == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_on_poll_then_recovery(wavespeed_standin_clean: WaveSpeedStandin, status: int) -> None:
    s = wavespeed_standin_clean
    task_id = s.submit(LTX_FAST, {"prompt": "x"}).json()["data"]["id"]
    s.add_fault("poll", status=status, count=2, body="html" if status in (502, 504) else "json")
    answers = [s.poll(task_id) for _ in range(2)]
    assert [a.status_code for a in answers] == [status, status]
    if status in (502, 504):
        assert answers[0].headers["Content-Type"] == "text/html"
    assert s.wait(task_id)["status"] == "completed"
    assert s.faults()[0]["hits"] == 2


def test_after_lets_requests_through_first(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    task_id = s.submit(LTX_FAST, {"prompt": "x"}).json()["data"]["id"]
    s.add_fault("poll", status=503, after=2, count=1)
    assert [s.poll(task_id).status_code for _ in range(4)] == [200, 200, 503, 200]


def test_hang_outlasts_the_read_timeout(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    task_id = s.submit(LTX_FAST, {"prompt": "x"}).json()["data"]["id"]
    s.add_fault("poll", action="hang", hang_seconds=3)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(s.api_url(f"predictions/{task_id}/result"), headers=s.headers(), timeout=0.5)
    assert time.monotonic() - started < 2
    assert s.poll(task_id).status_code == 200  # the server itself is fine


def test_a_hanging_submit_is_logged_while_it_hangs(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="hang", hang_seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(s.api_url(LTX_FAST), json={"prompt": "x"}, headers=s.headers(), timeout=0.3)
    (entry,) = s.submits()
    assert entry["outcome"] == "fault" and entry["body"] == {"prompt": "x"}
    assert s.tasks() == []


def test_dropped_connection_after_a_submit_that_created_the_task(
    wavespeed_standin_clean: WaveSpeedStandin,
) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="drop", create_task=True)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(s.api_url(LTX_FAST), json={"prompt": "paid"}, headers=s.headers())
    (task,) = s.tasks()
    assert s.wait(task["id"])["status"] == "completed"
    (entry,) = s.submits()
    assert entry["outcome"] == "created+fault" and entry["task_id"] == task["id"]
    assert s.submit_count() == 1


def test_reset_connection_without_creating(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="drop", rst=True)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(s.api_url(LTX_FAST), json={"prompt": "x"}, headers=s.headers())
    assert s.tasks() == []
    assert s.submits()[0]["outcome"] == "fault"


def test_5xx_after_the_task_was_created(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", status=502, body="html", create_task=True)
    r = s.submit(LTX_FAST, {"prompt": "x"})
    assert r.status_code == 502
    assert len(s.tasks()) == 1


def test_envelope_error_inside_http_200(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    task_id = s.submit(LTX_FAST, {"prompt": "x"}).json()["data"]["id"]
    s.add_fault("poll", action="envelope", code=500, message="internal error")
    r = s.poll(task_id)
    assert r.status_code == 200
    assert r.json() == {"code": 500, "message": "internal error", "data": None}


def test_insufficient_balance_fault(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="insufficient_balance")
    s.add_fault("submit", action="insufficient_balance", status=400)
    first, second = s.submit(LTX_FAST, {"prompt": "x"}), s.submit(LTX_FAST, {"prompt": "x"})
    assert first.status_code == 402 and second.status_code == 400
    assert "balance" in first.json()["message"].lower()
    assert s.tasks() == []


def test_task_failure_scripts(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="task_fail", task_code=1403, task_error="task execution failed")
    failed = s.run(LTX_FAST, {"prompt": "x"})
    assert (failed["status"], failed["code"], failed["error"]) == ("failed", 1403, "task execution failed")
    assert failed["outputs"] == []
    s.add_fault("submit", action="nsfw")
    flagged = s.run(LTX_FAST, {"prompt": "x"})
    assert flagged["status"] == "completed" and flagged["has_nsfw_contents"] == [True]


def test_unreachable_input_url_fails_with_1402(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    data = s.run(
        "lightricks/ltx-2-pro/image-to-video", {"prompt": "x", "image": "https://example.invalid/a.png"}
    )
    assert (data["status"], data["code"]) == ("failed", 1402)


def test_slow_task_and_forced_sync_timeout(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    s.add_fault("submit", action="slow_task", task_seconds=1.5)
    task_id = s.submit(LTX_FAST, {"prompt": "x"}).json()["data"]["id"]
    view = s.task(task_id)
    assert view["t_finishes"] - view["t_starts"] == pytest.approx(1.5, abs=0.01)
    s.add_fault("submit", action="sync_timeout")
    started = time.monotonic()
    r = s.submit(LTX_FAST, {"prompt": "x", "enable_sync_mode": True})
    assert time.monotonic() - started < 1.0
    assert r.json()["data"]["code"] == 5004


def test_expired_output_urls(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    done = s.run(LTX_FAST, {"prompt": "x"})
    url = done["outputs"][0]
    assert httpx.get(url).status_code == 200
    assert s.expire_outputs([done["id"]]) == 1
    assert httpx.get(url).status_code == 404
    s.configure(output_ttl=0.2, expired_status=403)
    other = s.run(LTX_FAST, {"prompt": "y"})["outputs"][0]
    assert httpx.get(other).status_code == 200
    time.sleep(0.3)
    assert httpx.get(other).status_code == 403


def test_truncated_download_with_a_full_content_length(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    url = s.run(LTX_FAST, {"prompt": "x"})["outputs"][0]
    full = httpx.get(url).content
    s.add_fault("download", action="truncate", fraction=0.3)
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", url) as r:
        assert int(r.headers["Content-Length"]) == len(full)
        r.read()
    assert httpx.get(url).content == full


def test_throttled_download(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    url = s.run(LTX_FAST, {"prompt": "x"})["outputs"][0]
    size = len(httpx.get(url).content)
    s.add_fault("download", action="throttle", bytes_per_second=size * 2)
    started = time.monotonic()
    assert len(httpx.get(url).content) == size
    assert time.monotonic() - started >= 0.4


def test_faults_scoped_to_a_model_and_a_key(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    other = "ws-other-key"
    s.configure(api_keys=[s.api_key, other])
    s.add_fault("submit", status=503, model="lightricks/ltx-2-pro/text-to-video", count=None)
    s.add_fault("submit", status=500, key=other, count=None)
    assert s.submit(LTX_FAST, {"prompt": "x"}).status_code == 200
    assert s.submit("lightricks/ltx-2-pro/text-to-video", {"prompt": "x"}).status_code == 503
    assert s.submit(LTX_FAST, {"prompt": "x"}, key=other).status_code == 500
    assert other not in str(s.faults())


def test_request_log_times_retries(wavespeed_standin_clean: WaveSpeedStandin) -> None:
    s = wavespeed_standin_clean
    task_id = s.submit(LTX_FAST, {"prompt": "x"}).json()["data"]["id"]
    s.add_fault("poll", status=429, retry_after=1)
    assert s.poll(task_id).status_code == 429
    time.sleep(0.2)
    assert s.poll(task_id).status_code == 200
    polls = s.requests(route="poll")
    assert [p["status"] for p in polls] == [429, 200]
    assert polls[0]["fault"] is not None and polls[1].get("fault") is None
    assert polls[1]["t"] - polls[0]["t"] >= 0.2


def test_start_knob_faults(wavespeed_standin_factory) -> None:
    s = wavespeed_standin_factory(faults=[{"route": "models", "status": 503, "count": 1}])
    assert httpx.get(s.api_url("models"), headers=s.headers()).status_code == 503
    assert httpx.get(s.api_url("models"), headers=s.headers()).status_code == 200
