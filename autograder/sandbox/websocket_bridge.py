"""WebSockets across the sandbox wall: the harness's client on one side, the student's app
(served by uvicorn in the sandbox) on the other, every message passed on both ways.

The connection is opened to the app first: if the app refuses it before accepting, the
harness's client is refused the same way (an HTTP 403, as a real server answers); if it
accepts, then closes (``1008`` after ``accept``, say), the client sees that close code.
"""

from __future__ import annotations

import anyio

from autograder.sandbox.state import SandboxError

HOP_BY_HOP = {
    b"connection",
    b"upgrade",
    b"host",
    b"sec-websocket-key",
    b"sec-websocket-version",
    b"sec-websocket-extensions",
    b"sec-websocket-protocol",
}
MAX_MESSAGE_BYTES = 4 << 20


def _url(scope) -> str:
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    return "ws://sandbox" + path + (f"?{query}" if query else "")


async def bridge(server, scope, receive, send) -> None:
    from websockets.asyncio.client import unix_connect
    from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

    message = await receive()
    if message["type"] != "websocket.connect":
        return
    headers = [
        (key.decode("latin-1"), value.decode("latin-1"))
        for key, value in scope.get("headers", [])
        if key.lower() not in HOP_BY_HOP
    ]
    try:
        upstream = await unix_connect(
            str(server.socket_path),
            _url(scope),
            additional_headers=headers,
            subprotocols=scope.get("subprotocols") or None,
            max_size=MAX_MESSAGE_BYTES,
            open_timeout=10,
        )
    except InvalidStatus:
        await send({"type": "websocket.close", "code": 1008})  # refused before accept
        return
    except (OSError, WebSocketException) as error:
        raise SandboxError(f"the app's WebSocket did not open ({type(error).__name__})") from None
    accept = {"type": "websocket.accept"}
    if upstream.subprotocol:
        accept["subprotocol"] = upstream.subprotocol
    await send(accept)

    async with anyio.create_task_group() as group:

        async def client_to_app() -> None:
            while True:
                incoming = await receive()
                if incoming["type"] == "websocket.disconnect":
                    await upstream.close(code=incoming.get("code", 1000))
                    group.cancel_scope.cancel()
                    return
                data = incoming.get("text")
                data = incoming.get("bytes") if data is None else data
                if data is None:
                    continue
                try:
                    await upstream.send(data)
                except ConnectionClosed:
                    # The app closed first (1008 after accept, say) while this message was on
                    # its way: app_to_client passes the app's close code on to the client.
                    return

        async def app_to_client() -> None:
            try:
                async for data in upstream:
                    key = "text" if isinstance(data, str) else "bytes"
                    await send({"type": "websocket.send", key: data})
            except ConnectionClosed:
                pass
            code = upstream.close_code or 1000
            reason = upstream.close_reason or ""
            await send({"type": "websocket.close", "code": code, "reason": reason})
            group.cancel_scope.cancel()

        group.start_soon(client_to_app)
        group.start_soon(app_to_client)
