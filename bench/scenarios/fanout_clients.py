"""Fan-out clients in a process of their own: picows WebSockets that listen.

Started by `bench.scenarios.fanout`, which talks to it line by line. On
stdin, JSON commands: `{"open": K, "urls": [...], "first": I}` opens K more
connections, the j-th to `urls[(I + j) % len(urls)]`, and answers
`J {"clients": N, "closed": M}` once they are open. On stdout, besides those
answers, `R <id> <ns>` as soon as every open client here has received the
broadcast `<id>` (a text frame starting with the id in 8 digits); `<ns>` is
`time.monotonic_ns()` when the last of them got it, the same clock in every
process on the machine. When stdin closes, it closes its sockets and ends.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import time
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.scenarios import run_loop

ID_DIGITS = 8
#: Connections opened at once; more would overflow the server's backlog.
BATCH = 100
#: Broadcasts not yet seen by every client are forgotten past this many.
PENDING_LIMIT = 1000


def raise_fd_limit() -> None:
    """Let the process open as many sockets as the hard limit allows."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Tally:
    """Counts, per broadcast, the clients here that have it."""

    __slots__ = ("open", "closed", "pending")

    def __init__(self) -> None:
        self.open = 0
        self.closed = 0
        self.pending: dict[int, int] = {}

    def received(self, broadcast: int) -> None:
        """Count one client's copy; report when every client has one."""
        count = self.pending.get(broadcast, 0) + 1
        if count >= self.open:
            self.pending.pop(broadcast, None)
            os.write(1, f"R {broadcast} {time.monotonic_ns()}\n".encode())
            return
        self.pending[broadcast] = count
        if len(self.pending) > PENDING_LIMIT:
            for old in sorted(self.pending)[: PENDING_LIMIT // 2]:
                del self.pending[old]


class Client(WSListener):  # type: ignore[misc]
    """One listening connection."""

    def __init__(self, tally: Tally) -> None:
        self._tally = tally

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._tally.open += 1

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            self._tally.received(int(frame.get_payload_as_bytes()[:ID_DIGITS]))
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._tally.open -= 1
        self._tally.closed += 1


async def open_clients(
    tally: Tally, urls: list[str], first: int, count: int
) -> list[WSTransport]:
    """Open `count` connections in batches, round robin over `urls`.

    Returns:
        Their transports.
    """
    transports: list[WSTransport] = []
    for start in range(0, count, BATCH):
        batch = range(start, min(start + BATCH, count))
        opened = await asyncio.gather(
            *(
                ws_connect(lambda: Client(tally), urls[(first + j) % len(urls)])
                for j in batch
            )
        )
        transports.extend(transport for transport, _ in opened)
    return transports


async def _work() -> None:
    raise_fd_limit()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    tally = Tally()
    transports: list[WSTransport] = []
    try:
        while line := await reader.readline():
            command: dict[str, Any] = json.loads(line)
            try:
                transports += await open_clients(
                    tally, command["urls"], command["first"], command["open"]
                )
                answer: dict[str, Any] = {"clients": tally.open, "closed": tally.closed}
                # The clients' own collector must not walk thousands of open
                # connections in the middle of a timed broadcast.
                gc.freeze()
            except Exception as exc:  # noqa: BLE001 - reported to the parent
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            os.write(1, f"J {json.dumps(answer)}\n".encode())
    finally:
        for transport in transports:
            transport.disconnect()


def main() -> None:
    """Run the clients until stdin closes."""
    run_loop(_work())


if __name__ == "__main__":
    main()
