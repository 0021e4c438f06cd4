"""JSON-RPC over MCP's streamable HTTP, on the httpx the product already ships: :class:`McpConnection`.

Only what WanGP's MCP server (``wgp.py --mcp --mcp-transport streamable-http``) needs, as captured from WanGP
12.60: every request is one ``POST`` of one JSON-RPC object, answered by one JSON object (an SSE body holding
the answer is read too); the server is stateless (no ``Mcp-Session-Id``, calls work without ``initialize``);
``POST /mcp`` answers 307 to ``/mcp/``, followed once and only to the same origin, and remembered; both
``application/json`` and ``text/event-stream`` are accepted (WanGP answers 406 otherwise).

Every answer is read under :data:`..limits.JSON_MAX_BYTES` (the reader stops at the limit), every request has
the connection's timeouts, and a call given ``stop`` (cancel, deadline) returns within 0.1 s of it naming an
error: the request is left to finish on a helper thread (as the web UI route leaves a Gradio call), the
caller gets the stop error. Failures become the backend's typed errors: transport and HTTP statuses through
:mod:`...errors`' shared map; 406, 400 and JSON-RPC -32600/-32601/-32602/-32700 as
:class:`UnsupportedServerError` quoting the server's words; a tool's own error (HTTP 200, ``isError``) as
:class:`ToolError` for :mod:`.errors` to word.

Threading: one connection is shared by every job of a server; calls may run on any thread at once.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from ...bulk_download import StopCheck
from ...errors import (
    AuthenticationError,
    BackendError,
    ServerError,
    UnsupportedServerError,
    error_for_status,
    error_for_transport,
    scrub_secrets,
)
from ...limits import JSON_MAX_BYTES, BodyTooLargeError, TooLargeError, read_capped
from ...tls import verify_context
from ..transport import ConnectionSettings, is_loopback

log = logging.getLogger(__name__)

#: The protocol version asked for (WanGP 12.60 echoes 2024-11-05, 2025-03-26 and 2025-06-18).
PROTOCOL_VERSION = "2025-06-18"
ACCEPT = "application/json, text/event-stream"
CLIENT_INFO = {"name": "movie-director", "version": "1"}
#: JSON-RPC codes that mean "this server does not take this request as sent" (not a tool's failure).
_PROTOCOL_CODES = {-32700: "parse error", -32600: "invalid request", -32601: "unknown method",
                   -32602: "invalid parameters"}  # fmt: skip
#: Said of a generation whose start is unknown (a lost answer to ``wangp_generate``); it is never resent.
UNCERTAIN = "The generation may have started on the Wan2GP server; it was not sent again."


class ToolError(ServerError):
    """A tool answered ``isError``: ``text`` is the server's own words (``"Error executing tool …: …"``)."""

    def __init__(self, tool: str, text: str, user_message: str) -> None:
        super().__init__(user_message)
        self.tool = tool
        self.text = text

    @property
    def detail(self) -> str:
        """The server's message without its ``Error executing tool <name>:`` prefix and quotes."""
        prefix = f"Error executing tool {self.tool}:"
        text = self.text[len(prefix) :] if self.text.startswith(prefix) else self.text
        return text.strip().strip("'\"").strip()


