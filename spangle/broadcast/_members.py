"""Joined connections: one queue and one sending task per connection.

A connection joined to several channels is fed by all of them through its one
queue. It leaves when a send fails, when the periodic sweep finds it closed,
or explicitly; if it falls behind it is closed with 1013.
"""

from __future__ import annotations

import asyncio
import logging

from spangle.broadcast._fanout import Fanout, Mailbox
from spangle.exceptions import CloseCode, WebSocketDisconnect
from spangle.models.websocket import Connection

__all__ = ["Member", "Members"]

logger = logging.getLogger("spangle.broadcast")


class Member(Mailbox):
    """A joined connection: its mailbox and the task that sends it.

    Attributes:
        conn (`Connection`): The connection.
        task (`asyncio.Task | None`): The sending task.
    """

    __slots__ = ("conn", "task")

    def __init__(self, conn: Connection, limit: int) -> None:
        super().__init__(limit)
        self.conn = conn
        self.task: asyncio.Task[None] | None = None


class Members:
    """The joined connections of one Broadcast."""

    __slots__ = ("_fanout", "_limit", "_close_timeout", "_by_conn", "_evictions")

    def __init__(self, fanout: Fanout, limit: int, close_timeout: float) -> None:
        """Start with no connection.

        Args:
            fanout: The Broadcast's fan-out.
            limit: The queue bound of each connection.
            close_timeout: Seconds a 1013 close may wait for the client.
        """
        self._fanout = fanout
        self._limit = limit
        self._close_timeout = close_timeout
        self._by_conn: dict[Connection, Member] = {}
        self._evictions: set[asyncio.Task[None]] = set()

    # duplicates: join/leave here and add/remove in _fanout share the shape
    # of their docstrings; what they do differs.
    async def join(self, channel: str, conn: Connection) -> None:
        """Feed a channel to a connection, starting its sender if needed.

        Args:
            channel: The channel.
            conn: The connection.
        """
        member = self._by_conn.get(conn)
        if member is None:
            member = self._by_conn[conn] = Member(conn, self._limit)
            member.task = asyncio.create_task(self._send_all(member))
        await self._fanout.add(channel, member)

    async def leave(self, channel: str, conn: Connection) -> None:
        """Stop feeding a channel to a connection; stop its sender after the last.

        Args:
            channel: The channel.
            conn: The connection.
        """
        member = self._by_conn.get(conn)
        if member is None:
            return
        await self._fanout.remove(channel, member)
        if not member.channels:
            self._retire(member, discard=True)

    def evict(self, member: Member, channel: str, empty: list[str]) -> None:
        """Cut off a member that fell behind and close it with 1013.

        Args:
            member: The member, already detached from the fan-out.
            channel: The channel it overflowed on.
            empty: Channels it left without subscribers.
        """
        if self._by_conn.get(member.conn) is member:
            del self._by_conn[member.conn]  # a new join starts afresh
        logger.warning(
            "dropped WebSocket %s from broadcast channel %r: it fell more than "
            "%d messages behind; closing it with 1013",
            describe(member.conn),
            channel,
            self._limit,
        )
        task = asyncio.create_task(self._close_late(member, empty))
        self._evictions.add(task)
        task.add_done_callback(self._evictions.discard)

    def sweep(self) -> None:
        """Let go of the connections that have closed."""
        for member in [m for m in self._by_conn.values() if m.conn.closed]:
            self._retire(member, discard=True)  # its sender wakes and cleans up

    def drain(self) -> set[asyncio.Task[None]]:
        """Stop accepting messages; let the senders send what is queued.

        Returns:
            The tasks to wait for: senders and closes in progress.
        """
        tasks = set(self._evictions)
        for member in list(self._by_conn.values()):
            self._retire(member, discard=False)
            if member.task is not None:
                tasks.add(member.task)
        return tasks

    def _retire(self, member: Member, *, discard: bool) -> None:
        if self._by_conn.get(member.conn) is member:
            del self._by_conn[member.conn]
        member.close(discard=discard)

    async def _send_all(self, member: Member) -> None:
        conn = member.conn
        try:
            while await member.wait():
                await conn.send(member.take())
        except WebSocketDisconnect:
            pass  # the client went away: leave quietly
        except RuntimeError as exc:
            if not conn.closed:  # closed by the app is normal; anything else is not
                logger.warning(
                    "stopped broadcasting to WebSocket %s: %s", describe(conn), exc
                )
        except Exception:
            # The server failed in an unexpected way: stop this one connection.
            logger.exception("stopped broadcasting to WebSocket %s", describe(conn))
        self._retire(member, discard=True)
        await self._fanout.prune(self._fanout.detach(member))

    async def _close_late(self, member: Member, empty: list[str]) -> None:
        if member.task is not None:
            # The sender may be blocked on a client that does not read.
            member.task.cancel()
            await asyncio.wait([member.task])
        await self._fanout.prune(empty)
        try:
            await asyncio.wait_for(
                member.conn.close(
                    CloseCode.TRY_AGAIN_LATER, "too slow for the broadcast"
                ),
                self._close_timeout,
            )
        except asyncio.TimeoutError:
            logger.info(
                "WebSocket %s did not read its 1013 close in time",
                describe(member.conn),
            )


def describe(conn: Connection) -> str:
    """Name a connection in a log line: its path and its client's address.

    Args:
        conn: The connection.

    Returns:
        For example `"/ws/chat (client 127.0.0.1:52814)"`.
    """
    client = conn.client
    where = "unknown" if client is None else f"{client.host}:{client.port}"
    return f"{conn.url.path} (client {where})"
