"""The streaming server: a plain ASGI app for SSE and WebSocket streams.

Mastodon's paths under ``/api/v1/streaming``. Server-sent events follow
the wire format Mastodon.py's strict parser needs: ``\\n`` line ends,
``event:`` and ``data:`` in every block, a ``:thump`` comment as heartbeat.
Request/response traffic stays on the WSGI server; only streams come here.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings

from hubbub.api.auth import Credentials, load_token
from hubbub.streaming.hub import (
    Listener,
    Message,
    StreamError,
    hub,
    session_credentials,
    stream_for,
)

logger = logging.getLogger(__name__)

type Scope = dict[str, Any]
type Receive = Callable[[], Awaitable[dict[str, Any]]]
type Send = Callable[[dict[str, Any]], Awaitable[None]]
PREFIX = "/api/v1/streaming"
# SSE paths and the stream each one opens.
SSE_STREAMS = {
    "/user": "user",
    "/user/notification": "user:notification",
    "/public": "public",
    "/public/local": "public:local",
    "/hashtag": "hashtag",
    "/hashtag/local": "hashtag:local",
}


class InvalidTokenError(Exception):
    """A token was sent but is not valid."""


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


def _query(scope: Scope) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return {key: values[-1] for key, values in parse_qs(raw).items()}


def sent_token(scope: Scope) -> tuple[str | None, bool]:
    """Return the token a request carries, and whether it came as subprotocol.

    Mastodon accepts ``Authorization: Bearer``, the ``access_token`` query
    parameter and, for WebSocket, ``Sec-WebSocket-Protocol``.
    """
    headers = _headers(scope)
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), False
    if token := _query(scope).get("access_token", ""):
        return token, False
    if token := headers.get("sec-websocket-protocol", "").strip():
        return token, True
    return None, False


def _session_key(scope: Scope) -> str | None:
    """Return the Django session cookie's value, if the request sent one."""
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(_headers(scope).get("cookie", ""))
    except CookieError:
        return None
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel else None


async def credentials_for(token: str | None) -> Credentials | None:
    """Check ``token`` as the REST API does; raise InvalidTokenError if invalid."""
    if token is None:
        return None
    found = await sync_to_async(load_token)(token)
    if found is None:
        raise InvalidTokenError
    return found


