"""Resume after a restart, the live catalog ("no longer offered"), the price endpoint and budgets,
the live-schema guard, and the 5004 "still processing" reply."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from blender_movie_director.backend.errors import (
    ModelUnavailableError,
    ServerError,
    SubmissionUncertainError,
    ValidationError,
)
from blender_movie_director.backend.wavespeed.models import SPECS_FILE, all_models
from blender_movie_director.backend.wavespeed.pricing import estimate_cost
from blender_movie_director.backend.wavespeed.validation import prepare_request
from tests.backend.test_wavespeed_support import assert_good_result, make_mp4, make_provider

pytestmark = pytest.mark.standin
REPO = Path(__file__).resolve().parents[2]

_CRASHING_JOB = r"""
import json, os, sys
sys.path.insert(0, {repo!r})
from blender_movie_director.backend.wavespeed.provider import WaveSpeedProvider

def persist_then_die(task):
    with open({store!r}, "w") as f:
        json.dump(task.to_dict(), f)
    os._exit(17)  # Blender dies right after the job store got the id

WaveSpeedProvider({key!r}, {url!r}).generate_sync(
    "ltx-2-fast", {{"prompt": "a storm over the sea", "duration": 6}},
    output_dir={out!r}, on_submitted=persist_then_die)
"""


def test_resume_after_the_process_died(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    store = tmp_path / "jobs.json"
    code = _CRASHING_JOB.format(
        repo=str(REPO), store=str(store), key=server.api_key, url=server.url, out=str(tmp_path / "out")
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True, text=True)
    assert proc.returncode == 17, proc.stderr
    saved = json.loads(store.read_text())
    assert server.api_key not in store.read_text()  # the store never holds the key
    assert not Path(saved["output_path"]).exists()
    # A new process (this one), a new provider: finish the paid task from the stored id alone.
    provider = make_provider(server)
    result = provider.resume_sync(saved["task_id"], model=saved["model_id"], output_path=saved["output_path"])
    assert_good_result(result, seconds=6)
    assert result.video_path == saved["output_path"] and result.metadata["resumed"]
    assert server.submit_count(created_only=False) == 1
    # Resuming again (e.g. a second restart) uses the file on disk without any request.
    before = len(server.requests())
    again = provider.resume_sync(saved["task_id"], output_path=saved["output_path"])
    assert again.success and again.metadata["already_downloaded"]
    assert len(server.requests()) == before


def test_resume_replaces_a_broken_earlier_download(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    provider = make_provider(server)
    first = provider.generate_sync("ltx-2-fast", {"prompt": "x"}, output_dir=tmp_path)
    path = Path(first.video_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    again = provider.resume_sync(first.metadata["task_id"], output_dir=tmp_path)
    assert_good_result(again)
    assert len(server.requests(route="download")) == 2


def test_resume_of_an_unknown_task(wavespeed_standin_clean, tmp_path):
    with pytest.raises(ServerError, match="not found") as err:
        make_provider(wavespeed_standin_clean).resume_sync("no-such-task", output_dir=tmp_path)
    assert err.value.remote_id == "no-such-task"


def test_resume_through_a_service_never_raises(wavespeed_standin_clean, tmp_path):
    from blender_movie_director.backend.wavespeed.services import LTX2FastService

    service = LTX2FastService(make_provider(wavespeed_standin_clean), output_dir=tmp_path)
    result = asyncio.run(service.resume("missing"))
    assert not result.success and result.metadata["remote_id"] == "missing"


# -- catalog ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["ltx-2-pro", "ltx-2-fast"])
def test_retired_model_is_reported_as_no_longer_offered(wavespeed_standin_clean, tmp_path, model):
    server = wavespeed_standin_clean
    spec = all_models()[f"lightricks/{model}/text-to-video"]
    server.retire_model(spec.model_id)
    with pytest.raises(ModelUnavailableError, match="no longer offered") as err:
        make_provider(server).generate_sync(model, {"prompt": "x"}, output_dir=tmp_path)
    assert "Lightricks retired" in str(err.value)
    assert server.requests(route="submit") == []
    # Without the catalog check the submit's 404 says the same, in plain words.
    with pytest.raises(ModelUnavailableError, match="does not offer"):
        make_provider(server, check_catalog=False, quote_price=False).generate_sync(model, {"prompt": "x"})
    assert server.submit_count() == 0


def test_catalog_unavailable_does_not_block(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    server.add_fault("models", status=503)
    assert_good_result(
        make_provider(server).generate_sync("ltx-2-fast", {"prompt": "x"}, output_dir=tmp_path)
    )


def test_catalog_lists_every_model_we_know(wavespeed_standin_clean):
    catalog = make_provider(wavespeed_standin_clean).catalog_sync()
    offered = {model_id for model_id, spec in all_models().items() if not spec.retired}
    assert offered <= set(catalog) and not set(all_models()) - offered & set(catalog)


def test_live_schema_guard_refuses_a_field_the_service_dropped(wavespeed_standin_factory, tmp_path):
    """If WaveSpeed's live schema loses a field our data still has, sending it would be silently dropped
    and billed: the provider refuses instead."""
    specs = json.loads(SPECS_FILE.read_text())
    del specs["models"]["wavespeed-ai/hunyuan-video-1.5/text-to-video"]["fields"]["negative_prompt"]
    narrowed = tmp_path / "specs.json"
    narrowed.write_text(json.dumps(specs))
    server = wavespeed_standin_factory(specs=str(narrowed))
    provider = make_provider(server)
    with pytest.raises(ValidationError, match="current schema") as err:
        provider.generate_sync("hunyuan-video-1.5", {"prompt": "x", "negative_prompt": "blur"})
    assert err.value.field == "negative_prompt"
    assert server.submit_count(created_only=False) == 0
    assert_good_result(provider.generate_sync("hunyuan-video-1.5", {"prompt": "x"}, output_dir=tmp_path))


# -- price ----------------------------------------------------------------------------------------------
def test_live_quotes_agree_with_our_estimates(wavespeed_standin_clean):
    """Both come from the same research; a disagreement means one side misread a price."""
    provider = make_provider(wavespeed_standin_clean)
    checked = 0

    async def main():
        nonlocal checked
        from blender_movie_director.backend.wavespeed.control import Control

        try:
            for spec in all_models().values():
                if spec.price_rule.seconds == "input_video" or spec.retired:
                    continue
                media = {
                    n: "https://e.invalid/in" for n, f in spec.fields.items() if f.media_kind and f.required
                }
                prepared = prepare_request(spec, {"prompt": "x", **media})
                estimate = estimate_cost(spec, **prepared.payload)
                if estimate.usd is None:
                    continue
                quote = await provider.client.quote_price(
                    spec.model_id, prepared.effective(), Control(timeout=10)
                )
                assert quote["price"] == pytest.approx(estimate.usd), spec.model_id
                assert quote["currency"] == "USD"
                checked += 1
        finally:
            await provider.client.aclose()

    asyncio.run(main())
    assert checked >= 10


def test_budget_refuses_before_submitting(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    provider = make_provider(server)
    with pytest.raises(ValidationError, match="above the limit") as err:
        provider.generate_sync("hunyuan-video-1.5", {"prompt": "x", "duration": 8}, max_cost=0.25)
    assert "$0.32" in str(err.value)
    assert server.submit_count(created_only=False) == 0
    result = provider.generate_sync(
        "hunyuan-video-1.5", {"prompt": "x", "duration": 8}, max_cost=0.32, output_dir=tmp_path
    )
    assert result.metadata["cost"] == pytest.approx(0.32) and result.metadata["cost_source"] == "quote"
    with pytest.raises(ValidationError, match="unknown"):  # no price is known for this one
        make_provider(server, quote_price=False).generate_sync("ltx-2-19b", {"prompt": "x"}, max_cost=5)


def test_without_a_budget_no_quote_is_asked_and_the_cost_is_our_estimate(wavespeed_standin_clean, tmp_path):
    """P4: one request less per job. The cost shown is then the price rule's estimate, marked as such."""
    server = wavespeed_standin_clean
    result = make_provider(server).generate_sync(
        "hunyuan-video-1.5", {"prompt": "x", "duration": 8}, output_dir=tmp_path
    )
    assert server.requests(route="price") == []
    assert result.metadata["cost"] == pytest.approx(0.32) and result.metadata["cost_source"] == "estimate"
    assert "$0.32" in result.metadata["cost_estimate"]


