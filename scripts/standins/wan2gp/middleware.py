"""ASGI middleware for test knobs: a reverse-proxy style header check, and slow file serving."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HeaderCheck:
    """Rejects each HTTP/websocket request whose header ``name`` is not ``value`` (401), like a proxy.

    Armed only after launch: gradio's start-up self-check must pass, as it would behind a real proxy.
    """

    armed = False

    def __init__(self, app: ASGIApp, name: str, value: str) -> None:
        self.app = app
        self.name = name.lower().encode("latin-1")
        self.value = value.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not HeaderCheck.armed:
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(self.name, b"")
        if hmac.compare_digest(given, self.value):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"detail": "Missing or invalid proxy header"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class SlowFiles:
    """Delays and throttles file downloads (``/gradio_api/file=…``), as a slow disk or network would."""

    def __init__(self, app: ASGIApp, delay: float, rate_kbps: float) -> None:
        self.app = app
        self.delay = delay
        self.rate = rate_kbps * 1024.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "/file=" not in scope.get("path", ""):
            await self.app(scope, receive, send)
            return
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if self.rate <= 0:
            await self.app(scope, receive, send)
            return
        tick = 0.05
        chunk = max(1, int(self.rate * tick))

        async def throttled(message: Message) -> None:
            if message["type"] != "http.response.body":
                await send(message)
                return
            body: bytes = message.get("body", b"")
            more = message.get("more_body", False)
            for start in range(0, max(len(body), 1), chunk):
                last = start + chunk >= len(body)
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[start : start + chunk],
                        "more_body": more or not last,
                    }
                )
                if body:
                    await asyncio.sleep(tick)

        await self.app(scope, receive, throttled)
