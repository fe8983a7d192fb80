"""A loopback TCP proxy whose network can be cut: a client going offline.

Browsers' offline emulation leaves open WebSockets alone, so a test that
needs a page to lose its connection puts this proxy between the page and
the server and cuts it: every proxied connection is reset, and new ones
are reset at once until `restore()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

CHUNK = 65536


class CuttableProxy:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`target`.

    Attributes:
        port: The proxy's own port.
        target: The server's port.
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = 0
        self.up = True
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def http_url(self) -> str:
        """The base HTTP URL through the proxy."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        """Reset every connection and refuse new ones, as a lost network would."""
        self.up = False
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    def restore(self) -> None:
        """Let connections through again."""
        self.up = True

    async def stop(self) -> None:
        """Close everything."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if not self.up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", self.target
            )
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        self._tasks.update(pumps)
        for pump in pumps:
            pump.add_done_callback(self._tasks.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        self._links.discard(writer)
        writer.transport.abort() if not self.up else writer.close()


@contextlib.asynccontextmanager
async def cuttable_proxy(target: int) -> AsyncIterator[CuttableProxy]:
    """Run a proxy to `target` for the duration of the block.

    Args:
        target: The server's port on 127.0.0.1.

    Yields:
        The started proxy.
    """
    proxy = CuttableProxy(target)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