async def _plain(send: Send, status: int, body: bytes, kind: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", kind), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, message: str) -> None:
    await _plain(send, status, orjson.dumps({"error": message}), b"application/json")


async def _disconnected(receive: Receive) -> None:
    """Return when the client goes away."""
    while (await receive())["type"] not in {"http.disconnect", "websocket.disconnect"}:
        pass


def sse_block(message: Message) -> bytes:
    """Return one SSE event block: ``event:``, ``data:``, blank line."""
    _, event, data = message
    return f"event: {event}\ndata: {data}\n\n".encode()


async def serve_sse(scope: Scope, receive: Receive, send: Send, path: str) -> None:
    """Stream one channel as server-sent events until either side stops."""
    query = _query(scope)
    token = sent_token(scope)[0]
    from_site = _headers(scope).get("origin") == settings.HUBBUB_SITE_URL
    session_key = _session_key(scope) if token is None and from_site else None
    try:
        if session_key:
            found = await sync_to_async(session_credentials)(session_key)
            session_key = session_key if found else None
        else:
            found = await credentials_for(token)
        stream = stream_for(SSE_STREAMS[path], query.get("tag"), found)
    except InvalidTokenError:
        await _error(send, 401, "Invalid access token")
        return
    except StreamError as e:
        await _error(send, e.status, e.message)
        return
    await hub.start()
    listener = Listener(found, frozenset({stream}), session_key=session_key)
    headers = [
        (b"content-type", b"text/event-stream"),
        (b"cache-control", b"no-store"),
        # A buffering proxy would hold events back.
        (b"x-accel-buffering", b"no"),
    ]
    if from_site:
        # The web pages' EventSource, with the session cookie: only the
        # site's own origin may read a stream that way.
        headers += [
            (b"access-control-allow-origin", settings.HUBBUB_SITE_URL.encode()),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    # A first comment flushes the headers at once, as Mastodon does.
    await send({"type": "http.response.body", "body": b":)\n", "more_body": True})
    hub.add(listener)
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        while True:
            getting = asyncio.ensure_future(listener.queue.get())
            done, _ = await asyncio.wait(
                {getting, gone},
                timeout=settings.HUBBUB_STREAMING_HEARTBEAT,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if getting not in done:
                getting.cancel()
                if gone in done:
                    return
                body = b":thump\n"
            else:
                message = getting.result()
                if message is None:  # revoked: close the stream
                    break
                body = sse_block(message)
            await send({"type": "http.response.body", "body": body, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:
        pass  # the client left while we wrote
    finally:
        hub.remove(listener)
        gone.cancel()


async def serve_websocket(scope: Scope, receive: Receive, send: Send) -> None:
    """Multiplex streams over one WebSocket (subscribe/unsubscribe frames)."""
    if (await receive())["type"] != "websocket.connect":
        return
    token, as_protocol = sent_token(scope)
    try:
        found = await credentials_for(token)
    except InvalidTokenError:
        await send({"type": "websocket.close", "code": 4001})
        return
    accept: dict[str, Any] = {"type": "websocket.accept"}
    if as_protocol and token is not None:
        accept["subprotocol"] = token
    await send(accept)
    await hub.start()
    listener = Listener(found)

    async def reply(frame: dict[str, Any]) -> None:
        await send({"type": "websocket.send", "text": orjson.dumps(frame).decode()})

    async def change(kind: str, name: str, tag: str | None) -> None:
        try:
            stream = stream_for(name, tag, found)
        except StreamError as e:
            await reply({"error": e.message, "status": e.status})
            return
        if kind == "subscribe":
            listener.streams = listener.streams | {stream}
        else:
            listener.streams = listener.streams - {stream}

    query = _query(scope)
    if "stream" in query:
        await change("subscribe", query["stream"], query.get("tag"))
    hub.add(listener)

    async def read() -> None:
        while True:
            frame = await receive()
            if frame["type"] == "websocket.disconnect":
                return
            try:
                data = orjson.loads(frame.get("text") or frame.get("bytes") or b"")
                kind, name = data["type"], data["stream"]
            except (orjson.JSONDecodeError, KeyError, TypeError):
                await reply({"error": "Malformed frame", "status": 400})
                continue
            if kind in {"subscribe", "unsubscribe"} and isinstance(name, str):
                await change(kind, name, data.get("tag"))

    async def write() -> None:
        while (message := await listener.queue.get()) is not None:
            stream, event, payload = message
            await reply({"stream": list(stream), "event": event, "payload": payload})
        await send({"type": "websocket.close", "code": 1000})

    tasks = [asyncio.ensure_future(read()), asyncio.ensure_future(write())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.remove(listener)
        for task in tasks:
            task.cancel()


async def lifespan(receive: Receive, send: Send) -> None:
    """Subscribe to the bus at startup, so no event falls between streams."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await hub.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            with contextlib.suppress(Exception):
                await hub.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI entry point."""
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    path = scope.get("path", "").rstrip("/")
    if scope["type"] == "websocket":
        if path == PREFIX:
            await serve_websocket(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 4004})
        return
    if scope["type"] != "http":
        return
    if scope.get("method") not in {"GET", "HEAD"}:
        await _error(send, 405, "Method not allowed")
    elif path == f"{PREFIX}/health":
        await _plain(send, 200, b"OK", b"text/plain")
    elif path.startswith(PREFIX) and path[len(PREFIX) :] in SSE_STREAMS:
        await serve_sse(scope, receive, send, path[len(PREFIX) :])
    else:
        await _error(send, 404, "Not found")
