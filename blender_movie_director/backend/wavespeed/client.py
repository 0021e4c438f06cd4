"""A thin async WaveSpeed REST client: one ``httpx.AsyncClient`` per event loop, typed errors, no secret
ever in a message or repr.

Submit is sent exactly once: a timeout, a dropped connection or a 5xx after the request went out means
the task *may* exist (and be billed), which is reported as :class:`SubmissionUncertainError` with any
id the answer carried. Everything idempotent (polls, uploads, catalog, price quotes) is retried by the
shared policy (:mod:`..retry`: capped exponential backoff that honours ``Retry-After``); statuses and
transport failures are mapped by the shared :mod:`..errors` map, so they read as they do for Wan2GP.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import urllib.parse
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ..errors import (
    AuthenticationError,
    BackendConnectionError,
    BackendError,
    ModerationError,
    Peer,
    ServerError,
    SubmissionUncertainError,
    UnsupportedServerError,
    ValidationError,
    error_for_transport,
)
from ..errors import error_for_status as shared_error_for_status
from ..limits import (
    CATALOG_MAX_BYTES,
    DOWNLOAD_MAX_BYTES,
    JSON_MAX_BYTES,
    BodyTooLargeError,
    TooLargeError,
    capped_request,
)
from ..media import sniff_kind
from ..retry import RetryPolicy, Verdict, parse_retry_after
from .control import Control
from .error_map import clean_message, error_for_status, model_not_found
from .inputs import content_type

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.wavespeed.ai"
API_PREFIX = "/api/v3"
CLIENT_NAME = "blender-movie-director"


@dataclass(frozen=True)
class Timeouts:
    """Seconds per request; the job's overall deadline (``Control``) is separate and shortens these."""

    connect: float = 10.0
    read: float = 30.0  # polls, catalog, price
    submit: float = 60.0
    upload_min: float = 120.0
    upload_max: float = 600.0
    download_read: float = 60.0  # per chunk, not for the whole file


#: What to do after a submit whose outcome is unknown.
SUBMIT_UNCERTAIN = (
    "The task may have been created and billed; check your WaveSpeed history before submitting again."
)


