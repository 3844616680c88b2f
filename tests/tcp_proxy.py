"""A TCP proxy on 127.0.0.1 that a test can cut: every connection dropped, new ones refused.

Put between the app and PostgreSQL, it plays a database restart or a network failure:
``cut()`` resets every connection passing through and closes the listening socket (so a
new connection is refused, as by a server that is down); ``restore()`` listens again on
the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any

from sqlalchemy.engine import make_url

from app.settings import Settings


class TcpProxy:
    """Forwards connections from its own port on 127.0.0.1 to ``target``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.connections_dropped = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    @property
    def up(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Listen on a free port (the first time) or on the same port again."""
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening (new connections are refused) and reset every open one."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        self.connections_dropped += len(self._writers) // 2
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def restore(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self.cut()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        try:
            server_reader, server = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(client)
            return
        if self._server is None:  # cut while connecting
            _reset(client)
            _reset(server)
            return
        self._writers.update((client, server))
        for source, sink in ((client_reader, server), (server_reader, client)):
            pump = asyncio.create_task(self._pump(source, sink, client, server))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
        server: asyncio.StreamWriter,
    ) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side ended: end the other too, as a real network path would.
            for writer in (client, server):
                self._writers.discard(writer)
                with contextlib.suppress(Exception):
                    writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset rather than a graceful FIN, as a crashed peer would."""
    transport = writer.transport
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def proxy_in_front_of(
    settings: Settings, database_url: str, **update: Any
) -> tuple[TcpProxy, Settings]:
    """A started proxy in front of the database at ``database_url``, and ``settings``
    (changed by ``update``) that reach that database through it."""
    direct = make_url(database_url)
    proxy = TcpProxy(direct.host or "127.0.0.1", direct.port or 5432)
    await proxy.start()
    through = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    return proxy, settings.model_copy(update={**update, "database_url": through})
