"""Request body bound of the REST gateway (REL-F10), as ASGI middleware so every route, extension
routes included, is covered before any handler reads the body.

A declared ``Content-Length`` over the bound is refused at once without reading the body; a body
without one (chunked) is read up to the bound and refused as soon as it passes it. Either way the
answer is 413 with the kit's JSON error (``NODE_REQUEST_TOO_LARGE``); at most ``limit`` bytes are
held in memory.

The body must arrive within ``body_timeout_s`` of the headers (REL-F17: a client that declares a
body and never sends it held a connection and a task forever): past it the answer is 408
``NODE_REQUEST_TIMEOUT`` and the connection is closed.

Before answering, the rest of the body is read and dropped (up to ``DRAIN_FACTOR`` x ``limit``):
closing a connection that still holds unread bytes makes the kernel send a TCP reset, which can
destroy the 413 on its way and leave the client with a bare "connection reset". Past that budget the
client is abusive and is cut off anyway.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ehc.errors import EhcError
from reference_node.errors import REQUEST_TIMEOUT, REQUEST_TOO_LARGE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

DRAIN_FACTOR = 16


class _BodyLate(Exception):
    """The body did not arrive within the bound."""


class BodyLimit:
    def __init__(self, app: App, limit: int, body_timeout_s: float = 30.0) -> None:
        self.app = app
        self.limit = limit
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout_s
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:  # after the body: a wait for disconnect is not bounded here
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.001))
            except TimeoutError:
                raise _BodyLate from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._bounded(scope, timed_receive, tracked_send)
        except _BodyLate:
            if not started:
                err = EhcError(REQUEST_TIMEOUT, f"request body not received within {self.body_timeout_s:g} s")
                await _send_error(send, 408, err)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._drain(receive)
            await self._refuse(send, declared)
            return
        if declared is not None:  # the HTTP server (h11) stops reading at the declared length
            await self.app(scope, receive, send)
            return
        # no Content-Length (chunked): read up to the bound, then hand the buffered body on
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                if message.get("more_body", False):
                    await self._drain(receive, already=size)
                await self._refuse(send, None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _drain(self, receive: Receive, already: int = 0) -> None:
        """Read and drop the rest of the body, bounded, so the 413 is not lost to a TCP reset."""
        budget = DRAIN_FACTOR * self.limit - already
        while budget > 0:
            message = await receive()
            if message["type"] != "http.request":
                return
            budget -= len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, send: Send, declared: int | None) -> None:
        err = EhcError(REQUEST_TOO_LARGE, f"request body over {self.limit} bytes", limit=self.limit)
        await _send_error(send, 413, err)


async def _send_error(send: Send, status: int, err: EhcError) -> None:
    payload = json.dumps({"code": err.code.name, "number": err.code.number, "message": err.message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),  # unread body bytes stay on this connection: drop it
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


__all__ = ["BodyLimit"]
