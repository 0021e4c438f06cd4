"""Secrets, in real Blender, after runs that used a WaveSpeed key (a good one, a server that echoes it back in
an error, and a wrong one): the key's bytes are nowhere in the saved .blend, the job store, the output
folder, the logs, the shots' error texts, the strips' metadata or any exception's repr; the key only
travels to WaveSpeed's API host (not to the download host, not to the Wan2GP server); TLS certificates are
verified by default, so a server that cannot prove who it is gets nothing.
"""

from __future__ import annotations

import gc
import http.server
import logging
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.netwatch import watch
from tests.reliability.relay import Relay, Tap
from tests.reliability.studio import Studio, ThreadWatch

pytestmark = [pytest.mark.blender, pytest.mark.standin, pytest.mark.timeout(240)]

WRONG_KEY = "ws-wrong-key-7f3a9c1e-DO-NOT-LEAK"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # the formatter adds any traceback


@pytest.fixture
def every_log() -> Iterator[_Capture]:
    """Every log record of every library, at DEBUG (httpx and httpcore included)."""
    root = logging.getLogger()
    capture = _Capture()
    old = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old)


def _texts_of_shots(studio: Studio) -> list[str]:
    from blender_movie_director.blender import vse

    texts = []
    for cam in [o for o in studio.scene.objects if o.type == "CAMERA"]:
        s = cam.movie_director
        texts += [s.last_error, s.progress_text, s.remote_id, s.error_kind]
        for take in s.takes:
            texts += [take.name, take.settings, take.prompt, take.task_id, take.filepath]
    for strip in studio.movie_strips():
        texts.append(repr(vse.provenance_of(strip)))
        texts += [f"{k}={strip[k]!r}" for k in strip.keys()]  # noqa: SIM118 - IDProperty keys
    return texts


def test_keys_stay_secret(
    studio: Studio, ws: Any, wan2gp_standin: Any, threads: ThreadWatch, every_log: _Capture
) -> None:
    from blender_movie_director.session import engine

    key = ws.api_key
    cdn = Relay(ws.url)  # the download host: a different host:port than the API
    api = Relay(
        ws.url,
        rewrite_body=lambda _path, _ctype, body: body.replace(
            f"{ws.url}/files/".encode(), f"{cdn.url}/files/".encode()
        ),
    )
    wan2gp = Tap(wan2gp_standin.url)
    try:
        studio.use_wavespeed(ws)
        studio.prefs.wavespeed_base_url = api.url
        studio.use_wan2gp(wan2gp.url)
        ok = studio.shot("Shot_010", prompt="a red balloon over rooftops")
        echo = studio.shot("Shot_020", prompt="a blue kite")
        local = studio.shot("Shot_030", backend="WAN2GP", prompt="a green field")
        # The second submit's task fails, and the service echoes the key back inside its error text.
        ws.add_fault("submit", action="task_fail", task_code=1401, task_error=f"bad input for {key}", after=1)
        with watch() as net:
            studio.generate(ok)
            studio.generate(local)
            assert studio.settle(ok) == "DONE", ok.movie_director.last_error
            studio.generate(echo)
            assert studio.settle(echo) == "FAILED"
            assert studio.settle(local) == "DONE", local.movie_director.last_error
            # A wrong key: also a secret.
            studio.prefs.wavespeed_api_key = WRONG_KEY
            wrong = studio.shot("Shot_040", prompt="a grey wall")
            studio.generate(wrong)
            assert studio.settle(wrong) == "FAILED" and wrong.movie_director.error_kind == "auth"
        assert "***" in echo.movie_director.last_error  # the echoed key was masked, the message kept
        # -- where the key travelled ---------------------------------------------------------------
        assert net.ports() <= {api.port, cdn.port, wan2gp.port}, net
        api_seen = api.requests()
        assert any(r.header("Authorization") == f"Bearer {key}" for r in api_seen)  # the check can fail
        assert any(r.header("Authorization") == f"Bearer {WRONG_KEY}" for r in api_seen)
        downloads = cdn.requests()
        assert downloads, "the clip was not fetched from the download host"
        for request in downloads:
            assert request.header("Authorization") is None, request
            assert key.encode() not in request.raw() and WRONG_KEY.encode() not in request.raw()
        assert key.encode() not in wan2gp.sent() and WRONG_KEY.encode() not in wan2gp.sent()
        assert b"POST" in wan2gp.sent()  # the Wan2GP job really went through the tap
        # -- where the key must not be -------------------------------------------------------------
        blend = studio.out.parent / "film.blend"
        studio.bpy.ops.wm.save_as_mainfile(filepath=str(blend), compress=False)
        secrets = (key.encode(), WRONG_KEY.encode())
        blend_bytes = blend.read_bytes()
        assert b"a red balloon over rooftops" in blend_bytes  # readable, so the grep means something
        files = [p for p in studio.out.rglob("*") if p.is_file()]
        store = studio.out / "movie_director_jobs.jsonl"
        assert store in files and ok.movie_director.remote_id.encode() in store.read_bytes()
        for path in [blend, *files]:
            data = path.read_bytes()
            for secret in secrets:
                assert secret not in data, path
        texts = _texts_of_shots(studio)
        manager = engine.current()
        texts += [repr(info) for info in manager.jobs()]
        texts += [info.error_message for info in manager.jobs()]
        texts += [repr(e) for e in gc.get_objects() if isinstance(e, BaseException)]
        assert every_log.lines, "nothing was logged: the log check would prove nothing"
        texts += every_log.lines
        for text in texts:
            for secret in (key, WRONG_KEY):
                assert secret not in text, text[:300]
    finally:
        for relay in (api, cdn, wan2gp):
            relay.close()
    threads.assert_none_left()


# --- TLS ---------------------------------------------------------------------------------------------
class _TLSServer:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (made by the openssl tool)."""

    def __init__(self, folder: Path) -> None:
        cert, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.requests: list[str] = []
        seen = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(f"{self.command} {self.path} {self.headers.get('Authorization')}")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-relay-tls", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_tls_is_verified_by_default(studio: Studio, threads: ThreadWatch, tmp_path: Path) -> None:
    import httpx

    server = _TLSServer(tmp_path)
    try:
        # Without verification the server answers: so a refusal below is the certificate check's doing.
        assert httpx.get(server.url + "/probe", verify=False).status_code == 200
        assert len(server.requests) == 1
        studio.prefs.wavespeed_api_key = "ws-tls-key-3b8d-NEVER-SENT"
        studio.prefs.wavespeed_base_url = server.url
        studio.use_wan2gp(server.url)
        paid = studio.shot("Shot_010", prompt="a bridge at night")
        free = studio.shot("Shot_020", backend="WAN2GP", prompt="a bridge at dawn")
        studio.generate(paid)
        studio.generate(free)
        studio.settle_all([paid, free], timeout=120)
        for cam in (paid, free):
            settings = cam.movie_director
            assert settings.status == "FAILED", (cam.name, settings.status)
            assert settings.error_kind == "connection", (cam.name, settings.last_error)
            assert "TLS certificate check" in settings.last_error, settings.last_error
        assert len(server.requests) == 1  # no request got past the handshake: the key was never sent
    finally:
        server.close()
    threads.assert_none_left()
