"""Broadcast messages to connections across processes and hosts (SPEC §7).

```python
class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__(os.environ.get("BROADCAST_URL", "memory://"))

api = Api(components=[Hub])

@api.route("/ws/{room}")
class Room:
    async def on_ws(self, conn: Connection, room: str) -> None:
        await conn.accept()
        hub = use_component(Hub)
        async with hub.joined(room, conn):
            async for message in conn:
                await hub.publish(room, message)
```
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

from spangle.broadcast._fanout import Fanout, Mailbox, Subscription
from spangle.broadcast.backends import BroadcastBackend, Message, backend_for_url
from spangle.broadcast.errors import (
    BroadcastError,
    BroadcastUnavailable,
    SubscriberDropped,
)
from spangle.exceptions import WebSocketDisconnect
from spangle.models.websocket import Connection

__all__ = [
    "Broadcast",
    "BroadcastBackend",
    "BroadcastError",
    "BroadcastUnavailable",
    "Message",
    "SubscriberDropped",
    "Subscription",
]

logger = logging.getLogger("spangle.broadcast")

_TRY_AGAIN_LATER = 1013


class _Member(Mailbox):
    """A joined connection: its mailbox, fed by all its channels, and its sender."""

    __slots__ = ("conn", "task")

    def __init__(self, conn: Connection, limit: int) -> None:
        super().__init__(limit)
        self.conn = conn
        self.task: asyncio.Task[None] | None = None


class Broadcast:
    """Publish messages to subscribers and WebSocket connections everywhere.

    A component: register a subclass whose `__init__` takes no argument,
    find it with `use_component`. `startup` connects to the backend,
    `shutdown` lets queued messages go out (bounded) and disconnects. Outside
    an Api, use it as `async with Broadcast(url) as hub:`.

    Every local subscriber (a `subscribe()` iterator or a joined connection)
    has a queue of `queue_size` messages. One that falls further behind is
    dropped without slowing the others: a joined connection is closed with
    1013 (try again later), an iterator raises `SubscriberDropped`; the drop
    is counted in `dropped` and logged at WARNING.

    Attributes:
        url (`str`): The backend URL.
        queue_size (`int`): Messages a subscriber may have waiting at most.
        dropped (`int`): Subscribers dropped for falling behind since startup.
        sweep_interval (`float`): Seconds between checks for closed joined
            connections (they also leave when a send to them fails).
        close_timeout (`float`): Seconds the 1013 close of a dropped
            connection may wait for the client to read.
        drain_timeout (`float`): Seconds `shutdown` lets queued messages go out.
    """

    def __init__(
        self,
        url: str = "memory://",
        *,
        queue_size: int = 1000,
        prefix: str = "spangle:",
        backend: BroadcastBackend | None = None,
        sweep_interval: float = 1.0,
        close_timeout: float = 30.0,
        drain_timeout: float = 5.0,
    ) -> None:
        """Configure the broadcast; nothing connects before `startup`.

        Args:
            url: `memory://` (this process only) or `redis://host:port/db`.
            queue_size: Messages a subscriber may have waiting at most.
            prefix: Put in front of channel names in Redis.
            backend: A backend to use instead of the one `url` names.
            sweep_interval: Seconds between checks for closed connections.
            close_timeout: Seconds the 1013 close of a dropped connection
                may take.
            drain_timeout: Seconds `shutdown` lets queued messages go out.

        Raises:
            ValueError: The URL scheme is unsupported or `queue_size` < 1.
        """
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        self.url = url
        self.queue_size = queue_size
        self.dropped = 0
        self.sweep_interval = sweep_interval
        self.close_timeout = close_timeout
        self.drain_timeout = drain_timeout
        self._backend = backend or backend_for_url(url, prefix=prefix)
        self._fanout = Fanout(self._backend, self._on_overflow)
        self._members: dict[Connection, _Member] = {}
        self._subscriptions: set[Subscription] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------

    async def startup(self) -> None:
        """Connect to the backend (the component startup).

        An unreachable Redis does not fail the startup: it is logged and
        retried in the background.
        """
        if self._started:
            return
        self.dropped = 0
        self._fanout = Fanout(self._backend, self._on_overflow)
        self._members = {}
        self._subscriptions = set()
        await self._backend.connect(self._fanout.dispatch)
        self._started = True
        self._sweeper = asyncio.create_task(self._sweep(), name="spangle-broadcast")

    async def shutdown(self) -> None:
        """End subscriptions, let queued messages go out, disconnect.

        `subscribe()` iterators end after their queued messages; joined
        connections get what is queued for them within `drain_timeout`,
        and stay open.
        """
        if not self._started:
            return
        self._started = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.wait([self._sweeper])
        for subscription in self._subscriptions:
            subscription.close(discard=False)
        pending = set(self._tasks)
        for member in self._members.values():
            member.close(discard=False)
            if member.task is not None:
                pending.add(member.task)
        self._members.clear()
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.drain_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        await self._backend.disconnect()

    async def __aenter__(self) -> Broadcast:
        """Start the broadcast outside of an Api."""
        await self.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the broadcast down."""
        await self.shutdown()

    # -- publishing and subscribing ----------------------------------------

    async def publish(self, channel: str, message: Message) -> None:
        """Send a message to every subscriber of a channel, in every process.

        Args:
            channel: The channel name.
            message: `str` (joined connections get a text frame) or `bytes`
                (a binary frame); subscribers get it with the same type.

        Raises:
            TypeError: The message is neither `str` nor `bytes`.
            BroadcastUnavailable: The backend (Redis) is unreachable; raised
                within its timeout, the message is not sent.
            RuntimeError: The broadcast is not started.
        """
        if not isinstance(message, (str, bytes)):
            raise TypeError(
                f"publish() takes str or bytes, not {type(message).__name__}"
            )
        self._check_started("publish()")
        await self._backend.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        """Receive the messages of a channel while the block runs.

        Once the block is entered, every message published on the channel
        afterwards is received (with Redis: once Redis confirmed, which is
        awaited for a bounded time).

        Args:
            channel: The channel name.

        Yields:
            The subscription; iterate it with `async for`.

        Raises:
            RuntimeError: The broadcast is not started.
        """
        self._check_started("subscribe()")
        subscription = Subscription(channel, self.queue_size)
        self._subscriptions.add(subscription)
        try:
            await self._fanout.add(channel, subscription)
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            subscription.close(discard=True)
            await self._fanout.remove(channel, subscription)

    async def join(self, channel: str, conn: Connection) -> None:
        """Send every message of a channel to an accepted connection.

        Text messages become text frames, binary ones binary frames. The
        connection leaves by itself when it closes: at once when a send to
        it fails, else within `sweep_interval`. Joining several channels
        uses one queue and one sending task per connection. Joining a
        channel twice does nothing.

        Args:
            channel: The channel name.
            conn: The connection, already accepted.

        Raises:
            RuntimeError: The broadcast is not started.
        """
        self._check_started("join()")
        member = self._members.get(conn)
        if member is None:
            member = self._members[conn] = _Member(conn, self.queue_size)
            member.task = asyncio.create_task(self._pump(member))
        await self._fanout.add(channel, member)

    async def leave(self, channel: str, conn: Connection) -> None:
        """Stop sending a channel's messages to a connection.

        Messages of that channel already queued for it may still be sent,
        unless it was its last channel. Leaving a channel it has not joined
        does nothing.

        Args:
            channel: The channel name.
            conn: The connection.
        """
        member = self._members.get(conn)
        if member is None:
            return
        await self._fanout.remove(channel, member)
        if not member.channels and self._members.get(conn) is member:
            del self._members[conn]
            member.close(discard=True)

    @asynccontextmanager
    async def joined(self, channel: str, conn: Connection) -> AsyncIterator[None]:
        """Join a channel for the duration of a block, then leave it.

        Leaving does not wait for a send failure or a sweep: use it around
        the view's receive loop, which ends when the client goes away.

        Args:
            channel: The channel name.
            conn: The connection, already accepted.

        Yields:
            Nothing.
        """
        await self.join(channel, conn)
        try:
            yield
        finally:
            await self.leave(channel, conn)

    def subscriber_count(self, channel: str) -> int:
        """Count this process's subscribers of a channel.

        Args:
            channel: The channel name.

        Returns:
            Its `subscribe()` iterators and joined connections here.
        """
        return self._fanout.subscriber_count(channel)

    # -- private -------------------------------------------------------------

    def _check_started(self, call: str) -> None:
        if not self._started:
            raise RuntimeError(
                f"{call} on a Broadcast that is not started: register it as a "
                "component of the Api or use `async with Broadcast(url) as hub:`"
            )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pump(self, member: _Member) -> None:
        conn = member.conn
        try:
            while await member.wait():
                await conn.send(member.take())
        except WebSocketDisconnect:
            pass  # the client went away: leave quietly
        except RuntimeError as exc:
            if not conn.closed:  # closed by the app is normal; anything else is not
                logger.warning(
                    "stopped broadcasting to WebSocket %s: %s", _name(conn), exc
                )
        if self._members.get(conn) is member:
            del self._members[conn]
        member.close(discard=True)
        await self._fanout.prune(self._fanout.detach(member))

    def _on_overflow(self, box: Mailbox, channel: str, empty: list[str]) -> None:
        self.dropped += 1
        if isinstance(box, _Member):
            if self._members.get(box.conn) is box:
                del self._members[box.conn]  # a new join starts afresh
            logger.warning(
                "dropped WebSocket %s from broadcast channel %r: it fell more than "
                "%d messages behind; closing it with 1013",
                _name(box.conn),
                channel,
                self.queue_size,
            )
            self._spawn(self._evict(box, empty))
        else:
            logger.warning(
                "dropped a subscription to broadcast channel %r: its consumer fell "
                "more than %d messages behind",
                channel,
                self.queue_size,
            )
            self._spawn(self._fanout.prune(empty))

    async def _evict(self, member: _Member, empty: list[str]) -> None:
        conn = member.conn
        if member.task is not None:
            # The sender may be blocked on a client that does not read.
            member.task.cancel()
            await asyncio.wait([member.task])
        await self._fanout.prune(empty)
        try:
            await asyncio.wait_for(
                conn.close(_TRY_AGAIN_LATER, "too slow for the broadcast"),
                self.close_timeout,
            )
        except asyncio.TimeoutError:
            logger.info("WebSocket %s did not read its 1013 close in time", _name(conn))

    async def _sweep(self) -> None:
        while True:
            # A periodic timer: Connection offers no close notification.
            await asyncio.sleep(self.sweep_interval)
            for member in [m for m in self._members.values() if m.conn.closed]:
                del self._members[member.conn]
                member.close(discard=True)  # its sender wakes, detaches, prunes


def _name(conn: Connection) -> str:
    client = conn.client
    where = "unknown" if client is None else f"{client.host}:{client.port}"
    return f"{conn.url.path} (client {where})"