def mcp_endpoint(url: str) -> str:
    """The MCP endpoint for a server address: ``…/mcp`` as given, else the address plus ``/mcp``."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/mcp"):
        path += "/mcp"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


class McpConnection:
    """One MCP server: ``request`` (JSON-RPC), ``call_tool``, ``notify``; plus the HTTP client that uploads
    and downloads use (same headers, same proxy rule)."""

    def __init__(self, settings: ConnectionSettings, endpoint: str | None = None) -> None:
        self.settings = settings
        self.endpoint = endpoint or mcp_endpoint(settings.url)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._http: Any = None

    # --- plumbing ---------------------------------------------------------------------------------------
    @property
    def peer(self) -> Any:
        peer = self.settings.peer
        return type(peer)(
            "the Wan2GP MCP server", self.endpoint, peer.secrets,
            "Is WanGP running with its MCP server (python wgp.py --mcp --mcp-transport streamable-http)?",
        )  # fmt: skip

    @property
    def origin_url(self) -> str:
        parts = urllib.parse.urlsplit(self.endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def http(self) -> Any:
        """The shared ``httpx.Client`` (no redirects followed: they are checked here)."""
        with self._lock:
            if self._http is None:
                import httpx

                kwargs = self.settings.httpx_kwargs()
                kwargs["trust_env"] = not is_loopback(self.endpoint)
                kwargs["verify"] = False if self.endpoint.startswith("http://") else verify_context()
                self._http = httpx.Client(
                    headers=dict(self.settings.headers), follow_redirects=False, **kwargs
                )
            return self._http

    def close(self) -> None:
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()

    def stoppable(self, fn: Callable[[], Any], stop: StopCheck | None) -> Any:
        """Run ``fn`` (blocking I/O); with ``stop``, return within 0.1 s of it naming an error (raised).

        The call runs on a daemon thread of its own: one given up on ends at its request timeout without
        holding Blender's exit (a pool's worker threads would be joined there)."""
        if stop is None:
            return fn()
        return run_stoppable(fn, stop)

    # --- JSON-RPC -------------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        stop: StopCheck | None = None,
        idempotent: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Send one JSON-RPC request and return its ``result``; raises typed errors."""
        message = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": dict(params or {})}
        return self.stoppable(lambda: self._exchange(message, idempotent, timeout), stop)

    def notify(self, method: str) -> None:
        """A notification (no answer expected; WanGP answers 202)."""
        self._exchange({"jsonrpc": "2.0", "method": method}, True, None)

    def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        stop: StopCheck | None = None,
        idempotent: bool = True,
        timeout: float | None = None,
    ) -> Any:
        """Call a tool and return its value: ``structuredContent`` (unwrapped from ``{"result": …}`` for the
        tools whose value is a list or optional), else the JSON of its text items. Raises :class:`ToolError`
        when the tool answered ``isError``."""
        result = self.request(
            "tools/call",
            {"name": name, "arguments": dict(arguments or {})},
            stop=stop,
            idempotent=idempotent,
            timeout=timeout,
        )
        return tool_value(name, result, self.endpoint)

    def _exchange(self, message: dict[str, Any], idempotent: bool, timeout: float | None) -> Any:
        body = json.dumps(message).encode()
        during = f"calling {_what(message)}"
        headers = {
            "Accept": ACCEPT,
            "Content-Type": "application/json",
            "MCP-Protocol-Version": PROTOCOL_VERSION,
        }
        url = self.endpoint
        for hop in range(2):
            try:
                status, resp_headers, raw = self._post(url, body, headers, timeout)
            except BackendError:
                raise
            except BodyTooLargeError as exc:
                raise TooLargeError(
                    f"The answer of the Wan2GP MCP server to {_what(message)}", exc.limit
                ) from None
            except Exception as exc:
                typed = error_for_transport(
                    exc, self.peer, during=during, idempotent=idempotent, uncertain=UNCERTAIN
                )
                if typed is None:
                    typed = ServerError(
                        f"The Wan2GP MCP server's answer could not be read ({type(exc).__name__})."
                    )
                raise typed from exc
            if status in (307, 308) and hop == 0:
                url = self._redirected(url, resp_headers.get("location", ""))
                continue
            break
        if url != self.endpoint:
            self.endpoint = url  # WanGP redirects /mcp to /mcp/ every time: ask there from now on
        if "id" not in message:
            if status >= 400:
                raise self._status_error(status, resp_headers, raw, during, idempotent)
            return None
        if status != 200:
            raise self._status_error(status, resp_headers, raw, during, idempotent)
        answer = parse_answer(raw, resp_headers.get("content-type", ""), message["id"], self.endpoint)
        if "error" in answer:
            raise self._rpc_error(answer["error"], message)
        if "result" not in answer:
            raise UnsupportedServerError(
                f"{self.endpoint} answered {_what(message)} without a result: "
                "it does not look like an MCP server."
            )
        return answer["result"]

    def _post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float | None
    ) -> tuple[int, Any, bytes]:
        import httpx

        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = httpx.Timeout(self.settings.connect_timeout, read=timeout, write=60.0,
                                             pool=self.settings.connect_timeout)  # fmt: skip
        headers = {**headers, "Accept-Encoding": "gzip, deflate"}
        with self.http().stream("POST", url, content=body, headers=headers, **extra) as response:
            try:
                raw = read_capped(response, JSON_MAX_BYTES)
            except (ValueError, OSError) as exc:
                if isinstance(exc, BodyTooLargeError):
                    raise
                raise httpx.DecodingError(str(exc), request=response.request) from exc
            return response.status_code, response.headers, raw

    def _redirected(self, url: str, location: str) -> str:
        target = urllib.parse.urljoin(url, location)
        if not location or origin(target) != origin(url):
            raise UnsupportedServerError(
                f"The Wan2GP MCP server at {self.endpoint} redirected Movie Director to another address "
                f"({scrub_secrets(target, *self.settings.secrets)[:200]}); the redirect was not followed."
            )
        return target

    def _status_error(
        self, status: int, headers: Any, raw: bytes, during: str, idempotent: bool
    ) -> BackendError:
        said = _server_words(raw)
        where = f" while {during}"
        if status in (401, 403):
            return AuthenticationError(
                f"The Wan2GP MCP server at {self.endpoint} refused the request "
                f"(HTTP {status}){where}: it needs "
                "credentials or a proxy header Movie Director was not given."
            )
        if status == 406:
            return UnsupportedServerError(
                f"The Wan2GP MCP server at {self.endpoint} refused the request as not acceptable (HTTP 406)"
                f"{where}{_colon(said)}. Its MCP version may be newer than Movie Director supports."
            )
        if status == 400:
            return UnsupportedServerError(
                f"The Wan2GP MCP server at {self.endpoint} refused the request as malformed (HTTP 400){where}"
                f"{_colon(said)}. Its MCP version may differ from the one Movie Director speaks."
            )
        if status in (404, 405):
            return UnsupportedServerError(
                f"There is no MCP server at {self.endpoint} (HTTP {status}). Start WanGP with "
                "'python wgp.py --mcp --mcp-transport streamable-http', or choose the Web UI transport."
            )
        from ...retry import parse_retry_after

        return error_for_status(
            status, self.peer, during=during, detail=scrub_secrets(said, *self.settings.secrets),
            retry_after=parse_retry_after(headers), idempotent=idempotent,
            uncertain=UNCERTAIN,
        )  # fmt: skip

    def _rpc_error(self, error: Any, message: Mapping[str, Any]) -> BackendError:
        code = error.get("code") if isinstance(error, Mapping) else None
        text = str(error.get("message", "")) if isinstance(error, Mapping) else str(error)
        text = _one_line(scrub_secrets(text, *self.settings.secrets))
        kind = _PROTOCOL_CODES.get(code) if isinstance(code, int) else None
        label = f"JSON-RPC {code}" + (f", {kind}" if kind else "")
        return UnsupportedServerError(
            f"The Wan2GP MCP server at {self.endpoint} refused {_what(message)} "
            f"({label}: {text or 'no message'}). "
            "It may be a different MCP server, or a WanGP version Movie Director does not support.",
            code=code if isinstance(code, int) else None,
        )


