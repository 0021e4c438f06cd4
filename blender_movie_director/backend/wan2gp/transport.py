"""HTTP plumbing shared by the Wan2GP client: connection settings, the light server probe, and the mapping
of gradio_client / httpx exceptions onto the backend's typed errors (HTTP statuses and transport failures
through the map both backends share, :mod:`..errors`; what only gradio_client raises, here).

gradio_client and httpx are imported lazily (only when a server is actually contacted); gradio_client
always through :func:`.gradio_import.load` (telemetry off, what the extension zip leaves out stood in for).
"""

from __future__ import annotations

import concurrent.futures
import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    AuthenticationError,
    BackendConnectionError,
    BackendError,
    Peer,
    RateLimitError,
    ServerError,
    UnsupportedServerError,
    error_for_status,
    error_for_transport,
    scrub_secrets,
)
from ..limits import DOWNLOAD_MAX_BYTES, JSON_MAX_BYTES, capped_get
from ..retry import parse_retry_after
from ..tls import verify_context

DEFAULT_URL = "http://localhost:7860"
#: Gradio sends an SSE heartbeat every 15 s; a read timeout must sit well above it.
HEARTBEAT_SECONDS = 15.0
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


def resolve_url(url: str | None) -> str:
    """The argument, else ``WAN2GP_URL``, else ``http://localhost:7860``; always ``http(s)://…`` without a
    trailing slash."""
    raw = (url or os.environ.get("WAN2GP_URL") or DEFAULT_URL).strip()
    if not raw.startswith(("http://", "https://")):
        raw = "http://" + raw  # gradio_client would treat "host:port" as a Hugging Face Space name
    parsed = urllib.parse.urlparse(raw)
    if not parsed.hostname:
        from ..errors import ValidationError

        raise ValidationError(f"'{url}' is not a server address (expected e.g. http://localhost:7860).")
    return raw.rstrip("/")


def is_loopback(url: str) -> bool:
    return (urllib.parse.urlparse(url).hostname or "").lower() in _LOOPBACK


@dataclass(frozen=True)
class ConnectionSettings:
    url: str
    auth: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    #: Probes (is the server alive?) must answer fast; a frozen server is "not alive".
    probe_timeout: float = 5.0
    #: The largest result video a job downloads (a preference; the default is in :mod:`..limits`).
    download_max_bytes: int = DOWNLOAD_MAX_BYTES

    def __post_init__(self) -> None:
        if self.read_timeout <= HEARTBEAT_SECONDS:
            raise ValueError(f"read_timeout must be above Gradio's {HEARTBEAT_SECONDS:g} s heartbeat")

    def httpx_kwargs(self) -> dict[str, Any]:
        import httpx

        timeout = httpx.Timeout(
            self.connect_timeout, read=self.read_timeout, write=60.0, pool=self.connect_timeout
        )
        kwargs: dict[str, Any] = {"timeout": timeout}
        if is_loopback(self.url):
            kwargs["trust_env"] = False  # a system proxy must not capture loopback traffic
        return kwargs

    @property
    def secrets(self) -> tuple[str, ...]:
        values = list(self.headers.values())
        if self.auth:
            values.append(self.auth[1])
        return tuple(v for v in values if v and len(v) >= 4)

    @property
    def peer(self) -> Peer:
        """This server as error messages name it."""
        return Peer("the Wan2GP server", self.url, self.secrets, "Is WanGP running (python wgp.py)?")

    def __repr__(self) -> str:
        auth = "(user, ***)" if self.auth else None
        return f"ConnectionSettings(url={self.url!r}, auth={auth}, headers={sorted(self.headers)})"


def api_url(settings: ConnectionSettings, path: str) -> str:
    return f"{settings.url}/gradio_api/{path.lstrip('/')}"


