"""Joined connections: sent each message at once while they keep up.

A publish sends the message to a joined connection from the publishing task,
in the fan-out's walk (`_fanout`), which for a client that keeps up is the
whole send. Only a connection whose send has to wait (its client reads
slowly, the server's buffer is full) gets a task: it finishes that send,
then the messages queued for the connection meanwhile, in order, and ends.
So an idle joined connection costs no task, no future and no queue, and a
publish to N connections costs about what a loop of N sends does.

A connection leaves when a send fails, when the periodic sweep finds it
closed, or explicitly; if its queue overflows it is closed with 1013.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine, Generator
from typing import Any

from spangle.broadcast._fanout import Box, Delivery, Fanout
from spangle.broadcast.backends.base import Message
from spangle.exceptions import CloseCode, WebSocketDisconnect
from spangle.models.websocket import Connection

__all__ = ["Member", "Members"]

logger = logging.getLogger("spangle.broadcast")


class Member(Box):
    """A joined connection.

    Attributes:
        conn (`Connection`): The connection.
        task (`asyncio.Task | None`): The task catching up on a send that had
            to wait and on what was queued meanwhile; `None` while the
            connection keeps up.
        closed (`bool`): Whether no message will be taken any more.
    """

    __slots__ = ("conn", "task", "closed", "_owner", "_queue")

    def __init__(self, conn: Connection, owner: Members) -> None:
        super().__init__()
        self.conn = conn
        self.direct = conn
        self.task: asyncio.Task[None] | None = None
        self.closed = False
        self._owner = owner
        # Made when the connection first falls behind, kept from then on.
        self._queue: deque[Message] | None = None

    def push(self, message: Message) -> bool:
        """Queue a message behind the send in progress.

        Args:
            message: The message.

        Returns:
            `False` when the queue is full: the connection fell behind.
        """
        if self.closed:
            return True
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        if len(queue) >= self._owner.limit:
            return False
        queue.append(message)
        return True

    def take_over(self, delivery: Delivery, waiting: Any) -> None:
        """Finish, in a task, a send that has to wait; queue until then.

        Args:
            delivery: The fan-out's walk, suspended in this connection's send.
            waiting: What that send waits for.
        """
        self.direct = None
        self.task = self._owner.catch_up(self, delivery, waiting)

    def failed(self, exc: Exception) -> None:
        """Leave: sending to the connection raised.

        Args:
            exc: What the send raised.
        """
        self._owner.failed(self, exc)

    def next_queued(self) -> Message | None:
        """Take the oldest queued message, or `None` when none is left."""
        queue = self._queue
        return queue.popleft() if queue else None

    def close(self, *, discard: bool) -> None:
        """Take no more messages.

        Args:
            discard: Forget the queued messages instead of sending them.
        """
        self.closed = True
        self.direct = None
        if discard and self._queue is not None:
            self._queue.clear()

    def drop(self) -> None:
        """Cut the connection off because it fell behind."""
        self.close(discard=True)


class _Resumed:
    """Awaits the rest of a coroutine already run up to its first wait.

    Awaiting it from a task makes the coroutine that task's own from there
    on: what the coroutine waits for, the task waits for, and a
    cancellation of the task reaches the coroutine where it waits.
    """

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Coroutine[Any, Any, None], waiting: Any) -> None:
        self._coro = coro
        self._waiting = waiting

    def __await__(self) -> Generator[Any, None, None]:
        coro, waiting = self._coro, self._waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:  # the task's cancellation, passed on
                try:
                    waiting = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    waiting = coro.send(None)
                except StopIteration:
                    return


class Members:
    """The joined connections of one Broadcast."""

    __slots__ = ("_fanout", "limit", "_close_timeout", "_by_conn", "_tasks")

    def __init__(self, fanout: Fanout, limit: int, close_timeout: float) -> None:
        """Start with no connection.

        Args:
            fanout: The Broadcast's fan-out.
            limit: The queue bound of each connection.
            close_timeout: Seconds a 1013 close may wait for the client.
        """
        self._fanout = fanout
        self.limit = limit
        self._close_timeout = close_timeout
        self._by_conn: dict[Connection, Member] = {}
        #: 1013 closes and clean-ups in progress.
        self._tasks: set[asyncio.Task[None]] = set()

    # duplicates: join/leave here and add/remove in _fanout share the shape
    # of their docstrings; what they do differs.
    async def join(self, channel: str, conn: Connection) -> None:
        """Feed a channel to a connection.

        Args:
            channel: The channel.
            conn: The connection.
        """
        member = self._by_conn.get(conn)
        if member is None:
            member = self._by_conn[conn] = Member(conn, self)
        await self._fanout.add(channel, member)

    async def leave(self, channel: str, conn: Connection) -> None:
        """Stop feeding a channel to a connection; forget it after the last.

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

    def catch_up(
        self, member: Member, delivery: Delivery, waiting: Any
    ) -> asyncio.Task[None]:
        """Start the task that finishes a waiting send, then the queue.

        Args:
            member: The member.
            delivery: The fan-out's walk, suspended in the member's send.
            waiting: What that send waits for.

        Returns:
            The task.
        """
        return asyncio.create_task(self._catch_up(member, delivery, waiting))

    def failed(self, member: Member, exc: Exception) -> None:
        """Let go of a member whose send failed (called during a publish).

        Args:
            member: The member.
            exc: What the send raised.
        """
        _report(member.conn, exc)
        self._retire(member, discard=True)
        # Taken off its channels after the publish, which is iterating them.
        self._spawn(self._forget(member))

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
            self.limit,
        )
        self._spawn(self._close_late(member, empty))

    def sweep(self) -> None:
        """Let go of the connections that have closed."""
        for member in [m for m in self._by_conn.values() if m.conn.closed]:
            self._retire(member, discard=True)
            if member.task is None:
                self._spawn(self._forget(member))
            # else its catch-up task ends and takes it off its channels

    def drain(self) -> set[asyncio.Task[None]]:
        """Stop accepting messages; let the queued ones go out.

        Returns:
            The tasks to wait for: catch-ups, closes and clean-ups.
        """
        tasks = set(self._tasks)
        for member in list(self._by_conn.values()):
            self._retire(member, discard=False)
            if member.task is not None:
                tasks.add(member.task)
        return tasks

    def _retire(self, member: Member, *, discard: bool) -> None:
        if self._by_conn.get(member.conn) is member:
            del self._by_conn[member.conn]
        member.close(discard=discard)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forget(self, member: Member) -> None:
        await self._fanout.prune(self._fanout.detach(member))

    async def _catch_up(self, member: Member, delivery: Delivery, waiting: Any) -> None:
        conn = member.conn
        # The walk ends after this send; a failure of it is handled there.
        await _Resumed(delivery, waiting)
        try:
            while (message := member.next_queued()) is not None:
                await conn.send(message)
        except Exception as exc:  # noqa: BLE001 - reported, then the member leaves
            _report(conn, exc)
            self._retire(member, discard=True)
        member.task = None
        if not member.closed:
            member.direct = conn  # caught up: sent at once again
            return
        await self._forget(member)

    async def _close_late(self, member: Member, empty: list[str]) -> None:
        if member.task is not None:
            # The send may be blocked on a client that does not read.
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


def _report(conn: Connection, exc: Exception) -> None:
    """Log why sending to a connection stopped, unless the client just left."""
    if isinstance(exc, WebSocketDisconnect):
        return  # the client went away: leave quietly
    if isinstance(exc, RuntimeError):
        if not conn.closed:  # closed by the app is normal; anything else is not
            logger.warning(
                "stopped broadcasting to WebSocket %s: %s", describe(conn), exc
            )
        return
    # The server failed in an unexpected way: stop this one connection.
    logger.error("stopped broadcasting to WebSocket %s", describe(conn), exc_info=exc)


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
