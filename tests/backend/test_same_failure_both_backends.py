"""The same failure reads the same from both backends: a 5xx, a 429 with and without Retry-After, a failed TLS
certificate check, a refused connection and a server that never answers, each met by a Wan2GP probe and a
WaveSpeed poll against the SAME real server on 127.0.0.1, give the same ErrorKind, the same retry decision
(the shared policy, backend/retry.py) and the same sentence once the service's name and the step are taken
out. A WaveSpeed submit (not idempotent) meets the same failures too: it is sent again only where the
failure certainly had no effect.

The servers are real: a threaded http.server answering with the status under test, an HTTPS server with a
self-signed certificate (made by the openssl tool), a closed port, and a listening socket that never
accepts.
"""

from __future__ import annotations

import asyncio
import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.backend.errors import BackendError, ErrorKind, Peer
from blender_movie_director.backend.retry import RetryPolicy, Verdict
from blender_movie_director.backend.wan2gp.transport import ConnectionSettings, probe
from blender_movie_director.backend.wavespeed.client import Timeouts, WaveSpeedClient
from blender_movie_director.backend.wavespeed.control import Control
from tests.fixtures.wan2gp_standin import free_port

KEY = "ws-same-failure-key-5c1e"
TASK = "task-7"
POLICY = RetryPolicy()


# --- the servers ------------------------------------------------------------------------------------
class _StatusServer:
    """Answers every request with ``status`` (and ``Retry-After`` when set), an empty body."""

    def __init__(self, status: int, retry_after: str | None, context: ssl.SSLContext | None = None) -> None:
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        scheme = "http"
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=lambda: self.server.serve_forever(poll_interval=0.05),
            name="test-status-server",
            daemon=True,
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class _SilentServer:
    """Completes the TCP handshake (the listen backlog) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@dataclass(frozen=True)
class Failure:
    id: str
    kind: ErrorKind
    retryable: bool
    #: Whether a WaveSpeed submit meeting this failure may be sent again (nothing was created).
    submit_again: bool
    status: int | None = None
    retry_after: str | None = None


FAILURES = [
    Failure("http-503", ErrorKind.SERVER, True, False, status=503),
    Failure("http-500", ErrorKind.SERVER, True, False, status=500),
    Failure("429-without-retry-after", ErrorKind.RATE_LIMIT, True, True, status=429),
    Failure("429-with-retry-after", ErrorKind.RATE_LIMIT, True, True, status=429, retry_after="3"),
    Failure("tls-self-signed", ErrorKind.CONNECTION, False, False),
    Failure("connection-refused", ErrorKind.CONNECTION, True, True),
    Failure("no-answer-in-time", ErrorKind.TIMEOUT, True, False),
]


@pytest.fixture(params=FAILURES, ids=[f.id for f in FAILURES])
def failing(request: pytest.FixtureRequest, self_signed: ssl.SSLContext) -> Iterator[tuple[Failure, str]]:
    failure: Failure = request.param
    server: Any = None
    if failure.status is not None:
        server = _StatusServer(failure.status, failure.retry_after)
        url = server.url
    elif failure.id.startswith("tls"):
        server = _StatusServer(200, None, self_signed)
        url = server.url
    elif failure.id == "connection-refused":
        url = f"http://127.0.0.1:{free_port()}"
    else:
        server = _SilentServer()
        url = server.url
    try:
        yield failure, url
    finally:
        if server is not None:
            server.close()


# --- the two backends meet it --------------------------------------------------------------------
def wan2gp_probe(url: str) -> tuple[BackendError, Peer, str]:
    settings = ConnectionSettings(url=url, probe_timeout=0.5)
    result = probe(settings)
    assert not result.reachable and result.error is not None
    return result.error, settings.peer, ""


def _wavespeed(url: str) -> WaveSpeedClient:
    return WaveSpeedClient(KEY, url, timeouts=Timeouts(connect=0.5, read=0.5, submit=0.5))


async def _closing(client: WaveSpeedClient, call: Any) -> BackendError:
    try:
        await call
    except BackendError as err:
        return err
    finally:
        await client.aclose()
    raise AssertionError("the call succeeded against a failing server")


def wavespeed_poll(url: str) -> tuple[BackendError, Peer, str]:
    client = _wavespeed(url)
    error = asyncio.run(_closing(client, client.get_result(TASK, Control(timeout=10))))
    return error, client.peer, f"polling task {TASK}"


def wavespeed_submit(url: str) -> BackendError:
    client = _wavespeed(url)
    return asyncio.run(_closing(client, client.submit("wavespeed-ai/any-model", {"prompt": "x"}, Control())))


def wording(error: BackendError, peer: Peer, during: str) -> str:
    """The sentence with the service's name, the step and the service's own hint taken out."""
    text = error.user_message
    if during:
        text = text.replace(f" while {during}", "")
    if peer.unreachable_hint:
        text = text.replace(f" {peer.unreachable_hint}", "")
    return text.replace(peer.subject, "<service>").replace(peer.name, "<service>")


def test_same_failure_same_kind_decision_and_wording(failing: tuple[Failure, str]) -> None:
    failure, url = failing
    wan, wan_peer, wan_during = wan2gp_probe(url)
    ws, ws_peer, ws_during = wavespeed_poll(url)
    for error in (wan, ws):
        assert error.kind is failure.kind, (failure.id, error)
        assert error.retryable is failure.retryable, (failure.id, error)
    assert wan.safe_to_resend is ws.safe_to_resend
    assert getattr(wan, "retry_after", None) == getattr(ws, "retry_after", None)
    if failure.retry_after is not None:
        assert ws.retry_after == float(failure.retry_after)
    wan_decision = POLICY.decide(wan, 1, idempotent=True, remaining=60.0)
    ws_decision = POLICY.decide(ws, 1, idempotent=True, remaining=60.0)
    assert (
        wan_decision.verdict is ws_decision.verdict is (Verdict.RETRY if failure.retryable else Verdict.FINAL)
    )
    if failure.retry_after is not None:
        assert wan_decision.delay == ws_decision.delay == float(failure.retry_after)
    assert wording(wan, wan_peer, wan_during) == wording(ws, ws_peer, ws_during)
    assert url in wan.user_message and url in ws.user_message
    assert KEY not in ws.user_message and KEY not in repr(ws_peer)


def test_a_submit_goes_again_only_when_the_failure_had_no_effect(failing: tuple[Failure, str]) -> None:
    failure, url = failing
    submit = wavespeed_submit(url)
    again = POLICY.decide(submit, 1, idempotent=False, remaining=60.0)
    assert again.retry is failure.submit_again, (failure.id, submit)
    # The poll's error, judged as if it had been a submit, reaches the same verdict: one policy, one answer.
    poll, _, _ = wavespeed_poll(url)
    assert POLICY.decide(poll, 1, idempotent=False, remaining=60.0).retry is failure.submit_again
    if failure.kind in (ErrorKind.SERVER, ErrorKind.TIMEOUT):
        assert submit.kind is ErrorKind.SUBMISSION_UNCERTAIN, submit
        assert "may have been created and billed" in submit.user_message
        assert "history" in submit.user_message
    else:
        assert submit.kind is failure.kind, submit