def test_price_endpoint_down_falls_back_to_the_estimate(wavespeed_standin_clean, tmp_path):
    server = wavespeed_standin_clean
    server.add_fault("price", status=500)
    result = make_provider(server, quote_price=True).generate_sync(
        "ltx-2-pro", {"prompt": "x"}, output_dir=tmp_path
    )
    assert result.metadata["cost"] == pytest.approx(0.36) and result.metadata["cost_source"] == "estimate"


# -- "code 5004 means still processing" ----------------------------------------------------------------
class _ProcessingThen5004Server(ThreadingHTTPServer):
    """Two shapes the stand-in cannot produce, from a small in-process HTTP server (real sockets):
    polls answered ``processing`` + ``data.code`` 5004 (the mid-2026 sync-timeout shape) three times and
    then ``completed``; and a submit answered HTTP 500 whose body still carries the task id."""

    daemon_threads = True

    def __init__(self, video: Path) -> None:
        self.video = video
        self.polls = 0
        self.submits = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _ProcessingThen5004Server

    def log_message(self, *args: object) -> None:
        pass

    def _json(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        """A submit that fails with HTTP 500 but whose answer still names the task it created."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.submits += 1
        self._json({"code": 500, "message": "internal error", "data": {"id": "t5004"}}, status=500)

    def do_GET(self) -> None:
        if self.path.startswith("/files/"):
            data = self.server.video.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.server.polls += 1
        task = {
            "id": "t5004",
            "status": "processing",
            "outputs": [],
            "code": 5004,
            "error": "Sync mode timed out after 90 seconds. The prediction is still processing "
            "asynchronously.",
        }
        if self.server.polls > 3:
            task = {
                "id": "t5004",
                "status": "completed",
                "outputs": [f"{self.server.url}/files/t5004.mp4"],
                "error": "",
                "has_nsfw_contents": [False],
            }
        self._json({"code": 200, "message": "success", "data": task})


def test_code_5004_while_processing_means_keep_polling(tmp_path):
    server = _ProcessingThen5004Server(make_mp4(tmp_path / "src.mp4", seconds=2))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        provider = make_provider(server, key="any-key")
        result = provider.resume_sync("t5004", output_dir=tmp_path / "out")
        assert_good_result(result, seconds=2)
        assert server.polls == 4
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_failed_submit_that_names_its_task_hands_the_id_back(tmp_path):
    server = _ProcessingThen5004Server(make_mp4(tmp_path / "src.mp4", seconds=2))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        provider = make_provider(server, key="any-key", check_catalog=False, quote_price=False)
        handed: list = []
        with pytest.raises(SubmissionUncertainError) as err:
            provider.generate_sync(
                "ltx-2-fast", {"prompt": "x"}, output_dir=tmp_path, on_submitted=handed.append
            )
        assert err.value.remote_id == "t5004" and "t5004" in str(err.value)
        assert [(t.task_id, t.uncertain) for t in handed] == [("t5004", True)]
        assert server.submits == 1
        assert_good_result(provider.resume_sync("t5004", output_dir=tmp_path))  # the paid task is kept
        assert server.submits == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
