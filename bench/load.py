"""A small HTTP/1.1 load generator for ``bench/serve.py``: keep-alive connections on loopback,
each sending one request after the other for a fixed time.

It speaks just enough HTTP (a request, then the headers and a ``Content-Length`` body back)
to cost far less CPU per request than the server it measures, so the figures are the
server's, not the client's. Every answer must be 200: another status stops the run.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    """What one run measured: answers, their latencies (seconds) and the run's length."""

    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)
    server_cpu: float | None = None  # CPU seconds the server spent meanwhile (Linux)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float | None:
        """The server's CPU time per answer, in milliseconds: steadier than the throughput
        on a machine whose cores the load generator shares."""
        if self.server_cpu is None or not self.requests:
            return None
        return self.server_cpu / self.requests * 1000

    def percentile(self, share: float) -> float:
        """The latency under which ``share`` of the answers came (milliseconds)."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        if len(ordered) == 1:
            return ordered[0] * 1000
        return statistics.quantiles(ordered, n=100, method="inclusive")[int(share * 100) - 1] * 1000


def request_bytes(method: str, path: str, body: object = None, headers: dict | None = None):
    """The bytes of one HTTP/1.1 request to loopback, with a JSON body when given."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    payload = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _connection(
    port: int, request: bytes, stop_at: float, latencies: list[float], once: bool
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while once or time.monotonic() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            status = await _read_answer(reader)
            if status != 200:
                if once:
                    return
                raise RuntimeError(f"the server answered {status}")
            latencies.append(time.perf_counter() - started)
            if once:
                return
    finally:
        writer.close()


async def _run(
    port: int, request: bytes, connections: int, seconds: float, once: bool
) -> list[float]:
    latencies: list[float] = []
    stop_at = time.monotonic() + seconds
    await asyncio.gather(
        *(_connection(port, request, stop_at, latencies, once) for _ in range(connections))
    )
    return latencies


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user and system) process ``pid`` has used so far, or None where /proc does
    not say (not Linux)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    name: str,
    port: int,
    request: bytes,
    *,
    connections: int,
    seconds: float,
    once: bool = False,
    server_pid: int | None = None,
) -> Result:
    """Send ``request`` over ``connections`` connections for ``seconds`` (or one request each,
    and no error for another status than 200, when ``once``); what came back, with the CPU
    time process ``server_pid`` spent meanwhile when given."""
    cpu_before = cpu_seconds(server_pid)
    started = time.monotonic()
    latencies = asyncio.run(_run(port, request, connections, seconds, once))
    result = Result(name, time.monotonic() - started, latencies)
    cpu_after = cpu_seconds(server_pid)
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu = cpu_after - cpu_before
    return result