class _Secret:
    """Holds the API key; its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "'***'"

    __str__ = __repr__


def _envelope_code(body: Any) -> int | None:
    code = body.get("code") if isinstance(body, Mapping) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


class WaveSpeedClient:
    """Low-level calls. ``api_key`` defaults to ``WAVESPEED_API_KEY``; ``base_url`` to
    ``WAVESPEED_BASE_URL`` or ``https://api.wavespeed.ai`` (any WaveSpeed-compatible endpoint works)."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        download_max_bytes: int = DOWNLOAD_MAX_BYTES,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("WAVESPEED_API_KEY", "")
        self._key = _Secret(key.strip())
        self.base_url = (base_url or os.environ.get("WAVESPEED_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        #: The largest result video this client downloads (a preference; :mod:`..limits` has the default).
        self.download_max_bytes = int(download_max_bytes)
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WaveSpeedClient(base_url={self.base_url!r}, api_key={'***' if self.has_key else None})"

    @property
    def has_key(self) -> bool:
        return bool(self._key.reveal())

    def scrub(self, text: Any) -> str:
        return clean_message(text, self._key.reveal())

    @property
    def peer(self) -> Peer:
        """This endpoint as error messages name it (the key masked in anything quoted)."""
        key = self._key.reveal()
        return Peer("WaveSpeed", self.base_url, secrets=(key,) if key else ())

    # -- connection handling -------------------------------------------------------------------
    def http(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` of the running event loop (created on first use, then reused)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            for dead in [lp for lp in self._clients if lp.is_closed()]:
                del self._clients[dead]
            client = self._clients.get(loop)
            if client is None or client.is_closed:
                client = httpx.AsyncClient(
                    timeout=httpx.Timeout(self.timeouts.read, connect=self.timeouts.connect),
                    headers=self.identity_headers(),
                    follow_redirects=False,
                )
                self._clients[loop] = client
        return client

    async def aclose(self) -> None:
        """Close the running loop's connections (other loops keep theirs)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()

    def identity_headers(self) -> dict[str, str]:
        """Who we are, on every request; never the key (downloads go to another host and send only these)."""
        return {"X-Client-Name": CLIENT_NAME, "User-Agent": f"{CLIENT_NAME}/0.1"}

    def _auth(self) -> dict[str, str]:
        if not self.has_key:
            raise AuthenticationError(
                "No WaveSpeed API key. Set it in the add-on preferences or in WAVESPEED_API_KEY."
            )
        return {"Authorization": f"Bearer {self._key.reveal()}"}

    def _url(self, path: str) -> str:
        return f"{self.base_url}{API_PREFIX}/{path.lstrip('/')}"

    def _timeout(self, read: float, control: Control | None) -> httpx.Timeout:
        read = control.cap(read) if control else read
        return httpx.Timeout(read, connect=min(self.timeouts.connect, read))

    # -- answers -----------------------------------------------------------------------------------
    def _read_envelope(self, resp: httpx.Response, *, remote_id: str | None = None, during: str = "") -> Any:
        """The ``data`` of a successful envelope, or the typed error for anything else."""
        try:
            body = resp.json()
        except ValueError:
            body = None
        message = self.scrub(body.get("message") or body.get("error")) if isinstance(body, Mapping) else ""
        code = _envelope_code(body)
        if not resp.is_success:
            if not message and resp.status_code >= 500:
                message = self.scrub(resp.text[:200])
            raise self._error_answer(resp.status_code, message, resp, remote_id, during, code=code)
        if not isinstance(body, Mapping):
            raise UnsupportedServerError(
                f"{self.base_url} did not answer with WaveSpeed JSON (HTTP {resp.status_code}).",
                remote_id=remote_id,
            )
        if code is not None and code != 200:
            raise self._error_answer(code, message, resp, remote_id, during, code=code)
        return body.get("data")

    def _error_answer(
        self,
        status: int,
        message: str,
        resp: httpx.Response,
        remote_id: str | None,
        during: str,
        *,
        code: int | None,
    ) -> BackendError:
        """The typed error for an HTTP error status, or for an error code inside an HTTP 200 body (WaveSpeed
        uses HTTP statuses there too, and its own 1xxx/5xxx codes)."""
        if 100 <= status < 600:
            retry_after = parse_retry_after(resp.headers)
            return error_for_status(
                status,
                message,
                self.peer,
                during=during,
                code=code,
                retry_after=retry_after,
                remote_id=remote_id,
            )
        detail = f" (code {code}): {message}" if message else f" (code {code})"
        if code == 1200:
            return ModerationError(f"WaveSpeed refused the content{detail}.", remote_id=remote_id, code=code)
        if 1400 <= code < 1500:
            return ValidationError(
                f"WaveSpeed rejected the settings{detail}.", remote_id=remote_id, code=code
            )
        error = ServerError(f"WaveSpeed reported an error{detail}.", remote_id=remote_id, code=code)
        error.retryable = code >= 5000
        return error

    def _transport_error(
        self, exc: httpx.HTTPError, during: str, remote_id: str | None, *, idempotent: bool = True
    ) -> BackendError:
        peer, uncertain = self.peer, SUBMIT_UNCERTAIN
        error = error_for_transport(
            exc, peer, during=during, idempotent=idempotent, uncertain=uncertain, remote_id=remote_id
        )
        if error is None:  # an httpx error that is neither a connection nor a read (e.g. a bad URL)
            error = BackendConnectionError(
                f"Cannot send a request to {self.peer.name} while {during} ({type(exc).__name__}).",
                remote_id=remote_id,
            )
        return error

    # -- retries for idempotent calls ----------------------------------------------------------
    async def with_retries(
        self,
        call: Callable[[], Awaitable[T]],
        control: Control,
        *,
        what: str,
        on_retry: Callable[[BackendError, float], None] | None = None,
    ) -> T:
        """Run the idempotent ``call`` until it succeeds or the shared policy says stop (429, 5xx, timeouts
        and dropped connections are retried; the job's deadline ends them, as it ends a wait)."""
        failures = 0
        while True:
            try:
                return await control.guard(call())
            except BackendError as exc:
                failures += 1
                decision = self.retry.decide(exc, failures, idempotent=True, remaining=control.remaining())
                if decision.verdict is Verdict.FINAL:
                    raise
                if decision.verdict is Verdict.DEADLINE:
                    raise control.deadline_error() from exc
                if not decision.retry:
                    note = f" Gave up after {failures} attempt{'s' if failures > 1 else ''}."
                    if exc.remote_id:
                        note += " The task may still finish: resume it later."
                    exc.user_message += note
                    exc.args = (exc.user_message,)
                    raise
                log.info("%s failed (%s); retry %d in %.1f s", what, exc.kind.value, failures, decision.delay)
                if on_retry is not None:
                    on_retry(exc, decision.delay)
                await control.sleep(decision.delay)

    async def _request(
        self,
        method: str,
        url: str,
        *,
        during: str,
        remote_id: str | None = None,
        limit: int = JSON_MAX_BYTES,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request whose answer is read under ``limit`` (:mod:`..limits`), whatever the server sends."""
        try:
            return await capped_request(self.http(), method, url, limit=limit, **kwargs)
        except BodyTooLargeError as exc:
            raise TooLargeError(
                f"The answer of {self.peer.name} while {during}", exc.limit, remote_id=remote_id
            ) from None

    async def _get(
        self,
        path: str,
        control: Control | None,
        *,
        during: str,
        remote_id: str | None = None,
        limit: int = JSON_MAX_BYTES,
    ) -> Any:
        try:
            resp = await self._request(
                "GET", self._url(path), during=during, remote_id=remote_id, limit=limit,
                headers=self._auth(), timeout=self._timeout(self.timeouts.read, control),
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, during, remote_id) from None
        return self._read_envelope(resp, remote_id=remote_id, during=during)

    async def _post_json(
        self, path: str, body: Mapping[str, Any], control: Control | None, during: str
    ) -> Any:
        try:
            resp = await self._request(
                "POST",
                self._url(path),
                during=during,
                json=dict(body),
                headers=self._auth(),
                timeout=self._timeout(self.timeouts.read, control),
            )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, during, None) from None
        return self._read_envelope(resp, during=during)

    # -- the API -------------------------------------------------------------------------------
    async def submit(self, model_id: str, payload: Mapping[str, Any], control: Control | None = None) -> dict:
        """``POST /api/v3/{model_id}`` once. Returns the task object (``data``) with its ``id``.

        Callers must have checked ``payload`` against the model's schema (:func:`check_payload_keys`).
        """
        headers = self._auth()
        try:
            resp = await self._request(
                "POST",
                self._url(model_id),
                during="submitting",
                json=dict(payload),
                headers=headers,
                timeout=self._timeout(self.timeouts.submit, control),
            )
        except TooLargeError as exc:  # the submit arrived: its task may exist
            raise SubmissionUncertainError(f"{exc.user_message} {SUBMIT_UNCERTAIN}") from None
        except httpx.HTTPError as exc:
            # Refused or unreachable: nothing was submitted. A timeout or a dropped answer: it may have been.
            raise self._transport_error(exc, "submitting", None, idempotent=False) from None
        return self._read_submit(resp, model_id)

    def _read_submit(self, resp: httpx.Response, model_id: str) -> dict:
        try:
            body = resp.json()
        except ValueError:
            body = None
        data = body.get("data") if isinstance(body, Mapping) else None
        task_id = str(data["id"]) if isinstance(data, Mapping) and data.get("id") else None
        code = _envelope_code(body)
        message = self.scrub(body.get("message") if isinstance(body, Mapping) else resp.text[:200])
        known = f" Task id: {task_id}." if task_id else ""
        if resp.status_code >= 500:
            raise shared_error_for_status(
                resp.status_code,
                self.peer,
                during="submitting",
                detail=message,
                idempotent=False,
                uncertain=f"{SUBMIT_UNCERTAIN}{known}",
                remote_id=task_id,
                code=code,
            )
        server_side = resp.is_success and code is not None and (500 <= code < 600 or code >= 5000)
        if server_side or (resp.is_success and code in (None, 200) and task_id is None):
            raise SubmissionUncertainError(
                f"{self.peer.subject} answered the submit with an error (HTTP {resp.status_code}"
                f"{', code ' + str(code) if code and code != resp.status_code else ''}"
                f"{': ' + message if message else ''}). {SUBMIT_UNCERTAIN}{known}",
                remote_id=task_id,
                code=code,
            )
        if resp.status_code == 404 or code == 404:
            raise model_not_found(
                model_id, self.scrub(body.get("message") if isinstance(body, Mapping) else "")
            )
        data = self._read_envelope(resp, during="submitting")
        assert isinstance(data, Mapping) and task_id
        return dict(data)

    async def get_result(self, task_id: str, control: Control | None = None) -> dict:
        """One ``GET /api/v3/predictions/{id}/result`` (no retry; see :meth:`with_retries`)."""
        # Quoted whole: an id with "/" or ".." must not turn into another path (httpx resolves dot segments).
        path = f"predictions/{urllib.parse.quote(task_id, safe='').replace('.', '%2E')}/result"
        data = await self._get(path, control, remote_id=task_id, during=f"polling task {task_id}")
        if not isinstance(data, Mapping):
            raise UnsupportedServerError(
                f"WaveSpeed returned no task object for {task_id}.", remote_id=task_id
            )
        return dict(data)

    async def upload(self, path: Path, control: Control) -> str:
        """``POST /api/v3/media/upload/binary`` (multipart ``file``, streamed from disk); returns the URL."""
        size = path.stat().st_size
        with path.open("rb") as f:
            kind = sniff_kind(f.read(64))
        ctype = content_type(kind or "")
        # Scale the timeout with the size (about 1 MB/s worst case), like the official desktop client.
        read = max(self.timeouts.upload_min, min(self.timeouts.upload_max, size / 1e6))

        async def once() -> Any:
            with path.open("rb") as stream:
                try:
                    resp = await self._request(
                        "POST",
                        self._url("media/upload/binary"),
                        during=f"uploading {path.name}",
                        files={"file": (path.name, stream, ctype)},
                        headers=self._auth(),
                        timeout=self._timeout(read, control),
                    )
                except httpx.HTTPError as exc:
                    raise self._transport_error(exc, f"uploading {path.name}", None) from None
            return self._read_envelope(resp, during=f"uploading {path.name}")

        data = await self.with_retries(once, control, what=f"upload {path.name}")
        url = data.get("download_url") or data.get("url") if isinstance(data, Mapping) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise UnsupportedServerError(f"WaveSpeed's upload answer for {path.name} had no download URL.")
        return url

    async def list_models(self, control: Control, *, retry: bool = True) -> list[dict]:
        """``GET /api/v3/models``: the live catalog."""
        call = lambda: self._get(  # noqa: E731
            "models", control, during="reading the model catalog", limit=CATALOG_MAX_BYTES
        )
        data = await (self.with_retries(call, control, what="catalog") if retry else control.guard(call()))
        if isinstance(data, Mapping):
            data = data.get("items") or data.get("models") or data.get("data") or []
        if not isinstance(data, list):
            raise UnsupportedServerError("WaveSpeed's model catalog has an unexpected shape.")
        return [dict(m) for m in data if isinstance(m, Mapping)]

    async def quote_price(
        self, model_id: str, inputs: Mapping[str, Any], control: Control, *, retry: bool = True
    ) -> dict:
        """``POST /api/v3/model/price {model_id, inputs}`` -> ``{price, discounted_price, currency, ...}``."""
        body = {"model_id": model_id, "inputs": dict(inputs)}
        call = lambda: self._post_json("model/price", body, control, "asking the price")  # noqa: E731
        data = await (
            self.with_retries(call, control, what="price quote") if retry else control.guard(call())
        )
        if not isinstance(data, Mapping):
            raise UnsupportedServerError("WaveSpeed's price quote has an unexpected shape.")
        return dict(data)

    async def get_balance(self, control: Control) -> float:
        data = await self.with_retries(
            lambda: self._get("balance", control, during="reading the balance"), control, what="balance"
        )
        balance = data.get("balance") if isinstance(data, Mapping) else None
        if not isinstance(balance, int | float):
            raise UnsupportedServerError("WaveSpeed's balance answer has an unexpected shape.")
        return float(balance)


__all__ = ["API_PREFIX", "DEFAULT_BASE_URL", "SUBMIT_UNCERTAIN", "Timeouts", "WaveSpeedClient"]
