"""A lean HTTP/1.1 load generator: N keep-alive connections in a closed loop, one process.

Raw asyncio streams (on uvloop when installed) rather than httpx: the client must cost
the shared CPU as little as possible so that it measures the server, not itself. Each
connection sends one request, reads the whole response (Content-Length or chunked), and
sends the next; latency is taken per request with ``perf_counter_ns``. The process also
reports the CPU time it used, so a run can show the client was not the bottleneck.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LoadPlan:
    host: str
    port: int
    paths: list[str]  # cycled through, each connection starting at its own offset
    headers: dict[str, str]
    connections: int
    duration: float
    warmup: float


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    response_bytes: int = 0
    elapsed: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code != 200) + len(self.failures)


CONNECT_SPACING = 0.005  # seconds between two connections' first requests


class _ProtocolError(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body bytes, server keeps the connection) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = -1
    chunked = False
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            keep_alive = False
    if length >= 0:
        await reader.readexactly(length)
        return status, length, keep_alive
    if not chunked:
        raise _ProtocolError("response has neither Content-Length nor chunked encoding")
    total = 0
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        total += size
        if size == 0:
            return status, total, keep_alive


async def _connection_loop(
    plan: LoadPlan, offset: int, measure_from: float, stop_at: float, result: LoadResult
) -> None:
    extra = "".join(f"{name}: {value}\r\n" for name, value in plan.headers.items())
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {plan.host}:{plan.port}\r\n{extra}\r\n".encode()
        for path in plan.paths
    ]
    index = offset
    # Connections open one after another, as arriving clients' do: opened in the same
    # instant, they all land on whichever server worker accepts first (uvicorn's workers
    # share one listening socket), and the run measures one busy worker beside an idle one.
    await asyncio.sleep(offset / 7919 * CONNECT_SPACING)
    reader, writer = await asyncio.open_connection(plan.host, plan.port)
    try:
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                return
            writer.write(requests[index % len(requests)])
            index += 1
            try:
                status, size, keep_alive = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError, _ProtocolError) as exc:
                if started >= measure_from:
                    result.failures.append(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection(plan.host, plan.port)
                continue
            if started >= measure_from:
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.response_bytes += size
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(plan.host, plan.port)
    finally:
        writer.close()


async def _run(plan: LoadPlan) -> LoadResult:
    result = LoadResult()
    start = time.perf_counter()
    measure_from = start + plan.warmup
    stop_at = measure_from + plan.duration
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(
        *(
            _connection_loop(plan, number * 7919, measure_from, stop_at, result)
            for number in range(plan.connections)
        )
    )
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # Requests started before the end finish after it; the window runs to the last of them.
    result.elapsed = time.perf_counter() - measure_from
    warmup_share = plan.warmup / (plan.warmup + result.elapsed)
    used = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    result.cpu_seconds = used * (1 - warmup_share)  # an estimate of the measured part's share
    return result


def run(plan: LoadPlan) -> LoadResult:
    """Load the server as ``plan`` says; meant to run in a process of its own."""
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, with more client CPU per request
        return asyncio.run(_run(plan))
    return uvloop.run(_run(plan))