def run_stoppable(fn: Callable[[], Any], stop: StopCheck) -> Any:
    """``fn()`` on a daemon thread; returns its value, raises its error, or ``stop()``'s within 0.1 s."""
    reason = stop()
    if reason is not None:
        raise reason
    done = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="wan2gp-mcp-call", daemon=True).start()
    while not done.wait(0.05):
        reason = stop()
        if reason is not None:
            raise reason  # the request finishes (or times out) on its own thread
    if "error" in box:
        raise box["error"]
    return box["value"]


def parse_answer(raw: bytes, content_type: str, request_id: Any, endpoint: str) -> dict[str, Any]:
    """The JSON-RPC answer to ``request_id`` in a JSON or SSE body (:class:`UnsupportedServerError` if
    none)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    candidates: list[Any] = []
    try:
        if kind == "application/json":
            candidates = [json.loads(raw)]
        elif kind == "text/event-stream":
            for block in raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\n\n"):
                data = "\n".join(line[5:].lstrip() for line in block.split("\n") if line.startswith("data:"))
                if data:
                    candidates.append(json.loads(data))
        else:
            raise UnsupportedServerError(
                f"{endpoint} is not an MCP server: it answered with "
                f"{kind or 'no content type'} instead of JSON."
            )
    except (ValueError, UnicodeDecodeError):
        raise UnsupportedServerError(
            f"{endpoint} sent an answer that is not valid JSON; it is not an MCP server Movie Director "
            "can use."
        ) from None
    for item in candidates:
        if (
            isinstance(item, Mapping)
            and item.get("id") == request_id
            and ("result" in item or "error" in item)
        ):
            return dict(item)
    raise UnsupportedServerError(f"{endpoint} did not answer the request (no JSON-RPC answer with its id).")


def tool_value(name: str, result: Any, endpoint: str) -> Any:
    """A ``tools/call`` result's value (see :meth:`McpConnection.call_tool`)."""
    if not isinstance(result, Mapping):
        raise UnsupportedServerError(
            f"{endpoint} answered the tool {name} with something that is not a tool result."
        )
    content = result.get("content") if isinstance(result.get("content"), list) else []
    texts = [
        str(item.get("text", ""))
        for item in content
        if isinstance(item, Mapping) and item.get("type") == "text"
    ]
    if result.get("isError"):
        said = _one_line(texts[0] if texts else "") or "no message"
        return _raise_tool_error(name, said)
    structured = result.get("structuredContent")
    if isinstance(structured, Mapping):
        if set(structured) == {"result"}:
            return structured["result"]
        return dict(structured)
    values = []
    for text in texts:
        try:
            values.append(json.loads(text))
        except ValueError:
            values.append(text)
    return values[0] if len(values) == 1 and not isinstance(values[0], list) else values


def _raise_tool_error(name: str, said: str) -> Any:
    raise ToolError(name, said, f"Wan2GP's tool {name} failed: {said[:300]}")


def _what(message: Mapping[str, Any]) -> str:
    if message.get("method") == "tools/call":
        return f"the tool {message.get('params', {}).get('name', '?')}"
    return str(message.get("method", "?"))


def _server_words(raw: bytes) -> str:
    """What an error body says: a JSON-RPC error's message, an ``error`` field, or the text; one line."""
    text = raw[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(raw)
    except ValueError:
        return _one_line(text)
    if isinstance(data, Mapping):
        error = data.get("error")
        if isinstance(error, Mapping):
            code = error.get("code")
            words = _one_line(str(error.get("message", "")))
            return f"JSON-RPC {code}: {words}" if code is not None else words
        if isinstance(error, str):
            return _one_line(error)
    return _one_line(text)


def _one_line(text: str, limit: int = 240) -> str:
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _colon(said: str) -> str:
    return f": {said.rstrip('.')}" if said else ""


__all__ = [
    "ACCEPT",
    "PROTOCOL_VERSION",
    "McpConnection",
    "ToolError",
    "mcp_endpoint",
    "parse_answer",
    "tool_value",
]
