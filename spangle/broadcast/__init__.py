"""Broadcast messages to connections across processes and hosts.

```python
class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__(os.environ.get("SPANGLE_BROADCAST_URL", "memory://"))

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
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType

from spangle.broadcast._fanout import Box, Fanout, Mailbox
from spangle.broadcast._members import Member, Members
from spangle.broadcast.backends import BroadcastBackend, Message, backend_for_url
from spangle.broadcast.errors import (
    BroadcastError,
    BroadcastUnavailable,
    SubscriberDropped,
)
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


class _Joined:
    """`Broadcast.joined`: one small object for the connection's lifetime.

    A generator-based context manager would keep a generator, its frame and
    a wrapper alive per joined connection, for the garbage collector to
    walk at every full collection.
    """

    __slots__ = ("_hub", "_channel", "_conn")

    def __init__(self, hub: Broadcast, channel: str, conn: Connection) -> None:
        self._hub = hub
        self._channel = channel
        self._conn = conn

    async def __aenter__(self) -> None:
        await self._hub.join(self._channel, self._conn)

    # duplicates: the signature every async context manager's exit has.
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._hub.leave(self._channel, self._conn)


class Subscription(Mailbox):
    """The messages of one channel for one consumer, in publication order.

    Made by `Broadcast.subscribe`; iterate it with `async for`, from one task
    at a time (it wakes a single waiting consumer). The iteration ends when
    the Broadcast shuts down.

    Attributes:
        channel (`str`): The channel.
    """

    __slots__ = ("channel",)

    def __init__(self, channel: str, limit: int) -> None:
        super().__init__(limit)
        self.channel = channel

    def __aiter__(self) -> Subscription:
        """Iterate over the messages."""
        return self

    async def __anext__(self) -> Message:
        """Return the next message, waiting for it.

        Raises:
            SubscriberDropped: The consumer fell more than the queue size
                behind; the messages it missed are lost.
            StopAsyncIteration: The Broadcast shut down.
        """
        if await self.wait():
            return self.take()
        if self.dropped:
            raise SubscriberDropped(self.channel, self.limit)
        raise StopAsyncIteration


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
        self._members = Members(self._fanout, queue_size, close_timeout)
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
        self._members = Members(self._fanout, self.queue_size, self.close_timeout)
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
        pending = self._members.drain() | self._tasks
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
        it fails, else within `sweep_interval`. A publish sends to the
        connection at once; only while a send to it has to wait (its client
        reads slowly) are further messages queued, and a task sends them in
        order. A connection joined to several channels has one queue for
        them all. Joining a channel twice does nothing.

        Args:
            channel: The channel name.
            conn: The connection, already accepted.

        Raises:
            RuntimeError: The broadcast is not started.
        """
        self._check_started("join()")
        await self._members.join(channel, conn)

    async def leave(self, channel: str, conn: Connection) -> None:
        """Stop sending a channel's messages to a connection.

        Messages of that channel already queued for it may still be sent,
        unless it was its last channel. Leaving a channel it has not joined
        does nothing.

        Args:
            channel: The channel name.
            conn: The connection.
        """
        await self._members.leave(channel, conn)

    def joined(
        self, channel: str, conn: Connection
    ) -> AbstractAsyncContextManager[None]:
        """Join a channel for the duration of a block, then leave it.

        Leaving does not wait for a send failure or a sweep: use it around
        the view's receive loop, which ends when the client goes away.

        Args:
            channel: The channel name.
            conn: The connection, already accepted.

        Returns:
            An async context manager; `async with hub.joined(channel, conn):`.
        """
        return _Joined(self, channel, conn)

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

    def _on_overflow(self, box: Box, channel: str, empty: list[str]) -> None:
        self.dropped += 1
        if isinstance(box, Member):
            self._members.evict(box, channel, empty)
            return
        logger.warning(
            "dropped a subscription to broadcast channel %r: its consumer fell "
            "more than %d messages behind",
            channel,
            self.queue_size,
        )
        task = asyncio.create_task(self._fanout.prune(empty))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        while True:
            # A periodic timer: Connection offers no close notification.
            await asyncio.sleep(self.sweep_interval)
            self._members.sweep()
