"""Big result downloads with few, large reads: stdlib ``http.client`` reading into one reused 1 MiB buffer
(at most one socket read each), on the calling (worker) thread.

Why not httpx here: its cost is per chunk (h11 parsing and, on the async client, event-loop hops every
64 KiB), 3.3-3.9 CPU-seconds per GiB against 1.05 for this loop (docs/performance.md, P5), and on a
2-core machine that CPU is taken from the server. Everything else stays as with httpx:

* TLS is verified with the context httpx itself builds by default (certifi, or ``SSL_CERT_FILE`` /
  ``SSL_CERT_DIR``), so a certificate that httpx refuses is refused here too.
* When the environment names a proxy (``HTTP(S)_PROXY``/``ALL_PROXY``, honoured by httpx), the transfer
  goes through an ``httpx.Client`` with the same settings instead: proxy behaviour is httpx's, unchanged.
* Transport failures are raised as httpx's exception classes (``ConnectError``, ``ReadTimeout``,
  ``RemoteProtocolError`` …, chained to the original), so callers keep one mapping onto typed errors.
* Redirects are followed only when asked; a redirect to another origin drops ``Authorization`` and
  ``Cookie`` (like httpx).

httpx is imported lazily (only to build the TLS context, raise its errors, or go through a proxy).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from .tls import verify_context

CHUNK = 1 << 20
MAX_REDIRECTS = 20  # httpx's default
_REDIRECTS = (301, 302, 303, 307, 308)
_SENSITIVE = ("authorization", "cookie")

#: ``progress(bytes_done, bytes_total_or_None)``
ByteProgress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float  # per read, not for the whole body


@functools.lru_cache(maxsize=1)
def _unverified_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context(verify=False)


def _tls_context(verify: bool) -> ssl.SSLContext:
    """httpx's own default context, one per process (building one loads the CA bundle, ~50 ms)."""
    return verify_context() if verify else _unverified_context()


def proxy_configured(url: str) -> bool:
    """True when the environment names a proxy for this URL's scheme (httpx then applies NO_PROXY)."""
    proxies = urllib.request.getproxies()
    scheme = urllib.parse.urlsplit(url).scheme
    return bool(proxies.get(scheme) or proxies.get("all"))


class Abort:
    """A stop switch for one transfer, safe to flip from another thread: a blocked connect or read returns
    at once (its socket is shut down) and the transfer raises ``httpx.ReadError``."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None

    def set(self) -> None:
        self._event.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise _httpx().ReadError("The transfer was stopped.")

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
        if sock is not None and self._event.is_set():
            self.set()


class Stream:
    """One answered GET: ``status`` and ``headers`` first, then :meth:`save` the body."""

    def __init__(self, status: int, url: str, headers: Mapping[str, str], abort: Abort) -> None:
        self.status, self.url, self.headers = status, url, headers
        self._abort = abort

    @property
    def length(self) -> int | None:
        raw = self.headers.get("content-length")
        return int(raw) if raw and raw.strip().isdigit() else None

    def save(
        self, out: IO[bytes], *, progress: ByteProgress | None = None, check: Callable[[], None] | None = None
    ) -> int:
        """Write the body to ``out``; returns the byte count, which the caller compares with :attr:`length`
        (a connection closed early ends the body short, without an error). ``check()`` runs after every
        read (it may raise, e.g. on cancel)."""
        total = self.length
        done = 0
        for chunk in self._chunks():
            self._abort.check()
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            if check is not None:
                check()
        self._abort.check()
        return done

    def _chunks(self) -> Iterator[memoryview | bytes]:
        raise NotImplementedError


class _DirectStream(Stream):
    def __init__(self, response: http.client.HTTPResponse, url: str, abort: Abort) -> None:
        super().__init__(response.status, url, {k.lower(): v for k, v in response.getheaders()}, abort)
        self._response = response

    def _chunks(self) -> Iterator[memoryview]:
        buffer = bytearray(CHUNK)  # one buffer, reused: memory stays flat whatever the file size
        view = memoryview(buffer)
        response = self._response
        if response.chunked or response.fp is None:
            while True:  # http.client undoes the chunked framing
                with _translated(read=True):
                    n = response.readinto(buffer)
                if not n:
                    return
                yield view[:n]
        # At most one socket read per chunk (``readinto1``): up to 1 MiB when the data is there, and
        # whatever has arrived on a slow link, so progress and cancel checks keep coming. We own this
        # connection and close it after, so http.client's own byte count is not needed.
        left = response.length  # None: until the server closes
        while left is None or left > 0:
            size = CHUNK if left is None else min(CHUNK, left)
            with _translated(read=True):
                n = response.fp.readinto1(view[:size])
            if not n:
                return
            if left is not None:
                left -= n
            yield view[:n]


class _HttpxStream(Stream):
    """Through a proxy: httpx's own sync client and proxy handling, with large reads."""

    def __init__(self, response: Any, abort: Abort) -> None:
        headers = {k.lower(): v for k, v in response.headers.items()}
        super().__init__(response.status_code, str(response.url), headers, abort)
        self._response = response

    def _chunks(self) -> Iterator[bytes]:
        # Raw bytes, as the direct path (which asks for no compression): Content-Length counts these. A
        # short body raises httpx.RemoteProtocolError here (h11 checks it).
        yield from self._response.iter_raw(CHUNK)


