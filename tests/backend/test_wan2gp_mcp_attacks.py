"""The MCP transport against bad answers: a real HTTP server on 127.0.0.1 (:class:`Rogue`, in this process)
that speaks WanGP's MCP shapes by default and, per test, answers one request badly: 406 / 400 / -32602,
an oversized or endless body, a redirect to another host, an SSE body, a hang, a dropped connection, tool
errors (busy, expired upload link, forgotten gallery id), a download URL elsewhere.

Not a mock: the client speaks real HTTP over a real socket, as to a real server. The real stand-in
(``scripts/wan2gp-standin --mcp``) is in test_wan2gp_mcp.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.errors import ErrorKind
from blender_movie_director.backend.wan2gp import Wan2GPClient
from blender_movie_director.backend.wan2gp.mcp.server import REQUIRED_TOOLS
from scripts.standins import videogen
from tests.security.local_http import LocalServer, QuietHandler

pytestmark = pytest.mark.timeout(60)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes/str as is
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = ""  # "hang": never answer; "drop": close without answering; "huge": ``size`` bytes of JSON
    size: int = 0
    announce: bool = True  # "huge": send Content-Length (else the client must count)


def tool_result(value: Any, *, error: bool = False) -> dict[str, Any]:
    if error:
        return {"content": [{"type": "text", "text": value}], "isError": True}
    structured = value if isinstance(value, dict) else {"result": value}
    return {
        "content": [{"type": "text", "text": json.dumps(value)}],
        "structuredContent": structured,
        "isError": False,
    }


SCHEMA = {
    "metadata": {
        "model_type": "t2v_1.3B",
        "fps": 16,
        "frames_minimum": 5,
        "frames_maximum": 97,
        "media_inputs": {"image": {"start": False}, "video": {"control": False}},
    }
}


class Rogue(LocalServer):
    """A scripted MCP server. ``plans[key] = fn(request_json) -> Reply`` where key is the tool name, the
    JSON-RPC method, or ``"PUT /up"`` / ``"GET /down"``; ``seen`` lists every key asked, in order."""

    def __init__(self, video: Path | None = None) -> None:
        self.seen: list[str] = []
        self.sent: dict[str, int] = {}
        self.plans: dict[str, Callable[[dict[str, Any]], Reply]] = {}
        self.video = video
        self.release = threading.Event()
        #: The clients a test made for this server: closed before it stops, so no job of theirs is still
        #: being followed (a stopped job's slot is held while the server ends it) when the next test runs.
        self.clients: list[Wan2GPClient] = []
        outer = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                outer._serve(self)

            do_GET = do_PUT = do_POST  # noqa: N815

        self._start(Handler, "test-mcp-rogue")

    def count(self, key: str) -> int:
        return self.seen.count(key)

    def close(self) -> None:
        self.release.set()
        super().close()

    # --- the default, WanGP-shaped answers ---------------------------------------------------------------
    def default(self, key: str, params: dict[str, Any]) -> Reply:
        args = params.get("arguments", {}) if isinstance(params, dict) else {}
        results: dict[str, Any] = {
            "initialize": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "serverInfo": {"name": "WanGP", "version": "1.10.1"},
            },
            "ping": {},
            "tools/list": {"tools": [{"name": n, "inputSchema": {}} for n in REQUIRED_TOOLS]},
        }
        if key in results:
            return Reply(body=results[key])
        tools: dict[str, Any] = {
            "wangp_get_model_schema": {"result": SCHEMA},
            "wangp_list_models": [
                {
                    "model_type": "t2v_1.3B",
                    "name": "Wan2.1 t2v",
                    "main_output": ["video"],
                    "inputs": ["text"],
                    "availability": {"available": True},
                }
            ],
            "wangp_create_gallery_upload": {"upload_url": "/up/1", "method": "PUT", "max_bytes": 1 << 30},
            "wangp_generate": {"job_id": "job1", "done": False, "events": [], "result": None},
            "wangp_cancel_job": {
                "job_id": "job1",
                "done": False,
                "cancel_requested": True,
                "events": [],
                "result": None,
            },
            "wangp_get_job": {
                "job_id": "job1",
                "done": True,
                "events": [],
                "result": {
                    "success": True,
                    "cancelled": False,
                    "errors": [],
                    "gallery_items": [
                        {"gallery_id": "visual:abc", "media_type": "video", "path": "/srv/o.mp4"}
                    ],
                },
            },
            "wangp_create_gallery_download": {
                "gallery_id": args.get("gallery_id"),
                "download_url": "/down/1",
                "filename": "o.mp4",
                "media_type": "video",
            },
        }
        if key in tools:
            value = tools[key]
            return Reply(
                body=tool_result(
                    value["result"] if isinstance(value, dict) and set(value) == {"result"} else value
                )
            )
        if key == "PUT /up":
            return Reply(body={"status": "uploaded", "gallery_id": "visual:up1", "media_type": "image"})
        if key == "GET /down" and self.video is not None:
            return Reply(body=self.video.read_bytes(), content_type="video/mp4")
        return Reply(404, {"error": "not found"})

    # --- HTTP -------------------------------------------------------------------------------------------
    def _serve(self, handler: QuietHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = handler.path
        message: dict[str, Any] = {}
        if handler.command == "POST" and path == "/mcp":
            key = "redirect"
        elif handler.command == "POST":
            message = json.loads(raw or b"{}")
            params = message.get("params") or {}
            key = params.get("name") if message.get("method") == "tools/call" else message.get("method", "")
        else:
            key = f"{handler.command} /{path.strip('/').split('/')[0]}"
        self.seen.append(key)
        plan = self.plans.get(key)
        if key == "redirect" and plan is None:
            reply = Reply(307, b"", headers={"Location": f"{self.url}/mcp/"})
        elif plan is not None:
            reply = plan(message)
        else:
            reply = self.default(key, message.get("params") or {})
        if key == "notifications/initialized" and plan is None:
            reply = Reply(202, b"")
        self._send(handler, key, message, reply)

    def _send(self, handler: QuietHandler, key: str, message: dict[str, Any], reply: Reply) -> None:
        if reply.mode == "hang":
            self.release.wait(30)
            return
        if reply.mode == "drop":
            handler.close_connection = True
            handler.wfile.flush()
            handler.connection.shutdown(2)
            return
        if reply.mode == "huge":
            self.sent[key] = 0
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            if reply.announce:
                handler.send_header("Content-Length", str(reply.size))
            else:
                handler.close_connection = True  # the body ends when the connection does
            handler.end_headers()
            chunk = b'{"jsonrpc": "2.0", "result": "' + b"x" * 65000
            try:
                while self.sent[key] < reply.size:
                    handler.wfile.write(chunk)
                    self.sent[key] += len(chunk)  # what reached the socket so far (the test reads it)
            except OSError:
                pass
            handler.close_connection = True
            return
        body = reply.body
        if (
            isinstance(body, (dict, list))
            and "id" in message
            and reply.content_type == "application/json"
            and reply.status == 200
            and "jsonrpc" not in body
        ):
            body = {"jsonrpc": "2.0", "id": message["id"], "result": body}
        data = (
            body
            if isinstance(body, bytes)
            else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
        )
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("rogue") / "clip.mp4"
    videogen.text_video(path, prompt="rogue", seed=1, width=64, height=48, frames=5, fps=16)
    return path


@pytest.fixture
def rogue(clip):
    with Rogue(clip) as server:
        yield server
        for client in server.clients:
            client.close()


def client_for(rogue: Rogue, tmp_path: Path, **kwargs: Any) -> Wan2GPClient:
    client = Wan2GPClient(rogue.url, transport="mcp", output_dir=tmp_path / "out", timeout=20, **kwargs)
    rogue.clients.append(client)
    return client


def rpc_error(code: int, message: str, status: int = 200) -> Callable[[dict[str, Any]], Reply]:
    return lambda m: Reply(
        status,
        {"jsonrpc": "2.0", "id": m.get("id", "server-error"), "error": {"code": code, "message": message}},
    )


# --- transport ----------------------------------------------------------------------------------------------


def test_redirect_is_followed_once_and_remembered(rogue, tmp_path):
    client = client_for(rogue, tmp_path)
    assert client.connect() and client.check_health()
    assert rogue.count("redirect") == 1  # POST /mcp -> 307 -> /mcp/, then /mcp/ directly
    assert client.get_server_status().transport == "mcp"


def test_redirect_to_another_host_is_refused(rogue, tmp_path):
    with Rogue() as elsewhere:
        rogue.plans["redirect"] = lambda m: Reply(307, b"", headers={"Location": f"{elsewhere.url}/mcp/"})
        with pytest.raises(Exception) as caught:
            client_for(rogue, tmp_path).connect()
        assert caught.value.kind is ErrorKind.UNSUPPORTED_SERVER
        assert "redirected Movie Director to another address" in caught.value.user_message
        assert elsewhere.seen == []


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        (
            rpc_error(
                -32600, "Not Acceptable: Client must accept both application/json and text/event-stream", 406
            ),
            ("not acceptable (HTTP 406)", "must accept both"),
        ),
        (
            rpc_error(-32602, "Validation error: 11 validation errors for JSONRPCMessage", 400),
            ("malformed (HTTP 400)", "JSON-RPC -32602: Validation error"),
        ),
        (rpc_error(-32602, "Invalid request parameters"), "JSON-RPC -32602, invalid parameters"),
        (lambda m: Reply(200, b"<html>a web page</html>", "text/html"), "not an MCP server"),
        (lambda m: Reply(200, b"{not json", "application/json"), "not valid JSON"),
    ],
    ids=["406", "400-32602", "200-32602", "html", "bad-json"],
)
def test_refusals_are_typed_with_the_servers_words(rogue, tmp_path, plan, words):
    rogue.plans["initialize"] = plan
    with pytest.raises(Exception) as caught:
        client_for(rogue, tmp_path).connect()
    assert caught.value.kind is ErrorKind.UNSUPPORTED_SERVER, caught.value
    for fragment in (words,) if isinstance(words, str) else words:
        assert fragment in caught.value.user_message


def test_an_sse_answer_is_read(rogue, tmp_path):
    def sse(message: dict[str, Any]) -> Reply:
        answer = {
            "jsonrpc": "2.0",
            "id": message["id"],
            "result": {"protocolVersion": "2025-06-18", "serverInfo": {"name": "WanGP"}},
        }
        return Reply(200, f"event: message\ndata: {json.dumps(answer)}\n\n", "text/event-stream")

    rogue.plans["initialize"] = sse
    assert client_for(rogue, tmp_path).connect()


@pytest.mark.parametrize("announce", [True, False], ids=["announced", "counted"])
def test_an_oversized_answer_is_cut_at_the_limit(rogue, tmp_path, announce):
    rogue.plans["tools/list"] = lambda m: Reply(mode="huge", size=200 << 20, announce=announce)
    with pytest.raises(Exception) as caught:
        client_for(rogue, tmp_path).connect()
    assert (
        caught.value.kind is ErrorKind.SERVER and "larger than the 2 MiB limit" in caught.value.user_message
    )
    assert rogue.sent["tools/list"] < 40 << 20  # the client hung up long before the 200 MiB


def test_an_mcp_server_without_wangps_tools(rogue, tmp_path):
    rogue.plans["tools/list"] = lambda m: Reply(body={"tools": [{"name": "read_file"}, {"name": "search"}]})
    with pytest.raises(Exception) as caught:
        client_for(rogue, tmp_path).connect()
    assert caught.value.kind is ErrorKind.UNSUPPORTED_SERVER
    assert "is not WanGP's" in caught.value.user_message and "wangp_generate" in caught.value.user_message


# --- jobs -----------------------------------------------------------------------------------------------


def test_a_job_end_to_end_through_the_rogue(rogue, tmp_path, clip):
    result = client_for(rogue, tmp_path).generate(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    assert result.success, result.error_message
    assert Path(result.video_path).read_bytes() == clip.read_bytes()
    assert result.metadata["transport"] == "mcp" and result.metadata["job_id"] == "job1"
    assert rogue.count("wangp_generate") == 1


def test_a_hanging_poll_is_cancelled_within_a_second(rogue, tmp_path):
    rogue.plans["wangp_get_job"] = lambda m: Reply(mode="hang")
    job = client_for(rogue, tmp_path).submit(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    while rogue.count("wangp_get_job") == 0:
        time.sleep(0.01)
    started = time.monotonic()
    job.abort()
    result = job.outcome(timeout=5)
    assert time.monotonic() - started < 1.0
    assert result.error_kind is ErrorKind.CANCELLED
    assert rogue.count("wangp_cancel_job") == 1  # WanGP's own cancel was asked for


def _followers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "movie-director-wan2gp-mcp-finish"]


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:
        time.sleep(0.02)
    return condition()


def test_a_stopped_jobs_follower_ends_on_close_and_when_the_server_is_gone(rogue, tmp_path, monkeypatch):
    """A cancelled job's slot is held while a follower polls the server until the job ends there. The follower
    ends within a second of the client's close (even mid-poll on a server that never answers), and by itself
    once the server has been unreachable for UNREACHABLE_GRACE (a stopped server runs no job of ours)."""
    from blender_movie_director.backend.wan2gp.mcp import server as mcp_server

    monkeypatch.setattr(mcp_server, "UNREACHABLE_GRACE", 0.3)
    assert not _followers()
    rogue.plans["wangp_get_job"] = lambda m: Reply(mode="hang")
    client = client_for(rogue, tmp_path)
    job = client.submit(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    assert _until(lambda: rogue.count("wangp_get_job") > 0, 10)
    job.abort()
    assert job.outcome(timeout=5).error_kind is ErrorKind.CANCELLED
    assert _until(lambda: len(_followers()) == 1, 2)  # polling a server that does not answer
    closed = time.monotonic()
    client.close()
    assert _until(lambda: not _followers(), 1.5), "the follower outlived the client's close"
    assert time.monotonic() - closed < 2.5

    gone = client_for(rogue, tmp_path)
    rogue.plans["wangp_get_job"] = lambda m: Reply(mode="hang")
    job = gone.submit(model="t2v_1.3B", prompt="a boat", seed=2, video_length=5)
    assert _until(lambda: rogue.count("wangp_get_job") > 1, 10)
    job.abort()
    assert job.outcome(timeout=5).error_kind is ErrorKind.CANCELLED
    rogue.close()  # the server stops: its hanging answer is cut, then nothing answers
    assert _until(lambda: not _followers(), 5), "the follower kept polling a server that is gone"


def test_busy_server_is_said_and_the_generation_not_sent_again(rogue, tmp_path):
    busy = "Error executing tool wangp_generate: WanGP session already has a generation in progress"
    rogue.plans["wangp_generate"] = lambda m: Reply(body=tool_result(busy, error=True))
    result = client_for(rogue, tmp_path).generate(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    assert result.error_kind is ErrorKind.SERVER
    assert (
        "busy with another generation" in result.error_message
        and "Nothing was started" in result.error_message
    )
    assert rogue.count("wangp_generate") == 1


def test_a_lost_generate_answer_is_uncertain_and_not_sent_again(rogue, tmp_path):
    rogue.plans["wangp_generate"] = lambda m: Reply(mode="drop")
    result = client_for(rogue, tmp_path).generate(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    assert result.error_kind is ErrorKind.SUBMISSION_UNCERTAIN, result.error_message
    assert "may have started on the Wan2GP server" in result.error_message
    assert rogue.count("wangp_generate") == 1


def test_cancel_during_a_model_load_is_a_cancel(rogue, tmp_path):
    """WanGP reports result.cancelled false when the cancel landed during a load (captured)."""
    hub = "An error happened while trying to locate the file on the Hub"
    snapshot = {
        "job_id": "job1",
        "done": True,
        "cancel_requested": True,
        "events": [],
        "result": {
            "success": False,
            "cancelled": False,
            "gallery_items": [],
            "errors": [
                {"message": hub, "stage": "generation", "cancelled": False},
                {"message": "Generation was cancelled", "stage": "cancelled", "cancelled": True},
            ],
        },
    }
    rogue.plans["wangp_get_job"] = lambda m: Reply(body=tool_result(snapshot))
    result = client_for(rogue, tmp_path).generate(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    assert result.error_kind is ErrorKind.CANCELLED, result.error_message


def test_a_model_the_server_lacks_is_said_before_anything_starts(rogue, tmp_path):
    rogue.plans["wangp_get_model_schema"] = lambda m: Reply(body=tool_result({"result": None}))
    result = client_for(rogue, tmp_path).generate(model="t2v", prompt="a boat", seed=1, video_length=5)
    assert result.error_kind is ErrorKind.MODEL_UNAVAILABLE
    assert "does not know the model 't2v'" in result.error_message
    assert "Models it has: t2v_1.3B" in result.error_message
    assert rogue.count("wangp_generate") == 0


def test_too_many_frames_for_the_servers_model_fail_before_submit(rogue, tmp_path):
    result = client_for(rogue, tmp_path).generate(model="t2v_1.3B", prompt="a boat", seed=1, video_length=121)
    assert result.error_kind is ErrorKind.VALIDATION and "at most 97 frames" in result.error_message
    assert rogue.count("wangp_generate") == 0


@pytest.fixture
def start_png(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "start.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path)
    return path


def test_an_expired_upload_link(rogue, tmp_path, start_png):
    rogue.plans["PUT /up"] = lambda m: Reply(404, {"error": "Upload expired or not found."})
    rogue.plans["wangp_get_model_schema"] = lambda m: Reply(body=tool_result({"result": {"metadata": {}}}))
    result = client_for(rogue, tmp_path).generate(model="i2v", prompt="a boat", seed=1, image_start=start_png)
    assert result.error_kind is ErrorKind.INTERRUPTED
    assert "upload link for" in result.error_message and "expired or was already used" in result.error_message
    assert rogue.count("wangp_generate") == 0


def test_a_gallery_id_the_server_forgot(rogue, tmp_path, start_png):
    said = "Error executing tool wangp_generate: 'Unknown WanGP gallery_id: visual:up1'"
    rogue.plans["wangp_generate"] = lambda m: Reply(body=tool_result(said, error=True))
    rogue.plans["wangp_get_model_schema"] = lambda m: Reply(body=tool_result({"result": {"metadata": {}}}))
    result = client_for(rogue, tmp_path).generate(model="i2v", prompt="a boat", seed=1, image_start=start_png)
    assert result.error_kind is ErrorKind.INTERRUPTED
    assert "no longer has the uploaded input" in result.error_message


def test_a_download_url_on_another_host_is_refused(rogue, tmp_path):
    with Rogue() as elsewhere:
        ticket = {"gallery_id": "visual:abc", "download_url": f"{elsewhere.url}/down/1", "filename": "o.mp4"}
        rogue.plans["wangp_create_gallery_download"] = lambda m: Reply(body=tool_result(ticket))
        result = client_for(rogue, tmp_path).generate(
            model="t2v_1.3B", prompt="a boat", seed=1, video_length=5
        )
        assert result.error_kind is ErrorKind.UNSUPPORTED_SERVER
        assert "named another address for the download" in result.error_message
        assert elsewhere.seen == []


def test_an_oversized_download_is_cut_at_the_limit(rogue, tmp_path):
    rogue.plans["GET /down"] = lambda m: Reply(mode="huge", size=64 << 20)
    client = client_for(rogue, tmp_path, download_max_bytes=1 << 20)
    result = client.generate(model="t2v_1.3B", prompt="a boat", seed=1, video_length=5)
    assert result.error_kind is ErrorKind.SERVER and "larger than the 1 MiB limit" in result.error_message
    assert not list((tmp_path / "out").glob("*.mp4"))  # nothing half-written is left


@pytest.mark.parametrize("tool", ["wangp_list_models", "wangp_list_loras", "wangp_postprocess"])
def test_what_the_panels_ask_stops_within_a_second(rogue, tmp_path, clip, tool):
    """list_models / list_loras / finish_processes on a server that never answers: ``stop`` ends them."""
    from blender_movie_director.backend.errors import JobCancelledError

    asked, stopping = threading.Event(), threading.Event()

    def hang(message: dict[str, Any]) -> Reply:
        asked.set()
        return Reply(mode="hang")

    rogue.plans[tool] = hang
    client = client_for(rogue, tmp_path)
    calls = {
        "wangp_list_models": lambda stop: client.list_models(stop=stop),
        "wangp_list_loras": lambda stop: client.list_loras("t2v_1.3B", stop=stop),
        "wangp_postprocess": lambda stop: client.finish_processes(clip, stop=stop),
    }
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            calls[tool](lambda: JobCancelledError("Stopped.") if stopping.is_set() else None)
        except BaseException as exc:  # the test looks at what ended the call
            outcome.append(exc)

    thread = threading.Thread(target=worker, name="test-panel-worker")
    thread.start()
    assert asked.wait(10)
    started = time.monotonic()
    stopping.set()
    thread.join(2)
    assert not thread.is_alive() and time.monotonic() - started < 1.0
    assert len(outcome) == 1 and isinstance(outcome[0], JobCancelledError)
