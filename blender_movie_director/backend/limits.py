"""Size limits on everything a server sends, in one place, and the bounded readers that enforce them.

Every answer is read incrementally and reading stops at its limit: a hostile or broken server that sends an
endless or huge body costs at most the limit in memory (plus one read), never the body. The defaults below
are what the job engine uses until the Blender layer passes a preference (``download_max_bytes``).

* ``DOWNLOAD_MAX_BYTES``: one finished video (streamed to disk; the cap bounds the disk and the time).
* ``JSON_MAX_BYTES``: one JSON API answer or error body (WaveSpeed polls, submits, uploads, prices; Wan2GP
  probes). Real answers are a few KB.
* ``CATALOG_MAX_BYTES``: WaveSpeed's model list.
* ``CONFIG_MAX_BYTES``: a Gradio ``/config`` or ``/gradio_api/info`` (WanGP 12.60: 2.6 MB and 4.5 MB;
  plugins add to both, hence the headroom).

Bodies are read raw and decoded here with a bounded decompressor (gzip/deflate only are asked for), so a
compressed "bomb" is cut at the limit too.

Threading: plain functions over the caller's response object; safe on any thread (the async reader on the
response's event loop).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from .errors import ServerError

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

DOWNLOAD_MAX_BYTES = 2 * GiB
JSON_MAX_BYTES = 2 * MiB
CATALOG_MAX_BYTES = 16 * MiB
CONFIG_MAX_BYTES = 16 * MiB

#: Encodings our capped requests accept (``Accept-Encoding``); anything else is refused, not decoded.
ACCEPT_ENCODING = "gzip, deflate"


def describe_size(n: int) -> str:
    """``2 GiB``, ``16 MiB``, ``512 KiB``, ``900 bytes``: how a limit is named in a message."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class TooLargeError(ServerError):
    """A server sent more than the limit for that answer; the rest was not read. Not retried: the same
    server will most likely send the same thing again."""

    retryable = False

    def __init__(self, what: str, limit: int, *, remote_id: str | None = None, hint: str = "") -> None:
        message = f"{what} was larger than the {describe_size(limit)} limit; the rest was not read."
        super().__init__(message + (f" {hint}" if hint else ""), remote_id=remote_id)
        self.limit = limit


class BodyTooLargeError(Exception):
    """Raised by the readers below; callers turn it into :class:`TooLargeError` naming the server."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


def announced_length(headers: Mapping[str, str]) -> int | None:
    raw = headers.get("content-length")
    return int(raw) if raw and raw.strip().isdigit() else None


class _Decoder:
    """Bounded decoding of one body: identity, gzip or deflate; never more than ``limit`` bytes out."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.total = 0
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise ValueError(f"the server sent an encoding that was not asked for ({encoding})")
        self._raw_deflate = encoding == "deflate"

    def feed(self, data: bytes) -> bytes:
        out = data if self._z is None else self._inflate(data)
        self.total += len(out)
        if self.total > self.limit:
            raise BodyTooLargeError(self.limit)
        return out

    def _inflate(self, data: bytes) -> bytes:
        assert self._z is not None
        parts: list[bytes] = []
        produced = 0
        while data:
            room = self.limit - self.total - produced + 1  # one byte over the limit is enough to know
            try:
                chunk = self._z.decompress(data, max(1, room))
            except zlib.error:
                if self._raw_deflate and not parts and self.total == 0:  # some servers send raw deflate
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._raw_deflate = False
                    continue
                raise
            parts.append(chunk)
            produced += len(chunk)
            if self.total + produced > self.limit:
                break
            data = self._z.unconsumed_tail
        return b"".join(parts)


def _decoder_for(response: Any, limit: int) -> _Decoder:
    """The bounded decoder of the response's body; a plain body announced larger than ``limit`` is refused
    before a byte is read (:class:`BodyTooLargeError`)."""
    announced = announced_length(response.headers)
    encoding = response.headers.get("content-encoding", "")
    if announced is not None and announced > limit and encoding in ("", "identity"):
        raise BodyTooLargeError(limit)
    return _Decoder(encoding, limit)


