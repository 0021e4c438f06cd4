"""The large-read download path (``backend/bulk_download.py``) against small in-process HTTP servers on
127.0.0.1 (real sockets): redirects and which headers follow them, short and chunked bodies, read timeouts,
aborting a stalled transfer from another thread, and the switch to httpx when a proxy is configured."""

from __future__ import annotations

import http.client
import io
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from blender_movie_director.backend.bulk_download import Abort, Timeouts, open_stream
from blender_movie_director.backend.errors import BackendConnectionError, ServerError
from blender_movie_director.backend.wan2gp.download import ServerFile, fetch_video
from blender_movie_director.backend.wan2gp.transport import ConnectionSettings
from tests.backend.test_wavespeed_support import make_mp4

BODY = bytes(range(256)) * 12_000  # ~3 MiB: several reads
FAST = Timeouts(connect=2.0, read=2.0)


class _Server:
    """Serves a few fixed routes and records every request's path and headers."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.other: _Server | None = None  # target of /cross-redirect
        self.release = threading.Event()
        self.files: dict[str, bytes] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                outer.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = self.path.split("?")[0]
                if route.startswith("/gradio_api/file="):  # a WanGP output
                    name = urllib.parse.unquote(route.partition("=")[2])
                    if name.endswith("boom.mp4"):
                        self.send_error(500)
                    elif name.endswith("short.mp4") and "/good.mp4" in outer.files:
                        whole = outer.files["/good.mp4"]
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(whole)))
                        self.end_headers()
                        self.wfile.write(whole[: len(whole) // 2])
                        self.close_connection = True
                    elif name in outer.files:
                        self._send(outer.files[name])
                    else:
                        self.send_error(404)
                elif route == "/file" or self.path.startswith("http://"):  # a proxy gets the absolute URL
                    self._send(BODY)
                elif route == "/same-redirect":
                    self._redirect("/file")
                elif route == "/cross-redirect":
                    assert outer.other is not None
                    self._redirect(f"{outer.other.url}/file")
                elif route == "/short":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(BODY)))
                    self.end_headers()
                    self.wfile.write(BODY[:1000])
                    self.close_connection = True
                elif route == "/chunked":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(BODY), 700_000):
                        part = BODY[i : i + 700_000]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                elif route == "/stall":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(BODY)))
                    self.end_headers()
                    self.wfile.write(BODY[:5000])
                    self.wfile.flush()
                    outer.release.wait(10)
                    self.close_connection = True
                else:
                    self.send_error(404)

            def _send(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _redirect(self, where: str) -> None:
                self.send_response(302)
                self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers(monkeypatch) -> Iterator[tuple[_Server, _Server]]:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    a, b = _Server(), _Server()
    a.other = b
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _get(url: str, **kwargs: Any) -> tuple[int, bytes, int | None]:
    out = io.BytesIO()
    with open_stream(url, headers=kwargs.pop("headers", {}), timeouts=FAST, **kwargs) as stream:
        stream.save(out)
        return stream.status, out.getvalue(), stream.length


def test_whole_body_in_few_reads(servers):
    a, _ = servers
    reads: list[int] = []
    out = io.BytesIO()
    with open_stream(f"{a.url}/file", headers={"X-Client-Name": "t"}, timeouts=FAST) as stream:
        assert stream.status == 200 and stream.length == len(BODY)
        assert stream.save(out, progress=lambda done, total: reads.append(done)) == len(BODY)
    assert out.getvalue() == BODY
    assert reads[-1] == len(BODY) and reads == sorted(reads)
    assert a.seen[0][1]["accept-encoding"] == "identity"  # no compression: Content-Length counts the file


def test_redirects_follow_only_when_asked_and_drop_credentials_across_origins(servers):
    a, b = servers
    secret = {"Authorization": "Bearer k-123", "Cookie": "s=1", "X-Client-Name": "t"}
    status, _, _ = _get(f"{a.url}/same-redirect", headers=secret)
    assert status == 302  # not followed by default
    status, body, _ = _get(f"{a.url}/same-redirect", headers=secret, follow_redirects=True)
    assert status == 200 and body == BODY
    assert a.seen[-1][1]["authorization"] == "Bearer k-123"  # same origin: kept
    status, body, _ = _get(f"{a.url}/cross-redirect", headers=secret, follow_redirects=True)
    assert status == 200 and body == BODY
    path, headers = b.seen[-1]
    assert path == "/file" and "authorization" not in headers and "cookie" not in headers
    assert headers["x-client-name"] == "t"


def test_a_short_body_is_reported_by_its_count(servers):
    a, _ = servers
    status, body, length = _get(f"{a.url}/short")
    assert status == 200 and length == len(BODY) and body == BODY[:1000]


def test_chunked_bodies_are_unframed(servers):
    a, _ = servers
    status, body, length = _get(f"{a.url}/chunked")
    assert status == 200 and length is None and body == BODY


def test_a_stalled_read_times_out_as_httpx_read_timeout(servers):
    a, _ = servers
    slow = Timeouts(connect=2.0, read=0.3)
    with (
        pytest.raises(httpx.ReadTimeout) as err,
        open_stream(f"{a.url}/stall", headers={}, timeouts=slow) as s,
    ):
        s.save(io.BytesIO())
    assert isinstance(err.value.__cause__, TimeoutError)


def test_abort_from_another_thread_ends_a_stalled_read_at_once(servers):
    a, _ = servers
    abort = Abort()
    got: list[BaseException] = []

    def fetch() -> None:
        try:
            with open_stream(
                f"{a.url}/stall", headers={}, timeouts=Timeouts(2.0, 30.0), abort=abort
            ) as stream:
                stream.save(io.BytesIO())
        except BaseException as exc:  # recorded for the assertion below
            got.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    deadline = time.monotonic() + 5
    while not a.seen and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    abort.set()
    worker.join(5)
    assert not worker.is_alive(), "the read did not return after abort"
    assert got and isinstance(got[0], httpx.ReadError)


def test_refused_connection_is_httpx_connect_error(servers):
    with socket_port() as port, pytest.raises(httpx.ConnectError):
        _get(f"http://127.0.0.1:{port}/file")


def test_a_configured_proxy_is_used_through_httpx(servers, monkeypatch):
    """With HTTP_PROXY set, the request goes to the proxy (here server b, which answers absolute URLs)."""
    a, b = servers
    monkeypatch.setenv("HTTP_PROXY", b.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    status, body, _ = _get(f"{a.url}/file")
    assert status == 200 and body == BODY
    assert b.seen and b.seen[-1][0] == f"{a.url}/file" and not a.seen


class socket_port:
    """A port with nothing listening (bound, then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        return None


def test_http_client_is_what_runs_without_a_proxy(servers, monkeypatch):
    """Guards the point of the module: no httpx client is built for a direct download."""
    a, _ = servers

    def no_client(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("httpx.Client used for a direct download")

    monkeypatch.setattr(httpx, "Client", no_client)
    status, body, _ = _get(f"{a.url}/file")
    assert status == 200 and body == BODY
    assert http.client.HTTPConnection  # the stdlib path


# -- the Wan2GP client's streamed download (fetch_video with the local copy off) ---------------------
def test_wan2gp_stream_sends_headers_and_cookies_and_checks_the_mp4(servers, tmp_path):
    a, _ = servers
    a.files["/good.mp4"] = make_mp4(tmp_path / "src.mp4", seconds=1.0).read_bytes()
    settings = ConnectionSettings(url=a.url, headers={"X-Proxy-Token": "tok-12345"})
    got = fetch_video(
        ServerFile(path="/good.mp4", size=len(a.files["/good.mp4"])),
        settings,
        tmp_path / "out",
        cookies={"access-token": "c-1"},
        allow_local_copy=False,
    )
    assert got.path.read_bytes() == a.files["/good.mp4"] and got.info.frames > 0 and not got.local_copy
    headers = a.seen[-1][1]
    assert headers["x-proxy-token"] == "tok-12345" and headers["cookie"] == "access-token=c-1"


@pytest.mark.parametrize(
    ("name", "error", "words"),
    [
        ("/gone.mp4", ServerError, "will not hand out"),
        ("/boom.mp4", ServerError, "server error \\(HTTP 500\\)"),  # as WaveSpeed words a 5xx (errors.py)
        ("/short.mp4", BackendConnectionError, "Lost the connection"),
    ],
)
def test_wan2gp_stream_failures_are_typed_and_leave_nothing(servers, tmp_path, name, error, words):
    a, _ = servers
    a.files["/good.mp4"] = make_mp4(tmp_path / "src.mp4", seconds=1.0).read_bytes()
    out = tmp_path / "out"
    with pytest.raises(error, match=words):
        fetch_video(ServerFile(path=name), ConnectionSettings(url=a.url), out, allow_local_copy=False)
    assert list(out.iterdir()) == []  # no partial file left behind
