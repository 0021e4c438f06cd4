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
  ``Cookie`` (like httpx). Every hop must be http(s) (else :class:`~.addresses.RefusedTargetError`, never
  retried) and, given a :class:`~.addresses.TargetPolicy`, an address no more internal than the configured
  server's; the direct path then connects to the very addresses that were checked.
* ``save(max_bytes=…)`` stops at the size limit (announced or counted) with
  :class:`~.limits.BodyTooLargeError`; :func:`stop_when` flips an :class:`Abort` from a small watcher
  thread once a cancel or deadline turns true, so a stalled or trickling transfer ends within 0.1 s.

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
from typing import IO, TYPE_CHECKING, Any

from .addresses import IPAddress, TargetPolicy, check_scheme
from .limits import BodyTooLargeError
from .tls import verify_context

if TYPE_CHECKING:
    from .errors import BackendError

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
        self,
        out: IO[bytes],
        *,
        progress: ByteProgress | None = None,
        check: Callable[[], None] | None = None,
        max_bytes: int | None = None,
    ) -> int:
        """Write the body to ``out``; returns the byte count, which the caller compares with :attr:`length`
        (a connection closed early ends the body short, without an error). ``check()`` runs after every
        read (it may raise, e.g. on cancel). More than ``max_bytes`` (announced, or counted; 0 or None: no
        limit) raises :class:`~.limits.BodyTooLargeError` before the excess is written."""
        total = self.length
        if max_bytes and total is not None and total > max_bytes:
            raise BodyTooLargeError(max_bytes)
        done = 0
        for chunk in self._chunks():
            self._abort.check()
            if max_bytes and done + len(chunk) > max_bytes:
                raise BodyTooLargeError(max_bytes)
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


def _connect(
    url: str, timeouts: Timeouts, verify: bool, addresses: list[IPAddress] | None = None
) -> tuple[http.client.HTTPConnection, str]:
    parts = check_scheme(url)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeouts.connect, context=_tls_context(verify)
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeouts.connect)
    if addresses:
        # Connect to the checked addresses (TLS still verifies the host name): no second DNS answer.
        conn._create_connection = functools.partial(_connect_to, addresses)  # type: ignore[attr-defined]
    with _translated(read=False):
        try:
            conn.connect()
        except BaseException:
            conn.close()
            raise
    assert conn.sock is not None
    conn.sock.settimeout(timeouts.read)
    return conn, target


def _connect_to(
    addresses: list[IPAddress], address: tuple[str, int], timeout: float | None = None, source: Any = None
) -> socket.socket:
    error: OSError | None = None
    for ip in addresses:
        try:
            return socket.create_connection((str(ip), address[1]), timeout, source)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


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
    policy: TargetPolicy | None = None,
) -> Iterator[Stream]:
    """``GET url``; yields the answered :class:`Stream` (any status: the caller judges it). Every address
    (the first and each redirect) is checked: http(s) only, and ``policy`` when given."""
    abort = abort or Abort()
    proxied = trust_env and proxy_configured(url)
    sent = dict(headers)
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        abort.check()
        check_scheme(current, redirected=hop > 0)
        # Through a proxy the proxy connects: the check is on what this machine resolves the name to.
        addresses = policy.vet(current, redirected=hop > 0) if policy is not None else None
        if proxied:
            with _open_httpx(current, sent, timeouts, verify) as response:
                location = response.headers.get("location")
                if not (follow_redirects and response.status_code in _REDIRECTS and location):
                    yield _HttpxStream(response, abort)
                    return
        else:
            conn, target = _connect(current, timeouts, verify, addresses)
            abort.attach(conn.sock)
            try:
                with _translated(read=True):
                    conn.request("GET", target, headers=sent)
                    response = conn.getresponse()
                location = response.getheader("location")
                if not (follow_redirects and response.status in _REDIRECTS and location):
                    yield _DirectStream(response, current, abort)
                    return
            finally:
                abort.attach(None)
                conn.close()
        nxt = urllib.parse.urljoin(current, location)
        if _origin(nxt) != _origin(current):
            sent = {k: v for k, v in sent.items() if k.lower() not in _SENSITIVE}
        current = nxt
    raise _httpx().TooManyRedirects(f"More than {MAX_REDIRECTS} redirects.")


@contextmanager
def _open_httpx(url: str, headers: Mapping[str, str], timeouts: Timeouts, verify: bool) -> Iterator[Any]:
    """One hop through the environment's proxy (redirects are followed, and checked, by the caller)."""
    httpx = _httpx()
    timeout = httpx.Timeout(timeouts.read, connect=timeouts.connect)
    client = httpx.Client(headers=dict(headers), timeout=timeout, follow_redirects=False, verify=verify)
    with client, client.stream("GET", url) as response:
        yield response


#: ``stop()`` -> the error to give up with (cancel, deadline), or None to go on (a transfer, a call).
StopCheck = Callable[[], "BackendError | None"]


class FirstStop:
    """A :data:`StopCheck` as the true/false :func:`stop_when` polls, keeping the first error it named in
    ``error``: when the cut transfer then raises, that error is the outcome, not the cut."""

    def __init__(self, stop: StopCheck | None) -> None:
        self._stop = stop
        self.error: BackendError | None = None

    def __call__(self) -> bool:
        error = self._stop() if self._stop is not None else None
        if error is not None and self.error is None:
            self.error = error
        return error is not None


@contextmanager
def stop_when(abort: Abort, stop: Callable[[], bool], *, poll: float = 0.1) -> Iterator[None]:
    """For the block's duration, flip ``abort`` as soon as ``stop()`` is true (checked every ``poll`` s on
    a small daemon thread that ends with the block): a blocked connect or read then returns at once."""
    done = threading.Event()

    def watch() -> None:
        while not done.wait(poll):
            if stop():
                abort.set()
                return

    if stop():
        abort.set()
    watcher = threading.Thread(target=watch, name="movie-director-transfer-stop", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


__all__ = [
    "CHUNK",
    "Abort",
    "ByteProgress",
    "FirstStop",
    "StopCheck",
    "Stream",
    "Timeouts",
    "open_stream",
    "proxy_configured",
    "stop_when",
]