def read_capped(response: Any, limit: int) -> bytes:
    """The body of a streamed ``httpx.Response`` (sync), at most ``limit`` bytes after decoding; raises
    :class:`BodyTooLargeError` (announced or counted) and ``ValueError`` for an unasked-for encoding."""
    decoder = _decoder_for(response, limit)
    return b"".join(_feed(decoder, response.iter_raw()))


async def aread_capped(response: Any, limit: int) -> bytes:
    """:func:`read_capped` for an ``httpx.AsyncClient`` stream."""
    decoder = _decoder_for(response, limit)
    parts: list[bytes] = []
    async for chunk in _aiter(response):
        parts.append(decoder.feed(chunk))
    return b"".join(parts)


def _feed(decoder: _Decoder, chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield decoder.feed(chunk)


async def _aiter(response: Any) -> AsyncIterator[bytes]:
    async for chunk in response.aiter_raw():
        yield chunk


def plain_headers(headers: Any) -> list[tuple[str, str]]:
    """Response headers for a rebuilt ``httpx.Response`` holding the decoded body (no encoding, no length:
    httpx would decode again or check the length against the encoded size)."""
    drop = {"content-encoding", "content-length", "transfer-encoding"}
    return [(k, v) for k, v in headers.multi_items() if k.lower() not in drop]


def _asking_for_encodings(kwargs: dict[str, Any]) -> dict[str, str]:
    """The request's headers (taken out of ``kwargs``), asking only for the encodings decoded here."""
    headers = dict(kwargs.pop("headers", None) or {})
    headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)
    return headers


@contextmanager
def _decoding_errors(response: Any) -> Iterator[None]:
    """A body that does not decode (bad gzip/deflate, an unasked-for encoding) is httpx's DecodingError."""
    import httpx

    try:
        yield
    except (ValueError, zlib.error) as exc:
        raise httpx.DecodingError(str(exc), request=response.request) from exc


def _whole(response: Any, body: bytes) -> Any:
    """An ``httpx.Response`` holding the decoded ``body`` read from the streamed ``response``."""
    import httpx

    return httpx.Response(
        response.status_code,
        headers=plain_headers(response.headers),
        content=body,
        request=response.request,
    )


async def capped_request(client: Any, method: str, url: str, *, limit: int, **kwargs: Any) -> Any:
    """``client.request(method, url, **kwargs)`` on an ``httpx.AsyncClient`` with the body read under
    ``limit``: returns an ``httpx.Response`` with the whole (decoded) body. Raises
    :class:`BodyTooLargeError`; transport errors are httpx's, as for ``client.request``."""
    headers = _asking_for_encodings(kwargs)
    async with client.stream(method, url, headers=headers, **kwargs) as response:
        with _decoding_errors(response):
            body = await aread_capped(response, limit)
        return _whole(response, body)


def capped_get(client: Any, url: str, *, limit: int, **kwargs: Any) -> Any:
    """``client.get(url)`` on a sync ``httpx.Client`` (or the ``httpx`` module) with the body read under
    ``limit``; see :func:`capped_request`."""
    headers = _asking_for_encodings(kwargs)
    with client.stream("GET", url, headers=headers, **kwargs) as response:
        with _decoding_errors(response):
            body = read_capped(response, limit)
        return _whole(response, body)


__all__ = [
    "CATALOG_MAX_BYTES",
    "CONFIG_MAX_BYTES",
    "DOWNLOAD_MAX_BYTES",
    "JSON_MAX_BYTES",
    "BodyTooLargeError",
    "TooLargeError",
    "aread_capped",
    "capped_get",
    "capped_request",
    "describe_size",
    "read_capped",
]
