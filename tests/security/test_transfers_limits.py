"""Size limits wherever a server speaks (issue 14, items 4): a hostile server on 127.0.0.1 sends huge, endless
or compressed-bomb answers to WaveSpeed's API calls, Wan2GP's ``/config`` and the result downloads. Each is
cut at its limit with a typed message that names the limit, is not retried, and leaves no file behind.

How much the server got to write before the client hung up is the test's memory bound: reading stops at
the limit (the bench, P11, measures the peak RSS growth itself)."""

from __future__ import annotations

import asyncio

import pytest

from blender_movie_director.backend.errors import ErrorKind, SubmissionUncertainError
from blender_movie_director.backend.limits import (
    CONFIG_MAX_BYTES,
    JSON_MAX_BYTES,
    MiB,
    TooLargeError,
    describe_size,
)
from blender_movie_director.backend.wan2gp.download import ServerFile, fetch_video
from blender_movie_director.backend.wan2gp.session import Session
from blender_movie_director.backend.wan2gp.transport import ConnectionSettings
from blender_movie_director.backend.wavespeed.client import RetryPolicy, WaveSpeedClient
from blender_movie_director.backend.wavespeed.control import Control
from blender_movie_director.backend.wavespeed.download import download_video
from tests.security.hostile import Hostile, Plan

pytestmark = [pytest.mark.security]

HUGE = 500 * MiB
#: What a client may let the server write before it stops: its limit plus the sockets' buffers.
SLACK = 48 * MiB


@pytest.fixture
def evil():
    with Hostile() as server:
        yield server


def _client(evil: Hostile, **kwargs) -> WaveSpeedClient:
    return WaveSpeedClient(
        "sk-test-key", evil.url, retry=RetryPolicy(attempts=3, base=0.01, cap=0.02), **kwargs
    )


def _run(coro):
    return asyncio.run(coro)


async def _closing(client: WaveSpeedClient, coro):
    try:
        return await coro
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("plan", "what"),
    [
        (Plan("huge-json", size=HUGE), "500 MB poll answer"),
        (Plan("huge-json", status=500, size=HUGE), "500 MB error body"),
        (Plan("huge-json", status=500, size=HUGE, announce=False), "500 MB error body, no length"),
        (Plan("endless"), "endless answer"),
        (Plan("gzip-bomb", size=64 * MiB), "gzip bomb"),
    ],
)
def test_a_wavespeed_answer_is_cut_at_its_limit_and_not_retried(evil, plan, what):
    evil.route("/api/v3/predictions/", plan)
    client = _client(evil)
    control = Control(timeout=30)
    call = lambda: client.get_result("task-1", control)  # noqa: E731
    with pytest.raises(TooLargeError) as info:
        _run(_closing(client, client.with_retries(call, control, what="poll")))
    error = info.value
    assert error.kind == ErrorKind.SERVER and not error.retryable, what
    assert describe_size(JSON_MAX_BYTES) in str(error) and "polling task task-1" in str(error)
    assert len(evil.hits) == 1, what  # refused, never asked again
    assert evil.hits[0].sent < JSON_MAX_BYTES + SLACK, (what, evil.hits[0].sent)


def test_an_announced_huge_answer_is_refused_before_reading(evil):
    evil.route("/api/v3/predictions/", Plan("announced", size=HUGE))
    client = _client(evil)
    with pytest.raises(TooLargeError):
        _run(_closing(client, client.get_result("task-1", Control(timeout=5))))
    assert evil.hits[0].sent == 0


def test_an_oversized_submit_answer_means_the_task_may_exist(evil):
    """The submit went out: an answer cut at the limit cannot say whether a (paid) task was created."""
    evil.route("/api/v3/", Plan("huge-json", size=HUGE))
    client = _client(evil)
    with pytest.raises(SubmissionUncertainError) as info:
        _run(_closing(client, client.submit("wavespeed-ai/wan-2.1/t2v-480p", {"prompt": "x"})))
    assert "limit" in str(info.value) and "billed" in str(info.value)
    assert len(evil.hits) == 1


def test_a_normal_wavespeed_answer_still_reads(evil):
    task = {"id": "task-1", "status": "processing", "outputs": []}
    evil.route("/api/v3/predictions/", Plan("json", body={"code": 200, "data": task}))
    client = _client(evil)
    assert _run(_closing(client, client.get_result("task-1", Control(timeout=5))))["id"] == "task-1"


def test_a_huge_wan2gp_config_is_cut_at_its_limit(evil):
    """WanGP 12.60's /config is 2.6 MB: the limit (16 MiB) leaves room, a 400 MB one is refused."""
    evil.route("/config", Plan("huge-json", size=400 * MiB))
    settings = ConnectionSettings(url=evil.url)
    with pytest.raises(TooLargeError) as info:
        Session(settings)
    assert "/config" in str(info.value) and describe_size(CONFIG_MAX_BYTES) in str(info.value)
    assert evil.hits[-1].sent < CONFIG_MAX_BYTES + SLACK


def test_a_wan2gp_config_of_an_ancient_gradio_is_refused(evil):
    """gradio_client would post such a config to a Hugging Face Space to describe it: never."""
    evil.route("/config", Plan("json", body={"version": "3.0", "dependencies": [], "components": []}))
    with pytest.raises(Exception) as info:
        Session(ConnectionSettings(url=evil.url))
    assert getattr(info.value, "kind", None) == ErrorKind.UNSUPPORTED_SERVER, info.value
    assert [h.path for h in evil.hits] == ["/config"]


def test_an_endless_wavespeed_download_stops_at_the_cap(evil, tmp_path):
    evil.route("/cdn/", Plan("endless"))
    client = _client(evil, download_max_bytes=8 * MiB)
    dest = tmp_path / "out" / "clip.mp4"
    with pytest.raises(TooLargeError) as info:
        _run(
            _closing(
                client,
                download_video(client, f"{evil.url}/cdn/clip.mp4", dest, Control(timeout=30), task_id="t1"),
            )
        )
    assert "8 MiB" in str(info.value) and "preferences" in str(info.value)
    assert len(evil.hits) == 1  # not retried
    assert not list(dest.parent.iterdir())  # nothing left behind


def test_an_announced_oversized_wan2gp_download_is_refused_unread(evil, tmp_path):
    evil.route("/gradio_api/file=", Plan("announced", size=3 << 30))
    settings = ConnectionSettings(url=evil.url)  # default cap: 2 GiB
    with pytest.raises(TooLargeError) as info:
        fetch_video(ServerFile(path="/outputs/big.mp4"), settings, tmp_path / "out", allow_local_copy=False)
    assert "2 GiB" in str(info.value) and "big.mp4" in str(info.value)
    assert evil.hits[-1].sent == 0
    assert not list((tmp_path / "out").iterdir())


def test_an_endless_wan2gp_download_stops_at_the_cap(evil, tmp_path):
    evil.route("/gradio_api/file=", Plan("endless"))
    settings = ConnectionSettings(url=evil.url, download_max_bytes=8 * MiB)
    with pytest.raises(TooLargeError) as info:
        fetch_video(ServerFile(path="/outputs/endless.mp4"), settings, tmp_path / "out")
    assert "8 MiB" in str(info.value)
    assert not list((tmp_path / "out").iterdir())