def _httpx() -> Any:
    import httpx

    return httpx


@contextmanager
def _translated(*, read: bool) -> Iterator[None]:
    """stdlib network errors as httpx's classes (the original chained as ``__cause__``)."""
    httpx = _httpx()
    try:
        yield
    except TimeoutError as exc:
        raise (httpx.ReadTimeout if read else httpx.ConnectTimeout)(str(exc) or "timed out") from exc
    except ssl.SSLError as exc:
        raise (httpx.ReadError if read else httpx.ConnectError)(str(exc)) from exc
    except http.client.HTTPException as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
    except OSError as exc:
        raise (httpx.ReadError if read else httpx.ConnectError)(str(exc) or type(exc).__name__) from exc


def _connect(url: str, timeouts: Timeouts, verify: bool) -> tuple[http.client.HTTPConnection, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _httpx().UnsupportedProtocol(f"Cannot download from a '{parts.scheme}' address.")
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeouts.connect, context=_tls_context(verify)
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeouts.connect)
    with _translated(read=False):
        try:
            conn.connect()
        except BaseException:
            conn.close()
            raise
    assert conn.sock is not None
    conn.sock.settimeout(timeouts.read)
    return conn, target


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


@contextmanager
def open_stream(
    url: str,
    *,
    headers: Mapping[str, str],
    timeouts: Timeouts,
    follow_redirects: bool = False,
    trust_env: bool = True,
    verify: bool = True,
    abort: Abort | None = None,
) -> Iterator[Stream]:
    """``GET url``; yields the answered :class:`Stream` (any status: the caller judges it)."""
    abort = abort or Abort()
    if trust_env and proxy_configured(url):
        with _open_httpx(url, headers, timeouts, follow_redirects, verify) as response:
            yield _HttpxStream(response, abort)
        return
    sent = dict(headers)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        abort.check()
        conn, target = _connect(current, timeouts, verify)
        abort.attach(conn.sock)
        try:
            with _translated(read=True):
                conn.request("GET", target, headers=sent)
                response = conn.getresponse()
            location = response.getheader("location")
            if not (follow_redirects and response.status in _REDIRECTS and location):
                yield _DirectStream(response, current, abort)
                return
            nxt = urllib.parse.urljoin(current, location)
            if _origin(nxt) != _origin(current):
                sent = {k: v for k, v in sent.items() if k.lower() not in _SENSITIVE}
            current = nxt
        finally:
            abort.attach(None)
            conn.close()
    raise _httpx().TooManyRedirects(f"More than {MAX_REDIRECTS} redirects.")


@contextmanager
def _open_httpx(
    url: str, headers: Mapping[str, str], timeouts: Timeouts, follow_redirects: bool, verify: bool
) -> Iterator[Any]:
    httpx = _httpx()
    timeout = httpx.Timeout(timeouts.read, connect=timeouts.connect)
    client = httpx.Client(
        headers=dict(headers), timeout=timeout, follow_redirects=follow_redirects, verify=verify
    )
    with client, client.stream("GET", url) as response:
        yield response


__all__ = ["CHUNK", "Abort", "ByteProgress", "Stream", "Timeouts", "open_stream", "proxy_configured"]