def open_http(settings: ConnectionSettings, *, timeout: float | None = None) -> Any:
    """An ``httpx.Client`` logged in to the server (when it needs a password), for probes and downloads."""
    import httpx

    kwargs = settings.httpx_kwargs()
    if timeout is not None:
        kwargs["timeout"] = httpx.Timeout(timeout)
    if settings.url.startswith("http://"):
        # Plain HTTP has no TLS to verify; loading the certificate bundle cost ~45 ms per probe (P8). With
        # redirects off this client can never reach an https:// address, where verification stays on.
        kwargs["verify"] = False
    else:
        kwargs["verify"] = verify_context()
    # No redirects: our cookies and proxy headers must not follow a redirect to another host.
    client = httpx.Client(headers=dict(settings.headers), follow_redirects=False, **kwargs)
    if settings.auth:
        try:
            response = client.post(
                f"{settings.url}/login", data={"username": settings.auth[0], "password": settings.auth[1]}
            )
        except Exception as exc:
            client.close()
            raise classify(exc, settings) from exc
        if not response.is_success:
            client.close()
            raise AuthenticationError(
                f"The Wan2GP server at {settings.url} rejected the user name or password "
                f"(HTTP {response.status_code})."
            )
    return client


@dataclass(frozen=True)
class ProbeResult:
    reachable: bool
    queue_size: int | None = None
    error: BackendError | None = None


def probe(settings: ConnectionSettings, http: Any | None = None) -> ProbeResult:
    """Is the server up? ``GET /gradio_api/queue/status`` is a few bytes, unlike the 2.6 MB ``/config``."""
    own = http is None
    try:
        if own:
            http = open_http(settings, timeout=settings.probe_timeout)
        response = capped_get(http, api_url(settings, "queue/status"), limit=JSON_MAX_BYTES)
        if response.status_code in (401, 403):
            return ProbeResult(False, error=_http_auth_error(settings, response.status_code))
        response.raise_for_status()
        return ProbeResult(True, queue_size=int(response.json().get("queue_size", 0) or 0))
    except BackendError as err:
        return ProbeResult(False, error=err)
    except Exception as exc:
        return ProbeResult(False, error=classify(exc, settings))
    finally:
        if own and http is not None:
            http.close()


def _http_auth_error(settings: ConnectionSettings, status: int) -> AuthenticationError:
    if settings.auth:
        return AuthenticationError(f"The Wan2GP server at {settings.url} refused the login (HTTP {status}).")
    return AuthenticationError(
        f"The Wan2GP server at {settings.url} requires authentication (HTTP {status}): set a user name "
        "and password, or the header your proxy expects."
    )


def classify(exc: BaseException, settings: ConnectionSettings, *, during: str = "") -> BackendError:
    """Map an exception from gradio_client/httpx to the backend's typed errors (secrets scrubbed)."""
    if isinstance(exc, BackendError):
        return exc
    where = f" while {during}" if during else ""
    text = scrub_secrets(str(exc) or type(exc).__name__, *settings.secrets)
    try:
        import httpx

        from .gradio_import import load

        gradio_client = load()
        gexc, gutils = gradio_client.exceptions, gradio_client.utils
    except ImportError:  # pragma: no cover - the backend's requirements include both
        return ServerError(f"Wan2GP request failed{where}: {text}")

    if isinstance(exc, gexc.AuthenticationError):
        return _http_auth_error(settings, 401)
    if isinstance(exc, gexc.AppError):
        message = scrub_secrets(str(getattr(exc, "message", "") or text), *settings.secrets)
        return ServerError(f"Wan2GP reported an error{where}: {message}")
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        if status in (401, 403):
            return _http_auth_error(settings, status)
        return error_for_status(
            status, settings.peer, during=during, retry_after=parse_retry_after(exc.response.headers)
        )
    # Classified as idempotent: a task loaded into a session dies with it (a retry starts a fresh session),
    # and the one call that starts a generation is never retried (the job judges its failures itself).
    transport = error_for_transport(exc, settings.peer, during=during)
    if transport is not None:
        return transport
    if isinstance(exc, (gutils.QueueError, gutils.TooManyRequestsError)):
        return RateLimitError(f"The Wan2GP server at {settings.url} is too busy{where}: {text}")
    if isinstance(exc, concurrent.futures.CancelledError):
        return BackendConnectionError(f"The connection to the Wan2GP server at {settings.url} closed{where}.")
    if isinstance(exc, ValueError) and "Could not login" in text:
        return AuthenticationError(f"The Wan2GP server at {settings.url} rejected the user name or password.")
    if isinstance(exc, ValueError) and "Could not fetch config" in text:
        return UnsupportedServerError(f"{settings.url} does not look like a Gradio (Wan2GP) web UI.")
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        return UnsupportedServerError(f"The Wan2GP server's API did not accept the call{where}: {text}")
    return ServerError(f"Wan2GP request failed{where}: {text}")
