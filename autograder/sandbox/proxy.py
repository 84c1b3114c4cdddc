"""The student's app as the harness sees it in secure mode: an ASGI app that forwards.

``TestClient(SandboxedApp())`` works as usual: each lifespan starts the student's app in a
sandbox (:class:`SandboxServer`) with the environment the check set up, and every request is
forwarded to it over its Unix socket. Overrides of the student's dependencies (by name) are
kept in :attr:`SandboxedApp.overrides` and applied in the sandbox when the app starts.
"""

from __future__ import annotations

from autograder import stages
from autograder.sandbox.server import SandboxServer
from autograder.sandbox.state import SandboxError, policy

HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade"}


class SandboxedApp:
    """An ASGI app that stands for the student's app in secure mode.

    Each lifespan (each ``with TestClient(app)``) starts its own :class:`SandboxServer`, so
    the student's lifespan runs there with this process's environment at that moment, and
    two clients open at once (one with a model, one without) each talk to their own app.
    The server is kept in the lifespan's ``state``, which Starlette hands to every request
    of that client; each request is forwarded over that server's Unix socket.
    """

    STATE_KEY = "autograder.sandbox.server"

    def __init__(self) -> None:
        self.overrides: dict = {}
        self._without_lifespan: SandboxServer | None = None  # a client used without `with`

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
        elif scope["type"] == "http":
            await self._forward(scope, receive, send)
        elif scope["type"] == "websocket":
            from autograder.sandbox.websocket_bridge import bridge

            await bridge(self._server_for(scope), scope, receive, send)
        else:
            raise RuntimeError(f"secure mode cannot forward {scope['type']!r} connections")

    async def _lifespan(self, scope, receive, send) -> None:
        server = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                server = SandboxServer(overrides=self.overrides)
                try:
                    stages.refuse_if_start_up_failed()
                    server.start()
                except SandboxError as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    raise
                scope.setdefault("state", {})[self.STATE_KEY] = server
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if server is not None:
                    server.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _server_for(self, scope) -> SandboxServer:
        server = (scope.get("state") or {}).get(self.STATE_KEY)
        if server is not None and server.pid is not None:
            if server.stopped_answering:
                # The app's process died in an earlier check (the student's code ended it):
                # that check failed; the next ones get an app started again.
                stages.note(
                    "the app's process ended while answering a check; it was started again "
                    "for the checks after it"
                )
                server.restart()
            return server
        if self._without_lifespan is None or self._without_lifespan.pid is None:
            stages.refuse_if_start_up_failed()
            self._without_lifespan = SandboxServer(overrides=self.overrides)
            self._without_lifespan.start()
        return self._without_lifespan

    async def _forward(self, scope, receive, send) -> None:
        import httpx

        server = self._server_for(scope)
        pieces = []
        while True:
            message = await receive()
            pieces.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        # A body sent in chunks (no Content-Length) goes on in chunks: the app must see
        # it as the client sent it (a limit that reads Content-Length alone misses it).
        chunked = any(
            name.lower() == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in scope["headers"]
        )
        body = _replayed(pieces) if chunked else b"".join(pieces)
        path = scope.get("raw_path") or scope["path"].encode()
        url = path.decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        if server.http is None:
            # A new connection for every request, as every in-process request is on its own:
            # uvicorn closes a connection after an app's exception once the 500 is sent, and
            # a kept-alive connection could be taken for the next check before that close
            # arrived (a ReadError that failed a check the student's code never broke).
            no_reuse = httpx.Limits(max_keepalive_connections=0)
            # Plain HTTP over a Unix socket: no TLS, so no certificates to load (verifying
            # would load the system's CA bundle for each app started: 50 ms each).
            transport = httpx.AsyncHTTPTransport(
                uds=str(server.socket_path), limits=no_reuse, verify=False
            )
            timeout = httpx.Timeout(policy().timeout + 5)
            server.http = httpx.AsyncClient(transport=transport, timeout=timeout)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        try:
            request = server.http.build_request(
                scope["method"], "http://sandbox" + url, headers=headers, content=body
            )
            response = await server.http.send(request, stream=True)
        except httpx.HTTPError as error:
            server.http = None
            server.stopped_answering = True
            raise SandboxError(f"the app stopped answering ({type(error).__name__})") from None
        try:
            await self._stream_back(response, receive, send)
        finally:
            await response.aclose()  # a client that left early: the app sees it disconnect
        server.sync_logs()

    @staticmethod
    async def _stream_back(response, receive, send) -> None:
        """Send the answer on as the app produces it (Server-Sent Events, JSON Lines, a
        download arrive chunk by chunk, in both modes); stop when the client leaves."""
        import anyio
        import httpx

        response_headers = [(k, v) for k, v in response.headers.raw if k.lower() not in HOP_BY_HOP]
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response_headers,
            }
        )
        async with anyio.create_task_group() as group:

            async def watch_for_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch_for_disconnect)
            try:
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.HTTPError as error:
                raise SandboxError(
                    f"the app stopped in the middle of its answer ({type(error).__name__})"
                ) from None
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            group.cancel_scope.cancel()

    def __getattr__(self, name: str):
        raise AttributeError(
            f"in secure mode the app runs in a sandbox: `app.{name}` is not available here; "
            "use a probe (autograder.sandbox.call) to look inside the student's code"
        )


async def _replayed(pieces: list[bytes]):
    """The pieces of a body, sent on one by one (httpx sends them chunked)."""
    for piece in pieces:
        yield piece
